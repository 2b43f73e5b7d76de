"""``relic-twin import FILE --hall HALL --sensor ID [--dry-run] [--tz ZONE]``: load a logger export.

Reads the file (:func:`bridge.importers.read_logger_file`), governs the
readings (:func:`bridge.ingest.governance.govern`: units, flags, imputation of
short gaps), then stores readings and rejections. The readings belong to
sensor ``ID`` of hall ``HALL`` (``--hall`` may be left out where the store
holds one hall). The store skips readings
it already holds (unique on hall, sensor, quantity, time), and rejections already
in quarantine (same source and raw line) are not stored again, so importing
the same file twice adds nothing. A file that cannot be read at all is
reported with the line at fault, and kept raw in quarantine.

``--dry-run`` reads and governs but opens no database: it prints what would
be stored.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bridge.errors import LoggerFileError, RelicTwinError
from bridge.importers import ImportResult, read_logger_file
from bridge.ingest.governance import GovernanceSettings, govern
from bridge.readings import Reading, Rejection, in_hall
from bridge.site.halls import resolve_hall

SHOWN_REJECTIONS = 20
"""Rejections printed in full; the rest are counted."""


class ReadingSink(Protocol):
    """What the importer needs of a store (``bridge.store.Store`` has it; ``halls()`` optional)."""

    def add_readings(self, readings: Sequence[Reading]) -> int: ...

    def add_rejections(self, rejections: Sequence[Rejection]) -> int: ...


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin import",
                                description="import a data-logger export file / 导入记录仪导出文件")
    p.add_argument("file", type=Path, help="the export (.csv, .txt, .xls ...) / 导出文件")
    p.add_argument("--hall", default=None,
                   help="hall (scene id) of the sensor; optional where the site has one hall / 展厅")
    p.add_argument("--sensor", required=True, help="sensor id the readings belong to / 传感器编号")
    p.add_argument("--tz", default="UTC",
                   help="time zone of the logger's clock, e.g. Europe/London (default UTC) / 记录仪时区")
    p.add_argument("--dry-run", action="store_true",
                   help="show what would be imported, store nothing / 试运行，不写入")
    p.add_argument("--impute", choices=("linear", "nearest", "none"), default="linear",
                   help="fill gaps up to 3 h (default linear) / 短缺口插补方式")
    p.add_argument("--db", default=None, help="database URL (default SQLite in --data-dir) / 数据库地址")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder / 数据目录")
    return p


def _summary(result: ImportResult, readings: list[Reading], out: Callable[[str], None]) -> None:
    out(f"{result.path}: {result.format}, {result.encoding}; "
        f"{len(result.readings)} readings, {len(result.rejections)} rejected rows "
        f"/ {len(result.readings)} 条读数，{len(result.rejections)} 行被拒")
    for quantity in sorted({r.quantity for r in readings}):
        rs = [r for r in readings if r.quantity == quantity]
        raw = [r for r in rs if r.quality != "imputed"]
        first, last = raw[0], raw[-1]
        quality = Counter(r.quality for r in rs)
        flags = ", ".join(f"{k} {v}" for k, v in sorted(quality.items()))
        out(f"  {quantity}: {len(raw)} readings {first.time.isoformat()} {first.value:g} {first.unit} "
            f"-> {last.time.isoformat()} {last.value:g} {last.unit}; quality 质量: {flags}")
    for note in result.notes:
        out(f"  note 注意: {note}")


def _rejections(rejections: list[Rejection], out: Callable[[str], None]) -> None:
    for rej in rejections[:SHOWN_REJECTIONS]:
        out(f"  rejected 拒收 {rej.source}: {rej.reason}")
    if len(rejections) > SHOWN_REJECTIONS:
        more = len(rejections) - SHOWN_REJECTIONS
        out(f"  ... {more} more rejections / 另有 {more} 条拒收")


def _new_rejections(sink: ReadingSink, rejections: list[Rejection]) -> list[Rejection]:
    """Rejections not already in quarantine (same source, same raw bytes).

    The store keeps a payload cut to a bounded size, with its full length:
    a match is the same source, length and stored prefix.
    """
    listing = getattr(sink, "quarantine", None)
    count = getattr(sink, "count_quarantine", None)
    if listing is None or count is None:
        return rejections
    held = {(q.source, q.payload_size, q.payload) for q in listing(limit=max(int(count()), 1))}
    cut = {(src, size): len(p) for src, size, p in held}
    fresh = []
    for r in rejections:
        key = (r.source[:512], len(r.payload))
        if key not in cut or (*key, r.payload[:cut[key]]) not in held:
            fresh.append(r)
    return fresh


def _open_store(db: str | None, data_dir: Path) -> ReadingSink:
    from bridge.store import Store  # the database layer only when storing

    return Store.open(url=db, data_dir=data_dir)


def import_main(argv: list[str], open_sink: Callable[[str | None, Path], ReadingSink] | None = None,
                now: datetime | None = None) -> int:
    """Run ``relic-twin import``; 0 when imported, 1 when the file is unreadable, 2 on a usage
    or storage error. ``open_sink(db, data_dir)`` opens the store (injectable for tests)."""
    args = _parser().parse_args(argv)
    now = now or datetime.now(UTC)
    path = args.file.resolve()
    open_sink = open_sink or _open_store
    try:
        result = read_logger_file(path, args.sensor, args.tz, now=now)
    except LoggerFileError as exc:
        print(f"cannot import 无法导入: {exc}", file=sys.stderr)
        if not args.dry_run and path.is_file():
            try:
                sink = open_sink(args.db, args.data_dir)
                raw = path.read_bytes()
                sink.add_rejections(_new_rejections(sink, [Rejection(str(path), raw, now, str(exc))]))
            except RelicTwinError as store_exc:
                print(f"quarantine failed 隔离失败: {store_exc}", file=sys.stderr)
        return 1
    sink = None
    try:
        if not args.dry_run:
            sink = open_sink(args.db, args.data_dir)
        hall = resolve_hall(args.hall, getattr(sink, "halls", list)())
    except RelicTwinError as exc:
        print(f"relic-twin import: {exc}", file=sys.stderr)
        return 2
    settings = GovernanceSettings(impute=args.impute)
    governed = govern(in_hall(result.readings, hall), settings, now)
    readings = governed.readings
    rejections = result.rejections + governed.rejections
    _summary(result, readings, print)
    _rejections(rejections, print)
    if args.dry_run:
        print(f"dry run: would store {len(readings)} readings and {len(rejections)} rejections "
              f"/ 试运行：将写入 {len(readings)} 条读数、{len(rejections)} 条隔离记录")
        return 0
    try:
        assert sink is not None
        from bridge.ingest.calibration import Calibrations
        from bridge.store import Store

        if isinstance(sink, Store):  # the sensor's calibration, if one is recorded (raw value kept)
            readings = Calibrations(sink).apply(readings)
        stored = sink.add_readings(readings)
        quarantined = sink.add_rejections(_new_rejections(sink, rejections))
    except RelicTwinError as exc:
        print(f"storage error 存储错误: {exc}", file=sys.stderr)
        return 2
    print(f"hall 展厅 {hall}, sensor 传感器 {args.sensor}: "
          f"stored {stored} new readings ({len(readings) - stored} already stored), "
          f"{quarantined} new rejections / 新写入 {stored} 条读数（{len(readings) - stored} 条已存在），"
          f"{quarantined} 条新隔离记录")
    return 0
