"""What the twin plans besides dehumidifiers and humidifiers, with numbers: EN 15757 as an explicit
term of the objective, the air conditioner's set point and mode, the light level and the blind
against the lux-hour budget."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import climate, en15757
from simulation.control import hall_model as hm
from simulation.control import lighting, mpc
from simulation.control.devices import device

DRY, WET = device("dry", "dehumidifier"), device("wet", "humidifier")
ROOM = climate.HallGeometry(floor=np.array([[0, 0], [8, 0], [8, 6], [0, 6]], float), height=3.5,
                            probes=(climate.Probe("panel", np.array([2.0, 3.0])),))
NO_AC = hm.lumped(ROOM, climate.ClimateSettings(hvac_supply_m3_h=0.0))


def test_live_en15757_band_is_the_relics_own_history():
    hours = np.arange(60 * 24)
    calm = 45.0 + 2.0 * np.sin(2 * np.pi * hours / 24)  # a panel used to 45 ± 2 %RH
    lo, hi = en15757.live_band(calm[:, None])
    assert lo[0] == pytest.approx(35.0, abs=0.1) and hi[0] == pytest.approx(55.0, abs=0.1)  # ± 10 at least
    rng = np.random.default_rng(1)
    wild = 52.0 + 14.0 * rng.standard_normal(len(hours))  # a record with wide swings: its percentiles
    lo, hi = en15757.live_band(wild[:, None])
    assert hi[0] - lo[0] > 35.0 and lo[0] < 40.0 < 64.0 < hi[0]
    assert np.isnan(en15757.live_band(np.full((10, 1), 50.0))[0][0])  # under a day: no band yet


def test_en15757_is_an_explicit_term_that_changes_the_plan():
    """A panel used to 45 %RH, in a wide material band (35-75): damp weather would take it to ~66.
    The material band alone leaves the dehumidifier off; the EN 15757 band (35-55) switches it on."""
    bands = mpc.Bands(np.array([35.0]), np.array([75.0]), np.array([20.0]))
    x0 = hm.equilibrium_state(NO_AC, 18.0, 54.0)
    forcing = hm.Forcing.constant(72, 14.0, 92.0)
    w = mpc.Weights(track=0.0)  # no pull to the recent mean: only the bands speak
    plain = mpc.Recent(np.array([50.0]), np.array([52.0]), np.array([51.0]))
    used_to = mpc.Recent(plain.low, plain.high, plain.mean, np.array([35.0]), np.array([55.0]))
    s = mpc.Settings(weights=w)
    off = mpc.plan(NO_AC, x0, forcing, (DRY,), bands, plain, [False], s)
    on = mpc.plan(NO_AC, x0, forcing, (DRY,), bands, used_to, [False], s)
    assert list(off.first) == [False] and off.terms["en15757"] == 0.0
    assert off.free_rh.max() > 58.0  # left alone it leaves what it is used to
    assert list(on.first) == [True] and on.relic_rh.max() < 56.0 < on.free_rh.max()
    assert on.terms["en15757"] < 0.05 * on.cost + 1.0  # the plan keeps it (almost) inside


def test_air_conditioner_set_point_is_planned_warmer_in_damp_weather_within_the_temperature_band():
    settings = climate.ClimateSettings(hvac_supply_m3_h=3000.0, hvac_sensible_kw=6.0, hvac_setpoint_c=18.0)
    hall = hm.lumped(ROOM, settings)
    bands = mpc.Bands(np.array([45.0]), np.array([55.0]), np.array([10.0]), np.array([16.0]), np.array([22.0]))
    x0 = hm.equilibrium_state(hall, 18.0, 58.0)
    recent = mpc.Recent(np.array([57.0]), np.array([58.0]), np.array([57.5]))
    damp = hm.Forcing.constant(72, 12.0, 95.0)
    fixed = mpc.plan(hall, x0, damp, (), bands, recent, [], setpoints=None)
    p = mpc.plan(hall, x0, damp, (), bands, recent, [], setpoints=(16.0, 18.0, 20.0, 22.0), current_setpoint=18.0)
    # conservation heating: warmer air holds the same water at a lower RH, within the relics' 16-22 °C
    assert p.setpoint is not None and p.setpoint > 18.0 and p.ac_mode == "heat"
    assert p.relic_rh.max() < fixed.relic_rh.max() - 4.0
    assert "temperature" in p.terms and p.terms["temperature"] == 0.0
    # with a dehumidifier too, a 16-19 °C band makes the planner dry more and heat less
    cold = mpc.Bands(bands.low, bands.high, bands.max_change_24h, np.array([16.0]), np.array([19.0]))
    warm = mpc.plan(hall, x0, damp, (DRY,), bands, recent, [False], setpoints=(16.0, 18.0, 20.0, 22.0),
                    current_setpoint=18.0)
    cool = mpc.plan(hall, x0, damp, (DRY,), cold, recent, [False], setpoints=(16.0, 18.0, 20.0, 22.0),
                    current_setpoint=18.0)
    assert warm.setpoint == 22.0 and cool.setpoint is not None and cool.setpoint <= 20.0
    assert cool.duty[:, 0].mean() > warm.duty[:, 0].mean() + 0.05  # the dehumidifier does the rest
    assert warm.relic_rh.max() < 55.0 and cool.relic_rh.max() < 56.0


def test_light_budget_target_and_daylight_first():
    # 50 000 lx·h a year (most sensitive), 20 000 used, 600 opening hours left: 50 lx while open
    assert lighting.target_lux(50_000, 20_000, 600, 50.0) == pytest.approx(50.0)
    assert lighting.target_lux(50_000, 35_000, 600, 50.0) == pytest.approx(25.0)  # ahead of plan: dimmer
    assert lighting.target_lux(50_000, 60_000, 600, 50.0) == 0.0  # spent
    is_open = np.array([False, True, True, True, False])
    daylight = np.array([300.0, 400.0, 20.0, 0.0, 100.0])
    p = lighting.plan(is_open, daylight, 1.0, 50.0, design_lx=200.0)
    assert p.blind.tolist() == pytest.approx([0.0, 0.125, 1.0, 1.0, 0.0])  # closed when closed; just enough daylight
    assert p.level.tolist() == pytest.approx([0.0, 0.0, 0.15, 0.25, 0.0])  # lights top up 30 and 50 lx
    assert p.lux.tolist() == pytest.approx([0.0, 50.0, 50.0, 50.0, 0.0]) and p.dose_lxh == pytest.approx(150.0)
    # without a blind the daylight is dose: 400 lx instead of 50 in the bright hour
    bare = lighting.plan(is_open, daylight, 1.0, 50.0, design_lx=200.0, has_blind=False)
    assert bare.dose_lxh == pytest.approx(300.0 + 400.0 + 50.0 + 50.0 + 100.0)
    assert lighting.plan(is_open, daylight, 1.0, 25.0, 200.0).short


def test_runtime_plans_the_air_conditioner_lights_and_blind_by_their_policies(tmp_path):
    from bridge.control.audit import AuditLog
    from bridge.control.runtime import ControlRuntime
    from bridge.store import Store
    from simulation.actuators import Actuator, devices_for
    from simulation.control.controller import AirConditioner, LightGroup, Observation, TwinController

    def act(aid, kind, convention, topic, policy):
        return Actuator(id=aid, kind=kind, name={"zh-CN": aid, "en": aid}, zone="z1", position=np.zeros(3),
                        convention=convention, topic=topic, policy=policy)

    acts = (act("ac1", "air_conditioner", "ha", "climate/ac1", "advise"), act("lamp", "light", "zigbee2mqtt", "z2m/lamp", "auto"),
            act("blind", "blind", "native", "hall/blind", "auto"))
    settings = climate.ClimateSettings(hvac_supply_m3_h=3000.0, hvac_sensible_kw=6.0, hvac_setpoint_c=18.0)
    bands = mpc.Bands(np.array([45.0]), np.array([55.0]), np.array([10.0]), np.array([16.0]), np.array([22.0]))
    ctl = TwinController(hm.lumped(ROOM, settings), devices_for(acts), bands, ac=AirConditioner("ac1", 16.0, 22.0),
                         lights=[LightGroup("z1", "lamp", "blind", budget_lxh=50_000.0, limit_lx=50.0, utc_offset_h=0.0)])
    sent: list = []
    noon = 1_798_761_600.0 + 12 * 3600  # 2027-01-01 12:00 UTC: open
    with Store.open(data_dir=tmp_path) as store:
        rt = ControlRuntime("h", acts, ctl, lambda t, p: sent.append((t, p)), AuditLog(store, "h"), clock=lambda: noon)
        # damp, and 400 lx of daylight on the panel
        obs = Observation(18.0, 58.0, np.zeros(0), np.array([58.0]), 12.0, 95.0, lux={"z1": 400.0})
        out = rt.control(obs, hm.Forcing.constant(72, 12.0, 95.0))
        kinds = {o["actuator"]: o["kind"] for o in out}
        assert kinds == {"ac1": "recommendation", "lamp": "command", "blind": "command"}
        rec = rt.recommendations["ac1"].command
        assert rec == {"mode": "heat", "setpoint": 19.0}  # warmer, one step (1 K) at a time
        # 50 000 lx·h over the ~2 390 opening hours left: the budget gives ~21 lx; daylight alone does it
        assert ("hall/blind/set", b'{"level":0.05}') in sent and ("z2m/lamp/set", b'{"brightness":0}') in sent
        why = rt.audit.entries("blind", "command")[0]["why"]
        assert why["rule"] == "lux_budget" and why["target_lx"] == pytest.approx(20.9, abs=0.5)
        assert rt.audit.entries("ac1", "recommendation")[0]["why"]["terms"]["en15757"] == 0.0
        assert rt.apply_recommendation("ac1", "li")
        assert ("climate/ac1/temperature/set", b"19.0") in sent and ("climate/ac1/mode/set", b"heat") in sent


def test_the_scene_names_what_is_planned(tmp_path):
    """A light and a blind over the silk painting's case, an air conditioner in the hall: the
    silk's budget (50 000 lx·h) and limit govern the lights, the relics' temperature bands the AC."""
    import shutil

    from bridge.control import hall as control_hall
    from simulation.paths import assets_dir, scenes_dir
    from simulation.scene import load_scene

    shutil.copytree(scenes_dir() / "demo_hall", tmp_path / "hall")
    text = (tmp_path / "hall" / "scene.toml").read_text(encoding="utf-8")
    extra = "".join(
        f'\n[[actuators]]\nid = "{aid}"\nkind = "{kind}"\nname = {{ "zh-CN" = "{aid}", en = "{aid}" }}\n'
        f'zone = "painting"\n{case}position = [15.0, 11.0, 0.0]\nconvention = "{conv}"\ntopic = "t/{aid}"\n'
        for aid, kind, case, conv in (("lamp", "light", 'case = "c2"\n', "zigbee2mqtt"),
                                      ("shade", "blind", 'case = "c2"\n', "native"),
                                      ("ac1", "air_conditioner", "", "ha")))
    (tmp_path / "hall" / "scene.toml").write_text(text + extra, encoding="utf-8")
    scene = load_scene(tmp_path / "hall", assets_dir=assets_dir())
    (group,) = control_hall.light_groups(scene)
    assert (group.id, group.light, group.blind, group.budget_lxh) == ("c2", "lamp", "shade", 50_000.0)
    assert group.utc_offset_h == 8.0  # Asia/Shanghai
    ctl = control_hall.twin_controller(scene)
    assert ctl.ac is not None and ctl.ac.id == "ac1" and 18.0 <= ctl.ac.t_min < ctl.ac.t_max <= 24.0
    assert ctl.bands.t_low is not None and ctl.setpoint == 20.0
