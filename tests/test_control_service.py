"""The control loop inside the twin: readings -> observation -> decision -> MQTT, and the fail-safe."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bridge.config import BrokerAddress
from bridge.control.service import ControlService, alert_event, readout
from bridge.control.virtual_plugs import VirtualPlug
from bridge.readings import Reading
from bridge.store import Store
from simulation.paths import scenes_dir
from simulation.scene import load_scene

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SCENE = load_scene(scenes_dir() / "demo_hall")


def readings(rh: float, age_s: float = 0.0, quality: str = "ok") -> list[Reading]:
    t = NOW - timedelta(seconds=age_s)
    out = []
    for s in SCENE.sensors:
        if "relative_humidity" in s.quantities:
            out += [Reading(s.id, "temperature", t, 20.0, "°C", quality),
                    Reading(s.id, "relative_humidity", t, rh + (3.0 if s.case else 0.0), "%RH", quality)]
    return out


def test_readout_uses_fresh_unflagged_open_hall_sensors():
    fresh = lambda r: False  # noqa: E731
    ro = readout(SCENE, ["silk_painting", "lion"], readings(57.0), fresh, None)
    obs = ro.observation
    assert obs is not None and obs.rh == 57.0 and obs.t == 20.0
    assert list(obs.relic_rh) == [60.0, 57.0]  # the silk painting reads its case's sensor, the lion its zone's
    assert np.isnan(obs.t_out)
    assert readout(SCENE, [], readings(57.0, quality="stuck"), fresh, None).observation is None
    stale = readout(SCENE, [], readings(57.0), lambda r: True, None)
    assert stale.observation is None and "open hall" in stale.reason


def test_service_commands_auto_machines_and_fails_safe_when_sensors_go_stale(mosquitto_broker, tmp_path):
    store = Store.open(data_dir=tmp_path)
    address = BrokerAddress(host=mosquitto_broker.host, port=mosquitto_broker.port)
    plug = VirtualPlug("zigbee2mqtt", "zigbee2mqtt/plug_dh1", address.host, address.port)
    raised: list = []
    latest = {"r": readings(59.5)}
    svc = ControlService(SCENE, lambda: latest["r"], lambda r: (NOW - r.time).total_seconds() > 1800, address,
                         store, tmp_path, lambda: NOW, alert=raised.append, client_id="test-control")
    try:
        assert "humidistat" in svc.why  # no outdoor sensor: the humidistat runs
        svc.runtime.policies["dh1"] = "auto"
        assert [o["actuator"] for o in svc.step()] == ["dh1"]
        deadline = time.monotonic() + 5
        while svc.runtime.pending and time.monotonic() < deadline:
            time.sleep(0.02)
        assert plug.on and svc.runtime.status()[0]["state"] == {"on": True}
        latest["r"] = readings(59.5, age_s=3600)  # every sensor an hour old
        out = svc.step()
        assert [(o["actuator"], o["on"], o["why"]["rules"]) for o in out] == [("dh1", False, ["stale_sensor"])]
        deadline = time.monotonic() + 5  # the plug hears it when it hears it: wait for it, not a fixed time
        while plug.on and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not plug.on
        assert sorted((a["code"], a["subject"]) for a in raised) == [("stale_sensor", "lacquer"),
                                                                       ("stale_sensor", "painting")]
        event = alert_event(raised[0])
        assert event["id"] == f"control:stale_sensor:{raised[0]['subject']}" and event["target"]["kind"] == "zone"
        assert event["message"]["zh-CN"] and event["advice"]["en"]
    finally:
        svc.stop()
        plug.close()
        store.close()
