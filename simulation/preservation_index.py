"""Preservation Index (PI) and time-weighted PI: chemical decay rate of organic materials.

The Image Permanence Institute's Preservation Index (Reilly, Nishimura & Zinn
1995, *New Tools for Preservation*, Commission on Preservation and Access;
Sebera 1994, *Isoperms*) is the expected life, in years, of a chemically
unstable reference material (cellulose acetate film) held at constant T and RH.
We use its closed Arrhenius form as published by Padfield (2004), "The
Preservation Index and the Time Weighted Preservation Index",
conservationphysics.org/twpi/twpi_01.html:

    k  = RH[%] · A · exp(-Ea / (R · T[K]))      per year
    PI = 1 / k                                  years

with Ea = 90 300 J/mol and A = 5.9e12 per %RH per year (Padfield's fit to the
IPI acetate data; the rate is taken proportional to RH, Sebera's isoperm
assumption). Check value: PI(20 °C, 45 %) = 46.5 years, which is IPI's
"about 45 years" for 20 °C / 45 % RH within 4 %; the closed form departs from
IPI's tabulated values by up to about 10 % across 10-30 °C / 30-60 %RH.

The time-weighted PI (Reilly et al. 1995; Padfield 2004) is the life the
material would have if the whole record repeated forever: the time-weighted
harmonic mean of PI, ``TWPI = Σ dt / Σ (dt / PI)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.psychrometrics import KELVIN
from simulation.time_axis import hold_durations, seconds

PI_EA_J_PER_MOL = 90_300.0
"""Activation energy of acetate-film decay, J/mol (Padfield 2004 after Reilly et al. 1995)."""
PI_A_PER_RH_YEAR = 5.9e12
"""Pre-exponential factor, per %RH per year (Padfield 2004)."""
GAS_CONSTANT = 8.314
"""Molar gas constant, J/(mol K) (CODATA, as used by Padfield)."""


def preservation_index(t_c: ArrayLike, rh: ArrayLike, ea: float = PI_EA_J_PER_MOL,
                       a: float = PI_A_PER_RH_YEAR) -> NDArray[np.float64]:
    """Preservation Index, the expected life at constant conditions.

    t_c : (n,) float, °C; rh : (n,) float, %RH (> 0)  ->  (n,) float, years
    """
    t_k = np.asarray(t_c, dtype=float) + KELVIN
    rate = np.asarray(rh, dtype=float) * a * np.exp(-ea / (GAS_CONSTANT * t_k))
    with np.errstate(divide="ignore"):
        return 1.0 / rate


def time_weighted_preservation_index(times: ArrayLike, t_c: ArrayLike, rh: ArrayLike) -> float:
    """TWPI over a record: time-weighted harmonic mean of :func:`preservation_index`.

    times : (n,) datetime64 / aware datetime / float s; t_c : (n,) °C; rh : (n,) %RH
    ->  float, years. Samples with NaN are left out; NaN when nothing is left.
    """
    t_s = seconds(times)
    pi = preservation_index(t_c, rh)
    w = hold_durations(t_s)
    ok = np.isfinite(pi) & (pi > 0)
    if not ok.any() or w[ok].sum() <= 0:
        return float(np.nan) if not ok.any() else float(np.mean(pi[ok]))
    return float(w[ok].sum() / np.sum(w[ok] / pi[ok]))
