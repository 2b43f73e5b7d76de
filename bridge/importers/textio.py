"""Reading a logger export as text: encoding, lines, separators, dates, numbers.

Logger software writes text in whatever its Windows locale held: UTF-8 with
or without a byte-order mark, or Latin-1 (a bare 0xB0 for the degree sign).
:func:`read_text` tries ``utf-8-sig`` strictly and falls back to
``latin-1``, which cannot fail (every byte is a character); the advice comes
from the samples' SOURCE.md.

Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), never with
``str.splitlines``: Latin-1 byte 0x85 decodes to NEL, which ``splitlines``
would take for a line end, and the raw line bytes kept for quarantine must
stay aligned with the text lines.

Local time: loggers write wall-clock time without an offset. The importer
takes the zone from the user (``--tz``, default UTC) and
:func:`to_utc` attaches it and converts. An ambiguous wall time in the
autumn DST fold resolves by its ``fold`` attribute (PEP 495); the importer
sets it when the wall clock goes back (see ``result.Collector``).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SEPARATORS = (",", ";", "\t", "|")
"""Field separators tried by :func:`sniff_separator`, most common first."""

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)?$")


@dataclass(frozen=True)
class TextFile:
    """A logger file as text lines, with the raw bytes of each line.

    path : where it was read from
    lines : text lines without line ends; ``lines[0]`` is line 1
    raw : the same lines as raw bytes (for quarantine), same length
    encoding : ``"utf-8-sig"`` or ``"latin-1"``
    """

    path: Path
    lines: tuple[str, ...]
    raw: tuple[bytes, ...]
    encoding: str

    def where(self, index: int) -> str:
        """``"path:line"`` for the 0-based line ``index``."""
        return f"{self.path}:{index + 1}"


def decode(raw: bytes) -> tuple[str, str]:
    """Text of ``raw`` and the encoding that decoded it (utf-8-sig, else latin-1)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def split_lines(raw: bytes) -> tuple[tuple[str, ...], tuple[bytes, ...], str]:
    """Decoded lines, raw lines and encoding; a final empty line is dropped."""
    text, encoding = decode(raw)
    lines = [s[:-1] if s.endswith("\r") else s for s in text.split("\n")]
    raws = [b[:-1] if b.endswith(b"\r") else b for b in raw.split(b"\n")]
    if raws and raws[0].startswith(b"\xef\xbb\xbf"):
        raws[0] = raws[0][3:]
    if lines and lines[-1] == "":
        lines.pop()
        raws.pop()
    return tuple(lines), tuple(raws), encoding


def read_text(path: Path | str) -> TextFile:
    """Read ``path`` as a :class:`TextFile`."""
    p = Path(path)
    lines, raws, encoding = split_lines(p.read_bytes())
    return TextFile(p, lines, raws, encoding)


def split_fields(line: str, sep: str) -> list[str]:
    """Fields of one CSV line, quotes removed, surrounding spaces stripped.

    A line the csv module refuses (a stray carriage return, a NUL byte) is
    split plainly on ``sep``, so that its row is judged, not the file.
    """
    try:
        row = next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        row = [f.strip('"') for f in line.replace("\r", " ").replace("\x00", " ").split(sep)]
    return [f.strip() for f in row]


def sniff_separator(lines: list[str] | tuple[str, ...]) -> str:
    """The separator that splits ``lines`` into the same number (>= 2) of fields most often.

    Ties go to the earlier entry of :data:`SEPARATORS`. ``,`` when none splits.
    """
    best, best_score = ",", 0
    for sep in SEPARATORS:
        counts = [len(split_fields(s, sep)) for s in lines if s.strip()]
        counts = [c for c in counts if c >= 2]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode)
        if score > best_score:
            best, best_score = sep, score
    return best


def number_unit(text: str) -> str | None:
    """The unit written after a number in a cell (``"20.8 °C"`` -> ``"°C"``), or None."""
    m = _NUMBER.match(text.strip())
    return m.group(2).strip() if m and m.group(2) else None


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """The number at the start of ``text`` (a unit may follow); ``None`` if empty.

    ``decimal_comma`` reads ``21,5`` as 21.5 (files separated by ``;``).
    Raises ``ValueError`` when ``text`` is not empty and not a number.
    """
    s = text.strip()
    if s == "" or s.upper() in ("NA", "NAN", "-", "--"):
        return None
    m = _NUMBER.match(s)
    if m is None:
        raise ValueError(f"{text!r} is not a number")
    num = m.group(1)
    if "," in num:
        if not decimal_comma:
            raise ValueError(f"{text!r} is not a number")
        num = num.replace(",", ".")
    return float(num)


# Date layouts met in the samples and in common spreadsheets. Order matters
# for ambiguous day/month strings: day-first is tried before month-first,
# because every logger family in the samples that writes slashes is
# European (Rotronic, Meaco, Hanwell); see guess_time_format.
TIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M:%S",
    "%d-%b-%y %I:%M:%S %p",
    "%d-%b-%Y %H:%M:%S",
    "%H:%M:%S %d/%b/%Y",
)


# Unix epoch instants told apart by magnitude: a logger's readings lie between 2000 and 2100.
# Seconds then run 946 684 800 .. 4 102 444 800, milliseconds 1000 times that; the ranges do not
# overlap, so the magnitude decides. A number in neither (an elapsed count, YYYYMMDD) is refused.
EPOCH_RANGES: dict[str, tuple[float, float]] = {
    "epoch_s": (946_684_800.0, 4_102_444_800.0),
    "epoch_ms": (946_684_800_000.0, 4_102_444_800_000.0),
}
EXCEL_DAYS = (36526.0, 73051.0)
"""Excel serial day numbers of 2000-01-01 and 2100-01-01 (1900 date system, day 0 = 1899-12-30):
a spreadsheet's date cell saved as a number. Wall-clock time, like any spreadsheet date."""
EXCEL_DAY_0 = datetime(1899, 12, 30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d*)?$")


def epoch_format(samples: list[str]) -> str | None:
    """``"epoch_s"``, ``"epoch_ms"`` or ``"excel_days"`` when every sample is a plain number of
    that magnitude; None when some sample is not a plain number (not an epoch column).

    Raises ``ValueError`` (en | zh) when the numbers are epoch neither in seconds nor in
    milliseconds between 2000 and 2100, or mix the two.
    """
    samples = [s.strip() for s in samples if s.strip()]
    if not samples or not all(_PLAIN_NUMBER.match(s) for s in samples):
        return None
    units = set()
    for s in samples:
        v = float(s)
        unit = next((u for u, (lo, hi) in EPOCH_RANGES.items() if lo <= v < hi), None)
        if unit is None and EXCEL_DAYS[0] <= v < EXCEL_DAYS[1]:
            unit = "excel_days"
        if unit is None:
            raise ValueError(f"time {s!r} is a number but not Unix time in seconds (946684800–4102444800) "
                             f"or milliseconds (946684800000–4102444800000) or an Excel day number "
                             f"(36526–73051), years 2000–2100: cannot tell "
                             f"when it was | 时间 {s!r} 是数字，但既不是秒级也不是毫秒级 Unix 时间（2000–2100 年），"
                             f"无法判断时刻")
        units.add(unit)
    if len(units) > 1:
        raise ValueError("the time column mixes Unix seconds, milliseconds or Excel day numbers: "
                         "ambiguous | 时间列混有秒级、毫秒级 Unix 时间或 Excel 日序数，无法确定")
    return units.pop()


def parse_time(text: str, fmt: str) -> datetime:
    """Naive wall-clock time from ``text`` in ``fmt``; ``"iso"`` accepts ISO 8601 with offset;
    ``"epoch_s"`` / ``"epoch_ms"`` give an aware UTC instant (Unix time knows no zone).

    Raises ``ValueError`` naming the text and the expected layout.
    """
    s = " ".join(text.split())
    try:
        if fmt == "excel_days":
            v = float(s) if _PLAIN_NUMBER.match(s) else math.nan
            if not EXCEL_DAYS[0] <= v < EXCEL_DAYS[1]:
                raise ValueError
            return EXCEL_DAY_0 + timedelta(days=v)
        if fmt in EPOCH_RANGES:
            lo, hi = EPOCH_RANGES[fmt]
            v = float(s) if _PLAIN_NUMBER.match(s) else math.nan
            if not lo <= v < hi:
                raise ValueError
            if fmt == "epoch_ms":
                return EPOCH + timedelta(milliseconds=v)
            return EPOCH + timedelta(seconds=v)
        if fmt == "iso":
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        return datetime.strptime(s, fmt)
    except ValueError:
        raise ValueError(f"time {text!r} does not match {fmt!r}") from None


def guess_time_format(samples: list[str], preferred: tuple[str, ...] = ()) -> str | None:
    """The layout that reads the most ``samples``: ``preferred`` first, then :data:`TIME_FORMATS`.

    The first layout that reads every sample wins; day-first layouts come
    before month-first ones, so ``03/04/2025`` reads as 3 April unless some
    sample (``04/13/2025``) rules day-first out. If none reads them all, the
    one reading most wins (the rows it cannot read are rejected later);
    ``None`` when none reads any.
    """
    samples = [s for s in samples if s.strip()]
    best, best_count = None, 0
    for fmt in (*preferred, *TIME_FORMATS, "iso"):
        count = 0
        for s in samples:
            try:
                parse_time(s, fmt)
            except ValueError:
                continue
            count += 1
        if count == len(samples) and count:
            return fmt
        if count > best_count:
            best, best_count = fmt, count
    return best


def day_month_ambiguous(samples: list[str], fmt: str) -> bool:
    """True when ``fmt`` is day-first and the month-first layout reads every sample too."""
    if not fmt.startswith("%d/%m"):
        return False
    other = "%m/%d" + fmt[5:]
    try:
        for s in samples:
            if s.strip():
                parse_time(s, other)
    except ValueError:
        return False
    return True


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)


def zone(name: str) -> ZoneInfo | timezone:
    """The time zone called ``name``: IANA (``Europe/London``), ``UTC``, or a fixed offset
    (``+08:00``, ``-0500``, ``UTC+8``) for a logger clock that ignores summer time.

    Raises ``ValueError`` for an unknown name or an offset beyond ±14:00.
    """
    if name.upper() in ("UTC", "Z"):
        return UTC
    m = _OFFSET.match(name.strip())
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        offset = timedelta(hours=hours, minutes=minutes)
        if offset > timedelta(hours=14) or minutes >= 60:
            raise ValueError(f"clock offset {name!r} is beyond ±14:00")
        return timezone(-offset if sign == "-" else offset)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def to_utc(naive: datetime, tz: ZoneInfo | timezone) -> datetime:
    """``naive`` wall time in ``tz`` as an aware UTC instant; aware input is only converted."""
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=tz)
    return naive.astimezone(UTC)

