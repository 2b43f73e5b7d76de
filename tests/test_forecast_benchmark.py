"""benchmarks/forecast.py: the windows it scores and how it judges band coverage."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from scipy.stats import binom

SPEC = importlib.util.spec_from_file_location(
    "forecast_benchmark", Path(__file__).resolve().parents[1] / "benchmarks" / "forecast.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)

STEP = 300.0  # 5 min, the outdoor logger's grid
HIST = int(14 * 86400 / STEP)
H = int(12 * 3600 / STEP)


def test_short_series_get_hourly_origins_long_ones_every_7_h() -> None:
    """A month at 5 min has 96 windows at 7 h (origins from the second day on, when a seventh of
    the 14-day window holds readings), too few: it is cut every 2 h, 336 windows. Three months
    keep 7 h."""
    month = np.arange(30 * 288, dtype=float)
    assert bench.cut_windows(month, HIST, H, 84).origin.size == 96
    win, every = bench.windows(month, HIST, H, STEP)
    assert every == 7200.0
    assert win.origin.size == 336
    assert np.all(np.diff(win.origin) == 24)
    quarter = np.arange(90 * 288, dtype=float)
    win, every = bench.windows(quarter, HIST, H, STEP)
    assert every == 7 * 3600.0 and win.origin.size >= bench.MIN_WINDOWS
    assert np.all(np.diff(win.origin) == 84)


def test_a_window_s_future_never_overlaps_its_own_history() -> None:
    """Each window's history ends at its origin and its future starts on the next reading: with
    the values equal to their index, no future index is at or before the origin."""
    values = np.arange(30 * 288, dtype=float)
    win, _ = bench.windows(values, HIST, H, STEP)
    np.testing.assert_array_equal(win.history[:, -1], win.origin)
    np.testing.assert_array_equal(win.future[:, 0], win.origin + 1)
    assert np.all(np.nanmax(win.history, axis=1) < np.nanmin(win.future, axis=1))


def test_independent_windows_are_span_over_lead() -> None:
    """Windows an hour apart at 6 h and 12 h leads: a sixth and a twelfth of them; 7 h apart at 6 h: all."""
    np.testing.assert_allclose(bench.independent(np.array([120, 120]), 3600.0), [20.0, 10.0])
    np.testing.assert_allclose(bench.independent(np.array([120, 120]), 7 * 3600.0), [120.0, 70.0])


def test_binomial_interval_is_that_of_a_true_95_percent_band() -> None:
    lo, hi = bench.binomial_interval(np.array([40.0, 400.0]))
    np.testing.assert_allclose(lo, binom.ppf(0.005, [40, 400], 0.95) / [40, 400])
    np.testing.assert_allclose(hi, binom.ppf(0.995, [40, 400], 0.95) / [40, 400])
    assert hi[0] == 1.0 and lo[1] >= 0.92  # 40 windows cannot tell 100 % from 95 %; 400 can
