"""The control runtime: policies, echoes, effect checks, stale sensors, overrides, the audit; and the
closed loop end to end on a real Mosquitto with virtual Zigbee2MQTT and Tasmota plugs."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest

from bridge.control.audit import AuditLog
from bridge.control.runtime import ControlRuntime, PolicyError, connect
from bridge.control.virtual_plugs import VirtualPlug
from bridge.store import Store
from simulation import climate
from simulation.actuators import Actuator, devices_for
from simulation.control import hall_model as hm
from simulation.control import humidistat, mpc
from simulation.control.controller import Humidistat, Observation, TwinController
from simulation.control.plant import make_plant


def actuator(aid: str, kind: str, convention: str, topic: str, policy: str = "auto", **kw) -> Actuator:
    return Actuator(id=aid, kind=kind, name={"zh-CN": aid, "en": aid}, zone="z1", position=np.zeros(3),
                    convention=convention, topic=topic, policy=policy, echo_timeout_s=kw.pop("echo_timeout_s", 30.0),
                    **kw)


DH = actuator("dh1", "dehumidifier", "zigbee2mqtt", "zigbee2mqtt/plug_dh1", capacity_g_h=500.0, power_w=320.0)
HU = actuator("hu1", "humidifier", "tasmota", "plug_hu1", capacity_g_h=300.0, power_w=30.0)
SP = humidistat.Setpoints.for_band(50.0, 60.0)


class Clock:
    def __init__(self, t: float = 1.8e9):
        self.t = t

    def __call__(self) -> float:
        return self.t


def obs(rh: float, t: float = 20.0) -> Observation:
    return Observation(t, rh, np.zeros(0), np.array([rh]), 12.0, 85.0)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with Store.open(data_dir=tmp_path_factory.mktemp("control")) as s:
        yield s


@pytest.fixture
def audit(store):
    """The audit trail of a hall of its own in the module's store (SQLite)."""
    return AuditLog(store, f"hall-{uuid.uuid4().hex[:12]}")


def make_runtime(audit, acts=(DH, HU)):
    sent: list[tuple[str, bytes]] = []
    clock = Clock()
    ctl = Humidistat(devices_for(acts), SP)
    rt = ControlRuntime("h", acts, ctl, lambda t, p: sent.append((t, p)), audit,
                        clock=clock)
    return rt, sent, clock


def test_auto_command_is_echoed_and_audited(audit):
    rt, sent, clock = make_runtime(audit)
    out = rt.control(obs(59.0))
    assert [(o["actuator"], o["kind"], o["on"]) for o in out] == [("dh1", "command", True)]
    assert sent == [("zigbee2mqtt/plug_dh1/set", b'{"state":"ON"}')]
    clock.t += 1.2
    rt.on_message("zigbee2mqtt/plug_dh1", b'{"state":"ON","power":318}')
    assert rt.pending == {} and rt.status()[0]["state"] == {"on": True}
    kinds = [e["kind"] for e in rt.audit.entries("dh1")]
    assert kinds == ["command", "echo"]
    cmd = rt.audit.entries("dh1", "command")[0]
    assert cmd["who"] == "humidistat" and cmd["before"] == {} and cmd["after"] == {"on": True}
    assert rt.audit.entries("dh1", "echo")[0]["why"]["seconds"] == pytest.approx(1.2)
    assert rt.tick({}) == []


def test_unechoed_command_raises_actuator_not_responding(audit):
    rt, sent, clock = make_runtime(audit)
    rt.control(obs(59.0))
    clock.t += 29.0
    assert rt.tick({}) == []
    clock.t += 2.0
    (alert,) = rt.tick({})
    assert alert["code"] == "not_responding" and alert["subject"] == "dh1"
    assert "not responding" in alert["message"]["en"] and "无响应" in alert["message"]["zh-CN"]
    assert rt.audit.entries("dh1", "alert")[0]["why"]["code"] == "not_responding"


def test_dehumidifier_without_effect_is_reported_ineffective(audit):
    rt, _, clock = make_runtime(audit)
    rt.control(obs(59.0))
    rt.on_message("zigbee2mqtt/plug_dh1", b'{"state":"ON"}')
    assert rt.tick({"z1": (20.0, 59.0)}) == []  # the run starts
    clock.t += 1700
    assert rt.tick({"z1": (20.0, 59.5)}) == []  # not yet 30 min
    clock.t += 200
    (alert,) = rt.tick({"z1": (20.0, 59.5)})
    assert alert["code"] == "dehumidifier_ineffective"
    assert "tank full or door open?" in alert["message"]["en"] and "水箱满了还是门开着" in alert["message"]["zh-CN"]
    # a working one passes the next window and the effect is audited as such
    clock.t += 1900
    assert rt.tick({"z1": (20.0, 55.0)}) == []
    effects = [e["effect"]["ok"] for e in rt.audit.entries("dh1", "effect")]
    assert effects == [False, True]


def test_policy_change_is_refused_to_staff_and_advise_waits_for_a_click(audit):
    rt, sent, clock = make_runtime(audit)
    with pytest.raises(PolicyError) as err:
        rt.set_policy("dh1", "advise", "zhang", "staff")
    assert "curator" in err.value.message["en"] and "策展人" in err.value.message["zh-CN"]
    assert rt.policies["dh1"] == "auto"
    rt.set_policy("dh1", "advise", "li", "curator")
    out = rt.control(obs(59.0))
    assert out[0]["kind"] == "recommendation" and sent == []
    rec = rt.audit.entries("dh1", "recommendation")[0]
    assert rec["why"]["source"] == "humidistat" and rec["after"] == {"on": True}
    assert rt.apply_recommendation("dh1", "zhang")
    assert sent == [("zigbee2mqtt/plug_dh1/set", b'{"state":"ON"}')]
    assert rt.audit.entries("dh1", "command")[-1]["who"] == "zhang"
    assert not rt.apply_recommendation("dh1", "zhang")
    rt.set_policy("hu1", "off", "admin", "admin")
    assert [e["after"] for e in rt.audit.entries(kind="policy")] == [{"policy": "advise"}, {"policy": "off"}]


def test_stale_sensors_send_machines_to_their_safe_state_with_an_alert(audit):
    rt, sent, clock = make_runtime(audit)
    rt.control(obs(59.0))
    rt.on_message("zigbee2mqtt/plug_dh1", b'{"state":"ON"}')
    clock.t += 60  # inside the minimum on time: going to the safe state is still allowed
    out = rt.control(obs(59.0), sensors_ok=False)
    assert [(o["actuator"], o["on"]) for o in out] == [("dh1", False)]
    assert sent[-1] == ("zigbee2mqtt/plug_dh1/set", b'{"state":"OFF"}')
    assert rt.audit.entries("dh1", "command")[-1]["who"] == "safe"
    assert any(a["code"] == "stale_sensor" for a in rt.alerts)


def test_manual_override_goes_out_whatever_the_policy_and_expires(audit):
    rt, sent, clock = make_runtime(audit)
    rt.set_policy("hu1", "off", "li", "curator")
    rt.set_override("hu1", True, 30, "li")
    assert sent == [("cmnd/plug_hu1/POWER", b"ON")]
    rt.on_message("stat/plug_hu1/POWER", b"ON")
    clock.t += 700
    assert rt.control(obs(55.0)) == []  # held on by the override though the humidistat would stop it
    assert rt.status()[1]["override"]["on"] is True
    clock.t += 1200  # expired: the humidistat's proposal applies again, but the policy is off
    assert rt.control(obs(57.0)) == []
    assert rt.status()[1]["override"] is None


def test_closed_loop_on_a_real_broker_with_zigbee2mqtt_and_tasmota_plugs(audit, mosquitto_broker):
    """RH climbs in a damp room, the twin switches the Zigbee2MQTT dehumidifier on, the plug echoes,
    the room dries; then dry air outside and the Tasmota humidifier; a dead plug raises an alarm."""
    host, port = mosquitto_broker.host, mosquitto_broker.port
    dead = actuator("dh2", "dehumidifier", "zigbee2mqtt", "zigbee2mqtt/plug_dead", policy="off", echo_timeout_s=2.0)
    acts = (DH, HU, dead)
    plugs = {"dh1": VirtualPlug("zigbee2mqtt", DH.topic, host, port, power_w=320.0),
             "hu1": VirtualPlug("tasmota", HU.topic, host, port, power_w=30.0),
             "dh2": VirtualPlug("zigbee2mqtt", dead.topic, host, port, dead=True)}
    room = climate.HallGeometry(floor=np.array([[0, 0], [8, 0], [8, 6], [0, 6]], float), height=3.5,
                                probes=(climate.Probe("chest", np.array([2.0, 3.0])),))
    settings = climate.ClimateSettings(hvac_supply_m3_h=0.0)
    devices = devices_for(acts)
    plant = make_plant(room, settings, devices, {"dh1": (6, 3), "hu1": (4, 1), "dh2": (1, 5)}, 18.0, 57.0)
    bands = mpc.Bands(np.array([50.0]), np.array([60.0]), np.array([5.0]))
    ctl = TwinController(hm.lumped(room, settings), devices, bands)
    clock = Clock()
    rt = ControlRuntime("room", acts, ctl, lambda t, p: None, audit, clock=clock)
    client = connect(rt, host, port, "relic-twin-control-test")
    try:
        rh_seen, on_seen = [], []
        for i in range(48):  # 8 h of 10 min steps: damp outside, then dry
            t_out, rh_out = (16.0, 95.0) if i < 30 else (2.0, 50.0)
            truth = [plugs[d.id].on for d in devices]
            plant.advance(600.0, truth, t_out_c=t_out, rh_out=rh_out)
            clock.t += 600.0
            t_air, rh_air = plant.air_at((2.0, 3.0))
            o = Observation(t_air, rh_air, np.zeros(0), plant.observe()[1], t_out, rh_out)
            rt.control(o, mpc_forcing(t_out, rh_out))
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline and any(a in rt.pending for a in ("dh1", "hu1")):
                time.sleep(0.02)
            rt.tick({"z1": (t_air, rh_air)})
            rh_seen.append(rh_air)
            on_seen.append(tuple(plugs[d.id].on for d in devices))
        rh = np.array(rh_seen)
        dh_on = [i for i, s in enumerate(on_seen) if s[0]]
        hu_on = [i for i, s in enumerate(on_seen) if s[1]]
        assert dh_on and dh_on[0] < 30, "the dehumidifier never switched on in the damp phase"
        assert plugs["dh1"].heard[0] == ("zigbee2mqtt/plug_dh1/set", b'{"state":"ON"}')
        assert rh[: dh_on[0] + 1].max() > rh[dh_on[0] + 6]  # the RH bends back once it runs
        assert rh[:30].max() < 62.0
        assert hu_on and hu_on[0] >= 30, "the humidifier never switched on in the dry phase"
        assert plugs["hu1"].heard[0] == ("cmnd/plug_hu1/POWER", b"ON")
        assert not any(a and b for a, b, _ in on_seen), "humidified and dehumidified at once"
        assert not [a for a in rt.alerts if a["code"] == "not_responding" and a["subject"] != "dh2"]
        echoes = rt.audit.entries(kind="echo")
        assert {e["actuator"] for e in echoes} == {"dh1", "hu1"}
        # the dead plug: a manual override that is never echoed raises the alarm
        rt.set_override("dh2", True, 30, "li")
        deadline = time.monotonic() + 10.0  # the command reaches the plug, which never answers
        while not plugs["dh2"].heard and time.monotonic() < deadline:
            time.sleep(0.02)
        assert plugs["dh2"].heard and not plugs["dh2"].on
        clock.t += 3.0
        alerts = rt.tick({})
        assert [a["subject"] for a in alerts if a["code"] == "not_responding"] == ["dh2"]
    finally:
        client.loop_stop()
        client.disconnect()
        for p in plugs.values():
            p.close()


def mpc_forcing(t_out: float, rh_out: float) -> hm.Forcing:
    return hm.Forcing.constant(mpc.Settings().horizon_steps, t_out, rh_out)
