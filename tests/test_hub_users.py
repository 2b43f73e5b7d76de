"""A hub serving many museums: users are scoped to their site. A curator (or staff) of museum A can
neither read nor change museum B; the hub's own staff see both. The test walks the whole matrix
(user x site x operation, every /api/hub/sites route), and the two sites' identical hall and sensor
names never mix; every other route of the hub's API (they read the whole store) refuses a site's users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fixtures_api import FAST, PASSWORD, SECRET
from test_site_serve import make_site

from bridge.api import ApiSettings, create_app
from bridge.api.auth import PERMISSIONS, hash_password
from bridge.api.server import ThreadedServer
from bridge.readings import Reading
from bridge.site.model import load_site
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.epoch import to_us
from bridge.store.models import Alert

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SITES = {"museum_a": 18.0, "museum_b": 24.0}
#: user -> (role, site); '' is the hub's own account, seeing every site
USERS = {"hub_admin": ("admin", ""), "curator_a": ("curator", "museum_a"), "staff_a": ("staff", "museum_a"),
         "curator_b": ("curator", "museum_b")}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    sites = {}
    for name in SITES:
        site = load_site(make_site(tmp / name, halls=("hall_1",)))
        sites[site.id] = site
    store = Store.open(url=f"sqlite:///{tmp / 'hub.sqlite'}")
    alert_ids = {}
    for site, value in SITES.items():
        store.add_readings([Reading("S01", "temperature", T0 + timedelta(minutes=10 * i), value, "°C",
                                    hall="hall_1", site=site) for i in range(6)])
        alert = q.save(store, Alert(raised_at_us=to_us(T0), tier="red", sensor="S01", quantity="temperature",
                                    target_kind="relic", target_id="ding", key=f"{site}-k", site=site,
                                    hall="hall_1", message_en="hot", message_zh="过热"))
        alert_ids[site] = alert.id
        q.note_unknown_devices(store, {(site, "hall_1", "S99"): (f"relic-hub/{site}/relic-twin/hall_1/S99", T0, 2)})
    app = create_app(store, ApiSettings(data_dir=tmp / "api", secret=SECRET, password_hasher=FAST), sites=sites)
    for user, (role, site) in USERS.items():  # after create_app: it made the roles
        q.add_user(store, user, role, hash_password(PASSWORD, FAST), site=site)
    with ThreadedServer(app) as srv:
        tokens = {}
        with httpx.Client(base_url=srv.url) as c:
            for user in USERS:
                r = c.post("/api/auth/token", json={"username": user, "password": PASSWORD})
                assert r.status_code == 200, r.text
                tokens[user] = r.json()["access_token"]
        yield srv.url, tokens, alert_ids, app
    store.close()


def _call(c: httpx.Client, op: str, site: str, alert_ids: dict[str, int]) -> httpx.Response:
    span = {"start": (T0 - timedelta(hours=1)).isoformat(), "end": (T0 + timedelta(hours=2)).isoformat()}
    if op == "overview":
        return c.get(f"/api/hub/sites/{site}")
    if op == "history":
        return c.get(f"/api/hub/sites/{site}/history",
                     params={"hall": "hall_1", "sensor": "S01", "quantity": "temperature", **span})
    if op == "alerts":
        return c.get(f"/api/hub/sites/{site}/alerts")
    if op == "report":
        return c.get(f"/api/hub/sites/{site}/report", params={"from": span["start"], "to": span["end"], "format": "csv"})
    if op == "unknown":
        return c.get(f"/api/hub/sites/{site}/devices/unknown", params={"hall": "hall_1"})
    if op == "adopt":
        return c.post(f"/api/hub/sites/{site}/devices/unknown/S99/adopt", params={"hall": "hall_1"},
                      json={"zone": "bronze"})
    assert op == "ack"
    return c.post(f"/api/hub/sites/{site}/alerts/{alert_ids[site]}/ack", json={"note": "seen"})


#: every operation on one site: (op, the permission it needs, its status when allowed, its route)
OPS = [("overview", "monitor:read", 200, ("GET", "/api/hub/sites/{site}")),
       ("history", "monitor:read", 200, ("GET", "/api/hub/sites/{site}/history")),
       ("alerts", "monitor:read", 200, ("GET", "/api/hub/sites/{site}/alerts")),
       ("ack", "alerts:ack", 201, ("POST", "/api/hub/sites/{site}/alerts/{alert_id}/ack")),
       ("report", "reports:read", 200, ("GET", "/api/hub/sites/{site}/report")),
       ("unknown", "devices:adopt", 200, ("GET", "/api/hub/sites/{site}/devices/unknown")),
       ("adopt", "devices:adopt", 200, ("POST", "/api/hub/sites/{site}/devices/unknown/{sensor}/adopt"))]


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_user_sees_and_changes_only_their_site(hub, user: str) -> None:
    url, tokens, alert_ids, _ = hub
    own = USERS[user][1]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[user]}"}) as c:
        listed = [s["site"] for s in c.get("/api/hub/sites").json()]
        assert listed == (sorted(SITES) if not own else [own])
        for site, value in SITES.items():
            for op, permission, ok, _ in OPS:
                allowed = own in ("", site) and permission in PERMISSIONS[USERS[user][0]]
                r = _call(c, op, site, alert_ids)
                assert r.status_code == (ok if allowed else 403), (user, site, op, r.text)
                if not allowed:
                    role_ok = permission in PERMISSIONS[USERS[user][0]]  # the role is checked before the site
                    assert (site if role_ok else permission) in r.json()["error"]["message"]["en"]
                    continue
                if op == "report":  # the site's own sensor S01 at its own value, never the other's
                    assert f"relic-twin-{site}-" in r.headers["content-disposition"]
                if op in ("unknown", "adopt"):
                    rows = r.json() if op == "unknown" else [r.json()]
                    assert [(d["site"], d["hall"], d["sensor"]) for d in rows] in ([(site, "hall_1", "S99")], [])
                if op == "history":  # the same hall and sensor names, never the other site's values
                    assert [p["value"] for p in r.json()["series"][0]["points"]] == [value] * 6
                if op == "alerts":
                    assert [a["target"]["id"] for a in r.json()] == ["ding"]
                if op == "overview":
                    assert r.json()["site"] == site and r.json()["halls"][0]["worst_relic"]["id"] == "ding"


def test_the_matrix_covers_every_hub_route_and_every_other_route_refuses_a_sites_users(hub) -> None:
    url, tokens, _, app = hub
    routes = [(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops]
    hub_routes = {rt for rt in routes if rt[1].startswith("/api/hub/sites/")}
    assert hub_routes == {route for *_, route in OPS}  # a new site route must join the matrix above
    assert ("GET", "/api/hub/sites") in routes and ("GET", "/api/hub/unregistered") in routes
    open_routes = {"/api/health", "/api/auth/token", "/api/openapi.json"}  # no sign-in needed, nothing of a site
    others = [(m, p) for m, p in routes if not p.startswith(("/api/hub/sites", "/api/auth/")) and p not in open_routes
              and p.startswith("/api/")]
    assert len(others) > 40
    for user in ("curator_a", "staff_a", "curator_b"):
        own = USERS[user][1]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[user]}"}) as c:
            for method, path in others:
                concrete = path.replace("{", "").replace("}", "")  # any value: the scope is refused first
                r = c.request(method, concrete, json={})
                assert r.status_code == 403, (user, method, path, r.status_code, r.text)
                assert f"/api/hub/sites/{own}/" in r.json()["error"]["message"]["en"], (user, path)
            assert c.get("/api/hub/unregistered").status_code == 403  # the hub's own staff only
            assert c.get("/api/auth/me").status_code == 200
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['hub_admin']}"}) as c:
        assert c.get("/api/hub/unregistered").status_code == 200
        assert c.get("/api/alerts").status_code == 200  # the hub's own staff use the whole-store routes
