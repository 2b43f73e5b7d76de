"""Monitoring (staff and up): sensors and freshness, latest values, history, statistics, export, quarantine.

Every route naming a sensor, zone or relic takes ``hall=``: sensor ids are
unique only within a hall. It may be left out where the site has one hall.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from bridge.api.context import CanMonitor, CanQuarantine, HallView, Service, Svc
from bridge.api.errors import ApiError
from bridge.api.params import aware
from bridge.api.statistics import describe
from bridge.readings import Reading
from bridge.sensors.registry import Freshness
from bridge.store import Series
from bridge.twin.live import iso
from simulation.quantities import QUANTITIES

router = APIRouter(tags=["monitoring"])

PARTNER = {"temperature": "relative_humidity", "relative_humidity": "temperature"}
#: Longest history one request may span (10 years), so a typo does not scan the whole table forever.
MAX_SPAN = timedelta(days=3660)


#: the ``hall=`` query parameter of every route that names a sensor
HALL = Query(None, max_length=64, description="hall (scene id); optional where the site has one / 展厅")


class SensorOut(BaseModel):
    hall: str
    id: str
    zone: str | None
    case: str | None
    power: str
    quantities: list[str]
    last_seen: str | None
    age_s: float | None
    stale: bool


class ReadingOut(BaseModel):
    hall: str = ""
    sensor: str
    quantity: str
    time: str
    value: float
    unit: str
    quality: str
    stale: bool


class Point(BaseModel):
    time: str
    value: float
    min: float
    max: float
    count: int
    flagged: int


class SeriesOut(BaseModel):
    hall: str
    sensor: str
    quantity: str
    unit: str
    bucket_s: int | None
    points: list[Point]


class HistoryOut(BaseModel):
    start: str
    end: str
    series: list[SeriesOut]


class StatsOut(BaseModel):
    hall: str
    sensor: str
    quantity: str
    unit: str
    start: str
    end: str
    statistics: dict[str, Any]


class QuarantineOut(BaseModel):
    id: int
    source: str
    received_at: str
    reason: str
    payload_size: int
    payload_preview: str


def _latest(svc: Service, h: HallView) -> list[Reading]:
    return h.state.latest() if h.state is not None else svc.store.latest(hall=h.where)


def _now(svc: Service, h: HallView | None = None) -> datetime:
    state = h.state if h is not None else svc.state
    return state.clock() if state is not None else datetime.now(UTC)


def _stale(h: HallView, r: Reading, now: datetime) -> bool:
    if h.state is not None:
        return h.state.is_stale(r, now)
    return now - r.time > Freshness().mains


@router.get("/api/sensors", response_model=list[SensorOut], summary="sensors and freshness / 传感器与数据新鲜度")
def sensors(*, hall: str | None = HALL, svc: Svc, _: CanMonitor) -> list[SensorOut]:
    h = svc.hall(hall)
    now = _now(svc, h)
    latest_ = _latest(svc, h)
    last: dict[str, Reading] = {}
    for r in latest_:
        if r.sensor not in last or r.time > last[r.sensor].time:
            last[r.sensor] = r
    out = []
    known = {s.id: s for s in h.scene.sensors} if h.scene else {}
    for sid in sorted(set(known) | set(last)):
        s = known.get(sid)
        r = last.get(sid)
        out.append(SensorOut(
            hall=h.id, id=sid, zone=s.zone if s else None, case=s.case if s else None,
            power=s.power if s else "mains",
            quantities=list(s.quantities) if s else sorted({x.quantity for x in latest_ if x.sensor == sid}),
            last_seen=iso(r.time) if r else None, age_s=(now - r.time).total_seconds() if r else None,
            stale=_stale(h, r, now) if r else True))
    return out


@router.get("/api/latest", response_model=list[ReadingOut], summary="latest values / 最新读数")
def latest(*, hall: str | None = HALL, zone: str | None = Query(None, max_length=64),
           quantity: str | None = Query(None, max_length=64), svc: Svc, _: CanMonitor) -> list[ReadingOut]:
    h = svc.hall(hall)
    now = _now(svc, h)
    zone_of = h.zone_of()
    return [ReadingOut(hall=h.id, sensor=r.sensor, quantity=r.quantity, time=iso(r.time), value=r.value,
                       unit=r.unit, quality=r.quality, stale=_stale(h, r, now))
            for r in sorted(_latest(svc, h), key=lambda r: (r.sensor, r.quantity))
            if (zone is None or zone_of.get(r.sensor) == zone) and (quantity is None or r.quantity == quantity)]


def sensors_for(h: HallView, sensor: str | None, zone: str | None, relic: str | None) -> list[str]:
    """Sensor ids of hall ``h`` named by exactly one of sensor, zone or relic (catalogue number: its case,
    else its zone)."""
    given = [x for x in (sensor, zone, relic) if x is not None]
    if len(given) != 1:
        raise ApiError("invalid", en="give exactly one of sensor, zone, relic", zh="请只指定传感器、区域或文物之一")
    if sensor is not None:
        return [sensor]
    scene = h.scene
    if scene is None:
        raise ApiError("unavailable", en="no scene loaded: only sensor= works", zh="未加载场景,只能按传感器查询")
    if zone is not None:
        found = [s.id for s in scene.sensors if s.zone == zone]
        if not found and zone not in {z.id for z in scene.zones}:
            raise ApiError("not_found", en=f"zone {zone}", zh=f"区域 {zone}")
        return found
    r = next((x for x in scene.relics if x.id == relic), None)
    if r is None:
        raise ApiError("not_found", en=f"relic {relic}", zh=f"文物 {relic}")
    in_case = [s.id for s in scene.sensors if r.case is not None and s.case == r.case]
    return in_case or [s.id for s in scene.sensors if s.zone == r.zone]


#: years a query window may reach (readings are stamped by sensors that did not exist before 1970)
WINDOW_YEARS = (1970, 2999)


def time_range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """[start, end) in UTC: default the last 24 h; naive times are read as UTC."""
    end_t = aware(end, WINDOW_YEARS) if end else datetime.now(UTC)
    start_t = aware(start, WINDOW_YEARS) if start else end_t - timedelta(hours=24)
    if start_t >= end_t:
        raise ApiError("invalid", en="start must be before end", zh="开始时间须早于结束时间")
    if end_t - start_t > MAX_SPAN:
        raise ApiError("invalid", en="time range longer than 10 years", zh="时间范围超过10年")
    return start_t, end_t


def _quantities(svc: Service, h: HallView, sensor_ids: list[str], quantity: str | None) -> list[tuple[str, str]]:
    if quantity is not None and quantity not in QUANTITIES:
        raise ApiError("invalid", en=f"unknown quantity {quantity}", zh=f"未知物理量 {quantity}")
    known = {s.id: s.quantities for s in h.scene.sensors} if h.scene else {}
    pairs = []
    for sid in sensor_ids:
        qs = known.get(sid) or tuple(sorted({r.quantity for r in _latest(svc, h) if r.sensor == sid}))
        pairs += [(sid, q) for q in qs if quantity is None or q == quantity]
    return pairs


def series_out(s: Series, hall: str = "") -> SeriesOut:
    secs = s.times.astype("datetime64[s]").astype(np.int64)
    pts = [Point(time=iso(datetime.fromtimestamp(int(t), UTC)), value=float(v), min=float(lo), max=float(hi),
                 count=int(c), flagged=int(f))
           for t, v, lo, hi, c, f in zip(secs, s.values, s.minimum, s.maximum, s.count, s.flagged, strict=True)]
    return SeriesOut(hall=hall, sensor=s.sensor, quantity=s.quantity, unit=s.unit, bucket_s=s.bucket_s, points=pts)


def _history(svc: Service, hall: str | None, sensor: str | None, zone: str | None, relic: str | None,
             quantity: str | None, start: datetime | None, end: datetime | None,
             bucket_s: int | None) -> HistoryOut:
    t0, t1 = time_range(start, end)
    h = svc.hall(hall)
    where = h.where
    pairs = _quantities(svc, h, sensors_for(h, sensor, zone, relic), quantity)
    if bucket_s is None:
        total = sum(svc.store.count_readings(sid, q, hall=where) for sid, q in pairs)
        if total > svc.settings.max_points:
            raise ApiError("invalid", en=f"over {svc.settings.max_points} raw points: give bucket_s",
                           zh=f"原始数据点超过 {svc.settings.max_points}:请指定 bucket_s 降采样")
    out = [series_out(svc.store.series(sid, q, t0, t1, bucket_s=bucket_s, hall=where), h.id) for sid, q in pairs]
    return HistoryOut(start=iso(t0), end=iso(t1), series=out)


@router.get("/api/history", response_model=HistoryOut, summary="history with downsampling / 历史数据(可降采样)")
def history(*, hall: str | None = HALL, sensor: str | None = Query(None, max_length=128),
            zone: str | None = Query(None, max_length=64),
            relic: str | None = Query(None, max_length=64), quantity: str | None = Query(None, max_length=64),
            start: datetime | None = None, end: datetime | None = None,
            bucket_s: int | None = Query(None, ge=1, le=366 * 86400, description="bucket width, s / 降采样间隔(秒)"),
            svc: Svc, _: CanMonitor) -> HistoryOut:
    return _history(svc, hall, sensor, zone, relic, quantity, start, end, bucket_s)


@router.get("/api/stats", response_model=StatsOut, summary="statistics / 统计")
def stats(*, hall: str | None = HALL, sensor: str = Query(..., max_length=128),
          quantity: str = Query(..., max_length=64),
          start: datetime | None = None, end: datetime | None = None,
          low: float | None = Query(None, allow_inf_nan=False), high: float | None = Query(None, allow_inf_nan=False),
          svc: Svc, _: CanMonitor) -> StatsOut:
    if quantity not in QUANTITIES:
        raise ApiError("invalid", en=f"unknown quantity {quantity}", zh=f"未知物理量 {quantity}")
    t0, t1 = time_range(start, end)
    h = svc.hall(hall)
    s = svc.store.series(sensor, quantity, t0, t1, hall=h.where)
    partner = None
    if quantity in PARTNER:
        p = svc.store.series(sensor, PARTNER[quantity], t0, t1, hall=h.where)
        partner = (p.times.astype(np.int64).astype(float), p.values)
    result = describe(s.times.astype(np.int64).astype(float), s.values, quantity, low, high, partner)
    return StatsOut(hall=h.id, sensor=sensor, quantity=quantity, unit=s.unit, start=iso(t0), end=iso(t1),
                    statistics=result)


@router.get("/api/export", summary="export history as CSV or JSON / 导出历史数据",
            responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def export(*, hall: str | None = HALL, sensor: str | None = Query(None, max_length=128),
           zone: str | None = Query(None, max_length=64),
           relic: str | None = Query(None, max_length=64), quantity: str | None = Query(None, max_length=64),
           start: datetime | None = None, end: datetime | None = None,
           bucket_s: int | None = Query(None, ge=1, le=366 * 86400),
           format: Literal["csv", "json"] = "csv",
           svc: Svc, _: CanMonitor) -> Response:
    h = _history(svc, hall, sensor, zone, relic, quantity, start, end, bucket_s)
    name = f"relic-twin-{'-'.join(x for x in (hall, sensor or zone or relic) if x)}"
    if format == "json":
        return Response(json.dumps(h.model_dump(), ensure_ascii=False), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{_safe(name)}.json"'})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["time_utc", "hall", "sensor", "quantity", "unit", "value", "min", "max", "count", "flagged"])
    for s in h.series:
        for p in s.points:
            w.writerow([p.time, s.hall, s.sensor, s.quantity, s.unit, repr(p.value), repr(p.min), repr(p.max), p.count,
                        p.flagged])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_safe(name)}.csv"'})


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100]


@router.get("/api/quarantine", response_model=list[QuarantineOut], summary="quarantined input / 隔离数据")
def quarantine(*, limit: int = Query(100, ge=1, le=1000), svc: Svc,
               _: CanQuarantine) -> list[QuarantineOut]:
    return [QuarantineOut(id=i.id, source=i.source, received_at=iso(i.received_at), reason=i.reason,
                          payload_size=i.payload_size, payload_preview=i.payload[:512].decode("utf-8", "replace"))
            for i in svc.store.quarantine(limit)]
