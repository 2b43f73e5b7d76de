"""simulation.running_windows: the live alerts' trailing windows, updated a sample at a time, give
what the batch functions give on the window, and a reading costs the same after a week as after
an hour (simulation.derived_alerts.DerivedCauses, the alert engine's history-hungry causes)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from simulation.derived_alerts import DerivedCauses
from simulation.light_dose import annualised_exposure
from simulation.materials import load_profiles
from simulation.mould import days_above_isopleth
from simulation.paths import scenes_dir
from simulation.running_windows import LastTwo, RunningExposure, RunningIsoplethDays, RunningRange
from simulation.scene import load_scene
from simulation.scene_alerts import relic_sources
from simulation.time_axis import DAY_S, HOUR_S, trailing_range


def irregular(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dt = rng.choice([300.0, 600.0, 900.0, 9 * HOUR_S], size=n, p=[0.3, 0.5, 0.19, 0.01])
    return 1.7e9 + np.cumsum(dt), np.round(50 + np.cumsum(rng.normal(0, 0.5, n)), 1)


def test_running_range_is_the_trailing_range():
    t, v = irregular(3000, 1)
    w = RunningRange(DAY_S)
    assert [w.add(a, b) for a, b in zip(t, v, strict=True)] == pytest.approx(trailing_range(t, v, DAY_S))


def test_running_exposure_is_the_annualised_exposure_of_the_window():
    t, v = irregular(4000, 2)
    lux = np.clip(v, 0, None) * 3
    w = RunningExposure(7 * DAY_S)
    for i in range(t.size):
        w.add(t[i], lux[i])
        if i % 97 == 0 and i:
            inside = t >= t[i] - 7 * DAY_S
            inside[i + 1:] = False
            assert w.annualised() == pytest.approx(annualised_exposure(t[inside], lux[inside]), rel=1e-9)


def test_running_isopleth_days_is_the_days_above_the_isopleth_in_the_window():
    n = 3000
    t = 1.7e9 + np.arange(n) * 600.0
    rng = np.random.default_rng(4)
    temp = 18 + 4 * np.sin(np.arange(n) / 144 * 2 * np.pi) + rng.normal(0, 0.2, n)
    rh = 78 + 12 * np.sin(np.arange(n) / 300) + rng.normal(0, 1, n)
    temps, w = LastTwo(), RunningIsoplethDays(7 * DAY_S)
    seen = []
    for i in range(n):
        if i % 2:  # the humidity is heard first, then the temperature of the same instant
            w.add(t[i], rh[i], temps)
            temps.add(t[i], temp[i])
        else:
            temps.add(t[i], temp[i])
            w.add(t[i], rh[i], temps)
        if i % 101 == 0 and i:
            inside = (t >= t[i] - 7 * DAY_S) & (np.arange(n) <= i)
            expected = days_above_isopleth(t[inside], temp[inside], rh[inside])
            assert w.days(t[i], temps) == pytest.approx(expected, abs=1e-9)
            seen.append(expected)
    assert min(seen) < 0.5 and 3 < max(seen) < 7  # damp some of the time: the test judges something


def _derived_cost(history_h: float) -> float:
    """Process time per reading of DerivedCauses (demo hall, every source sensor each 10 min) after
    ``history_h`` of readings: the best of three runs of 100 rounds."""
    scene = load_scene(scenes_dir() / "demo_hall")
    profiles = load_profiles()
    sources = relic_sources(scene, profiles)
    derived = DerivedCauses(scene, profiles, sources)
    feeds = sorted({(s, q) for (_, q), s in sources.items()})
    base = np.array([{"temperature": 20.0, "relative_humidity": 75.0, "illuminance": 50.0}.get(q, 10.0)
                     for _, q in feeds])
    steps = int(history_h * 6)
    values = base + np.random.default_rng(5).normal(0, 0.5, (steps + 300, len(feeds)))
    rounds = [[(s, q, 1.7e9 + 600.0 * i, float(v)) for (s, q), v in zip(feeds, row, strict=True)]
              for i, row in enumerate(values.tolist())]
    for i in range(steps):
        for r in rounds[i]:
            derived.observe(*r)
    best = float("inf")
    for k in range(3):
        chunk = [r for rs in rounds[steps + 100 * k: steps + 100 * (k + 1)] for r in rs]
        start = time.process_time()
        for r in chunk:
            derived.observe(*r)
        best = min(best, (time.process_time() - start) / len(chunk))
    return best


def test_derived_causes_cost_per_reading_does_not_grow_with_the_week_they_span():
    hours = _derived_cost(3.0)  # every window holds 3 h
    week = _derived_cost(7 * 24.0 + 2)  # every window full: a day of 24 h change, a week of dose and mould
    # windows recomputed at each reading cost nearly 3 times more after a week than after 3 h
    assert week < 2.0 * hours, (hours, week)
