"""Hanwell exports: the stand-alone logger file and the "Exported Sensor Data" file.

Layouts (samples ``Hanwell_1.csv`` and ``hanwell-long``):

- a preamble (``Database Valid``, ``Sensor:``, ``Data Starts:``,
  ``No. of Readings:`` ...) or (``Exported Sensor Data``, ``Date Start:``,
  sensor name);
- a header ``Time, Temperature (C),Humidity (RH(%)),`` or
  ``Date Time,Temperature (C),Humidity (%RH)``; units in parentheses;
- rows ``00:00:00 21/Nov/2025,18.5,40.5,`` (time first, month abbreviation,
  trailing comma) or ``2025-08-12 00:06:03,22.8,60.2``;
- the data block ends at the first blank line; a footer of summary rows
  (Average, Minimum ...) and ``---- END OF DATA ----`` follows and is not data.
"""

from __future__ import annotations

from bridge.importers import textio
from bridge.importers.columns import parse_header
from bridge.importers.result import Collector, Column, file_error

FORMAT = "hanwell"
TIME_HEADERS = ("time", "date time", "date/time", "datetime")
PREFERRED = ("%H:%M:%S %d/%b/%Y", "%Y-%m-%d %H:%M:%S")


def sniff(doc: textio.TextFile) -> bool:
    """True for a Hanwell preamble in the first 12 lines."""
    head = "\n".join(doc.lines[:12])
    return "Database Valid" in head or "Exported Sensor Data" in head


def _header_index(doc: textio.TextFile) -> int:
    for i, line in enumerate(doc.lines[:60]):
        fields = textio.split_fields(line, ",")
        if len(fields) >= 2 and fields[0].lower() in TIME_HEADERS:
            return i
    raise file_error(doc, 0, "Hanwell file without a 'Time,...' or 'Date Time,...' header",
                     "Hanwell 文件缺少 'Time,...' 或 'Date Time,...' 表头")


def parse(c: Collector) -> None:
    """Fill ``c`` from a Hanwell export."""
    doc = c.doc
    h = _header_index(doc)
    columns = []
    for j, name in enumerate(textio.split_fields(doc.lines[h], ",")[1:], start=1):
        quantity, unit = parse_header(name)
        if quantity is not None:
            columns.append(Column(j, quantity, unit))
    if not columns:
        raise file_error(doc, h, "header names no temperature or humidity column",
                         "表头中没有温度或湿度列")
    end = h + 1
    while end < len(doc.lines) and doc.lines[end].replace(",", "").strip():
        end += 1
    rows = [(i, textio.split_fields(doc.lines[i], ",")) for i in range(h + 1, end)]
    fmt = textio.guess_time_format([r[0] for _, r in rows[:50]], PREFERRED) or PREFERRED[0]
    _check_count(c, h, len(rows))
    for i, cells in rows:
        c.row(i, c.time(i, cells[0], fmt), cells, columns)


def _check_count(c: Collector, header: int, n: int) -> None:
    for line in c.doc.lines[:header]:
        fields = textio.split_fields(line, ",")
        if len(fields) >= 2 and fields[0].lower().startswith("no. of readings"):
            if fields[1].isdigit() and int(fields[1]) != n:
                c.note(f"preamble says {fields[1]} readings, the data block has {n} rows",
                       f"文件头写明 {fields[1]} 条读数，数据块有 {n} 行")
