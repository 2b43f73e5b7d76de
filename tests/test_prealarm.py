"""Forecast pre-alarms in the live twin: stored history -> forecast -> early warning -> yellow alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bridge.alerts.alerting import AlertService
from bridge.alerts.prealarm import Prealarms, PrealarmSettings, prealarm_observations, regular_history
from bridge.readings import Reading
from bridge.store import Store
from simulation.materials import load_profiles
from simulation.paths import scenes_dir
from simulation.scene import load_scene

NOW = datetime(2026, 7, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scene():
    return load_scene(scenes_dir() / "demo_hall")


def store_series(store: Store, sensor: str, quantity: str, values: np.ndarray, step_min: int = 10) -> None:
    """values[-1] at NOW, one every step_min minutes before it."""
    n = len(values)
    store.add_readings([Reading(sensor, quantity, NOW - timedelta(minutes=step_min * (n - 1 - i)), float(v),
                                "%RH" if quantity == "relative_humidity" else "°C") for i, v in enumerate(values)])


def test_regular_history_buckets_and_leaves_gaps_missing(tmp_path):
    with Store.open(data_dir=tmp_path) as store:
        store_series(store, "S02", "relative_humidity", np.arange(30.0, 36.0))  # the last hour, 10-min steps
        h = regular_history(store, "S02", "relative_humidity", NOW, PrealarmSettings(history_h=2.0))
    assert h.shape == (12,)
    assert np.isnan(h[:6]).all()  # nothing stored an hour and more ago
    assert np.allclose(h[6:], np.arange(30.0, 36.0))


def test_rising_humidity_in_the_bronze_case_raises_a_yellow_prealarm_before_the_limit(tmp_path, scene):
    """RH creeping up 0.25 %RH/h with a daily wobble toward the bronze's 40 % limit: warned about, not yet over."""
    t = np.arange(72 * 6) / 6.0  # 72 h, 10-min steps, hours
    rising = 35.0 + 0.25 * (t - t[-1]) + 3.0 + 0.3 * np.sin(2 * np.pi * t / 24)  # now about 38 %RH, limit 40
    flat = 50.0 + 0.3 * np.sin(2 * np.pi * t / 24)                            # the gargoyle: mid-band
    profiles = load_profiles()
    with Store.open(data_dir=tmp_path) as store:
        store_series(store, "S02", "relative_humidity", rising)
        store_series(store, "S12", "relative_humidity", flat)
        obs = {(o.target.id, o.quantity): o for o in prealarm_observations(store, scene, profiles, NOW)}
        assert obs[("ding", "relative_humidity")].probability > 0.5
        assert 0 < obs[("ding", "relative_humidity")].time_to_breach_s <= 12 * 3600
        assert obs[("gargoyle", "relative_humidity")].probability < 0.05
        assert ("lion", "relative_humidity") not in obs  # no history: no forecast
        alerts = AlertService(scene, clock=lambda: NOW)
        pre = Prealarms(store, scene, profiles, clock=lambda: NOW)
        events = alerts.observe(pre.due())
        assert pre.due() is None  # not again within 10 min
    raised = [e for e in events if e["cause"] == "forecast_breach"]
    assert [(e["kind"], e["tier"], e["target"]["id"]) for e in raised] == [("raised", "yellow", "ding")]
    assert raised[0]["advice"]["zh-CN"] and raised[0]["advice"]["en"]
