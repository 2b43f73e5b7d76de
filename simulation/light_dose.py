"""Cumulative light exposure against an annual limit, and the UV content of light.

Exposure is illuminance integrated over time, in lx·h (CIE 157:2004 §4: the
damage of optical radiation is reciprocal in dose, illuminance × time).
Annual limits (lx·h per year) come from the material profile
(``scenes/materials.toml``: GB/T 23863-2009, CIE 157:2004). The UV content
is already measured in µW/lm (the quantity ``uv``); its ratio to the
profile's limit is > 1 when the light has too much UV.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.time_axis import HOUR_S, YEAR_H, in_input_order, seconds, sort_by_time, time_order


def cumulative_exposure(times: ArrayLike, lux: ArrayLike, max_gap_s: float = 6 * HOUR_S) -> NDArray[np.float64]:
    """Light exposure accumulated up to each sample (trapezoid rule).

    times : (n,) datetime64 / aware datetime / float s; lux : (n,) float, lx
    ->  (n,) float, lx·h, 0 at the earliest sample, in the input order. A gap longer
    than ``max_gap_s`` (a logger that was off) adds nothing rather than guessing; NaN
    values add nothing.
    """
    t0 = seconds(times)
    if t0.size < 2:
        return np.zeros(t0.size)
    order = time_order(t0)
    t, v = sort_by_time(t0, np.nan_to_num(np.asarray(lux, dtype=float), nan=0.0))
    dt = np.diff(t)
    step = 0.5 * (v[:-1] + v[1:]) * np.where(dt <= max_gap_s, dt, 0.0) / HOUR_S
    return in_input_order(np.concatenate([[0.0], np.cumsum(step)]), order)


def annualised_exposure(times: ArrayLike, lux: ArrayLike) -> float:
    """Exposure of the record scaled to one year: total × 8760 h / span.

    times : (n,) ...; lux : (n,) lx  ->  float, lx·h per year (NaN for a record of no span)
    """
    t = seconds(times)
    if t.size < 2 or t.max() <= t.min():
        return float("nan")
    total = cumulative_exposure(t, lux).max()
    return float(total * YEAR_H * HOUR_S / (t.max() - t.min()))


def annual_dose_fraction(times: ArrayLike, lux: ArrayLike, annual_limit_lxh: float) -> float:
    """Annualised exposure over the annual limit; > 1 means the limit will be exceeded.

    annual_limit_lxh : float, lx·h per year (> 0)  ->  float, dimensionless
    """
    return annualised_exposure(times, lux) / annual_limit_lxh


def uv_ratio(uv: ArrayLike, limit_uw_per_lm: float) -> NDArray[np.float64]:
    """UV content over its limit; > 1 means too much UV.

    uv : (n,) float, µW/lm; limit_uw_per_lm : float, µW/lm  ->  (n,) float
    """
    return np.asarray(uv, dtype=float) / limit_uw_per_lm


def uv_dose(times: ArrayLike, lux: ArrayLike, uv: ArrayLike, max_gap_s: float = 6 * HOUR_S) -> float:
    """UV radiant exposure: UV content × illuminance integrated over time (trapezoid rule).

    times : (n,) ...; lux : (n,) lx (= lm/m²); uv : (n,) µW/lm, on the same time stamps
    ->  float, mW·h/m² (µW/lm × lm/m² = µW/m²). Gaps longer than ``max_gap_s`` add nothing.
    """
    irradiance = np.asarray(uv, dtype=float) * np.asarray(lux, dtype=float)  # µW/m²
    exposure = cumulative_exposure(times, irradiance, max_gap_s)  # µW·h/m²
    return float(exposure.max() / 1000.0) if exposure.size else 0.0


def pro_rata_budget(annual_limit_lxh: float, span_s: float) -> float:
    """The share of an annual exposure limit that falls to a period of ``span_s`` seconds.

    annual_limit_lxh : lx·h per year; span_s : s  ->  float, lx·h (8760 h per year)
    """
    return float(annual_limit_lxh * span_s / (YEAR_H * HOUR_S))
