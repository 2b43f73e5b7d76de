"""What a hall's report is made of, read from the store and turned into figures.

:func:`hall_report` reads, for one hall (scene) and one period:

- per relic, the series of the sensors standing for it
  (:func:`simulation.scene_alerts.relic_sources`), readings of quality ``ok`` only,
  and 12 months of RH history for the EN 15757 band; the figures of
  :func:`simulation.report_figures.relic_figures`; the share of each day outside any
  of its limits (the calendar chart);
- the hall's coldest temperature per hour (the cold surface of the dew-point margin);
- per sensor and quantity: completeness, gaps, flagged readings; quarantined input
  naming the sensor; its calibration and whether it is due;
- the alerts about the hall's targets raised in the period: when acknowledged (how long
  after) and cleared.

Times are UTC; the period is ``[start, end)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, or_, select

from bridge.control.audit import entries as audit_entries
from bridge.sensors import native
from bridge.store import Store
from bridge.store.epoch import from_us, to_us
from bridge.store.models import Alert, AlertAck, QuarantineRow
from simulation.completeness import Completeness, completeness
from simulation.compliance import daily_share, inside_band
from simulation.materials import MaterialProfile
from simulation.report_figures import Figure, Series, relic_figures
from simulation.scene import Relic, Scene
from simulation.scene_alerts import relic_sources

HISTORY = timedelta(days=365)
"""How far back the EN 15757 band looks (the standard asks for at least a year of record)."""


@dataclass(frozen=True)
class RelicReport:
    """One relic: its sources (quantity -> sensor), series of the period, figures and daily risk.

    series : quantity -> (t_s, values), ok readings of the period
    history_rh : RH of up to 12 months ending at the period's end (EN 15757), or None
    daily_outside : (days,) share of each day outside any limit, NaN = no record
    """

    relic: Relic
    profile: MaterialProfile
    sources: Mapping[str, str]
    series: Mapping[str, Series]
    history_rh: Series | None
    figures: tuple[Figure, ...]
    daily_outside: np.ndarray


@dataclass(frozen=True)
class SensorQuality:
    """One sensor and quantity over the period: completeness of what was stored, readings
    flagged (quality not ``ok``: left out of the figures), and the share of the expected
    readings the figures could use."""

    sensor: str
    quantity: str
    completeness: Completeness
    flagged: int

    @property
    def used_share(self) -> float:
        c = self.completeness
        return min(1.0, (c.received - self.flagged) / c.expected) if c.expected else float("nan")


@dataclass(frozen=True)
class AlertSummary:
    """An alert raised in the period: when acknowledged (first) and cleared, None if not yet."""

    id: int
    tier: str
    cause: str
    target: str
    message_zh: str
    message_en: str
    raised_at: datetime
    acknowledged_at: datetime | None
    cleared_at: datetime | None

    @property
    def ack_delay_s(self) -> float | None:
        return None if self.acknowledged_at is None else (self.acknowledged_at - self.raised_at).total_seconds()


@dataclass(frozen=True)
class WhatIfRun:
    """A what-if run finished in the period: its scenario, when, and which relics crossed a limit."""

    scenario: str
    title: Mapping[str, str]
    at: datetime
    crossings: int
    relics: tuple[str, ...]


@dataclass(frozen=True)
class ControlAction:
    """A command the hall's control sent (from its audit trail): when, to what, by whom or which rule, why."""

    at: datetime
    actuator: str
    who: str
    why: str
    after: str


@dataclass(frozen=True)
class HallReport:
    """Everything a hall's report shows."""

    scene: Scene
    start: datetime
    end: datetime
    relics: tuple[RelicReport, ...]
    quality: tuple[SensorQuality, ...]
    quarantined: Mapping[str, int]
    alerts: tuple[AlertSummary, ...]
    cold_surface: Series | None
    calibrations: tuple = field(default=())  # bridge.ingest.calibration.Calibration in force at the end
    whatif: tuple[WhatIfRun, ...] = field(default=())
    control: tuple[ControlAction, ...] = field(default=())

    def battery_low_since(self, sensor: str) -> datetime | None:
        """When the first low-battery alert of ``sensor`` in the period was raised (None: none was)."""
        return next((a.raised_at for a in self.alerts if a.cause == "battery_low" and a.target == sensor), None)

    @property
    def days(self) -> int:
        return int(np.ceil((self.end - self.start).total_seconds() / 86400.0))


def _seconds(times: np.ndarray) -> np.ndarray:
    return times.astype("datetime64[us]").astype(np.int64) / 1e6


def hall_of(store: Store, scene: Scene) -> str | None:
    """The hall to read ``scene``'s sensors from: its id, or None (any) when the store's readings
    carry no hall at all (written before halls existed, or by a caller that named none)."""
    named = set(store.halls(None)) - {""}
    return scene.id if scene.id in named or named else None


class _Reader:
    """Reads each (sensor, quantity) of one hall (of ``site``; None: any) once per period."""

    def __init__(self, store: Store, start: datetime, end: datetime, hall: str | None, site: str | None = None):
        self.store, self.start, self.end, self.hall, self.site = store, start, end, hall, site
        self._raw: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def raw(self, sensor: str, quantity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t_s, values, flagged as bool) of every stored reading in the period."""
        key = (sensor, quantity)
        if key not in self._raw:
            s = self.store.series(sensor, quantity, self.start, self.end, hall=self.hall, site=self.site)
            self._raw[key] = (_seconds(s.times), s.values, s.flagged > 0)
        return self._raw[key]

    def ok(self, sensor: str, quantity: str) -> Series:
        t, v, flagged = self.raw(sensor, quantity)
        return t[~flagged], v[~flagged]


def hall_report(store: Store, scene: Scene, profiles: Mapping[str, MaterialProfile], start: datetime,
                end: datetime, calibrations: Sequence = (), data_dir: Path | None = None,
                site: str | None = None) -> HallReport:
    """The report of ``scene`` over ``[start, end)`` (aware UTC datetimes).

    data_dir : the data folder: what-if runs (``whatif/<run>/summary.json``) are read from it when there;
        the control's audit trail is read from the store (table ``control_audit``)
    site : on a hub, the museum whose hall this is: every row read is that site's (readings, alerts,
        quarantine under ``relic-hub/<site>/``, control audit), never another museum's hall of the same
        name; None: any site (a museum's own box holds one)
    """
    hall = scene.id if site is not None else hall_of(store, scene)
    reader = _Reader(store, start, end, hall, site)
    start_s, end_s = start.timestamp(), end.timestamp()
    cold = cold_surface(store, scene, start, end, hall, site)
    sources = relic_sources(scene, profiles)
    days = int(np.ceil((end_s - start_s) / 86400.0))
    relics = []
    for relic in scene.relics:
        profile = profiles.get(relic.profile)
        if profile is None:
            continue
        mine = {q: s for (r, q), s in sources.items() if r == relic.id}
        series = {q: reader.ok(s, q) for q, s in mine.items()}
        history = None
        if "relative_humidity" in mine:
            h = store.series(mine["relative_humidity"], "relative_humidity", end - HISTORY, end, only_ok=True,
                             hall=hall, site=site)
            history = (_seconds(h.times), h.values)
        figures = relic_figures(profile, series, start_s, end_s,
                                {"relative_humidity": history} if history else None, cold)
        relics.append(RelicReport(relic, profile, mine, series, history, tuple(figures),
                                  daily_outside(profile, series, start_s, days)))
    quality = []
    quarantined = {}
    for sensor in scene.sensors:
        for q in sensor.quantities:
            t, _, flagged = reader.raw(sensor.id, q)
            quality.append(SensorQuality(sensor.id, q, completeness(t, start_s, end_s), int(flagged.sum())))
        topics = (sensor.topic, f"{native.TOPIC_ROOT}/{scene.id}/{sensor.id}")
        quarantined[sensor.id] = count_quarantined(store, topics, start, end, site)
    return HallReport(scene, start, end, tuple(relics), tuple(quality), quarantined,
                      tuple(alerts_of(store, scene, start, end, hall, site)), cold, tuple(calibrations),
                      tuple(whatif_runs(data_dir / "whatif" if data_dir else None, scene, start, end)),
                      tuple(control_actions(store, scene.id, start, end, site or "")))


def daily_outside(profile: MaterialProfile, series: Mapping[str, Series], start_s: float, days: int) -> np.ndarray:
    """(days,) share of each day during which any quantity with a limit was outside it.

    Each quantity is judged on its own record; a day's share is the largest over quantities.
    """
    out = np.full(days, np.nan)
    for q, (t, v) in series.items():
        band = profile.band(q)
        if band is None or not v.size:
            continue
        share = daily_share(t, ~inside_band(v, band.low, band.high), start_s, days, np.isfinite(v))
        out = np.where(np.isnan(out), share, np.fmax(out, share))
    return out


def cold_surface(store: Store, scene: Scene, start: datetime, end: datetime, hall: str | None = None,
                 site: str | None = None) -> Series | None:
    """The hall's coldest temperature per hour: min over its sensors of each hour's minimum.

    Stands for the coldest surface the hall's air meets (case glass, outer walls) when no surface
    sensor exists; (t_s of the hour's middle, °C), or None without temperature readings.
    """
    per_hour: dict[float, float] = {}
    for sensor in scene.sensors_for("temperature"):
        s = store.series(sensor.id, "temperature", start, end, bucket_s=3600, only_ok=True, hall=hall, site=site)
        for t, lo in zip(_seconds(s.times) + 1800.0, s.minimum, strict=True):
            if np.isfinite(lo):
                per_hour[t] = min(lo, per_hour.get(t, np.inf))
    if not per_hour:
        return None
    t = np.array(sorted(per_hour))
    return t, np.array([per_hour[k] for k in t])


def count_quarantined(store: Store, topics: Sequence[str], start: datetime, end: datetime,
                      site: str | None = None) -> int:
    """Rejected input in the period from one of the sensor's ``topics``: the topic itself, or under a
    prefix (a hub's ``relic-hub/<site>/<topic>``). Whole topics only: ``relic-twin/hall_b/S01`` is not
    hall_a's S01, nor is ``.../S010`` S01 (a search for the sensor id inside the source counted both).
    site : on a hub, only the topic as that site's bridge forwards it (not another museum's)."""
    q = QuarantineRow.__table__  # type: ignore[attr-defined]
    if site is not None:
        cond = [q.c.source == f"relic-hub/{site}/{t}" for t in topics if t]
    else:
        cond = [or_(q.c.source == t, q.c.source.endswith("/" + t, autoescape=True)) for t in topics if t]

    stmt = select(func.count()).select_from(q).where(q.c.received_at_us >= to_us(start),
                                                     q.c.received_at_us < to_us(end), or_(*cond))
    with store.transaction() as conn:
        return int(conn.execute(stmt).scalar_one())


def alerts_of(store: Store, scene: Scene, start: datetime, end: datetime, hall: str | None = None,
              site: str | None = None) -> list[AlertSummary]:
    """Alerts raised in the period about the hall, its zones, cases, relics or sensors (of ``hall``,
    or stored without one; of ``site`` only when given)."""
    ids = {scene.id} | {z.id for z in scene.zones} | {c.id for c in scene.cases}
    ids |= {r.id for r in scene.relics} | {s.id for s in scene.sensors}
    a, k = Alert.__table__, AlertAck.__table__  # type: ignore[attr-defined]
    first_ack = select(k.c.alert_id, func.min(k.c.acked_at_us).label("acked")).group_by(k.c.alert_id).subquery()
    stmt = (select(a, first_ack.c.acked).outerjoin(first_ack, first_ack.c.alert_id == a.c.id)
            .where(a.c.raised_at_us >= to_us(start), a.c.raised_at_us < to_us(end))
            .order_by(a.c.raised_at_us, a.c.id))
    out = []
    with store.transaction() as conn:
        for row in conn.execute(stmt):
            target = row.target_id or row.sensor
            if target not in ids or (hall is not None and row.hall not in ("", hall)) or (
                    site is not None and row.site != site):
                continue
            out.append(AlertSummary(row.id, row.tier, row.cause or row.quantity, target, row.message_zh,
                                    row.message_en, from_us(row.raised_at_us),
                                    from_us(row.acked) if row.acked is not None else None,
                                    from_us(row.cleared_at_us) if row.cleared_at_us is not None else None))
    return out


def whatif_runs(folder: Path | None, scene: Scene, start: datetime, end: datetime) -> list[WhatIfRun]:
    """What-if runs of ``scene`` whose ``summary.json`` (``<data>/whatif/<run>/``) was written in the period."""
    if folder is None or not folder.is_dir():
        return []
    relic_ids = {r.id for r in scene.relics}
    out = []
    for f in sorted(folder.glob("*/summary.json")):
        at = datetime.fromtimestamp(f.stat().st_mtime, UTC)
        if not start <= at < end:
            continue
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a run still being written, or not ours
        crossings = [c for c in doc.get("crossings", []) if isinstance(c, dict)]
        relics = sorted({str(c.get("relic", "")) for c in crossings} & relic_ids)
        if not relics and not set(doc.get("twpi_years", {})) & relic_ids:
            continue  # another hall's run
        sc = doc.get("scenario", {})
        out.append(WhatIfRun(str(sc.get("id", f.parent.name)), dict(sc.get("title", {})), at, len(crossings),
                             tuple(relics)))
    return sorted(out, key=lambda r: r.at)


def control_actions(store: Store, hall: str, start: datetime, end: datetime, site: str = "") -> list[ControlAction]:
    """Commands in the period from the hall's control audit trail (table ``control_audit``,
    :mod:`bridge.control.audit`), of ``site`` ('' : a museum's own box)."""
    out = []
    for e in audit_entries(store, hall, kind="command", start=start, end=end, limit=100_000, site=site):
        why = e["why"] or {}
        reason = why.get("reason") if isinstance(why, dict) else why
        if reason is None and isinstance(why, dict) and why.get("reasons"):  # the interlocks that shaped it
            reason = "; ".join(r.get("en", "") for r in why["reasons"] if isinstance(r, dict))
        if reason is None and isinstance(why, dict):
            reason = why.get("rule") or why.get("source")
        if isinstance(reason, dict):
            reason = " / ".join(str(v) for v in reason.values())
        after = e["after"] or {}
        at = datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
        out.append(ControlAction(at, str(e["actuator"]), str(e["who"]), str(reason or ""),
                                 ", ".join(f"{k}={v}" for k, v in after.items()) if isinstance(after, dict)
                                 else str(after)))
    return out
