"""Logger-file importers: one module per logger family, detected by content.

``read_logger_file(path, sensor_id, tz="UTC")`` reads an export from a
Hanwell, Meaco, miniClima, Rotronic, T&D, Tinytag or Trend logger, or any
delimited text with a time column, and returns an :class:`ImportResult`:
readings in canonical units (:mod:`simulation.quantities`) at UTC instants,
and rejections (``source="path:line"``, raw line, reason) for rows that
cannot be read or are physically impossible.

The file's extension is ignored (a Rotronic ``.xls`` is tab-separated
text); an Excel ``.xlsx`` workbook is recognised by content and read as text
lines (:mod:`bridge.importers.xlsx`). Loggers write local time without an offset: ``tz`` names the zone
they were set to, and times are converted to UTC.

Errors: :class:`bridge.errors.LoggerFileError` (message ``path:line: reason``)
when the file cannot be read at all: unknown layout, missing header, no data.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import ModuleType

from bridge.errors import LoggerFileError
from bridge.importers import (
    generic_csv,
    hanwell,
    meaco,
    miniclima,
    rotronic,
    tandd,
    textio,
    tinytag,
    trend,
    xlsx,
)
from bridge.importers.result import Collector, ImportResult, Route, file_error

__all__ = ["FAMILIES", "ImportResult", "LoggerFileError", "detect", "read_logger_file"]

FAMILIES: tuple[ModuleType, ...] = (hanwell, meaco, miniclima, rotronic, tandd, tinytag, trend,
                                    generic_csv)
"""Family modules in detection order; the generic reader comes last."""


def detect(doc: textio.TextFile) -> ModuleType:
    """The family module that recognises ``doc``; ``LoggerFileError`` naming line 1 if none."""
    for family in FAMILIES:
        if family.sniff(doc):
            return family
    raise file_error(doc, 0, "unknown logger format: no known preamble and no header with a "
                     "time column", "未知的记录仪格式：没有已知的文件头，也没有含时间列的表头")


def read_logger_file(path: Path | str, sensor_id: str, tz: str = "UTC",
                     now: datetime | None = None, sensor_column: str | None = None,
                     route: Route | None = None) -> ImportResult:
    """Read one logger export.

    path : the file; sensor_id : the sensor the readings belong to (a one-sensor file)
    tz : IANA zone the logger's clock was set to (``Europe/London``), or a fixed offset
        (``+08:00``) for a clock that ignores summer time; default UTC
    now : the import instant (rejections' ``received_at``, the future-time check); default now
    sensor_column : header of the column naming each row's sensor (long format); found
        from the header when None (:mod:`bridge.importers.long_format`)
    route : source sensor label -> (sensor id or None, how): where each source sensor's
        rows go (:class:`bridge.importers.sensor_map.SensorMapper`); default the label itself
    """
    try:
        zone = textio.zone(tz)
    except ValueError as exc:
        raise LoggerFileError(f"{exc} | 未知时区 {tz!r}") from None
    try:
        member = xlsx.single_member(path)
        doc = (xlsx.read_workbook(path) if xlsx.is_workbook(path) else
               xlsx.read_member(path, member) if member else textio.read_text(path))
    except OSError as exc:
        raise LoggerFileError(f"{path}: cannot read ({exc.strerror}) | 无法读取文件") from exc
    if not any(line.strip() for line in doc.lines):
        raise LoggerFileError(f"{path}:1: file is empty | 文件为空")
    family = detect(doc)
    collector = Collector(doc, family.FORMAT, sensor_id, zone, now, route, sensor_column)
    family.parse(collector)
    collector.check_clock()
    result = collector.result
    if not result.readings and not result.rejections:
        raise file_error(doc, len(doc.lines) - 1, f"{family.FORMAT} file has no data rows",
                         f"{family.FORMAT} 文件没有数据行")
    return result
