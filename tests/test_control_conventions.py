"""Actuator conventions: commands encoded as each device family expects, echoes decoded back;
the scene's [[actuators]] schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.control import conventions as cv
from bridge.control.virtual_plugs import respond
from simulation import actuators
from simulation.scene import SceneError, parse_scene

# (convention, topic, command) -> messages, as the devices' documentation gives them:
# Zigbee2MQTT 1.x/2.x "MQTT topics and messages" (state ON/OFF, brightness 0-254);
# Tasmota 13/14 "Commands" (Power, Dimmer); Shelly Gen1 API "MQTT" (relay/0/command on|off);
# Shelly Gen2 "RPC over MQTT" (Switch.Set {id, on}); Home Assistant "MQTT Switch" and "MQTT HVAC".
ENCODED = [
    ("zigbee2mqtt", "zigbee2mqtt/plug_dh1", {"on": True}, [("zigbee2mqtt/plug_dh1/set", b'{"state":"ON"}')]),
    ("zigbee2mqtt", "zigbee2mqtt/lamp", {"level": 0.5}, [("zigbee2mqtt/lamp/set", b'{"brightness":127}')]),
    ("tasmota", "plug_hum", {"on": False}, [("cmnd/plug_hum/POWER", b"OFF")]),
    ("tasmota", "dimmer1", {"level": 0.3}, [("cmnd/dimmer1/Dimmer", b"30")]),
    ("shelly_gen1", "shellyplug-s-7C87CE", {"on": True}, [("shellies/shellyplug-s-7C87CE/relay/0/command", b"on")]),
    ("shelly_gen2", "shellyplusplugs-e86bea", {"on": True},
     [("shellyplusplugs-e86bea/rpc",
       b'{"id":1,"src":"relic-twin","method":"Switch.Set","params":{"id":0,"on":true}}')]),
    ("ha", "home/dehumidifier", {"on": True}, [("home/dehumidifier/set", b"ON")]),
    ("ha", "home/split_ac", {"mode": "dry", "setpoint": 21.5},
     [("home/split_ac/mode/set", b"dry"), ("home/split_ac/temperature/set", b"21.5")]),
    ("native", "relic-twin/demo_hall/actuators/dh1", {"on": True},
     [("relic-twin/demo_hall/actuators/dh1/set", b'{"on":true}')]),
]

# (convention, topic, message topic, captured payload) -> decoded state
DECODED = [
    ("zigbee2mqtt", "zigbee2mqtt/plug_dh1", "zigbee2mqtt/plug_dh1",
     b'{"state":"ON","power":312.4,"energy":1.2,"linkquality":87}', {"on": True}),
    ("zigbee2mqtt", "zigbee2mqtt/plug_dh1", "zigbee2mqtt/plug_dh1", b'{"linkquality":87}', {}),
    ("zigbee2mqtt", "zigbee2mqtt/plug_dh1", "zigbee2mqtt/other", b'{"state":"ON"}', None),
    ("tasmota", "plug_hum", "stat/plug_hum/POWER", b"ON", {"on": True}),
    ("tasmota", "plug_hum", "stat/plug_hum/RESULT", b'{"POWER":"OFF"}', {"on": False}),
    ("tasmota", "plug_hum", "tele/plug_hum/STATE", b'{"POWER":"OFF"}', None),
    ("shelly_gen1", "shellyplug-s-7C87CE", "shellies/shellyplug-s-7C87CE/relay/0", b"off", {"on": False}),
    ("shelly_gen2", "shellyplusplugs-e86bea", "shellyplusplugs-e86bea/status/switch:0",
     b'{"id":0,"source":"MQTT","output":true,"apower":318.2,"voltage":229.6}', {"on": True}),
    ("shelly_gen2", "shellyplusplugs-e86bea", "shellyplusplugs-e86bea/events/rpc",
     b'{"src":"shellyplusplugs-e86bea","dst":"shellyplusplugs-e86bea/events","method":"NotifyStatus",'
     b'"params":{"ts":1700000000.1,"switch:0":{"id":0,"output":false}}}', {"on": False}),
    ("ha", "home/split_ac", "home/split_ac/mode/state", b"cool", {"mode": "cool"}),
    ("ha", "home/split_ac", "home/split_ac/temperature/state", b"22.0", {"setpoint": 22.0}),
    ("native", "relic-twin/h/actuators/dh1", "relic-twin/h/actuators/dh1/state", b'{"on":false}', {"on": False}),
]


@pytest.mark.parametrize(("convention", "topic", "command", "messages"), ENCODED)
def test_commands_are_encoded_as_the_devices_expect(convention, topic, command, messages):
    assert cv.encode(convention, topic, command) == messages


@pytest.mark.parametrize(("convention", "topic", "msg_topic", "payload", "state"), DECODED)
def test_captured_state_messages_decode(convention, topic, msg_topic, payload, state):
    assert cv.decode(convention, topic, msg_topic, payload) == state


@pytest.mark.parametrize("convention", cv.CONVENTIONS)
@pytest.mark.parametrize("on", [True, False])
def test_every_convention_round_trips_through_a_virtual_plug(convention, on):
    topic = "plug"
    (cmd_topic, payload), *_ = cv.encode(convention, topic, {"on": on})
    state, replies = respond(convention, topic, cmd_topic, payload)
    assert state is on
    decoded = [cv.decode(convention, topic, t, p) for t, p in replies]
    assert any(d is not None and cv.confirms({"on": on}, d) for d in decoded)


@pytest.mark.parametrize(("convention", "command", "match"), [
    ("shelly_gen1", {"level": 0.5}, "cannot carry level"),
    ("tasmota", {"mode": "cool"}, "cannot carry mode"),
    ("zigbee2mqtt", {"level": 1.5}, "0..1"),
    ("ha", {"mode": "blast"}, "mode must be"),
    ("ha", {}, "a command is"),
    ("smoke_signals", {"on": True}, "unknown actuator convention"),
])
def test_commands_a_convention_cannot_carry_are_refused(convention, command, match):
    with pytest.raises(cv.ConventionError, match=match):
        cv.encode(convention, "x", command)


@pytest.mark.parametrize(("convention", "msg_topic", "payload", "match"), [
    ("tasmota", "stat/p/POWER", b"MAYBE", "ON or OFF"),
    ("zigbee2mqtt", "p", b"{not json", "not JSON"),
    ("zigbee2mqtt", "p", b"[1, 2]", "JSON object"),
    ("ha", "p/mode/state", b"warp", "unknown climate mode"),
    ("ha", "p/temperature/state", b"hot", "not a temperature"),
    ("shelly_gen1", "shellies/p/relay/0", b"\xff\xfe", "UTF-8"),
])
def test_unreadable_state_messages_raise_with_a_reason(convention, msg_topic, payload, match):
    with pytest.raises(cv.ConventionError, match=match):
        cv.decode(convention, "p", msg_topic, payload)


def test_confirms_compares_levels_with_a_tolerance():
    assert cv.confirms({"level": 0.5}, {"level": 0.5, "on": True})
    assert cv.confirms({"level": 0.5}, cv.decode("zigbee2mqtt", "l", "l", json.dumps({"brightness": 127}).encode()))
    assert not cv.confirms({"on": True}, {"on": False})
    assert not cv.confirms({"on": True}, {})


def test_scene_conventions_match_the_bridge():
    assert actuators.CONVENTIONS == cv.CONVENTIONS


SCENE = {
    "hall": {"name": {"zh-CN": "厅", "en": "Hall"}, "floor": [[0, 0], [10, 0], [10, 8], [0, 8], [0, 0]], "wall_height": 3.5},
    "zones": [{"id": "z1", "name": {"zh-CN": "区", "en": "Zone"}, "polygon": [[0, 0], [10, 0], [10, 8], [0, 8], [0, 0]]}],
    "sensors": [{"id": "S1", "zone": "z1", "position": [1, 1, 1.5], "quantities": ["relative_humidity"],
                 "topic": "t/S1"}],
    "relics": [],
}


def test_scene_actuators_parse_and_every_error_is_reported(tmp_path: Path):
    ok = {**SCENE, "actuators": [
        {"id": "dh1", "kind": "dehumidifier", "name": {"zh-CN": "除湿机", "en": "Dehumidifier"}, "zone": "z1",
         "position": [5, 4], "convention": "zigbee2mqtt", "topic": "zigbee2mqtt/plug_dh1", "capacity_g_h": 500,
         "power_w": 320, "policy": "auto"}]}
    scene = parse_scene(ok, tmp_path / "scene.toml")
    (a,) = scene.actuators
    assert (a.id, a.kind, a.space, a.policy, a.safe_state, a.echo_timeout_s) == (
        "dh1", "dehumidifier", "z1", "auto", "off", actuators.DEFAULT_ECHO_TIMEOUT_S)
    assert [d.capacity_g_h for d in actuators.devices_for(scene.actuators)] == [500.0]
    bad = {**SCENE, "actuators": [
        {"id": "x", "kind": "fogger", "name": {"en": "no zh"}, "zone": "nowhere", "position": [50, 4],
         "convention": "x10", "topic": "a/#", "policy": "yolo", "safe_state": "maybe", "power_w": -1, "colour": 1}]}
    with pytest.raises(SceneError) as err:
        parse_scene(bad, tmp_path / "scene.toml")
    text = str(err.value)
    for key in ("kind", "name", "zone", "position", "convention", "topic", "policy", "safe_state", "power_w",
                "unknown: colour"):
        assert key in text, key
