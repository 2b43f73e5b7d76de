"""Long-format files: one row per sensor and instant, a column naming the sensor.

``site,location,datetime,temp,RH,...`` (the anonymous library's archive, see
``tests/data/loggers/README.md``) holds five sensors in one table. Read as one
sensor, the rows of the second sensor at an instant the first one missed would be
stored as the first sensor's (issue 21). So:

- the user names the column (``--sensor-column location``), or
- it is found when the header makes it plain: a column named in
  :data:`SENSOR_COLUMNS` that names at least two sensors (EasyLog writes its one
  ``Serial Number`` on the first row only: that file is one sensor); where several are (``location`` and ``serial``), the
  first in that table's order is taken when every other one names the same
  sensors row for row (one serial per location), else the user must choose;
- a file with no such column whose rows repeat an instant while some text column
  differs between them is refused, naming that column: several sensors hide in it.

Wide files name the sensor in each column's header instead (``T1, RH_1, ... T_out,
RH_out``): :func:`wide_columns` finds the labels, and each label is a source sensor
mapped like a long-format one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bridge.importers import textio
from bridge.importers.columns import parse_header
from bridge.importers.result import file_error

# Header names (lower case) that say "this column names the sensor", in order of preference.
# Sources: anonymous-library-archive sample_data.csv (location, serial; tests/data/loggers/README.md),
# Home Assistant / InfluxDB CSV exports (entity_id), and the words of issue 21.
SENSOR_COLUMNS: tuple[str, ...] = (
    "sensor", "sensor_id", "sensor id", "sensorid", "sensor_name", "sensor name",
    "device", "device_id", "device id", "deviceid", "device_name", "device name", "entity_id",
    "logger", "logger_id", "logger id", "logger name",
    "node", "node_id", "probe", "channel",
    "location", "room",
    "serial", "serial_number", "serial number", "serial no", "sn",
    "传感器", "传感器编号", "设备", "设备编号", "测点", "位置",
)


def _key(name: str) -> str:
    return " ".join(name.strip().lower().split())


def _same_partition(rows: list[list[str]], a: int, b: int) -> bool:
    """True when columns ``a`` and ``b`` name the same groups of rows (one value of b per value of a)."""
    ab: dict[str, str] = {}
    ba: dict[str, str] = {}
    for r in rows:
        x, y = (r[a] if a < len(r) else ""), (r[b] if b < len(r) else "")
        if ab.setdefault(x, y) != y or ba.setdefault(y, x) != x:
            return False
    return True


def find_sensor_column(doc: textio.TextFile, h: int, header: list[str], rows: list[list[str]],
                       given: str | None) -> int | None:
    """Index of the column naming each row's sensor, or None for a one-sensor file.

    ``given`` : the header the user named (matched case-insensitively); a name that is
    not in the header is an error naming the header. ``h`` : header line index (messages).
    """
    keys = [_key(f) for f in header]
    if given is not None:
        if _key(given) in keys:
            return keys.index(_key(given))
        raise file_error(doc, h, f"--sensor-column {given!r} is not in the header {header}",
                         f"表头 {header} 中没有列 {given!r}（--sensor-column）")
    found = sorted((SENSOR_COLUMNS.index(k), j) for j, k in enumerate(keys) if k in SENSOR_COLUMNS
                   and len({r[j] for r in rows if j < len(r) and r[j]}) > 1)  # one name: one sensor
    if not found:
        return None
    first = found[0][1]
    differ = [header[j] for _, j in found[1:] if not _same_partition(rows, first, j)]
    if differ:
        names = ", ".join([header[first], *differ])
        raise file_error(doc, h, f"columns {names} each name sensors, differently: give --sensor-column",
                         f"列 {names} 都像传感器列但互不一致：请用 --sensor-column 指定")
    return first


def hidden_sensor_column(header: list[str], rows: list[list[str]], times: list[datetime | None],
                         skip: set[int]) -> str | None:
    """A text column that changes where the time repeats on the next row or goes back by more
    than an hour (several sensors in one file, interleaved or grouped).

    rows : data rows split into fields; times : their wall times (None if unreadable), same
    order; skip : columns not to consider (time and measured columns). None when no such
    step, or when no text column differs there (a repeated row, a DST fold).
    """
    suspects: list[list[int]] = []
    last: int | None = None
    for i, t in enumerate(times):
        if t is None:
            continue
        before = times[last] if last is not None else None
        # the same instant on the next row (interleaved sensors), or back by more than an hour
        # (grouped sensors); a DST fold goes back an hour of wall time on one sensor's clock
        if last is not None and before is not None and (t == before or t < before - timedelta(hours=1, minutes=1)):
            suspects.append([last, i])
        last = i
    for j, name in enumerate(header):
        if j in skip:
            continue
        for ix in suspects:
            values = {rows[i][j] if j < len(rows[i]) else "" for i in ix}
            if len(values) > 1 and not all(_is_number(v) for v in values):
                return name
    return None


# A measured column of a wide file: the quantity's header, then the sensor's label
# ("T1", "RH_1", "T_out", "RH_out": the Candanedo house, ../shared/data/candanedo-house-2016).
_WIDE = re.compile(r"^(.*?[A-Za-z%)])[ _-]?(\d{1,3}|out|in|outdoor|indoor|outside|inside)$", re.I)


def wide_columns(header: list[str], skip: set[int]) -> dict[str, list[tuple[int, str, str | None]]]:
    """Sensors named by a label after the quantity in the header, ``{label: [(j, quantity, unit)]}``.

    Empty unless at least two labels are found (one labelled column is just a name).
    """
    out: dict[str, list[tuple[int, str, str | None]]] = {}
    for j, name in enumerate(header):
        if j in skip or parse_header(name)[0] is not None:
            continue
        m = _WIDE.match(name.strip())
        if m:
            quantity, unit = parse_header(m.group(1))
            if quantity is not None:
                out.setdefault(m.group(2).lower(), []).append((j, quantity, unit))
    return out if len(out) > 1 else {}


def _is_number(text: str) -> bool:
    try:
        return textio.parse_number(text, True) is not None
    except ValueError:
        return False
