"""Storage: the Store API against SQLite and PostgreSQL (same tests, both engines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.errors import StorageError
from bridge.readings import Reading, Rejection
from bridge.store import Store
from bridge.store.models import QUARANTINE_PAYLOAD_MAX

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def r(sensor: str, seconds: float, value: float, quantity: str = "temperature", **kw) -> Reading:
    unit = {"temperature": "°C", "relative_humidity": "%RH"}[quantity]
    return Reading(sensor, quantity, T0 + timedelta(seconds=seconds), value, unit, **kw)


@pytest.fixture
def store(database_url: str):
    s = Store.open(url=database_url)
    yield s
    s.close()


def test_add_readings_counts_and_deduplicates(store: Store) -> None:
    batch = [r("a", i, 20.0 + i) for i in range(100)]
    assert store.add_readings(batch) == 100
    # same (sensor, quantity, time) again, even with another value: kept once, counted 0
    assert store.add_readings(batch[:10] + [r("a", 0, 99.0)]) == 0
    # duplicates inside one batch count once
    assert store.add_readings([r("b", 1, 1.0), r("b", 1, 2.0), r("b", 2, 3.0)]) == 2
    assert store.count_readings() == 102
    assert store.count_readings(sensor="a") == 100
    assert store.count_readings(sensor="b", quantity="temperature") == 2
    assert store.count_readings(quantity="relative_humidity") == 0
    first = store.series("a", "temperature", T0, T0 + timedelta(seconds=1))
    assert first.values.tolist() == [20.0]  # the first copy wins


def test_same_time_different_quantity_or_sensor_is_not_a_duplicate(store: Store) -> None:
    rows = [r("a", 0, 20.0), r("a", 0, 50.0, "relative_humidity"), r("b", 0, 21.0)]
    assert store.add_readings(rows) == 3


def test_microsecond_times_are_distinct_and_round_trip(store: Store) -> None:
    t = T0 + timedelta(microseconds=123457)
    rows = [
        Reading("a", "temperature", t, 1.0, "°C"),
        Reading("a", "temperature", t + timedelta(microseconds=1), 2.0, "°C"),
    ]
    assert store.add_readings(rows) == 2
    (latest,) = store.latest()
    assert latest.time == t + timedelta(microseconds=1)
    assert latest.time.tzinfo is not None


def test_quality_and_reason_are_kept(store: Store) -> None:
    store.add_readings([r("a", 0, 20.0), r("a", 60, 85.0, quality="spike", reason="jump of 65 °C in 60 s")])
    (latest,) = store.latest(["a"])
    assert (latest.quality, latest.reason, latest.value) == ("spike", "jump of 65 °C in 60 s", 85.0)
    s = store.series("a", "temperature", T0, T0 + timedelta(hours=1))
    assert s.flagged.tolist() == [0, 1]
    ok = store.series("a", "temperature", T0, T0 + timedelta(hours=1), only_ok=True)
    assert ok.values.tolist() == [20.0]


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StorageError):
        store.add_readings([Reading("a", "temperature", datetime(2024, 1, 1), 1.0, "°C")])


def test_latest_per_sensor_and_quantity(store: Store) -> None:
    store.add_readings(
        [r("a", 0, 1.0), r("a", 10, 2.0), r("a", 5, 40.0, "relative_humidity"), r("b", 3, 7.0), r("b", 1, 6.0)]
    )
    got = [(x.sensor, x.quantity, x.value) for x in store.latest()]
    assert got == [("a", "relative_humidity", 40.0), ("a", "temperature", 2.0), ("b", "temperature", 7.0)]
    assert [(x.sensor, x.value) for x in store.latest(["b"])] == [("b", 7.0)]
    assert store.latest(["nobody"]) == []


def test_latest_ignores_a_late_older_reading_and_survives_retention(store: Store) -> None:
    store.add_readings([r("a", 60, 2.0)])
    store.add_readings([r("a", 0, 1.0)])  # arrives late, is older
    assert [x.value for x in store.latest()] == [2.0]
    store.add_readings([r("a", 120, 3.0), r("a", 90, 9.0)])
    assert [x.value for x in store.latest()] == [3.0]
    store.roll_up(T0 + timedelta(days=1))
    assert store.count_readings() == 0
    assert [(x.value, x.time) for x in store.latest()] == [(3.0, T0 + timedelta(seconds=120))]


def test_series_raw_range_is_half_open_and_sorted(store: Store) -> None:
    store.add_readings([r("a", i, float(i)) for i in (30, 10, 20, 0)])
    s = store.series("a", "temperature", T0 + timedelta(seconds=10), T0 + timedelta(seconds=30))
    assert s.times.dtype == np.dtype("datetime64[s]")
    assert s.times.tolist() == [
        (T0 + timedelta(seconds=10)).replace(tzinfo=None),
        (T0 + timedelta(seconds=20)).replace(tzinfo=None),
    ]
    assert s.values.tolist() == [10.0, 20.0]
    assert s.count.tolist() == [1, 1]
    assert s.unit == "°C"
    assert s.bucket_s is None


def test_series_buckets_give_min_mean_max(store: Store) -> None:
    # 2 hours of one reading a minute: value = minute index
    store.add_readings([r("a", 60 * i, float(i)) for i in range(120)])
    s = store.series("a", "temperature", T0, T0 + timedelta(hours=2), bucket_s=1800)
    assert len(s) == 4
    assert s.times[0] == np.datetime64("2024-03-01T00:00:00")
    assert s.times[1] == np.datetime64("2024-03-01T00:30:00")
    np.testing.assert_allclose(s.minimum, [0, 30, 60, 90])
    np.testing.assert_allclose(s.maximum, [29, 59, 89, 119])
    np.testing.assert_allclose(s.mean, [14.5, 44.5, 74.5, 104.5])
    assert s.count.tolist() == [30, 30, 30, 30]
    assert s.bucket_s == 1800


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(st.floats(-40, 60, allow_nan=False), min_size=1, max_size=60),
    bucket=st.sampled_from([7, 60, 600]),
)
def test_bucketed_series_matches_numpy(store: Store, values: list[float], bucket: int) -> None:
    sensor = f"h{abs(hash((tuple(values), bucket))) % 10**9}"
    store.add_readings([r(sensor, 13 * i, v) for i, v in enumerate(values)])
    s = store.series(sensor, "temperature", T0, T0 + timedelta(days=1), bucket_s=bucket)
    t = np.arange(len(values)) * 13
    keys = t // bucket
    assert s.count.sum() == len(values)
    for j, k in enumerate(np.unique(keys)):
        v = np.asarray(values)[keys == k]
        assert s.minimum[j] == pytest.approx(v.min())
        assert s.maximum[j] == pytest.approx(v.max())
        assert s.mean[j] == pytest.approx(v.mean(), abs=1e-9)


def test_zone_aggregates(store: Store) -> None:
    store.add_readings([r("a", 0, 10.0), r("a", 60, 20.0), r("b", 0, 30.0), r("c", 0, 99.0, quality="range")])
    zones = {"a": "case-1", "b": "case-1", "c": "case-2", "d": "case-3"}
    agg = store.zone_aggregates(zones, "temperature", T0, T0 + timedelta(hours=1))
    assert (agg["case-1"].count, agg["case-1"].min, agg["case-1"].mean, agg["case-1"].max) == (3, 10.0, 20.0, 30.0)
    assert agg["case-1"].sensors == ("a", "b")
    assert agg["case-2"].count == 0 and np.isnan(agg["case-2"].mean)  # flagged reading left out
    assert agg["case-3"].count == 0
    with_flagged = store.zone_aggregates(zones, "temperature", T0, T0 + timedelta(hours=1), only_ok=False)
    assert with_flagged["case-2"].mean == 99.0


def test_rejections_go_to_quarantine_newest_first(store: Store) -> None:
    big = b"x" * (QUARANTINE_PAYLOAD_MAX + 10)
    n = store.add_rejections(
        [
            Rejection("relic/a/state", b"{not json", T0, "payload is not JSON | 不是 JSON"),
            Rejection("relic/b/state", big, T0 + timedelta(seconds=5), "too big"),
        ]
    )
    assert n == 2
    items = store.quarantine(limit=10)
    assert [i.source for i in items] == ["relic/b/state", "relic/a/state"]
    assert items[0].payload_size == QUARANTINE_PAYLOAD_MAX + 10
    assert len(items[0].payload) == QUARANTINE_PAYLOAD_MAX
    assert items[1].payload == b"{not json"
    assert items[1].reason == "payload is not JSON | 不是 JSON"
    assert items[1].received_at == T0
    assert len(store.quarantine(limit=1)) == 1


def test_write_batch_is_one_transaction(store: Store) -> None:
    good = [r("a", 0, 1.0)]
    bad = [Rejection("t", b"x", datetime(2024, 1, 1), "naive time")]  # refused before anything is written
    with pytest.raises(StorageError):
        store.write_batch(good, bad)
    assert store.count_readings() == 0
    result = store.write_batch(good + good, [Rejection("t", b"x", T0, "r")])
    assert (result.stored, result.duplicates, result.rejections) == (good, 1, 1)
    again = store.write_batch(good + [r("a", 1, 2.0)])
    assert (again.stored, again.duplicates) == ([r("a", 1, 2.0)], 1)


def test_write_batch_with_a_stored_reading_rolls_back_and_keeps_the_rest(store: Store) -> None:
    # the all-new batch takes the executemany path; one already stored sends the
    # whole batch through the RETURNING path again: same rows, same latest values
    assert store.write_batch([r("a", 0, 1.0), r("a", 5, 2.0), r("b", 3, 7.0)]).stored == [
        r("a", 0, 1.0), r("a", 5, 2.0), r("b", 3, 7.0)]
    mixed = [r("a", 6, 3.0), r("a", 5, 9.0), r("b", 1, 8.0), r("b", 9, 4.0), r("b", 9, 5.0)]
    result = store.write_batch(mixed, [Rejection("t", b"x", T0, "r")])
    assert (result.stored, result.duplicates, result.rejections) == (
        [r("a", 6, 3.0), r("b", 1, 8.0), r("b", 9, 4.0)], 2, 1)
    assert store.count_readings() == 6
    assert store.count_quarantine() == 1
    assert [(x.sensor, x.time, x.value) for x in store.latest()] == [
        ("a", T0 + timedelta(seconds=6), 3.0), ("b", T0 + timedelta(seconds=9), 4.0)]
    store.write_batch([r("b", 2, 6.0)])  # older than the latest: the latest stays
    assert [x.value for x in store.latest(["b"])] == [4.0]


def test_reopen_keeps_data(database_url: str) -> None:
    with Store.open(url=database_url) as s:
        s.add_readings([r("a", 0, 1.0)])
    with Store.open(url=database_url) as s:
        assert s.count_readings() == 1


def test_default_url_is_sqlite_in_data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("RELIC_TWIN_DATABASE_URL", raising=False)
    with Store.open(data_dir=tmp_path / "data") as s:
        s.add_readings([r("a", 0, 1.0)])
        assert s.dialect == "sqlite"
    assert (tmp_path / "data" / "relic-twin.sqlite").exists()
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "relic-twin.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_environment_variable_picks_the_database(tmp_path, monkeypatch) -> None:
    target = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("RELIC_TWIN_DATABASE_URL", f"sqlite:///{target}")
    with Store.open(data_dir=tmp_path / "data") as s:
        s.add_readings([r("a", 0, 1.0)])
    assert target.exists()
    assert not (tmp_path / "data" / "relic-twin.sqlite").exists()
