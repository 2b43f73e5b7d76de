"""Interlocks of the air conditioner, lights and blinds on a real Mosquitto: their declared safe
state when the sensors cannot be trusted (with an alert), and a manual override of set point,
mode or level for a set time, asserted on the MQTT commands the devices receive."""

from __future__ import annotations

import threading
import time
import uuid

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from bridge.control.audit import AuditLog
from bridge.control.runtime import ControlRuntime, OverrideError, connect
from bridge.store import Store
from simulation.actuators import Actuator, devices_for
from simulation.control import humidistat
from simulation.control.controller import Humidistat


def actuator(aid: str, kind: str, convention: str, topic: str, **kw) -> Actuator:
    return Actuator(id=aid, kind=kind, name={"zh-CN": aid, "en": aid}, zone="z1", position=np.zeros(3),
                    convention=convention, topic=topic, policy="auto", **kw)


ACTS = (actuator("dh1", "dehumidifier", "zigbee2mqtt", "zigbee2mqtt/plug_dh1", capacity_g_h=500.0, power_w=320.0),
        actuator("ac1", "air_conditioner", "ha", "climate/ac1"),
        actuator("lamp", "light", "zigbee2mqtt", "z/lamp"),
        actuator("blind1", "blind", "native", "blind1"),
        actuator("spot", "light", "tasmota", "spot", safe_state="on"))  # a light whose safe state is on (staff safety)
COMMAND_TOPICS = ("zigbee2mqtt/plug_dh1/set", "climate/ac1/#", "z/lamp/set", "blind1/set", "cmnd/spot/#")


class Devices:
    """The devices' side of the broker: records every command; publishes their state."""

    def __init__(self, host: str, port: int):
        self.heard: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"devices-{uuid.uuid4().hex[:8]}")
        ready = threading.Event()

        def on_connect(c, userdata, flags, reason_code, properties):  # noqa: ANN001
            for t in COMMAND_TOPICS:
                c.subscribe(t, qos=1)
            ready.set()

        self.client.on_connect = on_connect
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        assert ready.wait(10.0)

    def _on_message(self, c, u, m) -> None:  # noqa: ANN001
        if m.topic.endswith("/state"):
            return  # the AC's own state topics are under climate/ac1/#
        with self._lock:
            self.heard.append((m.topic, bytes(m.payload)))

    def take(self, n: int, timeout: float = 30.0) -> list[tuple[str, bytes]]:
        """The next ``n`` commands heard (sorted), then nothing else for a moment."""
        deadline = time.monotonic() + timeout
        while len(self.heard) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        with self._lock:
            out, self.heard = sorted(self.heard), []
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_ac_lights_and_blinds_go_safe_and_take_timed_overrides(mosquitto_broker, tmp_path):
    host, port = mosquitto_broker.host, mosquitto_broker.port
    clock = {"t": 1.8e9}
    raised: list = []
    with Store.open(data_dir=tmp_path) as store:
        rt = ControlRuntime("h", ACTS, Humidistat(devices_for(ACTS), humidistat.Setpoints.for_band(50, 60)),
                            lambda t, p: None, AuditLog(store, "h"), alert=raised.append, clock=lambda: clock["t"])
        devices = Devices(host, port)
        client = connect(rt, host, port, f"control-{uuid.uuid4().hex[:8]}")
        try:
            # the machines as people left them: dehumidifier on, AC cooling to 24 °C, lamp at 60 %, blind open
            for topic, payload in (("zigbee2mqtt/plug_dh1", b'{"state":"ON"}'), ("climate/ac1/mode/state", b"cool"),
                                   ("climate/ac1/temperature/state", b"24.0"),
                                   ("z/lamp", b'{"state":"ON","brightness":152}'), ("blind1/state", b'{"level":1.0}'),
                                   ("stat/spot/RESULT", b'{"POWER":"ON","Dimmer":20}')):
                devices.client.publish(topic, payload, qos=1, retain=True)  # retained: whenever control subscribes
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(rt.reported.values()):
                time.sleep(0.02)
            assert rt.reported["ac1"] == {"mode": "cool", "setpoint": 24.0} and rt.reported["lamp"]["level"] == pytest.approx(0.6, abs=0.01)

            out = rt.fail_safe("no fresh, unflagged T/RH sensor in the open hall")
            assert sorted((o["actuator"], o["why"]["rules"][0]) for o in out) == [
                ("ac1", "stale_sensor"), ("blind1", "stale_sensor"), ("dh1", "stale_sensor"), ("lamp", "stale_sensor"),
                ("spot", "stale_sensor")]
            assert devices.take(5) == [("blind1/set", b'{"level":0.0}'), ("climate/ac1/mode/set", b"off"),
                                       ("cmnd/spot/Dimmer", b"100"), ("z/lamp/set", b'{"brightness":0}'),
                                       ("zigbee2mqtt/plug_dh1/set", b'{"state":"OFF"}')]
            assert [(a["code"], a["subject"]) for a in raised] == [("stale_sensor", "z1")]
            assert rt.fail_safe("still stale") == []  # sent and not yet echoed: not sent again
            assert devices.take(0) == []

            # a manual override for 30 min: the AC's mode and set point, the lamp's level
            rt.set_override("ac1", {"mode": "cool", "setpoint": 23.5}, 30, "li")
            rt.set_override("lamp", {"level": 0.4}, 30, "li")
            assert devices.take(3) == [("climate/ac1/mode/set", b"cool"), ("climate/ac1/temperature/set", b"23.5"),
                                       ("z/lamp/set", b'{"brightness":102}')]
            status = {s["id"]: s for s in rt.status()}
            assert status["ac1"]["override"]["mode"] == "cool" and status["ac1"]["override"]["setpoint"] == 23.5
            assert status["lamp"]["override"]["level"] == 0.4 and status["blind1"]["override"] is None
            for aid in ("ac1", "lamp"):  # the overridden machines are left alone by the fail-safe...
                rt.pending.pop(aid, None)
                rt._sent.pop(aid, None)
            clock["t"] += 29 * 60
            assert rt.fail_safe("stale") == [] and devices.take(0) == []
            clock["t"] += 2 * 60  # ...until the override expires
            assert sorted(o["actuator"] for o in rt.fail_safe("stale")) == ["ac1", "lamp"]
            assert devices.take(2) == [("climate/ac1/mode/set", b"off"), ("z/lamp/set", b'{"brightness":0}')]
            assert [e["after"] for e in rt.audit.entries("ac1", "override")] == [{"mode": "cool", "setpoint": 23.5}]

            # what a machine cannot take is refused in both languages
            for aid, cmd in (("lamp", {"on": True}), ("ac1", {"level": 0.3}), ("dh1", {"level": 0.5}),
                             ("blind1", {}), ("ac1", {"mode": "warp"})):
                with pytest.raises(OverrideError) as err:
                    rt.set_override(aid, cmd, 10, "li")
                assert err.value.message["zh-CN"] and err.value.message["en"]
            assert devices.take(0) == []
        finally:
            client.loop_stop()
            client.disconnect()
            devices.close()
