"""The demo's virtual hall answers back: its machines are virtual plugs on a real broker, its T/RH
come from the 2-D climate model they drive; in ``relic-twin demo`` the twin recommends the
dehumidifier as RH climbs, one click applies it, and the hall's RH bends back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from bridge.config import Settings
from bridge.control.virtual_hall import VirtualHall
from bridge.control.weather import outdoor
from bridge.sensors.fleet import FleetSettings
from bridge.twin.runtime import start_twin
from simulation.paths import scenes_dir
from simulation.scene import load_scene

SCENE = load_scene(scenes_dir() / "demo_hall")
OPEN = next(s for s in SCENE.sensors if s.case is None and "relative_humidity" in s.quantities)


def _until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_the_plant_follows_the_plugs_the_broker_switches(mosquitto_broker) -> None:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    hall = VirtualHall(SCENE, mosquitto_broker.host, mosquitto_broker.port, outdoor(None, t0.timestamp()))
    sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sender.connect(mosquitto_broker.host, mosquitto_broker.port)
    sender.loop_start()
    try:
        rh = [hall.air(OPEN, t0 + timedelta(hours=h))[1] for h in range(7)]
        assert rh[0] == pytest.approx(57.0, abs=0.1) and rh[6] > rh[0] + 4.0  # damp weather: RH climbs
        sender.publish("zigbee2mqtt/plug_dh1/set", b'{"state":"ON"}', qos=1).wait_for_publish(5)
        assert _until(lambda: hall.plugs["dh1"].on, 5.0)
        after = [hall.air(OPEN, t0 + timedelta(hours=h))[1] for h in range(7, 13)]
        assert after[-1] < rh[6] - 4.0 and all(b < a for a, b in zip([rh[6], *after], after, strict=False))
        case = next(s for s in SCENE.sensors if s.case is not None)
        assert 50.0 < hall.air(case, t0 + timedelta(hours=12))[1] < 62.0  # the case air lags, buffered
    finally:
        sender.loop_stop()
        sender.disconnect()
        hall.close()


def test_demo_recommends_the_dehumidifier_and_one_click_bends_the_rh_back(mosquitto_broker, tmp_path: Path) -> None:
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'twin.sqlite'}", data_dir=tmp_path)
    fleet = FleetSettings(speed=1800.0, interval_s=0.5, plant=True)  # a round every 15 min of the hall's time
    rt = start_twin(SCENE, settings, fleet=fleet, feed_port=0, on_status=lambda s: None)
    try:
        assert rt.virtual_hall is not None and rt.control.policies["dh1"] == "advise"

        def rh_now() -> float:
            got = [r.value for r in rt.state.latest() if r.sensor == OPEN.id and r.quantity == "relative_humidity"]
            return got[0] if got else float("nan")

        assert _until(lambda: "dh1" in rt.control.recommendations, 60.0), rt.control.status()
        rec = rt.control.recommendations["dh1"]
        assert rec.command == {"on": True} and rec.why["source"] == "mpc"  # the twin, with the weather
        assert not rt.virtual_hall.plugs["dh1"].on  # advise: nothing runs until someone applies it
        at_click = rh_now()
        assert rt.control.apply_recommendation("dh1", "staff")
        assert _until(lambda: rt.virtual_hall.plugs["dh1"].on, 10.0)
        assert _until(lambda: rh_now() < at_click - 1.5, 60.0), (at_click, rh_now())
        stored = rt.store.count_readings(OPEN.id, "relative_humidity")
        assert stored > 10
    finally:
        rt.stop()
