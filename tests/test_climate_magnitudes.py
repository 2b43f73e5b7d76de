"""The climate model's magnitudes, one rule each, on small grids and single steps (fast).

Each test pins a number from a closed form: the air handler's PI law and its limits, the cooling
coil's saturation, the exchange through doors to other rooms and outdoors in wind, heat and
moisture balances, a buffer at equilibrium, the recorder of :func:`simulation.climate.simulate`.
In a sealed hall without thermal mass or buffer, heat and water are conserved exactly, so the
change of :func:`total_heat_j` / :func:`total_moisture_g` over one step is the source times dt.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simulation import climate as cl
from simulation.psychrometrics import rh_from_vapour_density, vapour_density
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
SEALED = cl.ClimateSettings(
    infiltration_ach=0.0, wall_u_w_m2k=0.0, roof_u_w_m2k=0.0, floor_u_w_m2k=0.0,
    internal_mass_j_m2k=0.0, buffer_capacity_g_m2_rh=0.0, eddy_diffusivity_m2_s=1.0,
)
# an L-shaped floor: 18 m² of a 6 m x 5 m bounding box, so 12 m² of the grid are masked cells
L_FLOOR = np.array([[0, 0], [6, 0], [6, 2], [2, 2], [2, 5], [0, 5]], dtype=float)


def rect(w: float, d: float) -> np.ndarray:
    return np.array([[0, 0], [w, 0], [w, d], [0, d]], dtype=float)


def sealed(**kw) -> cl.ClimateSettings:
    return cl.ClimateSettings(**{**SEALED.__dict__, **kw})


def one_step(model: cl.HallModel, state: cl.ClimateState, f: cl.Forcing):
    """(new state, W of heat and g/s of water that entered the hall during the step)."""
    h0, m0 = cl.total_heat_j(model, state), cl.total_moisture_g(model, state)
    new = cl.step(model, state, f)
    return new, (cl.total_heat_j(model, new) - h0) / model.dt_s, (cl.total_moisture_g(model, new) - m0) / model.dt_s


def hvac_on(t_out: float = 20.0) -> cl.Forcing:
    return cl.Forcing(t_out_c=t_out, rh_out=50.0, hvac_on=True)


# --- settings and diagnostics -------------------------------------------------------------------


def test_settings_read_every_dehumidifier_field_as_numbers():
    s = cl.settings_from_mapping(
        {"wall_u_w_m2k": "0.7"},
        {"dehumidifiers": [{"id": 7, "position": [1, 2, 3], "capacity_l_per_day": 12, "setpoint_rh": 40},
                           {"id": "b", "position": [4, 5]}]},
    )
    assert s.wall_u_w_m2k == 0.7 and isinstance(s.wall_u_w_m2k, float)
    a, b = s.dehumidifiers
    assert a.id == "7"
    assert a.position.dtype == np.float64 and a.position.tolist() == [1.0, 2.0]  # the floor position only
    assert a.capacity_l_per_day == 12.0 and a.setpoint_rh == 40.0
    assert (b.capacity_l_per_day, b.setpoint_rh) == (30.0, 50.0)  # the documented defaults


def test_totals_count_only_the_cells_inside_the_floor():
    """Heat and water content of an 18 m² L-shaped hall 3 m high, air at 20 °C / 50 %RH."""
    s = sealed(internal_mass_j_m2k=1e5, buffer_capacity_g_m2_rh=3.0)
    model = cl.build_model(cl.HallGeometry(floor=L_FLOOR, height=3.0), s, cell_m=0.5, dt_s=60.0)
    assert model.grid.n_cells == 120 and model.grid.inside.sum() == 72
    state = cl.initial_state(model, 20.0, 50.0)
    assert cl.total_heat_j(model, state) == pytest.approx(cl.RHO_CP * 54.0 * 20.0 + 1e5 * 18.0 * 20.0, rel=1e-12)
    # air: 54 m³ x w(20 °C, 50 %); buffer: 3 g/(m² %RH) x 50 %RH x 18 m²
    w = float(vapour_density(20.0, 50.0))
    assert cl.total_moisture_g(model, state) == pytest.approx(54.0 * w + 3.0 * 50.0 * 18.0, rel=1e-12)


@pytest.mark.parametrize("capacity", [5.0, 0.5])
def test_air_in_equilibrium_with_its_buffer_stays_put(capacity):
    """A sealed hall whose hygroscopic buffer starts in equilibrium with the air: nothing moves; a small
    buffer (0.5 g/(m² %RH)) takes water too."""
    s = sealed(buffer_capacity_g_m2_rh=capacity, buffer_coupling_m_s=5e-3)
    model = cl.build_model(cl.HallGeometry(floor=rect(4.0, 3.0), height=3.0), s, cell_m=1.0, dt_s=600.0)
    state = cl.initial_state(model, 20.0, 50.0)
    w0 = state.w.copy()
    for _ in range(3):
        state = cl.step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
        np.testing.assert_allclose(state.w, w0, rtol=1e-12)
    # and a damper room gives water to the buffer: w falls, the total stays
    state = cl.initial_state(model, 20.0, 50.0)
    state.w[:] = vapour_density(20.0, 70.0)
    m0 = cl.total_moisture_g(model, state)
    state = cl.step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
    assert state.w.max() < float(vapour_density(20.0, 70.0)) - 0.01
    assert cl.total_moisture_g(model, state) == pytest.approx(m0, rel=1e-12)


# --- the air handler --------------------------------------------------------------------------


def test_hvac_first_step_is_the_proportional_law():
    """One step from rest: power = rho c_p Q g e_T, moisture = Q g e_w, g = 1 + hvac_gain (uncapped).

    10 m x 8 m x 4 m = 320 m³, 1500 m³/h = 0.4167 m³/s, 60 s: the step cap 0.5 V / (Q dt) = 6.4
    does not bind, g = 5. 1 K too warm: -2.51 kW; too damp by w(22, 55) - w(21, 50): -3.15 g/s, within
    the 20 kg/h latent rating.
    """
    s = sealed(hvac_setpoint_c=21.0, hvac_setpoint_rh=50.0, hvac_supply_m3_h=1500.0, hvac_gain=4.0,
               hvac_latent_kg_h=20.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0), s, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 22.0, 55.0)
    flow = 1500.0 / 3600.0
    e_t = 21.0 - 22.0
    e_w = float(vapour_density(21.0, 50.0) - vapour_density(22.0, 55.0))
    new, heat_w, water_g_s = one_step(model, state, hvac_on())
    assert heat_w == pytest.approx(cl.RHO_CP * flow * 5.0 * e_t, rel=1e-9)
    assert heat_w == pytest.approx(-2515.0, rel=1e-3)
    assert water_g_s == pytest.approx(flow * 5.0 * e_w, rel=1e-9)
    # the integrals take one step's error while the output is within its capacity
    assert new.hvac_i_t == pytest.approx(60.0 * e_t, rel=1e-9)
    assert new.hvac_i_w == pytest.approx(60.0 * e_w, rel=1e-9)


def test_hvac_gain_is_capped_to_half_the_hall_per_step():
    """Explicit-feedback cap: g = min(1 + hvac_gain, 0.5 V_hall / (Q dt)), V_hall the floor's cells only.

    L-shaped 18 m² x 3 m = 54 m³ (the grid's box holds 90 m³), 1500 m³/h, 60 s: g = 27 / 25 = 1.08.
    """
    s = sealed(hvac_setpoint_c=21.0, hvac_supply_m3_h=1500.0, hvac_gain=4.0)
    model = cl.build_model(cl.HallGeometry(floor=L_FLOOR, height=3.0), s, cell_m=0.5, dt_s=60.0)
    state = cl.initial_state(model, 23.0, 50.0)
    _, heat_w, _ = one_step(model, state, hvac_on())
    flow = 1500.0 / 3600.0
    assert heat_w == pytest.approx(cl.RHO_CP * flow * 1.08 * (21.0 - 23.0), rel=1e-9)
    # a ten times longer step: the cap is ten times lower
    model = cl.build_model(cl.HallGeometry(floor=L_FLOOR, height=3.0), s, cell_m=0.5, dt_s=600.0)
    _, heat_w, _ = one_step(model, cl.initial_state(model, 23.0, 50.0), hvac_on())
    assert heat_w == pytest.approx(cl.RHO_CP * flow * 0.108 * (21.0 - 23.0), rel=1e-9)


@pytest.mark.parametrize("t0, rh0, sign", [(30.0, 50.0, -1.0), (10.0, 50.0, 1.0)])
def test_hvac_power_is_clipped_at_its_rating_both_ways(t0, rh0, sign):
    """2 kW sensible (x hvac_factor 1.5 = 3 kW) against 10 K of error: exactly 3 kW of cooling or heating,
    and no integration while saturated (anti-windup)."""
    s = sealed(hvac_sensible_kw=2.0, hvac_factor=1.5, hvac_setpoint_c=20.0, hvac_supply_m3_h=3000.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0), s, cell_m=1.0, dt_s=60.0)
    new, heat_w, _ = one_step(model, cl.initial_state(model, t0, rh0), hvac_on())
    assert heat_w == pytest.approx(sign * 3000.0, rel=1e-9)
    assert new.hvac_i_t == 0.0


@pytest.mark.parametrize("rh0, sign", [(80.0, -1.0), (20.0, 1.0)])
def test_hvac_moisture_is_clipped_at_its_latent_rating_both_ways(rh0, sign):
    """0.36 kg/h x hvac_factor 1.5 = 0.54 kg/h = 0.15 g/s of (de)humidification, exactly, and no
    integration of the vapour error while saturated. At the set point temperature the supply air
    stays below saturation."""
    s = sealed(hvac_latent_kg_h=0.36, hvac_factor=1.5, hvac_setpoint_c=20.0, hvac_setpoint_rh=50.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0), s, cell_m=1.0, dt_s=60.0)
    new, heat_w, water_g_s = one_step(model, cl.initial_state(model, 20.0, rh0), hvac_on())
    assert water_g_s == pytest.approx(sign * 0.15, rel=1e-9)
    assert new.hvac_i_w == 0.0
    assert heat_w == pytest.approx(0.0, abs=1e-6)


def test_cooling_coil_supply_is_at_most_saturated():
    """A warm damp hall, no latent capacity: the coil cools the supply to t_sup = T + P / (rho c_p Q)
    and the air leaving it holds at most w_sat(t_sup); the rest condenses on the coil.

    320 m³ at 30 °C / 80 %RH, set point 20 °C, 3000 m³/h, 60 s: g = min(5, 0.5 V / (Q dt) = 3.2),
    100 kW available: P = rho c_p Q g (-10 K) = -32.2 kW, t_sup = 30 - 32 = -2 °C.
    """
    s = sealed(hvac_latent_kg_h=0.0, hvac_sensible_kw=100.0, hvac_setpoint_c=20.0, hvac_supply_m3_h=3000.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0), s, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 30.0, 80.0)
    flow = 3000.0 / 3600.0
    power = cl.RHO_CP * flow * 3.2 * (20.0 - 30.0)
    t_sup = 30.0 + power / (cl.RHO_CP * flow)
    assert t_sup == pytest.approx(-2.0)
    _, heat_w, water_g_s = one_step(model, state, hvac_on())
    assert heat_w == pytest.approx(power, rel=1e-9)
    w_room = float(vapour_density(30.0, 80.0))
    assert water_g_s == pytest.approx(flow * (float(vapour_density(t_sup, 100.0)) - w_room), rel=1e-9)
    # a milder coil: t_sup = 30 - 10 = 20 °C (g = 1), the supply leaves saturated at 20 °C
    s1 = sealed(hvac_latent_kg_h=0.0, hvac_sensible_kw=100.0, hvac_setpoint_c=20.0, hvac_supply_m3_h=3000.0,
                hvac_gain=0.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0), s1, cell_m=1.0, dt_s=60.0)
    _, _, water_g_s = one_step(model, cl.initial_state(model, 30.0, 80.0), hvac_on())
    assert water_g_s == pytest.approx(flow * (float(vapour_density(20.0, 100.0)) - w_room), rel=1e-9)


def test_hvac_integral_acts_with_its_integral_time():
    """A carried integral of I K s adds rho c_p Q g I / 1800 s to the output (PI law)."""
    s = sealed(hvac_setpoint_c=20.0, hvac_setpoint_rh=50.0, hvac_supply_m3_h=1500.0, hvac_latent_kg_h=5.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(10.0, 8.0), height=4.0), s, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 20.0, 50.0)
    state.hvac_i_t, state.hvac_i_w = 900.0, -90.0  # as if 0.5 K too cold and 0.05 g/m³ too damp for 30 min
    flow = 1500.0 / 3600.0
    new, heat_w, water_g_s = one_step(model, state, hvac_on())
    assert heat_w == pytest.approx(cl.RHO_CP * flow * 5.0 * 900.0 / cl.HVAC_INTEGRAL_S, rel=1e-9)
    assert water_g_s == pytest.approx(flow * 5.0 * -90.0 / cl.HVAC_INTEGRAL_S, rel=1e-6)
    assert new.hvac_i_t == pytest.approx(900.0, abs=1e-6) and new.hvac_i_w == pytest.approx(-90.0, abs=1e-6)
    # a stopped air handler forgets its integral and adds nothing
    new, heat_w, water_g_s = one_step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
    assert (new.hvac_i_t, new.hvac_i_w) == (0.0, 0.0)
    assert heat_w == pytest.approx(0.0, abs=1e-6) and water_g_s == pytest.approx(0.0, abs=1e-9)


# --- doors and windows --------------------------------------------------------------------------


def door_hall(to: str = "outdoor", **kw) -> cl.HallModel:
    geo = cl.HallGeometry(floor=rect(6.0, 4.0), height=3.0, openings=(
        cl.Aperture("shut", np.array([0.0, 1.0]), np.array([0.0, 2.0]), 2.0),
        cl.Aperture("d", np.array([6.0, 1.0]), np.array([6.0, 3.0]), 2.0, to=to),
    ))
    return cl.build_model(geo, sealed(**kw), cell_m=0.5, dt_s=0.02)  # a short step: the rate at t = 0


def test_door_to_an_adjacent_room_exchanges_with_its_air_without_wind():
    """A 2 m x 2 m door to a room at 20 °C / 50 %RH from a hall at 30 °C, 8 m/s of wind outdoors:
    Q = 0.2 * 2 * sqrt(g 8 * 10 / 298.15) (stack only, mean 25 °C), heat Q rho c_p (20 - 30)."""
    model = door_hall(to="lobby", adjacent_c=20.0, adjacent_rh=50.0)
    state = cl.initial_state(model, 30.0, 40.0)
    f = cl.Forcing(t_out_c=0.0, rh_out=90.0, hvac_on=False, open_ids=frozenset({"d"}), wind_m_s=8.0)
    _, heat_w, water_g_s = one_step(model, state, f)
    q = 0.6 / 3 * 2.0 * np.sqrt(9.81 * 2.0**3 * 10.0 / 298.15)
    assert heat_w == pytest.approx(q * cl.RHO_CP * (20.0 - 30.0), rel=0.01)
    w_adj, w_in = float(vapour_density(20.0, 50.0)), float(vapour_density(30.0, 40.0))
    assert water_g_s == pytest.approx(q * (w_adj - w_in), rel=0.01)


def test_door_to_outdoors_adds_the_wind_in_quadrature():
    """The same door open to outdoors at 20 °C (no stack) in 3 m/s of wind: Q = 0.025 * 4 m² * 3 = 0.3 m³/s;
    the shut door before it in the list changes nothing."""
    model = door_hall()
    state = cl.initial_state(model, 30.0, 40.0)
    f = cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False, open_ids=frozenset({"d"}), wind_m_s=3.0)
    _, heat_w, _ = one_step(model, state, f)
    q = np.hypot(0.6 / 3 * 2.0 * np.sqrt(9.81 * 8.0 * 10.0 / 298.15), 0.3)
    assert heat_w == pytest.approx(q * cl.RHO_CP * (20.0 - 30.0), rel=0.01)
    # the settings' wind applies when the weather gives none
    model = door_hall(wind_m_s=3.0)
    _, heat_default, _ = one_step(model, cl.initial_state(model, 30.0, 40.0),
                                  cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False, open_ids=frozenset({"d"})))
    assert heat_default == pytest.approx(heat_w, rel=1e-9)


def test_opening_flow_wind_term_is_linear_in_width_and_height():
    assert cl.opening_flow_m3_s(2.0, 2.0, 0.0, 3.0, 10.0) == pytest.approx(0.025 * 4.0 * 3.0, rel=1e-12)
    assert cl.opening_flow_m3_s(0.5, 3.0, 0.0, 2.0, 10.0) == pytest.approx(0.025 * 1.5 * 2.0, rel=1e-12)


# --- probes, scene, the recorder ----------------------------------------------------------------


def test_probe_naming_an_unknown_case_reads_the_open_air():
    geo = cl.HallGeometry(floor=rect(4.0, 4.0), height=3.0, cases=(cl.CaseSpec("c", np.array([1.0, 1.0])),),
                          probes=(cl.Probe("r", np.array([3.0, 3.0]), "elsewhere"),))
    model = cl.build_model(geo, SEALED, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 20.0, 50.0)
    state.w_case[:] = vapour_density(20.0, 30.0)
    pt, prh, _, _ = cl.observe(model, state)
    assert pt[0] == pytest.approx(20.0) and prh[0] == pytest.approx(50.0)


def test_geometry_from_the_demo_scene():
    scene = load_scene(ROOT / "scenes" / "demo_hall")
    geo = cl.geometry_from_scene(scene)
    np.testing.assert_array_equal(geo.floor, scene.floor)
    assert geo.floor.dtype == np.float64
    assert geo.height == 4.2 and isinstance(geo.height, float)
    assert [o.id for o in geo.openings] == [o.id for o in (*scene.doors, *scene.windows)]
    for o, src in zip(geo.openings, (*scene.doors, *scene.windows), strict=True):
        np.testing.assert_array_equal(o.a, src.a)
        np.testing.assert_array_equal(o.b, src.b)
        assert (o.height, o.to) == (src.height, src.to) and isinstance(o.height, float)
    door = geo.openings[0]
    assert door.id == "door1" and door.a.tolist() == [9.0, 0.0] and door.b.tolist() == [11.0, 0.0]
    assert door.height == 2.6 and door.to == "lobby"
    assert [(v.id, v.kind) for v in geo.vents] == [(v.id, v.kind) for v in scene.vents]
    for v, src in zip(geo.vents, scene.vents, strict=True):
        assert v.position.tolist() == list(np.asarray(src.position, float)[:2])
    assert geo.vents[0].position.tolist() == [5.0, 9.0] and geo.vents[0].kind == "supply"
    assert [c.id for c in geo.cases] == [c.id for c in scene.cases]
    for c, src in zip(geo.cases, scene.cases, strict=True):
        assert c.position.tolist() == list(src.position[:2])
        assert c.air_exchange_per_day == src.air_exchange_per_day
    assert geo.cases[0].position.tolist() == [4.0, 9.0] and geo.cases[0].air_exchange_per_day == 0.5
    assert [(p.id, p.case) for p in geo.probes] == [(r.id, r.case) for r in scene.relics]
    for p, src in zip(geo.probes, scene.relics, strict=True):
        assert p.position.tolist() == list(src.position[:2])
    assert geo.probes[0].id == "ding" and geo.probes[0].case == "c1" and geo.probes[0].position.tolist() == [4.0, 9.0]
    assert [z.id for z in geo.zones] == [z.id for z in scene.zones]
    for z, src in zip(geo.zones, scene.zones, strict=True):
        np.testing.assert_array_equal(z.polygon, src.polygon)
    assert geo.zones[0].polygon.tolist() == [[0, 6], [10, 6], [10, 12], [0, 12]]


def test_simulate_records_what_stepping_by_hand_gives():
    """simulate() = step() in a loop with forcing_at(time): records every record_every_s, snapshots
    every snapshot_every_s (NaN outside the floor), progress at every 1 % and at the end."""
    geo = cl.HallGeometry(
        floor=L_FLOOR, height=3.0,
        openings=(cl.Aperture("d", np.array([6.0, 0.5]), np.array([6.0, 1.5])),),
        cases=(cl.CaseSpec("c", np.array([1.0, 4.0]), 3.0),),
        probes=(cl.Probe("open", np.array([5.0, 1.0])), cl.Probe("cased", np.array([1.0, 4.0]), "c")),
        zones=(cl.ZoneSpec("east", np.array([[2, 0], [6, 0], [6, 2], [2, 2]], float)),
               cl.ZoneSpec("north", np.array([[0, 2], [2, 2], [2, 5], [0, 5]], float))),
    )
    model = cl.build_model(geo, cl.ClimateSettings(), cell_m=0.5, dt_s=60.0)
    hand = cl.build_model(geo, cl.ClimateSettings(), cell_m=0.5, dt_s=60.0)

    def forcing_at(t_s: float) -> cl.Forcing:  # the door opens after 40 min
        return cl.Forcing(t_out_c=5.0, rh_out=80.0, hvac_on=t_s < 3600.0,
                          open_ids=frozenset({"d"}) if t_s >= 2400.0 else frozenset())

    start = cl.initial_state(model, 22.0, 45.0)
    fractions: list[float] = []
    res, end = cl.simulate(model, start, forcing_at, 250 * 60.0, record_every_s=1200.0, snapshot_every_s=3600.0,
                           progress=fractions.append)
    assert fractions == [i / 250 for i in range(2, 251, 2)]  # 250 steps: every 2nd, the last included
    np.testing.assert_array_equal(res.times_s, np.arange(0, 250 * 60 + 1, 1200.0))
    np.testing.assert_array_equal(res.snapshot_times_s, [0.0, 3600.0, 7200.0, 10800.0, 14400.0])
    assert res.probe_ids == ("open", "cased") and res.zone_ids == ("east", "north")
    state = cl.initial_state(hand, 22.0, 45.0)
    rec, snaps = [cl.observe(hand, state)], [state]
    for i in range(1, 251):
        state = cl.step(hand, state, forcing_at(state.time_s))
        if i % 20 == 0:
            rec.append(cl.observe(hand, state))
        if i % 60 == 0:
            snaps.append(state)
    assert end.time_s == 15000.0
    np.testing.assert_allclose(end.t, state.t, rtol=0, atol=1e-12)
    for k, name in enumerate(("probe_t", "probe_rh", "zone_t", "zone_rh")):
        want = np.array([r[k] for r in rec])
        assert getattr(res, name).shape == (13, 2)
        np.testing.assert_allclose(getattr(res, name), want, rtol=0, atol=1e-9)
    assert res.snapshot_t.shape == (5, model.grid.ny, model.grid.nx) and res.snapshot_t.dtype == np.float32
    for k, st in enumerate(snaps):
        np.testing.assert_allclose(res.snapshot_t[k], model.grid.as_image(st.t), rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(res.snapshot_rh[k], model.grid.as_image(rh_from_vapour_density(st.t, st.w)),
                                   rtol=1e-6, equal_nan=True)
    assert np.isnan(res.snapshot_t[0]).sum() == 120 - 72  # the masked cells of the L
    assert res.factorisations == model.factorisations == 4  # door shut, door open: two matrices per field
    assert res.probe_t[-1, 0] < 21.0  # the open door let the cold in: not a trivially constant run


def test_geometry_from_any_scene_like_object_makes_float_floor_points():
    """The adapter reads any object shaped like a Scene: integer coordinates become float arrays,
    and 3-D positions (cases and relics stand at a height) are cut to the floor plane."""
    from types import SimpleNamespace as NS

    scene = NS(
        floor=[[0, 0], [8, 0], [8, 6], [0, 6]], wall_height=4,
        doors=[NS(id="d", a=[8, 1], b=[8, 3], height=2, to="lobby")],
        windows=[NS(id="w", a=[0, 2], b=[0, 4], height=1, to="outdoor")],
        vents=[NS(id="s", position=[2, 3, 3], kind="supply")],
        cases=[NS(id="c", position=[4, 3, 1], air_exchange_per_day=1)],
        relics=[NS(id="r", position=[4, 3, 1], case="c")],
        zones=[NS(id="z", polygon=[[0, 0], [4, 0], [4, 6], [0, 6]])],
    )
    geo = cl.geometry_from_scene(scene)
    arrays = [geo.floor, geo.zones[0].polygon, *(o.a for o in geo.openings), *(o.b for o in geo.openings),
              geo.vents[0].position, geo.cases[0].position, geo.probes[0].position]
    assert all(a.dtype == np.float64 for a in arrays)
    assert geo.vents[0].position.tolist() == [2.0, 3.0]
    assert geo.cases[0].position.tolist() == [4.0, 3.0] and geo.probes[0].position.tolist() == [4.0, 3.0]
    assert [o.id for o in geo.openings] == ["d", "w"] and geo.openings[1].height == 1.0
    assert isinstance(geo.openings[0].height, float) and isinstance(geo.height, float)
    assert isinstance(geo.cases[0].air_exchange_per_day, float)


def test_simulate_records_by_default_every_10_min_and_snapshots_every_hour():
    geo = cl.HallGeometry(floor=rect(4.0, 3.0), height=3.0, probes=(cl.Probe("p", np.array([1.0, 1.0])),))
    model = cl.build_model(geo, SEALED, cell_m=1.0, dt_s=60.0)
    still = cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False)
    res, _ = cl.simulate(model, cl.initial_state(model, 20.0, 50.0), lambda t: still, 7200.0)
    np.testing.assert_array_equal(res.times_s, np.arange(0, 7201, 600.0))
    np.testing.assert_array_equal(res.snapshot_times_s, [0.0, 3600.0, 7200.0])
    assert res.snapshot_t.dtype == res.snapshot_rh.dtype == np.float32
    assert res.zone_t.shape == (13, 0)  # no zones: an empty column set per record
    # intervals shorter than a step record and snapshot every step
    res, _ = cl.simulate(model, cl.initial_state(model, 20.0, 50.0), lambda t: still, 300.0,
                         record_every_s=10.0, snapshot_every_s=30.0)
    np.testing.assert_array_equal(res.times_s, np.arange(0, 301, 60.0))
    np.testing.assert_array_equal(res.snapshot_times_s, np.arange(0, 301, 60.0))


@pytest.mark.parametrize("steps, calls", [(30, 30), (200, 100)])
def test_simulate_reports_progress_about_every_percent(steps, calls):
    geo = cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0)
    model = cl.build_model(geo, SEALED, cell_m=1.0, dt_s=60.0)
    still = cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False)
    seen: list[float] = []
    cl.simulate(model, cl.initial_state(model, 20.0, 50.0), lambda t: still, steps * 60.0, progress=seen.append)
    assert len(seen) == calls and seen[-1] == 1.0 and seen[0] == pytest.approx(1 / calls)


def _exactly(target: float, make) -> float:
    """A float x near the solution of make(x) == target for which it holds exactly."""
    x = target
    for _ in range(2):
        x = x * target / make(x)
    for k in range(-4, 5):
        c = x
        for _ in range(abs(k)):
            c = np.nextafter(c, np.inf if k > 0 else -np.inf)
        if make(c) == target:
            return float(c)
    raise AssertionError("no exact value found")


def test_hvac_at_exactly_its_rating_counts_as_saturated():
    """Anti-windup at the limit: an output of exactly the rating does not integrate the error.
    2 x 2 cells at 21 °C, set point 20 °C, 3600 m³/h (1 m³/s), 1 s steps (the step cap 0.5 V / (Q dt) = 6
    does not bind), gain 1: u = -rho c_p W exactly."""
    geo = cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0)
    kw = _exactly(cl.RHO_CP, lambda x: 1.0 * x * 1e3)
    s = sealed(hvac_setpoint_c=20.0, hvac_supply_m3_h=3600.0, hvac_gain=0.0, hvac_sensible_kw=kw,
               hvac_latent_kg_h=100.0)
    model = cl.build_model(geo, s, cell_m=1.0, dt_s=1.0)
    new = cl.step(model, cl.initial_state(model, 21.0, 50.0), hvac_on())
    assert new.hvac_i_t == 0.0
    # a hair more capacity and it integrates: the case above is at the limit, not beyond it
    above = cl.build_model(geo, replace(s, hvac_sensible_kw=float(np.nextafter(kw, np.inf))), cell_m=1.0, dt_s=1.0)
    assert cl.step(above, cl.initial_state(above, 21.0, 50.0), hvac_on()).hvac_i_t == -1.0
    # the same for the vapour: a latent rating of exactly the demand
    state = cl.initial_state(model, 20.0, 60.0)
    e_w = float(vapour_density(20.0, 50.0)) - float(np.dot(state.w, model.rates["mean_weights"]))
    kg_h = _exactly(abs(e_w), lambda x: 1.0 * x * 1e3 / 3600.0)
    model = cl.build_model(geo, sealed(hvac_setpoint_c=20.0, hvac_supply_m3_h=3600.0, hvac_gain=0.0,
                                       hvac_latent_kg_h=kg_h), cell_m=1.0, dt_s=1.0)
    new = cl.step(model, cl.initial_state(model, 20.0, 60.0), hvac_on())
    assert new.hvac_i_w == 0.0 and new.hvac_i_t == 0.0
    above = cl.build_model(geo, replace(model.settings, hvac_latent_kg_h=float(np.nextafter(kg_h, np.inf))),
                           cell_m=1.0, dt_s=1.0)
    assert cl.step(above, cl.initial_state(above, 20.0, 60.0), hvac_on()).hvac_i_w == pytest.approx(e_w, rel=1e-12)


@pytest.mark.parametrize("dt, every", [(240.0, 2), (1440.0, 2)])
def test_default_intervals_are_rounded_to_whole_steps(dt, every):
    """600 s at 240 s steps is 2.5 steps, 3600 s at 1440 s steps too: both round to 2 (half to even)."""
    model = cl.build_model(cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0), SEALED, cell_m=1.0, dt_s=dt)
    still = cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False)
    res, _ = cl.simulate(model, cl.initial_state(model, 20.0, 50.0), lambda t: still, 12 * dt)
    times = res.times_s if dt == 240.0 else res.snapshot_times_s
    np.testing.assert_array_equal(times, np.arange(0, 12 * dt + 1, every * dt))


def test_envelope_air_exchange_and_internal_gains_are_their_closed_forms():
    """6 m x 4 m x 3 m at 20 °C / 50 %RH, outdoors 0 °C / 80 %RH, ground 12 °C, one 1-second step:
    walls U H L, roof U A (x envelope_factor 2) to outdoors, floor U A to the ground, 0.5 ach of
    outdoor air, 5 W/m² of internal gain plus 8 W/m² of lighting, 2 g/(h m²) of moisture. The implicit
    step's 1 / (1 + a dt) is 1 - 1.2e-3 here (a = 103 W/K / (rho c_p V))."""
    s = sealed(wall_u_w_m2k=0.5, roof_u_w_m2k=0.35, floor_u_w_m2k=0.3, envelope_factor=2.0, ground_c=12.0,
               infiltration_ach=0.5, internal_gain_w_m2=5.0, lighting_w_m2=8.0, moisture_gain_g_h_m2=2.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(6.0, 4.0), height=3.0), s, cell_m=0.5, dt_s=1.0)
    state = cl.initial_state(model, 20.0, 50.0)
    w_in, w_out = float(vapour_density(20.0, 50.0)), float(vapour_density(0.0, 80.0))
    f = cl.Forcing(t_out_c=0.0, rh_out=80.0, hvac_on=False)
    _, heat_w, water_g_s = one_step(model, state, f)
    envelope = 2.0 * (0.5 * 3.0 * 20.0 + 0.35 * 24.0) * (0.0 - 20.0) + 2.0 * 0.3 * 24.0 * (12.0 - 20.0)
    air = 0.5 * 72.0 / 3600.0 * cl.RHO_CP * (0.0 - 20.0)
    assert heat_w == pytest.approx(envelope + air + 5.0 * 24.0, rel=2e-3)
    assert water_g_s == pytest.approx(0.5 * 72.0 / 3600.0 * (w_out - w_in) + 2.0 * 24.0 / 3600.0, rel=2e-3)
    _, lit_w, _ = one_step(model, state, replace(f, lights_on=True))
    assert lit_w - heat_w == pytest.approx(8.0 * 24.0, rel=2e-3)


def test_door_exchange_is_near_the_door_and_adds_up_over_doors():
    """Two 1 m doors side by side on one wall, both open: twice one door's exchange, drawn from the cells
    within 1 m of them (the far end of the 6 m hall is untouched); a 0.02 s step: the rates at t = 0."""
    doors = (cl.Aperture("d1", np.array([6.0, 1.0]), np.array([6.0, 2.0]), 2.0),
             cl.Aperture("d2", np.array([6.0, 2.0]), np.array([6.0, 3.0]), 2.0))
    geo = cl.HallGeometry(floor=rect(6.0, 4.0), height=3.0, openings=doors)
    model = cl.build_model(geo, sealed(eddy_diffusivity_m2_s=0.01), cell_m=0.5, dt_s=0.02)
    state = cl.initial_state(model, 20.0, 50.0)
    f = cl.Forcing(t_out_c=0.0, rh_out=50.0, hvac_on=False, wind_m_s=0.0)
    new, both_w, _ = one_step(model, state, replace(f, open_ids=frozenset({"d1", "d2"})))
    _, one_w, _ = one_step(model, state, replace(f, open_ids=frozenset({"d1"})))
    q = 0.6 / 3 * 1.0 * np.sqrt(9.81 * 8.0 * 20.0 / 283.15)
    assert one_w == pytest.approx(q * cl.RHO_CP * -20.0, rel=5e-3)
    assert both_w == pytest.approx(2 * one_w, rel=1e-2)  # their cells overlap: added, not replaced
    x = model.grid.centres[:, 0]
    assert new.t[x > 5.0].max() < 20.0 - 1e-5  # the door's cells cooled
    assert np.all(new.t[x < 4.0] > 20.0 - 1e-9)  # the far cells did not (yet)


@pytest.mark.parametrize("heat_w, moisture_g_h", [(500.0, 0.0), (0.0, 360.0), (500.0, 360.0)])
def test_measured_gains_enter_the_floor_cells_whole(heat_w, moisture_g_h):
    """Measured heat (W) and moisture (g/h) over the whole hall: exactly that much per second, into the
    L-shaped floor's own cells (the masked ones of its grid take none)."""
    model = cl.build_model(cl.HallGeometry(floor=L_FLOOR, height=3.0), SEALED, cell_m=0.5, dt_s=60.0)
    state = cl.initial_state(model, 20.0, 50.0)
    new, h, w = one_step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False, heat_w=heat_w,
                                                   moisture_g_h=moisture_g_h))
    assert h == pytest.approx(heat_w, rel=1e-9, abs=1e-9) and w == pytest.approx(moisture_g_h / 3600.0, rel=1e-9, abs=1e-12)
    out = ~model.grid.inside
    np.testing.assert_allclose(new.t[out], 20.0, atol=1e-9)
    np.testing.assert_allclose(new.w[out], state.w[out], atol=1e-9)


@pytest.mark.parametrize("fill, eq", [(1.5, 1.0), (-0.5, 0.0)])
def test_buffer_holds_the_air_between_dry_and_saturated(fill, eq):
    """A buffer holding more than its saturated content pulls the air towards saturation, not beyond;
    one holding less than nothing counts as dry: one implicit step of dw/dt = k (w_eq - w), k = coupling / H."""
    s = sealed(buffer_capacity_g_m2_rh=4.0, buffer_coupling_m_s=3e-3)
    model = cl.build_model(cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0), s, cell_m=1.0, dt_s=10.0)
    state = cl.initial_state(model, 20.0, 50.0)
    state.w_buffer[:] = fill * 100.0 * 4.0 / 3.0  # g/m³ of air: the content at 100 %RH is 100 xi
    w0, w_sat = float(state.w[0]), float(vapour_density(20.0, 100.0))
    k = 3e-3 / 3.0
    new = cl.step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
    assert new.w[0] == pytest.approx((w0 + 10.0 * k * eq * w_sat) / (1.0 + 10.0 * k), rel=1e-9)


def test_visitors_warm_their_zone_with_their_ashrae_heat():
    """20 visitors in the west half: 20 x 75 W sensible and 20 x 55 W / 2.45 MJ/kg of water, into the
    west half's cells only (mixing 1e-4 m²/s: the east half does not feel it within a 10 s step)."""
    geo = cl.HallGeometry(floor=rect(8.0, 4.0), height=3.0, zones=(cl.ZoneSpec("west", rect(4.0, 4.0)),))
    model = cl.build_model(geo, sealed(eddy_diffusivity_m2_s=1e-4), cell_m=1.0, dt_s=10.0)
    state = cl.initial_state(model, 20.0, 50.0)
    new, h, w = one_step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False,
                                                  people=(("west", 20.0),)))
    assert h == pytest.approx(20 * 75.0, rel=1e-9) and w == pytest.approx(20 * 55.0 / 2.45e6 * 1e3, rel=1e-9)
    x = model.grid.centres[:, 0]
    rise = 20 * 75.0 * 10.0 / (cl.RHO_CP * 48.0)  # 16 m² x 3 m of west air
    assert new.t[x < 3.0].mean() == pytest.approx(20.0 + rise, rel=1e-3)
    assert np.all(np.abs(new.t[x > 5.0] - 20.0) < 1e-4)


@pytest.mark.parametrize("rh, share", [(52.5, 0.5), (40.0, 0.0), (80.0, 1.0)])
def test_dehumidifier_humidistat_is_proportional_over_its_band(rh, share):
    """A humidistat at 50 %RH with a 5 %RH proportional band: half its 24 L/day at 52.5 %RH, nothing below
    50 %RH (it never humidifies), all of it above 55 %RH; a second unit switched off removes nothing.
    Its water and latent heat leave and enter the floor's own cells (an L-shaped hall)."""
    units = (cl.Dehumidifier("off", np.array([1.0, 4.0]), 50.0, 30.0), cl.Dehumidifier("on", np.array([4.0, 1.0]), 24.0, 50.0))
    model = cl.build_model(cl.HallGeometry(floor=L_FLOOR, height=3.0), sealed(dehumidifiers=units), cell_m=0.5, dt_s=1.0)
    state = cl.initial_state(model, 20.0, rh)
    _, heat_w, water_g_s = one_step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False,
                                                             dehumidifiers_off=frozenset({"off"})))
    removal = share * 24.0 * 1e3 / 86400.0  # g/s
    assert water_g_s == pytest.approx(-removal, rel=1e-9, abs=1e-12)
    assert heat_w == pytest.approx(removal * 1e-3 * cl.H_FG, rel=1e-9, abs=1e-9)


def test_hvac_without_supply_air_does_nothing_and_a_small_one_acts():
    geo = cl.HallGeometry(floor=rect(4.0, 4.0), height=3.0)
    for supply, acts in ((0.0, False), (1.0, True)):
        model = cl.build_model(geo, sealed(hvac_supply_m3_h=supply, hvac_setpoint_c=20.0), cell_m=1.0, dt_s=60.0)
        new, heat_w, _ = one_step(model, cl.initial_state(model, 22.0, 50.0), hvac_on())
        assert (heat_w < -1e-6) is acts and (new.hvac_i_t == -120.0) is acts


def test_vapour_above_saturation_condenses_to_saturation():
    model = cl.build_model(cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0), SEALED, cell_m=1.0, dt_s=60.0)
    state = cl.initial_state(model, 20.0, 50.0)
    state.w[:] = 1.2 * vapour_density(20.0, 100.0)
    new = cl.step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
    np.testing.assert_allclose(new.w, vapour_density(new.t, 100.0), rtol=1e-12)


def test_a_light_thermal_mass_still_takes_what_the_air_gives():
    """1 J/(m² K) of mass coupled at 15 W/(m² K), 10 ms steps: heat is conserved exactly."""
    s = sealed(internal_mass_j_m2k=1.0, mass_coupling_w_m2k=15.0)
    model = cl.build_model(cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0), s, cell_m=1.0, dt_s=0.01)
    state = cl.initial_state(model, 25.0, 50.0)
    state.t_mass[:] = 20.0
    h0 = cl.total_heat_j(model, state)
    new = cl.step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
    assert cl.total_heat_j(model, new) == pytest.approx(h0, rel=1e-12)
    assert np.all(new.t_mass > 20.0 + 0.1)


def test_case_air_relaxes_towards_the_room_each_step():
    geo = cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0, cases=(cl.CaseSpec("c", np.array([1.0, 1.0]), 4.0),))
    model = cl.build_model(geo, SEALED, cell_m=1.0, dt_s=3600.0)
    state = cl.initial_state(model, 20.0, 50.0)
    state.w_case[:] = vapour_density(20.0, 30.0)
    new = cl.step(model, state, cl.Forcing(t_out_c=20.0, rh_out=50.0, hvac_on=False))
    w = new.w[model.cells["cases"][0]]
    assert new.w_case[0] == pytest.approx(w + (state.w_case[0] - w) * np.exp(-4.0 / 24.0), rel=1e-12)


@pytest.mark.parametrize("engine", ["fipy", "cached"])
def test_a_slow_drift_is_not_lost_to_the_solver_tolerance(engine):
    """0.01 ach to 19 °C air from a 20 °C hall, 1 s steps: 3e-6 K a step, 1.4e-7 of the field. Each
    implicit step is T' = (T + a dt T_out) / (1 + a dt); FiPy's default tolerance (1e-5) skipped them."""
    s = sealed(infiltration_ach=0.01)
    model = cl.build_model(cl.HallGeometry(floor=rect(2.0, 2.0), height=3.0), s, cell_m=1.0, dt_s=1.0, engine=engine)
    state = cl.initial_state(model, 20.0, 50.0)
    a = 0.01 / 3600.0
    for _ in range(20):
        state = cl.step(model, state, cl.Forcing(t_out_c=19.0, rh_out=50.0, hvac_on=False))
    np.testing.assert_allclose(state.t, 19.0 + 1.0 / (1.0 + a) ** 20, rtol=1e-12)


def test_buffer_time_constant_is_that_of_the_sealed_room_closed_form():
    """tau = 1 / (r (1 + k)), r = coupling / H, k = w_sat(T) / (100 xi / H): 3 m, 2e-3 m/s, 4 g/(m² %RH) at 20 °C."""
    s = sealed(buffer_capacity_g_m2_rh=4.0, buffer_coupling_m_s=2e-3)
    k = float(vapour_density(20.0, 100.0)) / (100.0 * 4.0 / 3.0)
    assert cl.buffer_time_constant_s(s, 3.0, 20.0) == pytest.approx(1.0 / (2e-3 / 3.0 * (1.0 + k)), rel=1e-12)
    thin = replace(s, buffer_capacity_g_m2_rh=0.5)  # a thin buffer still has its time constant
    k_thin = float(vapour_density(20.0, 100.0)) / (100.0 * 0.5 / 3.0)
    assert cl.buffer_time_constant_s(thin, 3.0, 20.0) == pytest.approx(1.0 / (2e-3 / 3.0 * (1.0 + k_thin)), rel=1e-12)
    assert cl.buffer_time_constant_s(replace(s, buffer_coupling_m_s=0.0), 3.0, 20.0) == float("inf")
    assert cl.buffer_time_constant_s(replace(s, buffer_capacity_g_m2_rh=0.0), 3.0, 20.0) == float("inf")
