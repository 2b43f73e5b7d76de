"""Trailing-window statistics updated one sample at a time, in constant amortised time.

The batch functions judge a whole record: :func:`simulation.fluctuation.change_24h`,
:func:`simulation.light_dose.annualised_exposure`, :func:`simulation.mould.days_above_isopleth`.
A live twin asks the same question after every reading, over the trailing window ending at it;
recomputing the window each time costs as much as the window holds (a week of one-minute
readings: 10 080 points a reading). These classes keep what the answer needs and update it per
sample, so a reading costs the same after an hour or after a year:

- :class:`RunningRange`: max - min over ``(t - window, t]`` with monotonic queues (each sample is
  pushed and popped once), equal to :func:`simulation.time_axis.trailing_range`;
- :class:`RunningExposure`: the trapezoid exposure of the window (gaps over ``max_gap_s`` add
  nothing) as a running sum, annualised over the window's span, equal to
  :func:`simulation.light_dose.annualised_exposure` on the window;
- :class:`RunningIsoplethDays`: days above the lowest mould isopleth in the window, each RH sample
  held until the next (at most ``max_hold_s``), its temperature interpolated from the latest two
  temperature samples (:class:`LastTwo`), the newest sample held for the median of the recent
  gaps: :func:`simulation.mould.days_above_isopleth` on the window, except that the batch
  function takes the median over the whole window (the same for a regular series).

Samples must come in time order (the caller drops late ones). Times are float seconds.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import median

from simulation.mould import lim_rh
from simulation.time_axis import DAY_S, HOUR_S, YEAR_H

RECENT_GAPS = 15
"""Gaps whose median the newest RH sample is held for (the batch rule's median, kept constant-size)."""


class RunningRange:
    """Max minus min of the samples in the trailing ``(t - window_s, t]``."""

    __slots__ = ("window_s", "_hi", "_lo")

    def __init__(self, window_s: float = DAY_S) -> None:
        self.window_s = window_s
        self._hi: deque[tuple[float, float]] = deque()  # values decreasing
        self._lo: deque[tuple[float, float]] = deque()  # values increasing

    def add(self, t: float, v: float) -> float:
        """Take sample (t s, v); the range of the window ending at t (0 for one sample)."""
        hi, lo = self._hi, self._lo
        while hi and hi[-1][1] <= v:
            hi.pop()
        hi.append((t, v))
        while lo and lo[-1][1] >= v:
            lo.pop()
        lo.append((t, v))
        start = t - self.window_s
        while hi[0][0] <= start:
            hi.popleft()
        while lo[0][0] <= start:
            lo.popleft()
        return hi[0][1] - lo[0][1]

    def state(self) -> list:
        """What it holds, as JSON-able lists (:meth:`restore` takes it back)."""
        return [list(map(list, self._hi)), list(map(list, self._lo))]

    def restore(self, state: list) -> None:
        hi, lo = state
        self._hi = deque((float(t), float(v)) for t, v in hi)
        self._lo = deque((float(t), float(v)) for t, v in lo)


class RunningExposure:
    """Light exposure of the trailing ``[t - window_s, t]`` (trapezoid rule), and its annualised rate."""

    __slots__ = ("window_s", "max_gap_s", "_pts", "_sum", "_adds", "_last_v")

    def __init__(self, window_s: float, max_gap_s: float = 6 * HOUR_S) -> None:
        self.window_s = window_s
        self.max_gap_s = max_gap_s
        self._pts: deque[list[float]] = deque()  # [t, exposure of the segment ending here, lx·h]
        self._sum = 0.0
        self._adds = 0
        self._last_v = 0.0

    def add(self, t: float, lux: float) -> None:
        """Take sample (t s, lux lx); NaN counts as dark."""
        v = 0.0 if lux != lux else lux
        seg = 0.0
        if self._pts:
            dt = t - self._pts[-1][0]
            seg = 0.5 * (self._last_v + v) * (dt if dt <= self.max_gap_s else 0.0) / HOUR_S
        self._pts.append([t, seg])
        self._sum += seg
        self._last_v = v
        pts = self._pts
        since = t - self.window_s
        if pts[0][0] < since:
            while pts[0][0] < since:
                self._sum -= pts.popleft()[1]
            self._sum -= pts[0][1]  # the first sample's segment began outside the window
            pts[0][1] = 0.0
        self._adds += 1
        if self._adds >= len(pts):  # sum afresh once per window's worth of samples: no drift
            self._sum, self._adds = math.fsum(p[1] for p in pts), 0

    def state(self) -> list:
        """What it holds, as JSON-able lists (:meth:`restore` takes it back)."""
        return [[list(p) for p in self._pts], self._last_v, self._sum, self._adds]

    def restore(self, state: list) -> None:
        pts, last_v, total, adds = state
        self._pts = deque([float(t), float(e)] for t, e in pts)
        self._last_v, self._sum, self._adds = float(last_v), float(total), int(adds)

    @property
    def span_s(self) -> float:
        """Time from the window's first sample to its last, s."""
        return self._pts[-1][0] - self._pts[0][0] if self._pts else 0.0

    @property
    def count(self) -> int:
        return len(self._pts)

    def annualised(self) -> float:
        """The window's exposure scaled to a year, lx·h per year (NaN for a window of no span)."""
        span = self.span_s
        return self._sum * YEAR_H * HOUR_S / span if span > 0 else math.nan


class LastTwo:
    """The latest two samples of a series, to interpolate it near its end (clamped at both ends)."""

    __slots__ = ("t0", "v0", "t1", "v1")

    def __init__(self) -> None:
        self.t0 = self.v0 = self.t1 = self.v1 = math.nan

    def add(self, t: float, v: float) -> None:
        self.t0, self.v0, self.t1, self.v1 = self.t1, self.v1, t, v

    def state(self) -> list:
        """The two samples, NaN as None (JSON); :meth:`restore` takes them back."""
        return [None if x != x else x for x in (self.t0, self.v0, self.t1, self.v1)]

    def restore(self, state: list) -> None:
        self.t0, self.v0, self.t1, self.v1 = (math.nan if x is None else float(x) for x in state)

    def at(self, t: float) -> float:
        """The value at time t: linear between the two samples, the nearest one outside them."""
        if not t < self.t1:  # later than the last (or only one sample)
            return self.v1
        if self.t0 != self.t0 or t <= self.t0:
            return self.v0 if self.t0 == self.t0 else self.v1
        return self.v0 + (self.v1 - self.v0) * (t - self.t0) / (self.t1 - self.t0)


class RunningIsoplethDays:
    """Days at or above the lowest germination isopleth in the trailing ``[t - window_s, t]``."""

    __slots__ = ("window_s", "max_hold_s", "substrate", "_done", "_sum", "_adds", "_last", "_gaps")

    def __init__(self, window_s: float, max_hold_s: float = 6 * HOUR_S, substrate: str = "B I") -> None:
        self.window_s = window_s
        self.max_hold_s = max_hold_s
        self.substrate = substrate
        self._done: deque[tuple[float, float]] = deque()  # (t, seconds above) of held samples
        self._sum = 0.0
        self._adds = 0
        self._last: tuple[float, float] | None = None  # the newest RH sample (t, %RH), hold not known yet
        self._gaps: deque[float] = deque(maxlen=RECENT_GAPS)

    def _above(self, rh: float, t_c: float) -> bool:
        return rh == rh and t_c == t_c and rh >= float(lim_rh(t_c, self.substrate))

    def add(self, t: float, rh: float, temperature: LastTwo) -> None:
        """Take an RH sample (t s, %RH); ``temperature`` interpolates the paired temperature."""
        if self._last is not None:
            tp, hp = self._last
            gap = t - tp
            held = min(gap, self.max_hold_s) if self._above(hp, temperature.at(tp)) else 0.0
            self._done.append((tp, held))
            self._sum += held
            self._gaps.append(gap)
            self._adds += 1
            if self._adds >= len(self._done):  # sum afresh once per window's worth of samples: no drift
                self._sum, self._adds = math.fsum(d[1] for d in self._done), 0
        self._last = (t, rh)

    def state(self) -> list:
        """What it holds, as JSON-able lists (:meth:`restore` takes it back)."""
        return [[list(d) for d in self._done], None if self._last is None else list(self._last), list(self._gaps),
                self._sum, self._adds]

    def restore(self, state: list) -> None:
        done, last, gaps, total, adds = state
        self._done = deque((float(t), float(h)) for t, h in done)
        self._sum, self._adds = float(total), int(adds)
        self._last = None if last is None else (float(last[0]), float(last[1]))
        self._gaps = deque((float(g) for g in gaps), maxlen=RECENT_GAPS)

    @property
    def latest_t(self) -> float:
        """Time of the newest RH sample (NaN when none)."""
        return self._last[0] if self._last is not None else math.nan

    @property
    def latest_rh(self) -> float:
        """The newest RH sample, %RH (NaN when none)."""
        return self._last[1] if self._last is not None else math.nan

    def first_t(self, now: float) -> float:
        """Time of the window's first RH sample (NaN when there is none)."""
        self._expire(now)
        if self._done:
            return self._done[0][0]
        return self._last[0] if self._last is not None and self._last[0] >= now - self.window_s else math.nan

    def _expire(self, now: float) -> None:
        since = now - self.window_s
        done = self._done
        while done and done[0][0] < since:
            self._sum -= done.popleft()[1]
        if not done:
            self._sum = 0.0

    def days(self, now: float, temperature: LastTwo) -> float:
        """Days above the isopleth in the window ending at ``now`` (the newest sample counted too)."""
        self._expire(now)
        if self._last is None:
            return 0.0
        t, rh = self._last
        last = min(median(self._gaps), self.max_hold_s) if self._gaps else 0.0
        above = last if self._above(rh, temperature.at(t)) else 0.0
        return (self._sum + above) / DAY_S
