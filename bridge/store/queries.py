"""The read queries the models and the API need.

- :func:`series`: one sensor and quantity over a time range, raw or
  downsampled to min/mean/max per bucket (buckets aligned on the epoch);
- :func:`latest`: the newest value of every (sensor, quantity);
- :func:`zone_aggregates`: count/min/mean/max per zone over a time range;
- :func:`latest_before`: the last value of every (sensor, quantity) at or before a time (replay).

Every query takes ``hall`` and ``site``: None matches any (a site of one
hall needs neither), a string only that hall or site. Sensor ids are unique
only within a hall, so a site of several halls names the hall.

Raw readings older than the retention horizon live on as hourly
aggregates (:mod:`bridge.store.retention`); every query here merges them
in, so history reads the same before and after a roll-up (at hourly
resolution).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import BigInteger, case, func, literal_column, select
from sqlalchemy.engine import Connection

from bridge.readings import Reading
from bridge.store.epoch import from_us, us_to_datetime64
from bridge.store.models import HourlyRow, LatestRow, ReadingRow
from simulation.quantities import QUANTITIES

READING = ReadingRow.__table__  # type: ignore[attr-defined]
HOURLY = HourlyRow.__table__  # type: ignore[attr-defined]
LATEST = LatestRow.__table__  # type: ignore[attr-defined]
HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class Series:
    """A time series of one sensor and quantity.

    times : (n,) datetime64[s], UTC; reading times, or bucket starts when bucketed
    values : (n,) float64 in ``unit``; the reading, or the bucket mean
    minimum, maximum : (n,) float64; per bucket (equal to ``values`` for a raw reading)
    count : (n,) int64; readings in each point's statistics (1 for a raw reading)
    flagged : (n,) int64; readings of the point whose quality is not ``ok``
        (0 with ``only_ok``). A raw bucket includes them in its statistics
        (and ``count``); an hour rolled up by retention keeps only their
        number, its statistics being of the ``ok`` readings
    bucket_s : bucket width in seconds, None for raw readings
    hall : the hall asked for ('' when the query named none)
    """

    sensor: str
    quantity: str
    unit: str
    times: np.ndarray
    values: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    count: np.ndarray
    flagged: np.ndarray
    bucket_s: int | None = None
    hall: str = ""

    @property
    def mean(self) -> np.ndarray:
        """(n,) float64: the bucket means (the values themselves when raw)."""
        return self.values

    def __len__(self) -> int:
        return int(self.times.shape[0])


@dataclass(frozen=True)
class ZoneStats:
    """Aggregate of one quantity over the sensors of one zone in a time range.

    count : readings behind the statistics; min, mean, max in the quantity's unit (nan when count is 0)
    """

    zone: str
    quantity: str
    sensors: tuple[str, ...]
    count: int
    min: float
    mean: float
    max: float


def _unit(quantity: str) -> str:
    q = QUANTITIES.get(quantity)
    return q.unit if q is not None else ""


def _group(keys: np.ndarray, count: np.ndarray, total: np.ndarray, lo: np.ndarray, hi: np.ndarray, flagged: np.ndarray):
    """Merge partial aggregates sharing a key: (keys, count, total, min, max, flagged), sorted by key."""
    uniq, inv = np.unique(keys, return_inverse=True)
    n = uniq.shape[0]
    c = np.zeros(n, dtype=np.int64)
    s = np.zeros(n)
    f = np.zeros(n, dtype=np.int64)
    mn = np.full(n, np.inf)
    mx = np.full(n, -np.inf)
    np.add.at(c, inv, count)
    np.add.at(s, inv, total)
    np.add.at(f, inv, flagged)
    np.minimum.at(mn, inv, lo)
    np.maximum.at(mx, inv, hi)
    return uniq, c, s, mn, mx, f


def place(table, hall: str | None, site: str | None) -> list:  # type: ignore[no-untyped-def]
    """WHERE clauses selecting ``hall`` and ``site`` of ``table`` (None: any)."""
    out = []
    if hall is not None:
        out.append(table.c.hall == hall)
    if site is not None:
        out.append(table.c.site == site)
    return out


def _hourly_rows(conn: Connection, sensor: str, quantity: str, start_us: int, end_us: int,
                 where: list) -> list:
    stmt = (
        select(HOURLY.c.hour_us, HOURLY.c.count, HOURLY.c.flagged, HOURLY.c.min, HOURLY.c.mean, HOURLY.c.max)
        .where(HOURLY.c.sensor == sensor, HOURLY.c.quantity == quantity, *where)
        .where(HOURLY.c.hour_us >= start_us, HOURLY.c.hour_us < end_us)
        .order_by(HOURLY.c.hour_us)
    )
    return list(conn.execute(stmt))


def series(
    conn: Connection,
    sensor: str,
    quantity: str,
    start_us: int,
    end_us: int,
    bucket_s: int | None = None,
    only_ok: bool = False,
    *,
    hall: str | None = None,
    site: str | None = None,
) -> Series:
    """Readings of ``sensor``/``quantity`` with start_us <= time < end_us (µs since epoch, UTC).

    bucket_s : None for raw readings; else the width of epoch-aligned
        buckets, each giving count, min, mean and max (computed in SQL)
    only_ok : leave out readings whose quality is not ``ok``

    Hourly aggregates (after retention) join as one point per hour when
    raw or finer buckets are asked for, and fold into coarser buckets.
    """
    if bucket_s is not None and bucket_s <= 0:
        raise ValueError(f"bucket_s must be positive, got {bucket_s}")
    where = [READING.c.sensor == sensor, READING.c.quantity == quantity, *place(READING, hall, site)]
    where += [READING.c.time_us >= start_us, READING.c.time_us < end_us]
    if only_ok:
        where.append(READING.c.quality == "ok")
    hourly = _hourly_rows(conn, sensor, quantity, start_us, end_us, place(HOURLY, hall, site))
    h = np.array([(r.hour_us, r.count, r.flagged) for r in hourly], dtype=np.int64).reshape(-1, 3)
    hstats = np.array(
        [(r.min, r.mean, r.max) if r.count else (np.nan, np.nan, np.nan) for r in hourly], dtype=float
    ).reshape(-1, 3)
    hflag = np.zeros(len(hourly), dtype=np.int64) if only_ok else h[:, 2]

    if bucket_s is None:
        stmt = select(READING.c.time_us, READING.c.value, READING.c.quality).where(*where).order_by(READING.c.time_us)
        rows = conn.execute(stmt).all()
        keys = np.array([r[0] for r in rows], dtype=np.int64)
        vals = np.array([r[1] for r in rows], dtype=float)
        flag = np.array([r[2] != "ok" for r in rows], dtype=np.int64)
        cnt = np.ones(len(rows), dtype=np.int64)
        lo = hi = vals
        if hourly:
            keys = np.concatenate([keys, h[:, 0]])
            vals = np.concatenate([vals, hstats[:, 1]])
            lo = np.concatenate([lo, hstats[:, 0]])
            hi = np.concatenate([hi, hstats[:, 2]])
            cnt = np.concatenate([cnt, h[:, 1]])
            flag = np.concatenate([flag, hflag])
            order = np.argsort(keys, kind="stable")
            keys, vals, lo, hi, cnt, flag = (a[order] for a in (keys, vals, lo, hi, cnt, flag))
        return Series(sensor, quantity, _unit_of(rows, quantity), us_to_datetime64(keys), vals, lo, hi, cnt, flag, None,
                      hall or "")

    bucket_us = int(bucket_s) * 1_000_000
    # the width goes into the SQL text (an int, so safe): PostgreSQL matches
    # GROUP BY against the select list textually, and two bind parameters differ
    bucket = READING.c.time_us // literal_column(str(bucket_us), BigInteger)
    flagged = func.sum(case((READING.c.quality != "ok", 1), else_=0))
    stmt = (
        select(
            bucket.label("b"),
            func.count(),
            func.sum(READING.c.value),
            func.min(READING.c.value),
            func.max(READING.c.value),
            flagged,
        )
        .where(*where)
        .group_by(bucket)
        .order_by(bucket)
    )
    rows = conn.execute(stmt).all()
    parts = np.array([(r[0], r[1], r[5] or 0) for r in rows], dtype=np.int64).reshape(-1, 3)
    fparts = np.array([(r[2], r[3], r[4]) for r in rows], dtype=float).reshape(-1, 3)
    keys, cnt, total, lo, hi, flag = parts[:, 0], parts[:, 1], fparts[:, 0], fparts[:, 1], fparts[:, 2], parts[:, 2]
    if hourly:
        hcount = h[:, 1]
        htotal = np.where(hcount > 0, hstats[:, 1] * hcount, 0.0)
        hlo = np.where(hcount > 0, hstats[:, 0], np.inf)
        hhi = np.where(hcount > 0, hstats[:, 2], -np.inf)
        hkeys = h[:, 0] // bucket_us
        keys, cnt, total, lo, hi, flag = _group(
            np.concatenate([keys, hkeys]),
            np.concatenate([cnt, hcount]),
            np.concatenate([total, htotal]),
            np.concatenate([lo, hlo]),
            np.concatenate([hi, hhi]),
            np.concatenate([flag, hflag]),
        )
        empty = cnt == 0
        lo, hi = np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, total / np.maximum(cnt, 1), np.nan)
    return Series(
        sensor, quantity, _unit(quantity), us_to_datetime64(keys * bucket_us), mean, lo, hi, cnt, flag, int(bucket_s),
        hall or "",
    )


def _unit_of(rows: Sequence, quantity: str) -> str:
    return _unit(quantity) or ""


def latest(conn: Connection, sensors: Sequence[str] | None = None, *, hall: str | None = None,
           site: str | None = None) -> list[Reading]:
    """The newest stored reading of every series, sorted by sensor, quantity, site then hall.

    Read from ``reading_latest`` (one row per series, kept by every write),
    so it still answers after retention has rolled the raw readings up.
    """
    stmt = select(LATEST).where(*place(LATEST, hall, site))
    stmt = stmt.order_by(LATEST.c.sensor, LATEST.c.quantity, LATEST.c.site, LATEST.c.hall)
    if sensors is not None:
        stmt = stmt.where(LATEST.c.sensor.in_(list(sensors)))
    return [
        Reading(r.sensor, r.quantity, from_us(r.time_us), r.value, r.unit, r.quality, r.reason, hall=r.hall, site=r.site)
        for r in conn.execute(stmt)
    ]


def zone_aggregates(
    conn: Connection,
    zones: Mapping[str, str],
    quantity: str,
    start_us: int,
    end_us: int,
    only_ok: bool = True,
    *,
    hall: str | None = None,
    site: str | None = None,
) -> dict[str, ZoneStats]:
    """Count/min/mean/max of ``quantity`` per zone, start_us <= time < end_us.

    zones : sensor id -> zone id (from the scene); sensors not in it are ignored
    Returns one entry per zone named in ``zones``; a zone without readings has count 0 and nan statistics.
    """
    sensors = sorted(zones)
    acc: dict[str, list[float]] = {z: [0, 0.0, np.inf, -np.inf] for z in zones.values()}
    if sensors:
        where = [READING.c.sensor.in_(sensors), READING.c.quantity == quantity, *place(READING, hall, site)]
        where += [READING.c.time_us >= start_us, READING.c.time_us < end_us]
        if only_ok:
            where.append(READING.c.quality == "ok")
        raw = select(
            READING.c.sensor,
            func.count(),
            func.sum(READING.c.value),
            func.min(READING.c.value),
            func.max(READING.c.value),
        ).where(*where)
        hourly = select(
            HOURLY.c.sensor,
            func.sum(HOURLY.c.count),
            func.sum(HOURLY.c.mean * HOURLY.c.count),
            func.min(HOURLY.c.min),
            func.max(HOURLY.c.max),
        ).where(
            HOURLY.c.sensor.in_(sensors),
            HOURLY.c.quantity == quantity,
            HOURLY.c.hour_us >= start_us,
            HOURLY.c.hour_us < end_us,
            HOURLY.c.count > 0,
            *place(HOURLY, hall, site),
        )
        for stmt in (raw.group_by(READING.c.sensor), hourly.group_by(HOURLY.c.sensor)):
            for sensor, n, total, lo, hi in conn.execute(stmt):
                if not n:
                    continue
                a = acc[zones[sensor]]
                a[0] += int(n)
                a[1] += float(total)
                a[2] = min(a[2], float(lo))
                a[3] = max(a[3], float(hi))
    out: dict[str, ZoneStats] = {}
    for zone, (n, total, lo, hi) in acc.items():
        members = tuple(s for s in sensors if zones[s] == zone)
        if n:
            out[zone] = ZoneStats(zone, quantity, members, int(n), lo, total / n, hi)
        else:
            out[zone] = ZoneStats(zone, quantity, members, 0, np.nan, np.nan, np.nan)
    return out


def latest_before(conn: Connection, end_us: int, start_us: int | None = None,
                  sensors: Sequence[str] | None = None, *, hall: str | None = None,
                  site: str | None = None) -> list[Reading]:
    """The last stored reading of every (sensor, quantity) with start_us <= time <= end_us, sorted
    by sensor then quantity: the hall's state at ``end_us`` (replay).

    A series whose raw readings were rolled up by retention answers with its
    latest hourly mean (time: the hour's start, quality ``ok``) when that is newer.
    """
    lo = start_us if start_us is not None else -(2**62)
    where = [READING.c.time_us <= end_us, READING.c.time_us >= lo]
    where += place(READING, hall, site)
    hwhere = [HOURLY.c.hour_us <= end_us, HOURLY.c.hour_us >= lo, HOURLY.c.count > 0, *place(HOURLY, hall, site)]
    if sensors is not None:
        where.append(READING.c.sensor.in_(list(sensors)))
        hwhere.append(HOURLY.c.sensor.in_(list(sensors)))
    key = [READING.c.site, READING.c.hall, READING.c.sensor, READING.c.quantity]
    last = select(*key, func.max(READING.c.time_us).label("t")).where(*where).group_by(*key).subquery()
    stmt = select(READING).join(
        last,
        (READING.c.site == last.c.site) & (READING.c.hall == last.c.hall)
        & (READING.c.sensor == last.c.sensor) & (READING.c.quantity == last.c.quantity)
        & (READING.c.time_us == last.c.t),
    )
    out: dict[tuple[str, str, str, str], Reading] = {
        (r.sensor, r.quantity, r.site, r.hall): Reading(r.sensor, r.quantity, from_us(r.time_us), r.value, r.unit,
                                                        r.quality, r.reason, hall=r.hall, site=r.site)
        for r in conn.execute(stmt)
    }
    hkey = [HOURLY.c.site, HOURLY.c.hall, HOURLY.c.sensor, HOURLY.c.quantity]
    hlast = select(*hkey, func.max(HOURLY.c.hour_us).label("h")).where(*hwhere).group_by(*hkey).subquery()
    hstmt = select(*hkey, HOURLY.c.hour_us, HOURLY.c.mean).join(
        hlast,
        (HOURLY.c.site == hlast.c.site) & (HOURLY.c.hall == hlast.c.hall)
        & (HOURLY.c.sensor == hlast.c.sensor) & (HOURLY.c.quantity == hlast.c.quantity)
        & (HOURLY.c.hour_us == hlast.c.h),
    )
    for site_, hall_, sensor, quantity, hour_us, mean in conn.execute(hstmt):
        held = out.get((sensor, quantity, site_, hall_))
        if held is None or from_us(hour_us) > held.time:
            out[(sensor, quantity, site_, hall_)] = Reading(sensor, quantity, from_us(hour_us), float(mean),
                                                            _unit(quantity), hall=hall_, site=site_)
    return [out[k] for k in sorted(out)]
