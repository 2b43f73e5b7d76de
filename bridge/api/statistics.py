"""Statistics of one stored series, for the API: distribution, time out of band, conservation metrics.

The conservation metrics are the simulation's own (TWPI from
:mod:`simulation.preservation_index`, 24 h change from
:mod:`simulation.fluctuation`, light exposure from :mod:`simulation.light_dose`);
this module only assembles them for one sensor and quantity.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulation.fluctuation import max_change_24h
from simulation.light_dose import annualised_exposure
from simulation.preservation_index import time_weighted_preservation_index

#: A sample stands for the time until the next one, but never for more than
#: this: a longer silence is a gap, not a steady value (the same 6 h cap as
#: the light-dose integration in simulation.light_dose).
MAX_GAP_S = 6 * 3600.0

PERCENTILES = (5, 25, 50, 75, 95)


def sample_durations(t_s: np.ndarray, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """How long each sample stands for: the interval to the next, capped; 0 for the last.

    t_s : (n,) float, s, increasing  ->  (n,) float, s
    """
    t = np.asarray(t_s, dtype=float)
    if t.size == 0:
        return t
    return np.append(np.minimum(np.diff(t), max_gap_s), 0.0)


def time_out_of_band(t_s: np.ndarray, values: np.ndarray, low: float | None, high: float | None,
                     max_gap_s: float = MAX_GAP_S) -> tuple[float, float]:
    """Seconds outside [low, high] and that time as a fraction of the covered time.

    t_s : (n,) float, s, increasing; values : (n,) float; low/high None = unbounded
    ->  (seconds outside, fraction of covered time; NaN when nothing is covered)
    """
    v = np.asarray(values, dtype=float)
    outside = np.zeros(v.shape, dtype=bool)
    if low is not None:
        outside |= v < low
    if high is not None:
        outside |= v > high
    dur = sample_durations(t_s, max_gap_s)
    covered = float(dur.sum())
    out = float(dur[outside].sum())
    return out, (out / covered if covered > 0 else math.nan)


def _num(x: float) -> float | None:
    """JSON has no NaN: None instead."""
    return None if x is None or not math.isfinite(x) else float(x)


def describe(t_s: np.ndarray, values: np.ndarray, quantity: str, low: float | None = None,
             high: float | None = None, partner: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """Statistics of a raw series.

    t_s : (n,) float, s; values : (n,) float in the quantity's unit
    partner : (t_s, values) of the companion quantity (relative humidity for
        temperature and the other way round) from the same sensor, for TWPI
    """
    v = np.asarray(values, dtype=float)
    t = np.asarray(t_s, dtype=float)
    out: dict[str, Any] = {"count": int(v.size)}
    if v.size == 0:
        return out | {"min": None, "mean": None, "max": None, "percentiles": {},
                      "time_out_of_band_s": None, "fraction_out_of_band": None}
    pct = np.percentile(v, PERCENTILES)
    out |= {"min": _num(v.min()), "mean": _num(v.mean()), "max": _num(v.max()),
            "std": _num(v.std()), "percentiles": {f"p{p}": _num(x) for p, x in zip(PERCENTILES, pct, strict=True)}}
    if low is not None or high is not None:
        secs, frac = time_out_of_band(t, v, low, high)
        out |= {"band": {"low": low, "high": high}, "time_out_of_band_s": _num(secs),
                "fraction_out_of_band": _num(frac)}
    else:
        out |= {"time_out_of_band_s": None, "fraction_out_of_band": None}
    metrics: dict[str, float | None] = {}
    if quantity in ("temperature", "relative_humidity"):
        metrics["max_change_24h"] = _num(max_change_24h(t, v))
        if partner is not None and partner[0].size:
            pt, pv = partner
            other = np.interp(t, pt, pv, left=np.nan, right=np.nan)  # partner aligned on our samples
            temp, rh = (v, other) if quantity == "temperature" else (other, v)
            metrics["twpi_years"] = _num(time_weighted_preservation_index(t, temp, rh))
    if quantity == "illuminance" and v.size >= 2:
        metrics["annualised_exposure_lxh"] = _num(annualised_exposure(t, v))
    out["metrics"] = metrics
    return out
