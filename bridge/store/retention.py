"""Retention: roll old raw readings into hourly aggregates instead of deleting history.

Raw readings older than the horizon are replaced, per (sensor, quantity,
hour), by one ``reading_hourly`` row: count, min, mean and max of the
readings whose quality is ``ok``, and the number of flagged ones. Only
whole hours before the horizon are rolled up. Rolling up an hour that
already has an aggregate (a late reading arrived) merges the two, so the
aggregate is the same as if all readings had been rolled up at once.

The queries in :mod:`bridge.store.queries` read the aggregates alongside
the raw readings, so history stays visible at hourly resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, select, tuple_

from bridge.store.epoch import to_us
from bridge.store.models import HourlyRow, ReadingRow
from bridge.store.queries import HOUR_US

READING = ReadingRow.__table__  # type: ignore[attr-defined]
HOURLY = HourlyRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RetentionSettings:
    """How long raw readings are kept before they become hourly aggregates.

    raw_days : 90 days of raw data covers a season of forecasting and the
        EN 15757 seasonal cycle (its moving average runs over 30 days);
        older history is kept as hourly min/mean/max
    """

    raw_days: float = 90.0


@dataclass(frozen=True)
class RollupResult:
    """What one roll-up did: raw readings removed, hourly rows written, and the horizon used."""

    rolled: int
    hours: int
    horizon: datetime


def roll_up(store, before: datetime) -> RollupResult:
    """Replace raw readings older than the whole hour at or before ``before`` by hourly aggregates.

    One transaction: either every rolled hour is aggregated and its raw
    readings deleted, or nothing changes.
    """
    cutoff = to_us(before) // HOUR_US * HOUR_US
    horizon = before - timedelta(microseconds=to_us(before) - cutoff)
    hour = READING.c.time_us // HOUR_US
    ok = READING.c.quality == "ok"
    stmt = (
        select(
            READING.c.site,
            READING.c.hall,
            READING.c.sensor,
            READING.c.quantity,
            hour.label("h"),
            func.min(READING.c.unit),
            func.count(),
            func.sum(case((ok, 1), else_=0)),
            func.sum(case((ok, READING.c.value), else_=None)),
            func.min(case((ok, READING.c.value), else_=None)),
            func.max(case((ok, READING.c.value), else_=None)),
        )
        .where(READING.c.time_us < cutoff)
        .group_by(READING.c.site, READING.c.hall, READING.c.sensor, READING.c.quantity, hour)
    )
    with store.transaction() as conn:
        groups = conn.execute(stmt).all()
        if not groups:
            return RollupResult(0, 0, horizon)
        merged: dict[tuple[str, str, str, str, int], dict] = {}
        for site, hall, sensor, quantity, h, unit, n_all, n_ok, total, lo, hi in groups:
            merged[(site, hall, sensor, quantity, int(h) * HOUR_US)] = {
                "unit": unit,
                "count": int(n_ok or 0),
                "flagged": int(n_all) - int(n_ok or 0),
                "total": float(total or 0.0),
                "min": lo,
                "max": hi,
            }
        keys = list(merged)
        existing = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            existing += conn.execute(
                select(HOURLY).where(tuple_(HOURLY.c.site, HOURLY.c.hall, HOURLY.c.sensor, HOURLY.c.quantity,
                                            HOURLY.c.hour_us).in_(chunk))
            ).all()
        for row in existing:
            m = merged[(row.site, row.hall, row.sensor, row.quantity, row.hour_us)]
            if row.count:
                m["total"] += row.mean * row.count
                m["min"] = row.min if m["min"] is None else min(m["min"], row.min)
                m["max"] = row.max if m["max"] is None else max(m["max"], row.max)
            m["count"] += row.count
            m["flagged"] += row.flagged
        if existing:
            ids = [row.id for row in existing]
            for i in range(0, len(ids), 500):
                conn.execute(delete(HOURLY).where(HOURLY.c.id.in_(ids[i : i + 500])))
        conn.execute(
            HOURLY.insert(),
            [
                {
                    "site": site,
                    "hall": hall,
                    "sensor": s,
                    "quantity": q,
                    "hour_us": h,
                    "unit": m["unit"],
                    "count": m["count"],
                    "flagged": m["flagged"],
                    "min": m["min"],
                    "mean": m["total"] / m["count"] if m["count"] else None,
                    "max": m["max"],
                }
                for (site, hall, s, q, h), m in merged.items()
            ],
        )
        rolled = conn.execute(delete(READING).where(and_(READING.c.time_us < cutoff))).rowcount
    return RollupResult(int(rolled), len(merged), horizon)


def apply_retention(store, now: datetime, settings: RetentionSettings = RetentionSettings()) -> RollupResult:
    """Roll up everything older than ``settings.raw_days`` before ``now``."""
    return roll_up(store, now - timedelta(days=settings.raw_days))
