"""Dew point and condensation risk on cold surfaces (showcase glass, outer walls, metal).

Uses the Magnus form of :mod:`simulation.psychrometrics` (Alduchov & Eskridge
1996); constants are not redefined here. Air of a given vapour pressure meets
a surface at ``t_surface``; the RH right at that surface is the air's vapour
pressure over the saturation pressure at the surface temperature.

Risk bands: surface RH ≥ 80 % is the design limit for mould on surfaces in
ISO 13788:2012 §4.2 (critical surface humidity); surface RH ≥ 100 % (surface at
or below the dew point) means condensation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.psychrometrics import dew_point, saturation_vapour_pressure, vapour_pressure

SURFACE_RH_MOULD = 80.0         # %RH, ISO 13788:2012 critical surface humidity
SURFACE_RH_CONDENSATION = 100.0  # %RH, saturation at the surface


def surface_relative_humidity(t_air_c: ArrayLike, rh_air: ArrayLike, t_surface_c: ArrayLike) -> NDArray[np.float64]:
    """RH of the air layer touching a surface (not clipped: > 100 means condensing).

    t_air_c : (n,) °C; rh_air : (n,) %RH; t_surface_c : (n,) °C  ->  (n,) %RH
    """
    return 100.0 * vapour_pressure(t_air_c, rh_air) / saturation_vapour_pressure(t_surface_c)


def condensation_margin(t_air_c: ArrayLike, rh_air: ArrayLike, t_surface_c: ArrayLike) -> NDArray[np.float64]:
    """Surface temperature minus the air's dew point; ≤ 0 means condensation.

    t_air_c : (n,) °C; rh_air : (n,) %RH; t_surface_c : (n,) °C  ->  (n,) K
    """
    return np.asarray(t_surface_c, dtype=float) - dew_point(t_air_c, rh_air)


def condensation_risk(t_air_c: ArrayLike, rh_air: ArrayLike, t_surface_c: ArrayLike) -> NDArray[np.int8]:
    """0 none, 1 surface RH ≥ 80 % (mould-critical), 2 surface RH ≥ 100 % (condensation).

    t_air_c : (n,) °C; rh_air : (n,) %RH; t_surface_c : (n,) °C  ->  (n,) int8
    """
    s = surface_relative_humidity(t_air_c, rh_air, t_surface_c)
    return np.where(s >= SURFACE_RH_CONDENSATION, 2, np.where(s >= SURFACE_RH_MOULD, 1, 0)).astype(np.int8)
