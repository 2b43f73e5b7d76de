"""What the staff monitor's panel and replay slider ask of the store (no Panda3D here).

- :func:`details`: for a relic or a sensor, the last 24 h of the relevant
  series (the relic's case sensor, else its zone's room sensor, as
  :func:`simulation.scene_alerts.representative_sensor` chooses; a sensor
  is its own), a 12 h forecast with its band (:func:`simulation.forecast.forecast`),
  the material profile's limits and, for a relic, its current risk and
  conservation metrics (:mod:`simulation.risk`);
- :func:`state_at`: the hall as stored at a past instant: the last reading of
  every sensor and quantity at or before it, and the alerts open then.

Both return plain JSON-able dicts; the embedded monitor calls them directly,
a remote one through ``GET /api/details`` and ``GET /api/state``
(:mod:`bridge.api.routes_details`). Shapes::

    details -> {"kind", "id", "time", "quantity", "unit", "sensor",
                "history": {"t_h": [...], "time": [...], "values": [...]},
                "forecast": {"t_h", "mean", "lower", "upper", "level", "model"} | None,
                "limits": {"low", "high"} | None,
                "risk": {"level", "check"} | None,
                "lines": [{"label": {"zh-CN", "en"}, "value": {"zh-CN", "en"}}, ...]}
    state_at -> {"time", "readings": [feed readings], "alerts": [feed alerts]}

``t_h`` are hours relative to ``time`` (negative: the past), as the panel's chart wants them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlmodel import col, select

from bridge.sensors.registry import Freshness
from bridge.store import Store, queries
from bridge.store.epoch import from_us, to_us
from bridge.store.models import Alert, AlertAck
from bridge.twin.live import iso
from simulation.forecast import forecast
from simulation.materials import Band, MaterialProfile, load_profiles
from simulation.quantities import QUANTITIES
from simulation.risk import RelicRisk, assess_relic
from simulation.scene import Relic, Scene, Sensor
from simulation.scene_alerts import relic_sources, representative_sensor

BUCKET_S = 600
"""Chart and forecast step, s (10 min: 144 points a day)."""
HISTORY = timedelta(hours=24)
"""What the panel's chart shows of the past."""
HORIZON = timedelta(hours=12)
"""How far ahead the panel forecasts."""
RISK_WINDOW = timedelta(days=7)
"""History read for risk (``RiskSettings.window_s``) and as the forecaster's backtest."""
STATE_LOOKBACK = timedelta(days=2)
"""Readings older than this before a replay instant are not part of its state."""
MAX_ALERTS = 200

Text = dict[str, str]


class NotFound(LookupError):
    """No relic or sensor of that id in the scene."""


@functools.lru_cache(maxsize=1)
def _shipped_profiles() -> Mapping[str, MaterialProfile]:
    return load_profiles()


def _both(zh: str, en: str) -> Text:
    return {"zh-CN": zh, "en": en}


def _line(label: Text, value: Text | str) -> dict[str, Text]:
    return {"label": label, "value": value if isinstance(value, dict) else _both(value, value)}


def _fmt(quantity: str, value: float) -> str:
    q = QUANTITIES.get(quantity)
    return f"{value:.{q.precision if q else 1}f}"


def _grid(store: Store, sensor: str, quantity: str, now: datetime, span: timedelta,
          hall: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bucket starts (s since epoch) and bucket means (NaN where empty) on a regular
    ``BUCKET_S`` grid ending with the bucket holding ``now``; flagged readings left out."""
    end = now + timedelta(microseconds=1)  # "at or before now"
    s = store.series(sensor, quantity, now - span, end, bucket_s=BUCKET_S, only_ok=True, hall=hall)
    last = int(math.floor(now.timestamp() / BUCKET_S))
    n = int(span.total_seconds() // BUCKET_S) + 1
    starts = (np.arange(last - n + 1, last + 1, dtype=np.int64)) * BUCKET_S
    values = np.full(n, np.nan)
    if len(s):
        secs = s.times.astype("datetime64[s]").astype(np.int64)
        idx = (secs // BUCKET_S) - (last - n + 1)
        ok = (idx >= 0) & (idx < n)
        values[idx[ok]] = s.values[ok]
    return starts, values


def _series_block(store: Store, sensor: str, quantity: str, now: datetime, with_forecast: bool = True,
                  hall: str | None = None,
                  ) -> tuple[dict[str, list], dict[str, Any] | None, tuple[np.ndarray, np.ndarray]]:
    """History (24 h, buckets with data), forecast (12 h) and the risk window's (times, values)."""
    starts, values = _grid(store, sensor, quantity, now, RISK_WINDOW, hall)
    now_s = now.timestamp()
    recent = (starts >= now_s - HISTORY.total_seconds()) & np.isfinite(values)
    history = {
        "t_h": [round((float(t) - now_s) / 3600.0, 6) for t in starts[recent]],
        "time": [iso(datetime.fromtimestamp(int(t), UTC)) for t in starts[recent]],
        "values": [float(v) for v in values[recent]],
    }
    fc: dict[str, Any] | None = None
    if with_forecast and np.isfinite(values).any():
        steps = int(HORIZON.total_seconds() // BUCKET_S)
        q = QUANTITIES.get(quantity)
        f = forecast(values, BUCKET_S, steps, limits=(q.low, q.high) if q else None)
        if np.isfinite(f.mean).all():
            lead_t = starts[-1] + BUCKET_S * np.arange(1, steps + 1)
            # a band the forecaster could not size (too little history) collapses onto the mean
            lower = np.where(np.isfinite(f.lower), np.minimum(f.lower, f.mean), f.mean)
            upper = np.where(np.isfinite(f.upper), np.maximum(f.upper, f.mean), f.mean)
            fc = {
                "t_h": [round((float(t) - now_s) / 3600.0, 6) for t in lead_t],
                "mean": [float(v) for v in f.mean],
                "lower": [float(v) for v in lower],
                "upper": [float(v) for v in upper],
                "level": float(f.level),
                "model": f.model,
            }
    have = np.isfinite(values)
    times = starts[have].astype("datetime64[s]")
    return history, fc, (times, values[have])


def _limits(band: Band | None) -> dict[str, float | None] | None:
    if band is None or (band.low is None and band.high is None):
        return None
    return {"low": band.low, "high": band.high}


def _band_text(quantity: str, limits: Mapping[str, float | None]) -> str:
    unit = QUANTITIES[quantity].unit if quantity in QUANTITIES else ""
    low, high = limits.get("low"), limits.get("high")
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {unit}"
    return f"≤ {high:g} {unit}" if high is not None else f"≥ {low:g} {unit}"


def _qlabel(quantity: str) -> Text:
    q = QUANTITIES.get(quantity)
    return _both(q.zh, q.en) if q is not None else _both(quantity, quantity)


def _common_lines(quantity: str, history: Mapping[str, list], fc: Mapping[str, Any] | None,
                  limits: Mapping[str, float | None] | None, sensor: str | None = None) -> list[dict[str, Text]]:
    """Limits; the 24 h range and the 12 h forecast of ``sensor`` (named in the label: the same
    sensor the chart draws), or "no data" when it has none in the last 24 h."""
    lines = []
    unit = QUANTITIES[quantity].unit if quantity in QUANTITIES else ""
    of = f" · {sensor}" if sensor else ""
    if limits is not None:
        lines.append(_line(_both("限值", "Limits"), _band_text(quantity, limits)))
    if history["values"]:
        lo, hi = min(history["values"]), max(history["values"])
        lines.append(_line(_both(f"24小时范围{of}", f"24 h range{of}"),
                           f"{_fmt(quantity, lo)}–{_fmt(quantity, hi)} {unit}"))
    else:
        lines.append(_line(_both(f"24小时范围{of}", f"24 h range{of}"), _both("无数据", "no data")))
    if fc is not None:
        m, lo, hi = fc["mean"][-1], fc["lower"][-1], fc["upper"][-1]
        lines.append(_line(_both(f"12小时预测{of}", f"In 12 h{of}"),
                           f"{_fmt(quantity, m)} ({_fmt(quantity, lo)}–{_fmt(quantity, hi)}) {unit}"))
    return lines


def _risk_lines(risk: RelicRisk) -> list[dict[str, Text]]:
    lines = []
    worst = risk.worst()
    if worst is not None:
        base = worst.check.removesuffix("_change_24h")
        what = _qlabel(base) if base in QUANTITIES else _both(worst.check, worst.check)
        if worst.check.endswith("_change_24h"):
            what = {k: f"{v} Δ24h" for k, v in what.items()}
        elif worst.check == "light_dose":
            what = _both("年曝光量", "light dose")
        lines.append(_line(_both("风险", "Risk"), {
            lang: f"{risk.level.label(lang)} · {what[lang]}" if worst.level > 0 else risk.level.label(lang)
            for lang in ("zh-CN", "en")}))
    m = risk.metrics
    if "pi_years" in m:
        lines.append(_line(_both("PI / TWPI", "PI / TWPI"), _both(f"{m['pi_years']:.0f} / {m['twpi_years']:.0f} 年",
                                                                   f"{m['pi_years']:.0f} / {m['twpi_years']:.0f} a")))
        lines.append(_line(_both("木材平衡含水率", "EMC (wood)"), f"{m['emc_percent']:.1f} %"))
        lines.append(_line(_both("霉菌萌发进度", "Mould germination"), f"{100 * m['mould_progress']:.0f} %"))
    return lines


def _relic_series(store: Store, scene: Scene, relic: Relic, profile: MaterialProfile | None, quantity: str | None,
                  now: datetime) -> tuple[str, Sensor | None, dict[str, tuple[np.ndarray, np.ndarray]],
                                          dict[str, tuple[dict, dict | None]]]:
    """The chart's quantity and sensor, the risk series per quantity of the profile,
    and history/forecast blocks (forecast only for the chart's quantity)."""
    candidates = [quantity] if quantity else []
    candidates += ["relative_humidity", "temperature", *(profile.bands if profile else ())]
    chart, chart_sensor = candidates[0], None
    for q in candidates:
        sensor = representative_sensor(scene, relic, q) if q in QUANTITIES else None
        if sensor is not None:
            chart, chart_sensor = q, sensor
            break
    blocks: dict[str, tuple[dict, dict | None]] = {}
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for q in (profile.bands if profile is not None else ()):
        sensor = representative_sensor(scene, relic, q)
        if sensor is None:
            continue
        history, fc, risk_series = _series_block(store, sensor.id, q, now, with_forecast=q == chart, hall=scene.id)
        blocks[q] = (history, fc)
        if risk_series[1].size:
            series[q] = risk_series
    return chart, chart_sensor, series, blocks


def details(store: Store, scene: Scene, target_kind: str, target_id: str, now: datetime,
            quantity: str | None = None, profiles: Mapping[str, MaterialProfile] | None = None) -> dict[str, Any]:
    """The panel of relic or sensor ``target_id`` at ``now`` (see the module docstring).

    quantity : the quantity to chart (the monitor's shown one); a relic falls back
        to RH, then temperature, then its profile's quantities; a sensor to its first quantity.
    Raises :class:`NotFound` for an unknown id, ValueError for another kind.
    """
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    profiles = _shipped_profiles() if profiles is None else profiles
    risk_out: dict[str, str] | None = None
    lines: list[dict[str, Text]] = []
    if target_kind == "relic":
        relic = next((r for r in scene.relics if r.id == target_id), None)
        if relic is None:
            raise NotFound(f"relic {target_id}")
        profile = profiles.get(relic.profile)
        q, sensor, series, blocks = _relic_series(store, scene, relic, profile, quantity, now)
        limits = _limits(profile.band(q)) if profile is not None else None
        if profile is not None and series:
            risk = assess_relic(relic.id, profile, series)
            worst = risk.worst()
            risk_out = {"level": risk.level.label("en"), "check": worst.check if worst else ""}
            lines += _risk_lines(risk)
        elif profile is not None:
            lines.append(_line(_both("风险", "Risk"), _both("无数据", "no data")))
    elif target_kind == "sensor":
        sensor = next((s for s in scene.sensors if s.id == target_id), None)
        if sensor is None:
            raise NotFound(f"sensor {target_id}")
        q = quantity if quantity in sensor.quantities else (sensor.quantities[0] if sensor.quantities else "temperature")
        limits = _sensor_limits(scene, profiles, sensor.id, q)
        blocks = {}
        represents = sorted({r for (r, _), s in relic_sources(scene, profiles).items() if s == sensor.id})
        if represents:
            names = [scene.relic(r).name for r in represents]
            lines.append(_line(_both("代表文物", "Stands for"),
                               {lang: ", ".join(n.get(lang) or n.get("en", "") for n in names)[:28]
                                for lang in ("zh-CN", "en")}))
    else:
        raise ValueError(f"kind must be relic or sensor, not {target_kind!r}")
    if q in blocks:
        history, fc = blocks[q]
    elif sensor is not None:
        history, fc, _ = _series_block(store, sensor.id, q, now, hall=scene.id)
    else:
        history, fc = {"t_h": [], "time": [], "values": []}, None
    if not history["values"]:  # nothing in the last 24 h: no forecast from older data
        fc = None
    lines = lines[:1] + _common_lines(q, history, fc, limits, sensor.id if sensor is not None else None) + lines[1:]
    return {
        "kind": target_kind, "id": target_id, "time": iso(now), "quantity": q,
        "unit": QUANTITIES[q].unit if q in QUANTITIES else "", "sensor": sensor.id if sensor is not None else None,
        "history": history, "forecast": fc, "limits": limits, "risk": risk_out, "lines": lines,
    }


def _sensor_limits(scene: Scene, profiles: Mapping[str, MaterialProfile], sensor_id: str,
                   quantity: str) -> dict[str, float | None] | None:
    """The strictest band on ``quantity`` among the relics the sensor stands for."""
    lows, highs = [], []
    for (relic_id, q), sid in relic_sources(scene, profiles).items():
        if sid != sensor_id or q != quantity:
            continue
        band = profiles[scene.relic(relic_id).profile].band(q)
        if band is not None:
            lows += [band.low] if band.low is not None else []
            highs += [band.high] if band.high is not None else []
    if not lows and not highs:
        return None
    return {"low": max(lows) if lows else None, "high": min(highs) if highs else None}


def state_at(store: Store, scene: Scene | None, when: datetime,
             freshness: Freshness | None = None) -> dict[str, Any]:
    """The hall as stored at ``when``: the last reading of every (sensor, quantity)
    at or before it (within :data:`STATE_LOOKBACK`), in the live feed's shape
    (``stale`` judged at ``when``), and the alerts open at ``when``."""
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    fresh = freshness or Freshness()
    sensors = [s.id for s in scene.sensors] if scene is not None else None
    power = {s.id: s.power for s in scene.sensors} if scene is not None else {}
    with store.transaction() as conn:
        rows = queries.latest_before(conn, to_us(when), to_us(when - STATE_LOOKBACK), sensors,
                                     hall=scene.id if scene is not None else None)
    readings = [{"sensor": r.sensor, "quantity": r.quantity, "time": iso(r.time), "value": r.value, "unit": r.unit,
                 "quality": r.quality, "stale": when - r.time > fresh.period(power.get(r.sensor, "mains"))}
                for r in rows]
    return {"time": iso(when), "readings": readings, "alerts": alerts_at(store, when)}


def alerts_at(store: Store, when: datetime, limit: int = MAX_ALERTS) -> list[dict[str, Any]]:
    """Stored alerts open at ``when`` (raised at or before, cleared after), in the feed's shape,
    ``acknowledged`` when an acknowledgement was stored by then."""
    t = to_us(when)
    with store.session() as s:
        stmt = (select(Alert).where(col(Alert.raised_at_us) <= t)
                .where((col(Alert.cleared_at_us).is_(None)) | (col(Alert.cleared_at_us) > t))
                .order_by(col(Alert.raised_at_us).desc()).limit(limit))
        rows = list(s.exec(stmt))
        ids = [a.id for a in rows if a.id is not None]
        acked = set(s.exec(select(AlertAck.alert_id).where(col(AlertAck.alert_id).in_(ids))
                           .where(col(AlertAck.acked_at_us) <= t))) if ids else set()
    return [_alert_json(a, a.id in acked) for a in rows]


def _alert_json(a: Alert, acknowledged: bool) -> dict[str, Any]:
    if a.target_kind:
        target = {"kind": a.target_kind, "id": a.target_id}
    elif a.sensor:
        target = {"kind": "sensor", "id": a.sensor}
    else:
        target = {"kind": "zone" if a.zone_id else "hall", "id": a.zone_id or ""}
    return {"id": a.key or f"stored-{a.id}", "tier": a.tier, "target": target, "cause": a.cause or a.quantity,
            "message": _both(a.message_zh or a.message_en, a.message_en or a.message_zh),
            "started_at": iso(from_us(a.raised_at_us)), "acknowledged": acknowledged}


def parse_iso(text: str) -> datetime:
    """An ISO 8601 instant as aware UTC (naive = UTC); ValueError when unreadable."""
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


__all__ = ["BUCKET_S", "HORIZON", "NotFound", "alerts_at", "details", "parse_iso", "state_at"]
