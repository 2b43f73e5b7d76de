"""Conversions between timezone-aware datetimes and stored microseconds.

The database keeps instants as integer microseconds since 1970-01-01 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bridge.errors import StorageError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(t: datetime) -> int:
    """Microseconds since the epoch of a timezone-aware instant.

    Raises StorageError for a naive datetime: inside relic-twin time is UTC
    and always carries its zone.
    """
    if t.tzinfo is None or t.utcoffset() is None:
        raise StorageError(f"naive datetime {t.isoformat()} | 时间缺少时区: store only timezone-aware instants")
    return (t - EPOCH) // _US


def from_us(us: int) -> datetime:
    """Timezone-aware UTC datetime of microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=int(us))


def us_to_datetime64(us: np.ndarray) -> np.ndarray:
    """(n,) int64 microseconds -> (n,) datetime64[s] UTC (floored to the second)."""
    return (np.asarray(us, dtype=np.int64) // 1_000_000).astype("datetime64[s]")
