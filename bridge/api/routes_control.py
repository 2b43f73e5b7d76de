"""Climate control (staff see and operate, curators set policies and read the audit trail): the
hall's machines, their state and effect, recommendations to apply with one click, manual overrides,
the audit trail (table ``control_audit``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from bridge.api.context import CanMonitor, CanOperate, CanReadControlAudit, CanSetPolicy, Svc
from bridge.api.errors import ApiError
from bridge.api.params import aware
from bridge.control.audit import KINDS
from bridge.control.runtime import OverrideError

router = APIRouter(tags=["control"])

ActuatorId = Path(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class PolicyIn(BaseModel):
    policy: str = Field(pattern="^(off|advise|auto)$")


class OverrideIn(BaseModel):
    """What to hold, by kind: ``on`` (switches), ``level`` 0..1 (a light; a blind, 0 closed),
    ``mode`` and/or ``setpoint`` °C (an air conditioner)."""

    on: bool | None = None
    level: float | None = Field(None, ge=0.0, le=1.0)
    mode: str | None = Field(None, pattern="^(off|heat|cool|dry|fan_only|auto)$")
    setpoint: float | None = Field(None, ge=5.0, le=35.0)
    minutes: float = Field(gt=0, le=24 * 60)


HallQ = Query(None, max_length=64, description="the hall (a site with several halls) / 展厅")


def _runtime(svc: Any, hall: str | None = None, actuator: str | None = None) -> Any:
    """The control runtime of the hall meant (``hall=`` may be left out where only one hall has machines)."""
    rt = getattr(svc, "control", None)
    controls = getattr(svc, "controls", None) or {}
    if controls:
        if hall is None and len(controls) == 1:
            rt = next(iter(controls.values()))
        else:
            rt = controls.get(svc.hall(hall).id)
    if rt is None:
        raise ApiError("not_found", "no climate control runs on this server (no [[actuators]] in the scene)",
                       "此服务器未运行环境控制（场景中没有执行器）")
    if actuator is not None and actuator not in rt.actuators:
        raise ApiError("not_found", f"no actuator {actuator!r}", f"没有执行器 {actuator!r}")
    return rt


@router.get("/api/control", summary="actuators, state, policy / 执行器状态与策略")
def control_status(svc: Svc, _: CanMonitor, hall: str | None = HallQ) -> dict[str, Any]:
    rt = _runtime(svc, hall)
    return {"hall": rt.hall, "actuators": rt.status(), "alerts": rt.alerts[-50:]}


@router.get("/api/control/audit", summary="the audit trail (curator) / 控制审计记录（保管员）")
def control_audit(svc: Svc, _: CanReadControlAudit, actuator: str | None = Query(None, max_length=64),
                  kind: str | None = Query(None, pattern=f"^({'|'.join(KINDS)})$"),
                  start: Annotated[datetime | None, Query(alias="from")] = None,
                  end: Annotated[datetime | None, Query(alias="to")] = None,
                  limit: int = Query(200, ge=1, le=5000), hall: str | None = HallQ) -> list[dict[str, Any]]:
    """Recommendations, commands, echoes, effects, alerts, policy changes, overrides and interlock
    trips of the hall's machines, oldest first (the newest ``limit`` of them in ``[from, to)``)."""
    rt = _runtime(svc, hall)
    return rt.audit.entries(actuator, kind, limit, start=aware(start) if start else None,
                            end=aware(end) if end else None)


@router.put("/api/control/{actuator}/policy", summary="set a policy (curator) / 设置控制策略")
def set_policy(body: PolicyIn, svc: Svc, claims: CanSetPolicy, actuator: str = ActuatorId,
               hall: str | None = HallQ) -> dict[str, Any]:
    rt = _runtime(svc, hall, actuator)
    rt.set_policy(actuator, body.policy, claims.sub, claims.role)
    return {"actuator": actuator, "policy": body.policy}


@router.post("/api/control/{actuator}/override", summary="manual override for a time / 人工接管")
def override(body: OverrideIn, svc: Svc, claims: CanOperate, actuator: str = ActuatorId,
               hall: str | None = HallQ) -> dict[str, Any]:
    rt = _runtime(svc, hall, actuator)
    command = body.model_dump(exclude={"minutes"}, exclude_none=True)
    try:
        rt.set_override(actuator, command, body.minutes, claims.sub)
    except OverrideError as exc:
        raise ApiError("invalid", exc.message["en"], exc.message["zh-CN"]) from exc
    return {"actuator": actuator, **command, "minutes": body.minutes}


@router.post("/api/control/{actuator}/apply", summary="apply the recommendation / 一键执行建议")
def apply(svc: Svc, claims: CanOperate, actuator: str = ActuatorId,
               hall: str | None = HallQ) -> dict[str, Any]:
    rt = _runtime(svc, hall, actuator)
    if not rt.apply_recommendation(actuator, claims.sub):
        raise ApiError("conflict", "no standing recommendation for this actuator", "该执行器当前没有建议")
    return {"actuator": actuator, "applied": True}
