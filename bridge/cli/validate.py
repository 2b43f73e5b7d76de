"""``relic-twin validate RECORD.csv --scene DIR``: did the model do what the room did?

    relic-twin validate RECORD.csv --scene DIR [--calibration FILE] [--sensor ID] [--step-min 10]
                        [--no-hvac] [--indoor-only] [--utc-offset H] [--cell M] [--horizon-h H]

Drives the climate model with the record's own schedules (occupancy, doors, windows, HVAC,
lights, heat, and outdoor weather where recorded; :mod:`bridge.cli.room_record`) from the
record's first measured state, run by run where the record has gaps, and prints per sensor and
quantity the RMSE and bias, beside persistence (each run's first value held) and the record's mean,
as skill scores, and the swing (max - min per day) measured and simulated. The model's parameters
are the scene's ``[climate]`` under the hall's ``calibration.json`` (``--calibration``, default
beside the scene), as ``relic-twin simulate`` uses them, with its per-sensor offsets if it has any.
``--horizon-h 24`` restarts the model from the measured state every 24 h, as a live twin does
(persistence then holds each restart's reading: both know the same).

Exit status: 0 printed, 1 bad input.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bridge.cli.calibrate import DAY_S
from bridge.cli.common import InputError, run_or_report, scene_and_climate
from simulation import climate
from simulation.calibration import floor_area_perimeter
from simulation.paths import scenes_dir
from simulation.record_model import (
    Boundary,
    DailyGains,
    anchored,
    format_skill,
    offsets_from_parameters,
    runs,
    simulate_runs,
    skill_table,
)

__all__ = ["daily_swing", "validate_main"]


def daily_swing(values: np.ndarray, times_s: np.ndarray) -> float:
    """Mean over days of (max - min) of a (n,) series; NaN without a day of two readings."""
    day = np.floor(times_s / DAY_S).astype(int)
    swings = [np.nanmax(values[day == d]) - np.nanmin(values[day == d]) for d in np.unique(day)
              if np.isfinite(values[day == d]).sum() >= 2]
    return float(np.mean(swings)) if swings else float("nan")


def _calibration(path: Path | None, scene_root: Path) -> dict[str, Any]:
    f = path or scene_root / "calibration.json"
    if not f.is_file():
        if path is not None:
            raise InputError(f"{f}: file not found / 找不到校准文件")
        return {}
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{f}: unreadable ({exc}) / 无法读取校准文件") from None
    figures = doc.get("figures", doc) if isinstance(doc, dict) else {}
    params = figures.get("parameters", {}) if isinstance(figures, dict) else {}
    return {k: float(v) for k, v in params.items() if isinstance(v, int | float)}


def validate(args: argparse.Namespace) -> str:
    """The report's text."""
    from bridge.cli.room_record import load_record

    scene, base = scene_and_climate(args.scene, args.no_hvac)
    params = _calibration(args.calibration, scene.root)
    known = {f for f in climate.ClimateSettings.__dataclass_fields__} - {"dehumidifiers"}
    settings = replace(base, **{k: v for k, v in params.items() if k in known})
    if not 60.0 <= args.step_min * 60.0 <= 6 * 3600.0:
        raise InputError("--step-min must be in 1..360 / 步长须在1到360分钟之间")
    record, start, cols = load_record(Path(args.record), scene, args.step_min * 60.0, args.utc_offset, args.sensor,
                                      hvac=not args.no_hvac, indoor_only=args.indoor_only)
    observed = np.isfinite(record.t_in).any(axis=1) & np.isfinite(record.rh_in).any(axis=1)
    spans = runs(observed, record.step_s)
    if not spans:
        raise InputError("no run of at least an hour of indoor T/RH in the record / 记录中没有至少1小时的室内温湿度")
    if args.horizon_h < 0:
        raise InputError("--horizon-h must be 0 or more / --horizon-h 不能为负")
    if args.horizon_h:
        spans = anchored(spans, observed, record.step_s, args.horizon_h * 3600.0)
    boundary = None
    if record.indoor_only:
        # no weather recorded: the calibration's fitted boundary level, else the first state (no drive)
        first = spans[0][0]
        boundary = Boundary(params.get("boundary_t_c", float(np.nanmean(record.t_in[first]))), 0.0,
                            params.get("boundary_rh", float(np.nanmean(record.rh_in[first]))), 0.0, 0.0, 0.0)
    daily = DailyGains.from_parameters(params)  # a daily profile of gains, on the record's clock
    gains = None if daily is None else np.column_stack(
        daily.at(record.time_of_day_s(), floor_area_perimeter(record.geometry.floor)[0]))
    t_sim, rh_sim = simulate_runs(record, settings, spans, params.get("heat_gain_factor", 1.0),
                                  params.get("occupancy_factor", 1.0), boundary, args.cell,
                                  *offsets_from_parameters(params, [p.id for p in record.geometry.probes]),
                                  gains=gains)
    table = skill_table(record, t_sim, rh_sim, spans)
    rows = np.concatenate([np.arange(a, b) for a, b in spans])
    schedules = [k for k in cols if k.split(":")[0] in ("occupancy", "door", "window", "hvac", "lights", "heat_w",
                                                        "outdoor_temperature", "outdoor_relative_humidity")]
    lines = [f"验证 / validate: {args.record} on 场景 {scene.id} · {len(spans)} run(s) 段, "
             f"{rows.size * record.step_s / DAY_S:.2f} d · "
             + ("calibrated 已校准" if params else "uncalibrated (scene defaults) 未校准（场景默认参数）"),
             "  driven by 驱动: " + (", ".join(schedules) or "nothing but the first state 仅初始状态")
             + ("; outdoor: indoor-only boundary 无室外数据，用边界" if record.indoor_only else ""),
             "", "per sensor and quantity 逐传感器与指标 (persistence: each run's (or restart's) first value held; mean: the record's "
             "mean) / 基准：各段首值保持、记录均值:"]
    lines += format_skill(table)
    lines += ["", "  daily swing 日较差 (max - min), measured 实测 / simulated 模拟:"]
    for q, meas, sim in (("temperature", record.t_in, t_sim), ("relative_humidity", record.rh_in, rh_sim)):
        for j, probe in enumerate(record.geometry.probes):
            m = np.where(np.isfinite(sim[:, j]), meas[:, j], np.nan)
            sm, ss = daily_swing(m, record.times_s), daily_swing(sim[:, j], record.times_s)
            lines.append(f"    {probe.id:14s} {q:20s} {sm:8.2f} / {ss:8.2f}   ratio 比值 {ss / sm if sm else np.nan:.2f}")
    return "\n".join(lines)


def validate_main(argv: list[str] | None = None) -> int:
    """Entry point of ``relic-twin validate``."""
    p = argparse.ArgumentParser(prog="relic-twin validate",
                                description="用记录的工况驱动模型并与实测比较 / drive the model with a record's "
                                            "schedules and compare with what happened")
    p.add_argument("record", help="房间记录 CSV / room record CSV (see relic-twin calibrate --help)")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"), help="展厅场景目录 / scene folder")
    p.add_argument("--calibration", type=Path, help="校准文件 / calibration.json (default: beside the scene)")
    p.add_argument("--sensor", help="单传感器列对应的场景传感器 / scene sensor of single T/RH columns")
    p.add_argument("--step-min", type=float, default=10.0, help="模型步长 (min) / model step (default 10)")
    p.add_argument("--no-hvac", action="store_true", help="空调未运行 / HVAC did not run")
    p.add_argument("--indoor-only", action="store_true", help="忽略室外气象 / ignore outdoor weather columns")
    p.add_argument("--utc-offset", type=float, default=0.0, help="无时区时间的 UTC 偏移 (h) / UTC offset of naive times")
    p.add_argument("--cell", type=float, default=None, help="网格尺寸 m / cell size (default one well-mixed cell)")
    p.add_argument("--horizon-h", type=float, default=0.0, help="每隔这么多小时从实测状态重新起算（保持基准同样重起）/ "
                                                                 "restart from the measured state every H hours, as a "
                                                                 "live twin does; persistence restarts too (default 0)")
    args = p.parse_args(argv)
    return run_or_report("relic-twin validate", ("cannot run the model on this record", "无法用该记录运行模型"),
                         lambda: validate(args))


if __name__ == "__main__":
    raise SystemExit(validate_main())
