"""The relic archive: public content for everyone, full records for staff, edits for curators.

A visitor sees names, era, material and annotations only; catalogue
details (provenance, condition, location) and preservation records need
``records:read``; creating and changing them needs ``archive:write``.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bridge.api.context import CanReadRecords, CanReadRelics, CanWriteArchive, Service, Svc
from bridge.api.errors import ApiError
from bridge.api.params import DbId, aware
from bridge.errors import StorageError
from bridge.store import service_queries as q
from bridge.store.epoch import from_us, to_us
from bridge.store.models import PreservationRecord, Relic

router = APIRouter(tags=["relics"])

RECORD_KINDS = "^(inspection|intervention|loan|treatment)$"


class Annotation(BaseModel):
    id: str
    title: dict[str, str]
    text: dict[str, str]
    style: str
    position: list[float]
    normal: list[float]


class RelicPublic(BaseModel):
    id: int
    catalogue_number: str
    name: dict[str, str]
    era: dict[str, str]
    material: dict[str, str]
    annotations: list[Annotation] = []


class RelicIn(BaseModel):
    catalogue_number: str = Field(min_length=1, max_length=64)
    name_zh: str = Field(default="", max_length=500)
    name_en: str = Field(default="", max_length=500)
    era: str = Field(default="", max_length=200)
    material: str = Field(default="", max_length=200)
    height_mm: float | None = Field(default=None, ge=0, le=1e6)
    width_mm: float | None = Field(default=None, ge=0, le=1e6)
    depth_mm: float | None = Field(default=None, ge=0, le=1e6)
    weight_g: float | None = Field(default=None, ge=0, le=1e9)
    provenance: str = Field(default="", max_length=10_000)
    condition: str = Field(default="", max_length=10_000)
    description_zh: str = Field(default="", max_length=20_000)
    description_en: str = Field(default="", max_length=20_000)


class RelicPatch(BaseModel):
    name_zh: str | None = Field(default=None, max_length=500)
    name_en: str | None = Field(default=None, max_length=500)
    era: str | None = Field(default=None, max_length=200)
    material: str | None = Field(default=None, max_length=200)
    height_mm: float | None = Field(default=None, ge=0, le=1e6)
    width_mm: float | None = Field(default=None, ge=0, le=1e6)
    depth_mm: float | None = Field(default=None, ge=0, le=1e6)
    weight_g: float | None = Field(default=None, ge=0, le=1e9)
    provenance: str | None = Field(default=None, max_length=10_000)
    condition: str | None = Field(default=None, max_length=10_000)
    description_zh: str | None = Field(default=None, max_length=20_000)
    description_en: str | None = Field(default=None, max_length=20_000)


class RelicFull(RelicIn):
    id: int


class RecordIn(BaseModel):
    kind: str = Field(pattern=RECORD_KINDS)
    what: str = Field(default="", max_length=10_000)
    who: str = Field(default="", max_length=200)
    started_at: datetime
    ended_at: datetime | None = None
    counterparty: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=20_000)


class RecordPatch(BaseModel):
    what: str | None = Field(default=None, max_length=10_000)
    who: str | None = Field(default=None, max_length=200)
    ended_at: datetime | None = None
    counterparty: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=20_000)


class RecordOut(BaseModel):
    id: int
    relic_id: int
    kind: str
    what: str
    who: str
    started_at: str
    ended_at: str | None
    counterparty: str
    notes: str


def _annotations(scene_relic: object) -> list[Annotation]:
    return [Annotation(id=a.id, title=dict(a.title), text=dict(a.text), style=a.style,
                       position=[float(x) for x in a.position], normal=[float(x) for x in a.normal])
            for a in getattr(scene_relic, "annotations", ())]


def public(svc: Service, relic: Relic, with_annotations: bool = False) -> RelicPublic:
    """The public view; era and material in both languages from the scene when it holds the relic."""
    in_scene = next((r for r in svc.scene.relics if r.id == relic.catalogue_number), None) if svc.scene else None
    era = dict(in_scene.era) if in_scene and in_scene.era else {"zh-CN": relic.era, "en": relic.era}
    material = dict(in_scene.material) if in_scene else {"zh-CN": relic.material, "en": relic.material}
    return RelicPublic(id=relic.id or 0, catalogue_number=relic.catalogue_number,
                       name={"zh-CN": relic.name_zh, "en": relic.name_en}, era=era, material=material,
                       annotations=_annotations(in_scene) if with_annotations and in_scene else [])


def full(relic: Relic) -> RelicFull:
    return RelicFull.model_validate(relic.model_dump())


def record_out(r: PreservationRecord) -> RecordOut:
    return RecordOut(id=r.id or 0, relic_id=r.relic_id, kind=r.kind, what=r.what, who=r.who,
                     started_at=from_us(r.started_at_us).isoformat(),
                     ended_at=from_us(r.ended_at_us).isoformat() if r.ended_at_us is not None else None,
                     counterparty=r.counterparty, notes=r.notes)


def _relic(svc: Service, relic_id: int) -> Relic:
    relic = q.get_relic(svc.store, relic_id)
    if relic is None:
        raise ApiError("not_found", en=f"relic {relic_id}", zh=f"文物 {relic_id}")
    return relic


@router.get("/api/relics", response_model=list[RelicPublic], summary="relics (public) / 文物列表(公开)")
def relics(*, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9),
           svc: Svc, _: CanReadRelics) -> list[RelicPublic]:
    return [public(svc, r) for r in q.list_relics(svc.store, limit, offset)]


@router.get("/api/relics/{relic_id}", response_model=RelicPublic, summary="one relic (public) / 文物(公开)")
def relic(*, relic_id: DbId, svc: Svc,
          _: CanReadRelics) -> RelicPublic:
    return public(svc, _relic(svc, relic_id), with_annotations=True)


@router.get("/api/relics/{relic_id}/details", response_model=RelicFull, summary="catalogue entry / 档案详情")
def relic_details(*, relic_id: DbId, svc: Svc,
                  _: CanReadRecords) -> RelicFull:
    return full(_relic(svc, relic_id))


@router.post("/api/relics", response_model=RelicFull, status_code=201, summary="add a relic / 新增文物")
def create_relic(*, new: RelicIn, svc: Svc,
                 _: CanWriteArchive) -> RelicFull:
    if q.relic_by_catalogue(svc.store, new.catalogue_number) is not None:
        raise ApiError("conflict", en=f"catalogue number {new.catalogue_number} exists", zh="编号已存在")
    try:
        return full(q.save(svc.store, Relic(**new.model_dump())))
    except StorageError as exc:
        raise ApiError("conflict", en="the archive refused this relic", zh="档案拒绝了该文物") from exc


@router.patch("/api/relics/{relic_id}", response_model=RelicFull, summary="change a relic / 修改文物")
def update_relic(*, relic_id: DbId, patch: RelicPatch, svc: Svc,
                 _: CanWriteArchive) -> RelicFull:
    row = _relic(svc, relic_id)
    for k, v in patch.model_dump(exclude_none=True).items():
        setattr(row, k, v)
    return full(q.save(svc.store, row))


@router.get("/api/relics/{relic_id}/records", response_model=list[RecordOut], summary="preservation records / 保护记录")
def records(*, relic_id: DbId, svc: Svc,
            _: CanReadRecords) -> list[RecordOut]:
    _relic(svc, relic_id)
    return [record_out(r) for r in q.list_records(svc.store, relic_id)]


@router.post("/api/relics/{relic_id}/records", response_model=RecordOut, status_code=201,
             summary="add a preservation record / 新增保护记录")
def create_record(*, relic_id: DbId, new: RecordIn, svc: Svc,
                  _: CanWriteArchive) -> RecordOut:
    _relic(svc, relic_id)
    start = aware(new.started_at)
    end = aware(new.ended_at) if new.ended_at else None
    if end is not None and end < start:
        raise ApiError("invalid", en="ended_at before started_at", zh="结束时间早于开始时间")
    row = PreservationRecord(relic_id=relic_id, kind=new.kind, what=new.what, who=new.who,
                             started_at_us=to_us(start), ended_at_us=to_us(end) if end else None,
                             counterparty=new.counterparty, notes=new.notes)
    return record_out(q.save(svc.store, row))


@router.get("/api/records/{record_id}", response_model=RecordOut, summary="one record / 保护记录")
def record(*, record_id: DbId, svc: Svc,
           _: CanReadRecords) -> RecordOut:
    row = q.get_record(svc.store, record_id)
    if row is None:
        raise ApiError("not_found", en=f"record {record_id}", zh=f"记录 {record_id}")
    return record_out(row)


@router.patch("/api/records/{record_id}", response_model=RecordOut, summary="change a record / 修改保护记录")
def update_record(*, record_id: DbId, patch: RecordPatch, svc: Svc,
                  _: CanWriteArchive) -> RecordOut:
    row = q.get_record(svc.store, record_id)
    if row is None:
        raise ApiError("not_found", en=f"record {record_id}", zh=f"记录 {record_id}")
    changes = patch.model_dump(exclude_none=True)
    if "ended_at" in changes:
        end_us = to_us(aware(changes.pop("ended_at")))
        if end_us < row.started_at_us:
            raise ApiError("invalid", en="ended_at before started_at", zh="结束时间早于开始时间")
        row.ended_at_us = end_us
    for k, v in changes.items():
        setattr(row, k, v)
    return record_out(q.save(svc.store, row))


def seed_from_scene(svc: Service) -> int:
    """Catalogue the relics of the scene (or of every hall served) that the archive lacks (catalogue
    number = scene id); returns how many."""
    scenes = [svc.scene] if svc.scene is not None else [h.scene for h in svc.halls.values() if h.scene]
    added = 0
    for r in (r for scene in scenes for r in scene.relics):
        if q.relic_by_catalogue(svc.store, r.id) is None:
            q.save(svc.store, Relic(catalogue_number=r.id, name_zh=r.name.get("zh-CN", ""), name_en=r.name.get("en", ""),
                                    era=r.era.get("en", ""), material=r.material.get("en", "")))
            added += 1
    return added
