"""The record model's room and its fairness: the well-mixed cell has the room's own size and walls, and a
held-back figure compares the model with persistence from the same reading (fast, one-cell rooms)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation import calibration as ca
from simulation import climate as cl
from simulation.record_model import RoomRecord, simulate_runs

# the air and the walls only: infiltration, wall conduction and a heater (no roof, ground, mass, buffer)
WALLS_ONLY = cl.ClimateSettings(
    infiltration_ach=0.5, wall_u_w_m2k=0.8, roof_u_w_m2k=0.0, floor_u_w_m2k=0.0, hvac_supply_m3_h=0.0,
    internal_mass_j_m2k=0.0, buffer_capacity_g_m2_rh=0.0)
RECT_6x4 = np.array([[0, 0], [6, 0], [6, 4], [0, 4]], float)  # 24 m², 20 m of wall
L_SHAPE = np.array([[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10]], float)  # 100 - 25 = 75 m², 40 m


def euler_room(area: float, perimeter: float, height: float, dt: float, t0: float, t_out, heat_w,
               s: cl.ClimateSettings = WALLS_ONLY) -> np.ndarray:
    """Implicit Euler of one well-mixed room: dT/dt = (ach/3600 + U P H / (rho cp A H)) (T_out - T) + Q / (rho cp A H)."""
    v = area * height
    a = s.infiltration_ach / 3600.0 + s.wall_u_w_m2k * perimeter * height / (cl.RHO_CP * v)
    t = [t0]
    for i in range(len(t_out) - 1):
        t.append((t[-1] + dt * (a * t_out[i] + heat_w[i] / (cl.RHO_CP * v))) / (1.0 + dt * a))
    return np.array(t)


def room_record(floor: np.ndarray, n: int = 24, dt: float = 1800.0) -> ca.CalibrationData:
    ts = np.arange(n) * dt
    probe = cl.Probe("S", np.asarray(floor, float).mean(axis=0))
    geo = cl.HallGeometry(floor=floor, height=2.5, probes=(probe,))
    t_out = 2.0 + 4.0 * np.sin(2 * np.pi * ts / 86400.0)
    heat = np.where(np.arange(n) % 4 < 2, 1200.0, 0.0)
    return ca.CalibrationData(ts, np.full((n, 1), 19.0), np.full((n, 1), 45.0), t_out, np.full(n, 80.0), heat, geo)


@pytest.mark.parametrize("floor, area, perimeter", [(RECT_6x4, 24.0, 20.0), (L_SHAPE, 75.0, 40.0),
                                                    (np.vstack([RECT_6x4, RECT_6x4[:1]]), 24.0, 20.0)])
def test_the_default_well_mixed_room_has_the_floors_area_and_wall_length(floor, area, perimeter):
    """Not one square of the floor's longest side (a 6 x 4 m room was 36 m², an L-shaped floor's
    centre cell lay outside it): heat raises the air as in a room of the floor's own area, and the
    walls conduct as the floor's own perimeter does. A closed polygon (last vertex repeated) alike."""
    data = room_record(floor)
    t_sim, _ = ca.simulate_record(data, WALLS_ONLY)
    expected = euler_room(area, perimeter, 2.5, 1800.0, 19.0, data.t_out, data.heat_w)
    np.testing.assert_allclose(t_sim[:, 0], expected, rtol=1e-9)
    rec = RoomRecord.from_calibration(data, hvac=False)
    t_run, _ = simulate_runs(rec, WALLS_ONLY, [(0, len(data.times_s))])
    np.testing.assert_allclose(t_run[:, 0], expected, rtol=1e-9)
    assert ca.floor_area_perimeter(floor) == pytest.approx((area, perimeter))


def test_a_given_cell_size_grids_the_real_floor():
    """--cell: the floor itself, gridded (a 6 x 4 m floor at 2 m: 6 cells, 24 m² of air)."""
    model = ca.model_for(room_record(RECT_6x4).geometry, WALLS_ONLY, 1800.0, cell_m=2.0)
    assert model.grid.n_cells == 6 and model.volume.sum() == pytest.approx(24.0 * 2.5)
    one = ca.model_for(room_record(RECT_6x4).geometry, WALLS_ONLY, 1800.0)
    assert one.grid.n_cells == 1 and one.volume.sum() == pytest.approx(24.0 * 2.5)
    with pytest.raises(ValueError, match="no area"):
        ca.model_for(replace(room_record(RECT_6x4).geometry, floor=np.array([[0, 0], [1, 0], [2, 0]], float)),
                     WALLS_ONLY, 1800.0)


def test_held_back_skill_starts_the_model_and_persistence_from_the_same_reading():
    """calibrate's per-sensor skill: the held-back days start 5 K warmer than the training days left
    the room (a heater ran unlogged overnight). Persistence holds the first held-back reading; the
    model takes its air from that very reading, and then (a one-cell room without mass or buffer,
    its fitted parameters the true ones) follows the room exactly. Judged against the last training
    value and a model run on from day 0, neither would know the jump."""
    from bridge.cli.calibrate import held_back_skill
    from simulation.psychrometrics import rh_from_vapour_density, vapour_density

    s = replace(WALLS_ONLY, infiltration_ach=0.2, wall_u_w_m2k=0.1)
    dt, n, k = 1800.0, 108, 72  # 2.25 days; the held-back days from 1.5 d (row 72)
    data = room_record(RECT_6x4, n, dt)
    t_train = euler_room(24.0, 20.0, 2.5, dt, 19.0, data.t_out[:k + 1], data.heat_w[:k + 1], s)
    t_held = euler_room(24.0, 20.0, 2.5, dt, t_train[-1] + 5.0, data.t_out[k:], data.heat_w[k:], s)
    t_true = np.concatenate([t_train[:k], t_held])
    a = s.infiltration_ach / 3600.0  # the vapour balance: infiltration only
    w_out = vapour_density(data.t_out, data.rh_out)
    w = [float(vapour_density(19.0, 45.0))]
    for i in range(n - 1):
        w.append((w[-1] + dt * a * w_out[i]) / (1.0 + dt * a))
    rh_true = rh_from_vapour_density(t_true, np.array(w))
    data = replace(data, t_in=t_true[:, None], rh_in=rh_true[:, None])
    report = ca.CalibrationReport({"infiltration_ach": 0.2}, 1.5, 0.75, ca.Metrics(0, 0, 0, 0, 0),
                                  ca.Metrics(0, 0, 0, 0, 0), 0)
    table = {row.quantity: row for row in held_back_skill(data, report, s, 1.5, ["infiltration_ach"], None)}
    for q, truth in (("temperature", t_true), ("relative_humidity", rh_true)):
        row = table[q]
        assert row.n == n - k
        assert row.rmse_persistence == pytest.approx(np.sqrt(np.mean((truth[k:] - truth[k]) ** 2)), rel=1e-9)
        assert row.rmse_mean == pytest.approx(np.sqrt(np.mean((truth[k:] - truth[48:k].mean()) ** 2)), rel=1e-9)
        assert row.rmse < 1e-6 * row.rmse_persistence and row.skill_persistence == pytest.approx(1.0)
    assert table["temperature"].rmse_persistence > 0.5  # the room cools back after the jump: persistence misses


def test_a_heating_only_plant_never_cools_and_winds_up_no_integral():
    """hvac_cooling_factor = 0 (a house's heaters): a room 5 K above the set point drifts as with the
    plant off, and the controller's integral stays 0; below the set point it heats as the full plant
    does. With the factor 1 the same plant cools the warm room."""
    geo = cl.HallGeometry(floor=RECT_6x4, height=2.5, probes=(cl.Probe("S", np.array([3.0, 2.0])),))
    plant = replace(WALLS_ONLY, infiltration_ach=0.1, wall_u_w_m2k=0.1, hvac_supply_m3_h=300.0,
                    hvac_sensible_kw=2.0, hvac_latent_kg_h=0.0, hvac_setpoint_c=20.0)  # 3 h to lose heat
    f = cl.Forcing(t_out_c=10.0, rh_out=80.0)

    def run(settings: cl.ClimateSettings, t0: float, steps: int = 3) -> cl.ClimateState:
        model = ca.model_for(geo, settings, 600.0)
        state = cl.initial_state(model, t0, 50.0)
        for _ in range(steps):
            state = cl.step(model, state, f)
        return state

    heat_only = replace(plant, hvac_cooling_factor=0.0)
    off = replace(plant, hvac_supply_m3_h=0.0)
    warm = run(heat_only, 25.0)
    assert warm.t[0] == pytest.approx(run(off, 25.0).t[0], abs=1e-9) and warm.hvac_i_t == 0.0
    assert run(plant, 25.0).t[0] < warm.t[0] - 0.5  # the full plant cools
    cold = run(heat_only, 15.0, 1)
    assert cold.t[0] == pytest.approx(run(plant, 15.0, 1).t[0], abs=1e-12) and cold.t[0] > run(off, 15.0, 1).t[0] + 0.5
    assert cold.hvac_i_t == run(plant, 15.0, 1).hvac_i_t


def test_daily_gains_follow_the_room_clock():
    """Harmonic k of the time of day: cos 1 is +1 at midnight, -1 at noon; sin 2 peaks at 03:00 and
    15:00; the record's clock_s sets the time of day of its first row."""
    from simulation.record_model import DailyGains

    g = DailyGains(heat=(10.0, 0.0, 0.0, 0.0), moisture=(0.0, 0.0, 0.0, 4.0))
    heat, moist = g.at(np.array([0.0, 6 * 3600.0, 12 * 3600.0, 3 * 3600.0]), 2.0)
    np.testing.assert_allclose(heat, [20.0, 0.0, -20.0, 20.0 * np.cos(np.pi / 4)], atol=1e-9)
    np.testing.assert_allclose(moist, [0.0, 0.0, 0.0, 8.0], atol=1e-9)
    rec = replace(RoomRecord.from_calibration(room_record(RECT_6x4, 4, 1800.0)), clock_s=23.5 * 3600.0)
    np.testing.assert_allclose(rec.time_of_day_s(), [84600.0, 0.0, 1800.0, 3600.0])
    assert DailyGains.from_parameters({"infiltration_ach": 1.0}) is None
    assert DailyGains.from_parameters({"daily_heat_sin1_w_m2": 3.0}) == DailyGains((0.0, 3.0, 0.0, 0.0), (0.0,) * 4)


def test_a_daily_routine_of_gains_is_learnt_on_training_days_and_forecast_on_held_back_days():
    """A room whose unlogged gains repeat every day (cooking at 19:00, a shower in the morning): the
    profile fitted on 3 training days is the true one, and the held-back day, restarted from its
    midnight reading, follows the room where the model without it misses the routine."""
    from simulation.record_model import DailyGains, anchored, fit_record, skill_table

    step = 1800.0
    n = 4 * 48
    data = room_record(RECT_6x4, n, step)
    truth_settings = replace(WALLS_ONLY, internal_mass_j_m2k=1.5e5, buffer_capacity_g_m2_rh=3.0)
    truth = DailyGains(heat=(-6.0, 0.0, 4.0, 0.0), moisture=(2.0, 3.0, 0.0, -1.5))
    rec = replace(RoomRecord.from_calibration(data, hvac=False), clock_s=3600.0 * 24 - 1800.0)
    gains = np.column_stack(truth.at(rec.time_of_day_s(), 24.0))
    t_true, rh_true = simulate_runs(rec, truth_settings, [(0, n)], gains=gains)
    rec = replace(rec, t_in=t_true, rh_in=rh_true)
    seen = np.ones(n, bool)
    train = anchored([(0, 3 * 48)], seen, step, 86400.0)
    test = anchored([(3 * 48, n)], seen, step, 86400.0)
    fitted = fit_record(rec, train, ["infiltration_ach"], truth_settings, max_nfev=3, carry=True, daily=True)
    assert fitted.daily is not None
    np.testing.assert_allclose(fitted.daily.heat, truth.heat, atol=0.5)  # one Gauss-Newton step, ridge
    np.testing.assert_allclose(fitted.daily.moisture, truth.moisture, atol=0.2)
    assert fitted.parameters["daily_heat_cos2_w_m2"] == fitted.daily.heat[2]
    plain = fit_record(rec, train, ["infiltration_ach"], truth_settings, max_nfev=3, carry=True)
    assert plain.daily is None and not any(k.startswith("daily_") for k in plain.parameters)
    assert fitted.evaluations == plain.evaluations + 10  # the base run, 8 trials, the check
    skills = {}
    for name, m in (("daily", fitted), ("plain", plain)):
        t_sim, rh_sim = m.simulate(rec, [*train, *test])
        skills[name] = {s.quantity: s for s in skill_table(rec, t_sim, rh_sim, test)}
    for q in ("temperature", "relative_humidity"):
        assert skills["daily"][q].skill_persistence > 0.8
        assert skills["daily"][q].rmse < 0.3 * skills["plain"][q].rmse


def test_calibrate_daily_writes_the_profile_and_validate_runs_with_it(tmp_path, capsys):
    """``calibrate --csv ROOM_RECORD --daily``: the profile's coefficients join the calibration's
    parameters (printed with their bounds), and ``validate`` drives the model with them on the
    record's own clock (--utc-offset: a logger on UTC+2 starts its midnight record at 02:00 local)."""
    import json

    from test_record_model import hall_copy, synthetic_room_record

    from bridge.cli import calibrate as cc
    from bridge.cli.room_record import load_record
    from bridge.cli.validate import validate_main
    from simulation.record_model import DAILY_PARAMS
    from simulation.scene import load_scene

    hall = hall_copy(tmp_path)
    record = synthetic_room_record(tmp_path / "room.csv")
    out = tmp_path / "cal.json"
    argv = ["--scene", str(hall), "--csv", str(record), "--sensor", "S01", "--no-hvac", "--fit-days", "0.55",
            "--holdout-days", "0.4", "--step-min", "20", "--params", "infiltration_ach", "--max-evals", "2",
            "--daily", "--out", str(out)]
    assert cc.calibrate_main(argv) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["settings"]["daily"] is True and set(DAILY_PARAMS) <= set(doc["figures"]["parameters"])
    assert "daily_heat_cos1_w_m2" in capsys.readouterr().out
    scene = load_scene(hall)
    rec, start, _ = load_record(record, scene, 1200.0, 2.0, "S01", hvac=False)
    assert start % 86400.0 == 0.0 and rec.clock_s == 2 * 3600.0

    def s01_t_rmse() -> float:
        assert validate_main([str(record), "--scene", str(hall), "--sensor", "S01", "--no-hvac", "--calibration",
                              str(out)]) == 0
        text = capsys.readouterr().out
        line = next(ln for ln in text.splitlines() if ln.strip().startswith("S01") and "temperature" in ln
                    and "ratio" not in ln)
        return float(line.split()[2])

    with_profile = s01_t_rmse()
    doc["figures"]["parameters"].update(dict.fromkeys(DAILY_PARAMS, 0.0))
    doc["figures"]["parameters"]["daily_heat_cos1_w_m2"] = 20.0  # a strong night-time heat: validate feels it
    out.write_text(json.dumps(doc), encoding="utf-8")
    assert s01_t_rmse() > with_profile + 0.1
    house = tmp_path / "house.csv"  # a Candanedo house file is calibrated without schedules: no profile
    house.write_text("date,T2,RH_2,T_out,RH_out\n2016-02-01 00:00:00,20,40,5,80\n", encoding="utf-8")
    assert cc.calibrate_main(["--scene", str(hall), "--csv", str(house), "--daily"]) == 1  # bad input
    assert "--daily" in capsys.readouterr().err


def test_restart_share_moves_mass_and_buffer_with_the_airs_correction():
    """A sealed room (no exchange, no gains) at 20 °C / 50 %RH, restarted at 22 °C / 60 %RH. With the
    share 1 its thermal mass and buffer move with the air: the room is in equilibrium at the new
    reading and stays there. With 0 they keep the model's 20 °C, and air and mass settle at the
    heat-capacity-weighted mean; with 0.5 the mass starts at 21 °C."""
    sealed = replace(WALLS_ONLY, infiltration_ach=0.0, wall_u_w_m2k=0.0, internal_mass_j_m2k=1e4,
                     mass_coupling_w_m2k=5.0, buffer_capacity_g_m2_rh=1.0, buffer_coupling_m_s=1e-3)
    n, k = 96, 24
    data = room_record(RECT_6x4, n, 1800.0)
    t_in = np.where(np.arange(n)[:, None] < k, 20.0, 22.0)
    rh_in = np.where(np.arange(n)[:, None] < k, 50.0, 60.0)
    rec = replace(RoomRecord.from_calibration(replace(data, heat_w=np.zeros(n)), hvac=False), t_in=t_in, rh_in=rh_in)
    spans = [(0, k), (k, n)]
    c_air, c_mass = cl.RHO_CP * 24.0 * 2.5, 1e4 * 24.0  # J/K

    def end(share: float) -> tuple[float, float]:
        t, rh = simulate_runs(rec, sealed, spans, carry=True, restart_share=share)
        assert t[k - 1, 0] == pytest.approx(20.0) and rh[k - 1, 0] == pytest.approx(50.0)
        return float(t[-1, 0]), float(rh[-1, 0])

    t1, rh1 = end(1.0)
    assert t1 == pytest.approx(22.0, abs=1e-9) and rh1 == pytest.approx(60.0, abs=1e-6)
    t0, rh0 = end(0.0)
    assert t0 == pytest.approx((c_air * 22.0 + c_mass * 20.0) / (c_air + c_mass), abs=1e-3)
    assert rh0 < 59.0  # the dry buffer takes water from the air
    assert end(0.5)[0] == pytest.approx((c_air * 22.0 + c_mass * 21.0) / (c_air + c_mass), abs=1e-3)
    no_carry = simulate_runs(rec, sealed, spans, restart_share=1.0)[0]  # without carry there is nothing to share
    assert no_carry[-1, 0] == pytest.approx(22.0, abs=1e-9)
