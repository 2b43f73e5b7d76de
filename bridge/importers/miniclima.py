"""miniClima showcase humidity controller exports.

``date,time;T/°C;RH/%;set/%;alarmMin/%;alarmMax/%;timediffernce``: a comma
between date and time, semicolons elsewhere, a trailing semicolon,
``DD.MM.YY``. The setpoint and alarm band are settings of the controller,
not measurements, and are skipped (noted).
"""

from __future__ import annotations

from bridge.importers import textio
from bridge.importers.columns import parse_header
from bridge.importers.result import Collector, Column, file_error

FORMAT = "miniclima"
PREFERRED = ("%d.%m.%y %H:%M:%S", "%d.%m.%Y %H:%M:%S")


def sniff(doc: textio.TextFile) -> bool:
    """True for the ``date,time;`` header."""
    return bool(doc.lines) and doc.lines[0].replace(" ", "").lower().startswith("date,time;")


def parse(c: Collector) -> None:
    """Fill ``c`` from a miniClima export."""
    doc = c.doc
    header = textio.split_fields(doc.lines[0], ";")
    columns, skipped = [], []
    for j, name in enumerate(header[1:], start=1):
        quantity, unit = parse_header(name)
        if quantity is not None:
            columns.append(Column(j, quantity, unit))
        elif name:
            skipped.append(name)
    if not columns:
        raise file_error(doc, 0, "miniClima header names no measured column",
                         "miniClima 表头中没有测量列")
    if skipped:
        c.note(f"skipped controller settings: {', '.join(skipped)}",
               f"跳过控制器设定列：{', '.join(skipped)}")
    rows = [(i, textio.split_fields(doc.lines[i], ";")) for i in range(1, len(doc.lines))
            if doc.lines[i].replace(";", "").strip()]
    fmt = textio.guess_time_format([r[0].replace(",", " ") for _, r in rows[:50]], PREFERRED)
    for i, cells in rows:
        when = c.time(i, cells[0].replace(",", " "), fmt or PREFERRED[0])
        c.row(i, when, cells, columns, decimal_comma=True)
