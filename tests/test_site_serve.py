"""A site of several halls in one service: identical sensor ids in two halls never mix; one ingest,
one alert service with roll-up to the site, one API and feed with a hall filter."""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from fixtures_api import FAST, PASSWORD, SECRET

from bridge.config import ConfigError, Settings
from bridge.site.model import load_site
from bridge.site.runtime import start_site
from bridge.twin.live import FeedFilter
from simulation.paths import scenes_dir
from simulation.ranking import rank, time_in_range


def make_site(root: Path, halls: tuple[str, ...] = ("hall_a", "hall_b"), toml: bool = False) -> Path:
    """A site folder of copies of the demo hall, each with its own hall id, so every hall has S01..S12.

    The first keeps the demo's vendor topics (zigbee2mqtt/S02 ...); the others publish every sensor
    natively (a vendor topic can belong to one hall only)."""
    root.mkdir(parents=True, exist_ok=True)
    src = (scenes_dir() / "demo_hall" / "scene.toml").read_text(encoding="utf-8")
    for i, hall in enumerate(halls):
        (root / hall).mkdir()
        text = src.replace('id = "demo_hall"', f'id = "{hall}"', 1).replace("relic-twin/demo_hall/", f"relic-twin/{hall}/")
        if i:
            text = re.sub(r'id = "(S\d+)"(.*?)topic = "[^"]*"\nformat = "[^"]*"',
                          lambda m, h=hall: f'id = "{m[1]}"{m[2]}topic = "relic-twin/{h}/{m[1]}"\nformat = "native"',
                          text, flags=re.S)
        (root / hall / "scene.toml").write_text(text, encoding="utf-8")
        shutil.copytree(scenes_dir() / "demo_hall" / "scenarios", root / hall / "scenarios")
    if toml:
        (root / "site.toml").write_text(
            '[site]\nid = "county"\nname = { "zh-CN" = "县博物馆", en = "County museum" }\n'
            + "".join(f'[[halls]]\nscene = "{h}"\n' + ('kind = "storeroom"\n' if i else "")
                      for i, h in enumerate(halls)), encoding="utf-8")
    return root


def test_a_site_is_a_folder_of_scenes_or_a_site_toml(tmp_path: Path) -> None:
    site = load_site(make_site(tmp_path / "museum"))
    assert site.id == "museum" and site.hall_ids == ["hall_a", "hall_b"]
    site = load_site(make_site(tmp_path / "m2", toml=True) / "site.toml")
    assert (site.id, site.name["zh-CN"]) == ("county", "县博物馆")
    assert [h.kind for h in site.halls] == ["hall", "storeroom"]
    (tmp_path / "m2" / "site.toml").write_text('[site]\nid = "x"\n[[halls]]\nscene = "hall_a"\n[[halls]]\n'
                                               'scene = "hall_a"\n')
    with pytest.raises(ConfigError, match="two halls with id 'hall_a'"):
        load_site(tmp_path / "m2")
    scene_b = tmp_path / "m2" / "hall_b" / "scene.toml"
    scene_b.write_text(scene_b.read_text().replace("relic-twin/hall_b/S01", "relic-twin/hall_a/S01"))
    (tmp_path / "m2" / "site.toml").unlink()
    with pytest.raises(ConfigError, match="relic-twin/hall_a/S01.*hall_a and hall_b"):
        load_site(tmp_path / "m2")
    with pytest.raises(ConfigError, match="no site at"):
        load_site(tmp_path / "nowhere")


def test_time_in_range_and_ranking() -> None:
    assert time_in_range([40, 50, 60, float("nan"), 70], 45, 65) == 0.5
    assert time_in_range([1, 2], None, None) == 1.0
    rows = [{"hall": "a", "tier": "yellow", "open_alerts": 1, "time_in_range": 0.9},
            {"hall": "b", "tier": "red", "open_alerts": 1, "time_in_range": 0.95},
            {"hall": "c", "tier": "yellow", "open_alerts": 3, "time_in_range": None},
            {"hall": "d", "tier": "green", "open_alerts": 0, "time_in_range": 0.5}]
    assert [r["hall"] for r in rank(rows, "risk")] == ["b", "c", "a", "d"]
    assert [r["hall"] for r in rank(rows, "time_in_range")] == ["d", "a", "b", "c"]


def _publish(host: str, port: int, msgs: list[tuple[str, bytes]]) -> None:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.connect(host, port)
    c.loop_start()
    infos = [c.publish(t, p, qos=1) for t, p in msgs]
    for i in infos:
        i.wait_for_publish(10)
    c.loop_stop()
    c.disconnect()


def _until(check, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_serve_site_runs_every_hall_in_one_process(mosquitto_broker, tmp_path: Path) -> None:
    from bridge.api import ApiSettings, create_app
    from bridge.api.auth import hash_password
    from bridge.api.server import ThreadedServer
    from bridge.store import service_queries as q

    site = load_site(make_site(tmp_path / "museum"))
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'site.sqlite'}", data_dir=tmp_path)
    t0 = datetime.now(UTC).replace(microsecond=0)
    clock = [t0]
    rt = start_site(site, settings, clock=lambda: clock[0], alert_tick_s=3600, on_status=lambda s: None)
    deltas: list[dict] = []
    rt.state.subscribe(deltas.append)
    try:
        # the same sensor ids in both halls
        msgs = []
        for step in range(3):  # 900 lx on hall_a's silk painting for ten minutes: a red alert there only
            t = (t0 + timedelta(minutes=5 * step)).isoformat()
            msgs += [("relic-twin/hall_a/S01", json.dumps({"time": t, "temperature": 21.0}).encode()),
                     ("relic-twin/hall_b/S01", json.dumps({"time": t, "temperature": 25.0}).encode()),
                     ("relic-twin/hall_a/S04", json.dumps({"time": t, "illuminance": 900.0}).encode()),
                     ("relic-twin/hall_b/S04", json.dumps({"time": t, "illuminance": 20.0}).encode())]
        for i in range(0, len(msgs), 4):
            clock[0] = t0 + timedelta(minutes=5 * (i // 4))
            _publish(mosquitto_broker.host, mosquitto_broker.port, msgs[i:i + 4])
            assert _until(lambda n=i + 4: rt.store.count_readings() == n)
        assert rt.store.count_readings("S01", hall="hall_a") == rt.store.count_readings("S01", hall="hall_b") == 3
        assert {(r.hall, r.value) for r in rt.state.latest() if r.sensor == "S01"} == {("hall_a", 21.0),
                                                                                        ("hall_b", 25.0)}
        assert _until(lambda: any(a["hall"] == "hall_a" and a["target"]["id"] == "silk_painting"
                                  for a in rt.alerts.active()))
        assert not any(a["hall"] == "hall_b" and a["target"]["id"] == "silk_painting" for a in rt.alerts.active())
        roll = rt.alerts.rollup()
        assert roll["site"] == "red" and roll["halls"]["hall_a"]["tier"] == "red"
        assert roll["halls"]["hall_a"]["targets"]["relic:silk_painting"] == "red"
        assert roll["halls"]["hall_b"]["targets"].get("relic:silk_painting") is None
        # the feed: readings and alerts name their hall; ?hall= narrows it
        flt = FeedFilter.from_path("/live?hall=hall_b&zone=" + next(s.zone for s in site.halls[0].scene.sensors
                                                                       if s.id == "S01"))
        snap = rt.state.snapshot()
        assert sorted(snap["halls"]) == ["hall_a", "hall_b"]
        kept = [r for r in snap["readings"] if flt.keep(r, rt.state.zone_of)]
        assert kept and {r["hall"] for r in kept} == {"hall_b"}
        assert all(a["id"].startswith(a["hall"] + ":") for a in snap["alerts"])

        app = create_app(rt, ApiSettings(data_dir=tmp_path / "api", secret=SECRET, password_hasher=FAST))
        q.add_user(rt.store, "guard", "staff", hash_password(PASSWORD, FAST))
        with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
            token = c.post("/api/auth/token", json={"username": "guard", "password": PASSWORD}).json()["access_token"]
            c.headers["Authorization"] = f"Bearer {token}"
            span = {"start": (t0 - timedelta(hours=1)).isoformat(), "end": (t0 + timedelta(hours=1)).isoformat()}
            a = c.get("/api/history", params={"hall": "hall_a", "sensor": "S01", "quantity": "temperature", **span})
            b = c.get("/api/history", params={"hall": "hall_b", "sensor": "S01", "quantity": "temperature", **span})
            assert [p["value"] for p in a.json()["series"][0]["points"]] == [21.0] * 3
            assert [p["value"] for p in b.json()["series"][0]["points"]] == [25.0] * 3
            none = c.get("/api/history", params={"sensor": "S01", **span})
            assert none.status_code == 422 and "hall_a, hall_b" in none.json()["error"]["message"]["en"]
            assert c.get("/api/latest", params={"hall": "hall_x"}).status_code == 404
            assert {r["hall"] for r in c.get("/api/latest", params={"hall": "hall_b"}).json()} == {"hall_b"}
            assert c.get("/api/health").json()["halls"] == ["hall_a", "hall_b"]
            alerts_a = c.get("/api/alerts", params={"open_only": True, "hall": "hall_a"}).json()
            assert any(x["target"]["id"] == "silk_painting" for x in alerts_a)
            assert all(x["hall"] == "hall_a" for x in alerts_a)
            ov = c.get("/api/site", params={"by": "risk"}).json()
            assert ov["tier"] == "red" and [h["hall"] for h in ov["halls"]] == ["hall_a", "hall_b"]
            assert ov["halls"][0]["worst_relic"]["id"] == "silk_painting"
            assert ov["halls"][0]["sensors_offline"] == 10  # S01 and S04 reported, the ten others not
            assert ov["live"]["halls"]["hall_a"]["tier"] == "red"
            key = next(x["id"] for x in rt.alerts.active() if x["target"]["id"] == "silk_painting")
            assert c.post(f"/api/alerts/live/{key}/ack", json={"note": "lights off"}).status_code == 201
            assert any(x["acknowledged"] for x in rt.alerts.active() if x["id"] == key)
    finally:
        rt.stop()
