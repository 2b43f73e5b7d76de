"""Moist-air relations: saturation pressure, vapour content, RH and dew point.

Plain functions over numpy arrays (or scalars); temperatures in °C,
relative humidity in %RH, pressures in Pa, vapour density in g/m³.

Saturation vapour pressure over water uses the Magnus form with the
constants of Alduchov & Eskridge (1996), "Improved Magnus form
approximation of saturation vapor pressure", J. Appl. Meteor. 35, 601-609:
``es = 610.94 Pa * exp(17.625 T / (T + 243.04))``, accurate to 0.4 % over
-40..50 °C. The same constants serve the dew-point inversion, so that
``dew_point(t, 100) == t`` exactly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Magnus constants, Alduchov & Eskridge (1996), over liquid water.
MAGNUS_A_PA = 610.94
MAGNUS_B = 17.625
MAGNUS_C_C = 243.04

# Specific gas constant of water vapour, J/(kg K) (CODATA R / M_w).
R_VAPOUR = 461.5
KELVIN = 273.15


def saturation_vapour_pressure(t_c: ArrayLike) -> NDArray[np.float64]:
    """Saturation vapour pressure over water.

    t_c : (n,) float, °C  ->  (n,) float, Pa
    """
    t = np.asarray(t_c, dtype=float)
    return MAGNUS_A_PA * np.exp(MAGNUS_B * t / (t + MAGNUS_C_C))


def vapour_pressure(t_c: ArrayLike, rh: ArrayLike) -> NDArray[np.float64]:
    """Partial pressure of water vapour.

    t_c : (n,) float, °C; rh : (n,) float, %RH  ->  (n,) float, Pa
    """
    return saturation_vapour_pressure(t_c) * np.asarray(rh, dtype=float) / 100.0


def relative_humidity(t_c: ArrayLike, vapour_pressure_pa: ArrayLike) -> NDArray[np.float64]:
    """Relative humidity from temperature and vapour pressure (not clipped).

    t_c : (n,) float, °C; vapour_pressure_pa : (n,) float, Pa  ->  (n,) float, %RH
    """
    return 100.0 * np.asarray(vapour_pressure_pa, dtype=float) / saturation_vapour_pressure(t_c)


def vapour_density(t_c: ArrayLike, rh: ArrayLike) -> NDArray[np.float64]:
    """Absolute humidity (mass of vapour per volume of air), ideal gas.

    t_c : (n,) float, °C; rh : (n,) float, %RH  ->  (n,) float, g/m³
    """
    t_k = np.asarray(t_c, dtype=float) + KELVIN
    return 1000.0 * vapour_pressure(t_c, rh) / (R_VAPOUR * t_k)


def rh_from_vapour_density(t_c: ArrayLike, rho_v: ArrayLike) -> NDArray[np.float64]:
    """Relative humidity from absolute humidity; inverse of :func:`vapour_density`.

    t_c : (n,) float, °C; rho_v : (n,) float, g/m³  ->  (n,) float, %RH
    """
    t_k = np.asarray(t_c, dtype=float) + KELVIN
    e = np.asarray(rho_v, dtype=float) / 1000.0 * R_VAPOUR * t_k
    return relative_humidity(t_c, e)


def dew_point(t_c: ArrayLike, rh: ArrayLike) -> NDArray[np.float64]:
    """Dew-point temperature by inverting the Magnus form.

    t_c : (n,) float, °C; rh : (n,) float, %RH (> 0)  ->  (n,) float, °C
    """
    t = np.asarray(t_c, dtype=float)
    gamma = np.log(np.asarray(rh, dtype=float) / 100.0) + MAGNUS_B * t / (MAGNUS_C_C + t)
    return MAGNUS_C_C * gamma / (MAGNUS_B - gamma)
