"""Unknown devices (curator and up): sensors heard on the wire that the scene does not name.

Their messages wait in quarantine with the reason "unknown device"; each is listed by its place
(site, hall, sensor: sensor ids are unique only within a hall, so ``?hall=`` names which), and
adopting one into a zone of its hall lets the running twin store its readings from then on (the way Zigbee2MQTT's
"permit join" and Home Assistant's discovery hold a new device until a person accepts it).
To draw it on the floor plan, add it to ``scene.toml`` as well.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from bridge.api.context import CanAdopt, Service, Svc
from bridge.api.errors import ApiError
from bridge.store import service_queries as q
from bridge.store.epoch import from_us
from bridge.store.models import UnknownDevice
from simulation.scene import Scene

router = APIRouter(tags=["devices"])

SensorId = Annotated[str, Path(min_length=1, max_length=128)]


class UnknownOut(BaseModel):
    site: str
    hall: str
    sensor: str
    topic: str
    first_seen: str
    last_seen: str
    messages: int
    adopted_zone: str | None
    adopted_by: str


class AdoptIn(BaseModel):
    zone: str = Field(min_length=1, max_length=64, description="a zone of the hall / 展厅中的区域")


def unknown_out(d: UnknownDevice) -> UnknownOut:
    return UnknownOut(site=d.site, hall=d.hall, sensor=d.sensor, topic=d.topic,
                      first_seen=from_us(d.first_seen_us).isoformat(), last_seen=from_us(d.last_seen_us).isoformat(),
                      messages=d.messages, adopted_zone=d.adopted_zone, adopted_by=d.adopted_by)


HallQuery = Annotated[str | None, Query(max_length=64, description="the hall (optional where the site has one) / 展厅")]


@router.get("/api/devices/unknown", response_model=list[UnknownOut],
            summary="devices heard but not in their hall's scene / 未知设备")
def unknown_devices(*, svc: Svc, _: CanAdopt, adopted: bool = False, hall: HallQuery = None) -> list[UnknownOut]:
    where = svc.hall(hall).where if hall is not None else None  # every hall unless one is named
    return [unknown_out(d) for d in q.list_unknown_devices(svc.store, include_adopted=adopted, hall=where)]


@router.post("/api/devices/unknown/{sensor}/adopt", response_model=UnknownOut,
             summary="adopt an unknown device into a zone of its hall / 将未知设备纳入展厅")
def adopt(*, sensor: SensorId, body: AdoptIn, request: Request, svc: Svc, claims: CanAdopt,
          hall: HallQuery = None) -> UnknownOut:
    view = svc.hall(hall)
    place = view.id or (svc.scene.id if svc.scene is not None else "")
    return adopt_in(svc, request, claims.sub, "", place, view.scene or svc.scene, sensor, body.zone)


def adopt_in(svc: Service, request: Request, who: str, site: str, hall: str, scene: Scene | None, sensor: str,
             zone: str) -> UnknownOut:
    """Adopt ``sensor`` of (site, hall) into ``zone`` of the hall's ``scene``; audited."""
    if scene is not None and zone not in {z.id for z in scene.zones}:
        raise ApiError("invalid", en=f"no zone {zone} in hall {hall}", zh=f"展厅 {hall} 中没有区域 {zone}")
    row = q.adopt_device(svc.store, sensor, zone, who, hall=hall, site=site)
    if row is None:
        raise ApiError("not_found", en=f"unknown device {sensor} in hall {hall}", zh=f"展厅 {hall} 中无未知设备 {sensor}")
    if svc.on_adopt is not None and not site:
        svc.on_adopt(hall, sensor)
    q.audit(svc.store, "device_adopt", actor=who, target=f"{site + '/' if site else ''}{hall}/{sensor}",
            address=request.client.host if request.client else "", detail=f"zone={zone}")
    return unknown_out(row)
