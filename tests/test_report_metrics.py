"""The report's metric functions on series small enough to work out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.completeness import completeness
from simulation.compliance import daily_share, hours_where, time_in_band
from simulation.light_dose import pro_rata_budget, uv_dose
from simulation.materials import load_profiles
from simulation.mould import days_above_isopleth
from simulation.report_figures import relic_figures

H = 3600.0


def test_time_in_band_weights_by_hold_and_caps_logger_gaps():
    t = np.array([0, 1, 2, 3, 13]) * H  # a 10 h silence after the 4th sample
    v = np.array([50.0, 70.0, 50.0, 50.0, 70.0])
    # holds: 1, 1, 1, 6 (capped from 10), 1 (median gap) h -> outside 2 h of 10
    assert time_in_band(t, v, 40, 60) == pytest.approx(8 / 10)
    assert hours_where(t, v > 60) == pytest.approx(2.0)
    assert np.isnan(time_in_band([], [], 40, 60))


def test_daily_share_counts_each_sample_on_its_own_day():
    t = np.arange(48) * H
    flags = np.zeros(48, bool)
    flags[30:36] = True  # 6 h of day 1
    got = daily_share(t, flags, 0.0, 3)
    assert got[0] == 0 and got[1] == pytest.approx(6 / 24) and np.isnan(got[2])


def test_completeness_and_gaps():
    t = np.concatenate([np.arange(0, 10), np.arange(20, 48)]) * H  # hours 10-19 missing
    c = completeness(t, 0.0, 48 * H)
    assert c.interval_s == H and c.expected == 48 and c.received == 38
    assert c.gaps == ((9 * H, 20 * H),) and c.gap_hours == pytest.approx(11.0)
    assert completeness([], 0.0, H).received == 0


def test_uv_dose_and_budget():
    t = np.array([0.0, H, 2 * H])
    # 200 lx at 50 µW/lm = 10 000 µW/m² for 2 h = 20 mW·h/m²
    assert uv_dose(t, [200, 200, 200], [50, 50, 50]) == pytest.approx(20.0)
    assert pro_rata_budget(8760.0, 24 * H) == pytest.approx(24.0)


def test_days_above_the_mould_isopleth():
    t = np.arange(0, 49) * H
    rh = np.where(t < 24 * H, 85.0, 60.0)  # above LIM B I (78 % at 20 °C) for the first day
    assert days_above_isopleth(t, np.full(t.size, 20.0), rh) == pytest.approx(1.0)


def test_relic_figures_for_pollutants_uv_and_condensation():
    p = load_profiles()["silk"]
    t = np.arange(0, 24 * 10) * H
    so2 = np.where(t < 24 * H, 30.0, 5.0)  # one day of ten above the 10 µg/m³ default limit
    tc = np.full(t.size, 20.0)
    rh = np.full(t.size, 50.0)
    cold = (t, np.full(t.size, 9.0))  # dew point of 20 °C / 50 % is 9.26 °C
    figs = {(f.metric, f.quantity): f for f in relic_figures(
        p, {"so2": (t, so2), "temperature": (t, tc), "relative_humidity": (t, rh)}, t[0], t[-1] + H,
        cold_surface=cold)}
    assert figs[("in_range", "so2")].value == pytest.approx(90.0) and figs[("in_range", "so2")].ok is False
    assert figs[("max", "so2")].value == 30.0
    margin = figs[("dew_margin_min", "")]
    assert margin.value == pytest.approx(9.0 - 9.26, abs=0.01) and margin.ok is False
    assert figs[("surface_rh_hours", "")].value == pytest.approx(240.0)
