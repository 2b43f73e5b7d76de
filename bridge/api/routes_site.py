"""The site at a glance (staff and up): every hall's state, ranked by risk or time in range.

``GET /api/site?by=risk|time_in_range`` answers the site overview of
:mod:`bridge.site.overview` (a single-hall service answers for its one hall);
the live alert roll-up (relic -> case -> zone -> hall -> site) comes with it
when the service runs the halls' alert engines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter

from bridge.api.context import CanMonitor, Service, Svc
from bridge.api.errors import ApiError
from bridge.site.model import HallEntry, Site
from bridge.site.overview import site_overview

router = APIRouter(tags=["site"])


def site_of(svc: Service) -> Site:
    """The site served: the site of ``serve --site``, else one made of the served hall."""
    if svc.site is not None:
        return svc.site  # type: ignore[no-any-return]
    scenes = [h.scene for h in svc.halls.values() if h.scene is not None]
    if not scenes:
        raise ApiError("unavailable", en="no scene loaded", zh="未加载场景")
    return Site("", {"zh-CN": "", "en": ""}, "UTC", tuple(HallEntry(s) for s in scenes))


@router.get("/api/site", summary="the site at a glance, halls ranked / 场馆总览(展厅排名)")
def overview(*, by: Literal["risk", "time_in_range"] = "risk", svc: Svc, _: CanMonitor) -> dict[str, Any]:
    site = site_of(svc)
    now = svc.state.clock() if svc.state is not None else datetime.now(UTC)
    out = site_overview(svc.store, site, now, by=by)
    alerts = getattr(svc.runtime, "alerts", None)
    if alerts is not None and hasattr(alerts, "rollup"):
        out["live"] = alerts.rollup()
    return out
