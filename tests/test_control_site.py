"""``serve --site``: each hall with ``[[actuators]]`` runs its own control loop; the API picks the hall
(``?hall=``), its recommendations go out to that hall's plugs only, and the feed names the hall."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fixtures_api import FAST, PASSWORD, SECRET
from test_site_serve import _publish, _until, make_site

from bridge.config import Settings
from bridge.control.virtual_plugs import VirtualPlug
from bridge.site.model import load_site
from bridge.site.runtime import start_site


def test_serve_site_runs_control_per_hall(mosquitto_broker, tmp_path: Path) -> None:
    from bridge.api import ApiSettings, create_app
    from bridge.api.auth import hash_password
    from bridge.api.server import ThreadedServer
    from bridge.store import service_queries as q

    root = make_site(tmp_path / "museum")
    b = root / "hall_b" / "scene.toml"  # hall_b's machines have plugs of their own
    b.write_text(b.read_text(encoding="utf-8").replace('"zigbee2mqtt/plug_', '"zigbee2mqtt/b_plug_')
                 .replace('topic = "plug_', 'topic = "b_plug_'), encoding="utf-8")
    site = load_site(root)
    host, port = mosquitto_broker.host, mosquitto_broker.port
    settings = Settings(broker_url=f"mqtt://{host}:{port}", database_url=f"sqlite:///{tmp_path / 'site.sqlite'}",
                        data_dir=tmp_path)
    t0 = datetime.now(UTC).replace(microsecond=0)
    plug_a = VirtualPlug("zigbee2mqtt", "zigbee2mqtt/plug_dh1", host, port)
    plug_b = VirtualPlug("zigbee2mqtt", "zigbee2mqtt/b_plug_dh1", host, port)
    # the alert clock and the control loops tick hourly: the test steps the control itself (a loop's step
    # between the test's and the click would be a second step within the dehumidifier's minimum off time)
    rt = start_site(site, settings, clock=lambda: t0, alert_tick_s=3600, control_tick_s=3600, on_status=lambda s: None)
    try:
        assert sorted(rt.controls) == ["hall_a", "hall_b"]
        assert rt.controls["hall_a"].hall == "hall_a" and rt.controls["hall_a"].policies["dh1"] == "advise"
        # hall_a is damp (every T/RH sensor at 63 %RH), hall_b in its band
        sensors = [s.id for s in site.halls[0].scene.sensors if "relative_humidity" in s.quantities]
        msgs = [(f"relic-twin/{h}/{s}", json.dumps({"time": t0.isoformat(), "temperature": 20.0,
                                                     "relative_humidity": rh}).encode())
                for h, rh in (("hall_a", 63.0), ("hall_b", 52.0)) for s in sensors]
        _publish(host, port, msgs)
        assert _until(lambda: rt.store.count_readings() == 2 * 2 * len(sensors))
        # stored comes before the live state the control reads: wait for what the step will read
        assert _until(lambda: all(len(rt.states[h].latest()) == 2 * len(sensors) for h in ("hall_a", "hall_b")))
        for hall in ("hall_a", "hall_b"):  # a step now, the only one
            rt._controls[hall].step()
        assert set(rt.controls["hall_a"].recommendations) == {"dh1"} and not rt.controls["hall_b"].recommendations
        snap = rt.state.snapshot()
        dh = {c["hall"]: c for c in snap["control"] if c["id"] == "dh1"}
        assert dh["hall_a"]["recommendation"] == {"on": True} and dh["hall_b"]["recommendation"] is None

        app = create_app(rt, ApiSettings(data_dir=tmp_path / "api", secret=SECRET, password_hasher=FAST))
        q.add_user(rt.store, "guard", "staff", hash_password(PASSWORD, FAST))
        q.add_user(rt.store, "li", "curator", hash_password(PASSWORD, FAST))
        with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
            def sign_in(user: str) -> None:
                r = c.post("/api/auth/token", json={"username": user, "password": PASSWORD})
                c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

            sign_in("guard")
            several = c.get("/api/control")
            assert several.status_code == 422 and "hall_a, hall_b" in several.json()["error"]["message"]["en"]
            assert c.get("/api/control", params={"hall": "hall_x"}).status_code == 404
            assert c.get("/api/control", params={"hall": "hall_a"}).json()["hall"] == "hall_a"
            assert c.post("/api/control/dh1/apply", params={"hall": "hall_b"}).status_code == 409
            assert c.post("/api/control/dh1/apply", params={"hall": "hall_a"}).json()["applied"] is True
            assert _until(lambda: plug_a.on, 10.0) and not plug_b.on  # hall_a's plug only
            sign_in("li")
            trail = c.get("/api/control/audit", params={"hall": "hall_a", "actuator": "dh1"}).json()
            assert [e["kind"] for e in trail][:2] == ["recommendation", "command"] and trail[1]["who"] == "guard"
            assert c.get("/api/control/audit", params={"hall": "hall_b", "kind": "command"}).json() == []
    finally:
        rt.stop()
        plug_a.close()
        plug_b.close()
