"""ASHRAE museum climate classes AA, As, A, B, C, D: which one a record meets.

ASHRAE Handbook—HVAC Applications (2019), ch. 24 "Museums, Galleries,
Archives and Libraries", Table 2 ("Temperature and relative humidity
specifications for collections"). The set point is the historical annual
mean; seasonal adjustments move it; short-term fluctuations are measured
about the seasonally adjusted set point.

| class | short-term RH | short-term T | seasonal RH | seasonal T |
|---|---|---|---|---|
| AA | ±5 % | ±2 K | no change | +5 / -5 K |
| As | ±5 % | ±2 K | +10 / -10 % | +5 / -10 K |
| A  | ±10 % | ±2 K | no change | +5 / -10 K |
| B  | ±10 % | ±5 K | +10 / -10 % | +10 K (not above 30 °C) / down as needed |
| C  | RH within 25-75 % year round; T rarely above 30 °C, usually below 25 °C |
| D  | RH reliably below 75 % |

Our reading, stated so it can be argued with: the seasonally adjusted set
point is the 30-day centred moving average (the same smoothing as EN 15757);
"no change" allows the moving average to wander by ``seasonal_tolerance_rh``
(2 %RH, the accuracy of a good capacitive sensor); a class is met when at
least ``required_fraction`` (95 %) of samples satisfy it ("rarely",
"reliably" read as ≤ 5 % of the time outside). Classes are cumulative (ASHRAE:
each class also gives the risk reductions of the looser ones), so a sample
meets AA..B only when it also meets C and D: a steady but damp room is no AA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.time_axis import DAY_S, centred_mean, seconds

INF = float("inf")


@dataclass(frozen=True)
class ClassSpec:
    """Limits of one class: short-term ± (RH %, T K), seasonal up/down (RH %, T K)."""

    name: str
    short_rh: float
    short_t: float
    season_rh_up: float
    season_rh_down: float
    season_t_up: float
    season_t_down: float
    t_max: float = INF


CLASS_SPECS = (
    ClassSpec("AA", 5.0, 2.0, 0.0, 0.0, 5.0, 5.0),
    ClassSpec("As", 5.0, 2.0, 10.0, 10.0, 5.0, 10.0),
    ClassSpec("A", 10.0, 2.0, 0.0, 0.0, 5.0, 10.0),
    ClassSpec("B", 10.0, 5.0, 10.0, 10.0, 10.0, INF, t_max=30.0),
)
"""Classes AA..B of ASHRAE 2019 ch. 24 Table 2, strictest first (C and D are absolute)."""

CLASS_ORDER = ("AA", "As", "A", "B", "C", "D")


@dataclass(frozen=True)
class AshraeSettings:
    window_days: float = 30.0          # seasonal set point: centred moving average (our reading)
    seasonal_tolerance_rh: float = 2.0  # %RH allowed for "no change" (sensor accuracy)
    required_fraction: float = 0.95    # share of samples that must comply
    c_rh_low: float = 25.0             # class C RH band, %RH (ASHRAE 2019 Table 2)
    c_rh_high: float = 75.0
    c_t_max: float = 30.0              # class C: "rarely over 30 °C"
    d_rh_max: float = 75.0             # class D: "reliably below 75 %RH"


def class_compliance(times: ArrayLike, t_c: ArrayLike, rh: ArrayLike,
                     settings: AshraeSettings | None = None) -> dict[str, float]:
    """Share of samples (0..1) that comply with each class, keyed AA, As, A, B, C, D.

    times : (n,) datetime64 / aware datetime / float s; t_c : (n,) °C; rh : (n,) %RH
    """
    s = settings or AshraeSettings()
    ts = seconds(times)
    t = np.asarray(t_c, dtype=float)
    h = np.asarray(rh, dtype=float)
    w = s.window_days * DAY_S
    t_season, h_season = centred_mean(ts, t, w), centred_mean(ts, h, w)
    t_set, h_set = np.nanmean(t), np.nanmean(h)
    in_c = (h >= s.c_rh_low) & (h <= s.c_rh_high) & (t <= s.c_t_max)
    in_d = h < s.d_rh_max
    out: dict[str, float] = {}
    for c in CLASS_SPECS:
        ok = _within(h - h_season, c.short_rh, c.short_rh) & _within(t - t_season, c.short_t, c.short_t)
        ok &= _within(h_season - h_set, c.season_rh_up + s.seasonal_tolerance_rh,
                      c.season_rh_down + s.seasonal_tolerance_rh)
        ok &= _within(t_season - t_set, c.season_t_up, c.season_t_down) & (t <= c.t_max)
        out[c.name] = float((ok & in_c & in_d).mean())
    out["C"] = float((in_c & in_d).mean())
    out["D"] = float(in_d.mean())
    return out


def ashrae_class(times: ArrayLike, t_c: ArrayLike, rh: ArrayLike, settings: AshraeSettings | None = None) -> str:
    """The strictest class the record meets ("AA" ... "D"), or "" when it meets none."""
    s = settings or AshraeSettings()
    comp = class_compliance(times, t_c, rh, s)
    for name in CLASS_ORDER:
        if comp[name] >= s.required_fraction:
            return name
    return ""


def _within(dev: NDArray[np.float64], up: float, down: float) -> NDArray[np.bool_]:
    return (dev <= up) & (dev >= -down)
