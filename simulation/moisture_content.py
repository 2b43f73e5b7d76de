"""Equilibrium moisture content (EMC) of wood, with its damage and corrosion bands.

EMC from the Hailwood-Horrobin sorption model with Simpson's (1973)
coefficients, in the Celsius form of the *Wood Handbook* (Forest Products
Laboratory 2010, FPL-GTR-190, eq. 4-5; Simpson 1973, Wood and Fiber 5(1):41-49):

    EMC = 1800/W · [ K h / (1 - K h) + (K1 K h + 2 K1 K2 K² h²) / (1 + K1 K h + K1 K2 K² h²) ]
    W  = 349 + 1.29 T + 0.0135 T²
    K  = 0.805 + 0.000736 T - 0.00000273 T²
    K1 = 6.27 - 0.00938 T - 0.000303 T²
    K2 = 1.91 + 0.0407 T - 0.000293 T²

h = RH/100, T in °C, EMC in % of dry mass. Check: Wood Handbook Table 4-2 gives
9.2 % at 70 °F (21.1 °C) and 50 %RH.

Bands are those of the Image Permanence Institute's eClimateNotebook / Dew
Point Calculator (dpcalc.org, "Mechanical damage" and "Metal corrosion"):
mechanical damage risk below 5 % (too dry, embrittlement and shrinkage
cracks) and above 12.5 % (too damp, swelling, softening); metal corrosion
good up to 7.0 %, OK up to 10.5 %, risk above 10.5 %.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EMC_DRY_RISK_BELOW = 5.0      # % EMC, IPI dpcalc mechanical damage, dry side
EMC_DAMP_RISK_ABOVE = 12.5    # % EMC, IPI dpcalc mechanical damage, damp side
EMC_CORROSION_GOOD_MAX = 7.0  # % EMC, IPI dpcalc metal corrosion "good"
EMC_CORROSION_OK_MAX = 10.5   # % EMC, IPI dpcalc metal corrosion "OK"; above is "risk"


def emc_wood(t_c: ArrayLike, rh: ArrayLike) -> NDArray[np.float64]:
    """Equilibrium moisture content of wood (Simpson 1973 / Wood Handbook eq. 4-5).

    t_c : (n,) float, °C; rh : (n,) float, %RH  ->  (n,) float, % of dry mass
    """
    t = np.asarray(t_c, dtype=float)
    h = np.asarray(rh, dtype=float) / 100.0
    w = 349.0 + 1.29 * t + 0.0135 * t**2
    k = 0.805 + 0.000736 * t - 0.00000273 * t**2
    k1 = 6.27 - 0.00938 * t - 0.000303 * t**2
    k2 = 1.91 + 0.0407 * t - 0.000293 * t**2
    kh = k * h
    return 1800.0 / w * (kh / (1.0 - kh) + (k1 * kh + 2.0 * k1 * k2 * kh**2) / (1.0 + k1 * kh + k1 * k2 * kh**2))


def mechanical_damage_band(emc: ArrayLike) -> NDArray[np.int8]:
    """-1 too dry (EMC < 5 %), 0 OK, +1 too damp (EMC > 12.5 %).

    emc : (n,) float, %  ->  (n,) int8
    """
    e = np.asarray(emc, dtype=float)
    return np.where(e < EMC_DRY_RISK_BELOW, -1, np.where(e > EMC_DAMP_RISK_ABOVE, 1, 0)).astype(np.int8)


def corrosion_band(emc: ArrayLike) -> NDArray[np.int8]:
    """0 good (EMC ≤ 7.0 %), 1 OK (≤ 10.5 %), 2 risk (> 10.5 %).

    emc : (n,) float, %  ->  (n,) int8
    """
    e = np.asarray(emc, dtype=float)
    return np.where(e <= EMC_CORROSION_GOOD_MAX, 0, np.where(e <= EMC_CORROSION_OK_MAX, 1, 2)).astype(np.int8)
