"""The twin service's REST API and live feed, served by a real uvicorn over a real SQLite store.

What each endpoint answers (values, not only status codes), the limits (size, rate), errors as
bilingual JSON without stack traces, HTTPS with a real certificate, and the websocket feed's
snapshot, deltas, filters and refusals. The role matrix is in test_api_roles.py.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import shutil
import ssl
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import websockets

from bridge.api import ApiSettings
from bridge.api.server import ThreadedServer
from bridge.readings import Reading
from tests.fixtures_api import FAST, SECRET, T0, Api, build, serve

DAY = {"start": T0.isoformat(), "end": (T0 + timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Api:
    yield from serve(tmp_path_factory.mktemp("api"))


def test_history_downsamples_into_min_mean_max_buckets(api: Api):
    with api.client("staff") as c:
        raw = c.get("/api/history", params={"sensor": "S01", "quantity": "temperature", **DAY}).json()
        hourly = c.get("/api/history", params={"sensor": "S01", "quantity": "temperature", "bucket_s": 3600,
                                               **DAY}).json()
    assert len(raw["series"]) == 1 and len(raw["series"][0]["points"]) == 144  # 10-min points in a day
    pts = hourly["series"][0]["points"]
    assert len(pts) == 24
    assert all(p["count"] == 6 and p["min"] == 20.0 and p["max"] == 25.0 and p["value"] == 22.5 for p in pts)
    assert hourly["series"][0]["unit"] == "°C"


def test_history_by_zone_and_relic_names_the_sensors_there(api: Api):
    with api.client("staff") as c:
        zone = c.get("/api/history", params={"zone": "nonexistent", **DAY})
        both = c.get("/api/history", params={"sensor": "S01", "zone": "bronze", **DAY})
        backwards = c.get("/api/history", params={"sensor": "S01", "start": DAY["end"], "end": DAY["start"]})
    assert zone.status_code == 404
    assert both.status_code == 422 and "exactly one" in both.json()["error"]["message"]["en"]
    assert backwards.status_code == 422 and backwards.json()["error"]["message"]["zh"]


def test_stats_give_time_out_of_band_and_percentiles(api: Api):
    with api.client("staff") as c:
        r = c.get("/api/stats", params={"sensor": "S01", "quantity": "temperature", "low": 21.0, "high": 24.0,
                                        **DAY})
    assert r.status_code == 200, r.text
    s = r.json()["statistics"]
    assert s["min"] == 20.0 and s["max"] == 25.0 and s["mean"] == pytest.approx(22.5)
    # 20 is below 21 and 25 above 24: two of every six readings are out of band
    assert s["fraction_out_of_band"] == pytest.approx(2 / 6, abs=0.01)


def test_export_csv_and_json_carry_the_same_points(api: Api):
    with api.client("curator") as c:
        r = c.get("/api/export", params={"sensor": "S01", "quantity": "temperature", "bucket_s": 3600, **DAY})
        j = c.get("/api/export", params={"sensor": "S01", "quantity": "temperature", "bucket_s": 3600,
                                         "format": "json", **DAY})
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="relic-twin-S01.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 24 and rows[0]["unit"] == "°C" and float(rows[0]["value"]) == 22.5
    assert [p["time"] for p in j.json()["series"][0]["points"]] == [row["time_utc"] for row in rows]


def test_latest_and_sensors_report_freshness(api: Api):
    with api.client("staff") as c:
        latest = c.get("/api/latest", params={"quantity": "temperature"}).json()
        sensors = {s["id"]: s for s in c.get("/api/sensors").json()}
    s01 = next(r for r in latest if r["sensor"] == "S01")
    assert s01["value"] == 20.0 + (287 % 6) and s01["stale"] is False  # the live clock is at the last reading
    assert sensors["S01"]["stale"] is False
    assert sensors["S02"]["stale"] is True  # never heard from


def test_alert_acknowledgement_records_who_and_when(api: Api):
    with api.client("staff") as c:
        alert = c.get("/api/alerts").json()[0]
        ack = c.post(f"/api/alerts/{alert['id']}/ack", json={"note": "硅胶已更换 silica gel replaced"})
        missing = c.post("/api/alerts/999999/ack", json={"note": ""})
        again = c.get("/api/alerts").json()[0]
    assert ack.status_code == 201 and ack.json()["by"] == "staff"
    assert missing.status_code == 404
    assert again["acks"][-1]["note"] == "硅胶已更换 silica gel replaced" and again["acks"][-1]["at"]


def test_relic_archive_and_records_round_trip(api: Api):
    with api.client("curator") as c:
        made = c.post("/api/relics", json={"catalogue_number": "T-2026-001", "name_zh": "青铜爵", "name_en": "bronze jue",
                                           "material": "bronze", "height_mm": 210.0})
        assert made.status_code == 201, made.text
        rid = made.json()["id"]
        dup = c.post("/api/relics", json={"catalogue_number": "T-2026-001"})
        rec = c.post(f"/api/relics/{rid}/records", json={"kind": "inspection", "what": "粉状锈 bronze disease spots",
                                                         "who": "王老师", "started_at": T0.isoformat()})
        assert rec.status_code == 201, rec.text
        patched = c.patch(f"/api/relics/{rid}", json={"condition": "stable after treatment"})
        records = c.get(f"/api/relics/{rid}/records").json()
    assert dup.status_code == 409
    assert patched.json()["condition"] == "stable after treatment"
    assert records[0]["what"] == "粉状锈 bronze disease spots" and records[0]["who"] == "王老师"
    with api.client("visitor") as v:
        public = v.get(f"/api/relics/{rid}")
        hidden = v.get(f"/api/relics/{rid}/records")
    assert public.json()["name"]["zh-CN"] == "青铜爵" and "condition" not in public.json()
    assert hidden.status_code == 403


def test_file_upload_checks_type_hash_and_name(api: Api):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with api.client("curator") as c:
        ok = c.post("/api/files", params={"name": "../../etc/passwd.png", "sha256": hashlib.sha256(png).hexdigest()},
                    content=png, headers={"content-type": "image/png"})
        assert ok.status_code == 201, ok.text
        got = c.get(f"/api/files/{ok.json()['id']}")
        wrong_type = c.post("/api/files", params={"name": "x.exe"}, content=b"MZ", headers={"content-type":
                                                                                            "application/x-msdownload"})
        wrong_hash = c.post("/api/files", params={"name": "a.png", "sha256": "0" * 64}, content=png,
                            headers={"content-type": "image/png"})
        lying = c.post("/api/files", params={"name": "a.png"}, content=b"GIF89a not a png",
                       headers={"content-type": "image/png"})
    assert ok.json()["name"] == "passwd.png" and ok.json()["size"] == len(png)  # no path parts kept
    assert got.content == png
    assert wrong_type.status_code == 415
    assert wrong_hash.status_code == 422
    assert lying.status_code == 422  # content does not match the declared type


def test_errors_are_bilingual_json_and_never_a_traceback(api: Api):
    with api.client("staff") as c:
        bad = c.get("/api/history", params={"sensor": "S01", "bucket_s": "many"})
        unknown = c.get("/api/no/such/route")
        wrong_q = c.get("/api/stats", params={"sensor": "S01", "quantity": "mana"})
    for r in (bad, unknown, wrong_q):
        err = r.json()["error"]
        assert err["code"] and err["message"]["en"] and err["message"]["zh"]
        assert "Traceback" not in r.text and "File \"" not in r.text
    assert bad.status_code == 422 and unknown.status_code == 404 and wrong_q.status_code == 422


def test_request_size_and_rate_limits(tmp_path):
    now = [1000.0]  # the limits' clock stands still unless the test moves it: no count depends on the CPU's speed
    settings = ApiSettings(data_dir=tmp_path, secret=SECRET, rate_per_s=5, burst=10, login_per_min=3,
                           max_body=1000, password_hasher=FAST, limits_clock=lambda: now[0])
    app, store, _ = build(tmp_path, settings)
    with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
        big = c.post("/api/auth/token", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"})
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        logins = [c.post("/api/auth/token", json={"username": "staff", "password": "wrong"}).status_code
                  for _ in range(5)]
        assert logins == [401, 401, 429, 429, 429]  # sign-in is the strict bucket: 3 a minute, the 413 was one
        answers = [c.get("/api/health") for _ in range(30)]
        codes = [r.status_code for r in answers]
        assert codes == [200] * 4 + [429] * 26  # a burst of 10, six of it spent on the posts above
        refused = answers[4]
        assert refused.headers["retry-after"] == "1" and refused.json()["error"]["message"]["zh"]
        now[0] += 1.0  # a second later: five more at 5 a second, and no more
        assert [c.get("/api/health").status_code for _ in range(6)] == [200] * 5 + [429]
        now[0] += 60.0  # the sign-in bucket refills too
        assert c.post("/api/auth/token", json={"username": "staff", "password": "wrong"}).status_code == 401
    store.close()


def test_whatif_run_starts_reports_progress_and_results(api: Api):
    with api.client("curator") as c:
        names = c.get("/api/whatif/scenarios").json()
        assert "hvac_failure_summer" in names
        job = c.post("/api/whatif", json={"scenario": "hvac_failure_summer"}).json()
        for _ in range(100):
            state = c.get(f"/api/whatif/{job['id']}").json()
            if state["state"] == "done":
                break
            time.sleep(0.05)
        res = c.get(f"/api/whatif/{job['id']}/results").json()
        evil = c.post("/api/whatif", json={"scenario": "../../etc/passwd"})
    assert state["progress"] == 1.0
    assert res["summary"]["twpi_years"] == {"ding": 42.0, "bad": None}  # NaN made strict JSON
    assert evil.status_code == 422


def test_whatif_run_can_start_from_the_stored_state_of_the_hall(api: Api):
    def run(body: dict) -> dict:
        with api.client("curator") as c:
            job = c.post("/api/whatif", json=body).json()
            for _ in range(100):
                if c.get(f"/api/whatif/{job['id']}").json()["state"] == "done":
                    break
                time.sleep(0.05)
            return c.get(f"/api/whatif/{job['id']}/results").json()["summary"]

    stored = run({"scenario": "visitor_crowd", "from_store": True})["initial"]
    zone = next(z for z in stored)  # S01's zone: its stored latest T and RH
    assert stored[zone] == [20.0 + (287 % 6), 50.0]
    assert run({"scenario": "visitor_crowd"})["initial"] == {}


# --- HTTPS -----------------------------------------------------------------------------------


def make_cert(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_https_serves_with_the_given_certificate_and_refuses_plain_http(tmp_path):
    cert, key = make_cert(tmp_path)
    app, store, _ = build(tmp_path)
    with ThreadedServer(app, cert=cert, key=key) as srv:
        assert srv.url.startswith("https://")
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as c:
            assert c.get(srv.url + "/api/health").json()["status"] == "ok"
        with httpx.Client(verify=True) as c, pytest.raises(httpx.ConnectError):
            c.get(srv.url + "/api/health")  # self-signed: not trusted without the CA
        with httpx.Client() as c, pytest.raises(httpx.HTTPError):
            c.get(srv.url.replace("https://", "http://") + "/api/health")
    store.close()


# --- the live feed ---------------------------------------------------------------------------


def test_live_feed_snapshot_then_filtered_deltas_and_refusals(api: Api):
    async def run() -> tuple[dict, dict, int, int]:
        url = f"{api.ws_url}/api/live?quantity=relative_humidity"
        async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {api.tokens['staff']}"}) as ws:
            snap = json.loads(await ws.recv())
            t = T0 + timedelta(days=2, minutes=5)
            api.state.update([Reading("S01", "temperature", t, 30.0, "°C")])           # filtered out
            api.state.update([Reading("S01", "relative_humidity", t, 61.5, "%RH")])
            delta = json.loads(await asyncio.wait_for(ws.recv(), 5))
        codes = []
        for token in (api.tokens["visitor"], "forged.token"):
            with pytest.raises(websockets.InvalidStatus) as refused:  # closed before accept: HTTP 403
                async with websockets.connect(f"{api.ws_url}/api/live",
                                              additional_headers={"Authorization": f"Bearer {token}"}):
                    pass
            codes.append(refused.value.response.status_code)
        return snap, delta, codes[0], codes[1]

    snap, delta, visitor_code, forged_code = asyncio.run(run())
    assert snap["type"] == "snapshot"
    assert {r["quantity"] for r in snap["readings"]} == {"relative_humidity"}
    assert delta["type"] == "delta" and [(r["sensor"], r["value"]) for r in delta["readings"]] == [("S01", 61.5)]
    assert visitor_code == 403 and forged_code == 403


def test_an_open_alert_is_acknowledged_by_its_live_id(api: Api):
    from tests.fixtures_api import LIVE_KEY

    with api.client("staff") as c:
        ok = c.post(f"/api/alerts/live/{LIVE_KEY}/ack", json={"note": "from the 3D monitor"})
        gone = c.post("/api/alerts/live/relic:nothing:here:9/ack", json={"note": ""})
        alert = next(a for a in c.get("/api/alerts").json() if a["id"] == ok.json()["alert_id"])
    assert ok.status_code == 201 and ok.json()["by"] == "staff"
    assert gone.status_code == 404
    assert alert["acks"][-1]["note"] == "from the 3D monitor" and alert["target"] == {"kind": "sensor", "id": "S01"}
