"""Alerts (staff and up): list them, acknowledge them with who and when."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from bridge.api.context import CanAck, CanMonitor, Svc
from bridge.api.errors import ApiError
from bridge.api.params import DbId
from bridge.store import service_queries as q
from bridge.store.epoch import from_us
from bridge.store.models import Alert, AlertAck

router = APIRouter(tags=["alerts"])


class AckOut(BaseModel):
    alert_id: int
    by: str | None
    at: str
    note: str


class AlertOut(BaseModel):
    id: int
    hall: str = ""
    raised_at: str
    cleared_at: str | None
    tier: str
    sensor: str
    quantity: str
    relic_id: int | None
    zone_id: str | None
    cause: str
    target: dict[str, str]
    message: dict[str, str]
    advice: dict[str, str]
    acks: list[AckOut]


class AckIn(BaseModel):
    note: str = Field(default="", max_length=2000)


def ack_out(a: AlertAck, names: dict[int, str]) -> AckOut:
    return AckOut(alert_id=a.alert_id, by=names.get(a.user_id) if a.user_id else None,
                  at=from_us(a.acked_at_us).isoformat(), note=a.note)


def alert_out(a: Alert, acks: list[AlertAck], names: dict[int, str]) -> AlertOut:
    return AlertOut(id=a.id or 0, hall=a.hall, raised_at=from_us(a.raised_at_us).isoformat(),
                    cleared_at=from_us(a.cleared_at_us).isoformat() if a.cleared_at_us is not None else None,
                    tier=a.tier, sensor=a.sensor, quantity=a.quantity, relic_id=a.relic_id, zone_id=a.zone_id,
                    cause=a.cause, target={"kind": a.target_kind, "id": a.target_id},
                    message={"zh-CN": a.message_zh, "en": a.message_en},
                    advice={"zh-CN": a.advice_zh, "en": a.advice_en}, acks=[ack_out(k, names) for k in acks])


@router.get("/api/alerts", response_model=list[AlertOut], summary="alerts / 告警")
def alerts(*, open_only: bool = False, limit: int = Query(100, ge=1, le=1000),
           hall: str | None = Query(None, max_length=64, description="only this hall's / 只看此展厅"), svc: Svc,
           _: CanMonitor) -> list[AlertOut]:
    rows = q.list_alerts(svc.store, open_only, limit, hall=svc.hall(hall).id if hall is not None else None)
    names = q.usernames(svc.store, {k.user_id for _, acks in rows for k in acks if k.user_id})
    return [alert_out(a, acks, names) for a, acks in rows]


@router.post("/api/alerts/live/{key}/ack", response_model=AckOut, status_code=201,
             summary="acknowledge an open alert by its live id (the feed's alert id) / 按实时编号确认告警")
def acknowledge_live(*, key: str = Path(min_length=1, max_length=200), ack: AckIn, svc: Svc,
                     claims: CanAck) -> AckOut:
    row = q.open_alert_by_key(svc.store, key)
    if row is None or row.id is None:
        raise ApiError("not_found", en=f"open alert {key}", zh=f"未结束的告警 {key}")
    return acknowledge(alert_id=row.id, ack=ack, svc=svc, claims=claims)


@router.post("/api/alerts/{alert_id}/ack", response_model=AckOut, status_code=201,
             summary="acknowledge an alert / 确认告警")
def acknowledge(*, alert_id: DbId, ack: AckIn, svc: Svc,
                claims: CanAck) -> AckOut:
    user = q.get_user(svc.store, claims.sub)
    row = q.ack_alert(svc.store, alert_id, user.id if user else None, ack.note)
    if row is None:
        raise ApiError("not_found", en=f"alert {alert_id}", zh=f"告警 {alert_id}")
    alert = q.get_alert(svc.store, alert_id)
    if svc.on_ack is not None and alert is not None and alert.key and alert.cleared_at_us is None:
        svc.on_ack(alert.key, claims.sub)  # the live engine stops reminders and the unacknowledged escalation
    return ack_out(row, {user.id: user.username} if user and user.id else {})
