"""What a moisture or heat actuator does to the air it serves, as the models see it.

A device is either on or off (smart plugs); its effect while on is a moisture source
(g/s, + adds vapour) and a sensible heat source (W) into the space it serves:

* dehumidifier (compressor): removes ``capacity_g_h``; all its electric power and the latent
  heat of the water it condenses end up as sensible heat in the room (energy balance of a
  closed-cycle appliance);
* humidifier (evaporative or ultrasonic): adds ``capacity_g_h``; the water evaporates in the
  room air, taking its latent heat from it (adiabatic), plus its small electric power;
* heater: ``power_w`` of sensible heat, no moisture.

Capacities are *effective* ones at museum conditions, not the nameplate rating: a portable
dehumidifier's rating is at 30 °C / 80 %RH; at 18.3 °C / 60 %RH (the US DOE test point,
10 CFR 430 Subpart B App. X1) it removes about 40 % of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

H_FG = 2.45e6  # J/kg, latent heat of vaporisation near 20 °C (ASHRAE Handbook Fundamentals 2017, ch. 1)

MOISTURE_KINDS = ("dehumidifier", "humidifier")
HEAT_KINDS = ("heater",)

# Defaults by kind: effective capacity g/h and electric power W.
# Dehumidifier: 12 L/day at the DOE test point with an integrated energy factor of 1.57 L/kWh
# (ENERGY STAR Dehumidifiers v5.0 criterion for 25-35 pint/day units) -> 500 g/h, 320 W.
# Humidifier: a small evaporative unit, 0.3 L/h at about 30 W (typical appliance data).
# Heater: a 1.5 kW convector.
DEFAULTS: dict[str, tuple[float, float]] = {
    "dehumidifier": (500.0, 320.0),
    "humidifier": (300.0, 30.0),
    "heater": (0.0, 1500.0),
}


@dataclass(frozen=True)
class Device:
    """An on/off actuator as the models see it.

    kind : "dehumidifier" | "humidifier" | "heater"; space : the zone or case id it serves
    ("" = the whole hall); capacity_g_h : effective moisture capacity, g/h (0 for heaters);
    power_w : electric power while on, W.
    """

    id: str
    kind: str
    space: str = ""
    capacity_g_h: float = 0.0
    power_w: float = 0.0

    @property
    def moisture_g_s(self) -> float:
        """Vapour into the air while on, g/s (negative: removed)."""
        sign = {"dehumidifier": -1.0, "humidifier": 1.0}.get(self.kind, 0.0)
        return sign * self.capacity_g_h / 3600.0

    @property
    def heat_w(self) -> float:
        """Sensible heat into the air while on, W (see the module docstring)."""
        return self.power_w - self.moisture_g_s * 1e-3 * H_FG


def device(id: str, kind: str, space: str = "", capacity_g_h: float | None = None,
           power_w: float | None = None) -> Device:
    """A :class:`Device` with the kind's defaults for whatever is not given."""
    if kind not in DEFAULTS:
        raise ValueError(f"unknown device kind {kind!r}; known: {', '.join(DEFAULTS)}")
    cap, pw = DEFAULTS[kind]
    return Device(id, kind, space, cap if capacity_g_h is None else float(capacity_g_h),
                  pw if power_w is None else float(power_w))


def effects(devices: Sequence[Device], on: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Moisture (g/s) and heat (W) of the devices at duty ``on``.

    on : (..., n_devices) float in [0, 1] (1 = on)  ->  (moisture (...,), heat (...,))
    """
    u = np.asarray(on, dtype=float)
    m = np.array([d.moisture_g_s for d in devices])
    h = np.array([d.heat_w for d in devices])
    return u @ m, u @ h


def energy_kwh(devices: Sequence[Device], on: NDArray, dt_s: float) -> float:
    """Electric energy of a record of device states.

    on : (n, n_devices) float in [0, 1]; dt_s : s per row  ->  kWh
    """
    p = np.array([d.power_w for d in devices])
    return float(np.sum(np.asarray(on, float) @ p) * dt_s / 3.6e6)
