"""Gemini Tinytag exports (Tinytag Explorer: TGU-4500, Tinytag Ultra).

Header rows ``,Time,1,2`` then ``S/N``, ``Type``, ``Description``,
``Property`` (``Temperature``, ``Humidity``), one column per channel; then
``n,YYYY-MM-DD HH:MM:SS,value,value``. Tinytag Explorer exports in °C and
%RH unless the user chose otherwise; the ``Type`` row may name the units
(``°C/%RH``); a value cell may carry its unit (``20.8 °C``).
"""

from __future__ import annotations

from bridge.importers import textio
from bridge.importers.columns import quantity_for_name
from bridge.importers.result import Collector, Column, file_error

FORMAT = "tinytag"
PREFERRED = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def sniff(doc: textio.TextFile) -> bool:
    """True for the ``S/N`` and ``Property`` header rows."""
    head = [textio.split_fields(s, ",")[:1] for s in doc.lines[:8]]
    firsts = [h[0] if h else "" for h in head]
    return "S/N" in firsts and "Property" in firsts


def parse(c: Collector) -> None:
    """Fill ``c`` from a Tinytag export."""
    doc = c.doc
    header_end, properties = 0, None
    for i, line in enumerate(doc.lines[:10]):
        fields = textio.split_fields(line, ",")
        if fields and fields[0] == "Property":
            properties = fields
            header_end = i + 1
    if properties is None:
        raise file_error(doc, 0, "Tinytag file without a 'Property' row", "Tinytag 文件缺少 'Property' 行")
    columns = [Column(j, q, None) for j, name in enumerate(properties) if j >= 2
               and (q := quantity_for_name(name)) is not None]
    if not columns:
        raise file_error(doc, header_end - 1, "'Property' row names no measured channel",
                         "'Property' 行中没有测量通道")
    rows = [(i, textio.split_fields(doc.lines[i], ",")) for i in range(header_end, len(doc.lines))
            if doc.lines[i].replace(",", "").strip()]
    fmt = textio.guess_time_format([r[1] for _, r in rows[:50] if len(r) > 1], PREFERRED)
    for i, cells in rows:
        c.row(i, c.time(i, cells[1] if len(cells) > 1 else "", fmt or PREFERRED[0]), cells, columns)
