"""Governance of live readings as they arrive: the sensor rules in constant time per reading.

:func:`bridge.ingest.governance.govern_series` judges a whole series at once (imported files,
re-governing stored data): every rule, imputation included, over arrays. Live, a reading is
judged the moment it arrives, against what came before it, and only by the rules about the
sensor itself; each of them needs a few numbers about the series' past, never the past itself:

- ``threshold`` (configured site limits): the value alone;
- ``rail`` (pinned at a physical-range bound for ``rail_s``): the start of the run of equal
  values the reading ends, when that value is a bound;
- ``stuck`` (no change for ``stuck_s`` and ``stuck_min_samples`` readings): the same run's start
  time and length; readings further apart than ``stuck_s / stuck_min_samples`` break a run;
- ``step`` (impossible jump, the WMO step test): the last trusted value, a jumped-to candidate
  and the time of the last value the rule saw (:func:`simulation.cleaning.step_flags`, one
  reading at a time).

So :class:`SeriesState` holds eight numbers per series, and judging a reading costs the same
with an hour of history or ten years. The verdict on each reading is the batch rules' verdict
on the series up to and including it (the tests check this reading by reading). The batch-only
rules (Hampel, 3-sigma, excursion, imputation) need the readings *after* a value to tell a spike
from a real level shift; judged on the past alone they would flag a door left open for hours and
hide it from the alerts, so they run on imports and whole series, never here.

The state outlives a restart: :func:`save_states` and :func:`load_states` write and read it as
a small JSON file (:class:`PersistentGovernor` does so after committed batches), so a sensor
stuck for a day before a restart is still stuck after it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bridge.ingest.governance import GovernanceSettings, _reason_words, reason, unify
from bridge.readings import Reading, Rejection
from simulation import cleaning
from simulation.quantities import QUANTITIES

LIVE_RULES: tuple[str, ...] = ("threshold", "rail", "stuck", "step")
"""The rules judged live, in priority order (the first that fires names the quality)."""

STEP_MAX_DT_S = 3 * 3600.0
STEP_PER_S = 600.0
"""The step rule's reset gap and the interval its ``max_step`` is allowed in, s
(the defaults of :func:`simulation.cleaning.step_flags`, which the batch rules use)."""

STATE_VERSION = 1

SeriesKey = tuple[str, str, str, str]
"""(sensor, quantity, site, hall): sensor ids are unique only within a hall."""


@dataclass(slots=True)
class SeriesState:
    """What the live rules remember of one series (times in s since the epoch, canonical unit).

    last_t, last_v : the newest reading judged (its value NaN when it arrived flagged already)
    run_t0, run_n : start time and length of the run of equal values ending at it
    step_ref, step_cand, step_t : the step rule's trusted value, jumped-to candidate (NaN: none)
        and time of the last reading it saw
    """

    last_t: float = -math.inf
    last_v: float = math.nan
    run_t0: float = -math.inf
    run_n: int = 0
    step_ref: float = math.nan
    step_cand: float = math.nan
    step_t: float = -math.inf

    def as_list(self) -> list[float | None]:
        """JSON-safe fields (NaN and infinities as None)."""
        return [None if not math.isfinite(x) else x for x in
                (self.last_t, self.last_v, self.run_t0, float(self.run_n), self.step_ref, self.step_cand, self.step_t)]

    @classmethod
    def from_list(cls, row: list[Any]) -> SeriesState:
        last_t, last_v, run_t0, run_n, ref, cand, step_t = (float(x) if x is not None else None for x in row)
        return cls(last_t if last_t is not None else -math.inf, last_v if last_v is not None else math.nan,
                   run_t0 if run_t0 is not None else -math.inf, int(run_n or 0),
                   ref if ref is not None else math.nan, cand if cand is not None else math.nan,
                   step_t if step_t is not None else -math.inf)


@dataclass(frozen=True, slots=True)
class _Limits:
    """One quantity's live-rule constants, looked up once."""

    low: float | None
    high: float | None
    bounds: tuple[float, ...]  # the physical-range bounds a sensor can be pinned at ((): none)
    max_step: float | None
    link_s: float  # readings further apart do not form a stuck or rail run
    stuck_s: float
    stuck_n: int
    rail_s: float


def _limits(quantity: str, settings: GovernanceSettings) -> _Limits:
    cs = settings.cleaning
    q = QUANTITIES[quantity]
    rule = cleaning.QUANTITY_RULES[quantity]
    low, high = settings.thresholds.get(quantity, (None, None))
    return _Limits(low, high, (q.low, q.high) if rule.rail else (), rule.max_step,
                   cs.stuck_s / cs.stuck_min_samples, cs.stuck_s, cs.stuck_min_samples, cs.rail_s)


def judge(s: SeriesState, t: float, v: float, lim: _Limits) -> list[str]:
    """The live rules that fire for the reading (t, v) after the series state ``s``; updates ``s``.

    t : s since the epoch, later than ``s.last_t``; v : canonical unit, NaN = arrived flagged
    (it breaks runs and is not judged). Constant time: no history is read.
    """
    linked = t - s.last_t <= lim.link_s
    if linked and v == s.last_v:  # NaN never equals: a flagged reading breaks the run
        s.run_n += 1
    else:
        s.run_t0, s.run_n = t, 1
    s.last_t, s.last_v = t, v
    if v != v:
        return []
    fired = []
    if (lim.low is not None and v < lim.low) or (lim.high is not None and v > lim.high):
        fired.append("threshold")
    held = t - s.run_t0
    if v in lim.bounds and s.run_n >= 2 and held >= lim.rail_s:
        fired.append("rail")
    if s.run_n >= lim.stuck_n and held >= lim.stuck_s:
        fired.append("stuck")
    if lim.max_step is not None and not fired:  # the step rule sees what the sensor rules trusted
        dt = t - s.step_t
        allowed = lim.max_step * max(1.0, dt / STEP_PER_S)
        if s.step_ref != s.step_ref or dt > STEP_MAX_DT_S:
            s.step_ref, s.step_cand = v, math.nan
        elif abs(v - s.step_ref) > allowed:
            if s.step_cand == s.step_cand and abs(v - s.step_cand) <= allowed:
                s.step_ref, s.step_cand = v, math.nan  # the level really moved: the new level is trusted
            else:
                fired.append("step")
                s.step_cand = v
        else:
            s.step_ref, s.step_cand = v, math.nan
        s.step_t = t
    return fired


def judge_late(v: float, lim: _Limits) -> list[str]:
    """The rules that can judge a reading older than the series' newest one: the thresholds alone."""
    if v != v:
        return []
    return ["threshold"] if ((lim.low is not None and v < lim.low) or (lim.high is not None and v > lim.high)) else []


class LiveGovernor:
    """Governance of live readings batch by batch (the ingest's ``govern`` hook), O(1) per reading.

    Each batch is unified and range-checked like a file (:func:`bridge.ingest.governance.unify`:
    impossible values and unknown units go to quarantine), then each reading is judged by the
    live rules against its series' :class:`SeriesState`. Nothing is imputed live (a gap is only
    known to be a gap later: the import and the models fill short gaps). A redelivered copy of a
    reading (the same sensor, quantity, time and value: MQTT QoS 1 may deliver twice) is passed
    on for the store to drop, not quarantined. A reading older than its series' newest (a
    gateway's backlog arriving late) is judged by the thresholds only and leaves the state alone;
    one older by more than :func:`horizon_s` means the clock went back (a replay restarted): the
    series starts afresh from it.

    ``operations`` counts the series-state steps taken (one per reading judged): what the
    regression tests compare between a short and a long history.
    """

    LIVE_RULES = LIVE_RULES

    def __init__(self, settings: GovernanceSettings | None = None,
                 states: dict[SeriesKey, SeriesState] | None = None) -> None:
        self.settings = settings or GovernanceSettings()
        self.states: dict[SeriesKey, SeriesState] = states if states is not None else {}
        self._limits: dict[str, _Limits] = {}
        self._words: dict[tuple[str, str], dict[str, object]] = {}
        self._horizon = horizon_s(self.settings)
        self.operations = 0

    def __call__(self, readings: list[Reading]) -> tuple[list[Reading], list[Rejection]]:
        unique = list({(r.sensor, r.quantity, r.site, r.hall, r.time, r.value, r.unit): r
                       for r in readings}.values())
        kept, rejected = unify(unique)  # sorted by time
        return [self._judge(r) for r in kept], rejected

    def _judge(self, r: Reading) -> Reading:
        lim = self._limits.get(r.quantity)
        if lim is None:
            lim = self._limits[r.quantity] = _limits(r.quantity, self.settings)
        key = (r.sensor, r.quantity, r.site, r.hall)
        s = self.states.get(key)
        if s is None:
            s = self.states[key] = SeriesState()
        t = r.time.timestamp()
        v = r.value if r.quality == "ok" else math.nan
        self.operations += 1
        if t <= s.last_t - self._horizon:  # the clock went back (a replay restarted, a sensor was reset)
            s = self.states[key] = SeriesState()
        fired = judge(s, t, v, lim) if t > s.last_t else judge_late(v, lim)
        if not fired:
            return r
        words = self._words.get((r.quantity, r.unit))
        if words is None:
            words = self._words[(r.quantity, r.unit)] = _reason_words(self.settings, r.quantity, r.unit)
        return replace(r, quality=fired[0], reason="; ".join(reason(name, **words) for name in fired))


def horizon_s(settings: GovernanceSettings) -> float:
    """How far back any live rule looks: past a gap this long, a fresh state judges alike, s.

    The longer of the run link (``stuck_s / stuck_min_samples``: readings further apart do not
    form a stuck or rail run) and the step rule's reset (:data:`STEP_MAX_DT_S`).
    """
    return max(settings.cleaning.stuck_s / settings.cleaning.stuck_min_samples, STEP_MAX_DT_S)


def prune(states: dict[SeriesKey, SeriesState], settings: GovernanceSettings | None = None) -> int:
    """Forget series whose newest reading is so old that a fresh state would judge alike; how many.

    No rule looks back across a gap longer than :func:`horizon_s`, so a sensor removed from the
    hall does not stay in the state for ever. "Old" is against the newest series, not the wall
    clock (a replayed fleet runs on its own clock).
    """
    if not states:
        return 0
    horizon = horizon_s(settings or GovernanceSettings())
    newest = max(s.last_t for s in states.values())
    old = [k for k, s in states.items() if s.last_t < newest - horizon]
    for k in old:
        del states[k]
    return len(old)


def save_states(path: Path, states: dict[SeriesKey, SeriesState]) -> None:
    """Write ``states`` to ``path`` as JSON, atomically (a crash leaves the old file or the new one)."""
    write_json_atomic(path, {"version": STATE_VERSION, "series": [[*k, *s.as_list()] for k, s in states.items()]})


def write_json_atomic(path: Path, doc: Any) -> None:
    """``doc`` as JSON at ``path``, atomically: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_states(path: Path) -> dict[SeriesKey, SeriesState]:
    """The states saved at ``path``; empty when there is no file or it cannot be read (a fresh start)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != STATE_VERSION:
            return {}
        return {(str(a), str(b), str(c), str(d)): SeriesState.from_list(rest)
                for a, b, c, d, *rest in doc["series"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


class PersistentGovernor(LiveGovernor):
    """A :class:`LiveGovernor` whose state is kept in a file across restarts.

    The ingest writer calls the hook for batch N only after batch N-1 was committed and
    acknowledged, so the state saved at the start of a call (at most every ``every_s``) holds
    only readings that are in the database: a reading redelivered after a crash is judged
    again, not taken for a late copy. :meth:`save` at a clean stop writes the rest.
    """

    def __init__(self, path: Path, settings: GovernanceSettings | None = None, every_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(settings, load_states(path))
        self.path = path
        self.every_s = every_s
        self._clock = clock
        self._saved = clock()

    def __call__(self, readings: list[Reading]) -> tuple[list[Reading], list[Rejection]]:
        if self._clock() - self._saved >= self.every_s:
            self.save()
        return super().__call__(readings)

    def save(self) -> None:
        """Prune and write the state now."""
        prune(self.states, self.settings)
        save_states(self.path, self.states)
        self._saved = self._clock()


def state_path(data_dir: Path, hall: str, site: str = "") -> Path:
    """Where a runtime keeps its live-governance state: ``<data>/live/<site>-<hall>-governor.json``."""
    return data_dir / "live" / f"{site + '-' if site else ''}{hall}-governor.json"

