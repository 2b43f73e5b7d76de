"""Monthly partitions of ``reading`` on PostgreSQL (migration 0008).

One partition per calendar month (UTC) of ``time_us``, ``reading_pYYYYMM``,
created on demand before the first reading of a month is written; creating
one takes an advisory lock, so several ingest workers may ask at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

#: advisory lock key of partition creation (any constant; distinct from the migration lock)
PARTITION_LOCK = 7262742


def month_of(time_us: int) -> tuple[int, int]:
    """(year, month) of a time in µs since the epoch, UTC."""
    t = datetime.fromtimestamp(time_us / 1e6, UTC)
    return t.year, t.month


def month_bounds(year: int, month: int) -> tuple[int, int]:
    """[start, end) of a month in µs since the epoch, UTC."""
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()) * 1_000_000, int(end.timestamp()) * 1_000_000


def months_between(lo_us: int, hi_us: int) -> list[tuple[int, int]]:
    """Every (year, month) from the month of ``lo_us`` to that of ``hi_us``, in order."""
    (y, m), last = month_of(lo_us), month_of(hi_us)
    out = []
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def partition_name(year: int, month: int) -> str:
    return f"reading_p{year:04d}{month:02d}"


def existing_months(conn: Connection) -> set[tuple[int, int]]:
    """The months ``reading`` has a partition for (empty when it is not partitioned)."""
    rows = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'reading'").all()
    out = set()
    for (name,) in rows:
        if name.startswith("reading_p") and len(name) == 15 and name[9:].isdigit():
            out.add((int(name[9:13]), int(name[13:15])))
    return out


def is_partitioned(conn: Connection) -> bool:
    return bool(conn.exec_driver_sql(
        "SELECT count(*) FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid "
        "WHERE c.relname = 'reading'").scalar())


def create_month_partitions(conn: Connection, months: Iterable[tuple[int, int]]) -> None:
    """Create the partitions of ``months`` that are missing (in the caller's transaction)."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
    for y, m in months:
        lo, hi = month_bounds(y, m)
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {partition_name(y, m)} PARTITION OF reading "
                             f"FOR VALUES FROM ({lo}) TO ({hi})")
