"""Material profiles and their thresholds (read: staff; change: curator), and service settings (admin).

The shipped limits live in ``scenes/materials.toml`` with their sources; a
curator's change is kept in the ``material_profile`` table (with the
reason or source the curator gives) and shown over the shipped bands.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, model_validator

from bridge.api.auth import PERMISSIONS, ROLES
from bridge.api.context import CanMonitor, CanSettings, CanThresholds, Service, Svc
from bridge.api.errors import ApiError
from bridge.store import service_queries as q
from bridge.store.models import MaterialProfile as ProfileRow
from simulation.materials import MaterialError, load_profiles
from simulation.quantities import QUANTITIES

router = APIRouter(tags=["profiles"])


class BandIn(BaseModel):
    low: float | None = Field(default=None, allow_inf_nan=False)
    high: float | None = Field(default=None, allow_inf_nan=False)
    max_change_24h: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    annual_exposure: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> BandIn:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low above high / 下限高于上限")
        return self


class ThresholdsIn(BaseModel):
    bands: dict[str, BandIn]
    source: str = Field(min_length=1, max_length=2000, description="reason or source / 依据或来源")


class ProfileOut(BaseModel):
    key: str
    name: dict[str, str]
    group: str
    bands: dict[str, dict[str, Any]]
    overridden: bool
    source: str


def _shipped() -> dict[str, Any]:
    try:
        return load_profiles()
    except (MaterialError, OSError) as exc:
        raise ApiError("unavailable", en="material profiles cannot be read", zh="无法读取材料档案") from exc


def _profile(svc: Service, key: str, shipped: Any) -> ProfileOut:
    bands = {qn: {"low": b.low, "high": b.high, "max_change_24h": b.max_change_24h,
                  "annual_exposure": b.annual_exposure} for qn, b in shipped.bands.items()}
    with svc.store.session() as s:
        row = s.get(ProfileRow, key)
    overridden = row is not None and row.limits_json not in ("", "{}")
    if overridden and row is not None:
        bands |= json.loads(row.limits_json)
    return ProfileOut(key=key, name={"zh-CN": shipped.zh, "en": shipped.en}, group=shipped.group, bands=bands,
                      overridden=overridden, source=row.source if overridden and row else "scenes/materials.toml")


@router.get("/api/profiles", response_model=list[ProfileOut], summary="material profiles / 材料档案")
def profiles(*, svc: Svc, _: CanMonitor) -> list[ProfileOut]:
    return [_profile(svc, k, p) for k, p in sorted(_shipped().items())]


@router.put("/api/profiles/{key}", response_model=ProfileOut, summary="set thresholds / 设置阈值")
def set_thresholds(*, key: Annotated[str, Path(max_length=64)], body: ThresholdsIn, request: Request, svc: Svc,
                   claims: CanThresholds) -> ProfileOut:
    shipped = _shipped()
    if key not in shipped:
        raise ApiError("not_found", en=f"profile {key}", zh=f"材料档案 {key}")
    unknown = sorted(set(body.bands) - set(QUANTITIES))
    if unknown:
        raise ApiError("invalid", en=f"unknown quantities {unknown}", zh=f"未知物理量 {unknown}")
    p = shipped[key]
    with svc.store.session() as s:
        row = s.get(ProfileRow, key) or ProfileRow(id=key, name_zh=p.zh, name_en=p.en)
    limits = json.loads(row.limits_json or "{}") | {qn: b.model_dump() for qn, b in body.bands.items()}
    row.limits_json = json.dumps(limits)
    row.source = body.source
    q.save(svc.store, row)
    q.audit(svc.store, "thresholds_change", actor=claims.sub, target=key,
            address=request.client.host if request.client else "",
            detail=json.dumps({qn: b.model_dump() for qn, b in body.bands.items()})[:1000])
    return _profile(svc, key, p)


class SettingsOut(BaseModel):
    hall: str | None
    roles: dict[str, list[str]]
    token_ttl_s: int
    rate_per_s: float
    burst: int
    max_body: int
    max_upload: int


@router.get("/api/settings", response_model=SettingsOut, summary="service settings / 服务设置")
def settings(*, svc: Svc, _: CanSettings) -> SettingsOut:
    s = svc.settings
    return SettingsOut(hall=svc.scene.id if svc.scene else None,
                       roles={r: sorted(PERMISSIONS[r]) for r in ROLES}, token_ttl_s=s.token_ttl_s,
                       rate_per_s=s.rate_per_s, burst=s.burst, max_body=s.max_body, max_upload=s.max_upload)
