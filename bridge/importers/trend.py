"""Trend BMS point exports (one point per file).

``Timestamp,P0025_[Archive 2 Space Temp 1]... [Synchronized@1800](°C)``:
a BOM, the point name with brackets, the unit in the final parentheses;
rows ``01-Sep-21 12:30:00 am,20.6`` (12-hour clock, two-digit year).
"""

from __future__ import annotations

from bridge.importers import textio
from bridge.importers.columns import parse_header
from bridge.importers.result import Collector, Column, file_error

FORMAT = "trend"
PREFERRED = ("%d-%b-%y %I:%M:%S %p", "%d-%b-%Y %I:%M:%S %p")


def sniff(doc: textio.TextFile) -> bool:
    """True for ``Timestamp,<point name with [brackets]>``."""
    if not doc.lines:
        return False
    fields = textio.split_fields(doc.lines[0], ",")
    return len(fields) == 2 and fields[0] == "Timestamp" and "[" in fields[1]


def parse(c: Collector) -> None:
    """Fill ``c`` from a Trend export."""
    doc = c.doc
    point = textio.split_fields(doc.lines[0], ",")[1]
    quantity, unit = parse_header(point)
    if quantity is None:
        raise file_error(doc, 0, f"Trend point {point!r} names no known quantity or unit",
                         f"Trend 点位 {point!r} 无法识别量或单位")
    columns = [Column(1, quantity, unit)]
    rows = [(i, textio.split_fields(doc.lines[i], ",")) for i in range(1, len(doc.lines))
            if doc.lines[i].replace(",", "").strip()]
    fmt = textio.guess_time_format([r[0] for _, r in rows[:50]], PREFERRED)
    for i, cells in rows:
        c.row(i, c.time(i, cells[0], fmt or PREFERRED[0]), cells, columns)
