"""A provincial hub's API: many museums (sites) in one store, each user scoped to a site.

Mounted when the service runs as a hub (``relic-twin hub serve --sites DIR``). A user whose
account names a site reads and changes that site only: every other site answers 403, and the
site list holds only theirs; an account with no site (the hub's own staff) sees every site.

- ``GET /api/hub/sites?by=risk|time_in_range``: the sites ranked worst first;
- ``GET /api/hub/sites/{site}?by=``: one site's overview, halls ranked;
- ``GET /api/hub/sites/{site}/history?hall=&sensor=&quantity=``: a sensor's history;
- ``GET /api/hub/sites/{site}/alerts``: the site's alerts;
- ``POST /api/hub/sites/{site}/alerts/{alert_id}/ack``: acknowledge one of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Path, Query

from bridge.api.auth import Claims
from bridge.api.context import CanAck, CanMonitor, Service, Svc
from bridge.api.errors import ApiError
from bridge.api.routes_alerts import AckIn, AckOut, AlertOut, ack_out, alert_out
from bridge.api.routes_monitor import HistoryOut, series_out, time_range
from bridge.site.model import Site
from bridge.site.overview import site_overview
from bridge.store import service_queries as q
from bridge.twin.live import iso
from simulation.quantities import QUANTITIES
from simulation.ranking import rank

router = APIRouter(tags=["hub"])

SITE = Path(min_length=1, max_length=64, description="site (museum) id / 场馆编号")


def _site(svc: Service, claims: Claims, site: str) -> Site:
    """The site, after checking the caller may see it (403 otherwise, 404 when the hub has no such site)."""
    if not claims.sees(site):
        raise ApiError("forbidden", en=f"site {site}", zh=f"场馆 {site}")
    found = (svc.sites or {}).get(site)
    if found is None:
        raise ApiError("not_found", en=f"site {site}", zh=f"场馆 {site}")
    return found  # type: ignore[no-any-return]


@router.get("/api/hub/sites", summary="the sites, ranked worst first / 各场馆排名")
def sites(*, by: Literal["risk", "time_in_range"] = "risk", svc: Svc, claims: CanMonitor) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for site_id, site in sorted((svc.sites or {}).items()):
        if claims.sees(site_id):
            o = site_overview(svc.store, site, now, site_key=site_id, by=by)
            rows.append({k: o[k] for k in ("site", "name", "tier", "open_alerts", "sensors", "sensors_offline",
                                           "time_in_range")} | {"halls": len(o["halls"])})
    return list(rank(rows, by))


@router.get("/api/hub/sites/{site}", summary="one site at a glance / 场馆总览")
def site(*, site: str = SITE, by: Literal["risk", "time_in_range"] = "risk", svc: Svc,
         claims: CanMonitor) -> dict[str, Any]:
    return site_overview(svc.store, _site(svc, claims, site), datetime.now(UTC), site_key=site, by=by)


@router.get("/api/hub/sites/{site}/history", response_model=HistoryOut, summary="a sensor's history / 历史数据")
def history(*, site: str = SITE, hall: str = Query(..., max_length=64), sensor: str = Query(..., max_length=128),
            quantity: str = Query(..., max_length=64), start: datetime | None = None, end: datetime | None = None,
            bucket_s: int | None = Query(None, ge=1, le=366 * 86400), svc: Svc, claims: CanMonitor) -> HistoryOut:
    s = _site(svc, claims, site)
    if hall not in s.hall_ids:
        raise ApiError("not_found", en=f"hall {hall}", zh=f"展厅 {hall}")
    if quantity not in QUANTITIES:
        raise ApiError("invalid", en=f"unknown quantity {quantity}", zh=f"未知物理量 {quantity}")
    t0, t1 = time_range(start, end)
    series = svc.store.series(sensor, quantity, t0, t1, bucket_s=bucket_s, hall=hall, site=site)
    return HistoryOut(start=iso(t0), end=iso(t1), series=[series_out(series, hall)])


@router.get("/api/hub/sites/{site}/alerts", response_model=list[AlertOut], summary="a site's alerts / 场馆告警")
def alerts(*, site: str = SITE, open_only: bool = False, limit: int = Query(100, ge=1, le=1000), svc: Svc,
           claims: CanMonitor) -> list[AlertOut]:
    _site(svc, claims, site)
    rows = q.list_alerts(svc.store, open_only, limit, site=site)
    names = q.usernames(svc.store, {k.user_id for _, acks in rows for k in acks if k.user_id})
    return [alert_out(a, acks, names) for a, acks in rows]


@router.post("/api/hub/sites/{site}/alerts/{alert_id}/ack", response_model=AckOut, status_code=201,
             summary="acknowledge a site's alert / 确认场馆告警")
def acknowledge(*, site: str = SITE, alert_id: int, ack: AckIn, svc: Svc, claims: CanAck) -> AckOut:
    _site(svc, claims, site)
    alert = q.get_alert(svc.store, alert_id)
    if alert is None or alert.site != site:
        raise ApiError("not_found", en=f"alert {alert_id}", zh=f"告警 {alert_id}")
    user = q.get_user(svc.store, claims.sub)
    row = q.ack_alert(svc.store, alert_id, user.id if user else None, ack.note)
    assert row is not None
    return ack_out(row, {user.id: user.username} if user and user.id else {})
