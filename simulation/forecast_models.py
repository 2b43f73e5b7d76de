"""Candidate forecasters, evaluated at many origins at once.

Every candidate maps a history ``y : (n, t)`` (regular step, oldest first,
short gaps already bridged) and origins ``o : (r,) int`` (indices into ``t``)
to forecasts ``f : (n, r, h)`` for leads ``1..h`` steps, using only readings
at or before each origin. The same call scores a candidate in a rolling
backtest (many origins) and produces the forecast itself (origin ``t - 1``).

Candidates (names are keys of :data:`CANDIDATES`):

``persistence``
    last value; the anchor every other candidate must beat.
``seasonal_naive``
    the reading one day earlier at the same time of day.
``profile``, ``profile_12h``, ``profile_3h``
    the daily profile (mean of the same time of day over up to
    :data:`PROFILE_DAYS` past days) plus today's anomaly from it, the anomaly
    decaying with time constant infinity / 12 h / 3 h. With infinity this is
    "persistence + the profile's change from now to then"; the decay models
    air handling that pulls the room back to its usual daily course.
``revert_6h``
    the anomaly from the trailing 24 h mean decaying with a 6 h time
    constant: a controlled room without a daily cycle.
``holt``
    Holt's linear (double exponential) smoothing, the method the system
    specification names, with smoothing constants fitted per sensor by
    one-step squared error over a grid (Hyndman & Athanasopoulos,
    *Forecasting: Principles and Practice*, 3rd ed., section 8.2).
``holt_damped``
    Gardner & McKenzie (1985) damped trend, same fit (FPP3 section 8.2).

Time constants are in hours and converted to per-step factors with
``exp(-step / tau)``, so candidates behave the same at 1 min and 1 h steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Days averaged into the daily profile. A week covers weekday/weekend
#: opening patterns of a museum equally.
PROFILE_DAYS = 7

#: Holt grids: time constants (hours) of the level, the trend and the
#: damping of the trend. FPP3 section 8.1 suggests alpha in (0, 1) with
#: beta <= alpha; these span fast to slow rooms.
HOLT_LEVEL_TAU_H = (0.25, 1.0, 4.0)
HOLT_TREND_TAU_H = (6.0,)
HOLT_DAMP_TAU_H = (2.0,)


def _rho(step_s: float, tau_h: float) -> float:
    return float(np.exp(-step_s / (tau_h * 3600.0)))


def _take(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Gather ``y[:, idx]`` for any-shaped ``idx``; NaN where out of range."""
    t = y.shape[1]
    ok = (idx >= 0) & (idx < t)
    out = y[:, np.clip(idx, 0, t - 1)]
    return np.where(ok, out, np.nan)


def period_steps(step_s: float) -> int:
    """Steps in one day (24 h), the season of indoor climate."""
    return max(1, int(round(86400.0 / step_s)))


def persistence(y: np.ndarray, o: np.ndarray, h: int, step_s: float) -> np.ndarray:
    """Last value at each origin repeated: (n, r, h)."""
    return np.repeat(_take(y, o)[:, :, None], h, axis=2)


def seasonal_naive(y: np.ndarray, o: np.ndarray, h: int, step_s: float) -> np.ndarray:
    """Reading a whole number of days before the target, at or before the origin."""
    p = period_steps(step_s)
    lead = np.arange(1, h + 1)
    lag = p * np.ceil(lead / p).astype(int)
    return _take(y, o[:, None] + lead[None, :] - lag[None, :])


def _profile_sum(y: np.ndarray, p: int, first_day: int, extra: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of ``y(tau - d p)`` over ``d = first_day .. first_day + PROFILE_DAYS - 1``.

    Defined for ``tau`` in ``0 .. t + extra - 1`` so that targets beyond the
    last reading get their profile. Returns two (n, t + extra) arrays.
    """
    n, t = y.shape
    s = np.zeros((n, t + extra))
    c = np.zeros((n, t + extra))
    for d in range(first_day, first_day + PROFILE_DAYS):
        lag = d * p
        if lag >= t + extra:
            break
        v = y[:, : t + extra - lag]
        ok = np.isfinite(v)
        s[:, lag : lag + v.shape[1]] += np.where(ok, v, 0.0)
        c[:, lag : lag + v.shape[1]] += ok
    return s, c


def profile_family(y: np.ndarray, o: np.ndarray, h: int, step_s: float, taus_h: tuple[float, ...]) -> list[np.ndarray]:
    """Daily-profile forecasts for several anomaly decay constants at once.

    For lead ``k`` the profile is the mean of ``y(tau - d P)`` over
    ``d = m .. m + PROFILE_DAYS - 1`` with ``m = ceil(k / P)`` (``P`` steps a
    day), so it uses no reading after the origin. Returns one (n, r, h)
    array per entry of ``taus_h`` (hours; ``inf`` keeps the anomaly).
    """
    p = period_steps(step_s)
    lead = np.arange(1, h + 1)
    first_day = np.ceil(lead / p).astype(int)
    y_o = _take(y, o)[:, :, None]
    outs = [np.empty((y.shape[0], o.size, h), dtype=y.dtype) for _ in taus_h]
    for m in np.unique(first_day):
        cols = np.nonzero(first_day == m)[0]
        s, c = _profile_sum(y, p, int(m), h)
        # the same days enter the profile at the origin and at the target
        ok_days = (c[:, o] > 0)[:, :, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            prof = s / c
        at_target = _take(prof, o[:, None] + lead[None, cols])
        anomaly = np.where(ok_days, y_o - _take(prof, o)[:, :, None], np.nan)
        for out, tau in zip(outs, taus_h, strict=True):
            rho = 1.0 if np.isinf(tau) else _rho(step_s, tau)
            out[:, :, cols] = at_target + rho ** lead[cols] * anomaly
    return outs


def revert_6h(y: np.ndarray, o: np.ndarray, h: int, step_s: float) -> np.ndarray:
    """Trailing 24 h mean plus the anomaly from it decaying with a 6 h time constant."""
    p = period_steps(step_s)
    ok = np.isfinite(y)
    cs = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(np.where(ok, y, 0.0), axis=1)], axis=1)
    cc = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(ok, axis=1)], axis=1)
    lo = np.clip(o - p + 1, 0, None)
    cnt = cc[:, o + 1] - cc[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (cs[:, o + 1] - cs[:, lo]) / cnt
    mean = np.where(cnt >= max(2, p // 4), mean, np.nan)[:, :, None]
    decay = _rho(step_s, 6.0) ** np.arange(1, h + 1)
    return mean + decay * (_take(y, o)[:, :, None] - mean)


def holt_grid(step_s: float, damped: bool) -> np.ndarray:
    """(g, 3) grid of (alpha, beta, phi) per step for the Holt candidates."""
    rows = []
    damp = HOLT_DAMP_TAU_H if damped else (np.inf,)
    for tl in HOLT_LEVEL_TAU_H:
        for tb in HOLT_TREND_TAU_H:
            for td in damp:
                phi = 1.0 if np.isinf(td) else _rho(step_s, td)
                rows.append((1.0 - _rho(step_s, tl), 1.0 - _rho(step_s, tb), phi))
    return np.array(rows)


def holt_filter(y: np.ndarray, params: np.ndarray, record: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run Holt's (damped) recursion for every sensor and parameter row.

    y : (n, t) float; params : (g, 3) alpha, beta, phi; record : (r,) int
    ascending origins at which to keep the state.

    Returns level (n, r, g), trend (n, r, g) after the reading at each origin,
    and the mean one-step squared error (n, g). A missing reading advances
    the state by its own forecast. The level starts at the first reading and
    the trend at zero.
    """
    n, t = y.shape
    g = params.shape[0]
    a, b, phi = params[:, 0], params[:, 1], params[:, 2]
    lev = np.full((n, g), np.nan)
    tr = np.zeros_like(lev)
    sse = np.zeros_like(lev)
    cnt = np.zeros((n, 1))
    out_l = np.empty((n, record.size, g))
    out_b = np.empty_like(out_l)
    slot = np.full(t, -1)
    slot[record] = np.arange(record.size)
    started_all = False
    one_minus_b = 1.0 - b
    # time-major copy: each step reads one contiguous column; scratch arrays
    # are reused in place (the loop is bound by per-call overhead, not flops)
    y_t = np.ascontiguousarray(y.T)[:, :, None]
    full = np.isfinite(y_t[:, :, 0]).all(axis=1)
    damped, pred, err, sq, new_l = (np.empty_like(lev) for _ in range(5))
    for k in range(t):
        yk = y_t[k]
        np.multiply(phi, tr, out=damped)
        np.add(lev, damped, out=pred)
        np.subtract(yk, pred, out=err)
        if started_all and full[k]:
            cnt += 1.0
        else:
            upd = np.isfinite(err)  # reading present and state started
            np.copyto(err, 0.0, where=~upd)
            cnt += upd[:, :1]
        np.multiply(err, err, out=sq)
        sse += sq
        np.multiply(a, err, out=new_l)
        new_l += pred
        # trend: b (new level - old level) + (1 - b) damped trend
        np.subtract(new_l, lev, out=tr)
        tr *= b
        damped *= one_minus_b
        tr += damped
        lev, new_l = new_l, lev
        if not started_all:
            init = np.isfinite(yk) & np.isnan(lev)
            if init.any():
                np.copyto(lev, np.broadcast_to(yk, lev.shape), where=init)
                np.copyto(tr, 0.0, where=init)
            started_all = bool(np.isfinite(lev).all())
        j = slot[k]
        if j >= 0:
            out_l[:, j] = lev
            out_b[:, j] = tr
    with np.errstate(invalid="ignore", divide="ignore"):
        return out_l, out_b, sse / cnt


@dataclass(frozen=True)
class HoltStates:
    """Fitted Holt states at the origins, for the plain and the damped family.

    level, trend : (2, n, r) float after the reading at each origin
    phi : (2, n) float damping per step of each sensor's fitted row
    """

    level: np.ndarray
    trend: np.ndarray
    phi: np.ndarray

    def rows(self, sl: slice) -> HoltStates:
        """The states of sensors ``sl``."""
        return HoltStates(self.level[:, sl], self.trend[:, sl], self.phi[:, sl])

    def forecasts(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Plain and damped forecasts, each (n, r, h)."""
        lead = np.arange(1, h + 1)
        cum_phi = np.cumsum(self.phi[:, :, None] ** lead, axis=2)  # (2, n, h)
        f = self.level[..., None] + self.trend[..., None] * cum_phi[:, :, None, :]
        return f[0], f[1]


def holt_states(y: np.ndarray, o: np.ndarray, step_s: float) -> HoltStates:
    """Fit Holt's linear method and its damped variant per sensor; states at ``o``.

    One recursion runs the grid of both families; each sensor gets the row
    of least one-step squared error within each family.
    y : (n, t) float; o : (r,) int origins (any order).
    """
    grids = [holt_grid(step_s, damped=False), holt_grid(step_s, damped=True)]
    params = np.concatenate(grids)
    order = np.argsort(o)
    lev, tr, mse = holt_filter(y, params, o[order])
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    mse = np.where(np.isfinite(mse), mse, np.inf)
    rows = np.arange(y.shape[0])
    levels, trends, phis = [], [], []
    start = 0
    for g in grids:
        best = start + np.argmin(mse[:, start : start + len(g)], axis=1)
        start += len(g)
        levels.append(lev[rows, :, best][:, inv])
        trends.append(tr[rows, :, best][:, inv])
        phis.append(params[best, 2])
    return HoltStates(np.stack(levels), np.stack(trends), np.stack(phis))


def candidate_forecasts(
    y: np.ndarray,
    o: np.ndarray,
    h: int,
    step_s: float,
    names: tuple[str, ...],
    holt: HoltStates | None = None,
) -> dict[str, np.ndarray]:
    """Forecasts of the named candidates, sharing work within families.

    y : (n, t) float; o : (r,) int origins; h : leads; holt : the states of
    :func:`holt_states` for these sensors and origins, if already computed.
    Returns ``{name: (n, r, h) float}``; NaN where a candidate lacks history.
    """
    out: dict[str, np.ndarray] = {}
    if "persistence" in names:
        out["persistence"] = persistence(y, o, h, step_s)
    if "seasonal_naive" in names:
        out["seasonal_naive"] = seasonal_naive(y, o, h, step_s)
    prof = [n for n in PROFILE_TAU_H if n in names]
    if prof:
        out.update(zip(prof, profile_family(y, o, h, step_s, tuple(PROFILE_TAU_H[n] for n in prof)), strict=True))
    if "revert_6h" in names:
        out["revert_6h"] = revert_6h(y, o, h, step_s)
    if "holt" in names or "holt_damped" in names:
        plain, damped = (holt or holt_states(y, o, step_s)).forecasts(h)
        out["holt"], out["holt_damped"] = plain, damped
    return {n: out[n] for n in names}


#: Anomaly decay time constants (hours) of the profile candidates.
PROFILE_TAU_H: dict[str, float] = {"profile": np.inf, "profile_12h": 12.0, "profile_3h": 3.0}

#: All candidate names, persistence first (the fallback).
CANDIDATES: tuple[str, ...] = (
    "persistence",
    "seasonal_naive",
    "profile",
    "profile_12h",
    "profile_3h",
    "revert_6h",
    "holt",
    "holt_damped",
)

#: Display names, en and zh.
LABELS: dict[str, dict[str, str]] = {
    "persistence": {"en": "last value", "zh": "保持最新值"},
    "seasonal_naive": {"en": "same time yesterday", "zh": "昨日同时刻"},
    "profile": {"en": "last value + daily profile", "zh": "最新值加日变化曲线"},
    "profile_12h": {"en": "daily profile, 12 h recovery", "zh": "日变化曲线（12 小时回归）"},
    "profile_3h": {"en": "daily profile, 3 h recovery", "zh": "日变化曲线（3 小时回归）"},
    "revert_6h": {"en": "return to 24 h mean", "zh": "回归 24 小时均值"},
    "holt": {"en": "Holt double exponential smoothing", "zh": "Holt 双指数平滑"},
    "holt_damped": {"en": "damped Holt", "zh": "阻尼 Holt 平滑"},
    "regression": {"en": "regression on the series' own features", "zh": "本序列特征回归"},
    "none": {"en": "no data", "zh": "无数据"},
}
