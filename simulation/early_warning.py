"""Early warning from a forecast: when a relic's limit will be crossed, and how likely.

Feeds the yellow pre-alarm of the alert engine: the forecast of
:mod:`simulation.forecast` carries a calibrated band (``lower``, ``upper``
are the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the outcome at
each lead), and its ``mean`` is taken as the median.

Probability method: at each lead the outcome's distribution is taken as two
half-normals joined at the median, each scaled so that the band edge on its
side is the stated quantile:

    F(x) = Phi((x - m) / s_lo)   for x <= m,   s_lo = (m - lower) / z
    F(x) = Phi((x - m) / s_hi)   for x >  m,   s_hi = (upper - m) / z

with ``z = Phi^-1((1 + level)/2)``. This reproduces the band exactly, keeps
its asymmetry, and is the quantile-matched form of the two-piece normal
(Wallis 2014, "The two-piece normal, binormal, or double Gaussian
distribution", Statistical Science 29(1) 106-112). The probability of a
breach at a lead is ``F(low) + 1 - F(high)``. A zero-width side puts all its
probability at the median.

Limits are given in the forecast's unit; either may be ``None`` (one-sided).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from simulation.forecast import Forecast

__all__ = ["EarlyWarning", "breach_probability", "early_warning", "time_to_breach"]

#: Probability at which a forecast breach raises the yellow pre-alarm: the
#: outcome is more likely outside the limit than inside (median crossing).
DEFAULT_ALARM_PROBABILITY = 0.5


def _cdf(x: float, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> np.ndarray:
    z = float(ndtri(0.5 + level / 2.0))
    below = x <= mean
    scale = np.where(below, mean - lower, upper - mean) / z
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (x - mean) / scale
    # zero width: a step at the median
    u = np.where(scale > 0, u, np.where(x < mean, -np.inf, np.where(x > mean, np.inf, 0.0)))
    return np.where(np.isfinite(mean), ndtr(u), np.nan)


def breach_probability(fc: Forecast, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Probability that the reading is outside ``[low, high]`` at each lead.

    fc : a forecast with mean, lower, upper of shape (h,) (or (n, h)).
    low, high : limits in the forecast's unit; None for no limit.
    Returns an array like ``fc.mean`` with values in [0, 1] (NaN where the
    forecast is NaN). The chance of any breach within the first ``k`` leads
    is at least ``max(p[:k])``.
    """
    mean, lower, upper = np.asarray(fc.mean), np.asarray(fc.lower), np.asarray(fc.upper)
    p = np.zeros(mean.shape)
    if low is not None:
        p = p + _cdf(low, mean, lower, upper, fc.level)
    if high is not None:
        p = p + 1.0 - _cdf(high, mean, lower, upper, fc.level)
    p = np.where(np.isfinite(mean), p, np.nan)
    return np.clip(p, 0.0, 1.0)


def time_to_breach(
    fc: Forecast, low: float | None = None, high: float | None = None, probability: float | None = None
) -> int | None:
    """First lead index at which the forecast breaches a limit, or None.

    Without ``probability`` the breach is the mean (median) outside
    ``[low, high]``; with it, :func:`breach_probability` reaching it. The
    index ``k`` means ``(k + 1) * step_s`` seconds from now.
    """
    if probability is None:
        mean = np.asarray(fc.mean)
        hit = np.zeros(mean.shape, dtype=bool)
        if low is not None:
            hit |= mean < low
        if high is not None:
            hit |= mean > high
    else:
        with np.errstate(invalid="ignore"):
            hit = breach_probability(fc, low, high) >= probability
    idx = np.flatnonzero(hit)
    return int(idx[0]) if idx.size else None


@dataclass(frozen=True)
class EarlyWarning:
    """A pre-alarm for one sensor and one relic's limits.

    lead : first lead index at which the breach probability reaches the
        alarm probability (None: no pre-alarm within the horizon)
    seconds : the same as time from now, s
    probability : highest breach probability within the horizon, [0, 1]
    side : "low" or "high", the limit concerned (None without a pre-alarm)
    """

    lead: int | None
    seconds: float | None
    probability: float
    side: str | None

    def describe(self, lang: str = "en") -> str:
        """One line for a curator, in ``"en"`` or ``"zh"``."""
        if self.lead is None or self.seconds is None:
            return {"en": "No breach expected within the forecast horizon.", "zh": "预测时段内预计不会超限。"}[lang]
        hours = self.seconds / 3600.0
        pct = round(100 * self.probability)
        if lang == "zh":
            side = "低于下限" if self.side == "low" else "高于上限"
            return f"约 {hours:.1f} 小时后可能{side}（概率最高 {pct}%）。"
        side = "below the lower limit" if self.side == "low" else "above the upper limit"
        return f"May go {side} in about {hours:.1f} h (probability up to {pct} %)."


def early_warning(
    fc: Forecast,
    step_s: float,
    low: float | None = None,
    high: float | None = None,
    probability: float = DEFAULT_ALARM_PROBABILITY,
) -> EarlyWarning:
    """Pre-alarm for a relic with limits ``[low, high]`` from one sensor's forecast."""
    p_low = breach_probability(fc, low, None) if low is not None else np.zeros(np.shape(fc.mean))
    p_high = breach_probability(fc, None, high) if high is not None else np.zeros(np.shape(fc.mean))
    p = np.nan_to_num(p_low + p_high, nan=0.0)
    hit = np.flatnonzero(p >= probability)
    top = float(p.max(initial=0.0))
    if not hit.size:
        return EarlyWarning(None, None, top, None)
    k = int(hit[0])
    side = "low" if np.nan_to_num(p_low[k]) >= np.nan_to_num(p_high[k]) else "high"
    return EarlyWarning(k, (k + 1) * float(step_s), top, side)
