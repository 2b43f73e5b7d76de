"""Rolling-origin backtests of forecasters on one regular series.

A rolling-origin evaluation (Tashman 2000, "Out-of-sample tests of forecasting
accuracy", Int. J. Forecasting 16) cuts the series at many origins, forecasts
from the history before each cut and scores the forecast on what followed.
Here every origin sees the same history length (the forecaster's window) and
must have a reading at the origin itself.

Baselines measured beside :func:`simulation.forecast.forecast_many`:

``persistence``     the last value.
``seasonal_naive``  the value a whole number of days before the target.
``holt24``          the system specification's method: Holt's linear
                    smoothing over the last 24 h, smoothing constants fitted
                    per origin by one-step squared error over a grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.forecast import ForecastSettings, forecast_many
from simulation.forecast_models import holt_filter, period_steps, persistence, seasonal_naive
from simulation.forecast_prep import fill_short_gaps

#: Grid of Holt's constants for the ``holt24`` baseline (alpha, beta in
#: (0, 1), FPP3 section 8.1); the fit picks the least one-step error.
HOLT24_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
HOLT24_BETAS = (0.01, 0.05, 0.1, 0.2, 0.4)


@dataclass(frozen=True)
class Windows:
    """Histories and outcomes cut at rolling origins.

    history : (m, w) float, the w readings up to and including each origin
    future : (m, h) float, the h readings after it (NaN where missing)
    origin : (m,) int, index of each origin in the series
    """

    history: np.ndarray
    future: np.ndarray
    origin: np.ndarray


@dataclass(frozen=True)
class Score:
    """Scores of one method at the requested leads.

    mae : (k,) float mean absolute error at each lead
    coverage : (k,) float share of outcomes inside the band (NaN: no band)
    count : (k,) int outcomes scored
    """

    mae: np.ndarray
    coverage: np.ndarray
    count: np.ndarray


def cut_windows(values: np.ndarray, history_steps: int, horizon_steps: int, every_steps: int) -> Windows:
    """Cut ``values`` at origins every ``every_steps`` steps.

    values : (t,) float, regular series, NaN where missing.
    An origin needs a reading at itself, readings in at least a seventh of
    its window (two days of a 14-day window), and one outcome to score.
    """
    v = np.asarray(values, dtype=float)
    t = v.size
    pad = np.concatenate([np.full(history_steps - 1, np.nan), v, np.full(horizon_steps, np.nan)])
    origins = np.arange(0, t, max(1, every_steps))
    origins = origins[np.isfinite(v[origins])]
    hist = np.lib.stride_tricks.sliding_window_view(pad, history_steps)[origins]
    fut = np.lib.stride_tricks.sliding_window_view(pad[history_steps:], horizon_steps)[origins]
    enough = (np.isfinite(hist).sum(axis=1) >= max(2, history_steps // 7)) & np.isfinite(fut).any(axis=1)
    return Windows(hist[enough].copy(), fut[enough].copy(), origins[enough])


def holt24(history: np.ndarray, step_s: float, horizon_steps: int) -> np.ndarray:
    """The specification's baseline: Holt over the last 24 h, fitted per row.

    history : (m, w) float.  Returns (m, horizon_steps) float.
    """
    p = period_steps(step_s)
    y = fill_short_gaps(history[:, -p:], p)
    params = np.array([(a, b, 1.0) for a in HOLT24_ALPHAS for b in HOLT24_BETAS])
    lev, tr, mse = holt_filter(y, params, np.array([y.shape[1] - 1]))
    best = np.argmin(np.where(np.isfinite(mse), mse, np.inf), axis=1)
    rows = np.arange(y.shape[0])
    lead = np.arange(1, horizon_steps + 1)
    return lev[rows, 0, best][:, None] + tr[rows, 0, best][:, None] * lead[None, :]


def baseline_forecasts(history: np.ndarray, step_s: float, horizon_steps: int) -> dict[str, np.ndarray]:
    """Point forecasts of the baselines: ``{name: (m, h) float}``."""
    y = fill_short_gaps(history, 1)
    last = np.array([y.shape[1] - 1])
    pers = persistence(y, last, horizon_steps, step_s)[:, 0]
    sn = seasonal_naive(y, last, horizon_steps, step_s)[:, 0]
    return {
        "persistence": pers,
        "seasonal_naive": np.where(np.isfinite(sn), sn, pers),
        "holt24": holt24(history, step_s, horizon_steps),
    }


def score(
    future: np.ndarray,
    mean: np.ndarray,
    leads: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> Score:
    """MAE and band coverage at ``leads`` (0-based indices into the horizon)."""
    y = future[:, leads]
    ok = np.isfinite(y) & np.isfinite(mean[:, leads])
    cnt = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = np.where(ok, np.abs(y - mean[:, leads]), 0.0).sum(axis=0) / cnt
        if lower is None or upper is None:
            cov = np.full(leads.size, np.nan)
        else:
            inside = (y >= lower[:, leads]) & (y <= upper[:, leads])
            cov = np.where(ok, inside, False).sum(axis=0) / cnt
    return Score(mae, cov, cnt)


def rolling_backtest(
    values: np.ndarray,
    step_s: float,
    horizon_steps: int,
    leads: np.ndarray,
    history_steps: int | None = None,
    every_steps: int | None = None,
    level: float = 0.95,
    settings: ForecastSettings | None = None,
) -> dict[str, Score]:
    """Score the baselines and :func:`forecast_many` on one series.

    values : (t,) float at step ``step_s`` seconds; leads : (k,) int 0-based
    lead indices to score (``5`` is the 6th step ahead).
    history_steps : window per origin (default 14 days).
    every_steps : origin spacing (default 7 h, not a divisor of a day so
        every time of day is visited).
    Returns ``{method: Score}`` with ``"ours"`` carrying band coverage.
    """
    s = settings or ForecastSettings()
    w = history_steps or int(round(s.max_history_s / step_s))
    every = every_steps or max(1, int(round(7 * 3600 / step_s)))
    win = cut_windows(values, w, horizon_steps, every)
    leads = np.asarray(leads)
    out = {
        name: score(win.future, f, leads) for name, f in baseline_forecasts(win.history, step_s, horizon_steps).items()
    }
    fc = forecast_many(win.history, step_s, horizon_steps, level, s)
    out["ours"] = score(win.future, fc.mean, leads, fc.lower, fc.upper)
    return out
