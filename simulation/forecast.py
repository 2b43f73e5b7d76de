"""Short-range forecasts of indoor climate with calibrated bands.

:func:`forecast` (one sensor) and :func:`forecast_many` (``n`` sensors at
once) forecast a regular series ``horizon_steps`` ahead. Inside, every
candidate of :mod:`simulation.forecast_models` is run in a rolling backtest
on the sensor's own history (origins spread over the history, each scored
on what followed it). Per sensor and lead time the candidate with the
lowest backtest mean absolute error wins, but only where its own past shows
that it pays; otherwise the forecast *is* the last value (persistence).
"Pays" means all of:

- its gain over persistence is significant, counting overlapping windows as
  span / lead independent ones (:attr:`ForecastSettings.min_skill_z`); a
  half-and-half average with persistence, a smaller bet, needs less
  evidence (:attr:`ForecastSettings.min_skill_z_half`), but at least 20
  windows and not on a logger grid as coarse as the readings' changes;
- it beats persistence by :attr:`ForecastSettings.margin` and in each part
  of the history, not in one lucky week;
- replaying the choice origin by origin, with only what was known at each,
  would have beaten persistence (:func:`_online_pays`).

On the benchmark's 24 real series this is 21 % below persistence on average
and no series-horizon above it (``benchmarks/forecast.py``).

The band comes from the same backtest: the empirical quantiles of
out-of-sample errors at that lead time (split conformal prediction,
Vovk et al. 2005; Angelopoulos & Bates 2021, "A gentle introduction to
conformal prediction"), widened for few independent windows and made to
never narrow as the lead grows. Where a candidate is used, the errors are
those of the whole procedure replayed origin by origin (the candidate that
would have been chosen then, on the windows closed by then), so the
winner's luck in its own backtest does not narrow its band; where
persistence is used, persistence's own errors. Where the history is too short for a
backtest, the band is the random-walk band ``t_m sigma_1 sqrt(h)`` around
persistence, with ``sigma_1`` the root mean square of the ``m`` one-step
changes and ``t_m`` Student's t on ``m`` degrees of freedom (few changes
size sigma poorly); from one reading there is no change to size it, and the
band is the quantity's physical range (``limits``; unbounded without). A
band and forecast are kept inside ``limits`` (0-100 %RH). On a
logger grid (whole %RH) the band is centred on the recent mean rather than
the rounded reading, so its coverage does not jump a whole step, and no band
is narrower than half the grid step.

Pure and deterministic: numpy only, no I/O, no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri, stdtrit

from simulation.forecast_models import CANDIDATES, LABELS, HoltStates, candidate_forecasts, holt_states
from simulation.forecast_prep import (
    fill_short_gaps,
    on_grid,
    one_step_scale,
    resolution,
    right_align,
    snap,
    stale_steps,
    trailing_mean,
)

__all__ = [
    "Forecast",
    "ForecastBatch",
    "ForecastSettings",
    "LABELS",
    "clip_to_limits",
    "forecast",
    "forecast_many",
]


@dataclass(frozen=True)
class ForecastSettings:
    """Knobs of the forecaster, each with its reason.

    max_history_s : history used (14 days: the contract's longest input, and
        two weeks of daily cycles for the profile).
    max_gap_s : interior gaps up to this long are bridged linearly (2 h:
        indoor climate under a building envelope changes little in 2 h;
        longer gaps stay missing and their windows drop out of scoring).
    max_stale_s : a sensor silent longer than this gets no forecast (1 day).
    max_origins : backtest origins per sensor (cost grows linearly).
    min_origins : fewer scored origins at a lead than this, and that lead
        falls back to persistence with the random-walk band.
    margin : a candidate must beat persistence's backtest MAE by this
        fraction to be chosen, a guard against winning by luck.
    min_skill_z : standard errors by which a candidate's backtest gain over
        persistence must exceed zero (guards against noise winners on series
        without structure, e.g. a random walk). 2.61 is the one-sided 5 %
        level Bonferroni-corrected for the 11 candidates besides persistence
        (ndtri(1 - 0.05 / 11)): the best of a dozen is picked, and a
        one-sigma gain is what the luckiest of them shows on a series
        without any structure.
    min_eff : fewer independent backtest windows at a lead than this (scored
        span / lead, overlapping windows share their outcomes) and that lead
        stays with persistence, however good a candidate looks. Above it the
        gain test uses a Student-t critical value on n_eff - 1 degrees of
        freedom, so short histories need a much larger gain.
    min_span_days : fewer days of scored outcomes at a lead than this and
        that lead stays with persistence.
    smooth_leads : the MAE curves over lead time are smoothed over this
        fraction of the horizon before choosing, so the choice does not
        flicker between neighbouring leads.
    candidates : names of :data:`simulation.forecast_models.CANDIDATES` to try.
    halves : also try each of :data:`HALVES` averaged with persistence.
    parts : the backtest origins are cut into this many consecutive parts,
        and a candidate must beat persistence in each (a skill that lasts,
        not a lucky week).
    min_skill_z_half, half_min_eff : a half-and-half candidate may also be
        chosen on weaker evidence: a gain of ``min_skill_z_half`` standard
        errors, over at least ``half_min_eff`` independent windows. Averaging
        with persistence at most halves a candidate's loss (MAE is convex:
        MAE((p + f) / 2) <= (MAE(p) + MAE(f)) / 2), so a half step is a small
        bet; 20 windows (5 days at 6 h, 10 days at 12 h) see a week's
        weekday/weekend pattern. On the benchmark's real series this turns
        "rarely better" rooms (house RH) into steady small gains, while a
        one-sigma gain on 12 windows of a 7-day office history lost.
    coarse_grid : a logger whose grid step is at least this many times the
        root mean square change between readings (whole %RH in a buffered
        case) gets no weak-evidence half steps: rounding turns a half step
        into no step or a whole one. On such a synthetic case they lost 3 %.
    grid_centre_s : on a coarse logger grid (whole %RH) the band is centred
        on the mean of this much recent history, not on the rounded forecast
        (see :func:`_forecast_aligned`).
    band_from_replay : the band's errors are those of the replayed choice
        (:func:`_replay`), out of sample, rather than the final winner's own
        backtest errors, which are optimistic by the luck that made it win
        (the best of 15 candidates on the same windows). On the benchmark's
        display case T this lifted the 6 h coverage from 92.4 % to 93.2 %.
    widen_band : widen the quantiles by the Student-t to normal ratio for
        the number of independent windows (see :func:`_forecast_aligned`);
        off, the display case T covers 92.1 % / 93.1 % at 6 h / 12 h.
    """

    max_history_s: float = 14 * 86400.0
    max_gap_s: float = 2 * 3600.0
    max_stale_s: float = 86400.0
    max_origins: int = 96
    min_origins: int = 12
    margin: float = 0.03
    min_skill_z: float = 2.61
    min_eff: float = 2.0
    min_span_days: float = 1.0
    smooth_leads: float = 0.125
    candidates: tuple[str, ...] = tuple(CANDIDATES)
    halves: bool = True
    parts: int = 2
    min_skill_z_half: float = 1.0
    half_min_eff: float = 20.0
    grid_centre_s: float = 3 * 3600.0
    coarse_grid: float = 1.0
    band_from_replay: bool = True
    widen_band: bool = True


DEFAULT_SETTINGS = ForecastSettings()

#: Prefix of a candidate averaged with persistence.
HALF = "half:"

#: Candidates also tried half-and-half with persistence: those that win on
#: indoor series (the Holt family rarely does, and each costs time).
HALVES = ("seasonal_naive", "profile", "profile_12h", "revert_6h")

#: Backtest origins must visit at least this many times of day (every hour
#: at 15 min steps), so a daily cycle is scored at all its phases.
MIN_PHASES = 24

#: Sensors processed together: bounds memory to tens of MB per chunk.
CHUNK = 32


@dataclass(frozen=True)
class Forecast:
    """One sensor's forecast.

    mean, lower, upper : (h,) float, the unit of the input; lead ``k`` is
        ``(k + 1) * step_s`` seconds after the last input value.
    level : nominal coverage of ``[lower, upper]``.
    models : (h,) names of the candidate used at each lead.
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    models: tuple[str, ...] = field(default=())

    @property
    def model(self) -> str:
        """The candidate used at most leads (ties: the later lead's)."""
        if not self.models:
            return "none"
        names, first, counts = np.unique(np.array(self.models[::-1]), return_index=True, return_counts=True)
        top = counts == counts.max()
        return str(names[top][np.argmin(first[top])])  # of the most used, the one at the latest lead


@dataclass(frozen=True)
class ForecastBatch:
    """Forecasts of ``n`` sensors: mean, lower, upper (n, h) float; models (n, h) str."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    models: np.ndarray

    def __len__(self) -> int:
        return int(self.mean.shape[0])

    def __getitem__(self, i: int) -> Forecast:
        return Forecast(self.mean[i], self.lower[i], self.upper[i], self.level, tuple(str(m) for m in self.models[i]))


def forecast(
    values: np.ndarray,
    step_s: float,
    horizon_steps: int,
    level: float = 0.95,
    settings: ForecastSettings = DEFAULT_SETTINGS,
    limits: tuple[float, float] | None = None,
) -> Forecast:
    """Forecast one sensor ``horizon_steps`` ahead.

    values : (t,) float, readings at a regular step, oldest first; the last
        is now. NaN marks missing or flagged readings.
    step_s : the step, seconds (60 to 3600 tested).
    horizon_steps : number of leads to forecast.
    level : nominal coverage of the band, in (0, 1).
    limits : the quantity's physical range ``(low, high)`` (for relative
        humidity 0-100 %RH, :data:`simulation.quantities.QUANTITIES`): the
        forecast and its band are kept inside it, and a sensor with a single
        reading (nothing to size a band from) gets the whole range as its
        band. None: unbounded (that band is then infinite).

    Returns :class:`Forecast` (all NaN and model ``"none"`` when there is no
    usable reading).
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError("values must be 1-D; use forecast_many for many sensors")
    return forecast_many(v[None, :], step_s, horizon_steps, level, settings, limits)[0]


def whole_steps(seconds: float, step_s: float) -> int:
    """How many whole steps of ``step_s`` fit in ``seconds``, exact where the ratio is whole
    (``1.0 // 0.1`` is 9 in floating point; this gives 10)."""
    return int(np.floor(seconds / step_s + 1e-9))


def forecast_many(
    values: np.ndarray,
    step_s: float,
    horizon_steps: int,
    level: float = 0.95,
    settings: ForecastSettings = DEFAULT_SETTINGS,
    limits: tuple[float | np.ndarray, float | np.ndarray] | None = None,
) -> ForecastBatch:
    """Forecast ``n`` sensors sharing one step and one clock.

    values : (n, t) float, rows are sensors as in :func:`forecast`.
    limits : physical range as in :func:`forecast`; ``low`` and ``high`` may
        be (n,) arrays, one range per sensor.
    Returns :class:`ForecastBatch` with (n, horizon_steps) arrays.
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie in (0, 1)")
    if horizon_steps < 1 or step_s <= 0:
        raise ValueError("horizon_steps must be >= 1 and step_s > 0")
    n = y.shape[0]
    h = int(horizon_steps)
    if n == 0 or y.shape[1] == 0:
        empty = np.full((n, h), np.nan)
        return ForecastBatch(empty, empty.copy(), empty.copy(), level, np.full((n, h), "none"))
    keep = max(2, int(round(settings.max_history_s / step_s)))
    y = y[:, -keep:]
    y = np.where(np.isfinite(y), y, np.nan)

    stale = stale_steps(y)
    max_stale = whole_steps(settings.max_stale_s, step_s)
    dead = stale > min(max_stale, y.shape[1] - 1)
    stale = np.where(dead, 0, stale)
    y = right_align(y, stale)
    y = fill_short_gaps(y, whole_steps(settings.max_gap_s, step_s))
    he = h + int(stale.max(initial=0))

    mean, lo, hi = (np.empty((n, he)) for _ in range(3))
    chosen = np.empty((n, he), dtype=int)
    for rows, length in _by_history_length(y):
        block = _forecast_block(y[rows, -length:], step_s, he, level, settings)
        mean[rows], lo[rows], hi[rows], chosen[rows] = block

    cols = stale[:, None] + np.arange(h)[None, :]
    mean = np.take_along_axis(mean, cols, axis=1)
    lo = np.take_along_axis(lo, cols, axis=1)
    hi = np.take_along_axis(hi, cols, axis=1)
    names = np.array(all_names(settings) + ("none",))
    models = names[np.take_along_axis(chosen, cols, axis=1)]
    mean, lo, hi = clip_to_limits(mean, lo, hi, limits)
    mean[dead] = lo[dead] = hi[dead] = np.nan
    models[dead] = "none"
    return ForecastBatch(mean, lo, hi, level, models)


def clip_to_limits(
    mean: np.ndarray, lower: np.ndarray, upper: np.ndarray,
    limits: tuple[float | np.ndarray, float | np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and band (n, h) kept inside the physical range ``limits`` (None: unchanged).

    A reading outside the range is impossible (a relative humidity above
    100 %RH), so no probability belongs there: a band reaching past it is cut
    at the limit, and a mean past it (a daily profile extrapolated near
    saturation) is moved onto it.
    """
    if limits is None:
        return mean, lower, upper
    n = mean.shape[0]
    low = np.broadcast_to(np.asarray(limits[0], dtype=float), (n,))[:, None]
    high = np.broadcast_to(np.asarray(limits[1], dtype=float), (n,))[:, None]
    if np.any(low >= high):
        raise ValueError("limits must be (low, high) with low < high")
    with np.errstate(invalid="ignore"):
        mean = np.clip(mean, low, high)
        return mean, np.clip(lower, low, mean), np.clip(upper, mean, high)


def _by_history_length(y: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Group sensors by how much history they have: [(rows, columns to keep)].

    Backtest origins are shared within a group, so a sensor installed two
    days ago is not scored on origins spread over fourteen days of NaN. Group
    lengths grow by factors of 1.25; most fleets are one group.
    """
    t = y.shape[1]
    valid = np.isfinite(y)
    # a sensor without any reading is a group of its own (length 1): grouped with live ones it
    # would stretch their backtest over its whole empty row
    first = np.where(valid.any(axis=1), np.argmax(valid, axis=1), t - 1)
    length = np.maximum(t - first, 1)
    key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)
    out = []
    for k in np.unique(key):
        rows = np.flatnonzero(key == k)
        out.append((rows, int(min(t, max(length[rows].max(), 2)))))
    return out


def _forecast_block(
    y: np.ndarray, step_s: float, h: int, level: float, settings: ForecastSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_forecast_aligned` over chunks of sensors sharing backtest origins."""
    origins = _origins(y.shape[1], step_s, settings.max_origins)
    holt = None
    if {"holt", "holt_damped"} & set(settings.candidates):
        holt = holt_states(y, np.append(origins, y.shape[1] - 1), step_s)
    work: dict[str, np.ndarray] = {}
    parts = [
        _forecast_aligned(
            y[i : i + CHUNK],
            origins,
            step_s,
            h,
            level,
            settings,
            holt.rows(slice(i, i + CHUNK)) if holt else None,
            work,
        )
        for i in range(0, y.shape[0], CHUNK)
    ]
    mean, lo, hi, chosen = (np.concatenate(a) for a in zip(*parts, strict=True))
    return mean, lo, hi, chosen


def _buffer(work: dict[str, np.ndarray], key: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 scratch array of ``shape``, reusing ``work[key]`` when it is large enough."""
    buf = work.get(key)
    if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):
        buf = work[key] = np.empty(shape, dtype=np.float32)
    return buf[tuple(slice(0, s) for s in shape)]


def _forecast_aligned(
    y: np.ndarray,
    origins: np.ndarray,
    step_s: float,
    h: int,
    level: float,
    s: ForecastSettings,
    holt: HoltStates | None,
    work: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backtest, choose and calibrate; the origin is the last column of ``y``.

    ``work`` holds scratch arrays reused across chunks (fresh large arrays
    cost page faults that dominate the arithmetic).

    Returns mean, lower, upper (n, h) float and the chosen candidate index
    (n, h) int (``len(s.candidates)`` for "none").
    """
    n, t = y.shape
    names = all_names(s)
    lead = np.arange(1, h + 1)
    y32 = y.astype(np.float32)  # scoring in single precision: 1e-7 relative is far below any sensor's noise
    truth_idx = origins[:, None] + lead[None, :]
    truth = np.where(truth_idx < t, y32[:, np.clip(truth_idx, 0, t - 1)], np.nan)  # (n, r, h)
    fc = candidate_forecasts(
        y32, np.append(origins, t - 1), h, step_s, tuple(dict.fromkeys(("persistence",) + s.candidates)), holt
    )
    base = fc["persistence"]
    scored = np.isfinite(truth) & np.isfinite(base[:, :-1])
    weight = scored.astype(np.float32)
    truth = np.where(scored, truth, np.float32(0.0))
    n_scored = scored.sum(axis=1)  # (n, h)
    # the origins in s.parts consecutive parts: a candidate must beat
    # persistence in each (a skill that lasts, not a lucky week)
    bounds = (np.arange(s.parts) * origins.size) // s.parts
    n_part = np.add.reduceat(scored, bounds, axis=1) if origins.size else np.zeros((n, s.parts, h))

    res = resolution(y)
    grid = on_grid(y, res)
    mae = np.empty((len(names), n, h))
    mae_parts = np.empty((len(names), s.parts, n, h))
    now_f = np.empty((len(names), n, h))
    significant = np.zeros((len(names), n, h), dtype=bool)
    # overlapping windows share outcomes: about span / lead of them are
    # independent, the span being that of the origins scored at that lead
    if origins.size:
        span = np.maximum(np.minimum(origins[-1], t - 1 - lead) - origins[0] + 1, 0).astype(float)
    else:
        span = np.zeros(h)
    n_eff = np.clip(span / lead, 1.0, None)[None, :] * np.ones((n, 1))
    n_eff = np.maximum(np.minimum(n_eff, n_scored), 1.0)
    # Student-t critical value on n_eff - 1 degrees of freedom at the level of
    # min_skill_z: few independent windows demand a much larger gain (12.9 at
    # 2 windows, 3.5 at 8), many windows the normal one
    crit = stdtrit(np.maximum(n_eff - 1.0, 1.0), ndtr(s.min_skill_z))
    # a coarse logger grid (steps as large as the typical change between
    # readings) rounds a half step to nothing or a whole step: no small bet
    scale1 = one_step_scale(y)  # rms change between readings
    fine = ~grid | (res < s.coarse_grid * scale1)
    crit_half = stdtrit(np.maximum(n_eff - 1.0, 1.0), ndtr(s.min_skill_z_half))
    evidence = (n_eff >= s.min_eff) & (span * step_s >= s.min_span_days * 86400.0)[None, :]
    errs = _buffer(work, "errs", (len(names), n, origins.size, h))
    ae = _buffer(work, "ae", (n, origins.size, h))
    ae_base = _buffer(work, "ae_base", (n, origins.size, h))
    d = _buffer(work, "d", (n, origins.size, h))
    f_half = _buffer(work, "f_half", (n, origins.size + 1, h))
    total_base = np.zeros((n, h))
    base = snap(np.where(np.isfinite(base), base, np.float32(0.0)), res, grid)
    for c, name in enumerate(names):
        if name.startswith(HALF):
            f = np.add(base, fc[name[len(HALF) :]], out=f_half)
            f *= 0.5
        elif name == "persistence":
            f = base
        else:
            f = fc[name].astype(np.float32, copy=False)
            np.copyto(f, base, where=np.isnan(f))  # a candidate lacking history falls back to persistence
            fc[name] = f
        if not name.startswith(HALF):
            f = snap(f, res, grid)  # a logger in whole %RH: the median outcome is on its grid
        now_f[c] = f[:, -1]
        e = np.subtract(truth, f[:, :-1], out=errs[c])
        np.abs(e, out=ae)
        ae *= weight
        # einsum sums over origins about 3x faster than .sum(axis=1)
        total = np.einsum("nrh->nh", ae).astype(np.float64)
        part = np.add.reduceat(ae, bounds, axis=1).astype(np.float64) if origins.size else n_part
        if c == 0:  # persistence
            ae_base[...] = ae
            total_base = total
        np.subtract(ae_base, ae, out=d)  # gain over persistence per origin
        d2 = np.einsum("nrh,nrh->nh", d, d).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mae[c] = total / n_scored
            mae_parts[c] = np.moveaxis(part / n_part, 1, 0)
            gain = (total_base - total) / n_scored
            var = np.maximum(d2 / n_scored - gain**2, 0.0)
            se = np.sqrt(var / n_eff)
            significant[c] = gain > crit * se
            if name.startswith(HALF):
                significant[c] |= (gain > crit_half * se) & (n_eff >= s.half_min_eff) & fine[:, None]

    chosen = _choose(mae, mae_parts, significant & evidence[None], names, n_scored, s)
    err = np.take_along_axis(errs, chosen[None, :, None, :], axis=0)[0]
    if origins.size > 1:
        err_p = errs[0].copy()
        negative = np.signbit(errs) if s.band_from_replay else None
        np.abs(errs, out=errs)
        errs *= weight[None]
        # the replay at every q-th lead counted back from the last (neighbouring
        # leads are smoothed alike), each lead taking its nearest one's verdict
        q = max(1, int(round(s.smooth_leads * h / 2)))
        sub = np.arange(h - 1, -1, -q)[::-1]
        lag = np.ceil((sub + 1) / (origins[1] - origins[0])).astype(int)
        pays, pick, active = _replay(errs[..., sub], weight[..., sub], lag, s)
        near = np.clip(np.rint((np.arange(h) - sub[0]) / q).astype(int), 0, sub.size - 1)
        pays = pays[:, near]
        chosen = np.where(pays, chosen, 0)
        if negative is not None:
            # the band's errors: where a candidate is used, those of the
            # replayed choice (out of sample, the winner's luck included);
            # where persistence is, persistence's own
            pick, active = pick[..., near].astype(np.intp), active[..., near]
            mag = np.take_along_axis(errs, pick[None], axis=0)[0]
            sign = np.take_along_axis(negative, pick[None], axis=0)[0]
            replayed = np.where(active, np.where(sign, -mag, mag), np.nan).astype(np.float32)
            err = np.where((chosen == 0)[:, None, :], err_p, replayed)
        else:
            err = np.where(pays[:, None, :], err, err_p)
    mean = np.take_along_axis(now_f, chosen[None], axis=0)[0].astype(float)
    # persistence exactly, not its single-precision rounding (scoring is in float32)
    mean = np.where(chosen == names.index("persistence"), snap(y[:, -1:], res, grid), mean)

    # a logger on a coarse grid (whole %RH): the band is centred on the
    # smoothed recent level, not on the rounded forecast, so its edges can
    # fall between grid steps and its coverage need not jump by a whole step
    offset = np.zeros((n, 1))
    if grid.any() and s.grid_centre_s > 0:
        at = np.append(origins, t - 1)
        off = trailing_mean(y, at, max(1, int(round(s.grid_centre_s / step_s)))) - y[:, at]
        off = np.where(grid[:, None] & np.isfinite(off), off, 0.0)
        err -= off[:, :-1, None].astype(np.float32)
        offset = off[:, -1:]
    err[~scored] = np.nan
    n_band = np.isfinite(err).sum(axis=1)
    q_lo, q_hi, ok = _conformal(err, n_band, level, s.min_origins)
    # the quantiles of few independent windows are noisy; a band read off
    # them covers less than nominal on average. Widen by the ratio of the
    # Student-t to the normal prediction interval for n_eff windows
    # (t_{n_eff - 1} sqrt(1 + 1 / n_eff) / z): 1.4 at 5 windows, 1.07 at 25.
    z = float(ndtri(0.5 + level / 2.0))
    widen = stdtrit(np.maximum(n_eff - 1.0, 1.0), 0.5 + level / 2.0) * np.sqrt(1.0 + 1.0 / n_eff) / z
    if not s.widen_band:
        widen = np.ones_like(widen)
    # quantiles at neighbouring leads estimate nearly the same thing: smooth
    # them over leads before the running maximum, which on a flat noisy curve
    # would keep every upward fluctuation (and over-cover)
    w = max(1, int(round(s.smooth_leads * h)))
    q_lo = -_smooth_leads(-q_lo * widen, w)
    q_hi = _smooth_leads(q_hi * widen, w)

    # the random-walk band where no backtest sizes one: sigma_1 estimated from
    # m one-step changes makes the prediction interval Student-t on m degrees
    # of freedom (12.7 / 1.96 = 6.5 times wider at one change, 1.0 at
    # thousands); with no change at all (one reading) nothing sizes it and the
    # band is unbounded (the physical range, once forecast_many clips it)
    changes = np.isfinite(np.diff(y, axis=1)).sum(axis=1)
    t_rw = stdtrit(np.maximum(changes, 1), 0.5 + level / 2.0)
    rw = np.where(changes[:, None] > 0, t_rw[:, None] * scale1[:, None] * np.sqrt(lead)[None, :], np.inf)
    floor = 0.5 * res[:, None]
    q_lo = np.where(ok, q_lo, -rw)
    q_hi = np.where(ok, q_hi, rw)
    q_lo = np.minimum.accumulate(q_lo, axis=1)
    q_hi = np.maximum.accumulate(q_hi, axis=1)
    lower = np.minimum(mean + offset + np.minimum(q_lo, 0.0), mean - floor)
    upper = np.maximum(mean + offset + np.maximum(q_hi, 0.0), mean + floor)
    chosen = np.where(np.isfinite(mean), chosen, len(names))
    return mean, lower, upper, chosen


def all_names(s: ForecastSettings) -> tuple[str, ...]:
    """Candidates tried: the settings' candidates, then (if ``s.halves``) each
    of :data:`HALVES` averaged with persistence, named ``"half:<name>"``.
    Averaging with persistence keeps part of a candidate's gain at lower risk
    (forecast combination; Bates & Granger 1969, Oper. Res. Q. 20).
    """
    base = ("persistence",) + tuple(n for n in s.candidates if n != "persistence")
    if not s.halves:
        return base
    return base + tuple(HALF + n for n in base if n in HALVES)


def _origins(t: int, step_s: float, max_origins: int) -> np.ndarray:
    """Backtest origins: ascending, ending one step before now, stride coprime with a day."""
    first = min(int(round(86400.0 / step_s)), t // 3)
    span = t - 2 - first
    if span < 0:
        return np.zeros(0, dtype=int)
    stride = max(1, -(-span // max(1, max_origins - 1)))
    day = max(1, int(round(86400.0 / step_s)))
    while day // np.gcd(stride, day) < min(MIN_PHASES, day):
        stride += 1  # sample many times of day, not a few fixed phases
    return np.arange(t - 2, first - 1, -stride)[::-1]


def _choose(
    mae: np.ndarray,
    mae_parts: np.ndarray,
    significant: np.ndarray,
    names: tuple[str, ...],
    n_scored: np.ndarray,
    s: ForecastSettings,
) -> np.ndarray:
    """Index of the candidate to use per (sensor, lead): (n, h) int.

    mae : (c, n, h) backtest MAE; mae_parts : (c, s.parts, n, h) the same
    over consecutive parts of the origins, oldest first; significant :
    (c, n, h) whether the mean gain over persistence exceeds its critical
    number of standard errors (``s.min_skill_z``, or for half-and-half
    candidates on enough windows ``s.min_skill_z_half``; a Diebold-Mariano
    style test, Diebold & Mariano 1995, J. Bus. Econ. Stat. 13, with the
    sample counted as span / lead independent windows).
    A candidate is eligible only if its gain is significant, holds in every
    part (a skill that lasts, not a lucky week) and exceeds ``s.margin``;
    the eligible one of least smoothed MAE wins, persistence otherwise.
    """
    c, n, h = mae.shape
    p = names.index("persistence") if "persistence" in names else 0
    mae = _smooth_leads(mae, max(1, int(round(s.smooth_leads * h))))
    mae = np.where(np.isfinite(mae), mae, np.inf)
    with np.errstate(invalid="ignore"):
        lasting = (mae_parts < mae_parts[p][None]).all(axis=1)
    eligible = lasting & significant & (mae < (1.0 - s.margin) * mae[p][None])
    eligible[p] = True
    best = np.argmin(np.where(eligible, mae, np.inf), axis=0)
    return np.where(n_scored >= s.min_origins, best, p)


def _online_pays(ae: np.ndarray, weight: np.ndarray, lag: np.ndarray, s: ForecastSettings) -> np.ndarray:
    """Whether choosing a candidate by its past backtest error pays on this series: (n, h) bool.

    The first result of :func:`_replay`, which says how.
    """
    return _replay(ae, weight, lag, s)[0]


def _replay(
    ae: np.ndarray, weight: np.ndarray, lag: np.ndarray, s: ForecastSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replay the choice of candidate origin by origin: (pays (n, h) bool, pick (n, r, h) int,
    active (n, r, h) bool).

    ae : (c, n, r, h) absolute backtest errors (0 where not scored), candidate
    0 being persistence; weight : (n, r, h) 1 where scored; lag : (h,) int
    ascending, the origins after which a window at each lead is still open
    (lead / stride between origins, rounded up).

    Replays the choice origin by origin, as it would have been made then: at
    origin ``j`` and lead ``k`` only the windows that had ended by then
    (origins ``i`` with ``i + k <= j`` in steps) are known, and the candidate
    of least error so far wins if it beats persistence by ``s.margin``.
    Unless the candidates chosen that way beat persistence in total on the
    origins that followed, choosing on this series' past does not pay (the
    best candidate changes from spell to spell), and the lead keeps
    persistence. On the benchmark's real series this removes the last
    series-horizons that lost to persistence, by 0.1-0.7 %.

    ``pick`` is the candidate the replay chose at each origin and lead,
    ``active`` where it had enough past windows to choose (elsewhere the pick
    is persistence): their errors are out-of-sample errors of the whole
    procedure, selection included, from which the band is read.
    """
    c, n, r, h = ae.shape
    # cumulative errors over origins; a loop over origins adds contiguous
    # (c, n, h) slabs, several times faster than cumsum along a middle axis
    cum = np.zeros((c + 1, n, r + 1, h), dtype=np.float32)
    for i in range(r):
        np.add(cum[:c, :, i], ae[:, :, i], out=cum[:c, :, i + 1])
        np.add(cum[c, :, i], weight[:, i], out=cum[c, :, i + 1])
    # known at origin j and lead k: origins before j - lag_k + 1. lag grows
    # with the lead, so each lag is a contiguous block of leads and a shift
    past = np.zeros((c + 1, n, r, h), dtype=np.float32)
    for L in np.unique(lag):
        k0, k1 = np.searchsorted(lag, L), np.searchsorted(lag, L, side="right")
        if L <= r:
            past[:, :, L - 1 :, k0:k1] = cum[:, :, : r - L + 1, k0:k1]
    active = (past[c] >= s.min_origins) & (weight > 0)
    best = past[0]
    bar = (1.0 - s.margin) * best
    loss = ae[0].copy()
    pick = np.zeros((n, r, h), dtype=np.int16)
    for k in range(1, c):
        better = (past[k] < bar) & (past[k] < best)
        np.copyto(best, past[k], where=better)
        np.copyto(loss, ae[k], where=better)
        np.copyto(pick, np.int16(k), where=better)
    online = np.where(active, loss, 0.0).sum(axis=1)
    return online < np.where(active, ae[0], 0.0).sum(axis=1), pick, active


def _smooth_leads(a: np.ndarray, w: int) -> np.ndarray:
    """Moving average of width ``w`` over the last axis (leads), edges padded
    with the end values; non-finite entries are left out (NaN where all are)."""
    if w <= 1:
        return a
    pad = np.concatenate([np.repeat(a[..., :1], w // 2, -1), a, np.repeat(a[..., -1:], w - 1 - w // 2, -1)], -1)
    ok = np.isfinite(pad)
    zero = np.zeros(a.shape[:-1] + (1,))
    cs = np.concatenate([zero, np.cumsum(np.where(ok, pad, 0.0), axis=-1)], axis=-1)
    cn = np.concatenate([zero, np.cumsum(ok, axis=-1)], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (cs[..., w:] - cs[..., :-w]) / (cn[..., w:] - cn[..., :-w])


def _conformal(
    err: np.ndarray, n_scored: np.ndarray, level: float, min_origins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper error quantiles per (sensor, lead) from backtest errors.

    err : (n, r, h) float, NaN where not scored. Empirical quantiles of the
    ``m`` scored errors (linear interpolation between order statistics,
    Hyndman & Fan 1996 type 7) at ``1/2 -+ (level/2)(m + 1)/m``: the
    split-conformal finite-sample correction (Angelopoulos & Bates 2021).
    Returns q_lo, q_hi (n, h) and a mask of leads with enough origins.
    """
    a = 1.0 - level
    if err.shape[1] == 0:  # no origin to backtest from
        zero = np.zeros((err.shape[0], err.shape[2]))
        return zero, zero, np.zeros(zero.shape, dtype=bool)
    srt = np.sort(err, axis=1)  # NaN last
    m = n_scored

    def quantile(q: float) -> np.ndarray:
        # split-conformal finite-sample level: tails shrink by m / (m + 1)
        q_m = 0.5 + (q - 0.5) * (m + 1) / np.maximum(m, 1)
        pos = np.maximum(m - 1, 0) * np.clip(q_m, 0.0, 1.0)
        k = np.floor(pos).astype(int)
        frac = pos - k
        k1 = np.minimum(k + 1, np.maximum(m - 1, 0))
        lo = np.take_along_axis(srt, k[:, None, :], axis=1)[:, 0]
        hi = np.take_along_axis(srt, k1[:, None, :], axis=1)[:, 0]
        return lo + frac * (hi - lo)

    q_lo, q_hi = quantile(a / 2), quantile(1 - a / 2)
    ok = (m >= min_origins) & np.isfinite(q_hi) & np.isfinite(q_lo)
    return np.minimum(q_lo, 0.0), np.maximum(q_hi, 0.0), ok
