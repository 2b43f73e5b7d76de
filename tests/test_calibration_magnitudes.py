"""Calibration's numbers, one rule each, on a one-cell room and short records (fast).

A 5 m x 5 m x 2.7 m room run as one well-mixed cell with only air exchange is the implicit Euler
step of dT/dt = a (T_out - T) + P / (rho c_p V), a = ach / 3600; its water content likewise. The
recorder, the fit and the held-back-day report are checked against that closed form.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation import calibration as ca
from simulation import climate as cl
from simulation.psychrometrics import rh_from_vapour_density, vapour_density

ROOM = cl.HallGeometry(floor=np.array([[0, 0], [5, 0], [5, 5], [0, 5]], float), height=2.7,
                       probes=(cl.Probe("a", np.array([1.0, 1.0])), cl.Probe("b", np.array([4.0, 4.0]))))
V = 25.0 * 2.7
AIR_ONLY = cl.ClimateSettings(
    infiltration_ach=0.5, wall_u_w_m2k=0.0, roof_u_w_m2k=0.0, floor_u_w_m2k=0.0, hvac_supply_m3_h=0.0,
    internal_mass_j_m2k=0.0, buffer_capacity_g_m2_rh=0.0,
)


def euler(t0: float, w0: float, ach: float, dt: float, t_out, w_out, heat_w) -> tuple[np.ndarray, np.ndarray]:
    """Implicit Euler of the one-cell room: T, w at each step from (t0, w0)."""
    a = ach / 3600.0
    t, w = [t0], [w0]
    for i in range(len(t_out) - 1):
        t.append((t[-1] + dt * (a * t_out[i] + heat_w[i] / (cl.RHO_CP * V))) / (1.0 + dt * a))
        w.append((w[-1] + dt * a * w_out[i]) / (1.0 + dt * a))
    return np.array(t), np.array(w)


def record(n: int = 10, dt: float = 600.0) -> ca.CalibrationData:
    ts = np.arange(n) * dt
    t_in = np.full((n, 2), np.nan)
    rh_in = np.full((n, 2), np.nan)
    t_in[1] = [19.0, np.nan]  # incomplete: not a start
    t_in[2:] = [[18.0, 22.0]]
    rh_in[2:] = [[40.0, 60.0]]
    t_out = 5.0 + np.arange(n)  # warming outdoors
    rh_out = np.linspace(90.0, 60.0, n)
    heat = np.where(np.arange(n) % 3 == 0, 800.0, 0.0)
    return ca.CalibrationData(ts, t_in, rh_in, t_out, rh_out, heat, ROOM)


def test_simulate_record_is_the_one_cell_room_from_the_first_complete_row():
    data = record()
    t_sim, rh_sim = ca.simulate_record(data, AIR_ONLY, heat_gain_factor=1.5)
    assert t_sim.shape == rh_sim.shape == (10, 2)
    assert np.isnan(t_sim[:2]).all() and np.isnan(rh_sim[:2]).all()
    w_out = vapour_density(data.t_out, data.rh_out)
    t, w = euler(20.0, float(vapour_density(20.0, 50.0)), 0.5, 600.0, data.t_out[2:], w_out[2:], 1.5 * data.heat_w[2:])
    np.testing.assert_allclose(t_sim[2:, 0], t, rtol=1e-9)
    np.testing.assert_allclose(t_sim[2:, 1], t, rtol=1e-9)  # one well-mixed cell: both probes alike
    np.testing.assert_allclose(rh_sim[2:, 0], rh_from_vapour_density(t, w), rtol=1e-9)
    assert t_sim[2, 0] == 20.0 and rh_sim[2, 0] == pytest.approx(50.0)  # the mean of the first complete row


def test_simulate_record_runs_the_hvac_only_when_it_has_a_supply():
    data = record()
    on = replace(AIR_ONLY, hvac_supply_m3_h=300.0, hvac_setpoint_c=40.0, hvac_sensible_kw=1.0)
    t_on, _ = ca.simulate_record(data, on)
    t_off, _ = ca.simulate_record(data, replace(on, hvac_supply_m3_h=0.0))
    # 1 kW of heating from the first step on (20 K below its set point: saturated)
    assert t_on[3, 0] - t_off[3, 0] == pytest.approx(600.0 * 1000.0 / (cl.RHO_CP * V) / (1 + 600.0 * 0.5 / 3600), rel=1e-6)


def test_hourly_metrics_over_probes_and_partial_hours():
    """Two probes, 30-minute samples, the second probe missing one sample: hourly means per probe,
    all pooled; bias = mean(simulated - measured)."""
    ts = np.arange(6) * 1800.0  # 3 hours
    y = np.array([[10.0, 20.0], [12.0, 22.0], [14.0, np.nan], [16.0, 26.0], [18.0, 28.0], [20.0, 30.0]])
    sim = y + np.array([1.0, -2.0])
    sim[5, 0] = np.nan  # a missing simulated value drops out too
    m = ca.hourly_metrics(ts, y, sim, n_params=2)
    # hourly measured: probe a 11, 15, 18; probe b 21, 26, 29 -> mean 20; errors -1 x3, +2 x3
    assert m.hours == 6
    assert m.bias == pytest.approx(-0.5)
    assert m.rmse == pytest.approx(np.sqrt((3 * 1 + 3 * 4) / 6))
    assert m.cv_rmse_pct == pytest.approx(100 * np.sqrt(15 / (6 - 2)) / 20)
    assert m.nmbe_pct == pytest.approx(100 * 3 / ((6 - 2) * 20))
    plain = ca.hourly_metrics(ts, y, sim)  # no parameters by default: n in the denominators
    assert plain.cv_rmse_pct == pytest.approx(100 * np.sqrt(15 / 6) / 20)
    assert plain.nmbe_pct == pytest.approx(100 * 3 / (6 * 20))
    nan = ca.hourly_metrics(ts, y, sim, n_params=6)  # no degrees of freedom left
    assert nan.hours == 6 and all(np.isnan([nan.cv_rmse_pct, nan.nmbe_pct, nan.rmse, nan.bias]))


@pytest.mark.parametrize("cv, nmbe, ok", [(30.0, 10.0, True), (30.0, -10.0, True), (30.01, 0.0, False),
                                          (10.0, 10.01, False), (10.0, -10.01, False)])
def test_guideline_14_limits_are_inclusive(cv, nmbe, ok):
    assert ca.Metrics(cv, nmbe, 1.0, 0.0, 24).passes is ok


def synthetic(days: float = 1.5, dt: float = 1800.0, ach: float = 0.8, gain: float = 1.0):
    """A record the one-cell room itself made (noise free) under a daily outdoor swing."""
    n = int(days * 86400 / dt)
    ts = np.arange(n) * dt
    t_out = 6.0 + 5.0 * np.sin(2 * np.pi * ts / 86400)
    rh_out = 85.0 - 10.0 * np.sin(2 * np.pi * ts / 86400)
    heat = np.where((ts % 86400) < 6 * 3600, 1500.0, 0.0)
    empty = np.full((n, 2), np.nan)
    data = ca.CalibrationData(ts, empty, empty, t_out, rh_out, heat, ROOM)
    start = replace(data, t_in=np.full((n, 2), 18.0), rh_in=np.full((n, 2), 50.0))
    t_sim, rh_sim = ca.simulate_record(start, replace(AIR_ONLY, infiltration_ach=ach), heat_gain_factor=gain)
    return replace(data, t_in=t_sim, rh_in=rh_sim)


def test_fit_recovers_air_exchange_and_heat_gain_factor_exactly_on_noise_free_data():
    data = synthetic(ach=0.8, gain=1.4)
    base = replace(AIR_ONLY, infiltration_ach=0.3)
    s, gain, runs = ca.fit(data, slice(0, len(data.times_s)), ["infiltration_ach", "heat_gain_factor"], base,
                           max_nfev=6, spin_up_s=6 * 3600.0)
    assert s.infiltration_ach == pytest.approx(0.8, rel=1e-3)
    assert gain == pytest.approx(1.4, rel=1e-3)
    assert runs >= 4  # two parameters: every Jacobian costs two runs
    assert s.wall_u_w_m2k == 0.0 and s.internal_mass_j_m2k == 0.0  # the rest of the base is kept


def test_fit_starts_inside_its_bounds_and_returns_a_bounded_value():
    """A base value outside the bounds starts just inside them; the answer respects them (5 ach max)."""
    data = synthetic(ach=5.0, days=1.0)
    s, gain, _ = ca.fit(data, slice(0, len(data.times_s)), ["infiltration_ach"], replace(AIR_ONLY, infiltration_ach=9.0),
                        max_nfev=3, spin_up_s=3600.0)
    lo, hi = ca.BOUNDS["infiltration_ach"]
    assert lo <= s.infiltration_ach <= hi and s.infiltration_ach == pytest.approx(5.0, rel=1e-3)
    assert gain == 1.0  # not fitted: the measured gains as they are
    # below the lower bound (0.02 ach): starts just above it, and the answer is still the truth
    s, _, _ = ca.fit(synthetic(ach=0.5, days=1.0), slice(0, 48), ["infiltration_ach"],
                     replace(AIR_ONLY, infiltration_ach=0.0), max_nfev=3, spin_up_s=3600.0)
    assert s.infiltration_ach > lo


def test_fit_scores_only_the_training_samples_after_the_spin_up():
    """A fit on a 1.5-day record with a 1-day spin-up and the last 2 h held out scores only the
    12 h between: readings wrong by 7 K in the spin-up (the first row, the start, kept) and by 9 K
    after the training slice change nothing."""
    data = synthetic(ach=0.8)
    n = len(data.times_s)
    t_in = data.t_in.copy()
    spin = data.times_s < 86400.0
    spin[0] = False
    t_in[spin] += 7.0
    t_in[n - 4:] -= 9.0
    s, _, _ = ca.fit(replace(data, t_in=t_in), slice(0, n - 4), ["infiltration_ach"],
                     replace(AIR_ONLY, infiltration_ach=0.6), max_nfev=4, spin_up_s=86400.0)
    assert s.infiltration_ach == pytest.approx(0.8, rel=1e-3)


def test_calibrate_reports_held_back_days_only():
    """Fit on 2 days, judge the next 12 h (2 probes x 12 hours); the held-back hours never reach the fit.
    One step of the fit from 0.6 ach (max_nfev=2): enough to show what the fit saw."""
    data = synthetic(days=2.5, dt=3600.0, ach=0.8)
    params = ["infiltration_ach", "heat_gain_factor"]
    base = replace(AIR_ONLY, infiltration_ach=0.6)
    report = ca.calibrate(data, train_days=2.0, test_days=0.5, params=params, base=base, max_nfev=2)
    # exactly the fit on the first two days (48 hourly samples), with the evaluations it took
    s, gain, runs = ca.fit(data, slice(0, 48), params, base, max_nfev=2)
    assert report.parameters == {"infiltration_ach": s.infiltration_ach, "heat_gain_factor": gain}
    assert report.evaluations == runs >= 1 + len(params)  # the start and a Jacobian at least
    assert report.parameters["infiltration_ach"] != 0.6  # the step was taken
    assert report.train_days == 2.0 and report.test_days == 0.5
    assert report.temperature.hours == 2 * 12 and report.relative_humidity.hours == 2 * 12
    f = report.figures()
    assert f["guideline"] == "ASHRAE Guideline 14-2014, hourly"
    assert f["limits"] == {"cv_rmse_pct": 30.0, "nmbe_pct": 10.0}
    assert f["held_back_days"] == 0.5 and f["train_days"] == 2.0
    assert f["relative_humidity"]["hours"] == 24 and f["relative_humidity"]["bias"] == report.relative_humidity.bias
    assert f["temperature"]["passes"] is report.temperature.passes
    assert f["relative_humidity"]["passes"] is report.relative_humidity.passes
    assert f["temperature"]["rmse"] == report.temperature.rmse and f["parameters"] == report.parameters
    # change only the held-back hours: the parameters stay exactly, the figures move by the change
    t_in = data.t_in.copy()
    t_in[data.times_s >= 2 * 86400] += 1.0
    moved = ca.calibrate(replace(data, t_in=t_in), 2.0, 0.5, params, base=base, max_nfev=2)
    assert moved.parameters == report.parameters
    assert moved.temperature.bias == pytest.approx(report.temperature.bias - 1.0, abs=1e-9)
    assert moved.relative_humidity.bias == report.relative_humidity.bias


def test_calibrate_passes_its_grid_and_budget_to_the_fit_and_judges_only_the_test_days():
    """cell_m = 6 m: one 36 m² cell over the 25 m² room (a different model than the default one); a
    record longer than train + test days: what follows the test days is not judged."""
    data = synthetic(days=3.0, dt=3600.0, ach=0.8)
    base = replace(AIR_ONLY, infiltration_ach=0.6)
    report = ca.calibrate(data, 2.0, 0.5, ["infiltration_ach"], base=base, max_nfev=2, cell_m=6.0)
    s, _, runs = ca.fit(data, slice(0, 48), ["infiltration_ach"], base, max_nfev=2, cell_m=6.0)
    assert report.parameters == {"infiltration_ach": s.infiltration_ach} and report.evaluations == runs
    default, _, _ = ca.fit(data, slice(0, 48), ["infiltration_ach"], base, max_nfev=2)
    assert default.infiltration_ach != s.infiltration_ach
    # the held-back figures are those of the fitted model on the same grid
    t_sim, rh_sim = ca.simulate_record(data, s, 1.0, 6.0)
    test = (data.times_s >= 2 * 86400) & (data.times_s < 2.5 * 86400)
    assert report.temperature == ca.hourly_metrics(data.times_s[test], data.t_in[test], t_sim[test], 1)
    assert report.relative_humidity == ca.hourly_metrics(data.times_s[test], data.rh_in[test], rh_sim[test], 1)
    assert report.temperature.hours == 24


def test_fit_and_calibrate_hand_scipy_40_evaluations_and_spin_up_a_day_by_default(monkeypatch):
    """The defaults the CLI and the real-house test rely on: scipy's least_squares is given max_nfev=40
    (the real one runs, watched), and a training slice ending at 1 day scores that one instant after the
    default spin-up of a day (a record started at the truth: the fit stops at once)."""
    budgets = []
    real = ca.least_squares

    def watched(*args, **kw):
        budgets.append(kw["max_nfev"])
        return real(*args, **kw)

    monkeypatch.setattr(ca, "least_squares", watched)
    data = synthetic(ach=0.8, days=2.5, dt=3600.0)
    at_truth = replace(AIR_ONLY, infiltration_ach=0.8)
    s, _, _ = ca.fit(data, slice(0, 25), ["infiltration_ach"], at_truth)  # samples at 0..24 h
    assert s.infiltration_ach == pytest.approx(0.8, rel=1e-9)
    ca.calibrate(data, 2.0, 0.5, ["infiltration_ach"], base=at_truth)
    assert budgets == [40, 40]


def test_fit_counts_its_model_runs_and_keeps_to_its_budget(monkeypatch):
    """The evaluations reported are the model runs made; max_nfev bounds them (each evaluation and each
    Jacobian column is one run)."""
    data = synthetic(ach=0.8, days=1.0)
    calls = []
    real = ca.simulate_record

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(ca, "simulate_record", counted)
    _, _, runs = ca.fit(data, slice(0, 48), ["infiltration_ach"], replace(AIR_ONLY, infiltration_ach=0.3),
                        max_nfev=2, spin_up_s=3600.0)
    assert runs == len(calls) and 3 <= runs <= 2 * (1 + 1)


def test_fit_scores_from_the_instant_the_spin_up_ends():
    """A training slice that ends exactly where the spin-up does scores that one instant."""
    data = synthetic(ach=0.8, days=1.0)
    k = int(6 * 3600 / 1800)  # the sample at 6 h
    s, _, _ = ca.fit(data, slice(0, k + 1), ["infiltration_ach"], replace(AIR_ONLY, infiltration_ach=0.6),
                     max_nfev=3, spin_up_s=6 * 3600.0)
    assert s.infiltration_ach != 0.6  # it was fitted on that instant (and nothing else was there)


def test_simulate_record_takes_the_measured_gains_as_they_are_by_default():
    data = record()
    t_sim, _ = ca.simulate_record(data, AIR_ONLY)
    w_out = vapour_density(data.t_out, data.rh_out)
    t, _ = euler(20.0, float(vapour_density(20.0, 50.0)), 0.5, 600.0, data.t_out[2:], w_out[2:], data.heat_w[2:])
    np.testing.assert_allclose(t_sim[2:, 0], t, rtol=1e-9)


def test_a_record_in_unix_seconds_of_a_room_away_from_the_origin_runs_as_at_the_origin():
    """The step is the record's own (t1 - t0, not counted from zero); the one cell has the room's area
    and walls wherever the room lies: a 6 m x 4 m room at (300, 200) m, times from 1.7e9 s."""
    data = record()
    at_origin = replace(ROOM, floor=np.array([[0, 0], [6, 0], [6, 4], [0, 4]], float))
    here = ca.simulate_record(replace(data, geometry=at_origin), AIR_ONLY)
    moved = replace(at_origin, floor=at_origin.floor + [300.0, 200.0],
                    probes=tuple(replace(p, position=p.position + [300.0, 200.0]) for p in ROOM.probes))
    there = ca.simulate_record(replace(data, times_s=data.times_s + 1.7e9, geometry=moved), AIR_ONLY)
    np.testing.assert_allclose(there, here, rtol=1e-12)
    assert np.isfinite(here[0][2:]).all()


def test_simulate_record_runs_the_hvac_on_any_supply_however_small():
    """0.5 m³/h heating towards 40 °C from 20 °C: the first step's power is rho c_p Q g (T_set - T) with
    the controller's gain g = 1 + hvac_gain = 5 (below its cap), 16.8 W, far below the 1 kW capacity."""
    data = record()
    on = replace(AIR_ONLY, hvac_supply_m3_h=0.5, hvac_setpoint_c=40.0, hvac_sensible_kw=1.0)
    t_on, _ = ca.simulate_record(data, on)
    t_off, _ = ca.simulate_record(data, replace(on, hvac_supply_m3_h=0.0))
    power = cl.RHO_CP * 0.5 / 3600.0 * 5.0 * 20.0
    assert t_on[3, 0] - t_off[3, 0] == pytest.approx(600.0 * power / (cl.RHO_CP * V) / (1 + 600.0 * 0.5 / 3600), rel=1e-9)


def test_fit_weighs_rh_residuals_by_one_over_rh_scale():
    """Readings that disagree: temperature made with 0.8 ach, RH with 0.3 ach. The fit minimises
    sum dT² + sum (dRH / 3)² (1 K weighs as 3 %RH): it lies at that sum's minimum (0.75 ach)."""
    t_made, rh_made = synthetic(ach=0.8, days=0.5), synthetic(ach=0.3, days=0.5)
    data = replace(t_made, rh_in=rh_made.rh_in)
    s, _, _ = ca.fit(data, slice(0, len(data.times_s)), ["infiltration_ach"], replace(AIR_ONLY, infiltration_ach=0.7),
                     max_nfev=6, spin_up_s=3600.0)
    scored = data.times_s >= 3600.0

    def cost(ach: float) -> float:
        t, rh = ca.simulate_record(data, replace(AIR_ONLY, infiltration_ach=ach))
        return float(np.sum((t - data.t_in)[scored] ** 2) + np.sum(((rh - data.rh_in)[scored] / 3.0) ** 2))

    assert 0.7 < s.infiltration_ach < 0.8
    assert cost(s.infiltration_ach) < min(cost(0.99 * s.infiltration_ach), cost(1.01 * s.infiltration_ach))


def test_missing_readings_do_not_weigh_in_the_fit():
    """A second probe that lost its readings after the first row: exactly the fit, and the number of
    model runs, of the room with the first probe alone (a missing reading adds nothing to the cost,
    which also decides when the optimiser stops)."""
    data = synthetic(ach=0.8, days=0.25)
    t_in, rh_in = data.t_in.copy(), data.rh_in.copy()
    t_in[1:, 1] = rh_in[1:, 1] = np.nan
    lost = replace(data, t_in=t_in, rh_in=rh_in)
    alone = replace(data, t_in=t_in[:, :1], rh_in=rh_in[:, :1], geometry=replace(ROOM, probes=ROOM.probes[:1]))
    base = replace(AIR_ONLY, infiltration_ach=0.7)
    fits = [ca.fit(d, slice(0, len(d.times_s)), ["infiltration_ach"], base, max_nfev=10, spin_up_s=3600.0)
            for d in (lost, alone)]
    assert fits[0][0].infiltration_ach == pytest.approx(fits[1][0].infiltration_ach, rel=1e-14)
    assert fits[0][2] == fits[1][2]
    assert fits[0][0].infiltration_ach == pytest.approx(0.8, rel=1e-9)


def test_fit_differences_by_a_thousandth_of_each_scaled_parameter(monkeypatch):
    """The Jacobian's forward differences step 1e-3 of each scaled parameter: 0.6 ach -> 0.6006 ach. A
    parameter is scaled by its start, or by 1 % of its range near zero; from zero scipy steps
    sqrt(machine eps) of that scale instead: internal gain (range -30..60 W/m²) 0 -> 1.49e-8 x 0.9 W/m²."""
    data = synthetic(ach=0.8, days=0.5)
    seen = []
    real = ca.simulate_record

    def spied(d, s, *args, **kw):
        seen.append((s.infiltration_ach, s.internal_gain_w_m2))
        return real(d, s, *args, **kw)

    monkeypatch.setattr(ca, "simulate_record", spied)
    ca.fit(data, slice(0, len(data.times_s)), ["infiltration_ach", "internal_gain_w_m2"],
           replace(AIR_ONLY, infiltration_ach=0.6), max_nfev=1, spin_up_s=3600.0)
    np.testing.assert_allclose(seen, [(0.6, 0.0), (0.6006, 0.0), (0.6, np.sqrt(np.finfo(float).eps) * 0.9)],
                               rtol=1e-9, atol=1e-20)


def test_fit_stops_at_the_lower_bound_when_the_truth_lies_below_it():
    """Made with 0.01 ach, below the 0.02 ach bound: the fit ends at the bound (scipy keeps a step
    just inside it), not at the truth."""
    lo = ca.BOUNDS["infiltration_ach"][0]
    data = synthetic(ach=0.01, days=0.5)
    s, _, _ = ca.fit(data, slice(0, len(data.times_s)), ["infiltration_ach"], replace(AIR_ONLY, infiltration_ach=0.3),
                     max_nfev=6, spin_up_s=3600.0)
    assert lo <= s.infiltration_ach < 1.1 * lo


def test_fit_starts_the_heat_gain_factor_at_one(monkeypatch):
    """The first model run of a fit takes the measured gains as they are (factor 1), whatever the bounds."""
    data = synthetic(days=1.0)  # made by simulate_record too: before it is watched
    gains = []
    real = ca.simulate_record

    def watched(data, settings, heat_gain_factor=1.0, cell_m=None):
        gains.append(heat_gain_factor)
        return real(data, settings, heat_gain_factor, cell_m)

    monkeypatch.setattr(ca, "simulate_record", watched)
    ca.fit(data, slice(0, 48), ["heat_gain_factor"], AIR_ONLY, max_nfev=1, spin_up_s=3600.0)
    assert gains[0] == 1.0


def test_the_well_mixed_cell_holds_the_floors_area_and_volume_even_below_a_square_metre():
    """One cell of the room's own size: a 6 x 4 m room holds 24 m² x height of air; a display case's
    1 x 0.5 m floor is a room too (0.5 m²); a floor with no area is refused with a bilingual reason; a
    given grid runs on the record's time step."""
    s = cl.ClimateSettings()
    for (w, d) in ((6.0, 4.0), (1.0, 0.5)):
        geometry = cl.HallGeometry(floor=np.array([[0, 0], [w, 0], [w, d], [0, d]], float), height=2.5)
        model = ca.model_for(geometry, s, 600.0)
        assert model.volume.sum() == pytest.approx(w * d * 2.5, rel=1e-12)
        assert model.dt_s == 600.0
        side = np.sqrt(w * d)
        assert np.allclose(model.geometry.floor, [[0, 0], [side, 0], [side, side], [0, side]], rtol=0, atol=1e-12)
    flat = cl.HallGeometry(floor=np.array([[0, 0], [5, 0], [10, 0]], float), height=2.5)
    with pytest.raises(ValueError) as err:
        ca.model_for(flat, s, 600.0)
    assert str(err.value) == "the floor polygon has no area / 地面多边形面积为零"
    assert ca.model_for(ROOM, s, 600.0, cell_m=2.5).dt_s == 600.0
