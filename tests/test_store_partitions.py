"""PostgreSQL: readings partitioned by month (declarative partitioning), created as months arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fixtures_db import empty_pg
from sqlalchemy import text

from bridge.readings import Reading
from bridge.store import Store
from bridge.store.partitions import month_bounds, months_between


def test_month_arithmetic() -> None:
    lo, hi = month_bounds(2025, 12)
    assert datetime.fromtimestamp(lo / 1e6, UTC) == datetime(2025, 12, 1, tzinfo=UTC)
    assert datetime.fromtimestamp(hi / 1e6, UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    assert months_between(lo, hi) == [(2025, 12), (2026, 1)]


def test_readings_land_in_their_months_partition(pg_server_url: str) -> None:
    empty_pg(pg_server_url)
    t0 = datetime(2025, 11, 30, 23, tzinfo=UTC)
    rs = [Reading("S01", "temperature", t0 + timedelta(hours=12 * i), 20.0, "°C", hall="h") for i in range(70)]
    with Store.open(url=pg_server_url) as store:
        assert store.add_readings(rs) == 70 and store.add_readings(rs) == 0  # duplicates still dropped
        assert store.partitions() == ["reading_p202511", "reading_p202512", "reading_p202601"]
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM reading_p202512")).scalar_one() == 62
        # a second store (another ingest worker) sees the partitions and adds the next month
        with Store.open(url=pg_server_url) as other:
            assert other.add_readings([Reading("S01", "temperature", datetime(2026, 2, 3, tzinfo=UTC), 1.0, "°C",
                                               hall="h")]) == 1
        store.roll_up(datetime(2025, 12, 1, tzinfo=UTC))
        assert store.detach_month(2025, 11) == "reading_p202511"
        assert store.count_readings() == 70 - 1 + 1  # November's one rolled up (its partition then empty), February's added
        assert store.count_hourly() == 1
