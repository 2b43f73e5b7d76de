"""Time in range: how much of a record lay within a band, per record and per day.

Each sample stands for the time until the next one (sample and hold, as
:func:`simulation.time_axis.hold_durations`), but never for more than
``max_hold_s``: a logger that was off for two days does not count as two days
at its last value. Shares are therefore of the *recorded* time; the data-quality
part of a report says how much time was recorded (:mod:`simulation.completeness`).

The 6 h cap matches :func:`simulation.light_dose.cumulative_exposure`'s gap rule.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.time_axis import DAY_S, HOUR_S, hold_durations, seconds, sort_by_time

MAX_HOLD_S = 6 * HOUR_S
"""Longest time one sample may stand for, s (a longer gap is a gap, not a reading)."""


def held_weights(t_s: ArrayLike, max_hold_s: float = MAX_HOLD_S) -> NDArray[np.float64]:
    """Seconds each sample stands for: the gap to the next sample, capped at ``max_hold_s``.

    t_s : (n,) float, s, sorted  ->  (n,) float, s
    """
    return np.minimum(hold_durations(np.asarray(t_s, dtype=float)), max_hold_s)


def inside_band(values: ArrayLike, low: float | None = None, high: float | None = None) -> NDArray[np.bool_]:
    """Whether each value lies in ``[low, high]`` (None = unbounded); NaN is never inside.

    values : (n,) float  ->  (n,) bool
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if low is not None:
        ok &= v >= low
    if high is not None:
        ok &= v <= high
    return ok


def time_share(times: ArrayLike, flags: ArrayLike, valid: ArrayLike | None = None,
               max_hold_s: float = MAX_HOLD_S) -> float:
    """Share of the recorded time during which ``flags`` is true (0..1; NaN for no time).

    times : (n,) datetime64 / aware datetime / float s; flags : (n,) bool;
    valid : (n,) bool, samples that count at all (default: all)
    """
    t, f = sort_by_time(seconds(times), np.asarray(flags, dtype=float))
    v = np.ones(t.size) if valid is None else sort_by_time(seconds(times), np.asarray(valid, dtype=float))[1]
    w = held_weights(t, max_hold_s) * (v > 0)
    total = w.sum()
    return float(np.sum(w * (f > 0)) / total) if total > 0 else float("nan")


def time_in_band(times: ArrayLike, values: ArrayLike, low: float | None = None, high: float | None = None,
                 max_hold_s: float = MAX_HOLD_S) -> float:
    """Share of the recorded time with the value in ``[low, high]`` (NaN samples do not count).

    times : (n,) ...; values : (n,) float, unit of the limits  ->  float, 0..1 (NaN if no time)
    """
    v = np.asarray(values, dtype=float)
    return time_share(times, inside_band(v, low, high), np.isfinite(v), max_hold_s)


def hours_where(times: ArrayLike, flags: ArrayLike, max_hold_s: float = MAX_HOLD_S) -> float:
    """Hours during which ``flags`` is true (each sample held as in :func:`held_weights`).

    times : (n,) ...; flags : (n,) bool  ->  float, h
    """
    t, f = sort_by_time(seconds(times), np.asarray(flags, dtype=float))
    return float(np.sum(held_weights(t, max_hold_s) * (f > 0)) / HOUR_S)


def daily_share(times: ArrayLike, flags: ArrayLike, start_s: float, days: int,
                valid: ArrayLike | None = None, max_hold_s: float = MAX_HOLD_S) -> NDArray[np.float64]:
    """Share of each day's recorded time during which ``flags`` is true.

    times : (n,) ...; flags : (n,) bool; start_s : float, s, start of day 0 (UTC midnight);
    days : number of days  ->  (days,) float, 0..1, NaN for a day with no record.
    A sample counts towards the day it was taken on.
    """
    t, f = sort_by_time(seconds(times), np.asarray(flags, dtype=float))
    v = np.ones(t.size) if valid is None else sort_by_time(seconds(times), np.asarray(valid, dtype=float))[1]
    w = held_weights(t, max_hold_s) * (v > 0)
    day = np.floor((t - start_s) / DAY_S).astype(int)
    keep = (day >= 0) & (day < days)
    total = np.bincount(day[keep], weights=w[keep], minlength=days)
    hit = np.bincount(day[keep], weights=(w * (f > 0))[keep], minlength=days)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, hit / np.where(total > 0, total, 1.0), np.nan)
