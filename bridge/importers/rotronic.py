"""Rotronic HygroLog exports (``.csv``, and the ``.xls`` that is really text).

Sections tagged ``[#I]`` (device description), ``[#S]`` (device
information), ``[#1]``, ``[#2]`` ... (one per channel: ``Humidity = %rh``,
alarm thresholds), ``[#H]`` (the header line follows) and ``[#D]`` (data
follows). Fields are separated by commas in the CSV and by tabs in the
"xls" (ISO-8859-1, CRLF); detection is by content, never by extension.
Dates are ``DD/MM/YYYY`` with the time in its own field, and humidity
comes *before* temperature.
"""

from __future__ import annotations

from bridge.importers import textio
from bridge.importers.columns import quantity_for_name
from bridge.importers.result import Collector, Column, file_error

FORMAT = "rotronic"
PREFERRED = ("%d/%m/%Y %H:%M:%S",)


def sniff(doc: textio.TextFile) -> bool:
    """True when line 1 opens the ``[#I]`` section."""
    return bool(doc.lines) and doc.lines[0].lstrip().startswith("[#I]")


def _sections(doc: textio.TextFile, sep: str) -> tuple[dict[str, str], int, int]:
    """Channel units by name, index of the header line, index of the first data line."""
    units: dict[str, str] = {}
    section, header, data = "", -1, -1
    for i, line in enumerate(doc.lines):
        first = textio.split_fields(line, sep)[0] if line.strip() else ""
        if first.startswith("[#"):
            section = first[: first.index("]") + 1] if "]" in first else first
            if section == "[#D]":
                data = i + 1
                break
            continue
        if section == "[#H]" and header < 0 and first:
            header = i
        elif section[2:3].isdigit() and "=" in first:
            key, _, value = first.partition("=")
            if "threshold" not in key.lower():
                units.setdefault(key.strip().lower(), value.strip())
    return units, header, data


def parse(c: Collector) -> None:
    """Fill ``c`` from a Rotronic export."""
    doc = c.doc
    sep = "\t" if "\t" in doc.lines[0] else ","
    units, h, d = _sections(doc, sep)
    if h < 0:
        raise file_error(doc, len(doc.lines) - 1, "Rotronic file without a [#H] header section",
                         "Rotronic 文件缺少 [#H] 表头段")
    if d < 0:
        raise file_error(doc, len(doc.lines) - 1, "Rotronic file without a [#D] data section",
                         "Rotronic 文件缺少 [#D] 数据段")
    header = textio.split_fields(doc.lines[h], sep)
    if len(header) < 3 or header[0].lower() != "date" or header[1].lower() != "time":
        raise file_error(doc, h, f"expected 'Date, Time, ...', found {header[:3]}",
                         f"表头应为 'Date, Time, ...'，实为 {header[:3]}")
    columns = []
    for j, name in enumerate(header[2:], start=2):
        quantity = quantity_for_name(name)
        if quantity is not None:
            columns.append(Column(j, quantity, units.get(name.lower())))
    rows = [(i, textio.split_fields(doc.lines[i], sep)) for i in range(d, len(doc.lines))
            if doc.lines[i].replace(sep, "").strip()]
    stamps = [" ".join(r[:2]) for _, r in rows]
    fmt = textio.guess_time_format(stamps[:50], PREFERRED) or PREFERRED[0]
    for (i, cells), stamp in zip(rows, stamps, strict=True):
        c.row(i, c.time(i, stamp, fmt), cells, columns)
