"""Mould germination risk: Sedlbauer's lowest isopleths and a days-to-germination clock.

Whether spores *can* germinate is read from the lowest isopleths for mould
(LIM) of Sedlbauer (2001), *Vorhersage von Schimmelpilzbildung auf und in
Bauteilen*, PhD thesis, Univ. Stuttgart / Fraunhofer IBP, figures of the
germination isopleth systems for substrate category I (LIM B I: biologically
recyclable products — wallpaper, paper, textiles, wood, glue) and category II
(LIM B II: porous, less nutritious substrates — plaster, mineral renders,
stone). The points below were digitised from those figures to about ±2 %RH;
below 0 °C no germination is assumed (Sedlbauer's isopleths start at 0 °C).

How *fast* spores germinate once above the isopleth uses the closed form of
Hukka & Viitanen (1999), "A mathematical model of mould growth on wooden
material", Wood Sci. Technol. 33:475-485, for the time to the first
microscopic growth (mould index 1) on pine sapwood:

    t_m = exp(-0.68 ln T - 13.9 ln RH + 0.14 W - 0.33 SQ + 66.02)   weeks

with W = 0 (pine) and SQ = 0 (resawn surface), T in °C (valid 0-50 °C),
RH in %. The germination clock adds ``dt / t_m`` for every interval spent
above the isopleth; reaching 1 means germination is expected (as IPI's
Mould Risk Factor accumulates "days to mould"). Time below the isopleth adds
nothing and resets nothing (the conservative reading: spores stay viable).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.time_axis import DAY_S, hold_durations, in_input_order, seconds, sort_by_time, time_order

# (T °C, RH %) points of the lowest germination isopleths, Sedlbauer (2001), digitised.
LIM_T_C = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0])
LIM_B_I_RH = np.array([92.0, 87.0, 83.0, 80.0, 78.0, 77.0, 76.0])
LIM_B_II_RH = np.array([95.0, 90.0, 86.0, 83.0, 81.0, 80.0, 79.0])
_ISOPLETHS = {"B I": LIM_B_I_RH, "B II": LIM_B_II_RH}

# Hukka & Viitanen (1999) coefficients, time to mould index 1 in weeks.
_HV_T, _HV_RH, _HV_W, _HV_SQ, _HV_C = -0.68, -13.9, 0.14, -0.33, 66.02
_HV_T_MIN_C, _HV_T_MAX_C = 0.0, 50.0


def lim_rh(t_c: ArrayLike, substrate: str = "B I") -> NDArray[np.float64]:
    """Lowest RH at which spores germinate on ``substrate`` (``"B I"`` or ``"B II"``).

    t_c : (n,) float, °C  ->  (n,) float, %RH; above 30 °C the 30 °C value holds,
    below 0 °C the result is +inf (no germination).
    """
    try:
        rh = _ISOPLETHS[substrate]
    except KeyError:
        raise KeyError(f"unknown substrate {substrate!r}; known: {', '.join(_ISOPLETHS)}") from None
    t = np.asarray(t_c, dtype=float)
    out = np.interp(t, LIM_T_C, rh)
    return np.where(t < LIM_T_C[0], np.inf, out)


def days_to_germination(t_c: ArrayLike, rh: ArrayLike) -> NDArray[np.float64]:
    """Days of constant conditions to germination (Hukka & Viitanen 1999, ×7 d/week).

    t_c : (n,) float, °C; rh : (n,) float, %RH  ->  (n,) float, days;
    +inf outside 0 < T < 50 °C or at RH ≤ 0.
    """
    t = np.asarray(t_c, dtype=float)
    h = np.asarray(rh, dtype=float)
    ok = (t > _HV_T_MIN_C) & (t < _HV_T_MAX_C) & (h > 0)
    ts = np.where(ok, t, 1.0)
    hs = np.where(ok, h, 1.0)
    weeks = np.exp(_HV_T * np.log(ts) + _HV_RH * np.log(hs) + _HV_C)
    return np.where(ok, 7.0 * weeks, np.inf)


def germination_progress(times: ArrayLike, t_c: ArrayLike, rh: ArrayLike,
                         substrate: str = "B I") -> NDArray[np.float64]:
    """Accumulated germination clock after each sample; 1.0 = germination expected.

    times : (n,) datetime64 / aware datetime / float s; t_c : (n,) °C; rh : (n,) %RH
    ->  (n,) float, dimensionless, in the input order. Each sample holds until the next in time.
    """
    t0 = seconds(times)
    order = time_order(t0)
    t_s, t, h = sort_by_time(t0, t_c, rh)
    above = np.nan_to_num(h, nan=-1.0) >= lim_rh(np.nan_to_num(t, nan=-99.0), substrate)
    days = days_to_germination(t, h)
    step = np.where(above & np.isfinite(days), hold_durations(t_s) / DAY_S / days, 0.0)
    return in_input_order(np.cumsum(step), order)


def days_above_isopleth(times: ArrayLike, t_c: ArrayLike, rh: ArrayLike, substrate: str = "B I",
                        max_hold_s: float = 6 * 3600.0) -> float:
    """Days spent at or above the lowest germination isopleth (LIM) of ``substrate``.

    times : (n,) datetime64 / aware datetime / float s; t_c : (n,) °C; rh : (n,) %RH
    ->  float, days. Each sample holds until the next, at most ``max_hold_s`` (a logger
    gap is not counted); NaN samples count as below.
    """
    t_s, t, h = sort_by_time(seconds(times), t_c, rh)
    above = np.nan_to_num(h, nan=-1.0) >= lim_rh(np.nan_to_num(t, nan=-99.0), substrate)
    hold = np.minimum(hold_durations(t_s), max_hold_s)
    return float(np.sum(hold * above) / DAY_S)
