"""A site at a glance: each hall's worst relic, open alerts, sensors offline and time in range.

Read from the store (open alerts as the alert service stored them, the
newest reading of every sensor, hourly means of the last ``window``), so a
museum's own service and a hub holding many sites answer the same way;
``site_key`` is the site column of the store ('' on a museum's box, the
site id on a hub). Ranking: :func:`simulation.ranking.rank`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from bridge.sensors.registry import Freshness
from bridge.site.model import HallEntry, Site
from bridge.store import Store
from bridge.store import service_queries as q
from simulation.materials import load_profiles
from simulation.ranking import TIER_RANK, mean_fraction, rank, time_in_range
from simulation.scene_alerts import relic_sources

#: the period time in range is judged over (eClimateNotebook's default view is a year; a week
#: is what a duty officer compares halls on, and what the hourly query answers quickly)
WINDOW = timedelta(days=7)
FRESHNESS = Freshness()


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


def hall_overview(store: Store, hall: HallEntry, now: datetime, *, site_key: str = "",
                  window: timedelta = WINDOW) -> dict[str, Any]:
    """One hall's state: tier, worst relic, open alerts, sensors offline, time in range."""
    scene = hall.scene
    alerts = [a for a, _ in q.list_alerts(store, open_only=True, limit=10_000, hall=scene.id, site=site_key)]
    tier = max((a.tier for a in alerts), key=lambda t: TIER_RANK.get(t, 0), default="green")
    relic_tier: dict[str, str] = {}
    for a in alerts:
        if a.target_kind == "relic" and TIER_RANK.get(a.tier, 0) > TIER_RANK.get(relic_tier.get(a.target_id, ""), -1):
            relic_tier[a.target_id] = a.tier
    worst = None
    if relic_tier:
        rid = max(relic_tier, key=lambda r: TIER_RANK.get(relic_tier[r], 0))
        names = next((r.name for r in scene.relics if r.id == rid), {})
        worst = {"id": rid, "tier": relic_tier[rid], "name": {"zh-CN": names.get("zh-CN", rid), "en": names.get("en", rid)}}
    last: dict[str, datetime] = {}
    for r in store.latest(hall=scene.id, site=site_key):
        if r.sensor not in last or r.time > last[r.sensor]:
            last[r.sensor] = r.time
    offline = sorted(s.id for s in scene.sensors
                     if s.id not in last or now - last[s.id] > FRESHNESS.period(s.power))
    profiles = load_profiles()
    fractions: list[float] = []
    cache: dict[tuple[str, str], Any] = {}
    for (relic_id, quantity), sensor in sorted(relic_sources(scene, profiles).items()):
        band = profiles[scene.relic(relic_id).profile].band(quantity)
        if band is None:
            continue
        if (sensor, quantity) not in cache:
            cache[(sensor, quantity)] = store.series(sensor, quantity, now - window, now, bucket_s=3600, only_ok=True,
                                                     hall=scene.id, site=site_key).values
        fractions.append(time_in_range(cache[(sensor, quantity)], band.low, band.high))
    return {"hall": scene.id, "kind": hall.kind, "name": dict(scene.name), "tier": tier, "worst_relic": worst,
            "open_alerts": len(alerts), "sensors": len(scene.sensors), "sensors_offline": len(offline),
            "offline": offline, "time_in_range": _num(mean_fraction(fractions))}


def site_overview(store: Store, site: Site, now: datetime, *, site_key: str = "", by: str = "risk",
                  window: timedelta = WINDOW) -> dict[str, Any]:
    """The site's state and its halls ranked worst first ``by`` "risk" or "time_in_range"."""
    halls = [hall_overview(store, h, now, site_key=site_key, window=window) for h in site.halls]
    tier = max((h["tier"] for h in halls), key=lambda t: TIER_RANK.get(t, 0), default="green")
    tir = mean_fraction(h["time_in_range"] if h["time_in_range"] is not None else math.nan for h in halls)
    return {"site": site.id, "name": site.name, "tier": tier, "open_alerts": sum(h["open_alerts"] for h in halls),
            "sensors": sum(h["sensors"] for h in halls), "sensors_offline": sum(h["sensors_offline"] for h in halls),
            "time_in_range": _num(tir), "window_h": window.total_seconds() / 3600, "by": by,
            "halls": rank(halls, by)}
