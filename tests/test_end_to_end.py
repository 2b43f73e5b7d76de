"""Issue 2 end to end: a reading travels from MQTT to a coloured zone in a 3D frame.

A real Mosquitto (started by the test), the real ingest into SQLite, the real
websocket feed, and a real offscreen Panda3D frame fed from that feed.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from bridge.config import Settings
from bridge.readings import Reading
from bridge.sensors.fleet import VirtualFleet
from bridge.twin.runtime import start_twin
from simulation.paths import scenes_dir
from simulation.quantities import QUANTITIES
from simulation.scene import load_scene

ROOM = {"S01": 20.0, "S03": 20.0, "S05": 20.0, "S06": 20.0, "S08": 20.0, "S10": 20.0, "S11": 20.0, "S12": 20.0}
HOT, COLD = ("S01", 29.0), ("S12", 11.0)


def wait_until(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def twin(mosquitto_broker, tmp_path: Path):
    scene = load_scene(scenes_dir() / "demo_hall")
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'twin.sqlite'}", data_dir=tmp_path)
    rt = start_twin(scene, settings, on_status=lambda s: None)
    try:
        yield rt
    finally:
        rt.stop()


def publish_all(host: str, port: int, messages: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="e2e-publisher")
    client.connect(host, port)
    client.loop_start()
    infos = [client.publish(t, p, qos=1) for t, p in messages]
    for info in infos:
        info.wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def test_reading_reaches_database_feed_and_frame(twin, mosquitto_broker, engine_base):
    from websockets.asyncio.client import connect

    from twin_engine import colormap
    from twin_engine.monitor import MonitorScreen

    now = datetime.now(UTC).replace(microsecond=0)
    values = dict(ROOM, **dict([HOT, COLD]))
    # each sensor speaks its own convention (native, Zigbee2MQTT, Tasmota, TTN, SenML, Shelly)
    readings = [Reading(s, q, now, v if q == "temperature" else 50.0, QUANTITIES[q].unit)
                for s, v in values.items() for q in ("temperature", "relative_humidity")]
    messages = VirtualFleet(twin.scene, lambda t, b: None).messages_of(readings)
    assert len({twin.scene.sensor(s).format for s in values}) >= 3
    messages.append(("relic-twin/demo_hall/S01", b'{"temperature": "hot'))  # truncated: quarantined

    async def listen() -> list[dict]:
        async with connect(twin.feed.url) as ws:
            got = [json.loads(await ws.recv())]
            await asyncio.to_thread(publish_all, mosquitto_broker.host, mosquitto_broker.port, messages)
            while sum(len(m["readings"]) for m in got[1:]) < 2 * len(values):
                got.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
            return got

    feed_messages = asyncio.run(listen())

    # (a) the rows in the database, and the bad message in quarantine with a reason
    assert wait_until(lambda: twin.store.count_readings() == 2 * len(values))
    assert twin.store.count_readings(sensor="S01", quantity="temperature") == 1
    assert [r.value for r in twin.store.latest(["S01"]) if r.quantity == "temperature"] == [29.0]
    quarantined = twin.store.quarantine()
    assert len(quarantined) == 1 and "json" in quarantined[0].reason.lower()

    # (b) the websocket: a snapshot first, then deltas carrying the hot reading
    assert feed_messages[0]["type"] == "snapshot"
    deltas = [r for m in feed_messages[1:] for r in m["readings"]]
    assert {"sensor": "S01", "quantity": "temperature", "value": 29.0, "stale": False}.items() <= next(
        r for r in deltas if r["sensor"] == "S01" and r["quantity"] == "temperature").items()

    # (c) an offscreen frame built from the feed: warm near S01, cool near S12
    screen = MonitorScreen(engine_base, twin.scene, lang="en")
    screen.enter()
    try:
        screen.act("view_overview")
        screen.rig.snap()
        screen.apply_snapshot(feed_messages[0])
        for m in feed_messages[1:]:
            screen.apply_delta(m)
        image = screen.screenshot()

        def colour_at(point: tuple[float, float, float]) -> np.ndarray:
            film = screen.project(point)
            assert film is not None
            w, h = image.getXSize(), image.getYSize()
            px, py = int((film[0] + 1) / 2 * w), int((1 - film[1]) / 2 * h)
            return np.mean([image.getXel(x, y) for x in range(px - 1, px + 2) for y in range(py - 1, py + 2)], axis=0)

        hot = colour_at((2.5, 7.0, 0.0))
        cold = colour_at((9.5, 1.0, 0.0))
        hot_c, cold_c = np.array(colormap.colour("temperature", 29.0)), np.array(colormap.colour("temperature", 11.0))
        assert np.linalg.norm(hot - hot_c) < 0.15, (hot, hot_c)
        assert np.linalg.norm(cold - cold_c) < 0.15, (cold, cold_c)
        assert hot[0] > hot[2] + 0.3 and cold[2] > cold[0] + 0.3
    finally:
        screen.exit()


def test_an_alert_is_stored_retained_acknowledged_through_the_api_and_fed(mosquitto_broker, tmp_path):
    """Too much light on the silk painting: stored, retained on MQTT, acknowledged in the API, seen on the feed."""
    scene = load_scene(scenes_dir() / "demo_hall")
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'twin.sqlite'}", data_dir=tmp_path)
    t0 = datetime.now(UTC).replace(microsecond=0)
    clock = [t0]
    twin = start_twin(scene, settings, clock=lambda: clock[0], alert_tick_s=3600, on_status=lambda s: None)
    try:
        _alert_round_trip(twin, mosquitto_broker, tmp_path, clock)
    finally:
        twin.stop()


def _alert_round_trip(twin, mosquitto_broker, tmp_path, clock) -> None:  # noqa: C901
    import httpx
    from sqlmodel import select

    from bridge.api import ApiSettings, create_app
    from bridge.api.auth import hash_password
    from bridge.api.server import ThreadedServer
    from bridge.store import service_queries as q
    from bridge.store.models import Alert
    from tests.fixtures_api import FAST, PASSWORD, SECRET

    for step in range(3):  # 900 lx for ten minutes: past the minimum duration
        clock[0] += timedelta(minutes=5 * (step > 0))
        publish_all(mosquitto_broker.host, mosquitto_broker.port,
                    [("relic-twin/demo_hall/S04", json.dumps({"time": clock[0].isoformat(), "illuminance": 900.0}).encode())])
        assert wait_until(lambda n=step + 1: twin.store.count_readings() == n)

    def silk_alert() -> Alert | None:
        with twin.store.session() as s:
            return s.exec(select(Alert).where(Alert.target_id == "silk_painting")).first()

    assert wait_until(lambda: silk_alert() is not None)
    row = silk_alert()
    assert row.tier == "red" and row.cause.startswith("illuminance") and row.advice_zh and row.advice_en

    got: list[dict] = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    sub.connect(mosquitto_broker.host, mosquitto_broker.port)
    sub.subscribe("relic-twin/demo_hall/alerts/relic/silk_painting", qos=1)
    sub.loop_start()
    assert wait_until(lambda: bool(got), 10) and got[0]["tier"] == "red"  # retained: there before we came
    sub.loop_stop()
    sub.disconnect()

    app = create_app(twin, ApiSettings(data_dir=tmp_path / "api", secret=SECRET, password_hasher=FAST))
    q.add_user(twin.store, "guard", "staff", hash_password(PASSWORD, FAST))
    with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
        token = c.post("/api/auth/token", json={"username": "guard", "password": PASSWORD}).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        listed = [a for a in c.get("/api/alerts", params={"open_only": True}).json() if a["id"] == row.id]
        assert listed and listed[0]["target"] == {"kind": "relic", "id": "silk_painting"}
        assert c.post(f"/api/alerts/{row.id}/ack", json={"note": "lights off"}).status_code == 201
    live = {a["id"]: a for a in twin.state.snapshot()["alerts"]}
    assert live[row.key]["acknowledged"] and live[row.key]["acknowledged_by"] == "guard"
    assert [a.note for _, acks in q.list_alerts(twin.store) for a in acks if a.alert_id == row.id] == ["lights off"]
