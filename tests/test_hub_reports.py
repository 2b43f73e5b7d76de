"""A hub's report of one museum reads that museum's rows only: two sites whose hall and sensor names
are identical and whose numbers differ each get their own figures, computed here from what each wrote
(min, max, time-weighted mean of equal steps, readings received, quarantined messages, alerts, control
commands), and a museum's users cannot fetch the other's report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pytest
from fixtures_api import FAST, PASSWORD, SECRET
from openpyxl import load_workbook
from test_site_serve import make_site

from bridge.api import ApiSettings, create_app
from bridge.api.auth import hash_password
from bridge.api.server import ThreadedServer
from bridge.control.audit import AuditLog
from bridge.readings import Reading, Rejection
from bridge.site.model import load_site
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.epoch import to_us
from bridge.store.models import Alert
from simulation.materials import load_profiles
from simulation.scene_alerts import relic_sources

T0 = datetime(2026, 2, 1, tzinfo=UTC)
STEPS = 144  # every 10 min for a day
#: per site: temperature and relative humidity of step i; the quarantined messages and alerts it had
SITES = {
    "museum_a": {"temperature": lambda i: 18.0 + 0.5 * (i % 3), "relative_humidity": lambda i: 45.0 + (i % 4),
                 "quarantined": 1, "alerts": 1, "commands": 1},
    "museum_b": {"temperature": lambda i: 24.0 + (i % 2), "relative_humidity": lambda i: 60.0 + (i % 5),
                 "quarantined": 3, "alerts": 2, "commands": 4},
}
SPAN = {"from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub_reports")
    sites = {name: load_site(make_site(tmp / name, halls=("hall_1",))) for name in SITES}
    scene = sites["museum_a"].halls[0].scene
    sources = {q_: s for (r, q_), s in relic_sources(scene, load_profiles()).items() if r == "ding"}
    store = Store.open(url=f"sqlite:///{tmp / 'hub.sqlite'}")
    for site, spec in SITES.items():
        store.add_readings([Reading(sources[qty], qty, T0 + timedelta(minutes=10 * i), spec[qty](i),
                                    "°C" if qty == "temperature" else "%", hall="hall_1", site=site)
                            for qty in ("temperature", "relative_humidity") for i in range(STEPS)])
        topic = f"relic-hub/{site}/relic-twin/hall_1/{sources['relative_humidity']}"
        store.add_rejections([Rejection(topic, b"{}", T0 + timedelta(hours=1, seconds=k), "bad")
                              for k in range(spec["quarantined"])])
        for k in range(spec["alerts"]):
            q.save(store, Alert(raised_at_us=to_us(T0 + timedelta(hours=2, minutes=k)), tier="warning",
                                sensor=sources["relative_humidity"], quantity="relative_humidity",
                                target_kind="relic", target_id="ding", key=f"{site}-{k}", site=site, hall="hall_1",
                                message_en=f"{site} alert {k}", message_zh="告警"))
        audit = AuditLog(store, "hall_1", site=site)
        for k in range(spec["commands"]):
            audit.append(_command(k, site, T0 + timedelta(hours=3, minutes=k)))
    app = create_app(store, ApiSettings(data_dir=tmp / "api", secret=SECRET, password_hasher=FAST), sites=sites)
    users = {"hub_admin": ("admin", ""), "curator_a": ("curator", "museum_a")}
    for user, (role, site) in users.items():
        q.add_user(store, user, role, hash_password(PASSWORD, FAST), site=site)
    with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
        tokens = {u: c.post("/api/auth/token", json={"username": u, "password": PASSWORD}).json()["access_token"]
                  for u in users}
        yield srv.url, tokens, sources
    store.close()


def _command(k: int, site: str, at: datetime):
    from bridge.control.audit import Entry

    return Entry(at=at.isoformat(), kind="command", actuator="dehumidifier_1", who="rule", why={"reason": f"{site} {k}"},
                 before={}, after={"on": True})


def _expected(site: str, qty: str) -> dict[str, float]:
    v = np.array([SITES[site][qty](i) for i in range(STEPS)])
    return {"min": float(v.min()), "max": float(v.max()), "mean": float(v.mean())}  # equal steps: equal weights


@pytest.mark.parametrize("site", sorted(SITES))
def test_a_site_report_holds_only_that_sites_figures(hub, site: str) -> None:
    url, tokens, sources = hub
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['hub_admin']}"}) as c:
        r = c.get(f"/api/hub/sites/{site}/report", params={**SPAN, "format": "csv"})
        assert r.status_code == 200, r.text
        assert f"relic-twin-{site}-" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        got = {(row["quantity"], row["figure"]): float(row["value"]) for row in rows
               if row["relic"] == "ding" and row["figure"] in ("min", "max", "mean")}
        for qty in ("temperature", "relative_humidity"):
            for figure, value in _expected(site, qty).items():
                assert got[(qty, figure)] == pytest.approx(value, abs=1e-6), (site, qty, figure)
        x = c.get(f"/api/hub/sites/{site}/report", params={**SPAN, "format": "xlsx", "hall": "hall_1"})
        assert x.status_code == 200
    book = load_workbook(io.BytesIO(x.content))
    quality = {(row[1], row[2]): row for row in book["data_quality"].iter_rows(min_row=2, values_only=True)}
    rh = sources["relative_humidity"]
    assert quality[(rh, "relative_humidity")][5] == STEPS  # received: this site's readings only
    assert quality[(rh, "relative_humidity")][12] == SITES[site]["quarantined"]
    alerts = list(book["alerts"].iter_rows(min_row=2, values_only=True))
    assert len(alerts) == SITES[site]["alerts"] and all(a[6].startswith(site) for a in alerts)
    actions = [a for a in book["actions"].iter_rows(min_row=2, values_only=True) if a[1] == "control"]
    assert len(actions) == SITES[site]["commands"] and all(a[5].startswith(site) for a in actions)


def test_a_museums_user_gets_only_its_own_report(hub) -> None:
    url, tokens, _ = hub
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['curator_a']}"}) as c:
        assert c.get("/api/hub/sites/museum_a/report", params={**SPAN, "format": "csv"}).status_code == 200
        r = c.get("/api/hub/sites/museum_b/report", params={**SPAN, "format": "csv"})
        assert r.status_code == 403 and "museum_b" in r.json()["error"]["message"]["en"]
        assert c.get("/api/reports", params={**SPAN, "format": "csv"}).status_code == 403  # the whole store's
        assert c.get("/api/hub/sites/museum_a/report", params={**SPAN, "hall": "hall_9"}).status_code == 404
        assert c.get("/api/hub/sites/museum_a/report", params={"month": "2026-13"}).status_code == 422
