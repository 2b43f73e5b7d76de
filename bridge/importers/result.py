"""What an importer returns, and the one place rows become readings or rejections.

Every family module finds its header and columns, then hands each data row
to :meth:`Collector.row`. The checks live here once, so every format
rejects the same bad row with the same reason (``"english | 中文"``, the
team's convention from :mod:`bridge.sensors.message`):

- a time that does not match the file's layout, before 2000 or more than a
  day after the import (:data:`bridge.sensors.message.EARLIEST`,
  :data:`bridge.sensors.message.MAX_AHEAD`);
- the same instant twice for one quantity (a DST fold, or a repeated row);
- a value that is not a number; a value outside the quantity's physical
  range (``Quantity.contains``): kept raw in quarantine, never a reading.

An empty cell is a missing value, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bridge.errors import LoggerFileError
from bridge.importers import textio
from bridge.importers.clock import REFERENCE_ZONES, HourJump, hour_jumps
from bridge.importers.columns import clean_unit, is_unit_of
from bridge.readings import Reading, Rejection
from bridge.sensors import units
from bridge.sensors.message import EARLIEST, MAX_AHEAD
from simulation.quantities import QUANTITIES


@dataclass
class ImportResult:
    """Readings and rejections read from one logger file.

    path : the file; format : family detected (``"hanwell"``, ``"trend"``, ...)
    sensor : sensor id given by the user; encoding : ``utf-8-sig`` or ``latin-1``
    readings : canonical units, UTC times, file order
    rejections : one per bad row or field, source ``"path:line"``
    notes : things a person should know (assumed units, skipped columns), en | zh
    sensor_column : header of the column naming each row's sensor (long format), or None
    sources : per source sensor label of a long-format file, what was read and where it went
    wide : True when the labels come from the headers (``T1, RH_1``), not from a sensor column
    clock_jumps : where a sensor's times jump by an hour (summer time; :mod:`bridge.importers.clock`)
    """

    path: Path
    format: str
    sensor: str
    encoding: str
    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sensor_column: str | None = None
    sources: dict[str, SourceSensor] = field(default_factory=dict)
    wide: bool = False
    clock_jumps: list[HourJump] = field(default_factory=list)


@dataclass
class SourceSensor:
    """One sensor named in a long-format file's sensor column.

    label : as written in the file; sensor : the scene sensor it maps to (None: unmapped)
    how : how the sensor was chosen (``"id"``, ``"--map"`` ...) or why none was, en | zh
    rows : data rows naming it; values : readings kept from those rows
    """

    label: str
    sensor: str | None
    how: str = ""
    rows: int = 0
    values: int = 0


Route = Callable[[str], tuple[str | None, str]]
"""Source sensor label -> (sensor id or None, how it was chosen or why not): a
:class:`bridge.importers.sensor_map.SensorMapper`."""


def _same_label(label: str) -> tuple[str | None, str]:
    return label, "as written | 原样"


@dataclass(frozen=True)
class Column:
    """One measured column: its index in a row, quantity, and unit as written.

    unit None means the canonical unit. For UV given as an irradiance,
    ``lux_index`` is the column of the illuminance measured with it.
    """

    index: int
    quantity: str
    unit: str | None
    lux_index: int | None = None


def file_error(doc: textio.TextFile, index: int, en: str, zh: str) -> LoggerFileError:
    """A :class:`LoggerFileError` naming ``path:line`` (``index`` is 0-based)."""
    return LoggerFileError(f"{doc.where(index)}: {en} | {zh}")


class Collector:
    """Builds an :class:`ImportResult` row by row."""

    def __init__(self, doc: textio.TextFile, fmt: str, sensor: str, tz: ZoneInfo | timezone,
                 now: datetime | None = None, route: Route | None = None,
                 sensor_column: str | None = None) -> None:
        self.doc = doc
        self.route: Route = route or _same_label
        self.sensor_column = sensor_column
        self.tz = tz
        self.now = now or datetime.now(UTC)
        self.result = ImportResult(doc.path, fmt, sensor, doc.encoding)
        self._seen: set[tuple[str, str, datetime]] = set()
        self._last_wall: datetime | None = None
        self._second_pass = False
        self.instants: dict[str, list[datetime]] = {}  # per sensor, every row's time in file order

    def note(self, en: str, zh: str) -> None:
        """Record a note for the user."""
        self.result.notes.append(f"{en} | {zh}")

    def check_clock(self) -> None:
        """Warn where a sensor's times jump by an hour (see :mod:`bridge.importers.clock`)."""
        zones = (self.tz.key,) if isinstance(self.tz, ZoneInfo) else ()
        together: dict[tuple[datetime, datetime], list[HourJump]] = {}
        for sensor, times in self.instants.items():
            for jump in hour_jumps(sensor, times, (*zones, *REFERENCE_ZONES)):
                self.result.clock_jumps.append(jump)
                together.setdefault((jump.before, jump.after), []).append(jump)
        for jumps in together.values():  # one warning for the sensors that jump together
            names = ", ".join(j.sensor for j in jumps)
            self.result.notes.append(replace(jumps[0], sensor=names).message(self.tz))

    def reject(self, index: int, en: str, zh: str) -> None:
        """Quarantine line ``index`` (0-based) raw, with a reason."""
        self.result.rejections.append(Rejection(
            source=self.doc.where(index), payload=self.doc.raw[index],
            received_at=self.now, reason=f"{en} | {zh}"))

    def time(self, index: int, text: str, fmt: str) -> datetime | None:
        """UTC instant of the time cell ``text``; rejects the row and returns None if bad."""
        try:
            when = textio.to_utc(self._fold(textio.parse_time(text, fmt)), self.tz)
        except (ValueError, OverflowError) as exc:
            self.reject(index, f"{exc}", f"时间 {text!r} 不符合格式 {fmt!r}")
            return None
        if when < EARLIEST or when > self.now + MAX_AHEAD:
            self.reject(index, f"time {when.isoformat()} is before 2000 or in the future",
                        f"时间 {when.isoformat()} 早于 2000 年或在未来")
            return None
        return when

    def _fold(self, naive: datetime) -> datetime:
        """``naive`` with PEP 495 ``fold`` set for the repeated hour when clocks go back.

        A logger on local time writes 01:00, 01:30, 01:00, 01:30, 02:00 on the
        night summer time ends. A wall time that goes backwards inside the
        ambiguous hour starts the second pass (``fold=1``), which lasts until
        the wall time leaves the ambiguous hour.
        """
        if naive.tzinfo is not None:
            return naive
        first = naive.replace(tzinfo=self.tz, fold=0).utcoffset()
        second = naive.replace(tzinfo=self.tz, fold=1).utcoffset()
        if first == second:
            self._second_pass = False
        elif self._last_wall is not None and naive < self._last_wall:
            self._second_pass = True
        self._last_wall = naive
        return naive.replace(fold=1) if self._second_pass and first != second else naive

    def row(self, index: int, when: datetime | None, cells: list[str], columns: list[Column],
            decimal_comma: bool = False, sensor: str | None = None) -> int:
        """Turn the cells of one data row into readings (or rejections) of ``sensor``
        (default: the file's one sensor, :attr:`ImportResult.sensor`); the number of readings."""
        if when is None:
            return 0
        added = 0
        sensor = self.result.sensor if sensor is None else sensor
        self.instants.setdefault(sensor, []).append(when)
        values: dict[int, float | None] = {}
        for col in columns:
            text = cells[col.index] if col.index < len(cells) else ""
            try:
                values[col.index] = textio.parse_number(text, decimal_comma)
            except ValueError:
                values[col.index] = None
                self.reject(index, f"{col.quantity}: {text!r} is not a number",
                            f"{col.quantity}：{text!r} 不是数值")
        for col in columns:
            value = values[col.index]
            if value is None:
                continue
            if col.unit is None:  # a unit written in the cell ("20.8 °C") decides
                cell_unit = textio.number_unit(cells[col.index])
                if cell_unit and is_unit_of(col.quantity, cell_unit):
                    col = Column(col.index, col.quantity, cell_unit, col.lux_index)
            canonical = self._canonical(index, col, value, values)
            if canonical is not None:
                added += self._add(index, sensor, col.quantity, when, canonical)
        return added

    def source_row(self, index: int, when: datetime | None, cells: list[str], columns: list[Column],
                   label: str, decimal_comma: bool = False, quarantine: bool = True) -> None:
        """One row of a long-format file: its readings belong to the sensor ``label`` maps to
        (:attr:`route`); a row naming no sensor, or an unmapped one, is quarantined whole
        (``quarantine=False``: a wide file's row, shared by sensors, is only counted)."""
        column = self.result.sensor_column
        if not label:
            self.reject(index, f"no sensor named in column {column!r}", f"列 {column!r} 中没有传感器名")
            return
        src = self.result.sources.get(label)
        if src is None:
            sensor, how = self.route(label)
            src = self.result.sources[label] = SourceSensor(label, sensor, how)
        src.rows += 1
        if src.sensor is None and not quarantine:
            return
        if src.sensor is None:
            self.reject(index, f"source sensor {label!r} (column {column}) maps to no scene sensor",
                        f"源传感器 {label!r}（列 {column}）未映射到场景传感器")
            return
        src.values += self.row(index, when, cells, columns, decimal_comma, sensor=src.sensor)

    def _canonical(self, index: int, col: Column, value: float,
                   values: dict[int, float | None]) -> float | None:
        unit = clean_unit(col.unit) if col.unit else None
        if col.quantity == "uv" and unit and units.is_irradiance(unit):
            lux = values.get(col.lux_index) if col.lux_index is not None else None
            if lux is None or lux <= 0:
                if value != 0:
                    self.reject(index, f"uv: {value:g} {unit} cannot become µW/lm without light "
                                f"(illuminance {lux} lx)",
                                f"uv：照度为 {lux} lx 时无法把 {value:g} {unit} 换算为 µW/lm")
                return None
            return units.uv_content(value, unit, lux)
        try:
            return units.to_canonical(col.quantity, value, unit)
        except KeyError:
            self.reject(index, f"{col.quantity}: unit {unit!r} is not known",
                        f"{col.quantity}：未知单位 {unit!r}")
            return None

    def _add(self, index: int, sensor: str, quantity: str, when: datetime, value: float) -> bool:
        q = QUANTITIES[quantity]
        if not math.isfinite(value) or not q.contains(value):
            self.reject(index, f"{quantity}: {value:g} {q.unit} is outside the physical range "
                        f"({q.low:g} to {q.high:g} {q.unit})",
                        f"{quantity}：{value:g} {q.unit} 超出物理范围（{q.low:g} 至 {q.high:g}）")
            return False
        key = (sensor, quantity, when)
        if key in self._seen:
            self.reject(index, f"{quantity}: a second value at {when.isoformat()}",
                        f"{quantity}：{when.isoformat()} 已有数值，重复")
            return False
        self._seen.add(key)
        self.result.readings.append(Reading(sensor, quantity, when, value, q.unit))
        return True
