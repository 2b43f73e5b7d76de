"""Conservation metrics against published check values and closed forms."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.ashrae_classes import ashrae_class, class_compliance
from simulation.condensation import condensation_margin, condensation_risk, surface_relative_humidity
from simulation.en15757 import EN15757Settings, historical_band
from simulation.fluctuation import change_24h, max_change_24h
from simulation.light_dose import annual_dose_fraction, annualised_exposure, cumulative_exposure, uv_ratio
from simulation.moisture_content import corrosion_band, emc_wood, mechanical_damage_band
from simulation.mould import days_to_germination, germination_progress, lim_rh
from simulation.preservation_index import preservation_index, time_weighted_preservation_index
from simulation.psychrometrics import dew_point
from simulation.time_axis import seconds

HOUR = 3600.0
DAY = 86400.0


# ---------------------------------------------------------------- Preservation Index
def test_pi_at_20c_45rh_matches_ipi_about_45_years():
    # IPI: about 45 years at 20 °C / 45 %RH. Padfield's closed form gives 46.4; we allow 5 %,
    # the spread between the closed form and IPI's own table in this region.
    pi = float(preservation_index(20.0, 45.0))
    assert pi == pytest.approx(45.0, rel=0.05)
    assert pi == pytest.approx(46.40, abs=0.01)  # the closed form itself, computed by hand


def test_pi_arrhenius_temperature_factor():
    # 5 K warmer: rate x exp(Ea/R (1/293.15 - 1/298.15)) = x1.861 (Ea = 90.3 kJ/mol)
    ratio = preservation_index(20.0, 50.0) / preservation_index(25.0, 50.0)
    assert float(ratio) == pytest.approx(math.exp(90300 / 8.314 * (1 / 293.15 - 1 / 298.15)), rel=1e-12)
    assert float(ratio) == pytest.approx(1.861, abs=0.002)
    # and rate proportional to RH
    assert float(preservation_index(20, 30) / preservation_index(20, 60)) == pytest.approx(2.0)


@given(st.floats(0, 35), st.floats(10, 90), st.floats(0.1, 5))
def test_pi_falls_when_warmer_or_wetter(t, rh, d):
    assert preservation_index(t + d, rh) < preservation_index(t, rh)
    assert preservation_index(t, rh + d) < preservation_index(t, rh)


def test_twpi_is_time_weighted_harmonic_mean():
    t = np.arange(0, 10 * DAY, HOUR)
    temp = np.where(t < 5 * DAY, 15.0, 25.0)
    rh = np.full(t.size, 50.0)
    a, b = float(preservation_index(15, 50)), float(preservation_index(25, 50))
    assert time_weighted_preservation_index(t, temp, rh) == pytest.approx(2 * a * b / (a + b), rel=1e-3)
    assert time_weighted_preservation_index(t, np.full(t.size, 20.0), rh) == pytest.approx(
        float(preservation_index(20, 50)))
    # a warm spell dominates: TWPI well below the arithmetic mean of PI
    assert time_weighted_preservation_index(t, temp, rh) < (a + b) / 2


def test_pi_of_dry_air_is_infinite_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 1 / 0 is the documented answer, not a numpy warning
        assert float(preservation_index(20.0, 0.0)) == math.inf


def test_twpi_edge_cases():
    """Unusable samples are left out (NaN, infinite RH, RH 0 whose PI is infinite); a single sample or
    a record too short to weigh gives the plain value; nothing usable gives NaN."""
    t = np.array([0.0, HOUR, 2 * HOUR, 3 * HOUR])
    a, b = float(preservation_index(15, 50)), float(preservation_index(25, 50))
    harmonic = 2 * a * b / (a + b)
    assert time_weighted_preservation_index(t, [15.0, 25.0, 15.0, 25.0], [50.0] * 4) == pytest.approx(harmonic)
    for bad in (np.nan, np.inf, 0.0):
        rh = [50.0, 50.0, bad, 50.0]  # the third sample's hour is left out
        got = time_weighted_preservation_index(t, [15.0, 25.0, 15.0, 25.0], rh)
        assert got == pytest.approx(3 * a * b / (b + 2 * a), rel=1e-12), bad  # a, b, b for 1 h each
    assert time_weighted_preservation_index([0.0], [25.0], [50.0]) == pytest.approx(b)
    assert math.isnan(time_weighted_preservation_index(t, [20.0] * 4, [np.nan] * 4))
    # samples a quarter second apart still weigh by time: harmonic, not arithmetic mean
    assert time_weighted_preservation_index([0.0, 0.25], [15.0, 25.0], [50.0, 50.0]) == pytest.approx(harmonic)
    # hot and damp (PI below a year) counts like any other sample
    hot = float(preservation_index(50.0, 90.0))
    assert hot < 1.0
    assert time_weighted_preservation_index([0.0, HOUR], [50.0, 15.0], [90.0, 50.0]) == pytest.approx(
        2 * hot * a / (hot + a))


def test_twpi_weights_by_time_not_samples():
    # dense sampling of the cold half must not pull TWPI up
    t = np.concatenate([np.arange(0, 5 * DAY, 60.0), np.arange(5 * DAY, 10 * DAY, HOUR)])
    temp = np.where(t < 5 * DAY, 15.0, 25.0)
    a, b = float(preservation_index(15, 50)), float(preservation_index(25, 50))
    got = time_weighted_preservation_index(t, temp, np.full(t.size, 50.0))
    # (the last sample holds for the median gap, 1 min, not 1 h: 0.2 % of the warm half)
    assert got == pytest.approx(2 * a * b / (a + b), rel=5e-3)


# ---------------------------------------------------------------- EMC
@pytest.mark.parametrize("rh, table", [(30, 6.2), (50, 9.2), (65, 12.0), (80, 16.0)])
def test_emc_matches_wood_handbook_table_4_2_at_70f(rh, table):
    # Wood Handbook (FPL 2010) Table 4-2, 70 °F column.
    assert float(emc_wood((70 - 32) / 1.8, rh)) == pytest.approx(table, abs=0.06)


def test_emc_bands():
    assert list(mechanical_damage_band([4.9, 5.0, 12.5, 12.6])) == [-1, 0, 0, 1]
    assert list(corrosion_band([6.9, 7.0, 7.1, 10.5, 10.6])) == [0, 0, 1, 1, 2]
    # 20 °C: 25 %RH is too dry for wood, 75 %RH too damp; 50 % fine
    assert list(mechanical_damage_band(emc_wood(20, [20, 50, 75]))) == [-1, 0, 1]


# ---------------------------------------------------------------- dew point and condensation
@pytest.mark.parametrize("t, rh, td", [(20, 50, 9.3), (25, 60, 16.7), (10, 80, 6.7), (30, 70, 23.9),
                                       (0, 90, -1.4), (20, 100, 20.0)])
def test_dew_point_table(t, rh, td):
    # Dew-point tables (e.g. WMO-No. 8 Annex 4.B / any psychrometric table), 0.1 K resolution.
    assert float(dew_point(t, rh)) == pytest.approx(td, abs=0.1)


def test_condensation_on_cold_glass():
    # air 20 °C / 50 %RH: dew point 9.3 °C
    assert float(surface_relative_humidity(20, 50, float(dew_point(20, 50)))) == pytest.approx(100.0)
    assert float(condensation_margin(20, 50, 12.0)) == pytest.approx(12.0 - 9.26, abs=0.01)
    # 14.3 °C surface: surface RH about 68 %: none; 11 °C: ~89 % mould-critical; 8 °C: condensing
    assert list(condensation_risk(20, 50, [14.3, 11.0, 8.0])) == [0, 1, 2]


# ---------------------------------------------------------------- mould
def test_mould_isopleths():
    assert float(lim_rh(20)) == pytest.approx(78.0)
    assert np.all(lim_rh([5, 15, 25], "B II") > lim_rh([5, 15, 25], "B I"))
    assert np.all(np.diff(lim_rh(np.arange(0, 31))) <= 0)  # easier when warmer, up to 30 °C
    assert np.isinf(lim_rh(-2.0))
    with pytest.raises(KeyError, match="B I"):
        lim_rh(20, "B III")


def test_days_to_germination_hukka_viitanen():
    # 20 °C, 97 %RH: exp(-0.68 ln 20 - 13.9 ln 97 + 66.02) = 1.484 weeks = 10.39 days
    assert float(days_to_germination(20, 97)) == pytest.approx(10.39, abs=0.01)
    assert days_to_germination(25, 90) < days_to_germination(20, 90) < days_to_germination(20, 85)
    assert np.isinf(days_to_germination(-1, 95))


def test_germination_clock_accumulates_only_above_isopleth():
    t = np.arange(0, 30 * DAY + 1, HOUR)
    damp = germination_progress(t, np.full(t.size, 25.0), np.full(t.size, 97.0))
    d = float(days_to_germination(25, 97))
    k = int(np.searchsorted(damp, 1.0))
    assert t[k] / DAY == pytest.approx(d, abs=0.1)
    dry = germination_progress(t, np.full(t.size, 25.0), np.full(t.size, 70.0))
    assert dry[-1] == 0.0
    # half the time damp: half the progress
    rh = np.where((t // DAY) % 2 == 0, 97.0, 60.0)
    half = germination_progress(t, np.full(t.size, 25.0), rh)
    assert half[-1] == pytest.approx(damp[-1] / 2, rel=0.05)


# ---------------------------------------------------------------- light
def test_light_dose_50lx_8h_a_day_for_a_year():
    t = np.arange(0, 365 * DAY, 600.0)
    lux = np.where((t % DAY) < 8 * HOUR, 50.0, 0.0)
    total = cumulative_exposure(t, lux)[-1]
    # 50 lx x 8 h x 365 = 146 000 lx·h (trapezoid ramps at switch-on/off cost < 0.3 %)
    assert total == pytest.approx(146_000, rel=0.003)
    assert annual_dose_fraction(t[: 7 * 144], lux[: 7 * 144], 146_000) == pytest.approx(1.0, rel=0.02)


def test_light_dose_ignores_logger_gaps_and_accepts_datetimes():
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    times = [t0, t0 + timedelta(hours=1), t0 + timedelta(hours=30), t0 + timedelta(hours=31)]
    ex = cumulative_exposure(times, [100.0, 100.0, 100.0, 100.0])
    assert list(ex) == pytest.approx([0, 100, 100, 200])
    assert annualised_exposure(times, [100.0] * 4) == pytest.approx(200 * 8760 / 31)
    assert list(uv_ratio([10, 20, 75], 20.0)) == [0.5, 1.0, 3.75]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        seconds([datetime(2025, 1, 1)])


# ---------------------------------------------------------------- 24 h change
def test_change_24h_of_a_ramp_and_a_step():
    t = np.arange(0, 3 * DAY, 600.0)
    ramp = 40 + 0.5 * t / HOUR
    r = change_24h(t, ramp)
    assert r[0] == 0.0
    assert r[-1] == pytest.approx(0.5 * (24 - 1 / 6))  # window (t-24 h, t] holds 143 steps of 10 min
    step = np.where(t < DAY, 50.0, 58.0)
    s = change_24h(t, step)
    assert max_change_24h(t, step) == 8.0
    assert s[int(2.5 * DAY / 600)] == 0.0  # a day after the step the window is flat again


# ---------------------------------------------------------------- EN 15757
def _year(noise, seed=0):
    t = np.arange(0, 365 * DAY, HOUR)
    seasonal = 52 + 6 * np.sin(2 * np.pi * t / (365 * DAY))
    rng = np.random.default_rng(seed)
    return t, seasonal, seasonal + rng.normal(0, noise, t.size)


def test_en15757_band_is_seasonal_plus_7th_93rd_percentiles():
    t, seasonal, rh = _year(noise=8.0)
    b = historical_band(t, rh, EN15757Settings(seasonal_clip=None))
    mid = slice(40 * 24, 320 * 24)  # away from the truncated ends of the moving average
    assert np.abs(b.seasonal[mid] - seasonal[mid]).max() < 1.0
    # noise 8 %RH: percentiles at ±1.476 sigma = ±11.8, wider than the ±10 minimum
    assert np.median(b.upper - b.seasonal) == pytest.approx(11.8, abs=0.4)
    assert b.fraction_inside == pytest.approx(0.86, abs=0.01)


def test_en15757_minimum_half_width_and_clip():
    t, _, rh = _year(noise=1.0)
    b = historical_band(t, rh, EN15757Settings(seasonal_clip=None))
    assert np.allclose(b.upper - b.seasonal, 10.0) and np.allclose(b.seasonal - b.lower, 10.0)
    assert b.fraction_inside == 1.0
    clipped = historical_band(t, rh + 20, EN15757Settings())  # seasonal 72 %: target held at 60
    assert np.nanmax(clipped.upper) == pytest.approx(70.0)


# ---------------------------------------------------------------- ASHRAE classes
def test_ashrae_classes_of_synthetic_records():
    t = np.arange(0, 365 * DAY, HOUR)
    rng = np.random.default_rng(3)
    temp = 20 + rng.normal(0, 0.5, t.size)
    steady = 50 + rng.normal(0, 1.0, t.size)
    assert ashrae_class(t, temp, steady) == "AA"
    seasonal = 50 + 8 * np.sin(2 * np.pi * t / (365 * DAY)) + rng.normal(0, 1.0, t.size)
    assert ashrae_class(t, temp, seasonal) == "As"  # seasonal swing allowed, small fluctuations
    wobbly = 50 + rng.uniform(-8, 8, t.size)
    assert ashrae_class(t, temp, wobbly) == "A"  # ±10 short-term, no seasonal change
    loose = 50 + rng.uniform(-20, 20, t.size)
    assert ashrae_class(t, temp, loose) == "C"
    damp = np.full(t.size, 80.0)
    assert ashrae_class(t, temp, damp) == ""
    comp = class_compliance(t, temp, damp)
    assert comp["D"] == 0.0 and comp["AA"] == 0.0  # perfectly stable but damp: classes are cumulative


# ---------------------------------------------------------------- order of samples
@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False))
def test_results_do_not_depend_on_sample_order(rnd):
    # logger exports are not always in time order (the Anonymous Library "Archive B" is not)
    from simulation.materials import Band
    from simulation.risk import assess_series

    t = np.arange(0, 4 * DAY, 900.0)
    temp = 20 + 3 * np.sin(t / DAY * 2 * np.pi)
    rh = 55 + 10 * np.sin(t / DAY * 2 * np.pi + 1)
    perm = np.array(rnd.sample(range(t.size), t.size))
    ts, temps, rhs = t[perm], temp[perm], rh[perm]
    assert change_24h(ts, rhs) == pytest.approx(change_24h(t, rh)[perm])
    assert cumulative_exposure(ts, rhs) == pytest.approx(cumulative_exposure(t, rh)[perm])
    assert germination_progress(ts, temps, rhs + 30) == pytest.approx(germination_progress(t, temp, rh + 30)[perm])
    assert time_weighted_preservation_index(ts, temps, rhs) == pytest.approx(
        time_weighted_preservation_index(t, temp, rh))
    band = Band("relative_humidity", 50.0, 60.0, 5.0)
    assert assess_series(ts, rhs, band) == assess_series(t, rh, band)


def test_preservation_index_of_single_precision_input_is_computed_in_double():
    """float32 temperatures or humidities give the float64 result of the same values."""
    t32 = np.array([5.3, 18.7, 24.1], dtype=np.float32)
    rh32 = np.array([35.3, 50.7, 65.1], dtype=np.float32)
    expected = preservation_index(t32.astype(float), rh32.astype(float))
    for t, rh in ((t32, rh32.astype(float)), (t32.astype(float), rh32)):
        got = preservation_index(t, rh)
        assert np.asarray(got).dtype == np.float64 and np.array_equal(got, expected)
