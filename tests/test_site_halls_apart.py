"""Halls that share sensor ids stay apart where code once read by sensor alone: a hall report's
quarantine count, and the device identity checks of ``serve --site``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.readings import Rejection
from bridge.reports.gather import count_quarantined
from bridge.store import Store

T = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_a_halls_quarantine_count_takes_only_its_own_topics(tmp_path: Path) -> None:
    store = Store.open(url=f"sqlite:///{tmp_path / 'q.sqlite'}")
    try:
        sources = ["relic-twin/hall_a/S01", "relic-twin/hall_a/S01", "relic-hub/county/relic-twin/hall_a/S01",
                   "relic-twin/hall_b/S01", "relic-twin/hall_a/S010", "zigbee2mqtt/S01x", "file.csv:3"]
        store.write_batch([], [Rejection(s, b"{}", T, "bad | 坏") for s in sources])
        span = (T - timedelta(hours=1), T + timedelta(hours=1))
        assert count_quarantined(store, ("relic-twin/hall_a/S01",), *span) == 3
        assert count_quarantined(store, ("relic-twin/hall_b/S01",), *span) == 1
        assert count_quarantined(store, ("zigbee2mqtt/S01", "relic-twin/hall_c/S01"), *span) == 0
        assert count_quarantined(store, ("relic-twin/hall_a/S01",), T + timedelta(hours=2), T + timedelta(hours=3)) == 0
    finally:
        store.close()


class _Sensor:
    def __init__(self, sid: str, gateway_for: tuple[str, ...] = ()) -> None:
        self.id, self.gateway_for = sid, gateway_for


def test_each_hall_checks_devices_by_its_own_scene() -> None:
    from bridge.ingest.identity import DeviceIdentity, HallIdentities
    from bridge.readings import Decoded, Reading

    ident = HallIdentities({"hall_a": DeviceIdentity.from_scene([_Sensor("S01"), _Sensor("S09")]),
                            "hall_b": DeviceIdentity.from_scene([_Sensor("S01")])})

    def check(hall: str, sensor: str, device: str) -> Decoded:
        r = Reading(sensor, "temperature", T, 20.0, "°C", hall=hall)
        return ident.check(device, f"relic-twin/{hall}/{device}", b"{}", T, Decoded(readings=[r]))

    assert len(check("hall_a", "S09", "S09").readings) == 1
    b = check("hall_b", "S09", "S09")  # hall_a's S09 is no sensor of hall_b
    assert not b.readings and "unknown device 'S09'" in b.rejections[0].reason
    m = check("hall_b", "S01", "S05")  # on S05's topic, a reading naming S01
    assert not m.readings and "sensor does not match topic" in m.rejections[0].reason
    assert not check("hall_x", "S01", "S01").readings  # a hall the site does not hold
    assert set(ident.take_unknown()) == {("", "hall_b", "S09"), ("", "hall_x", "S01")} and ident.take_unknown() == {}
    ident.adopt("S09", ["hall_b"])
    assert len(check("hall_b", "S09", "S09").readings) == 1


def test_serve_site_quarantines_a_device_its_hall_does_not_know(mosquitto_broker, tmp_path: Path) -> None:
    import json

    from test_site_serve import _publish, _until, make_site

    from bridge.config import Settings
    from bridge.site.model import load_site
    from bridge.site.runtime import start_site
    from bridge.store import service_queries as q

    site = load_site(make_site(tmp_path / "museum"))
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'site.sqlite'}", data_dir=tmp_path)
    rt = start_site(site, settings, alert_tick_s=3600, on_status=lambda s: None)
    try:
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        _publish(mosquitto_broker.host, mosquitto_broker.port, [
            ("relic-twin/hall_b/S01", json.dumps({"time": now, "temperature": 21.0}).encode()),
            ("relic-twin/hall_b/S77", json.dumps({"time": now, "temperature": 22.0}).encode()),
            ("relic-twin/hall_a/S01", json.dumps({"time": now, "sensor": "S03", "temperature": 23.0}).encode())])
        assert _until(lambda: rt.store.count_quarantine() == 2)
        assert rt.store.count_readings() == 1
        reasons = sorted(r.reason.split(" | ")[0] for r in rt.store.quarantine())
        assert reasons[0].startswith("sensor does not match topic") and reasons[1].startswith("unknown device 'S77'")
        assert _until(lambda: [d.sensor for d in q.list_unknown_devices(rt.store)] == ["S77"])
        zone = site.halls[1].scene.zones[0].id
        q.adopt_device(rt.store, "S77", zone, "curator", hall="hall_b")
        rt.adopt_device("hall_b", "S77")
        later = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0).isoformat()
        _publish(mosquitto_broker.host, mosquitto_broker.port,
                 [("relic-twin/hall_b/S77", json.dumps({"time": later, "temperature": 22.5}).encode())])
        assert _until(lambda: rt.store.count_readings("S77", hall="hall_b") == 1)
    finally:
        rt.stop()
