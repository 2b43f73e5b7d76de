"""``relic-twin field --scene DIR``: which field model fits this hall, judged on its own history.

    relic-twin field --scene DIR [--hall H] [--quantity relative_humidity] [--days 14] [--step 1h]
                     [--db URL] [--data-dir DIR]

Reads the stored history of every scene sensor of ``--quantity`` in the open hall (sensors in a
display case measure other air), averaged per ``--step``, over the last ``--days`` up to the latest
reading, and prints (:func:`simulation.field_model.choose_field`): each sensor's offset learnt from
the first half of the history, and the leave-one-out RMSE on the second half of IDW and kriging,
each with and without the offsets, beside "the mean of the other nodes"; then the chosen model.
Exit status: 0 printed, 1 bad input or too little history.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from bridge.config import add_settings_arguments, settings_from_args
from bridge.errors import RelicTwinError
from bridge.twin.field_choice import STEP_S, FieldHistoryError, history
from simulation.field_model import MIN_HISTORY_ROWS, TRAIN_SHARE, choose_field, sensor_offsets
from simulation.paths import scenes_dir

__all__ = ["field_main"]


class FieldInputError(ValueError):
    """Bad input or too little history; bilingual."""


def field_main(argv: list[str] | None = None) -> int:
    """Entry point of ``relic-twin field``."""
    from bridge.cli.common import load_scene_or_report
    from bridge.cli.forecast import ForecastCliError, parse_duration
    from bridge.cli.report import open_store
    from simulation.quantities import QUANTITIES

    p = argparse.ArgumentParser(prog="relic-twin field", description="choose the hall's field model by "
                                "leave-one-out error / 以留一法误差选择空间插值模型")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"), help="展厅场景目录 / scene folder")
    p.add_argument("--hall", help="hall id (default: the scene's) / 展厅")
    p.add_argument("--quantity", default="relative_humidity", choices=list(QUANTITIES), help="指标 / quantity")
    p.add_argument("--days", type=float, default=14.0, help="history in days / 历史天数")
    p.add_argument("--step", default="1h", help="bucket / 时段")
    add_settings_arguments(p)
    args = p.parse_args(argv)
    scene = load_scene_or_report(args.scene)
    if scene is None:
        return 1
    hall = args.hall or scene.id
    sensors = [s for s in scene.sensors_for(args.quantity) if s.case is None]
    try:
        step_s = int(parse_duration(args.step))
        if len(sensors) < 3:
            raise FieldInputError(f"{len(sensors)} open-hall sensors measure {args.quantity}: leave-one-out needs 3 "
                                  f"/ 展厅内测该指标的传感器少于3个")
        settings = settings_from_args(args)
        store = open_store(settings.database_url, Path(settings.data_dir))
    except (ForecastCliError, FieldInputError, RelicTwinError) as exc:
        print(f"relic-twin field: {exc}", file=sys.stderr)
        return 1
    try:
        values, end = history(store, [s.id for s in sensors], args.quantity, hall, args.days, step_s)
    except FieldHistoryError as exc:
        print(f"relic-twin field: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    positions = np.array([np.asarray(s.position, float)[:2] for s in sensors])
    choice = choose_field(values, positions)
    if choice is None:
        print("relic-twin field: too little history with every sensor reporting in both halves "
              "/ 历史太短（前后两半都需要所有传感器同时有读数）", file=sys.stderr)
        return 1
    unit = QUANTITIES[args.quantity].unit
    print(f"== {hall} · {args.quantity} ({unit}) · {len(sensors)} sensors 传感器 · {args.days:g} d to 至 "
          f"{end:%Y-%m-%d %H:%M} UTC · step 步长 {step_s} s")
    print("  offsets learnt from the first half 前半段学得的传感器偏差:")
    learnt = sensor_offsets(values[: int(round(TRAIN_SHARE * len(values)))])
    for s, off in zip(sensors, learnt, strict=True):
        print(f"    {s.id:10s} {off:+8.2f} {unit}")
    anchor = choice.rmse["mean of the others"]
    print(f"  leave-one-out RMSE on the second half ({choice.rows} times) 后半段留一法误差:")
    for name, rmse in choice.rmse.items():
        mark = "  <- chosen 选用" if name == choice.method else ""
        print(f"    {name:22s} {rmse:8.3f} {unit}   vs mean of the others 相对其余均值 {rmse / anchor:6.2f}{mark}")
    extra = ", ".join(f"{k} {v:g}" for k, v in choice.settings.items())
    print(f"  chosen 选用: {choice.method}" + (f" ({extra})" if extra else ""))
    complete = int(np.isfinite(values).all(axis=1).sum())
    if step_s == STEP_S and complete < MIN_HISTORY_ROWS:
        print(f"  note 注意: {complete} complete rows, the monitor chooses from {MIN_HISTORY_ROWS}: it draws IDW until then "
              f"/ 完整时段不足 {MIN_HISTORY_ROWS} 个，实时监测在此之前按反距离加权绘制")
    return 0
