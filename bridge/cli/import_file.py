"""``relic-twin import FILE --hall HALL --sensor ID [--dry-run] [--tz ZONE | --clock-offset +08:00]``:
load a logger export; ``relic-twin import FILE [--sensor-column NAME] [--map SRC=DST ...]`` for a
long-format file naming several sensors in a column.

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

Long format (a sensor column, :mod:`bridge.importers.long_format`): each
source sensor is mapped to a sensor of the hall's scene (``--scene``, default
``scenes/<hall>``) by id, by name, or by ``--map SRC=DST``
(:mod:`bridge.importers.sensor_map`); a table names every source sensor, its
rows and values and where they go. Rows of an unmapped source are quarantined
with the reason, never stored under another sensor.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bridge.config import add_settings_arguments, settings_from_args
from bridge.errors import ConfigError, LoggerFileError, RelicTwinError
from bridge.importers import ImportResult, read_logger_file
from bridge.importers.sensor_map import SceneSensor, SensorMapper, parse_maps
from bridge.ingest.governance import GovernanceSettings, govern
from bridge.readings import Reading, Rejection, in_hall
from bridge.site.halls import resolve_hall
from simulation.paths import scenes_dir

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
    p.add_argument("--sensor", default=None,
                   help="sensor id the readings belong to (a one-sensor file) / 传感器编号")
    p.add_argument("--sensor-column", default=None, metavar="NAME",
                   help="column naming each row's sensor (long format; found from the header where "
                        "plain) / 传感器列名（长表格式）")
    p.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                   help="source sensor SRC of the file is scene sensor DST (repeatable) / 源传感器映射")
    p.add_argument("--scene", type=Path, default=None,
                   help="the hall's scene folder, for mapping sensors (default scenes/<hall>) / 展厅场景目录")
    clock = p.add_mutually_exclusive_group()
    clock.add_argument("--tz", default="UTC",
                       help="time zone of the logger's clock, e.g. Europe/London (default UTC) / 记录仪时区")
    clock.add_argument("--clock-offset", default=None, metavar="+HH:MM",
                       help="fixed UTC offset of a logger clock that ignores summer time, e.g. +08:00 "
                            "/ 记录仪固定时差（不随夏令时）")
    p.add_argument("--dry-run", action="store_true",
                   help="show what would be imported, store nothing / 试运行，不写入")
    p.add_argument("--impute", choices=("linear", "nearest", "none"), default="linear",
                   help="fill gaps up to 3 h (default linear) / 短缺口插补方式")
    add_settings_arguments(p)
    return p


def _summary(result: ImportResult, readings: list[Reading], out: Callable[[str], None]) -> None:
    out(f"{result.path}: {result.format}, {result.encoding}; "
        f"{len(result.readings)} readings, {len(result.rejections)} rejected rows "
        f"/ {len(result.readings)} 条读数，{len(result.rejections)} 行被拒")
    several = len({r.sensor for r in readings}) > 1
    for sensor, quantity in sorted({(r.sensor, r.quantity) for r in readings}):
        rs = [r for r in readings if r.quantity == quantity and r.sensor == sensor]
        raw = [r for r in rs if r.quality != "imputed"]
        first, last = raw[0], raw[-1]
        quality = Counter(r.quality for r in rs)
        flags = ", ".join(f"{k} {v}" for k, v in sorted(quality.items()))
        name = f"{sensor} {quantity}" if several else quantity
        out(f"  {name}: {len(raw)} readings {first.time.isoformat()} {first.value:g} {first.unit} "
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


def _in_lost_hour(r: Reading, result: ImportResult) -> bool:
    """True for a value imputed inside the hour a summer-time jump took out (never interpolated)."""
    return r.quality == "imputed" and any(
        j.forward and j.sensor == r.sensor and j.before < r.time < j.after for j in result.clock_jumps)


def _mapper(args: argparse.Namespace, hall: str) -> SensorMapper:
    """The source -> scene sensor mapper: ``--map`` pairs and the hall's scene, if one is found."""
    maps = parse_maps(args.map)
    folder = args.scene or scenes_dir() / hall
    sensors = None
    if args.scene is not None or (folder / "scene.toml").is_file():
        from simulation.scene import SceneError, load_scene

        try:
            scene = load_scene(folder)
        except SceneError as exc:
            raise ConfigError(f"--scene {folder}: {exc} | 场景无法加载") from None
        sensors = tuple(SceneSensor(s.id, s.names, s.quantities) for s in scene.sensors)
    return SensorMapper(sensors, maps, hall)


def _sources(result: ImportResult, out: Callable[[str], None], mapper: SensorMapper | None = None) -> None:
    """The mapping table: every source sensor, its rows and values, and where they go; a
    warning where a scene sensor receives a quantity the scene does not say it measures."""
    if result.wide:
        out(f"source sensors {result.sensor_column} / 源传感器（表头中的标号）:")
    else:
        out(f"source sensors in column {result.sensor_column!r} / 源传感器（列 {result.sensor_column!r}）:")
    width = max([len("source 源"), *(len(k) for k in result.sources)])
    out(f"  {'source 源':<{width}}  {'rows 行':>8}  {'values 值':>9}  -> {'sensor 传感器':<14} how 方式")
    for label, src in result.sources.items():
        out(f"  {label:<{width}}  {src.rows:>8}  {src.values:>9}  -> {src.sensor or '-':<14} {src.how}")
    for sensor in sorted({v.sensor for v in result.sources.values() if v.sensor}):
        extra = mapper.unexpected(sensor, {r.quantity for r in result.readings if r.sensor == sensor}) if mapper else []
        if extra:
            out(f"  warning 警告: scene sensor {sensor} does not list {', '.join(extra)}: check the mapping "
                f"/ 场景中传感器 {sensor} 不测量 {', '.join(extra)}：请核对映射")
    unmapped = [k for k, v in result.sources.items() if v.sensor is None]
    if unmapped:
        names = ", ".join(repr(k) for k in unmapped)
        where, where_zh = (("their columns are not imported", "其列未导入") if result.wide else
                           ("their rows go to quarantine", "其行进入隔离区"))
        out(f"  {len(unmapped)} source sensor(s) unmapped, {where}: {names}; "
            f"map them with --map SRC=DST / {len(unmapped)} 个源传感器未映射，{where_zh}：{names}；"
            f"请用 --map 源=传感器 映射")


def _quarantine_unreadable(sink: ReadingSink | None, path: Path, now: datetime, exc: LoggerFileError) -> None:
    """Report a file that cannot be read at all, and keep it raw in quarantine (not on a dry run)."""
    print(f"cannot import 无法导入: {exc}", file=sys.stderr)
    if sink is not None and path.is_file():
        try:
            raw = path.read_bytes()
            sink.add_rejections(_new_rejections(sink, [Rejection(str(path), raw, now, str(exc))]))
        except RelicTwinError as store_exc:
            print(f"quarantine failed 隔离失败: {store_exc}", file=sys.stderr)


def import_main(argv: list[str], open_sink: Callable[[str | None, Path], ReadingSink] | None = None,
                now: datetime | None = None) -> int:
    """Run ``relic-twin import``; 0 when imported, 1 when the file is unreadable or the store
    fails, 2 on a usage error. ``open_sink(db, data_dir)`` opens the store (injectable for tests);
    the database is :class:`bridge.config.Settings`' (``--db``, ``--data-dir``, the environment)."""
    args = _parser().parse_args(argv)
    settings = settings_from_args(args)
    now = now or datetime.now(UTC)
    path = args.file.resolve()
    open_sink = open_sink or _open_store
    sink = None
    try:
        if not args.dry_run:
            sink = open_sink(settings.database_url, settings.data_dir)
    except RelicTwinError as exc:
        print(f"relic-twin import: {exc}", file=sys.stderr)
        return 1
    try:  # --hall missing where several halls could be meant, or unknown; bad --map: usage
        hall = resolve_hall(args.hall, getattr(sink, "halls", list)())
        parse_maps(args.map)
    except RelicTwinError as exc:
        print(f"relic-twin import: {exc}", file=sys.stderr)
        return 2
    mappers: list[SensorMapper] = []

    def route(label: str) -> tuple[str | None, str]:  # the scene is loaded for long-format files only
        if not mappers:
            mappers.append(_mapper(args, hall))
        return mappers[0](label)

    try:
        result = read_logger_file(path, args.sensor or "", args.clock_offset or args.tz, now=now,
                                  sensor_column=args.sensor_column, route=route)
    except LoggerFileError as exc:
        _quarantine_unreadable(sink, path, now, exc)
        return 1
    except ConfigError as exc:  # a --scene that does not load, a --map to no sensor of the scene
        print(f"relic-twin import: {exc}", file=sys.stderr)
        return 2
    if result.sensor_column is None and args.map:
        print(f"relic-twin import: {path.name} names no sensor column, so --map has nothing to map "
              f"/ 文件没有传感器列，--map 无可映射", file=sys.stderr)
        return 2
    if result.sensor_column is None and not args.sensor:
        print(f"relic-twin import: {path.name} names no sensor column: give --sensor ID (or "
              f"--sensor-column NAME) / 文件没有传感器列：请用 --sensor 指定传感器编号", file=sys.stderr)
        return 2
    if result.sensor_column is not None and args.sensor:
        print(f"relic-twin import: {path.name} names its sensors in {result.sensor_column!r}: map "
              f"them with --map SRC={args.sensor} instead of --sensor / 文件在列 {result.sensor_column!r} "
              f"中列出传感器：请用 --map 源={args.sensor} 代替 --sensor", file=sys.stderr)
        return 2
    governed = govern(in_hall(result.readings, hall), GovernanceSettings(impute=args.impute), now)
    readings = [r for r in governed.readings if not _in_lost_hour(r, result)]
    rejections = result.rejections + governed.rejections
    _summary(result, readings, print)
    if result.sensor_column is not None:
        _sources(result, print, mappers[0] if mappers else None)
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
        return 1
    where = getattr(sink, "url", None) or settings.database
    sensors = args.sensor or ", ".join(sorted({s.sensor for s in result.sources.values() if s.sensor}))
    print(f"hall 展厅 {hall}, sensor 传感器 {sensors}: "
          f"stored {stored} new readings ({len(readings) - stored} already stored), "
          f"{quarantined} new rejections in {where} / 新写入 {stored} 条读数（{len(readings) - stored} 条已存在），"
          f"{quarantined} 条新隔离记录，数据库 {where}")
    return 0
