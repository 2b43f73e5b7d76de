"""Retention: raw readings roll into hourly aggregates; history reads the same afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bridge.readings import Reading
from bridge.store import Store
from bridge.store.retention import RetentionSettings, apply_retention

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def r(sensor: str, minutes: float, value: float, quality: str = "ok") -> Reading:
    return Reading(sensor, "relative_humidity", T0 + timedelta(minutes=minutes), value, "%RH", quality)


@pytest.fixture
def store(database_url: str):
    s = Store.open(url=database_url)
    yield s
    s.close()


def three_hours(store: Store) -> None:
    # one reading a minute for 3 h: value = minute; minute 30 of each hour flagged as a spike of 500
    rows = [r("a", m, float(m)) for m in range(180) if m % 60 != 30]
    rows += [r("a", m, 500.0, "spike") for m in (30, 90, 150)]
    rows += [r("b", m, 40.0) for m in range(0, 180, 10)]
    store.add_readings(rows)


def test_roll_up_replaces_whole_hours_and_keeps_their_statistics(store: Store) -> None:
    three_hours(store)
    end = T0 + timedelta(hours=3)
    before = store.series("a", "relative_humidity", T0, end, bucket_s=3600, only_ok=True)
    zones_before = store.zone_aggregates({"a": "z", "b": "z"}, "relative_humidity", T0, end)

    result = store.roll_up(T0 + timedelta(hours=2, minutes=20))  # only hours 0 and 1 are whole
    assert result.horizon == T0 + timedelta(hours=2)
    assert result.rolled == 120 + 12
    assert result.hours == 4  # 2 hours x 2 sensors
    assert store.count_readings() == 60 + 6
    assert store.count_hourly() == 4

    after = store.series("a", "relative_humidity", T0, end, bucket_s=3600, only_ok=True)
    np.testing.assert_array_equal(after.times, before.times)
    np.testing.assert_allclose(after.mean, before.mean)
    np.testing.assert_allclose(after.minimum, before.minimum)
    np.testing.assert_allclose(after.maximum, before.maximum)
    assert after.count.tolist() == before.count.tolist() == [59, 59, 59]
    # rolled-up hours still count their flagged readings, which no longer enter the statistics
    everything = store.series("a", "relative_humidity", T0, end, bucket_s=3600)
    assert everything.flagged.tolist() == [1, 1, 1]
    assert everything.count.tolist() == [59, 59, 60]
    assert everything.maximum.tolist() == [59.0, 119.0, 500.0]
    assert after.mean[0] == pytest.approx(np.mean([m for m in range(60) if m != 30]))

    zones_after = store.zone_aggregates({"a": "z", "b": "z"}, "relative_humidity", T0, end)
    assert zones_after["z"].count == zones_before["z"].count
    assert zones_after["z"].mean == pytest.approx(zones_before["z"].mean)
    assert (zones_after["z"].min, zones_after["z"].max) == (zones_before["z"].min, zones_before["z"].max)


def test_raw_series_shows_one_point_per_rolled_hour(store: Store) -> None:
    three_hours(store)
    store.roll_up(T0 + timedelta(hours=1))
    s = store.series("b", "relative_humidity", T0, T0 + timedelta(hours=2))
    # hour 0 is one aggregate point at its start, hour 1 its 6 raw readings
    assert s.times[0] == np.datetime64("2024-03-01T00:00:00")
    assert s.count.tolist() == [6, 1, 1, 1, 1, 1, 1]
    assert len(s) == 7


def test_late_readings_merge_into_an_existing_hour(store: Store) -> None:
    store.add_readings([r("a", 0, 10.0), r("a", 1, 20.0)])
    store.roll_up(T0 + timedelta(hours=1))
    store.add_readings([r("a", 2, 60.0), r("a", 3, 0.0, "stuck")])  # arrived late, same hour
    store.roll_up(T0 + timedelta(hours=1))
    assert store.count_readings() == 0
    assert store.count_hourly() == 1
    s = store.series("a", "relative_humidity", T0, T0 + timedelta(hours=1), bucket_s=3600)
    assert (s.count[0], s.flagged[0]) == (3, 1)
    assert (s.minimum[0], s.mean[0], s.maximum[0]) == (10.0, 30.0, 60.0)


def test_roll_up_with_nothing_old_changes_nothing(store: Store) -> None:
    three_hours(store)
    n = store.count_readings()
    result = store.roll_up(T0 + timedelta(minutes=59))
    assert (result.rolled, result.hours) == (0, 0)
    assert store.count_readings() == n


def test_apply_retention_keeps_raw_days(store: Store) -> None:
    three_hours(store)
    result = apply_retention(store, T0 + timedelta(days=90, hours=1), RetentionSettings(raw_days=90))
    assert result.horizon == T0 + timedelta(hours=1)
    assert store.count_readings(sensor="b") == 12
