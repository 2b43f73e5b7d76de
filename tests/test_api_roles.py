"""Every endpoint x every role: each allow and each deny, against a real server and SQLite store.

The table below names, for every route of the OpenAPI document, the least
role allowed and the status a permitted call answers with; a test checks
the table covers the document exactly, so a new route cannot slip in unchecked.
"""

from __future__ import annotations

import itertools
import time

import httpx
import pytest
from fixtures_api import LIVE_KEY, Api, serve

from bridge.api.auth import ROLES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_n = itertools.count()


def _uniq(prefix: str) -> str:
    return f"{prefix}{next(_n)}"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("api-roles"))


@pytest.fixture(scope="module")
def ids(api: Api):
    """Resources the calls refer to, made by an admin."""
    with api.client("admin") as c:
        return _make_ids(c)


def _make_ids(c):
    rec = c.post("/api/relics/1/records", json={"kind": "inspection", "started_at": "2026-01-01T00:00:00Z"})
    f = c.post("/api/files", params={"name": "x.png", "relic_id": 1}, content=PNG,
               headers={"Content-Type": "image/png"})
    job = c.post("/api/whatif", json={"scenario": "heat_wave"})
    assert rec.status_code == f.status_code == 201 and job.status_code == 202, (rec.text, f.text, job.text)
    for _ in range(100):
        if c.get(f"/api/whatif/{job.json()['id']}").json()["state"] == "done":
            break
        time.sleep(0.05)
    return {"record": rec.json()["id"], "file": f.json()["id"], "job": job.json()["id"], "alert": 1}


def _throwaway_user(api: Api) -> str:
    name = _uniq("tmp")
    with api.client("admin") as c:
        r = c.post("/api/users", json={"username": name, "password": "password123", "role": "staff"})
    assert r.status_code == 201
    return name


def _unknown_device(api: Api) -> str:
    from datetime import UTC, datetime

    from bridge.store import service_queries as q

    name = _uniq("S9")
    q.note_unknown_devices(api.store, {("", "demo_hall", name): (f"relic-twin/demo_hall/{name}", datetime.now(UTC), 1)})
    return name


def _throwaway_job(api: Api) -> str:
    with api.client("admin") as c:
        r = c.post("/api/whatif", json={"scenario": "heat_wave"})
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


# (method, path template, least role or None for public, status when allowed, request builder)
ENDPOINTS = [
    ("GET", "/api/health", None, 200, lambda api, ids: {}),
    ("POST", "/api/auth/token", None, 200,
     lambda api, ids: {"json": {"username": "staff", "password": "correct horse battery"}}),
    ("GET", "/api/auth/me", None, 200, lambda api, ids: {}),
    ("GET", "/api/relics", "visitor", 200, lambda api, ids: {}),
    ("GET", "/api/relics/{relic_id}", "visitor", 200, lambda api, ids: {"path": {"relic_id": 1}}),
    ("GET", "/api/relics/{relic_id}/details", "staff", 200, lambda api, ids: {"path": {"relic_id": 1}}),
    ("POST", "/api/relics", "curator", 201, lambda api, ids: {"json": {"catalogue_number": _uniq("C-")}}),
    ("PATCH", "/api/relics/{relic_id}", "curator", 200,
     lambda api, ids: {"path": {"relic_id": 1}, "json": {"condition": "stable"}}),
    ("GET", "/api/relics/{relic_id}/records", "staff", 200, lambda api, ids: {"path": {"relic_id": 1}}),
    ("POST", "/api/relics/{relic_id}/records", "curator", 201,
     lambda api, ids: {"path": {"relic_id": 1}, "json": {"kind": "loan", "started_at": "2026-02-01T00:00:00Z"}}),
    ("GET", "/api/records/{record_id}", "staff", 200, lambda api, ids: {"path": {"record_id": ids["record"]}}),
    ("PATCH", "/api/records/{record_id}", "curator", 200,
     lambda api, ids: {"path": {"record_id": ids["record"]}, "json": {"notes": "checked"}}),
    ("GET", "/api/sensors", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/latest", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/history", "staff", 200,
     lambda api, ids: {"params": {"sensor": "S01", "start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}}),
    ("GET", "/api/stats", "staff", 200,
     lambda api, ids: {"params": {"sensor": "S01", "quantity": "temperature", "start": "2026-11-20T00:00:00Z",
                                  "end": "2026-11-22T00:00:00Z"}}),
    ("GET", "/api/export", "staff", 200,
     lambda api, ids: {"params": {"zone": "bronze", "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z"}}),
    ("GET", "/api/quarantine", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/details", "staff", 200,
     lambda api, ids: {"params": {"kind": "sensor", "id": "S01", "at": "2026-11-21T00:00:00Z"}}),
    ("GET", "/api/state", "staff", 200, lambda api, ids: {"params": {"at": "2026-11-20T12:00:00Z"}}),
    ("GET", "/api/field", "staff", 200, lambda api, ids: {"params": {"quantity": "relative_humidity"}}),
    ("GET", "/api/alerts", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/site", "staff", 200, lambda api, ids: {"params": {"by": "time_in_range"}}),
    ("POST", "/api/alerts/{alert_id}/ack", "staff", 201,
     lambda api, ids: {"path": {"alert_id": ids["alert"]}, "json": {"note": "seen"}}),
    ("POST", "/api/alerts/live/{key}/ack", "staff", 201,
     lambda api, ids: {"path": {"key": LIVE_KEY}, "json": {"note": "seen"}}),
    ("POST", "/api/files", "curator", 201,
     lambda api, ids: {"params": {"name": "p.png"}, "content": PNG, "headers": {"Content-Type": "image/png"}}),
    ("GET", "/api/files", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/files/{file_id}", "staff", 200, lambda api, ids: {"path": {"file_id": ids["file"]}}),
    ("GET", "/api/whatif/scenarios", "curator", 200, lambda api, ids: {}),
    ("POST", "/api/whatif", "curator", 202, lambda api, ids: {"json": {"scenario": "heat_wave"}}),
    ("GET", "/api/whatif/{job_id}", "curator", 200, lambda api, ids: {"path": {"job_id": ids["job"]}}),
    ("GET", "/api/whatif/{job_id}/results", "curator", 200, lambda api, ids: {"path": {"job_id": ids["job"]}}),
    ("GET", "/api/profiles", "staff", 200, lambda api, ids: {}),
    ("PUT", "/api/profiles/{key}", "curator", 200,
     lambda api, ids: {"path": {"key": "bronze"}, "json": {"bands": {"relative_humidity": {"low": 0, "high": 40}},
                                                           "source": "test"}}),
    ("GET", "/api/reports", "curator", 200, lambda api, ids: {"params": {"month": "2026-11", "format": "csv"}}),
    ("GET", "/api/calibrations", "staff", 200, lambda api, ids: {}),
    ("PUT", "/api/calibrations/{sensor}/{quantity}", "curator", 200,
     lambda api, ids: {"path": {"sensor": "S01", "quantity": "temperature"}, "json": {"offset": 0.1}}),
    ("GET", "/api/users", "admin", 200, lambda api, ids: {}),
    ("POST", "/api/users", "admin", 201,
     lambda api, ids: {"json": {"username": _uniq("u"), "password": "password123", "role": "staff"}}),
    ("PATCH", "/api/users/{username}", "admin", 200,
     lambda api, ids: {"path": {"username": "staff"}, "json": {"display_name": "Staff"}}),
    ("DELETE", "/api/users/{username}", "admin", 204, lambda api, ids: {"path": {"username": _throwaway_user(api)}}),
    ("GET", "/api/settings", "admin", 200, lambda api, ids: {}),
    ("GET", "/api/audit", "admin", 200, lambda api, ids: {}),
    ("GET", "/api/devices/unknown", "curator", 200, lambda api, ids: {}),
    ("POST", "/api/devices/unknown/{sensor}/adopt", "curator", 200,
     lambda api, ids: {"path": {"sensor": _unknown_device(api)}, "json": {"zone": "bronze"}}),
    ("DELETE", "/api/whatif/{job_id}", "curator", 200, lambda api, ids: {"path": {"job_id": _throwaway_job(api)}}),
    ("POST", "/api/live/ticket", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/control", "staff", 200, lambda api, ids: {}),
    ("GET", "/api/control/audit", "curator", 200, lambda api, ids: {}),
    ("PUT", "/api/control/{actuator}/policy", "curator", 200,
     lambda api, ids: {"path": {"actuator": "hu1"}, "json": {"policy": "advise"}}),
    ("POST", "/api/control/{actuator}/override", "staff", 200,
     lambda api, ids: {"path": {"actuator": "hu1"}, "json": {"on": False, "minutes": 1}}),
    ("POST", "/api/control/{actuator}/apply", "staff", 409, lambda api, ids: {"path": {"actuator": "hu1"}}),
]

CALLERS = (None, *ROLES)  # None: no token at all


def test_table_covers_every_route(api: Api):
    with api.client() as c:
        doc = c.get("/api/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert routes == {(m, p) for m, p, *_ in ENDPOINTS}


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c or "anonymous")
def test_role_matrix(api: Api, ids, caller):
    failures = []
    for method, path, least, ok_status, build in ENDPOINTS:
        req = build(api, ids)
        url = path.format(**req.pop("path", {}))
        with api.client(caller) as c:
            r = c.request(method, url, **req)
        allowed = least is None or ROLES.index(caller or "visitor") >= ROLES.index(least)
        if allowed:
            expected = ok_status
        else:
            expected = 401 if caller is None else 403
        if r.status_code != expected:
            failures.append(f"{caller} {method} {url}: {r.status_code} (expected {expected}) {r.text[:200]}")
        if not allowed:
            err = r.json()["error"]
            assert err["message"]["en"] and err["message"]["zh"]
    assert not failures, "\n".join(failures)


def test_visitor_sees_no_sensor_data(api: Api):
    with api.client("visitor") as c:
        relic = c.get("/api/relics/1").json()
        assert set(relic) == {"id", "catalogue_number", "name", "era", "material", "annotations"}
        assert relic["annotations"], "the demo ding has annotations"
        for path in ("/api/latest", "/api/sensors", "/api/history?sensor=S01", "/api/alerts",
                     "/api/relics/1/details", "/api/export?sensor=S01"):
            assert c.get(path).status_code == 403, path


def test_bad_token_is_401_with_both_languages(api: Api):
    with api.client() as c:
        r = c.get("/api/latest", headers={"Authorization": "Bearer forged.token"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_invalid"
    assert "令牌" in r.json()["error"]["message"]["zh"]


def test_expired_token_is_refused_through_the_api(api: Api):
    """A token past its expiry is 401 on every request, though signed by the server's secret for a user
    whose role and stamp still match; the same token one hour from expiry works."""
    from bridge.store import service_queries as q

    signer = api.app.state.service.signer
    stamp = q.get_user(api.store, "staff").token_stamp
    now = time.time()
    expired = signer.issue("staff", "staff", now=now - signer.ttl_s - 1.0, stamp=stamp)
    fresh = signer.issue("staff", "staff", now=now - signer.ttl_s + 3600.0, stamp=stamp)
    for token, status in ((fresh, 200), (expired, 401)):
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            for path in ("/api/latest", "/api/auth/me"):
                r = c.get(path)
                assert r.status_code == status, (path, r.text)
                if status == 401:
                    assert r.json()["error"]["code"] == "token_invalid"
                    assert r.headers["www-authenticate"] == "Bearer"


def test_each_token_check_against_the_user_row_stands_alone(api: Api):
    """A token signed with the server's secret is still refused when only one thing about its user is
    wrong: the user is gone, inactive, holds another role, or has a new token stamp (revoked)."""
    from bridge.store import service_queries as q

    signer = api.app.state.service.signer
    name = _throwaway_user(api)  # staff
    stamp = q.get_user(api.store, name).token_stamp

    def status(token: str) -> int:
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            return c.get("/api/latest").status_code

    assert status(signer.issue(name, "staff", stamp=stamp)) == 200
    assert status(signer.issue(name, "staff", stamp="0" * 16)) == 401  # an old stamp: revoked
    assert status(signer.issue(name, "admin", stamp=stamp)) == 401  # a role the user does not hold
    assert status(signer.issue(f"{name}-ghost", "staff", stamp=stamp)) == 401  # no such user
    q.update_user(api.store, name, active=False)
    inactive = q.get_user(api.store, name)
    assert status(signer.issue(name, "staff", stamp=inactive.token_stamp)) == 401  # current stamp, inactive
    q.update_user(api.store, name, active=True)
    assert status(signer.issue(name, "staff", stamp=q.get_user(api.store, name).token_stamp)) == 200
