"""Excel workbooks (``.xlsx``), and zip archives holding one text file, read as the
delimited text every importer understands.

A workbook is a zip (``PK\\x03\\x04``); :func:`read_workbook` opens it with
openpyxl (read-only, cached values, not formulas) and writes each row of the
first sheet holding data as one comma-separated line: dates as ISO 8601
(``2021-09-01 01:00:00``, the wall time the logger wrote), numbers in their
shortest exact form, empty cells empty. The family readers then work on those
lines unchanged, and a rejected row is kept in quarantine as its CSV line
(source ``book.xlsx:12``, the row number in the sheet).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from bridge.errors import LoggerFileError
from bridge.importers.textio import TextFile, split_lines

MAGIC = b"PK\x03\x04"


def is_workbook(path: Path | str) -> bool:
    """True when ``path`` is a zip holding an Excel workbook (``xl/workbook.xml``)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            if f.read(4) != MAGIC:
                return False
        with zipfile.ZipFile(p) as z:
            return "xl/workbook.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def single_member(path: Path | str) -> str | None:
    """The one text file (``.csv``/``.txt``/``.tsv``) inside a zip archive that is not a
    workbook (the Candanedo house record ships as ``energy_weather_temp.zip``); None otherwise."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            if f.read(4) != MAGIC:
                return None
        with zipfile.ZipFile(p) as z:
            names = [n for n in z.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
    except (OSError, zipfile.BadZipFile):
        return None
    if len(names) == 1 and names[0].lower().endswith((".csv", ".txt", ".tsv")):
        return names[0]
    return None


def read_member(path: Path | str, name: str) -> TextFile:
    """The text file ``name`` inside the zip ``path``, as a :class:`TextFile` (lines ``path:N``)."""
    p = Path(path)
    with zipfile.ZipFile(p) as z:
        raw = z.read(name)
    lines, raws, encoding = split_lines(raw)
    return TextFile(p, lines, raws, f"{encoding} ({name} in zip)")


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v).strip()


def read_workbook(path: Path | str) -> TextFile:
    """The first sheet with data of the workbook ``path``, as text lines (see the module doc).

    Raises :class:`LoggerFileError` (zh/en) when openpyxl cannot read it.
    """
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # only when a workbook is imported

    p = Path(path)
    try:
        book = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise LoggerFileError(f"{p}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}) | "
                              f"无法读取 .xlsx 工作簿") from exc
    try:
        for sheet in book.worksheets:
            lines = []
            for row in sheet.iter_rows(values_only=True):
                buf = io.StringIO()
                csv.writer(buf, lineterminator="").writerow([_cell(v) for v in row])
                lines.append(buf.getvalue())
            while lines and not lines[-1].replace(",", "").strip():
                lines.pop()
            if lines:
                raw = tuple(line.encode("utf-8") for line in lines)
                return TextFile(p, tuple(lines), raw, f"xlsx sheet {sheet.title!r}")
    finally:
        book.close()
    raise LoggerFileError(f"{p}:1: the workbook has no sheet with data | 工作簿中没有含数据的工作表")
