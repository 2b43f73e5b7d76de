"""Any delimited text with a time column and measured columns named in a header.

The header is the first line (of the first 20) with a field that names a
time (``time``, ``date``, ``timestamp``, ``datetime``, ``时间`` ...), in any
position; a ``date`` column followed by a ``time`` column is read as one
instant.
Measured columns are recognised by name, units come from the header
(``temperature (°F)``, ``RH/%``, ``CO2 [ppm]``); a column without a unit is
taken in the canonical unit (noted). The separator is sniffed (``, ; tab |``);
with ``;``, tab or ``|`` a decimal comma is accepted. The time layout is the
one that reads every row (ISO 8601 with an offset keeps its offset; day-first
is assumed when day and month cannot be told apart, and noted).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.importers import textio
from bridge.importers.columns import parse_header
from bridge.importers.long_format import find_sensor_column, hidden_sensor_column, wide_columns
from bridge.importers.result import Collector, Column, file_error

FORMAT = "generic_csv"
TIME_NAMES = ("time", "date", "timestamp", "datetime", "date/time", "date time", "time (utc)",
              "unix", "unixtime", "unix_time", "unix time", "epoch", "ts", "timestamp_ms", "time_ms",
              "epoch_ms", "timestamp (ms)", "timestamp (s)", "zeit", "datum", "时间", "日期", "时间戳")


def _header(doc: textio.TextFile) -> tuple[int, list[int]] | None:
    """Header line index and the time column(s): ``[j]``, or ``[date, time]``."""
    for i, line in enumerate(doc.lines[:20]):
        fields = [f.lower() for f in textio.split_fields(line, textio.sniff_separator([line]))]
        if len(fields) < 2:
            continue
        for j, name in enumerate(fields):
            if name in TIME_NAMES:
                if name == "date" and j + 1 < len(fields) and fields[j + 1] == "time":
                    return i, [j, j + 1]
                return i, [j]
    return None


def sniff(doc: textio.TextFile) -> bool:
    """True when a header with a time column opens the file."""
    return _header(doc) is not None


def parse(c: Collector) -> None:
    """Fill ``c`` from a delimited text file."""
    doc = c.doc
    found = _header(doc)
    if found is None:
        raise file_error(doc, 0, "no header with a time column in the first 20 lines",
                         "前 20 行中没有含时间列的表头")
    h, tcols = found
    sep = textio.sniff_separator(doc.lines[h:h + 20])
    header = textio.split_fields(doc.lines[h], sep)
    rows = [(i, textio.split_fields(doc.lines[i], sep)) for i in range(h + 1, len(doc.lines))
            if doc.lines[i].replace(sep, "").strip()]
    if rows and all(len(r) == len(header) + 1 for _, r in rows[:50]):
        # R's write.csv: each row starts with its row name, which the header does not name
        header = ["", *header]
        tcols = [j + 1 for j in tcols]
        c.note("the first field of each row is a row name (R's write.csv): skipped",
               "每行第一个字段是行名（R 的 write.csv）：已跳过")
    scol = find_sensor_column(doc, h, header, [r for _, r in rows], c.sensor_column)
    wide = wide_columns(header, set(tcols)) if scol is None else {}
    if wide:
        c.result.sensor_column = "(labels in the headers: " + ", ".join(wide) + ")"
        c.result.wide = True
        _parse_wide(c, h, header, tcols, rows, wide, sep)
        return
    columns, bare = [], []
    for j, name in enumerate(header):
        if j in tcols or j == scol:
            continue
        quantity, unit = parse_header(name)
        if quantity is not None:
            columns.append(Column(j, quantity, unit))
            if unit is None:
                bare.append(name)
    if not columns:
        raise file_error(doc, h, f"header {header} names no measured column",
                         f"表头 {header} 中没有可识别的测量列")
    if bare:
        c.note(f"no unit in header for {', '.join(bare)}: canonical units assumed",
               f"表头未给出 {', '.join(bare)} 的单位：按标准单位读取")
    fmt = _time_format(c, h, [_stamp(r, tcols) for _, r in rows])
    if scol is None:
        walls = [_wall(_stamp(r, tcols), fmt) for _, r in rows]
        hidden = hidden_sensor_column(header, [r for _, r in rows], walls, {*tcols, *(col.index for col in columns)})
        if hidden is not None:
            raise file_error(doc, h, f"times repeat or go back while column {hidden!r} changes: several "
                             f"sensors in one file? give --sensor-column {hidden!r}",
                             f"时间重复或倒退且列 {hidden!r} 随之改变：文件含多个传感器？请用 "
                             f"--sensor-column {hidden!r}")
    else:
        c.result.sensor_column = header[scol]
    for i, cells in rows:
        stamp = _stamp(cells, tcols)
        if scol is None:
            c.row(i, c.time(i, stamp, fmt), cells, columns, decimal_comma=sep != ",")
        else:
            label = cells[scol] if scol < len(cells) else ""
            c.source_row(i, c.time(i, stamp, fmt), cells, columns, label, decimal_comma=sep != ",")


def _stamp(cells: list[str], tcols: list[int]) -> str:
    return " ".join(cells[j] for j in tcols if j < len(cells))


def _time_format(c: Collector, h: int, stamps: list[str]) -> str:
    """The layout of the time column (Unix seconds or milliseconds, or a date layout), noted."""
    try:
        fmt = textio.epoch_format(stamps) or textio.guess_time_format(stamps) or "iso"
    except ValueError as exc:
        en, _, zh = str(exc).partition(" | ")
        raise file_error(c.doc, h + 1, en, zh) from None
    if fmt == "excel_days":
        c.note("times read as Excel day numbers (wall-clock time of the logger's zone)",
               "时间按 Excel 日序数（记录仪时区的本地时间）读取")
    if fmt in textio.EPOCH_RANGES:
        c.note(f"times read as Unix time in {'milliseconds' if fmt == 'epoch_ms' else 'seconds'} (UTC)",
               f"时间按{'毫秒' if fmt == 'epoch_ms' else '秒'}级 Unix 时间（UTC）读取")
    if textio.day_month_ambiguous(stamps, fmt):
        c.note("dates read day-first (DD/MM); month-first would also fit every row",
               "日期按日/月（DD/MM）读取；按月/日读取也能解析所有行")
    return fmt


def _parse_wide(c: Collector, h: int, header: list[str], tcols: list[int], rows: list[tuple[int, list[str]]],
                wide: dict[str, list[tuple[int, str, str | None]]], sep: str) -> None:
    """A wide file: each row holds every sensor's values, each label's columns its own sensor's.

    A label that maps to no scene sensor is counted in the table and its values left in the
    file (the row is shared, so it is not quarantined for that label)."""
    labelled = {j for cols in wide.values() for j, _, _ in cols}
    other = [name for j, name in enumerate(header)
             if j not in labelled and j not in tcols and parse_header(name)[0] is not None]
    if other:
        c.note(f"measured columns without a sensor label skipped: {', '.join(other)}",
               f"未标明传感器的测量列已跳过：{', '.join(other)}")
    fmt = _time_format(c, h, [_stamp(r, tcols) for _, r in rows])
    columns = {label: [Column(j, q, u) for j, q, u in cols] for label, cols in wide.items()}
    for i, cells in rows:
        when = c.time(i, _stamp(cells, tcols), fmt)
        for label, cols in columns.items():
            if any(col.index < len(cells) and cells[col.index].strip() not in ("", "NA", "NaN")
                   for col in cols):
                c.source_row(i, when, cells, cols, label, decimal_comma=sep != ",", quarantine=False)


def _wall(stamp: str, fmt: str) -> datetime | None:
    """The time ``stamp`` names (as UTC when it carries an offset), or None if unreadable."""
    try:
        t = textio.parse_time(stamp, fmt)
    except ValueError:
        return None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t
