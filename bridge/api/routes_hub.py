"""A provincial hub's API: many museums (sites) in one store, each user scoped to a site.

Mounted when the service runs as a hub (``relic-twin hub serve --sites DIR``). A user whose
account names a site reads and changes that site only: every other site answers 403, and the
site list holds only theirs; an account with no site (the hub's own staff) sees every site.

- ``GET /api/hub/sites?by=risk|time_in_range``: the sites ranked worst first;
- ``GET /api/hub/sites/{site}?by=``: one site's overview, halls ranked;
- ``GET /api/hub/sites/{site}/history?hall=&sensor=&quantity=``: a sensor's history;
- ``GET /api/hub/sites/{site}/alerts``: the site's alerts;
- ``POST /api/hub/sites/{site}/alerts/{alert_id}/ack``: acknowledge one of them;
- ``GET /api/hub/sites/{site}/report?month=&hall=&format=``: the site's conservation report, read from
  that site's rows only (another museum's halls and sensors of the same names never enter it);
- ``GET /api/hub/sites/{site}/devices/unknown?hall=``, ``POST .../devices/unknown/{sensor}/adopt?hall=``:
  the site's unknown devices, by hall;
- ``GET /api/hub/unregistered``: museums forwarding to the hub that it does not hold, with their held
  messages (hub staff only: :mod:`bridge.hub.registrar`).

Every other route of the API reads the whole store, so on a hub it answers 403 to a site's users
(:func:`bridge.api.context.current`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from bridge.api.auth import Claims
from bridge.api.context import CanAck, CanAdopt, CanMonitor, Service, Svc, require
from bridge.api.errors import ApiError
from bridge.api.routes_alerts import AckIn, AckOut, AlertOut, ack_out, alert_out
from bridge.api.routes_devices import AdoptIn, SensorId, UnknownOut, adopt_in, unknown_out
from bridge.api.routes_monitor import HistoryOut, series_out, time_range
from bridge.api.routes_reports import MEDIA, render
from bridge.site.model import Site
from bridge.site.overview import site_overview
from bridge.store import service_queries as q
from bridge.twin.live import iso
from simulation.quantities import QUANTITIES
from simulation.ranking import TIER_RANK, rank

router = APIRouter(tags=["hub"])

CanReadReports = Annotated[Claims, Depends(require("reports:read"))]

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
            worst = [h["worst_relic"] for h in o["halls"] if h.get("worst_relic")]
            worst.sort(key=lambda w: TIER_RANK.get(str(w.get("tier")), 0), reverse=True)
            rows.append({k: o[k] for k in ("site", "name", "tier", "open_alerts", "sensors", "sensors_offline",
                                           "time_in_range")} | {"halls": len(o["halls"]),
                                                                "worst_relic": worst[0] if worst else None})
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


def _hall(site: Site, hall: str | None) -> Any:
    """The site's hall a request names (optional where the site has one)."""
    if hall is None:
        if len(site.halls) == 1:
            return site.halls[0]
        raise ApiError("invalid", en=f"site {site.id} has several halls: give hall= (one of {', '.join(site.hall_ids)})",
                       zh=f"场馆 {site.id} 有多个展厅, 请指定 hall=({', '.join(site.hall_ids)})")
    found = next((h for h in site.halls if h.id == hall), None)
    if found is None:
        raise ApiError("not_found", en=f"hall {hall}", zh=f"展厅 {hall}")
    return found


@router.get("/api/hub/sites/{site}/report", summary="a site's conservation report / 场馆保存环境报告",
            responses={200: {"content": {m: {} for m in MEDIA.values()}}})
def report(*, site: str = SITE, svc: Svc, claims: CanReadReports,
           month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (UTC)"),
           start: str | None = Query(None, alias="from", max_length=40, description="ISO 8601"),
           end: str | None = Query(None, alias="to", max_length=40, description="ISO 8601, excluded"),
           hall: str | None = Query(None, max_length=64, description="one hall (default: the whole site)"),
           lang: Literal["zh", "en", "both"] = "both", format: Literal["pdf", "csv", "xlsx"] = "pdf") -> Response:
    from bridge.errors import ConfigError
    from bridge.reports import build_report
    from bridge.reports.period import period
    from simulation.materials import load_profiles

    s = _site(svc, claims, site)
    scenes = [h.scene for h in s.halls] if hall is None else [_hall(s, hall).scene]
    try:
        t0, t1 = period(month, start, end)
    except ConfigError as exc:
        en, _, zh = str(exc).partition(" / ")
        raise ApiError("invalid", en=en, zh=zh or en) from None
    halls = build_report(svc.store, scenes, load_profiles(), t0, t1, None, site=site)
    body = render(halls, format, lang, dict(s.name) if hall is None else None)
    name = f"relic-twin-{site}{'-' + hall if hall else ''}-{month or f'{t0:%Y%m%d}-{t1:%Y%m%d}'}.{format}"
    return Response(body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/api/hub/sites/{site}/devices/unknown", response_model=list[UnknownOut],
            summary="a site's unknown devices / 场馆未知设备")
def unknown_devices(*, site: str = SITE, hall: str | None = Query(None, max_length=64), adopted: bool = False,
                    svc: Svc, claims: CanAdopt) -> list[UnknownOut]:
    s = _site(svc, claims, site)
    where = _hall(s, hall).id if hall is not None else None
    return [unknown_out(d) for d in q.list_unknown_devices(svc.store, include_adopted=adopted, hall=where, site=site)]


@router.post("/api/hub/sites/{site}/devices/unknown/{sensor}/adopt", response_model=UnknownOut,
             summary="adopt a site's unknown device into a zone of its hall / 将场馆未知设备纳入展厅")
def adopt(*, site: str = SITE, sensor: SensorId, body: AdoptIn, request: Request,
          hall: str | None = Query(None, max_length=64), svc: Svc, claims: CanAdopt) -> UnknownOut:
    h = _hall(_site(svc, claims, site), hall)
    return adopt_in(svc, request, claims.sub, site, h.id, h.scene, sensor, body.zone)


@router.get("/api/hub/unregistered", summary="museums reporting that the hub does not hold / 未登记场馆")
def unregistered(*, include_registered: bool = False, svc: Svc, claims: CanAdopt) -> list[dict[str, Any]]:
    """Sites whose bridges forward to the hub but are not in its ``--sites``: their messages wait in
    quarantine; add the site's folder and restart ``hub ingest`` to store them. Hub staff only."""
    from bridge.hub.registrar import unregistered as held
    from bridge.store.epoch import from_us

    if claims.site:
        raise ApiError("forbidden", en=f"site {claims.site}: the hub's own staff only",
                       zh=f"场馆 {claims.site}: 仅限汇聚中心人员")
    how = {"en": "add the site's folder to the hub's --sites and restart `relic-twin hub ingest`: "
                 "the held messages are then stored",
           "zh": "将该场馆的文件夹加入汇聚中心的 --sites 并重启 `relic-twin hub ingest`, 暂存的消息即入库"}
    return [{"site": r.site, "topic": r.topic, "first_seen": iso(from_us(r.first_seen_us)),
             "last_seen": iso(from_us(r.last_seen_us)), "messages": r.messages, "released": r.released,
             "registered_at": iso(from_us(r.registered_at_us)) if r.registered_at_us is not None else None,
             "in_sites": r.site in (svc.sites or {}), "how": how}
            for r in held(svc.store, include_registered)]
