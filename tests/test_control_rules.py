"""Control maths: interlocks, humidistat, the reduced model against the 2-D model, the planner."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import climate
from simulation.control import hall_model as hm
from simulation.control import humidistat, interlocks, mpc
from simulation.control.controller import Context, Observation, TwinController
from simulation.control.devices import device, effects, energy_kwh
from simulation.control.plant import make_plant

DRY, WET = device("dry", "dehumidifier"), device("wet", "humidifier")
DEVICES = (DRY, WET)
OK = interlocks.Context(sensors_ok={"": True}, rh_rate_per_h={"": 0.0}, override={}, safe_state={})
H = interlocks.History
ROOM = climate.HallGeometry(floor=np.array([[0, 0], [8, 0], [8, 6], [0, 6]], float), height=3.5,
                            cases=(climate.CaseSpec("c1", np.array([6.0, 3.0]), 1.0),),
                            probes=(climate.Probe("open", np.array([2.0, 3.0])),
                                    climate.Probe("cased", np.array([6.0, 3.0]), "c1")))


def ctx(**kw) -> interlocks.Context:
    base = dict(sensors_ok={"": True}, rh_rate_per_h={"": 0.0}, override={}, safe_state={})
    base.update(kw)
    return interlocks.Context(**base)


def states(decisions) -> list[bool]:
    return [d.on for d in decisions]


def test_never_humidify_and_dehumidify_one_space():
    hist = {"dry": H(on=True, since_s=0.0), "wet": H()}
    out = interlocks.apply(DEVICES, [True, True], hist, 10_000.0, OK)
    assert states(out) == [True, False] and "exclusive" in out[1].rules
    # neither running: neither starts
    out = interlocks.apply(DEVICES, [True, True], {}, 10_000.0, OK)
    assert states(out) == [False, False]
    # another space may run its humidifier
    other = device("wet2", "humidifier", space="c1")
    out = interlocks.apply((DRY, other), [True, True], {"dry": H(True, 0.0)}, 10_000.0,
                           ctx(sensors_ok={"": True, "c1": True}))
    assert states(out) == [True, True]


def test_minimum_on_and_off_times_and_switch_cap():
    now = 10_000.0
    out = interlocks.apply((DRY,), [False], {"dry": H(True, now - 300.0)}, now, OK)
    assert states(out) == [True] and out[0].rules == ("min_on",)
    out = interlocks.apply((DRY,), [True], {"dry": H(False, now - 300.0)}, now, OK)
    assert states(out) == [False] and out[0].rules == ("min_off",)
    out = interlocks.apply((DRY,), [True], {"dry": H(False, now - 700.0)}, now, OK)
    assert states(out) == [True]
    busy = H(False, now - 700.0, (now - 3000, now - 2200, now - 1500, now - 700))
    out = interlocks.apply((DRY,), [True], {"dry": busy}, now, OK)
    assert states(out) == [False] and out[0].rules == ("switch_cap",)
    # switches older than an hour no longer count
    old = H(False, now - 700.0, (now - 5000, now - 4500, now - 4000, now - 700))
    assert states(interlocks.apply((DRY,), [True], {"dry": old}, now, OK)) == [True]
    assert interlocks.allowed_first_moves((DRY,), {"dry": H(True, now - 300.0)}, now) == [(True,)]


def test_rh_rate_cap_stops_the_device_pushing_the_fast_change():
    now = 10_000.0
    falling = ctx(rh_rate_per_h={"": -6.0})
    out = interlocks.apply(DEVICES, [True, False], {"dry": H(True, 0.0)}, now, falling)
    assert states(out) == [False, False] and "rh_rate" in out[0].rules
    # a humidifier may still run while RH falls fast
    out = interlocks.apply(DEVICES, [False, True], {}, now, falling)
    assert states(out) == [False, True]


def test_stale_sensor_sends_devices_to_their_safe_state_even_inside_minimum_on():
    now = 10_000.0
    stale = ctx(sensors_ok={"": False}, safe_state={"dry": False, "wet": False})
    out = interlocks.apply(DEVICES, [True, False], {"dry": H(True, now - 60.0)}, now, stale)
    assert states(out) == [False, False] and "stale_sensor" in out[0].rules
    # a declared safe state "on" is honoured (but never against the minimum off time)
    on_safe = ctx(sensors_ok={"": False}, safe_state={"dry": True})
    assert states(interlocks.apply((DRY,), [False], {}, now, on_safe)) == [True]
    assert states(interlocks.apply((DRY,), [False], {"dry": H(False, now - 60)}, now, on_safe)) == [False]


def test_manual_override_holds_until_it_expires_and_calibration_blocks_the_model():
    now = 10_000.0
    over = ctx(override={"dry": (True, now + 600.0)})
    assert interlocks.apply((DRY,), [False], {}, now, over)[0] == interlocks.Decision(True, ("override",))
    assert states(interlocks.apply((DRY,), [False], {}, now + 601.0, over)) == [False]
    failed = ctx(calibration_ok=False, source="mpc")
    out = interlocks.apply((DRY,), [True], {}, now, failed)
    assert states(out) == [False] and out[0].rules == ("calibration",)
    assert states(interlocks.apply((DRY,), [True], {}, now, ctx(calibration_ok=False, source="humidistat"))) == [True]
    assert set(interlocks.RULES) >= {"override", "calibration", "stale_sensor", "rh_rate", "exclusive", "min_on",
                                     "min_off", "switch_cap"}
    assert all(set(t) == {"en", "zh-CN"} for t in interlocks.RULES.values())


def test_humidistat_switches_with_its_differential():
    sp = humidistat.Setpoints.for_band(50.0, 60.0)
    assert (sp.dry_on, sp.wet_on) == (58.0, 52.0)
    assert humidistat.decide(DEVICES, [False, False], 58.5, sp) == [True, False]
    assert humidistat.decide(DEVICES, [True, False], 55.0, sp) == [True, False]
    assert humidistat.decide(DEVICES, [True, False], 53.9, sp) == [False, False]
    assert humidistat.decide(DEVICES, [False, False], 51.0, sp) == [False, True]
    assert humidistat.decide(DEVICES, [False, True], 56.5, sp) == [False, False]


def test_device_effects_and_energy():
    m, h = effects(DEVICES, np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert m[0] == pytest.approx(-500 / 3600) and m[1] == pytest.approx(300 / 3600)
    # a dehumidifier heats by its power plus the latent heat it recovers; a humidifier cools
    assert h[0] == pytest.approx(320 + 0.5 / 3600 * 2.45e6 * 1000 / 1000, rel=1e-6)
    assert h[1] < 0
    assert energy_kwh(DEVICES, np.array([[1, 0]] * 6), 600.0) == pytest.approx(0.32)
    with pytest.raises(ValueError, match="kind"):
        device("x", "fogger")


def test_reduced_model_matches_the_2d_model_and_the_dehumidifier_dries():
    settings = climate.ClimateSettings(hvac_supply_m3_h=0.0)
    n = 36  # 6 h of 10 min
    on = np.zeros((n, 2))
    on[:18, 0] = 1.0
    plant = make_plant(ROOM, settings, DEVICES, {"dry": (4.0, 3.0), "wet": (1.0, 1.0)}, 18.0, 60.0, cell_m=0.5)
    rh2d = []
    for i in range(n):
        plant.advance(600.0, tuple(on[i] > 0), t_out_c=12.0, rh_out=85.0)
        rh2d.append(plant.observe()[1])
    hall = hm.lumped(ROOM, settings)
    traj = hm.simulate(hall, hm.equilibrium_state(hall, 18.0, 60.0), hm.Forcing.constant(n, 12.0, 85.0), DEVICES,
                       on[None], 600.0)
    rh2d = np.array(rh2d)
    assert np.sqrt(np.mean((traj.relic_rh[0] - rh2d) ** 2)) < 1.5
    assert rh2d[17, 0] < rh2d[0, 0] - 3 and traj.relic_rh[0, 17, 0] < traj.relic_rh[0, 0, 0] - 3  # dried
    assert rh2d[-1, 0] > rh2d[17, 0]  # and the RH bends back once it stops
    # the case follows slowly
    assert abs(traj.relic_rh[0, 17, 1] - traj.relic_rh[0, 0, 1]) < abs(traj.relic_rh[0, 17, 0] - traj.relic_rh[0, 0, 0])


def test_planner_dries_a_damp_hall_and_rests_in_band():
    hall = hm.lumped(ROOM, climate.ClimateSettings(hvac_supply_m3_h=0.0))
    bands = mpc.Bands(np.array([50.0, 50.0]), np.array([60.0, 60.0]), np.array([5.0, 5.0]))
    forcing = hm.Forcing.constant(72, 14.0, 90.0)
    damp = mpc.plan(hall, hm.equilibrium_state(hall, 18.0, 63.0), forcing, DEVICES, bands,
                    mpc.Recent(np.full(2, 62.0), np.full(2, 63.0), np.full(2, 62.5)), [False, False])
    assert list(damp.first) == [True, False]
    assert damp.relic_rh[:, 0].max() <= damp.free_rh[:, 0].max()
    calm = mpc.plan(hall, hm.equilibrium_state(hall, 18.0, 55.0), hm.Forcing.constant(72, 18.0, 55.0), DEVICES,
                    bands, mpc.Recent(np.full(2, 54.5), np.full(2, 55.5), np.full(2, 55.0)), [False, False])
    assert list(calm.first) == [False, False]
    # the interlocks' allowed states bind the first move
    held = mpc.plan(hall, hm.equilibrium_state(hall, 18.0, 63.0), forcing, DEVICES, bands,
                    mpc.Recent(np.full(2, 62.0), np.full(2, 63.0), np.full(2, 62.5)), [False, False],
                    allowed=[(False,), (False,)])
    assert list(held.first) == [False, False]


def test_twin_controller_falls_back_to_the_humidistat_when_calibration_fails():
    hall = hm.lumped(ROOM, climate.ClimateSettings(hvac_supply_m3_h=0.0))
    bands = mpc.Bands(np.array([50.0, 50.0]), np.array([60.0, 60.0]), np.array([5.0, 5.0]))
    ctl = TwinController(hall, DEVICES, bands)
    obs = Observation(18.0, 59.0, np.array([59.0]), np.array([59.0, 59.0]), 14.0, 90.0)
    step = ctl.decide(0.0, obs, hm.Forcing.constant(72, 14.0, 90.0), Context(calibration_ok=False))
    assert step.source == "humidistat" and step.on == (True, False)  # 59 > 58: the humidistat dries
    assert ctl.decide(600.0, obs, hm.Forcing.constant(72, 14.0, 90.0)).source == "mpc"


def test_persistence_forecast_repeats_yesterday_with_the_offset_fading():
    day = np.sin(np.arange(144) / 144 * 2 * np.pi)
    hist = np.concatenate([day, day + 1.0])  # today one degree warmer than yesterday
    f = mpc.persistence_forecast(hist, 144, 144)
    k = np.arange(1, 145)
    offset = hist[-1] - hist[-144]  # now against the same time a day ago
    assert np.allclose(f, hist[144 + (k - 1)] + offset * np.exp(-k / 36))
    assert f[-1] == pytest.approx(hist[-1], abs=0.02)  # a day ahead: today's value again
    assert np.all(mpc.persistence_forecast(np.array([3.0, 4.0]), 144, 5) == 4.0)


def test_estimator_learns_a_weak_dehumidifier_as_its_effectiveness():
    from dataclasses import replace

    from simulation.control import estimator
    from simulation.psychrometrics import rh_from_vapour_density

    settings = climate.ClimateSettings(hvac_supply_m3_h=0.0)
    hall = hm.lumped(ROOM, settings)
    weak = [replace(DRY, capacity_g_h=0.6 * DRY.capacity_g_h), WET]
    truth = hm.equilibrium_state(hall, 18.0, 62.0)
    est = estimator.Estimate(truth)
    one = hm.Forcing.constant(1, 14.0, 90.0)
    for _ in range(72):  # 12 h with the dehumidifier on
        truth = hm.simulate(hall, truth, one, weak, np.array([[[1.0, 0.0]]]), 600.0).final
        t, rh = float(truth.t[0]), float(rh_from_vapour_density(truth.t[0], truth.w[0]))
        est = estimator.update(hall, est, one, DEVICES, np.array([1.0, 0.0]), 600.0, t, rh,
                               rh_from_vapour_density(truth.t[0], truth.w_case[0]))
    # most of the shortfall is read as the machine's, the rest as a constant source (offset-free MPC)
    assert 0.55 < est.effect[0] < 0.75 and est.moisture_g_s > 0
    assert est.effect[1] == 1.0  # the humidifier never ran: nothing learnt about it
    assert est.devices(DEVICES)[0].capacity_g_h == pytest.approx(est.effect[0] * DRY.capacity_g_h)
