"""Time stamps of a series as seconds on one axis, and trailing windows over them.

Series reach the models as datetime64 arrays (UTC), as timezone-aware
``datetime`` objects, or already as float seconds since the Unix epoch;
:func:`seconds` turns all three into ``(n,) float64`` seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

HOUR_S = 3600.0
DAY_S = 86_400.0
YEAR_H = 8760.0  # hours in a (non-leap) year, the unit of "per year" exposure limits


def seconds(times: ArrayLike | Sequence[datetime]) -> NDArray[np.float64]:
    """Seconds since 1970-01-01T00:00Z.

    times : (n,) datetime64 (UTC), aware datetime, or float seconds  ->  (n,) float64, s
    A naive ``datetime`` is refused: time is UTC inside and aware everywhere.
    """
    if isinstance(times, np.ndarray) and np.issubdtype(times.dtype, np.datetime64):
        return times.astype("datetime64[ms]").astype(np.int64).astype(float) / 1000.0
    seq: list[Any] = times.tolist() if isinstance(times, np.ndarray) else list(times)  # type: ignore[arg-type]
    if seq and isinstance(seq[0], datetime):
        out = np.empty(len(seq))
        for i, t in enumerate(seq):
            if t.tzinfo is None:
                raise ValueError(f"naive datetime at index {i}: {t!r}; give timezone-aware UTC times")
            out[i] = t.timestamp()
        return out
    if seq and isinstance(seq[0], np.datetime64):
        return seconds(np.asarray(seq, dtype="datetime64[ms]"))
    return np.asarray(seq, dtype=float)


def time_order(t_s: NDArray[np.float64]) -> NDArray[np.intp] | None:
    """The stable permutation that sorts ``t_s``, or None when it is already non-decreasing.

    Logger exports and merged files are not always in time order; every function here
    that depends on order sorts first and returns per-sample results in the input order.
    """
    t = np.asarray(t_s, dtype=float)
    if t.size < 2 or bool(np.all(np.diff(t) >= 0)):
        return None
    return np.argsort(t, kind="stable")


def in_input_order(result: NDArray[np.float64], order: NDArray[np.intp] | None) -> NDArray[np.float64]:
    """Undo :func:`time_order` on a per-sample result computed in time order."""
    if order is None:
        return result
    out = np.empty_like(result)
    out[order] = result
    return out


def sort_by_time(t_s: NDArray[np.float64], *arrays: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """``t_s`` and each array, reordered so that ``t_s`` is non-decreasing (copies only when needed)."""
    t = np.asarray(t_s, dtype=float)
    arrs = [np.asarray(a, dtype=float) for a in arrays]
    order = time_order(t)
    if order is None:
        return (t, *arrs)
    return (t[order], *(a[order] for a in arrs))


def hold_durations(t_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """How long each sample stands for: the gap to the next one in time (sample and hold).

    t_s : (n,) float, s  ->  (n,) float, s, in the input order. The last sample gets the
    median gap (0 for a single sample), so a regular series weights all samples alike.
    """
    t = np.asarray(t_s, dtype=float)
    if t.size < 2:
        return np.zeros(t.size)
    order = time_order(t)
    ts = t if order is None else t[order]
    gaps = np.diff(ts)
    return in_input_order(np.append(gaps, np.median(gaps)), order)


def trailing_range(t_s: NDArray[np.float64], values: NDArray[np.float64],
                   window_s: float) -> NDArray[np.float64]:
    """Max minus min of ``values`` over the trailing window ``(t - window_s, t]`` of each sample.

    t_s : (n,) float, s; values : (n,) float  ->  (n,) float, unit of values, input order.
    NaN values are skipped. O(n) with monotonic queues (after sorting by time).
    """
    order = time_order(np.asarray(t_s, dtype=float))
    t, v = sort_by_time(np.asarray(t_s, dtype=float), values)
    out = np.full(v.shape, np.nan)
    hi: deque[int] = deque()
    lo: deque[int] = deque()
    for i in range(v.size):
        if not np.isnan(v[i]):
            while hi and v[hi[-1]] <= v[i]:
                hi.pop()
            hi.append(i)
            while lo and v[lo[-1]] >= v[i]:
                lo.pop()
            lo.append(i)
        start = t[i] - window_s
        while hi and t[hi[0]] <= start:
            hi.popleft()
        while lo and t[lo[0]] <= start:
            lo.popleft()
        if hi:
            out[i] = v[hi[0]] - v[lo[0]]
    return in_input_order(out, order)


def centred_mean(t_s: NDArray[np.float64], values: NDArray[np.float64],
                 window_s: float) -> NDArray[np.float64]:
    """Mean of ``values`` over ``[t - window_s/2, t + window_s/2]`` around each sample.

    t_s : (n,) float, s; values : (n,) float  ->  (n,) float, input order. Samples are
    weighted by :func:`hold_durations` so irregular sampling does not bias the mean;
    NaN values are skipped. Near the ends the window is truncated.
    """
    order = time_order(np.asarray(t_s, dtype=float))
    t, v = sort_by_time(np.asarray(t_s, dtype=float), values)
    w = hold_durations(t)
    ok = ~np.isnan(v)
    cw = np.concatenate([[0.0], np.cumsum(np.where(ok, w, 0.0))])
    cv = np.concatenate([[0.0], np.cumsum(np.where(ok, w * np.nan_to_num(v), 0.0))])
    i0 = np.searchsorted(t, t - window_s / 2.0, side="left")
    i1 = np.searchsorted(t, t + window_s / 2.0, side="right")
    den = cw[i1] - cw[i0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, (cv[i1] - cv[i0]) / np.where(den > 0, den, 1.0), np.nan)
    return in_input_order(mean, order)
