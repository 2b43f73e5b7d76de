"""The virtual fleet and the live feed, without a broker: pure parts and a real websocket."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.readings import Reading
from bridge.sensors import decode
from bridge.sensors.fleet import FleetSettings, VirtualFleet, load_replay
from bridge.twin.live import FeedFilter, LiveFeed, TwinState
from simulation.quantities import QUANTITIES
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scene():
    return load_scene(ROOT / "scenes" / "demo_hall")


def test_replay_is_the_real_case_series():
    r = load_replay()
    assert len(r.t) == 8000
    assert r.temperature.min() == pytest.approx(19.0) and r.temperature.max() == pytest.approx(24.4)
    assert set(r.relative_humidity) <= {51.0, 52.0, 53.0, 54.0}
    assert r.period_s == pytest.approx((datetime(2021, 11, 12, 15, 51) - datetime(2021, 8, 21, 8, 6)).total_seconds())


def test_a_round_covers_every_sensor_and_quantity_in_range(scene):
    fleet = VirtualFleet(scene, lambda t, b: None, FleetSettings(start=T0), clock=lambda: T0)
    readings = fleet.readings_at(T0)
    expected = {(s.id, q) for s in scene.sensors for q in s.quantities}
    assert {(r.sensor, r.quantity) for r in readings} == expected  # lights on at noon: CCT too
    for r in readings:
        assert QUANTITIES[r.quantity].contains(r.value), r


def test_fleet_messages_decode_back_to_the_same_readings(scene):
    fleet = VirtualFleet(scene, lambda t, b: None, FleetSettings(start=T0), clock=lambda: T0)
    sent_readings = fleet.readings_at(T0)
    msgs = fleet.messages_of(sent_readings)
    assert len(msgs) == len(scene.sensors)
    fmt_of = {s.topic: s.format for s in scene.sensors}
    assert len(set(fmt_of.values())) >= 6  # the demo hall speaks six conventions
    got = []
    for topic, payload in msgs:
        d = decode(fmt_of[topic], topic, payload, T0 + timedelta(seconds=1))
        assert not d.rejections, d.rejections
        got.extend(d.readings)
    assert len(got) == sum(len(s.quantities) for s in scene.sensors)
    assert all(r.time == T0 for r in got if not r.sensor == "S05")  # Tasmota carries no zone: arrival time
    sent = {(r.sensor, r.quantity): r.value for r in sent_readings}
    for r in got:
        assert r.value == pytest.approx(sent[(r.sensor, r.quantity)], abs=0.06), r


@pytest.mark.parametrize("fmt", ["senml", "zigbee2mqtt", "tasmota", "shelly", "ttn"])
def test_fleet_format_override_topics_match_the_subscriptions(scene, fmt):
    from bridge.sensors import detect_format
    from bridge.sensors.fleet import topics_for

    fleet = VirtualFleet(scene, lambda t, b: None, FleetSettings(start=T0, format=fmt), clock=lambda: T0)
    topics = {t for t, _ in fleet.messages_at(T0)}
    expected = {t for s in scene.sensors for t in topics_for(fmt, s, scene.id)}
    assert topics == expected
    count = 0
    for topic, payload in fleet.messages_at(T0):
        d = decode(detect_format(topic), topic, payload, T0)
        assert not d.rejections, (topic, d.rejections)
        count += len(d.readings)
    assert count == sum(len(s.quantities) for s in scene.sensors)  # nothing lost in any convention


def test_scene_formats_are_the_decoders_formats():
    from bridge.sensors import FORMATS
    from simulation.scene import PAYLOAD_FORMATS

    assert set(PAYLOAD_FORMATS) == set(FORMATS)


def test_default_start_keeps_readings_in_the_past(scene):
    fleet = VirtualFleet(scene, lambda t, b: None, FleetSettings(speed=120), clock=lambda: T0)
    assert fleet.replay_time(T0 + timedelta(minutes=59)) < T0 + timedelta(minutes=59)


def test_twin_state_keeps_latest_and_marks_stale(scene):
    now = [T0]
    state = TwinState(scene, clock=lambda: now[0])
    deltas = []
    state.subscribe(deltas.append)
    state.update([Reading("S01", "temperature", T0, 20.0, "°C")])
    state.update([Reading("S01", "temperature", T0 - timedelta(minutes=1), 99.0, "°C")])  # older: ignored
    assert [r.value for r in state.latest()] == [20.0]
    assert len(deltas) == 1
    now[0] = T0 + timedelta(minutes=11)  # mains sensor: stale after 10 min
    snap = state.snapshot()
    assert snap["readings"][0]["stale"] is True
    state.update([Reading("S02", "temperature", T0, 20.0, "°C")])  # battery: fresh for 25 h
    assert {r["sensor"]: r["stale"] for r in state.snapshot()["readings"]} == {"S01": True, "S02": False}


def test_feed_filter_from_query():
    f = FeedFilter.from_path("/live?zone=bronze,painting&quantity=temperature")
    zone_of = {"S01": "bronze", "S05": "sculpture"}
    assert f.keep({"sensor": "S01", "quantity": "temperature"}, zone_of)
    assert not f.keep({"sensor": "S01", "quantity": "co2"}, zone_of)
    assert not f.keep({"sensor": "S05", "quantity": "temperature"}, zone_of)


def test_live_feed_sends_snapshot_then_ordered_deltas(scene):
    from websockets.asyncio.client import connect

    state = TwinState(scene, clock=lambda: T0)
    state.update([Reading("S01", "temperature", T0, 20.0, "°C")])
    feed = LiveFeed(state).start()
    try:
        async def client(path: str, n: int, t0: int = 0) -> list[dict]:
            async with connect(f"ws://127.0.0.1:{feed.port}{path}") as ws:
                out = [json.loads(await ws.recv())]
                for i in range(n):
                    state.update([Reading("S01", "temperature", T0 + timedelta(seconds=t0 + i + 1), 20.0 + i, "°C"),
                                  Reading("S05", "co2", T0 + timedelta(seconds=t0 + i + 1), 500.0 + i, "ppm")])
                for _ in range(n):
                    out.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                return out

        msgs = asyncio.run(client("/live", 50))
        assert msgs[0]["type"] == "snapshot" and msgs[0]["readings"][0]["value"] == 20.0
        values = [m["readings"][0]["value"] for m in msgs[1:]]
        assert values == [20.0 + i for i in range(50)]
        only_co2 = asyncio.run(client("/live?quantity=co2", 3, t0=1000))
        assert all(r["quantity"] == "co2" for m in only_co2[1:] for r in m["readings"])
    finally:
        feed.stop()
