"""Forecasts that use other series as inputs: outdoor weather, opening hours, visitors, the sensor's other quantity.

:func:`forecast_with_inputs` wraps :func:`simulation.forecast.forecast_many` (the series-only
forecaster, untouched) and replaces its forecast at a lead only where a model using the inputs
beats the same model without them on the series' own past.

The model is direct (one linear model per lead time, not iterated; Ben Taieb et al. 2012,
"A review and comparison of strategies for multi-step ahead time series forecasting", Expert
Syst. Appl. 39) and predicts the change from now, ``y(o + k) - y(o)``, from what is known at the
origin ``o`` (an ARX model in the system-identification sense; Ljung 1999, *System
Identification*, ch. 4):

series features (the series-only model)
    the changes the series-only candidates of :mod:`simulation.forecast_models` foresee (daily
    profile; profile with 12 h recovery; return to the 24 h mean; same time yesterday), the last
    hour's change, and the anomaly from the trailing 24 h mean;
input features, per input ``x``
    ``x``'s anomaly from its trailing 24 h mean, the change ``x``'s own daily profile foresees from
    ``o`` to ``o + k`` (opening hours and visitors repeat by time of day), ``x``'s last hour's
    change, and, for an input in ``y``'s unit (outdoor temperature for a room's temperature),
    the gradient ``x(o) - y(o)`` that drives exchange through the envelope.

Both are ridge regressions on standardised features (Hoerl & Kennard 1970), fitted on origins
spread over the history. Blocked cross-validation (contiguous folds, training origins within a
horizon of the test fold left out so no target is shared; Bergmeir, Hyndman & Koo 2018, Comput.
Stat. Data Anal. 120) gives out-of-sample errors of both at every origin. The inputs are used at
a lead only when, on those errors, the model with them beats the series-only one and persistence
by :attr:`InputSettings.margin` and by :attr:`InputSettings.min_skill_z` standard errors of the
paired difference (windows counted as span / lead independent ones, as in
:mod:`simulation.forecast`), and also beats, the same way, the candidate that
:func:`simulation.forecast.forecast_many` uses at that lead (its errors at the same origins).
Two more alternatives are judged against that candidate alike: the average of the model with
inputs and the series-only forecast (forecast combination; Bates & Granger 1969, Oper. Res. Q.
20), and the regression on the series' own features alone (name :data:`SERIES_REGRESSION`);
with three alternatives the test's level is split between them (Bonferroni), and of those that
pay the one of least cross-validated error is used. The band there is the split-conformal
quantiles of the used model's cross-validated errors, widened for few windows.

On ``benchmarks/forecast.py --quick`` (10 real series, 42-day histories for the model with
inputs) the inputs were chosen at 70 % / 58 % of origins at 6 h / 12 h for the kitchen RH of the
Candanedo house (its MAE ratio to persistence 0.97 -> 0.87 at 6 h), rarely for the office and the
display case; the mean over series and horizons went from 0.70 to 0.69 of persistence, no
series-horizon above persistence.

On the full benchmark (24 real series, 6 h and 12 h; 2026-12-08, load average 13-16), with the
candidate the series-only forecaster uses judged, and the average and the series regression as
alternatives, the mean is 0.749 of persistence (25.1 % below; 0.756 before, when the short series
were still cut every 7 h), none above it, room RH 0.851. On a fifth of the windows of 11 house
series the change moved their 22 series-horizons by -0.014 on average, 6 of them up (T3 0.842 /
0.817 -> 0.802 / 0.756, T6 0.486 / 0.458 -> 0.489 / 0.473: the stricter test keeps a few gains out).

Pure and deterministic: numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri, stdtrit

from simulation.forecast import DEFAULT_SETTINGS, HALF, ForecastBatch, ForecastSettings, clip_to_limits, forecast_many
from simulation.forecast_models import _take, candidate_forecasts, period_steps, profile_family, revert_6h
from simulation.forecast_prep import fill_short_gaps

__all__ = ["INPUTS_PREFIX", "SERIES_REGRESSION", "Input", "InputForecast", "InputSettings", "forecast_with_inputs",
           "input_features"]

#: Model name prefix of a lead forecast by the model with inputs: ``"inputs:outdoor_temperature+..."``.
INPUTS_PREFIX = "inputs:"

#: Model name of a lead forecast by the regression on the series' own features (no inputs).
SERIES_REGRESSION = "regression"

#: Series-only candidates whose foreseen change is a feature.
SERIES_CANDIDATES = ("profile", "profile_12h", "seasonal_naive")


@dataclass(frozen=True)
class Input:
    """One input series beside the forecast one.

    name : what it is (``outdoor_temperature``, ``visitors``, ``relative_humidity`` of the same sensor).
    values : (n, t) float on the forecast series' grid and clock (NaN missing), or (t,) for one sensor.
    same_unit : True where ``x - y`` is physical (outdoor T for indoor T): adds the gradient feature.
    """

    name: str
    values: np.ndarray
    same_unit: bool = False


@dataclass(frozen=True)
class InputSettings:
    """Knobs of the model with inputs, each with its reason.

    max_history_s : history the model with inputs learns from (6 weeks: on the benchmark's house
        rooms 14 days were too few independent windows for ~30 weights; the series-only
        forecaster keeps its own 14 days).
    origins : regression origins per history (every ~2 h over 6 weeks, stride coprime with a day).
    folds : blocked cross-validation folds (4: each test fold is 3-4 days of a 14-day history,
        long enough to hold a weekday/weekend change).
    ridge : penalty on standardised weights per origin (1.0 beat 0.01, 0.1, 0.3 and 3 in
        cross-validation on the house rooms: overlapping windows make the effective sample small).
    knot_h : the models are fitted at leads every this many hours (and at the first step);
        weights are interpolated between them (they vary smoothly with the lead).
    margin : the model with inputs must beat the series-only one and persistence by this fraction.
    min_skill_z : standard errors by which its gain over the series-only model must exceed zero
        (1.64: one-sided 5 %; one alternative is tried, so no multiple-testing correction).
    min_eff : fewer independent windows than this at a lead and the inputs are not used.
    max_gap_s : input gaps up to this long are bridged (2 h, as the series-only forecaster);
        hourly weather on a 10 min grid is held at its last value, never read ahead.
    against_chosen : judge the model with inputs also against the candidate the series-only
        forecaster uses, and try the average of the two and the regression on the series alone.
        Off, a house room's inputs replaced a better daily-profile forecast (the Candanedo
        house's facade node RH_6: 0.639 of persistence at 12 h with inputs, 0.614 without).
    """

    max_history_s: float = 42 * 86400.0
    origins: int = 480
    folds: int = 4
    ridge: float = 1.0
    knot_h: float = 1.0
    margin: float = 0.03
    min_skill_z: float = 1.64
    min_eff: float = 8.0
    max_gap_s: float = 2 * 3600.0
    against_chosen: bool = True


DEFAULT_INPUT_SETTINGS = InputSettings()


def _hold_last(x: np.ndarray, max_steps: int) -> np.ndarray:
    """Carry the last reading forward over runs of NaN up to ``max_steps`` long: (n, t)."""
    idx = np.where(np.isfinite(x), np.arange(x.shape[1])[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    held = np.take_along_axis(x, np.maximum(last, 0), axis=1)
    ok = (last >= 0) & (np.arange(x.shape[1])[None, :] - last <= max_steps)
    return np.where(ok, held, np.nan)


def _trailing_mean(y: np.ndarray, o: np.ndarray, w: int) -> np.ndarray:
    """Mean of ``y[:, o - w + 1 .. o]`` ignoring NaN: (n, r); NaN with fewer than w / 4 readings."""
    ok = np.isfinite(y)
    cs = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(np.where(ok, y, 0.0), axis=1)], axis=1)
    cc = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(ok, axis=1)], axis=1)
    lo = np.clip(o - w + 1, 0, None)
    cnt = cc[:, o + 1] - cc[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt >= max(2, w // 4), (cs[:, o + 1] - cs[:, lo]) / cnt, np.nan)


def _driver_features(x: np.ndarray, o: np.ndarray, leads: np.ndarray, step_s: float) -> list[np.ndarray]:
    """Anomaly, foreseen profile change and last hour's change of ``x`` at origins ``o``: each (n, r, L)."""
    p = period_steps(step_s)
    hour = max(1, int(round(3600.0 / step_s)))
    x_o = _take(x, o)
    shape = (x.shape[0], o.size, leads.size)
    anomaly = np.broadcast_to((x_o - _trailing_mean(x, o, p))[:, :, None], shape)
    prof = profile_family(x, o, int(leads.max()), step_s, (np.inf,))[0][:, :, leads - 1] - x_o[:, :, None]
    change = np.broadcast_to((x_o - _take(x, o - hour))[:, :, None], shape)
    return [anomaly, prof, change]


def input_features(
    y: np.ndarray, inputs: Sequence[Input], o: np.ndarray, leads: np.ndarray, step_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Features of the series-only model and of the inputs at origins ``o`` and ``leads``.

    y : (n, t) float, short gaps bridged; inputs : their values (n, t) on y's grid;
    o : (r,) int origins; leads : (L,) int >= 1, steps ahead.
    Returns (series (n, r, L, fs), inputs (n, r, L, fi)) float64, NaN where unknown.
    """
    h = int(leads.max())
    cand = candidate_forecasts(y, o, h, step_s, ("persistence",) + SERIES_CANDIDATES)
    pers = cand["persistence"][:, :, leads - 1]
    series = [cand[c][:, :, leads - 1] - pers for c in SERIES_CANDIDATES]
    series.append(revert_6h(y, o, h, step_s)[:, :, leads - 1] - pers)
    hour = max(1, int(round(3600.0 / step_s)))
    y_o = _take(y, o)
    series.append(np.broadcast_to((y_o - _take(y, o - hour))[:, :, None], pers.shape))
    drivers: list[np.ndarray] = []
    for inp in inputs:
        drivers += _driver_features(inp.values, o, leads, step_s)
        if inp.same_unit:
            drivers.append(np.broadcast_to((_take(inp.values, o) - y_o)[:, :, None], pers.shape))
    empty = np.zeros(pers.shape + (0,))
    return np.stack(series, axis=-1), (np.stack(drivers, axis=-1) if drivers else empty)


def _knots(h: int, step_s: float, knot_h: float) -> np.ndarray:
    """Leads (steps, >= 1) at which the models are fitted: the first step, then every ``knot_h`` hours, and h."""
    every = max(1, int(round(knot_h * 3600.0 / step_s)))
    return np.unique(np.concatenate([[1], np.arange(every, h + 1, every), [h]])).astype(int)


def _regression_origins(t: int, h: int, step_s: float, count: int) -> np.ndarray:
    """Origins for fitting: after a day of history, ascending; stride coprime with a day's steps."""
    p = period_steps(step_s)
    first = min(p, t // 3)
    span = t - 2 - first
    if span <= 0:
        return np.zeros(0, dtype=int)
    stride = max(1, -(-span // max(1, count - 1)))
    while np.gcd(stride, p) > 1 and stride < p:
        stride += 1  # visit every time of day
    return np.arange(t - 2, first - 1, -stride)[::-1]


def _gram(f: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted normal equations per (row, lead): F'WF (n, L, k, k), F'Wd (n, L, k) and the weight (n, L).

    f : (n, r, L, k); d, w : (n, r, L). Batched matrix products (BLAS), not einsum.
    """
    ft = np.ascontiguousarray((f * w[..., None]).transpose(0, 2, 3, 1))  # (n, L, k, r)
    g = ft @ np.ascontiguousarray(f.transpose(0, 2, 1, 3))
    b = (ft @ np.ascontiguousarray(d.transpose(0, 2, 1))[..., None])[..., 0]
    return g, b, w.sum(axis=1)


def _solve(g: np.ndarray, b: np.ndarray, cnt: np.ndarray, ridge: float) -> np.ndarray:
    """Ridge weights (n, L, k) from normal equations; the intercept (column 0) is not penalised."""
    k = g.shape[-1]
    pen = np.eye(k)
    pen[0, 0] = 0.0
    g = g + (ridge * np.maximum(cnt, 1.0))[:, :, None, None] * pen + 1e-9 * np.eye(k)
    return np.linalg.solve(g, b[..., None])[..., 0]


def _fit(f: np.ndarray, d: np.ndarray, w: np.ndarray, ridge: float) -> np.ndarray:
    """Weighted ridge per (row, lead): f (n, r, L, k) with a leading column of ones, d, w (n, r, L).

    Returns weights (n, L, k); the intercept (column 0) is not penalised.
    """
    return _solve(*_gram(f, d, w), ridge)


def _standardise(f: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features centred and scaled per (row, lead, feature) over the weighted origins.

    f : (n, r, L, k); w : (n, r, L). Returns (z (n, r, L, 1 + k) with a column of ones first and
    NaN as 0, i.e. the mean; mean (n, 1, L, k); sd (n, 1, L, k), 0 for a constant feature).
    """
    ok = np.isfinite(f) & (w[..., None] > 0)
    cnt = np.maximum(ok.sum(axis=1, keepdims=True), 1)
    mean = np.where(ok, f, 0.0).sum(axis=1, keepdims=True) / cnt
    sd = np.sqrt(np.where(ok, (f - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / cnt)
    return _apply(f, mean, sd), mean, sd


def _apply(f: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Standardise ``f`` (n, r, L, k) with a fitted mean and sd; a column of ones first."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(np.isfinite(f) & (sd > 0), (f - mean) / np.where(sd > 0, sd, 1.0), 0.0)
    return np.concatenate([np.ones(f.shape[:-1] + (1,)), z], axis=-1)


def _cross_validate(
    f: np.ndarray, d: np.ndarray, w: np.ndarray, o: np.ndarray, h: int, s: InputSettings
) -> np.ndarray:
    """Blocked cross-validated errors d - prediction: (n, r, L), NaN where not scored.

    Each fold's normal equations are the whole history's less those of the origins it leaves out
    (the test fold and a horizon either side), so the cost is about one fit.
    """
    err = np.full(d.shape, np.nan)
    g_all, b_all, c_all = _gram(f, d, w)
    bounds = np.linspace(0, o.size, s.folds + 1).astype(int)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b <= a:
            continue
        out = (o >= o[a] - h) & (o <= o[b - 1] + h)
        if (~out).sum() < 2 * f.shape[-1]:
            continue
        g_out, b_out, c_out = _gram(f[:, out], d[:, out], w[:, out])
        coef = _solve(g_all - g_out, b_all - b_out, c_all - c_out, s.ridge)
        pred = np.einsum("nrlk,nlk->nrl", f[:, a:b], coef)
        err[:, a:b] = np.where(w[:, a:b] > 0, d[:, a:b] - pred, np.nan)
    return err


def _scored_span(scored: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Steps from the first to the last scored origin, per (row, lead): (n, L) float, 0 where none.

    scored : (n, r, L) bool; o : (r,) int origins.
    """
    first = np.where(scored, o[None, :, None], np.iinfo(np.int64).max).min(axis=1)
    last = np.where(scored, o[None, :, None], -1).max(axis=1)
    return np.where(scored.any(axis=1), last - first + 1.0, 0.0)


@dataclass(frozen=True)
class _Verdict:
    """Per (row, knot): whether the model with inputs is used alone (``use``) or averaged with the
    series-only forecast (``blend``), or the regression on the series' own features is used
    (``series``), and the cross-validated MAE of each model (n, L)."""

    use: np.ndarray
    mae: dict[str, np.ndarray]
    blend: np.ndarray
    series: np.ndarray


def _judge(
    e_pers: np.ndarray, e_series: np.ndarray, e_inputs: np.ndarray, o: np.ndarray, knots: np.ndarray, s: InputSettings,
    e_chosen: np.ndarray | None = None,
) -> _Verdict:
    """Whether the inputs pay per (row, knot), on paired cross-validated errors (n, r, L).

    ``e_chosen``: the errors, at the same origins, of the candidate the series-only forecaster
    uses now (None: not judged against it, and nothing else is tried). With it the model with
    inputs must also beat that candidate, and two more alternatives are judged the same way: the
    average of the two (forecast combination, Bates & Granger 1969), and the regression on the
    series' own features alone; the skill test's level is then split between the three
    (Bonferroni), and of those that pay the one of least cross-validated error is used.
    """
    both = np.isfinite(e_pers) & np.isfinite(e_series) & np.isfinite(e_inputs)
    alternatives = 1
    if e_chosen is not None:
        both &= np.isfinite(e_chosen)
        alternatives = 3
    cnt = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        errs = {"persistence": e_pers, "series": e_series, "inputs": e_inputs}
        if e_chosen is not None:
            errs["chosen"] = e_chosen
            errs["blend"] = 0.5 * (e_inputs + e_chosen)  # the error of the average forecast
        mae = {k: np.where(both, np.abs(e), 0.0).sum(axis=1) / cnt for k, e in errs.items()}
        # independent windows: the span of the origins actually scored (a history with a long gap
        # or a short record inside the window must not count the empty part), over the lead
        span = _scored_span(both, o)
        n_eff = np.minimum(np.clip(span / knots[None, :], 1.0, None), np.maximum(cnt, 1))
        crit = stdtrit(np.maximum(n_eff - 1.0, 1.0), 1.0 - (1.0 - ndtr(s.min_skill_z)) / alternatives)

        def beats(new: str, old: str) -> np.ndarray:
            """By the margin, and significantly (paired gain over its standard error)."""
            gain = np.where(both, np.abs(errs[old]) - np.abs(errs[new]), 0.0)
            g = gain.sum(axis=1) / cnt
            var = np.maximum((gain**2).sum(axis=1) / cnt - g**2, 0.0)
            return (g > crit * np.sqrt(var / n_eff)) & (mae[new] < (1.0 - s.margin) * mae[old])

        enough = n_eff >= s.min_eff
        below_persistence = {k: mae[k] < (1.0 - s.margin) * mae["persistence"] for k in mae}
        informative = beats("inputs", "series") & enough  # the inputs tell what the series does not
        use = informative & below_persistence["inputs"]
        blend = series = np.zeros_like(use)
        if e_chosen is not None:
            pays = np.stack([use & beats("inputs", "chosen"),
                             informative & beats("blend", "chosen") & below_persistence["blend"],
                             beats("series", "chosen") & below_persistence["series"] & enough])
            m = np.stack([mae["inputs"], mae["blend"], mae["series"]])
            best = np.argmin(np.where(pays, m, np.inf), axis=0)
            any_pays = pays.any(axis=0)
            use, blend, series = (any_pays & (best == k) for k in range(3))
    ok = np.isfinite(mae["inputs"])
    return _Verdict(np.where(ok, use, False), mae, np.where(ok, blend, False), np.where(ok, series, False))


def _band(err: np.ndarray, level: float, knots: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper error quantiles per (row, knot) from cross-validated errors (n, r, L);
    ``span`` (n, L): steps between the first and last scored origin.

    Split-conformal level (tails shrink by m / (m + 1)), widened by the Student-t to normal ratio
    for span / lead independent windows, as :mod:`simulation.forecast` does.
    """
    m = np.isfinite(err).sum(axis=1)
    a = (1.0 - level) / 2.0
    q = np.clip(a * (m + 1) / np.maximum(m, 1), 0.0, 0.5)  # (n, L)
    srt = np.sort(err, axis=1)
    pos_lo = np.maximum(m - 1, 0) * q
    pos_hi = np.maximum(m - 1, 0) * (1.0 - q)

    def at(pos: np.ndarray) -> np.ndarray:
        k = np.floor(pos).astype(int)
        k1 = np.minimum(k + 1, np.maximum(m - 1, 0))
        lo = np.take_along_axis(srt, k[:, None, :], axis=1)[:, 0]
        hi = np.take_along_axis(srt, k1[:, None, :], axis=1)[:, 0]
        return lo + (pos - k) * (hi - lo)

    n_eff = np.minimum(np.clip(span / knots[None, :], 1.0, None), np.maximum(m, 1))
    z = float(ndtri(0.5 + level / 2.0))
    widen = stdtrit(np.maximum(n_eff - 1.0, 1.0), 0.5 + level / 2.0) * np.sqrt(1.0 + 1.0 / n_eff) / z
    return np.minimum(at(pos_lo), 0.0) * widen, np.maximum(at(pos_hi), 0.0) * widen


def _rows(values: np.ndarray, n: int) -> np.ndarray:
    """An input's values as (n, t) float: one row is shared by all n sensors."""
    x = np.atleast_2d(np.asarray(values, dtype=float))
    return np.broadcast_to(x, (n, x.shape[1])) if x.shape[0] == 1 else x


def _to_leads(a: np.ndarray, knots: np.ndarray, h: int) -> np.ndarray:
    """Linear interpolation over leads of (n, L) values at ``knots`` to (n, h)."""
    lead = np.arange(1, h + 1)
    j = np.clip(np.searchsorted(knots, lead, side="right") - 1, 0, knots.size - 1)
    j1 = np.minimum(j + 1, knots.size - 1)
    span = np.maximum(knots[j1] - knots[j], 1)
    frac = np.where(j1 > j, (lead - knots[j]) / span, 0.0)
    return a[:, j] * (1.0 - frac) + a[:, j1] * frac


def _nearest(a: np.ndarray, knots: np.ndarray, h: int) -> np.ndarray:
    """(n, L) values at ``knots`` taken at the nearest knot of every lead 1..h: (n, h)."""
    lead = np.arange(1, h + 1)
    return a[:, np.argmin(np.abs(lead[:, None] - knots[None, :]), axis=1)]


@dataclass(frozen=True)
class InputForecast:
    """A forecast with inputs and the evidence for them.

    batch : the forecasts (:class:`simulation.forecast.ForecastBatch`).
    knots : (L,) int, the leads (steps) at which the models were cross-validated.
    mae : ``{"persistence" | "series" | "inputs": (n, L) float}``, cross-validated MAE on the
        series' own past (NaN where not judged).
    use : (n, L) bool, where the inputs were chosen.
    """

    batch: ForecastBatch
    knots: np.ndarray
    mae: dict[str, np.ndarray]
    use: np.ndarray


def forecast_with_inputs(
    values: np.ndarray,
    step_s: float,
    horizon_steps: int,
    inputs: Sequence[Input],
    level: float = 0.95,
    settings: ForecastSettings = DEFAULT_SETTINGS,
    input_settings: InputSettings = DEFAULT_INPUT_SETTINGS,
    limits: tuple[float | np.ndarray, float | np.ndarray] | None = None,
) -> InputForecast:
    """Forecast ``n`` sensors as :func:`simulation.forecast.forecast_many`, using ``inputs`` where they pay.

    values : (n, t) or (t,) float, regular step ``step_s`` s, oldest first, NaN missing; the
        series-only forecaster reads its own last ``settings.max_history_s``, the model with
        inputs the last ``input_settings.max_history_s``.
    inputs : :class:`Input` series on the same grid (their ``values`` (n, t) or (t,)); known up to
        now only (nothing is read ahead of the last column).
    limits : the quantity's physical range, as :func:`simulation.forecast.forecast_many` takes it.
    Returns :class:`InputForecast`: its ``batch`` the forecasts (a lead forecast with the inputs is
    named ``"inputs:<name>+<name>"`` in ``models``), beside the cross-validated evidence.
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    h = int(horizon_steps)
    base = forecast_many(y[:, -max(2, int(round(settings.max_history_s / step_s))):], step_s, h, level, settings,
                         limits)
    s = input_settings
    knots = _knots(h, step_s, s.knot_h)
    n = y.shape[0]
    nan = np.full((n, knots.size), np.nan)
    out = InputForecast(base, knots, {k: nan.copy() for k in ("persistence", "series", "inputs")},
                        np.zeros((n, knots.size), dtype=bool))
    if not inputs or y.shape[1] == 0:
        return out
    keep = max(2, int(round(s.max_history_s / step_s)))
    gap = int(s.max_gap_s // step_s)
    y = fill_short_gaps(np.where(np.isfinite(y[:, -keep:]), y[:, -keep:], np.nan), gap)
    t = y.shape[1]
    xs = [Input(i.name, _hold_last(_rows(i.values, n)[:, -keep:], gap), i.same_unit) for i in inputs]
    if any(x.values.shape != y.shape for x in xs):
        raise ValueError("every input must have the forecast series' shape (n, t) or (t,)")
    o = _regression_origins(t, h, step_s, s.origins)
    if o.size < 4 * s.folds:
        return out
    mean, lower, upper = base.mean.copy(), base.lower.copy(), base.upper.copy()
    models = base.models.copy()
    label = INPUTS_PREFIX + "+".join(i.name for i in inputs)
    chosen = base.models[:, knots - 1] if s.against_chosen else None
    for a in range(0, n, 32):
        rows = slice(a, min(n, a + 32))
        verdict, m, lo, hi, (b_lo, b_hi), (m_s, lo_s, hi_s) = _fit_rows(
            y[rows], [Input(i.name, i.values[rows], i.same_unit) for i in xs], o, knots, step_s, h, level, s,
            None if chosen is None else chosen[rows])
        for k in out.mae:
            out.mae[k][rows] = verdict.mae[k]
        out.use[rows] = verdict.use | verdict.blend
        ok = np.isfinite(y[rows, -1:]) & np.isfinite(m)
        use = _nearest(verdict.use, knots, h) & ok
        mix = _nearest(verdict.blend, knots, h) & ok & ~use
        reg = _nearest(verdict.series, knots, h) & np.isfinite(y[rows, -1:]) & np.isfinite(m_s) & ~use & ~mix
        m_mix = 0.5 * (m + base.mean[rows])
        for where, f, f_lo, f_hi, name in ((use, m, lo, hi, label),
                                           (mix, m_mix, m_mix + b_lo, m_mix + b_hi,
                                            INPUTS_PREFIX + HALF + label[len(INPUTS_PREFIX):]),
                                           (reg, m_s, lo_s, hi_s, SERIES_REGRESSION)):
            mean[rows] = np.where(where, f, mean[rows])
            lower[rows] = np.where(where, f_lo, lower[rows])
            upper[rows] = np.where(where, f_hi, upper[rows])
            models[rows] = np.where(where, name, models[rows])
    mean, lower, upper = clip_to_limits(mean, lower, upper, limits)
    return InputForecast(ForecastBatch(mean, lower, upper, level, models), knots, out.mae, out.use)


def _chosen_change(
    y: np.ndarray, o: np.ndarray, knots: np.ndarray, step_s: float, fs: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """The change ``y(o + k) - y(o)`` that the series-only candidate ``chosen`` (n, L) names foresees
    at every origin ``o`` and knot: (n, r, L), 0 (persistence) where it lacks history.

    fs : the series features of :func:`input_features` at ``o`` (their first columns are the
    changes :data:`SERIES_CANDIDATES` and ``revert_6h`` foresee); other candidates are computed.
    """
    cols = {name: i for i, name in enumerate(SERIES_CANDIDATES + ("revert_6h",))}
    out = np.zeros(fs.shape[:3])
    y_o = _take(y, o)[:, :, None]
    for name in np.unique(chosen):
        base = str(name).removeprefix(HALF)
        if base in ("persistence", "none"):
            continue
        if base in cols:
            change = fs[..., cols[base]]
        else:
            change = candidate_forecasts(y, o, int(knots.max()), step_s, (base,))[base][:, :, knots - 1] - y_o
        change = np.where(np.isfinite(change), change, 0.0) * (0.5 if str(name).startswith(HALF) else 1.0)
        at = (chosen == name)[:, None, :]
        out = np.where(at, change, out)
    return out


def _fit_rows(
    y: np.ndarray, xs: list[Input], o: np.ndarray, knots: np.ndarray, step_s: float, h: int, level: float,
    s: InputSettings, chosen: np.ndarray | None = None,
) -> tuple[_Verdict, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray],
           tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Cross-validate, judge and forecast one chunk of rows: (verdict, mean, lower, upper), each (n, h),
    the band offsets (lower, upper) of the average with the series-only forecast, and (mean, lower,
    upper) of the regression on the series' own features.

    chosen : (n, L) names of the series-only forecaster's candidate at each knot (None: not judged
    against it)."""
    t = y.shape[1]
    at = np.append(o, t - 1)
    fs, fi = input_features(y, xs, at, knots, step_s)
    y_o = _take(y, o)
    d = _take(y, o[:, None] + knots[None, :]) - y_o[:, :, None]  # (n, r, L)
    w = np.isfinite(d).astype(float)
    d = np.where(w > 0, d, 0.0)
    raw = np.concatenate([fs, fi], axis=-1)
    z_all, mu, sd = _standardise(raw[:, :-1], w)
    z_now = _apply(raw[:, -1:], mu, sd)
    k_series = 1 + fs.shape[-1]
    e_pers = np.where(w > 0, d, np.nan)
    e_series = _cross_validate(z_all[..., :k_series], d, w, o, int(knots.max()), s)
    e_inputs = _cross_validate(z_all, d, w, o, int(knots.max()), s)
    e_chosen = None
    if chosen is not None:
        e_chosen = np.where(w > 0, d - _chosen_change(y, o, knots, step_s, fs[:, :-1], chosen), np.nan)
    verdict = _judge(e_pers, e_series, e_inputs, o, knots, s, e_chosen)
    coef = _fit(z_all, d, w, s.ridge)
    change = np.einsum("nlk,nlk->nl", z_now[:, 0], coef)  # (n, L)
    mean = y[:, -1:] + _to_leads(change, knots, h)
    coef_s = _fit(z_all[..., :k_series], d, w, s.ridge)
    mean_s = y[:, -1:] + _to_leads(np.einsum("nlk,nlk->nl", z_now[:, 0, :, :k_series], coef_s), knots, h)

    def band(err: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q_lo, q_hi = _band(err, level, knots, _scored_span(np.isfinite(err), o))
        return (np.minimum.accumulate(_to_leads(q_lo, knots, h), axis=1),
                np.maximum.accumulate(_to_leads(q_hi, knots, h), axis=1))

    lo, hi = band(e_inputs)
    blend_band = band(0.5 * (e_inputs + e_chosen)) if e_chosen is not None else (lo, hi)
    s_lo, s_hi = band(e_series)
    return verdict, mean, mean + lo, mean + hi, blend_band, (mean_s, mean_s + s_lo, mean_s + s_hi)
