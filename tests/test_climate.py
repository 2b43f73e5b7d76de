"""Validation of the FiPy climate model: analytical diffusion, well-mixed ODE, conservation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm
from scipy.special import erf

from simulation import climate as cl
from simulation.hall_mesh import cells_near_segment, grid_from_polygon, wall_length
from simulation.psychrometrics import rh_from_vapour_density, vapour_density

CLOSED = cl.ClimateSettings(
    infiltration_ach=0.0, wall_u_w_m2k=0.0, roof_u_w_m2k=0.0, floor_u_w_m2k=0.0, hvac_supply_m3_h=0.0,
    internal_mass_j_m2k=0.0, buffer_capacity_g_m2_rh=0.0,
)


def rect(w: float, d: float) -> np.ndarray:
    return np.array([[0, 0], [w, 0], [w, d], [0, d]], dtype=float)


def still(t_out: float = 0.0, rh_out: float = 50.0, **kw) -> cl.Forcing:
    return cl.Forcing(t_out_c=t_out, rh_out=rh_out, hvac_on=False, **kw)


def test_grid_masks_an_l_shaped_floor():
    floor = np.array([[0, 0], [6, 0], [6, 2], [2, 2], [2, 5], [0, 5]], dtype=float)  # area 12 + 6 = 18 m²
    g = grid_from_polygon(floor, 0.5)
    assert (g.nx, g.ny) == (12, 10)
    assert g.inside.sum() * 0.25 == pytest.approx(18.0)
    # perimeter of the L is 22 m, every wall metre is counted once
    assert wall_length(g).sum() == pytest.approx(22.0)
    door = cells_near_segment(g, np.array([6.0, 0.5]), np.array([6.0, 1.5]), 0.5)
    assert set(np.round(g.centres[door][:, 0], 2)) == {5.75}


def test_one_dimensional_diffusion_matches_erf():
    """A step in T spreads as 0.5 erfc(x / (2 sqrt(D t))) (FiPy examples/diffusion/mesh1D.py)."""
    d = 0.01
    geo = cl.HallGeometry(floor=rect(20.0, 0.1), height=3.0)
    model = cl.build_model(geo, CLOSED.__class__(**{**CLOSED.__dict__, "eddy_diffusivity_m2_s": d}),
                           cell_m=0.1, dt_s=2.0)
    x = model.grid.centres[:, 0] - 10.0
    state = cl.initial_state(model, 0.0, 50.0)
    state.t[:] = np.where(x < 0, 1.0, 0.0)
    t_end = 400.0
    for _ in range(int(t_end / model.dt_s)):
        state = cl.step(model, state, still())
    exact = 0.5 * (1.0 - erf(x / (2.0 * np.sqrt(d * t_end))))
    assert np.max(np.abs(state.t - exact)) < 0.01
    assert state.t[np.argmin(np.abs(x - 1.0))] == pytest.approx(exact[np.argmin(np.abs(x - 1.0))], abs=0.005)


def test_well_mixed_limit_matches_two_node_ode():
    """High mixing: air + thermal mass follow dT/dt = A T + c (solved with expm)."""
    s = cl.ClimateSettings(
        eddy_diffusivity_m2_s=5.0, infiltration_ach=1.0, wall_u_w_m2k=0.0, roof_u_w_m2k=0.8, floor_u_w_m2k=0.0,
        hvac_supply_m3_h=0.0, internal_mass_j_m2k=5e4, mass_coupling_w_m2k=10.0, buffer_capacity_g_m2_rh=0.0,
    )
    h = 4.0
    geo = cl.HallGeometry(floor=rect(4.0, 3.0), height=h)
    model = cl.build_model(geo, s, cell_m=0.5, dt_s=30.0)
    state = cl.initial_state(model, 20.0, 50.0)
    t_out = 5.0
    a_out = s.infiltration_ach / 3600 + s.roof_u_w_m2k / (cl.RHO_CP * h)
    a_m = s.mass_coupling_w_m2k / (cl.RHO_CP * h)
    b_m = s.mass_coupling_w_m2k / s.internal_mass_j_m2k
    # y = [T_air - T_out, T_mass - T_out]
    a = np.array([[-(a_out + a_m), a_m], [b_m, -b_m]])
    t_end = 3 * 3600.0
    for _ in range(int(t_end / model.dt_s)):
        state = cl.step(model, state, still(t_out))
    y = expm(a * t_end) @ np.array([15.0, 15.0]) + t_out
    ins = model.grid.inside
    assert np.ptp(state.t[ins]) < 1e-6
    assert state.t[ins].mean() == pytest.approx(y[0], abs=0.05)
    assert state.t_mass[ins].mean() == pytest.approx(y[1], abs=0.05)
    assert state.t[ins].mean() < 15.0  # it did cool: the comparison is not trivially 20 == 20


def test_closed_hall_conserves_heat_and_moisture():
    s = cl.ClimateSettings(
        infiltration_ach=0.0, wall_u_w_m2k=0.0, roof_u_w_m2k=0.0, floor_u_w_m2k=0.0, hvac_supply_m3_h=0.0,
        internal_mass_j_m2k=8e4, mass_coupling_w_m2k=12.0, buffer_capacity_g_m2_rh=4.0, buffer_coupling_m_s=2e-3,
    )
    geo = cl.HallGeometry(floor=np.array([[0, 0], [5, 0], [5, 2], [2, 2], [2, 4], [0, 4]], float), height=3.0,
                          zones=(cl.ZoneSpec("z", rect(2.0, 2.0)),))
    model = cl.build_model(geo, s, cell_m=0.5, dt_s=60.0)
    rng = np.random.default_rng(1)
    state = cl.initial_state(model, 20.0, 50.0)
    state.t[:] += rng.normal(0, 2, state.t.shape)
    state.w[:] += rng.normal(0, 1, state.w.shape)
    h0, m0 = cl.total_heat_j(model, state), cl.total_moisture_g(model, state)
    people, n = 12.0, 120
    for _ in range(n):
        state = cl.step(model, state, still(people=(("z", people),)))
    dt_total = n * model.dt_s
    gained_heat = people * cl.PERSON_SENSIBLE_W * dt_total
    gained_water = people * cl.PERSON_LATENT_W / cl.H_FG * 1e3 * dt_total
    assert cl.total_heat_j(model, state) - h0 == pytest.approx(gained_heat, rel=1e-9)
    assert cl.total_moisture_g(model, state) - m0 == pytest.approx(gained_water, rel=1e-9)
    assert gained_heat > 1e5


def test_cached_engine_equals_fipy_engine_through_schedule_changes():
    geo = cl.HallGeometry(
        floor=rect(6.0, 4.0), height=3.5,
        vents=(cl.VentSpec("s", np.array([1.5, 2.0])),),
        openings=(cl.Aperture("d", np.array([6.0, 1.0]), np.array([6.0, 2.0])),),
        cases=(cl.CaseSpec("c", np.array([3.0, 3.0]), 1.0),),
        probes=(cl.Probe("r", np.array([3.0, 3.0]), "c"), cl.Probe("q", np.array([5.5, 1.5]))),
    )
    s = cl.ClimateSettings(dehumidifiers=(cl.Dehumidifier("dh", np.array([2.0, 2.0]), 20.0, 45.0),))
    fast = cl.build_model(geo, s, cell_m=0.5, dt_s=60.0, engine="cached")
    slow = cl.build_model(geo, s, cell_m=0.5, dt_s=60.0, engine="fipy")
    schedule = [still(30.0, 70.0, people=((None, 5.0),))] * 5 + [
        cl.Forcing(30.0, 70.0, hvac_on=True, open_ids=frozenset({"d"}), lights_on=True)] * 5 + [still(31.0, 70.0)] * 5
    a, b = cl.initial_state(fast, 24.0, 60.0), cl.initial_state(slow, 24.0, 60.0)
    for f in schedule:
        a, b = cl.step(fast, a, f), cl.step(slow, b, f)
    assert np.allclose(a.t, b.t, atol=1e-9) and np.allclose(a.w, b.w, atol=1e-9)
    assert fast.factorisations == 6  # 3 coefficient states x 2 fields, not 30
    assert abs(a.t.mean() - 24.0) > 0.1


def test_hvac_holds_setpoint_and_failure_lets_the_hall_drift():
    geo = cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0, vents=(cl.VentSpec("s", np.array([5.0, 4.0])),))
    s = cl.ClimateSettings(hvac_setpoint_c=21.0, hvac_setpoint_rh=50.0, hvac_supply_m3_h=1500.0, hvac_latent_kg_h=5.0)
    model = cl.build_model(geo, s, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 26.0, 65.0)
    hot = cl.Forcing(t_out_c=34.0, rh_out=60.0, hvac_on=True, people=((None, 20.0),))
    for _ in range(6 * 60):
        state = cl.step(model, state, hot)
    ins = model.grid.inside
    t_on = state.t[ins].mean()
    rh_on = rh_from_vapour_density(t_on, state.w[ins].mean())
    assert abs(t_on - 21.0) < 0.5 and abs(rh_on - 50.0) < 3.0
    for _ in range(6 * 60):
        state = cl.step(model, state, cl.Forcing(t_out_c=34.0, rh_out=60.0, hvac_on=False, people=((None, 20.0),)))
    assert state.t[ins].mean() > t_on + 3.0


def test_hvac_power_is_capped_by_capacity():
    geo = cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0)
    s = cl.ClimateSettings(hvac_sensible_kw=2.0, internal_mass_j_m2k=0.0, wall_u_w_m2k=0.0, roof_u_w_m2k=0.0,
                           floor_u_w_m2k=0.0, infiltration_ach=0.0)
    model = cl.build_model(geo, s, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 30.0, 50.0)
    h0 = cl.total_heat_j(model, state)
    state = cl.step(model, state, cl.Forcing(t_out_c=30.0, rh_out=50.0, hvac_on=True))
    removed_w = (h0 - cl.total_heat_j(model, state)) / model.dt_s
    assert removed_w == pytest.approx(2000.0, rel=0.02)


def test_display_case_lags_the_room_with_its_air_exchange_rate():
    geo = cl.HallGeometry(floor=rect(4.0, 4.0), height=3.0, cases=(cl.CaseSpec("c", np.array([2.0, 2.0]), 2.0),),
                          probes=(cl.Probe("r", np.array([2.0, 2.0]), "c"),))
    model = cl.build_model(geo, CLOSED, cell_m=1.0, dt_s=600.0)
    state = cl.initial_state(model, 20.0, 50.0)
    w_case0 = state.w_case[0]
    state.w[:] = vapour_density(20.0, 70.0)
    for _ in range(6 * 12):  # 12 h
        state = cl.step(model, state, still(20.0))
    expected = state.w[0] + (w_case0 - state.w[0]) * np.exp(-2.0 * 0.5)
    assert state.w_case[0] == pytest.approx(expected, rel=1e-9)
    _, prh, _, _ = cl.observe(model, state)
    assert 55.0 < prh[0] < 65.0


@settings(max_examples=15, deadline=None)
@given(dt=st.floats(1.0, 40.0), w=st.floats(0.5, 4.0), h=st.floats(0.5, 3.0), wind=st.floats(0.0, 8.0))
def test_opening_flow_grows_with_temperature_difference_and_wind(dt, w, h, wind):
    q = cl.opening_flow_m3_s(w, h, dt, wind, 10.0)
    assert q > 0
    assert cl.opening_flow_m3_s(w, h, dt * 2, wind, 10.0) > q
    assert cl.opening_flow_m3_s(w, h, dt, wind + 1.0, 10.0) > q
    assert cl.opening_flow_m3_s(w, h, -dt, wind, 10.0) == pytest.approx(q)


def test_opening_flow_matches_the_orifice_equation():
    """Buoyant two-way flow through a large opening, Q = Cd/3 W sqrt(g H^3 dT / T) with T in kelvin
    (Brown & Solvason 1962; ASHRAE Fundamentals 2017 ch. 16), Cd = 0.6; wind Q = 0.025 A U (BS 5925)."""
    # a 1 m x 2 m door, 20 K across it, mean 10 degC (283.15 K): 0.2 sqrt(9.81 * 8 * 20 / 283.15)
    assert cl.opening_flow_m3_s(1.0, 2.0, 20.0, 0.0, 10.0) == pytest.approx(0.47090, rel=1e-4)
    assert cl.opening_flow_m3_s(1.0, 2.0, 20.0, 0.0, 10.0) == pytest.approx(
        0.6 / 3 * 1.0 * np.sqrt(9.81 * 2.0**3 * 20.0 / 283.15), rel=1e-12)
    # the same door at a mean of 40 degC: the absolute temperature, not the Celsius one, divides
    assert cl.opening_flow_m3_s(1.0, 2.0, 20.0, 0.0, 40.0) == pytest.approx(
        0.6 / 3 * np.sqrt(9.81 * 8.0 * 20.0 / 313.15), rel=1e-12)
    # wind alone on a 1 m x 2 m door at 3 m/s: 0.025 * 2 * 3 = 0.15 m^3/s; both in quadrature
    assert cl.opening_flow_m3_s(1.0, 2.0, 0.0, 3.0, 10.0) == pytest.approx(0.15, rel=1e-12)
    assert cl.opening_flow_m3_s(1.0, 2.0, 20.0, 3.0, 10.0) == pytest.approx(np.hypot(0.47090, 0.15), rel=1e-4)
    # width enters linearly, height to the power 1.5 (stack) and 1 (wind)
    assert cl.opening_flow_m3_s(2.0, 2.0, 20.0, 0.0, 10.0) == pytest.approx(2 * 0.47090, rel=1e-4)
    assert cl.opening_flow_m3_s(1.0, 4.0, 20.0, 0.0, 10.0) == pytest.approx(2**1.5 * 0.47090, rel=1e-4)


def test_open_door_exchanges_the_orifice_flow_in_the_model():
    """In a closed hall with one door open to the outdoor air, the first second's moisture and heat
    exchange rates are Q (w_out - w_in) and Q rho c_p (T_out - T_in), Q from the orifice equation."""
    geo = cl.HallGeometry(floor=rect(6.0, 4.0), height=3.0,
                          openings=(cl.Aperture("d", np.array([6.0, 1.0]), np.array([6.0, 2.0]), 2.0),))
    model = cl.build_model(geo, CLOSED, cell_m=0.5, dt_s=0.02)  # a short implicit step: the rate at t = 0
    state = cl.initial_state(model, 20.0, 50.0)
    w_in, w_out = float(state.w[0]), float(vapour_density(0.0, 50.0))
    m0, h0 = cl.total_moisture_g(model, state), cl.total_heat_j(model, state)
    state = cl.step(model, state, cl.Forcing(t_out_c=0.0, rh_out=50.0, hvac_on=False, open_ids=frozenset({"d"}),
                                             wind_m_s=0.0))
    q = 0.6 / 3 * 1.0 * np.sqrt(9.81 * 2.0**3 * 20.0 / 283.15)  # 0.47 m^3/s
    dt = model.dt_s
    assert cl.total_moisture_g(model, state) - m0 == pytest.approx(q * dt * (w_out - w_in), rel=0.01)
    assert cl.total_heat_j(model, state) - h0 == pytest.approx(q * dt * cl.RHO_CP * (0.0 - 20.0), rel=0.01)


def test_dehumidifier_removes_its_rated_litres_per_day():
    """A 20 L/day dehumidifier running flat out (RH far above its humidistat) in a sealed hall takes
    out 20 kg / 24 = 833 g of water in one hour and releases its latent heat (2.45 MJ/kg) into the air."""
    geo = cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0)  # 320 m^3
    s = cl.ClimateSettings(**{**CLOSED.__dict__, "eddy_diffusivity_m2_s": 2.0,
                              "dehumidifiers": (cl.Dehumidifier("dh", np.array([5.0, 4.0]), 20.0, 30.0),)})
    model = cl.build_model(geo, s, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 20.0, 80.0)
    m0, h0 = cl.total_moisture_g(model, state), cl.total_heat_j(model, state)
    for _ in range(60):
        state = cl.step(model, state, still(20.0, 80.0))
    removed = m0 - cl.total_moisture_g(model, state)
    assert removed == pytest.approx(20.0e3 / 24.0, rel=1e-9)
    assert cl.total_heat_j(model, state) - h0 == pytest.approx(removed * 1e-3 * cl.H_FG, rel=1e-9)
    ins = model.grid.inside
    rh = rh_from_vapour_density(state.t[ins], state.w[ins])
    # well mixed: vapour 833 g / 320 m^3 lower, air 2.04 MJ / (rho c_p 320 m^3) = 5.3 K warmer, no mass
    w_end = float(vapour_density(20.0, 80.0)) - removed / 320.0
    t_end = 20.0 + removed * 1e-3 * cl.H_FG / (cl.RHO_CP * 320.0)
    assert state.t[ins].mean() == pytest.approx(t_end, abs=0.01)
    assert rh.mean() == pytest.approx(float(rh_from_vapour_density(t_end, w_end)), abs=0.1)
    # below its humidistat band it stops: at 30 %RH set point nothing is removed from a 30 %RH hall
    state = cl.initial_state(model, 20.0, 30.0)
    m1 = cl.total_moisture_g(model, state)
    for _ in range(10):
        state = cl.step(model, state, still(20.0, 30.0))
    assert cl.total_moisture_g(model, state) == pytest.approx(m1, rel=1e-12)


def test_settings_reject_unknown_keys_and_read_dehumidifiers():
    s = cl.settings_from_mapping({"wall_u_w_m2k": 0.7}, {"dehumidifiers": [{"id": "d", "position": [1, 2]}]})
    assert s.wall_u_w_m2k == 0.7 and s.dehumidifiers[0].capacity_l_per_day == 30.0
    with pytest.raises(ValueError, match="wall_u"):
        cl.settings_from_mapping({"wall_u": 0.7})


def test_initial_state_takes_zones_and_probes_in_cases_and_in_the_open():
    geo = cl.HallGeometry(floor=rect(8.0, 4.0), height=3.0,
                          zones=(cl.ZoneSpec("west", rect(4.0, 4.0)),),
                          cases=(cl.CaseSpec("c", np.array([6.0, 1.0]), 1.0),),
                          probes=(cl.Probe("in_case", np.array([6.0, 1.0]), "c"), cl.Probe("open", np.array([6.0, 3.0]))))
    model = cl.build_model(geo, CLOSED, cell_m=0.5, dt_s=60.0)
    state = cl.initial_state(model, 20.0, 50.0, {"west": (18.0, 60.0), "in_case": (20.0, 40.0), "open": (22.0, 45.0)})
    pt, prh, zt, zrh = cl.observe(model, state)
    assert zt[0] == pytest.approx(18.0) and zrh[0] == pytest.approx(60.0)
    assert prh[0] == pytest.approx(40.0) and pt[0] == pytest.approx(20.0)
    assert pt[1] == pytest.approx(22.0) and prh[1] == pytest.approx(45.0)
    with pytest.raises(KeyError, match="nowhere"):
        cl.initial_state(model, 20.0, 50.0, {"nowhere": (1.0, 2.0)})
