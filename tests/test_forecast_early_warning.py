"""simulation.early_warning: breach time and probability from a calibrated band."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from simulation.early_warning import EarlyWarning, breach_probability, early_warning, time_to_breach
from simulation.forecast import Forecast, forecast


def ramp(h: int = 12) -> Forecast:
    """Mean rising 50 -> 61 %RH, band -1/+2 at lead 0 widening linearly."""
    mean = 50.0 + np.arange(h)
    w = 1.0 + 0.1 * np.arange(h)
    return Forecast(mean, mean - w, mean + 2 * w, 0.95)


def test_probability_at_band_edges_and_median() -> None:
    fc = ramp()
    # the upper edge is the 97.5 % quantile: 2.5 % above it
    p = breach_probability(fc, high=float(fc.upper[0]))
    assert p[0] == pytest.approx(0.025, abs=1e-9)
    p = breach_probability(fc, low=float(fc.lower[3]))
    assert p[3] == pytest.approx(0.025, abs=1e-9)
    assert breach_probability(fc, high=float(fc.mean[5]))[5] == pytest.approx(0.5)
    # both limits at the band edges: 5 % outside
    both = breach_probability(fc, low=float(fc.lower[2]), high=float(fc.upper[2]))
    assert both[2] == pytest.approx(0.05, abs=1e-9)


def test_asymmetric_band_matches_half_normals() -> None:
    fc = ramp()
    x = float(fc.mean[0] + 1.0)  # upper half: sigma = 2 / 1.96
    expected = 1 - norm.cdf(1.0 / (2.0 / norm.ppf(0.975)))
    assert breach_probability(fc, high=x)[0] == pytest.approx(expected, rel=1e-9)


def test_time_to_breach() -> None:
    fc = ramp()
    assert time_to_breach(fc, high=55.5) == 6  # mean 56 at lead 6
    assert time_to_breach(fc, low=49.0) is None
    assert time_to_breach(fc, low=51.0) == 0
    assert time_to_breach(fc, high=70.0) is None
    # by probability: the band reaches 55.5 earlier than the mean
    k = time_to_breach(fc, high=55.5, probability=0.1)
    assert k is not None and k < 6


@settings(max_examples=50, deadline=None)
@given(limit=st.floats(40, 70), level=st.sampled_from([0.8, 0.9, 0.95]))
def test_probability_bounded_and_monotone_in_limit(limit: float, level: float) -> None:
    mean = np.linspace(50, 60, 8)
    fc = Forecast(mean, mean - 1.5, mean + 0.5, level)
    p = breach_probability(fc, high=limit)
    q = breach_probability(fc, high=limit + 0.5)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(q <= p + 1e-12)  # a higher limit is breached less often


def test_zero_width_band_is_a_step() -> None:
    fc = Forecast(np.array([20.0, 21.0]), np.array([20.0, 21.0]), np.array([20.0, 21.0]), 0.95)
    np.testing.assert_array_equal(breach_probability(fc, high=20.5), [0.0, 1.0])
    nan = Forecast(np.full(2, np.nan), np.full(2, np.nan), np.full(2, np.nan), 0.95)
    assert np.isnan(breach_probability(nan, high=1.0)).all()


def test_pre_alarm_from_real_forecast_and_texts() -> None:
    t = np.arange(7 * 96)
    y = 50 + 0.02 * t + 0.05 * np.sin(t)  # RH creeping up 2 % a day
    fc = forecast(y, 900.0, 48)
    warn = early_warning(fc, 900.0, low=40.0, high=float(y[-1] + 0.5))
    assert isinstance(warn, EarlyWarning)
    assert warn.side == "high" and warn.lead is not None and warn.seconds == (warn.lead + 1) * 900.0
    assert warn.probability >= 0.5
    assert "h" in warn.describe("en") and "小时" in warn.describe("zh")
    calm = early_warning(fc, 900.0, low=0.0, high=100.0)
    assert calm.lead is None and calm.side is None and calm.probability < 0.01
    assert "No breach" in calm.describe("en") and "不会超限" in calm.describe("zh")
