"""Preparing sensor histories for forecasting: gaps, stale ends, resolution.

Plain functions over ``(n, t)`` float arrays: ``n`` sensors, ``t`` time steps
at a regular step, oldest first, NaN where a reading is missing or flagged.
"""

from __future__ import annotations

import numpy as np


def fill_short_gaps(y: np.ndarray, max_gap_steps: int) -> np.ndarray:
    """Linearly interpolate interior runs of NaN no longer than ``max_gap_steps``.

    y : (n, t) float, any unit
    max_gap_steps : longest run of missing steps that is bridged; longer runs,
        and NaN before the first or after the last valid value, stay NaN.

    Returns a new (n, t) float array.
    """
    y = np.asarray(y, dtype=float)
    out = np.array(y, dtype=float, order="C")  # a copy
    if max_gap_steps <= 0 or out.size == 0:
        return out
    t = out.shape[1]
    # on the flattened array: each missing value's nearest valid neighbours by one search over
    # the valid positions (a gap is short and rare: no pass over every element's neighbours)
    flat = out.reshape(-1)
    finite = np.isfinite(flat)
    missing = np.flatnonzero(~finite)
    if missing.size == 0:
        return out
    valid = np.flatnonzero(finite)
    if valid.size == 0:
        return out
    pos = np.searchsorted(valid, missing)
    p = valid[np.maximum(pos - 1, 0)]
    q = valid[np.minimum(pos, valid.size - 1)]
    row = missing // t
    fill = (pos > 0) & (pos < valid.size) & (p // t == row) & (q // t == row) & (q - p - 1 <= max_gap_steps)
    m, p, q = missing[fill], p[fill], q[fill]
    w = (m - p) / (q - p)
    flat[m] = (1.0 - w) * flat[p] + w * flat[q]  # p and q are valid positions: never written here
    return out


def stale_steps(y: np.ndarray) -> np.ndarray:
    """Number of trailing missing steps per sensor.

    y : (n, t) float.  Returns (n,) int; ``t`` for an all-NaN row.
    """
    valid = np.isfinite(y)
    t = y.shape[1]
    any_valid = valid.any(axis=1)
    last = t - 1 - np.argmax(valid[:, ::-1], axis=1)
    return np.where(any_valid, t - 1 - last, t)


def right_align(y: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Shift each row right by ``shift[i]`` steps, padding NaN on the left.

    Used to make each sensor's last valid reading the forecast origin while
    keeping its time-of-day phase: after the shift, row ``i`` column ``j`` is
    the reading ``shift[i]`` steps before column ``j`` of the input.

    y : (n, t) float; shift : (n,) int >= 0.  Returns (n, t) float.
    """
    n, t = y.shape
    src = np.arange(t)[None, :] - shift[:, None]
    out = np.take_along_axis(y, np.clip(src, 0, t - 1), axis=1)
    return np.where(src >= 0, out, np.nan)


def resolution(y: np.ndarray) -> np.ndarray:
    """Smallest non-zero step between distinct readings: the logger's quantisation.

    y : (n, t) float.  Returns (n,) float, 0 where a row has fewer than two
    distinct values.  Whole-percent RH loggers give 1.0.
    """
    s = np.sort(y, axis=1)
    d = np.diff(s, axis=1)
    scale = np.nanmax(np.abs(np.where(np.isfinite(s), s, 0.0)), axis=1, keepdims=True)
    # differences below 1e-9 of the magnitude are float noise, not a logger step
    d = np.where(np.isfinite(d) & (d > 1e-9 * np.maximum(scale, 1.0)), d, np.inf)
    out = d.min(axis=1) if d.shape[1] else np.full(y.shape[0], np.inf)
    return np.where(np.isfinite(out), out, 0.0)


def one_step_scale(y: np.ndarray) -> np.ndarray:
    """Root mean square of one-step changes per sensor (NaN-aware).

    y : (n, t) float.  Returns (n,) float in the unit of ``y``; NaN when no
    two consecutive readings exist.
    """
    d = np.diff(y, axis=1)
    ok = np.isfinite(d)
    cnt = ok.sum(axis=1)
    ss = np.where(ok, d, 0.0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(ss.sum(axis=1) / cnt)


def on_grid(y: np.ndarray, res: np.ndarray) -> np.ndarray:
    """Whether every reading of a sensor lies on the grid of its resolution.

    y : (n, t) float; res : (n,) float from :func:`resolution`.
    Returns (n,) bool; False where ``res`` is 0.
    """
    safe = np.where(res > 0, res, 1.0)[:, None]
    k = y / safe
    with np.errstate(invalid="ignore"):
        dev = np.abs(k - np.round(k))
    return (res > 0) & np.all(np.where(np.isfinite(y), dev < 1e-6, True), axis=1)


def snap(f: np.ndarray, res: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Round forecasts of on-grid sensors to their grid.

    f : (n, ...) float; res : (n,) float step; grid : (n,) bool.
    Returns an array like ``f``; rows not on a grid are unchanged.
    """
    if not grid.any():
        return f
    shape = (-1,) + (1,) * (f.ndim - 1)
    r = np.where(grid, res, 1.0).reshape(shape).astype(f.dtype)
    return np.where(grid.reshape(shape), np.round(f / r) * r, f)


def trailing_mean(y: np.ndarray, at: np.ndarray, w: int) -> np.ndarray:
    """Mean of the ``w`` readings up to and including each index of ``at``.

    y : (n, t) float (NaN ignored); at : (r,) int indices. Returns (n, r)
    float, NaN where the window holds no reading.
    """
    ok = np.isfinite(y)
    zero = np.zeros((y.shape[0], 1))
    cs = np.concatenate([zero, np.cumsum(np.where(ok, y, 0.0), axis=1)], axis=1)
    cc = np.concatenate([zero, np.cumsum(ok, axis=1)], axis=1)
    lo = np.clip(at - w + 1, 0, None)
    cnt = cc[:, at + 1] - cc[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (cs[:, at + 1] - cs[:, lo]) / cnt, np.nan)
