"""``relic-twin sensor-calibration``: record and list per-sensor offsets and gains.

    relic-twin sensor-calibration set S02 --quantity relative_humidity --offset -2.5 --by wang
    relic-twin sensor-calibration set S04 --quantity illuminance --gain 1.08 --by li --note "vs. Hagner E4"
    relic-twin sensor-calibration list [--history]

A calibration applies to readings measured from its date on (default now), at ingest, over MQTT
and from logger files; the sensor's own value is kept beside the corrected one. (``relic-twin
calibrate`` is something else: it fits the hall's climate model to its records.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.errors import RelicTwinError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin sensor-calibration",
                                description="per-sensor calibration / 传感器校准（偏移与增益）")
    p.add_argument("--db", default=None, help="database URL (default RELIC_TWIN_DATABASE_URL or data/) / 数据库")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder / 数据目录")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("set", help="record a calibration / 登记校准")
    s.add_argument("sensor")
    s.add_argument("--quantity", required=True, help="e.g. temperature, relative_humidity / 指标")
    s.add_argument("--offset", type=float, default=0.0, help="added after the gain, quantity's unit / 偏移")
    s.add_argument("--gain", type=float, default=1.0, help="multiplies the sensor's value / 增益")
    s.add_argument("--hall", default="", help="the sensor's hall (scene id); default any hall / 展厅")
    s.add_argument("--by", required=True, help="who calibrated / 校准人")
    s.add_argument("--at", default=None, help="from when, ISO 8601 (default now) / 生效时间")
    s.add_argument("--note", default="", help="reference instrument, certificate ... / 备注")
    ls = sub.add_parser("list", help="list calibrations / 列出校准")
    ls.add_argument("--history", action="store_true", help="every calibration, not only the newest / 全部历史")
    return p


def sensor_calibration_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from bridge.cli.report import open_store
    from bridge.ingest.calibration import list_calibrations, set_calibration
    from bridge.reports.period import parse_time

    try:
        store = open_store(args.db, args.data_dir) if args.cmd == "list" else _open(args.db, args.data_dir)
    except RelicTwinError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        if args.cmd == "set":
            at = parse_time(args.at, "--at") if args.at else None
            c = set_calibration(store, args.sensor, args.quantity, args.offset, args.gain, args.by, at, args.note,
                                args.hall)
            print(f"{c.hall + '/' if c.hall else ''}{c.sensor} {c.quantity}: value = {c.gain:g} × raw {c.offset:+g}, from {c.set_at:%Y-%m-%d %H:%M} "
                  f"UTC, by {c.set_by}; due {c.due_at:%Y-%m-%d} / 已登记，下次校准 {c.due_at:%Y-%m-%d}")
            return 0
        rows = list_calibrations(store, history=args.history)
        if not rows:
            print("no calibrations recorded / 未登记校准")
        for c in rows:
            print(f"{(c.hall + '/' if c.hall else '') + c.sensor:16s} {c.quantity:20s} offset {c.offset:+g} gain {c.gain:g}  "
                  f"{c.set_at:%Y-%m-%d} by {c.set_by}  due {c.due_at:%Y-%m-%d}  {c.note}")
        return 0
    except RelicTwinError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        store.close()


def _open(db: str | None, data_dir: Path):
    from bridge.store import Store

    return Store.open(db, data_dir)
