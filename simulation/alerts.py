"""Tiered alerts (green / yellow / red) as a pure state machine on an injected clock.

:class:`AlertEngine` turns observations into alert events:

- one active alert per (target, cause);
- separate set and clear thresholds (hysteresis) on the *deviation* of an
  observation, and minimum durations before raising, escalating, de-escalating
  and clearing, so a series that hovers around a limit with noise raises one
  alert per episode;
- escalation yellow -> red when the deviation worsens past the red threshold,
  or when a yellow alert stays unacknowledged for ``escalate_unacked_s``;
  de-escalation red -> yellow when it improves (not while an alert escalated
  for being ignored is still unacknowledged);
- reminders every ``remind_s[tier]`` until acknowledged;
- roll-up relic -> case -> zone -> hall via ``settings.parents``;
- an offline sensor is a cause of its own (``offline``), raised on the clock
  when a watched sensor has been silent for ``offline_after_s``;
- forecast pre-alarms arrive as observations with cause ``forecast_breach``
  (value = probability, ``time_to_breach_s``) and are capped at yellow.

The engine never reads the wall clock: ``update(now, ...)`` and ``tick(now)``
take the time (aware ``datetime`` or float seconds since the epoch), and
``tick`` with no new readings still escalates, reminds and detects silence.
The last observation of each (target, cause) holds until a new one arrives.
An observation whose deviation is not a number (a failed reading that got
this far) tells nothing either way: it raises nothing, clears nothing and
moves no timer, and the last real one still holds; its sensor still counts
as heard.

Deviation of an observation: ``direction * (value - limit) / scale``; 0 at the
limit, 1 one scale beyond it (``simulation.risk.deviation_scale`` gives the
scale of a material band). Default thresholds (engineering choices): yellow
sets at 0 and clears at -0.1 (1 %RH inside a 10 %RH scale); red sets at 0.5
and returns to yellow below 0.3; 5 min to set, 10 min to clear.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType

from simulation.advice import AdviceBook
from simulation.materials import Band
from simulation.quantities import QUANTITIES
from simulation.risk import Level, deviation_scale

KINDS = ("relic", "case", "zone", "hall", "sensor")
"""Target kinds; roll-up goes relic -> case -> zone -> hall (sensors roll up to where they sit)."""


@dataclass(frozen=True)
class Target:
    """What an alert is about: ``kind`` (one of :data:`KINDS`) and ``id`` (as in the scene)."""

    kind: str
    id: str


@dataclass(frozen=True)
class Observation:
    """One condition to judge.

    target : what it is about
    cause : ``"<quantity>_high"``, ``"<quantity>_low"``, ``"<quantity>_change_24h"``,
        ``"light_dose"``, ``"condensation"``, ``"mould"``, ``"forecast_breach"``, ``"offline"``,
        ``"battery_low"``, ``"calibration_due"`` (the derived ones: :mod:`simulation.derived_alerts`)
    value, limit : the measured value and the limit it is judged against, in ``unit``
    scale : length of one deviation degree, in ``unit`` (> 0)
    direction : +1 when above the limit is bad, -1 when below is bad
    unit : display unit (from ``simulation.quantities``)
    quantity : the quantity name, for display ('' when none)
    sensor : the sensor that produced it; the engine then watches it for silence
    time_to_breach_s, probability : for ``forecast_breach``
    """

    target: Target
    cause: str
    value: float
    limit: float
    scale: float = 1.0
    direction: int = 1
    unit: str = ""
    quantity: str = ""
    sensor: str | None = None
    time_to_breach_s: float | None = None
    probability: float | None = None

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"observation scale must be positive, got {self.scale!r}")
        if self.direction not in (1, -1):
            raise ValueError(f"observation direction must be +1 or -1, got {self.direction!r}")

    @property
    def deviation(self) -> float:
        """(value - limit) in the bad direction, in scales: 0 at the limit, > 0 beyond it."""
        return self.direction * (self.value - self.limit) / self.scale


@dataclass(frozen=True)
class CauseRule:
    """Thresholds (deviation degrees) and minimum durations (s) for one cause."""

    set_yellow: float = 0.0
    clear_yellow: float = -0.1
    set_red: float = 0.5
    clear_red: float = 0.3
    min_set_s: float = 300.0
    min_clear_s: float = 600.0
    max_tier: Level = Level.RED


_DEFAULT_RULES = MappingProxyType({
    # silence already waited offline_after_s; clear as soon as data is back
    "offline": CauseRule(set_yellow=0.0, clear_yellow=-0.5, set_red=10.0, clear_red=5.0,
                         min_set_s=0.0, min_clear_s=0.0),
    # forecast pre-alarm: probability above 50 % (limit) is a yellow, never red by itself
    "forecast_breach": CauseRule(set_yellow=0.0, clear_yellow=-0.2, min_set_s=0.0, min_clear_s=900.0,
                                 max_tier=Level.YELLOW),
    # a calendar fact, not a reading: raised at once, cleared once recalibrated, never red by itself
    "calibration_due": CauseRule(set_yellow=0.0, clear_yellow=-0.001, min_set_s=0.0, min_clear_s=0.0,
                                 max_tier=Level.YELLOW),
})


@dataclass(frozen=True)
class AlertSettings:
    """rules : cause -> :class:`CauseRule` (``default_rule`` otherwise)
    escalate_unacked_s : a yellow alert unacknowledged this long becomes red, s
    remind_s : tier -> seconds between reminders until acknowledged
    offline_after_s : silence after which a watched sensor is offline, s
    parents : roll-up map, child target -> parent target
    labels : target -> {"zh": ..., "en": ...} display names (default: the id)
    near : target -> {"zh": ..., "en": ...} the nearest door/opening, used in advice
    timezone : IANA name of the hall's clock; the times in messages are on it, to the minute
    """

    rules: Mapping[str, CauseRule] = field(default_factory=lambda: _DEFAULT_RULES)
    default_rule: CauseRule = CauseRule()
    escalate_unacked_s: float = 1800.0
    remind_s: Mapping[Level, float] = field(
        default_factory=lambda: MappingProxyType({Level.YELLOW: 3600.0, Level.RED: 900.0}))
    offline_after_s: float = 900.0
    parents: Mapping[Target, Target] = field(default_factory=dict)
    labels: Mapping[Target, Mapping[str, str]] = field(default_factory=dict)
    near: Mapping[Target, Mapping[str, str]] = field(default_factory=dict)
    timezone: str = "UTC"

    def rule(self, cause: str) -> CauseRule:
        return self.rules.get(cause, self.default_rule)


_PREFIX = {
    "escalated": ("【升级】", "[escalated] "),
    "de-escalated": ("【降级】", "[de-escalated] "),
    "reminder": ("【提醒】", "[reminder] "),
    "cleared": ("【已解除】", "[cleared] "),
    "acknowledged": ("【已确认】", "[acknowledged] "),
}

EVENT_KINDS = ("raised", "escalated", "de-escalated", "reminder", "cleared", "acknowledged", "active")


@dataclass(frozen=True)
class AlertEvent:
    """Something that happened to an alert (or, with kind ``active``, its current state).

    kind : one of :data:`EVENT_KINDS`; reason : why (``worsened``, ``unacknowledged``,
    ``improved``, ``back within limits``, ...); at : when the event happened (UTC);
    started_at : when the condition began (UTC); value, limit : latest, in ``unit``;
    peak : the worst value seen while the alert was open, in ``unit``;
    clear_at : the value the observation must come back past for the alert to clear
    (the hysteresis threshold), in ``unit``, or None when it clears otherwise;
    summary_zh/en : the message without the event's prefix (what a list of open alerts shows);
    sensor, quantity : the sensor and quantity the observation came from (None / '' when none).
    """

    kind: str
    alert_id: str
    tier: Level
    target: Target
    cause: str
    value: float
    limit: float
    unit: str
    started_at: datetime
    at: datetime
    message_zh: str
    message_en: str
    advice_zh: str
    advice_en: str
    reason: str = ""
    acknowledged_by: str | None = None
    peak: float | None = None
    clear_at: float | None = None
    summary_zh: str = ""
    summary_en: str = ""
    sensor: str | None = None
    quantity: str = ""


@dataclass
class _Alert:
    id: str
    tier: Level
    started_at: float
    tier_since: float
    last_notice: float
    escalated_for: str = ""
    acked_by: str | None = None
    peak: float = float("nan")  # the worst observed value while open, unit of the observation (set at raise)
    peak_dev: float = float("-inf")


@dataclass
class _Track:
    obs: Observation
    seq: int = 0  # creation order: events of one clock come out in it, as they did from a scan
    due: float | None = None  # the clock's next look at its alert (in AlertEngine._due)
    set_since: float | None = None
    red_since: float | None = None
    clear_since: float | None = None
    calm_since: float | None = None
    alert: _Alert | None = None


class AlertEngine:
    """The alert state machine; see the module docstring."""

    def __init__(self, settings: AlertSettings | None = None, advice: AdviceBook | None = None):
        self.settings = settings or AlertSettings()
        self.advice = advice or AdviceBook.builtin()
        self._tracks: dict[tuple[Target, str], _Track] = {}
        self._last_seen: dict[str, float] = {}
        self._count = 0
        # what the clock must look at, so that a batch costs what it changed, not every series:
        # (due time, seq, key) of each unacknowledged alert's next escalation or reminder, and
        # (silent from, sensor) of each sensor's offline time; stale entries are dropped when popped
        self._due: list[tuple[float, int, tuple[Target, str]]] = []
        self._silent_due: list[tuple[float, str]] = []
        self._silent: set[str] = set()  # sensors past offline_after_s, judged each clock until heard
        self._offline_open: set[str] = set()  # sensors whose offline track has an alert or a timer running
        self._sensor_seq: dict[str, int] = {}  # first-seen order of the sensors

    # ------------------------------------------------------------------ public API
    def update(self, now: datetime | float, observations: Iterable[Observation]) -> list[AlertEvent]:
        """Judge new observations at ``now``, then run the clock; the events that result."""
        t = _ts(now)
        events: list[AlertEvent] = []
        for obs in observations:
            if obs.sensor is not None:
                self._seen(obs.sensor, t)
                back = self._tracks.get((Target("sensor", obs.sensor), "offline"))
                if back is not None:
                    back.obs = _offline_obs(obs.sensor, 0.0, self.settings.offline_after_s)
                    events += self._judge(back, t)
            if math.isnan(obs.deviation):  # no evidence: every state and timer holds (module docstring)
                continue
            track = self._track((obs.target, obs.cause), obs)
            track.obs = obs
            events += self._judge(track, t)
        return events + self._clock(t, rejudge=False)

    def tick(self, now: datetime | float) -> list[AlertEvent]:
        """Advance the clock with no new readings: held conditions, escalation, reminders, silence."""
        return self._clock(_ts(now), rejudge=True)

    def watch(self, sensors: Iterable[str], now: datetime | float) -> None:
        """Expect data from ``sensors`` from ``now`` on (so a sensor that never speaks goes offline)."""
        t = _ts(now)
        for s in sensors:
            if s not in self._last_seen:
                self._seen(s, t)

    def heard(self, sensors: Iterable[str], now: datetime | float) -> None:
        """``sensors`` reported at ``now`` (any reading counts, even one no relic depends on)."""
        t = _ts(now)
        for s in sensors:
            self._seen(s, max(t, self._last_seen.get(s, t)))

    def acknowledge(self, alert_id: str, who: str, now: datetime | float) -> list[AlertEvent]:
        """Mark an alert seen by ``who``: reminders stop, the unacknowledged escalation stops."""
        t = _ts(now)
        for track in self._tracks.values():
            a = track.alert
            if a is not None and a.id == alert_id:
                a.acked_by = who  # its entry in the due heap goes stale: nothing more is due
                return [self._event("acknowledged", track, t, reason=who)]
        raise KeyError(f"no active alert {alert_id!r}")

    def active(self) -> list[AlertEvent]:
        """The active alerts (kind ``active``), worst tier first."""
        out = [self._event("active", tr, tr.alert.tier_since) for tr in self._tracks.values() if tr.alert]
        return sorted(out, key=lambda e: (-e.tier, e.started_at, e.alert_id))

    def rollup(self) -> dict[Target, Level]:
        """Worst active tier per target and all its ancestors (relic -> case -> zone -> hall)."""
        out: dict[Target, Level] = {}
        for (target, _), track in self._tracks.items():
            if track.alert is None:
                continue
            node: Target | None = target
            seen: set[Target] = set()
            while node is not None and node not in seen:
                seen.add(node)
                out[node] = max(out.get(node, Level.GREEN), track.alert.tier)
                node = self.settings.parents.get(node)
        return out

    # ------------------------------------------------------------------ state machine
    def _judge(self, tr: _Track, t: float) -> list[AlertEvent]:
        events = self._judge_once(tr, t)
        self._schedule(tr)
        return events

    def _judge_once(self, tr: _Track, t: float) -> list[AlertEvent]:
        rule = self.settings.rule(tr.obs.cause)
        dev = tr.obs.deviation
        a = tr.alert
        if a is None:
            if dev < rule.set_yellow:
                tr.set_since = None
                return []
            tr.set_since = t if tr.set_since is None else tr.set_since
            if t - tr.set_since < rule.min_set_s:
                return []
            tier = Level.RED if dev >= rule.set_red and rule.max_tier >= Level.RED else Level.YELLOW
            tier = min(tier, rule.max_tier)
            self._count += 1
            tr.alert = _Alert(f"{tr.obs.target.kind}:{tr.obs.target.id}:{tr.obs.cause}:{self._count}",
                              tier, tr.set_since, t, t, peak=tr.obs.value, peak_dev=dev)
            tr.set_since = tr.red_since = tr.clear_since = tr.calm_since = None
            return [self._event("raised", tr, t)]
        if dev > a.peak_dev:
            a.peak, a.peak_dev = tr.obs.value, dev
        if dev <= rule.clear_yellow:
            tr.clear_since = t if tr.clear_since is None else tr.clear_since
            if t - tr.clear_since >= rule.min_clear_s:
                ev = self._event("cleared", tr, t, reason="back within limits")
                tr.alert = None
                tr.set_since = tr.red_since = tr.clear_since = tr.calm_since = None
                return [ev]
        else:
            tr.clear_since = None
        if a.tier == Level.YELLOW and rule.max_tier >= Level.RED and dev >= rule.set_red:
            tr.red_since = t if tr.red_since is None else tr.red_since
            if t - tr.red_since >= rule.min_set_s:
                return [self._retier(tr, Level.RED, t, "worsened")]
        else:
            tr.red_since = None
        may_calm = a.escalated_for != "unacknowledged" or a.acked_by is not None
        if a.tier == Level.RED and dev < rule.clear_red and may_calm:
            tr.calm_since = t if tr.calm_since is None else tr.calm_since
            if t - tr.calm_since >= rule.min_clear_s:
                return [self._retier(tr, Level.YELLOW, t, "improved")]
        else:
            tr.calm_since = None
        return []

    def _clock(self, t: float, rejudge: bool) -> list[AlertEvent]:
        """Offline sensors, escalation and reminders at ``t``; with ``rejudge`` (a tick, no new
        readings) every track is judged again. Without it (after a batch) only what is due is
        looked at: sensors silent past ``offline_after_s`` or with an offline alert open, and the
        alerts whose escalation or reminder time has come (the heaps), in the order a full scan
        of the tracks would take them."""
        s = self.settings
        events: list[AlertEvent] = []
        if rejudge:
            sensors: Iterable[str] = list(self._last_seen)
        else:
            while self._silent_due and self._silent_due[0][0] <= t + _DUE_SLACK_S:
                due, sensor = heapq.heappop(self._silent_due)
                if self._last_seen.get(sensor, float("inf")) + s.offline_after_s == due:
                    self._silent.add(sensor)  # until heard again (_seen)
            sensors = sorted(self._silent | self._offline_open, key=self._sensor_seq.__getitem__)
        for sensor in sensors:
            silence = t - self._last_seen[sensor]
            key = (Target("sensor", sensor), "offline")
            if silence >= s.offline_after_s or key in self._tracks:
                obs = _offline_obs(sensor, silence, s.offline_after_s)
                tr = self._track(key, obs)
                tr.obs = obs
                events += self._judge(tr, t)
        if rejudge:
            keys = list(self._tracks)
        else:
            due_keys = set()
            while self._due and self._due[0][0] <= t + _DUE_SLACK_S:
                due, _, key = heapq.heappop(self._due)
                tr = self._tracks[key]
                if tr.due == due:
                    tr.due = None  # looked at now: scheduled afresh below
                    due_keys.add(key)
            keys = sorted(due_keys, key=lambda k: self._tracks[k].seq)
        for key in keys:
            tr = self._tracks[key]
            if rejudge and key[1] != "offline":
                events += self._judge(tr, t)
            a = tr.alert
            if a is not None and a.acked_by is None:
                rule = s.rule(key[1])
                if a.tier == Level.YELLOW and rule.max_tier >= Level.RED and t - a.tier_since >= s.escalate_unacked_s:
                    events.append(self._retier(tr, Level.RED, t, "unacknowledged"))
                else:
                    every = s.remind_s.get(a.tier)
                    if every is not None and t - a.last_notice >= every:
                        a.last_notice = t
                        events.append(self._event("reminder", tr, t, reason="unacknowledged"))
            self._schedule(tr)
        return events

    # ------------------------------------------------------------------ what is due when
    def _track(self, key: tuple[Target, str], obs: Observation) -> _Track:
        tr = self._tracks.get(key)
        if tr is None:
            tr = self._tracks[key] = _Track(obs, seq=len(self._tracks))
        return tr

    def _seen(self, sensor: str, t: float) -> None:
        if sensor not in self._sensor_seq:
            self._sensor_seq[sensor] = len(self._sensor_seq)
        self._last_seen[sensor] = t
        self._silent.discard(sensor)
        heapq.heappush(self._silent_due, (t + self.settings.offline_after_s, sensor))

    def _next_due(self, tr: _Track) -> float | None:
        """When the clock next has something to do for ``tr``'s alert (escalation or reminder)."""
        a = tr.alert
        if a is None or a.acked_by is not None:
            return None
        s = self.settings
        if a.tier == Level.YELLOW and s.rule(tr.obs.cause).max_tier >= Level.RED:
            escalate = a.tier_since + s.escalate_unacked_s
        else:
            escalate = float("inf")
        every = s.remind_s.get(a.tier)
        remind = a.last_notice + every if every is not None else float("inf")
        due = min(escalate, remind)
        return due if due != float("inf") else None

    def _schedule(self, tr: _Track) -> None:
        due = self._next_due(tr)
        if due != tr.due:  # a new time (the old entry, if any, goes stale); None: nothing due
            tr.due = due
            if due is not None:
                heapq.heappush(self._due, (due, tr.seq, (tr.obs.target, tr.obs.cause)))
        if tr.obs.cause == "offline" and tr.obs.target.kind == "sensor":
            busy = tr.alert is not None or tr.set_since is not None
            (self._offline_open.add if busy else self._offline_open.discard)(tr.obs.target.id)

    def _retier(self, tr: _Track, tier: Level, t: float, reason: str) -> AlertEvent:
        assert tr.alert is not None
        kind = "escalated" if tier > tr.alert.tier else "de-escalated"
        tr.alert.tier = tier
        tr.alert.tier_since = tr.alert.last_notice = t
        tr.alert.escalated_for = reason if kind == "escalated" else ""
        tr.red_since = tr.calm_since = None
        self._schedule(tr)
        return self._event(kind, tr, t, reason=reason)

    # ------------------------------------------------------------------ texts
    def _event(self, kind: str, tr: _Track, t: float, reason: str = "") -> AlertEvent:
        a = tr.alert
        assert a is not None
        o = tr.obs
        cause = "offline_back" if o.cause == "offline" and kind == "cleared" else o.cause
        texts = self.advice.render(cause, self._fields(o, a, t))
        zh, en = _PREFIX.get(kind, ("", ""))
        return AlertEvent(kind, a.id, a.tier, o.target, o.cause, o.value, o.limit, o.unit,
                          _dt(a.started_at), _dt(t), zh + texts.message_zh, en + texts.message_en,
                          texts.advice_zh, texts.advice_en, reason, a.acked_by,
                          peak=a.peak, clear_at=self.clear_value(o),
                          summary_zh=texts.message_zh, summary_en=texts.message_en, sensor=o.sensor,
                          quantity=o.quantity)

    def clear_value(self, o: Observation) -> float | None:
        """The value ``o`` must come back past for its alert to clear (the hysteresis
        threshold: ``limit + direction * clear_yellow * scale``), unit of ``o``; None for the causes
        that clear on an event rather than a value (offline, calibration, forecast)."""
        if o.cause in ("offline", "calibration_due", "forecast_breach"):
            return None
        return o.limit + o.direction * self.settings.rule(o.cause).clear_yellow * o.scale

    def _fields(self, o: Observation, a: _Alert, t: float) -> dict[str, str]:
        label = self.settings.labels.get(o.target, {})
        near = self.settings.near.get(o.target, {})
        q = QUANTITIES.get(o.quantity)
        precision = q.precision if q else 1
        tz = self.settings.timezone
        f = {
            "target_zh": label.get("zh", o.target.id), "target_en": label.get("en", o.target.id),
            "quantity_zh": q.zh if q else o.quantity, "quantity_en": q.en if q else o.quantity,
            "value": format_value(o.value, o.unit, precision),
            "limit": format_value(o.limit, o.unit, precision),
            "peak": format_value(a.peak, o.unit, precision),
            "tier_zh": "红色告警" if a.tier == Level.RED else "黄色预警",
            "tier_en": a.tier.label("en"),
            "near_zh": near.get("zh", "附近的门"), "near_en": near.get("en", "the nearby doors"),
            "started": clock_label(a.started_at, t, tz), "at": clock_label(t, t, tz),
            "duration_zh": duration_label(t - a.started_at, "zh"), "duration_en": duration_label(t - a.started_at, "en"),
        }
        clear = self.clear_value(o)
        if clear is not None:
            c = format_value(clear, o.unit, precision)
            f["clear_zh"] = f"{'低于' if o.direction > 0 else '高于'} {c} 后解除"
            f["clear_en"] = f"clears {'below' if o.direction > 0 else 'above'} {c}"
        if o.cause == "offline":
            f["value"], f["limit"] = duration_label(o.value, "en"), duration_label(o.limit, "en")
            silence = max(o.value, t - a.started_at + o.limit)  # back online: the observation's silence is 0
            for lang in ("zh", "en"):
                f[f"silence_{lang}"], f[f"allowed_{lang}"] = duration_label(silence, lang), duration_label(o.limit, lang)
            f["last_seen"] = clock_label(t - silence, t, tz)
        if o.time_to_breach_s is not None:
            h = o.time_to_breach_s / 3600.0
            f["eta_zh"], f["eta_en"] = f"约 {h:.1f} 小时", f"about {h:.1f} h"
        if o.probability is not None:
            f["probability"] = f"{100.0 * o.probability:.0f}"
        return f


def band_observations(target: Target, quantity: str, value: float, band: Band,
                      sensor: str | None = None, spans: Mapping[str, float] | None = None) -> list[Observation]:
    """Observations of one reading against a material band: ``<quantity>_high`` and/or ``_low``.

    value : float, unit of the quantity; the scale is :func:`simulation.risk.deviation_scale`.
    """
    scale = deviation_scale(band) if spans is None else deviation_scale(band, spans)
    q = QUANTITIES.get(quantity)
    unit = q.unit if q else ""
    out = []
    if band.high is not None:
        out.append(Observation(target, f"{quantity}_high", value, band.high, scale, 1, unit, quantity, sensor))
    if band.low is not None:
        out.append(Observation(target, f"{quantity}_low", value, band.low, scale, -1, unit, quantity, sensor))
    return out


def forecast_observation(target: Target, quantity: str, probability: float, time_to_breach_s: float,
                         threshold: float = 0.5) -> Observation:
    """A forecast pre-alarm (from the early-warning model) as an observation.

    probability : 0..1 chance that the limit is breached within the horizon;
    threshold : probability at which the pre-alarm sets (0.5: more likely than not).
    """
    return Observation(target, "forecast_breach", probability, threshold, scale=threshold, quantity=quantity,
                       time_to_breach_s=time_to_breach_s, probability=probability)


_DUE_SLACK_S = 1e-6
"""A due time within this of ``now`` is looked at (the conditions themselves are checked exactly;
what is not yet due is scheduled again), so rounding in ``since + interval`` loses no event."""


def _offline_obs(sensor: str, silence_s: float, after_s: float) -> Observation:
    return Observation(Target("sensor", sensor), "offline", silence_s, after_s, scale=after_s, unit="s")


def _ts(now: datetime | float) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError(f"naive datetime {now!r}; give timezone-aware UTC times")
        return now.timestamp()
    t = float(now)
    if not math.isfinite(t):
        raise ValueError(f"the clock must be a finite time, got {now!r}")
    return t


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


UNIT_PREFIXES = {"lx·h/a": ((1e6, "M"), (1e3, "k")), "lx·h": ((1e6, "M"), (1e3, "k"))}
"""Units shown with an SI prefix once the number grows large (a year's light dose in lx·h)."""


def format_value(v: float, unit: str, precision: int = 1) -> str:
    """``v`` in ``unit`` as people read it: ``23.9 °C``; a light dose with an SI prefix and
    three significant figures at most (``1.2 Mlx·h/a``, ``150 klx·h/a``)."""
    for factor, prefix in UNIT_PREFIXES.get(unit, ()):
        if abs(v) >= factor:
            x = v / factor
            return f"{x:.{1 if abs(x) < 10 else 0}f} {prefix}{unit}"
    if unit in UNIT_PREFIXES:
        return f"{v:.0f} {unit}"
    return f"{v:.{precision}f} {unit}".strip()


def clock_label(t: float, now: float, tz: str = "UTC") -> str:
    """``t`` (s since the epoch) on the hall's clock to the minute: ``14:05``, or ``12-06 14:05``
    when it is not the same local day as ``now``."""
    day, hm, full = _local_minute(int(t // 60), tz)
    return hm if day == _local_minute(int(now // 60), tz)[0] else full


@lru_cache(maxsize=8192)
def _local_minute(minute: int, tz: str) -> tuple[str, str, str]:
    """(local date, "HH:MM", "MM-DD HH:MM") of a minute since the epoch on clock ``tz`` (cached:
    every alert event renders two times)."""
    from simulation.hall_time import zone

    local = _dt(60.0 * minute).astimezone(zone(tz))
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M"), local.strftime("%m-%d %H:%M")


def duration_label(s: float, lang: str = "en") -> str:
    """A duration for people: ``40 min``, ``2 h 5 min``, ``3 d 4 h`` (``40 分钟``, ``2 小时 5 分钟``, ``3 天 4 小时``)."""
    zh = lang.startswith("zh")
    m = max(0, int(round(s / 60.0)))
    d, rest = divmod(m, 1440)
    h, m = divmod(rest, 60)
    if d:
        return f"{d} 天 {h} 小时" if zh else f"{d} d {h} h"
    if h:
        return (f"{h} 小时 {m} 分钟" if zh else f"{h} h {m} min") if m else (f"{h} 小时" if zh else f"{h} h")
    return f"{m} 分钟" if zh else f"{m} min"
