"""T&D TR-7 series exports (TR-74ui: illuminance, UV, temperature, humidity).

Three header rows: ``No.1..No.6``, channel names (``ch1``.. and
``Cumulative Illuminance``), units (``lx, mW/cm2, °C, %, lxh, W/cm2h``);
then rows ``"2021-08-21 08:06:00","44429.3375",values...``. Quoted or not,
with or without a leading empty column and trailing comma; the degree sign
may be Latin-1, UTF-8 or already mangled to U+FFFD.

Each channel's quantity comes from its unit. UV arrives as an irradiance
(mW/cm²) and becomes UV content in µW/lm with the illuminance of the same
row (CIE 157:2004; :func:`bridge.sensors.units.uv_content`); with no light
it has no UV content and is left out. Cumulative doses are skipped.
"""

from __future__ import annotations

from bridge.importers import textio
from bridge.importers.columns import clean_unit, quantity_for_name, quantity_for_unit
from bridge.importers.result import Collector, Column, file_error

FORMAT = "tandd"
PREFERRED = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")


def sniff(doc: textio.TextFile) -> bool:
    """True when line 1 holds ``Date/Time`` and ``No.1``."""
    if not doc.lines:
        return False
    fields = textio.split_fields(doc.lines[0], ",")
    return "Date/Time" in fields and "No.1" in fields


def parse(c: Collector) -> None:
    """Fill ``c`` from a T&D export."""
    doc = c.doc
    if len(doc.lines) < 3:
        raise file_error(doc, len(doc.lines) - 1, "T&D file shorter than its 3 header rows",
                         "T&D 文件不足 3 行表头")
    names = textio.split_fields(doc.lines[1], ",")
    unit_row = textio.split_fields(doc.lines[2], ",")
    numbers = textio.split_fields(doc.lines[0], ",")
    channels = [j for j, n in enumerate(numbers) if n.startswith("No.")]
    columns: list[Column] = []
    for j in channels:
        if j >= min(len(names), len(unit_row)):
            continue
        if not names[j] or (not names[j].lower().startswith("ch")
                            and quantity_for_name(names[j]) is None):
            continue
        unit = clean_unit(unit_row[j])
        quantity = quantity_for_unit(unit) if unit else None
        if quantity is not None:
            columns.append(Column(j, quantity, unit))
    if not columns:
        raise file_error(doc, 2, "T&D unit row names no known unit", "T&D 单位行中没有已知单位")
    lux = next((col.index for col in columns if col.quantity == "illuminance"), None)
    columns = [Column(col.index, col.quantity, col.unit, lux) for col in columns]
    if any(col.quantity == "uv" for col in columns):
        c.note("UV irradiance converted to UV content (µW/lm) with the same row's illuminance",
               "紫外辐照度已按同行照度换算为紫外含量（µW/lm）")
    rows = [(i, textio.split_fields(doc.lines[i], ",")) for i in range(3, len(doc.lines))
            if doc.lines[i].replace(",", "").replace('"', "").strip()]
    t = _time_index(rows, channels[0] if channels else 1)
    fmt = textio.guess_time_format([r[t] for _, r in rows[:50] if len(r) > t], PREFERRED)
    for i, cells in rows:
        c.row(i, c.time(i, cells[t] if len(cells) > t else "", fmt or PREFERRED[0]), cells, columns)


def _time_index(rows: list[tuple[int, list[str]]], before: int) -> int:
    """Column of the time text: the first cell before the channels that reads as a time.

    The header and the rows disagree in re-saved files (``TandD_2.csv``: the
    header has a leading empty column and one ``Date/Time``, the rows have
    the time text and the Excel serial); the rows decide.
    """
    for _, cells in rows[:5]:
        for k in range(min(before, len(cells))):
            if textio.guess_time_format([cells[k]], PREFERRED) in PREFERRED:
                return k
    return 0
