"""Data completeness of one sensor's record: its nominal interval, the share received, the gaps.

The nominal interval is the median spacing of the record (a logger set to
15 min reports every 15 min, give or take a missed sample). The expected
number of readings in a period is its length over that interval; a *gap* is a
stretch with no reading longer than ``GAP_FACTOR`` nominal intervals (also at
the start and end of the period).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from simulation.time_axis import seconds

GAP_FACTOR = 3.0
"""A silence longer than this many nominal intervals is a gap (engineering choice: two
missed samples in a row are noise, three are an outage worth listing)."""


@dataclass(frozen=True)
class Completeness:
    """interval_s : nominal interval, s (NaN with fewer than 2 readings)
    received, expected : readings in the period and the number the interval implies
    gaps : ((start_s, end_s), ...) silences longer than GAP_FACTOR intervals, s since the epoch
    """

    interval_s: float
    received: int
    expected: int
    gaps: tuple[tuple[float, float], ...]

    @property
    def share(self) -> float:
        """received / expected, at most 1 (NaN when nothing is expected)."""
        return min(1.0, self.received / self.expected) if self.expected else float("nan")

    @property
    def gap_hours(self) -> float:
        return sum(b - a for a, b in self.gaps) / 3600.0


def completeness(times: ArrayLike, start_s: float, end_s: float, interval_s: float | None = None) -> Completeness:
    """Completeness of readings at ``times`` over ``[start_s, end_s)``.

    times : (n,) datetime64 / aware datetime / float s; interval_s : nominal interval,
    s (default: the median spacing of ``times``)
    """
    t = np.unique(seconds(times))
    t = t[(t >= start_s) & (t < end_s)]
    if interval_s is None:
        interval_s = float(np.median(np.diff(t))) if t.size >= 2 else float("nan")
    if not np.isfinite(interval_s) or interval_s <= 0:
        gaps = ((start_s, end_s),) if t.size == 0 else ()
        return Completeness(float("nan"), int(t.size), 0, gaps)
    expected = int(round((end_s - start_s) / interval_s))
    edges = np.concatenate([[start_s], t, [end_s]])
    silence = np.diff(edges)
    limit = GAP_FACTOR * interval_s
    idx = np.flatnonzero(silence > limit)
    gaps = tuple((float(edges[i]), float(edges[i + 1])) for i in idx)
    return Completeness(float(interval_s), int(t.size), expected, gaps)
