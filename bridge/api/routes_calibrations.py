"""Per-sensor calibration over HTTP: read them (staff and up), record one (curator and up).

    GET /api/calibrations[?history=true]
    PUT /api/calibrations/{sensor}/{quantity}   {"offset": -2.5, "gain": 1.0, "note": "vs. reference 2026-11"}

A new calibration applies to readings measured from now on; who set it is the signed-in user.
"""

from __future__ import annotations

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from bridge.api.context import CanMonitor, CanThresholds, Svc
from bridge.api.errors import ApiError
from bridge.config import ConfigError
from bridge.ingest.calibration import Calibration, list_calibrations, set_calibration

router = APIRouter(tags=["calibration"])


class CalibrationIn(BaseModel):
    offset: float = Field(default=0.0, description="added after the gain, in the quantity's unit / 偏移")
    gain: float = Field(default=1.0, description="multiplies the sensor's value (0.5-2) / 增益")
    note: str = Field(default="", max_length=500)


class CalibrationOut(BaseModel):
    hall: str
    sensor: str
    quantity: str
    offset: float
    gain: float
    set_at: str
    set_by: str
    note: str
    due_at: str


def out(c: Calibration) -> CalibrationOut:
    return CalibrationOut(hall=c.hall, sensor=c.sensor, quantity=c.quantity, offset=c.offset, gain=c.gain,
                          set_at=c.set_at.isoformat(), set_by=c.set_by, note=c.note, due_at=c.due_at.isoformat())


@router.get("/api/calibrations", response_model=list[CalibrationOut], summary="sensor calibrations / 传感器校准")
def calibrations(*, svc: Svc, _: CanMonitor, history: bool = False) -> list[CalibrationOut]:
    return [out(c) for c in list_calibrations(svc.store, history=history, hall=svc.scene.id if svc.scene else None)]


@router.put("/api/calibrations/{sensor}/{quantity}", response_model=CalibrationOut,
            summary="record a calibration / 登记校准")
def record(*, sensor: str = Path(min_length=1, max_length=128), quantity: str = Path(min_length=1, max_length=64),
           body: CalibrationIn, svc: Svc, claims: CanThresholds) -> CalibrationOut:
    if svc.scene is not None and sensor not in {s.id for s in svc.scene.sensors}:
        raise ApiError("not_found", en=f"sensor {sensor}", zh=f"传感器 {sensor}")
    try:
        c = set_calibration(svc.store, sensor, quantity, body.offset, body.gain, set_by=claims.sub, note=body.note,
                            hall=svc.scene.id if svc.scene else "")
    except ConfigError as exc:
        en, _, zh = str(exc).partition(" / ")
        raise ApiError("invalid", en=en, zh=zh or en) from None
    return out(c)
