"""Unknown devices (curator and up): sensors heard on the wire that the scene does not name.

Their messages wait in quarantine with the reason "unknown device"; adopting one into a zone of
the scene lets the running twin store its readings from then on (the way Zigbee2MQTT's
"permit join" and Home Assistant's discovery hold a new device until a person accepts it).
To draw it on the floor plan, add it to ``scene.toml`` as well.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from bridge.api.context import CanAdopt, Svc
from bridge.api.errors import ApiError
from bridge.store import service_queries as q
from bridge.store.epoch import from_us
from bridge.store.models import UnknownDevice

router = APIRouter(tags=["devices"])

SensorId = Annotated[str, Path(min_length=1, max_length=128)]


class UnknownOut(BaseModel):
    sensor: str
    topic: str
    first_seen: str
    last_seen: str
    messages: int
    adopted_zone: str | None
    adopted_by: str


class AdoptIn(BaseModel):
    zone: str = Field(min_length=1, max_length=64, description="a zone of the scene / 场景中的区域")


def unknown_out(d: UnknownDevice) -> UnknownOut:
    return UnknownOut(sensor=d.sensor, topic=d.topic, first_seen=from_us(d.first_seen_us).isoformat(),
                      last_seen=from_us(d.last_seen_us).isoformat(), messages=d.messages,
                      adopted_zone=d.adopted_zone, adopted_by=d.adopted_by)


@router.get("/api/devices/unknown", response_model=list[UnknownOut],
            summary="devices heard but not in the scene / 未知设备")
def unknown_devices(*, svc: Svc, _: CanAdopt, adopted: bool = False) -> list[UnknownOut]:
    return [unknown_out(d) for d in q.list_unknown_devices(svc.store, include_adopted=adopted)]


@router.post("/api/devices/unknown/{sensor}/adopt", response_model=UnknownOut,
             summary="adopt an unknown device into a zone / 将未知设备纳入场景")
def adopt(*, sensor: SensorId, body: AdoptIn, request: Request, svc: Svc, claims: CanAdopt) -> UnknownOut:
    if svc.scene is not None and body.zone not in {z.id for z in svc.scene.zones}:
        raise ApiError("invalid", en=f"no zone {body.zone} in the scene", zh=f"场景中没有区域 {body.zone}")
    row = q.adopt_device(svc.store, sensor, body.zone, claims.sub)
    if row is None:
        raise ApiError("not_found", en=f"unknown device {sensor}", zh=f"未知设备 {sensor}")
    if svc.on_adopt is not None:
        svc.on_adopt(sensor)
    q.audit(svc.store, "device_adopt", actor=claims.sub, target=sensor,
            address=request.client.host if request.client else "", detail=f"zone={body.zone}")
    return unknown_out(row)
