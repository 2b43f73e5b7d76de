"""Data cleaning as plain functions over arrays: outlier flags and gap filling.

Every flag function returns a boolean mask of the input's shape (True =
flagged) and never changes or removes a value: the caller keeps flagged
readings with their flag and keeps them out of the models. Missing values
are NaN and are never flagged. Times are seconds (float, any epoch), sorted
ascending.

Rules and their sources:

- physical range / configured thresholds: :func:`outside` (the range is the
  quantity table's, the thresholds are the site's);
- rolling 3-sigma: :func:`sigma_flags`, the three-sigma rule (Pukelsheim
  1994, "The three sigma rule", Am. Stat. 48:88-91) on a centred window
  whose statistics leave the tested point out, so a spike cannot hide
  itself by inflating the spread;
- robust MAD / Hampel identifier: :func:`hampel_flags` (Hampel 1974,
  JASA 69:383; Pearson 2002, "Outliers in process modeling and
  identification", IEEE TCST 10:55), scale = 1.4826 MAD, the consistency
  constant for the normal distribution (Rousseeuw & Croux 1993, JASA 88:1273);
- step rule: :func:`step_flags`, the "step test" of WMO automatic-station
  quality control (Zahumenský 2004, "Guidelines on quality control
  procedures for data from automatic weather stations", WMO CBS);
- stuck sensor: :func:`stuck_flags` and :func:`rail_flags`, the WMO
  "persistence test" (same source): a live sensor's value moves;
- imputation: :func:`impute` linear or nearest, only across gaps up to a
  maximum length; longer gaps stay missing.

Defaults and their reasons live in :class:`CleaningSettings` and
:data:`QUANTITY_RULES`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

MAD_TO_SIGMA = 1.4826
"""1 / Phi^-1(3/4): MAD times this estimates sigma for normal data (Rousseeuw & Croux 1993)."""


@dataclass(frozen=True)
class CleaningSettings:
    """Thresholds of the cleaning rules, with the reason for each default.

    sigma_k : 3.0, the three-sigma rule; on clean Gaussian noise it flags
        about 0.3 % of points (0.27 % for known mean and sigma).
    sigma_window : 97 samples, centred (48 each side): 16 h at 10-min
        sampling, 8 h at 5-min; long enough that the leave-one-out mean and
        spread are stable (t with 96 dof is within 2 % of normal at 3 sigma),
        short enough to follow the daily cycle of a hall.
    hampel_k : 3.0 scaled MADs, Pearson (2002) and the usual Hampel default.
    hampel_window : 49 samples, centred: a level shift (lights on, people
        in) holds the majority of the window at once, so the median follows
        it and a real step is not flagged; only excursions shorter than 24
        samples can be.
    min_neighbours : 12 valid neighbours at least before a window rule
        judges a point (fewer give a spread too noisy to trust).
    stuck_s : 24 h of exactly constant value. In the Candanedo house data
        (10-min averages, 9 rooms, a year) the longest constant run of a
        working indoor sensor is 12 h (T9); 24 h of no change at all means
        a frozen sensor or a saturated one (WMO persistence test, made
        longer for the slow climate of a hall).
    stuck_min_samples : 6; a run must also hold this many readings, so a
        daily-sampled point (Trend BMS) is not flagged after two equal days;
        readings more than ``stuck_s / stuck_min_samples`` apart (4 h) do not
        form a run (a gap is not a stuck sensor).
    rail_s : 1 h at exactly a physical-range bound (0 %RH, 100 %RH ...):
        air is never at 0 %RH; a sensor pinned at a bound is saturated or
        broken.
    max_gap_s : 3 h; linear interpolation of indoor T/RH over up to a few
        hours stays within sensor accuracy in a hall with slow dynamics
        (time constants of hours); longer gaps stay missing.
    min_fill_step_s : 1 s; gaps are filled on the sensor's cadence, but never
        finer than this: loggers sample the slow indicators of Table 1 at
        most once a second, and a burst of readings milliseconds apart must
        not turn one short gap into millions of filled readings (display
        and storage bound, not a physical constant).
    """

    sigma_k: float = 3.0
    sigma_window: int = 97
    hampel_k: float = 3.0
    hampel_window: int = 49
    min_neighbours: int = 12
    stuck_s: float = 24 * 3600.0
    stuck_min_samples: int = 6
    rail_s: float = 3600.0
    max_gap_s: float = 3 * 3600.0
    min_fill_step_s: float = 1.0


@dataclass(frozen=True)
class QuantityRule:
    """Per-quantity constants of the cleaning rules.

    scale_floor, rel_floor : smallest spread a window rule uses,
        ``scale_floor + rel_floor * |level|`` (canonical unit), the accuracy
        of a typical sensor, so that a flat signal (MAD = 0) does not flag
        its first real change.
    max_step : largest change between consecutive readings (canonical unit)
        that is physically possible; None where real steps are normal.
    rail : whether a value held at a bound of the physical range means a
        failed sensor; False where the bound is a normal value (0 lx in the
        dark, 0 µW/lm under LED light, 0 µg/m³ in clean air, no vibration).
    """

    scale_floor: float
    max_step: float | None
    rel_floor: float = 0.0
    rail: bool = True


QUANTITY_RULES: Mapping[str, QuantityRule] = MappingProxyType({
    # Sensirion SHT3x data sheet: ±0.2 °C, ±2 %RH typical accuracy.
    # Steps (change allowed per 10 min, more for readings further apart):
    # the WMO step test (Zahumenský 2004) allows 3 °C and 10 %RH between
    # 1-min samples outdoors. A hall is far slower, so the outdoor 1-min
    # temperature limit is kept per 10 min. Humidity gets 30 %RH: bathroom
    # showers in the Candanedo house (RH_5, real per its SOURCE.md) move a
    # 10-min average by more than 20 %RH; no working sensor jumps 30 %RH.
    "temperature": QuantityRule(0.2, 3.0),
    "relative_humidity": QuantityRule(2.0, 30.0),
    # Light and CO2: steps are real (lights switched, people come in; the
    # uci-occupancy SOURCE.md), so there is no step limit. Floors: light
    # loggers are ±5 % of reading (Hanwell/T&D data sheets) plus 5 lx;
    # NDIR CO2 ±(30 ppm + 3 % of reading) (Sensirion SCD30 data sheet).
    "illuminance": QuantityRule(5.0, None, 0.05, rail=False),
    "uv": QuantityRule(5.0, None, 0.05, rail=False),  # museum UV meters resolve ~1 µW/lm (Elsec 765)
    "colour_temperature": QuantityRule(100.0, None),
    "co2": QuantityRule(30.0, None, 0.03),
    # Pollutants: low-cost sensors ±5-10 µg/m³ (Plantower PMS5003 data sheet).
    "so2": QuantityRule(5.0, None, rail=False),
    "nox": QuantityRule(5.0, None, rail=False),
    "pm2_5": QuantityRule(5.0, None, rail=False),
    "pm10": QuantityRule(5.0, None, rail=False),
    "voc": QuantityRule(50.0, None, rail=False),
    # Mechanical: MEMS accelerometer noise ~0.01 m/s², inclinometer 0.05°,
    # foil strain gauge ~5 µε; steps are real (a knock, a settlement).
    "vibration": QuantityRule(0.01, None, rail=False),
    "tilt": QuantityRule(0.05, None),
    "strain": QuantityRule(5.0, None),
})


def _as_float(values: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(values, dtype=float)


def outside(values: ArrayLike, low: float | None, high: float | None) -> NDArray[np.bool_]:
    """Values below ``low`` or above ``high`` (either may be None); NaN is not flagged.

    values : (n,) float  ->  (n,) bool
    """
    v = _as_float(values)
    flags = np.zeros(v.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            flags |= v < low
        if high is not None:
            flags |= v > high
    return flags


def _windows(v: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """(n, window) centred windows with NaN padding, the centre column set to NaN."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), v, np.full(half, np.nan)])
    w = sliding_window_view(padded, 2 * half + 1).copy()
    w[:, half] = np.nan
    return w


def excursion(values: ArrayLike, half: int = 5, margin: ArrayLike = 0.0) -> NDArray[np.bool_]:
    """Points more than ``margin`` above the medians of both sides, or below both:
    a spike, not a step.

    values : (n,) float, NaN = missing; margin : scalar or (n,) float, same unit
    ->  (n,) bool
    The medians are of the ``half`` valid-or-missing samples just before and
    just after. A point on a level shift (lights switched on, people coming
    in) lies between the old and the new level, or at one of them, so it is
    never an excursion; the window rules use this to leave real steps alone.
    Edge points with no sample on one side are judged by the other side.
    """
    v = _as_float(values)
    if v.size == 0:
        return np.zeros(0, dtype=bool)
    pad = np.concatenate([np.full(half, np.nan), v, np.full(half, np.nan)])
    w = sliding_window_view(pad, 2 * half + 1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN side -> NaN median
        before = np.nanmedian(w[:, :half], axis=1)
        after = np.nanmedian(w[:, half + 1:], axis=1)
    before = np.where(np.isnan(before), after, before)
    after = np.where(np.isnan(after), before, after)
    m = np.broadcast_to(_as_float(margin), v.shape)
    with np.errstate(invalid="ignore"):
        up = (v - before > m) & (v - after > m)
        down = (before - v > m) & (after - v > m)
    return up | down


def sigma_flags(values: ArrayLike, window: int = CleaningSettings.sigma_window, k: float = CleaningSettings.sigma_k,
                scale_floor: float = 0.0, min_neighbours: int = CleaningSettings.min_neighbours,
                steps_kept: bool = True, rel_floor: float = 0.0) -> NDArray[np.bool_]:
    """Rolling 3-sigma rule: ``|x - mean| > k * max(std, scale_floor + rel_floor |mean|)``.

    values : (n,) float, NaN = missing  ->  (n,) bool
    Mean and (sample) std come from the centred ``window`` without the point
    itself; points with fewer than ``min_neighbours`` valid neighbours are
    not judged. With ``steps_kept`` only :func:`excursion` points can be
    flagged, so a real level shift is not called an outlier.
    """
    v = _as_float(values)
    if v.size == 0:
        return np.zeros(0, dtype=bool)
    w = _windows(v, window)
    count = np.sum(~np.isnan(w), axis=1)
    ok = (count >= max(min_neighbours, 2)) & ~np.isnan(v)
    flags = np.zeros(v.shape, dtype=bool)
    if not ok.any():
        return flags
    mean = np.nanmean(w[ok], axis=1)
    scale = np.maximum(np.nanstd(w[ok], axis=1, ddof=1), scale_floor + rel_floor * np.abs(mean))
    flags[ok] = np.abs(v[ok] - mean) > k * scale
    if steps_kept:
        full = np.full(v.shape, np.inf)
        full[ok] = k * scale
        flags &= excursion(v, margin=full)
    return flags


def hampel_flags(values: ArrayLike, window: int = CleaningSettings.hampel_window, k: float = CleaningSettings.hampel_k,
                 scale_floor: float = 0.0, min_neighbours: int = CleaningSettings.min_neighbours,
                 steps_kept: bool = True, rel_floor: float = 0.0) -> NDArray[np.bool_]:
    """Hampel identifier: ``|x - median| > k * max(1.4826 MAD, scale_floor + rel_floor |median|)``.

    values : (n,) float, NaN = missing  ->  (n,) bool
    Median and MAD come from the centred ``window`` without the point itself.
    With ``steps_kept`` only :func:`excursion` points can be flagged.
    """
    v = _as_float(values)
    if v.size == 0:
        return np.zeros(0, dtype=bool)
    w = _windows(v, window)
    count = np.sum(~np.isnan(w), axis=1)
    ok = (count >= max(min_neighbours, 1)) & ~np.isnan(v)
    flags = np.zeros(v.shape, dtype=bool)
    if not ok.any():
        return flags
    wo = w[ok]
    med = np.nanmedian(wo, axis=1)
    mad = np.nanmedian(np.abs(wo - med[:, None]), axis=1)
    scale = np.maximum(MAD_TO_SIGMA * mad, scale_floor + rel_floor * np.abs(med))
    flags[ok] = np.abs(v[ok] - med) > k * scale
    if steps_kept:
        full = np.full(v.shape, np.inf)
        full[ok] = k * scale
        flags &= excursion(v, margin=full)
    return flags


def step_flags(times: ArrayLike, values: ArrayLike, max_step: float,
               max_dt: float = 3 * 3600.0, per_s: float = 600.0) -> NDArray[np.bool_]:
    """Step rule: a reading more than ``max_step`` from the last trusted one.

    times : (n,) float, s; values : (n,) float, NaN = missing  ->  (n,) bool
    ``max_step`` is the change allowed within ``per_s`` seconds; readings
    further apart may differ by ``max_step * dt / per_s``.
    The reference is the last unflagged reading. After a flagged jump, a
    reading back near the reference ends it (a spike); a reading near the
    jumped value means the level really moved: the jump stays flagged and the
    new level becomes the reference. A gap longer than ``max_dt`` resets the
    reference (nothing is known about change across it).
    """
    t = _as_float(times)
    v = _as_float(values)
    flags = np.zeros(v.shape, dtype=bool)
    ref = cand = np.nan
    last_t = -np.inf
    for i in range(v.size):
        x = v[i]
        if np.isnan(x):
            continue
        dt = t[i] - last_t
        allowed = max_step * max(1.0, dt / per_s)
        if np.isnan(ref) or dt > max_dt:
            ref, cand = x, np.nan
        elif abs(x - ref) > allowed:
            if not np.isnan(cand) and abs(x - cand) <= allowed:
                ref, cand = x, np.nan
            else:
                flags[i] = True
                cand = x
        else:
            ref, cand = x, np.nan
        last_t = t[i]
    return flags


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of ``mask``."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(),
                    strict=True))


def _long_runs(t: NDArray[np.float64], same_as_next: NDArray[np.bool_], min_s: float,
               min_samples: int, max_dt: float) -> NDArray[np.bool_]:
    """Flag readings in runs (linked by ``same_as_next``) of >= min_s and >= min_samples.

    Readings more than ``max_dt`` apart are not linked (a gap breaks a run).
    """
    same_as_next = same_as_next & (np.diff(t) <= max_dt)
    flags = np.zeros(t.shape, dtype=bool)
    for start, stop in _runs(same_as_next):
        first, last = start, stop  # readings first..last inclusive are linked
        if last - first + 1 >= min_samples and t[last] - t[first] >= min_s:
            flags[first:last + 1] = True
    return flags


def stuck_flags(times: ArrayLike, values: ArrayLike, min_s: float = CleaningSettings.stuck_s,
                min_samples: int = CleaningSettings.stuck_min_samples, tol: float = 0.0,
                max_dt: float = CleaningSettings.stuck_s / CleaningSettings.stuck_min_samples) -> NDArray[np.bool_]:
    """Stuck sensor: runs of consecutive readings within ``tol`` of each other
    lasting ``min_s`` seconds or more and holding ``min_samples`` or more.

    times : (n,) float, s; values : (n,) float  ->  (n,) bool
    A missing value (NaN) or a gap longer than ``max_dt`` breaks a run (the
    same value either side of a week-long outage is not evidence of a stuck
    sensor).
    """
    t = _as_float(times)
    v = _as_float(values)
    if v.size < 2:
        return np.zeros(v.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        same = np.abs(np.diff(v)) <= tol
    return _long_runs(t, same, min_s, min_samples, max_dt)


def rail_flags(times: ArrayLike, values: ArrayLike, low: float, high: float,
               min_s: float = CleaningSettings.rail_s, max_dt: float = CleaningSettings.stuck_s / CleaningSettings.stuck_min_samples) -> NDArray[np.bool_]:
    """Readings pinned at exactly ``low`` or ``high`` for ``min_s`` seconds or more.

    times : (n,) float, s; values : (n,) float  ->  (n,) bool
    A gap longer than ``max_dt`` breaks a run.
    """
    t = _as_float(times)
    v = _as_float(values)
    flags = np.zeros(v.shape, dtype=bool)
    for bound in (low, high):
        at = v == bound
        if v.size >= 2:
            flags |= _long_runs(t, at[:-1] & at[1:], min_s, 2, max_dt)
    return flags


def missing_times(times: ArrayLike, step: float, max_gap_s: float = np.inf) -> NDArray[np.float64]:
    """Times on the ``step`` cadence that fall inside gaps of ``times``.

    times : (n,) float, s, sorted  ->  (m,) float, s
    A gap is an interval longer than 1.5 steps (and at most ``max_gap_s``: a
    longer one will not be filled, so its instants are not made); it is filled
    at ``t0 + step, t0 + 2 step, ...`` up to half a step before the next reading.
    """
    t = _as_float(times)
    out = []
    for t0, t1 in zip(t[:-1], t[1:], strict=True):
        if 1.5 * step < t1 - t0 <= max_gap_s:
            out.append(np.arange(t0 + step, t1 - step / 2, step))
    return np.concatenate(out) if out else np.zeros(0)


def typical_step(times: ArrayLike) -> float:
    """Median interval between consecutive times (s); 0 for fewer than 2 times."""
    t = _as_float(times)
    return float(np.median(np.diff(t))) if t.size >= 2 else 0.0


def impute(times: ArrayLike, values: ArrayLike, max_gap_s: float,
           method: Literal["linear", "nearest"] = "linear"
           ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Fill missing values (NaN) from their valid neighbours, across short gaps only.

    times : (n,) float, s, sorted; values : (n,) float, NaN = missing
    -> (filled (n,) float, imputed (n,) bool)
    A missing value is filled only when the valid readings on both sides are
    at most ``max_gap_s`` apart; leading and trailing missing values and
    longer gaps stay NaN. ``nearest`` takes the closer neighbour (the
    earlier on a tie).
    """
    t = _as_float(times)
    v = _as_float(values)
    filled = v.copy()
    valid = ~np.isnan(v)
    if valid.sum() < 2:
        return filled, np.zeros(v.shape, dtype=bool)
    idx = np.flatnonzero(valid)
    pos = np.searchsorted(idx, np.arange(v.size))  # index into idx of next valid
    inside = (~valid) & (pos > 0) & (pos < idx.size)
    prev = idx[np.clip(pos - 1, 0, idx.size - 1)]
    nxt = idx[np.clip(pos, 0, idx.size - 1)]
    fill = inside & (t[nxt] - t[prev] <= max_gap_s)
    if method == "linear":
        filled[fill] = np.interp(t[fill], t[valid], v[valid])
    elif method == "nearest":
        near_prev = (t - t[prev]) <= (t[nxt] - t)
        filled[fill] = np.where(near_prev, v[prev], v[nxt])[fill]
    else:
        raise ValueError(f"unknown imputation method {method!r}; use 'linear' or 'nearest'")
    return filled, fill
