"""simulation.forecast: forecasts and bands inside the quantity's physical range, and honest bands
from one or two readings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as student_t

from simulation.forecast import clip_to_limits, forecast, forecast_many
from simulation.forecast_inputs import Input, forecast_with_inputs
from simulation.quantities import QUANTITIES

STEP = 900.0
DAY = 96
RH = (QUANTITIES["relative_humidity"].low, QUANTITIES["relative_humidity"].high)


def saturating_rh(days: float, seed: int) -> np.ndarray:
    """An outdoor-like RH: 89 %RH mean, a 10 %RH daily swing reaching 99 %RH at night (where the
    series ends), noise of 1 %RH."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(days * DAY))
    return np.minimum(89.0 + 10.0 * np.cos(2.0 * np.pi * t / DAY) + rng.standard_normal(t.size), 100.0)


def test_rh_band_near_saturation_stays_within_0_100() -> None:
    """Forecast at the night-time peak: unbounded, the band reaches past 100 %RH (a physically
    impossible reading); with the limits it ends at 100 and nothing else changes below it."""
    y = saturating_rh(14, seed=1)
    free = forecast(y, STEP, 48)
    bounded = forecast(y, STEP, 48, limits=RH)
    assert free.upper.max() > 100.0  # the test has teeth
    assert bounded.upper.max() <= 100.0 and bounded.lower.min() >= 0.0
    assert np.all(bounded.lower <= bounded.mean) and np.all(bounded.mean <= bounded.upper)
    inside = free.upper < 100.0
    np.testing.assert_array_equal(bounded.upper[inside], free.upper[inside])
    np.testing.assert_array_equal(bounded.lower, free.lower)  # far from 0 %RH: untouched
    np.testing.assert_array_equal(bounded.models, free.models)


def test_limits_per_sensor_rows() -> None:
    """forecast_many takes one range per sensor: the RH row is cut at 100, the temperature row
    (range -40..85 degC) is left alone."""
    y = np.stack([saturating_rh(14, seed=2), saturating_rh(14, seed=2) - 70.0])
    q = ("relative_humidity", "temperature")
    low = np.array([QUANTITIES[k].low for k in q])
    high = np.array([QUANTITIES[k].high for k in q])
    fc = forecast_many(y, STEP, 48, limits=(low, high))
    free = forecast_many(y, STEP, 48)
    assert fc.upper[0].max() == 100.0
    np.testing.assert_array_equal(fc.upper[1], free.upper[1])
    np.testing.assert_array_equal(fc.lower[1], free.lower[1])


def test_forecast_with_inputs_clips_too() -> None:
    y = saturating_rh(30, seed=3)
    x = y + np.random.default_rng(4).standard_normal(y.size)
    fx = forecast_with_inputs(y, STEP, 48, [Input("outdoor_rh", x, True)], limits=RH).batch
    assert fx.upper.max() <= 100.0 and fx.lower.min() >= 0.0
    assert np.all(fx.lower <= fx.mean) and np.all(fx.mean <= fx.upper)


def test_one_reading_gets_the_whole_range_not_nan() -> None:
    """One reading says nothing about how the sensor moves: the band is the physical range (with
    limits) or unbounded (without), never NaN; the forecast is the reading."""
    for values in (np.array([55.0]), np.r_[np.full(30, np.nan), 55.0]):
        fc = forecast(values, STEP, 8, limits=RH)
        np.testing.assert_array_equal(fc.mean, np.full(8, 55.0))
        np.testing.assert_array_equal(fc.lower, np.zeros(8))
        np.testing.assert_array_equal(fc.upper, np.full(8, 100.0))
        free = forecast(values, STEP, 8)
        assert np.all(free.lower == -np.inf) and np.all(free.upper == np.inf)


def test_two_readings_band_is_student_t_on_one_change() -> None:
    """From two readings (one change d) the random-walk band is t_1 |d| sqrt(k) about the last
    reading: sigma from one change is a Student-t interval on one degree of freedom (12.7, not
    1.96). Computed here from scipy's t distribution."""
    fc = forecast(np.array([50.0, 50.37]), STEP, 4)  # not on a logger grid (no grid centring)
    half = student_t.ppf(0.975, 1) * 0.37 * np.sqrt(np.arange(1, 5))
    np.testing.assert_allclose(fc.upper - fc.mean, half, rtol=1e-9)
    np.testing.assert_allclose(fc.mean - fc.lower, half, rtol=1e-9)
    # ten readings (too few backtest origins for a conformal band): nine degrees of freedom
    rng = np.random.default_rng(5)
    walk = 50.0 + np.cumsum(0.1 * rng.standard_normal(10))
    ten = forecast(walk, STEP, 4)
    sigma = np.sqrt(np.mean(np.diff(walk) ** 2))
    np.testing.assert_allclose(ten.upper - ten.mean, student_t.ppf(0.975, 9) * sigma * np.sqrt(np.arange(1, 5)),
                               rtol=1e-9)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        forecast(np.array([50.0, 51.0]), STEP, 4, limits=(100.0, 0.0))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 100.0), min_size=1, max_size=300),
    st.integers(1, 24),
)
def test_any_rh_series_forecast_stays_in_range(values: list[float], h: int) -> None:
    """Whatever the readings (within 0-100 %RH), the forecast and band stay within 0-100 and
    lower <= mean <= upper."""
    fc = forecast(np.array(values), STEP, h, limits=RH)
    assert np.all(np.isfinite(fc.mean))
    assert np.all((fc.lower >= 0.0) & (fc.upper <= 100.0))
    assert np.all((fc.lower <= fc.mean) & (fc.mean <= fc.upper))


def test_clip_to_limits_moves_an_impossible_mean_onto_the_limit() -> None:
    mean, lo, hi = clip_to_limits(np.array([[101.0, 50.0]]), np.array([[99.0, 40.0]]),
                                  np.array([[103.0, 60.0]]), RH)
    np.testing.assert_array_equal(mean, [[100.0, 50.0]])
    np.testing.assert_array_equal(lo, [[99.0, 40.0]])
    np.testing.assert_array_equal(hi, [[100.0, 60.0]])
