"""The hall as the machines see it: the 2-D climate model driven by on/off devices.

Used as the "plant" by ``benchmarks/control.py`` (with parameters deliberately different from
the controller's) and by the demo's virtual hall, so that commands change the readings.
Each moisture device is a local source of the climate model (a :class:`simulation.climate.Dehumidifier`
at its position, always at full capacity while on; a humidifier is one of negative capacity,
whose evaporation cools the air); electric power enters as a hall-wide heat gain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from simulation import climate
from simulation.control.devices import Device

ALWAYS = -1e9  # humidistat set point that keeps a climate-model dehumidifier at full capacity


def settings_with_devices(settings: climate.ClimateSettings, devices: Sequence[Device],
                          positions: Mapping[str, Sequence[float]]) -> climate.ClimateSettings:
    """``settings`` with each moisture device as a climate-model source at ``positions[id]`` (x, y) m."""
    extra = tuple(
        climate.Dehumidifier(
            id=d.id, position=np.asarray(positions[d.id], float)[:2],
            capacity_l_per_day=(1.0 if d.kind == "dehumidifier" else -1.0) * d.capacity_g_h * 24.0 / 1000.0,
            setpoint_rh=ALWAYS,
        )
        for d in devices if d.kind in ("dehumidifier", "humidifier")
    )
    return replace(settings, dehumidifiers=(*settings.dehumidifiers, *extra))


def forcing(devices: Sequence[Device], on: Sequence[bool], *, t_out_c: float, rh_out: float,
            people: float = 0.0, lights_on: bool = False, hvac_on: bool = False) -> climate.Forcing:
    """The climate model's forcing with the devices ``on`` (heaters and electric power as heat)."""
    off = frozenset(d.id for d, o in zip(devices, on, strict=True) if not o and d.kind in ("dehumidifier", "humidifier"))
    heat = sum(d.power_w for d, o in zip(devices, on, strict=True) if o)
    return climate.Forcing(t_out_c=t_out_c, rh_out=rh_out, hvac_on=hvac_on, people=((None, people),) if people else (),
                           lights_on=lights_on, dehumidifiers_off=off, heat_w=float(heat))


@dataclass
class Plant:
    """A running 2-D hall: ``model`` and ``state`` of :mod:`simulation.climate`."""

    model: climate.HallModel
    state: climate.ClimateState
    devices: tuple[Device, ...]

    def advance(self, seconds: float, on: Sequence[bool], *, t_out_c: float, rh_out: float, people: float = 0.0,
                lights_on: bool = False) -> None:
        """Run ``seconds`` (a multiple of the model step) with the devices ``on``."""
        f = forcing(self.devices, on, t_out_c=t_out_c, rh_out=rh_out, people=people, lights_on=lights_on,
                    hvac_on=self.model.settings.hvac_supply_m3_h > 0)
        for _ in range(max(1, int(round(seconds / self.model.dt_s)))):
            self.state = climate.step(self.model, self.state, f)

    def observe(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """(relic T, relic RH, zone T, zone RH), as :func:`simulation.climate.observe`."""
        return climate.observe(self.model, self.state)

    def air_at(self, xy: Sequence[float]) -> tuple[float, float]:
        """(T °C, RH %RH) of the air cell at ``xy`` (2,) m (where a hall sensor hangs)."""
        from simulation.psychrometrics import rh_from_vapour_density

        i = self.model.grid.cell_at(np.asarray(xy, float))
        t, w = float(self.state.t[i]), float(self.state.w[i])
        return t, float(rh_from_vapour_density(t, w))


def make_plant(geometry: climate.HallGeometry, settings: climate.ClimateSettings, devices: Sequence[Device],
               positions: Mapping[str, Sequence[float]], t_c: float, rh: float, *, cell_m: float = 1.0,
               dt_s: float = 120.0) -> Plant:
    """Build a plant at uniform ``t_c`` °C / ``rh`` %RH (no HVAC unless ``settings`` has one)."""
    s = settings_with_devices(settings, devices, positions)
    model = climate.build_model(geometry, s, cell_m=cell_m, dt_s=dt_s)
    return Plant(model, climate.initial_state(model, t_c, rh), tuple(devices))
