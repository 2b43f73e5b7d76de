"""Meaco receiver exports, old and new software.

- old: ``RECEIVER,TRANSMITTER,DATE,TEMPERATURE,HUMIDITY`` (or ``LUX,UV``),
  quoted strings, ``YYYY-MM-DD HH:MM``;
- new: line 1 ``"<site> - <location> - ID: 00"``, then
  ``Timestamp," Temperature"," Humidity"`` (or ``" LUX"," UV"``),
  ``DD/MM/YYYY HH:MM``.

Meaco headers carry no units. Meaco's radio transmitters report °C, %RH,
lux and UV as UV content in µW/lm (Meaco "Lux & UV transmitter" data
sheet); the importer assumes these and says so in a note.
"""

from __future__ import annotations

import re

from bridge.importers import textio
from bridge.importers.columns import parse_header
from bridge.importers.result import Collector, Column, file_error

FORMAT = "meaco"
_TITLE = re.compile(r'^"?.* - ID: *\d+"?\s*$')
PREFERRED_OLD = ("%Y-%m-%d %H:%M",)
PREFERRED_NEW = ("%d/%m/%Y %H:%M",)


def _is_old(doc: textio.TextFile) -> bool:
    return bool(doc.lines) and [f.upper() for f in textio.split_fields(doc.lines[0], ",")[:3]] == [
        "RECEIVER", "TRANSMITTER", "DATE"]


def _is_new(doc: textio.TextFile) -> bool:
    return (len(doc.lines) >= 2 and bool(_TITLE.match(doc.lines[0]))
            and doc.lines[1].lower().startswith("timestamp"))


def sniff(doc: textio.TextFile) -> bool:
    """True for either Meaco layout."""
    return _is_old(doc) or _is_new(doc)


def parse(c: Collector) -> None:
    """Fill ``c`` from a Meaco export."""
    doc = c.doc
    old = _is_old(doc)
    h, t, preferred = (0, 2, PREFERRED_OLD) if old else (1, 0, PREFERRED_NEW)
    columns = []
    for j, name in enumerate(textio.split_fields(doc.lines[h], ",")):
        if j <= t:
            continue
        quantity, unit = parse_header(name)
        if quantity is not None:
            columns.append(Column(j, quantity, unit))
    if not columns:
        raise file_error(doc, h, "Meaco header names no measured column", "Meaco 表头中没有测量列")
    c.note("Meaco headers carry no units: assumed " + ", ".join(col.quantity for col in columns)
           + " in canonical units (°C, %RH, lx, µW/lm)",
           "Meaco 表头无单位：按标准单位（°C、%RH、lx、µW/lm）读取")
    rows = [(i, textio.split_fields(doc.lines[i], ",")) for i in range(h + 1, len(doc.lines))
            if doc.lines[i].strip()]
    fmt = textio.guess_time_format([r[t] for _, r in rows[:50] if len(r) > t], preferred)
    for i, cells in rows:
        if len(cells) <= t:
            c.reject(i, f"row has {len(cells)} fields, no time", f"该行只有 {len(cells)} 个字段，缺少时间")
            continue
        c.row(i, c.time(i, cells[t], fmt or preferred[0]), cells, columns)
