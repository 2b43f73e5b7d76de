"""Alerts for the live twin: readings -> the alert engine -> feed messages.

The state machine is :class:`simulation.alerts.AlertEngine` (pure, clock
injected); this module feeds it the stored readings of a scene, runs its
clock, and turns its events into the live feed's alert dictionaries::

    {"id", "kind", "tier": "yellow"|"red", "target": {"kind", "id"}, "cause",
     "value", "limit", "unit", "started_at", "at", "message": {"zh-CN", "en"},
     "advice": {"zh-CN", "en"}, "summary": {"zh-CN", "en"}, "peak", "clear_at", "sensor", "quantity",
     "acknowledged", "acknowledged_by", "cleared"} (and "timezone", the hall's, from the service)

``message`` is the event's text (``[escalated] ...``), ``summary`` the open alert's (no prefix):
what triggered it, since when (hall local time), the peak, the value now and what clears it.
While an alert is open, a change of its value that changes its text goes out as an ``active``
event, so a list of open alerts shows the value now, not the value when it was raised.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.ingest.live_governance import write_json_atomic
from bridge.readings import Reading
from simulation.advice import load_advice
from simulation.alerts import AlertEngine, AlertEvent, Observation
from simulation.derived_alerts import DerivedCauses, battery_observation, calibration_observation
from simulation.materials import load_profiles
from simulation.scene import Scene
from simulation.scene_alerts import alert_settings, reading_observations, relic_sources

log = logging.getLogger(__name__)


def derived_state_path(data_dir: Path, hall: str, site: str = "") -> Path:
    """Where a runtime keeps a hall's derived-cause windows: ``<data>/live/<site>-<hall>-derived.json``
    (beside the live-governance state, :func:`bridge.ingest.live_governance.state_path`)."""
    return Path(data_dir) / "live" / f"{site + '-' if site else ''}{hall}-derived.json"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_json(e: AlertEvent) -> dict[str, Any]:
    """An engine event as the feed's alert dictionary."""
    return {
        "id": e.alert_id, "kind": e.kind, "tier": e.tier.name.lower(),
        "target": {"kind": e.target.kind, "id": e.target.id}, "cause": e.cause,
        "value": e.value, "limit": e.limit, "unit": e.unit,
        "started_at": _iso(e.started_at), "at": _iso(e.at),
        "message": {"zh-CN": e.message_zh, "en": e.message_en},
        "advice": {"zh-CN": e.advice_zh, "en": e.advice_en},
        "summary": {"zh-CN": e.summary_zh or e.message_zh, "en": e.summary_en or e.message_en},
        "peak": e.peak, "clear_at": e.clear_at, "sensor": e.sensor, "quantity": e.quantity,
        "acknowledged": e.acknowledged_by is not None, "acknowledged_by": e.acknowledged_by,
        "cleared": e.kind == "cleared",
    }


class AlertService:
    """Thread-safe front of an :class:`AlertEngine` for one scene."""

    def __init__(self, scene: Scene, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 state_file: Path | None = None, save_every_s: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic):
        """``state_file``: where the derived causes' windows (a week of light dose and mould record,
        the 24 h ranges) are kept across restarts, written after a batch of stored readings at most
        every ``save_every_s`` and by :meth:`save`; None: not kept."""
        self.scene = scene
        self.clock = clock
        self.profiles = load_profiles()
        self.engine = AlertEngine(alert_settings(scene), load_advice())
        self._sources = relic_sources(scene, self.profiles)
        self.derived = DerivedCauses(scene, self.profiles, self._sources)
        self.state_file, self.save_every_s, self._monotonic = state_file, save_every_s, monotonic
        if state_file is not None:
            self._restore(state_file)
        self._saved = monotonic()
        self._lock = threading.Lock()
        self._sensor_ids = {s.id for s in scene.sensors}
        self._texts: dict[str, str] = {}  # open alert id -> the summary last sent
        self.engine.watch((s.id for s in scene.sensors), clock())

    def on_readings(self, readings: list[Reading]) -> list[dict[str, Any]]:
        """Judge newly stored readings (flagged ones are kept out); the alert changes.

        Besides each relic's limits: 24 h change, light dose, mould and condensation
        (:class:`simulation.derived_alerts.DerivedCauses`).
        """
        obs = []
        for r in sorted(readings, key=lambda r: r.time):
            if r.quality == "ok":
                obs += reading_observations(self.scene, self.profiles, r.sensor, r.quantity, r.value, self._sources)
                with self._lock:
                    obs += self.derived.observe(r.sensor, r.quantity, r.time.timestamp(), r.value)
        with self._lock:
            now = self.clock()
            self.engine.heard({r.sensor for r in readings}, now)
            out = self._with_updates(self.engine.update(now, obs))
            # the readings are committed (the ingest calls this after the commit): their windows may be kept
            if self.state_file is not None and self._monotonic() - self._saved >= self.save_every_s:
                self._save()
            return out

    def save(self) -> None:
        """Write the derived causes' windows to ``state_file`` now (at a clean stop)."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        if self.state_file is None:
            return
        try:
            write_json_atomic(self.state_file, self.derived.state())
        except OSError:
            log.exception("could not keep the derived alert windows in %s", self.state_file)
        self._saved = self._monotonic()

    def _restore(self, path: Path) -> None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("derived alert windows in %s not read (%s): starting afresh", path, exc)
            return
        if not isinstance(doc, dict) or not self.derived.restore(doc):
            log.warning("derived alert windows in %s not restored (another version or damaged): starting afresh",
                        path)

    def on_status(self, sensor: str, status: Mapping[str, object]) -> list[dict[str, Any]]:
        """A device's status (battery %, ...): a ``battery_low`` alert below the low level."""
        battery = status.get("battery")
        if sensor not in self._sensor_ids or isinstance(battery, bool) or not isinstance(battery, (int, float)):
            return []
        return self.observe([battery_observation(sensor, float(battery))])

    def calibration_ages(self, days_since: Mapping[str, float]) -> list[dict[str, Any]]:
        """Days since each sensor's last calibration: ``calibration_due`` past the interval."""
        return self.observe([calibration_observation(s, d) for s, d in days_since.items() if s in self._sensor_ids])

    def observe(self, observations: list[Observation]) -> list[dict[str, Any]]:
        """Judge observations made elsewhere (forecast pre-alarms, :mod:`bridge.alerts.prealarm`)."""
        with self._lock:
            return self._with_updates(self.engine.update(self.clock(), observations))

    def tick(self) -> list[dict[str, Any]]:
        """Run the clock with no new readings: escalation, reminders, offline sensors."""
        with self._lock:
            return self._with_updates(self.engine.tick(self.clock()))

    def _with_updates(self, events: list[AlertEvent]) -> list[dict[str, Any]]:
        """The events, then an ``active`` event for each open alert whose text changed otherwise
        (its value now, its peak, how long it has been silent)."""
        for e in events:
            if e.kind == "cleared":
                self._texts.pop(e.alert_id, None)
            else:
                self._texts[e.alert_id] = e.summary_en
        out = [event_json(e) for e in events]
        for e in self.engine.active():
            if self._texts.get(e.alert_id) != e.summary_en:
                self._texts[e.alert_id] = e.summary_en
                out.append(event_json(e))
        for a in out:
            a["timezone"] = self.scene.timezone  # the hall's clock, for the times a notification shows
        return out

    def acknowledge(self, alert_id: str, who: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event_json(e) for e in self.engine.acknowledge(alert_id, who, self.clock())]

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [event_json(e) for e in self.engine.active()]
