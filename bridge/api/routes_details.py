"""The staff monitor's panel and replay (staff and up): what :mod:`bridge.twin.monitor_data` answers, over HTTP.

``GET /api/details?kind=relic|sensor&id=...`` gives the last 24 h, the 12 h
forecast with its band, the profile's limits and the relic's risk;
``GET /api/state?at=ISO`` the stored state of the hall at a past instant;
``GET /api/field?quantity=Q`` the field model the floor is drawn with, chosen on the hall's
history (:func:`bridge.twin.field_choice.field_choice`).
Ids are the scene's (``ding``, ``S01``), as on the live feed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from bridge.api.context import CanMonitor, Service, Svc
from bridge.api.errors import ApiError
from bridge.api.params import aware
from bridge.api.routes_monitor import HALL, ReadingOut, _now
from bridge.twin import monitor_data
from bridge.twin.field_choice import field_choice
from simulation.quantities import QUANTITIES
from simulation.scene import Scene

router = APIRouter(tags=["monitoring"])


class HistoryPoints(BaseModel):
    t_h: list[float]
    time: list[str]
    values: list[float]


class ForecastOut(BaseModel):
    t_h: list[float]
    mean: list[float]
    lower: list[float]
    upper: list[float]
    level: float
    model: str


class LimitsOut(BaseModel):
    low: float | None
    high: float | None


class RiskOut(BaseModel):
    level: str
    check: str


class LineOut(BaseModel):
    label: dict[str, str]
    value: dict[str, str]


class DetailsOut(BaseModel):
    kind: str
    id: str
    time: str
    quantity: str
    unit: str
    sensor: str | None
    history: HistoryPoints
    forecast: ForecastOut | None
    limits: LimitsOut | None
    risk: RiskOut | None
    lines: list[LineOut]


class TargetOut(BaseModel):
    kind: str
    id: str


class StateAlertOut(BaseModel):
    id: str
    tier: str
    target: TargetOut
    cause: str
    message: dict[str, str]
    started_at: str
    acknowledged: bool


class FieldOut(BaseModel):
    quantity: str
    method: str
    settings: dict[str, float]
    offsets: dict[str, float]
    rmse: dict[str, float]
    rows: int
    needed: int
    fallback: dict[str, str] | None


class StateOut(BaseModel):
    time: str
    readings: list[ReadingOut]
    alerts: list[StateAlertOut]


def _instant(at: datetime) -> datetime:
    """A request's instant as UTC; years the store cannot hold (or window arithmetic would overflow) are refused."""
    return aware(at, (1971, 2999))


def _scene(svc: Service, hall: str | None) -> Scene:
    scene = svc.hall(hall).scene
    if scene is None:
        raise ApiError("unavailable", en="no scene loaded", zh="未加载场景")
    return scene


@router.get("/api/details", response_model=DetailsOut,
            summary="a relic's or sensor's 24 h, forecast, limits and risk / 文物或传感器的24小时数据、预测、限值与风险")
def details(*, hall: str | None = HALL, kind: Literal["relic", "sensor"],
            ident: str = Query(..., alias="id", min_length=1, max_length=128),
            quantity: str | None = Query(None, max_length=64),
            at: datetime | None = None,
            svc: Svc, _: CanMonitor) -> dict[str, Any]:
    """``at``: the panel's "now" (default: the service's clock)."""
    scene = _scene(svc, hall)
    if quantity is not None and quantity not in QUANTITIES:
        raise ApiError("invalid", en=f"unknown quantity {quantity}", zh=f"未知物理量 {quantity}")
    now = _instant(at) if at is not None else _now(svc, svc.hall(hall))
    try:
        return monitor_data.details(svc.store, scene, kind, ident, now, quantity=quantity)
    except monitor_data.NotFound as exc:
        raise ApiError("not_found", en=f"{kind} {ident}", zh=f"{'文物' if kind == 'relic' else '传感器'} {ident}") from exc


@router.get("/api/state", response_model=StateOut, summary="the hall's stored state at a time (replay) / 某时刻的展厅状态(回放)")
def state(*, hall: str | None = HALL, at: datetime, svc: Svc, _: CanMonitor) -> dict[str, Any]:
    return monitor_data.state_at(svc.store, _scene(svc, hall), _instant(at))


@router.get("/api/field", response_model=FieldOut,
            summary="the field model chosen on the hall's history / 按展厅历史选择的空间插值模型")
def field(*, hall: str | None = HALL, quantity: str = Query(..., max_length=64), svc: Svc, _: CanMonitor
          ) -> dict[str, Any]:
    """IDW or kriging, with or without learnt sensor offsets, by leave-one-out error; plain IDW and
    the reason (``fallback``) where the history is too short."""
    if quantity not in QUANTITIES:
        raise ApiError("invalid", en=f"unknown quantity {quantity}", zh=f"未知物理量 {quantity}")
    return field_choice(svc.store, _scene(svc, hall), quantity)
