"""Unknown devices are keyed by their place (site, hall, sensor): hall_a's S77 and hall_b's S77, or
two museums' on a hub, are two rows, listed and adopted apart (migration 0011, tested on a copy of a
populated database on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fixtures_api import FAST, PASSWORD, SECRET
from sqlalchemy import text
from test_site_serve import _publish, _until, make_site
from test_sites_store import _copy, _drop_copy

from bridge.store import Store
from bridge.store import schema as store_schema
from bridge.store import service_queries as q
from bridge.store.epoch import to_us
from bridge.store.store import make_engine

T0 = datetime(2026, 2, 1, tzinfo=UTC)

#: (sensor, last topic, messages, adopted zone) as revision 0010 kept them: one row per sensor
OLD_ROWS = [("S77", "relic-twin/hall_a/S77", 4, None), ("S78", "zigbee2mqtt/S78", 2, None),
            ("S79", "relic-hub/museum_b/relic-twin/hall_c/S79", 7, None), ("S80", "relic-twin/hall_b/S80", 1, "bronze")]


def _populate_0010(url: str) -> None:
    engine = make_engine(url)
    store_schema.upgrade(engine, "0010")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO unknown_device (sensor, topic, first_seen_us, last_seen_us, messages, "
                          "adopted_zone, adopted_by, adopted_at_us) VALUES (:s, :t, :f, :l, :n, :z, :b, :a)"),
                     [{"s": s, "t": t, "f": to_us(T0), "l": to_us(T0) + i, "n": n, "z": z, "b": "cu" if z else "",
                       "a": to_us(T0) if z else None} for i, (s, t, n, z) in enumerate(OLD_ROWS)])
    engine.dispose()


def test_migration_places_every_unknown_device_by_its_topic(database_url: str, tmp_path: Path) -> None:
    _populate_0010(database_url)
    copy = _copy(database_url, tmp_path)
    try:
        with Store.open(url=copy, hall="gallery_1") as store:
            assert store_schema.current_revision(store.engine) == store_schema.head_revision()
            rows = q.list_unknown_devices(store, include_adopted=True, site=None)
            got = sorted((r.site, r.hall, r.sensor, r.messages, r.adopted_zone, r.topic) for r in rows)
            assert got == [("", "gallery_1", "S78", 2, None, "zigbee2mqtt/S78"),  # no hall in it: the legacy hall
                           ("", "hall_a", "S77", 4, None, "relic-twin/hall_a/S77"),
                           ("", "hall_b", "S80", 1, "bronze", "relic-twin/hall_b/S80"),
                           ("museum_b", "hall_c", "S79", 7, None, "relic-hub/museum_b/relic-twin/hall_c/S79")]
            assert q.adopted_devices(store) == {("hall_b", "S80"): "bronze"}
            # the same sensor id heard in another hall is a row of its own, not more messages of the old one
            q.note_unknown_devices(store, {("", "hall_b", "S77"): ("relic-twin/hall_b/S77", T0, 3),
                                           ("", "hall_a", "S77"): ("relic-twin/hall_a/S77", T0, 1)})
            mine = {(r.hall, r.messages) for r in q.list_unknown_devices(store) if r.sensor == "S77"}
            assert mine == {("hall_a", 5), ("hall_b", 3)}
            assert [r.sensor for r in q.list_unknown_devices(store, hall="hall_b")] == ["S77"]
            assert [r.sensor for r in q.list_unknown_devices(store, site="museum_b")] == ["S79"]
            assert q.adopt_device(store, "S77", "z", "cu", hall="hall_c") is None  # not heard there
            assert q.adopt_device(store, "S77", "z", "cu", hall="hall_b") is not None
            assert {(r.hall, r.adopted_zone) for r in q.list_unknown_devices(store, include_adopted=True)
                    if r.sensor == "S77"} == {("hall_a", None), ("hall_b", "z")}
        original = make_engine(database_url)
        assert store_schema.current_revision(original) == "0010"  # the copy was migrated, not the original
        original.dispose()
    finally:
        _drop_copy(copy)


def test_serve_site_lists_and_adopts_the_same_sensor_id_per_hall(mosquitto_broker, tmp_path: Path) -> None:
    from bridge.api import ApiSettings, create_app
    from bridge.api.auth import hash_password
    from bridge.api.server import ThreadedServer
    from bridge.config import Settings
    from bridge.site.model import load_site
    from bridge.site.runtime import start_site

    site = load_site(make_site(tmp_path / "museum"))
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'site.sqlite'}", data_dir=tmp_path)
    rt = start_site(site, settings, alert_tick_s=3600, on_status=lambda s: None)
    host, port = mosquitto_broker.host, mosquitto_broker.port
    now = datetime.now(UTC).replace(microsecond=0)

    def msgs(hall: str, n: int, start: int) -> list[tuple[str, bytes]]:
        return [(f"relic-twin/{hall}/S77", json.dumps({"time": (now + timedelta(seconds=start + i)).isoformat(),
                                                        "temperature": 20.0 + i}).encode()) for i in range(n)]

    try:
        app = create_app(rt, ApiSettings(data_dir=tmp_path / "api", secret=SECRET, password_hasher=FAST))
        q.add_user(rt.store, "cur", "curator", hash_password(PASSWORD, FAST))
        _publish(host, port, msgs("hall_a", 2, 0) + msgs("hall_b", 3, 0))
        assert _until(lambda: len(q.list_unknown_devices(rt.store)) == 2
                      and sum(d.messages for d in q.list_unknown_devices(rt.store)) == 5)
        with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
            token = c.post("/api/auth/token", json={"username": "cur", "password": PASSWORD}).json()["access_token"]
            c.headers["Authorization"] = f"Bearer {token}"
            listed = c.get("/api/devices/unknown").json()
            assert sorted((d["hall"], d["sensor"], d["messages"]) for d in listed) == [("hall_a", "S77", 2),
                                                                                       ("hall_b", "S77", 3)]
            assert [d["messages"] for d in c.get("/api/devices/unknown", params={"hall": "hall_b"}).json()] == [3]
            assert c.get("/api/devices/unknown", params={"hall": "hall_z"}).status_code == 404
            zone = site.halls[0].scene.zones[0].id
            r = c.post("/api/devices/unknown/S77/adopt", json={"zone": zone})  # which hall's S77?
            assert r.status_code == 422 and "hall" in r.json()["error"]["message"]["en"]
            r = c.post("/api/devices/unknown/S77/adopt", params={"hall": "hall_a"}, json={"zone": zone})
            assert r.status_code == 200 and (r.json()["hall"], r.json()["adopted_zone"]) == ("hall_a", zone)
            assert [(d["hall"], d["messages"]) for d in c.get("/api/devices/unknown").json()] == [("hall_b", 3)]
        # hall_a's S77 is stored from now on; hall_b's S77 still waits in quarantine
        _publish(host, port, msgs("hall_a", 1, 10) + msgs("hall_b", 1, 10))
        assert _until(lambda: rt.store.count_readings("S77", hall="hall_a") == 1
                      and sum(d.messages for d in q.list_unknown_devices(rt.store)) == 4)
        assert rt.store.count_readings("S77", hall="hall_b") == 0
        assert rt.store.count_quarantine() == 6  # 2 + 3 before adoption, hall_b's one after
    finally:
        rt.stop()
