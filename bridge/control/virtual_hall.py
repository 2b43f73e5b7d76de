"""The demo's virtual hall: the scene's 2-D climate model (the "plant", :mod:`simulation.control.plant`)
under outdoor weather, with the hall's machines as virtual smart plugs on the broker.

What the plugs really do (``VirtualPlug.on``: switched by the twin's commands, a person's click
on a recommendation, an override) drives the plant, and the virtual fleet reads each sensor's
temperature and RH from the plant (:meth:`VirtualHall.air`), so a command changes the readings:
``make demo`` shows a dehumidifier recommended as RH climbs, and the RH bending back once it runs.
"""

from __future__ import annotations

import threading
from datetime import datetime

import numpy as np

from bridge.control import hall as control_hall
from bridge.control.virtual_plugs import VirtualPlug
from bridge.control.weather import Outdoor
from simulation.control.plant import Plant, make_plant
from simulation.psychrometrics import rh_from_vapour_density
from simulation.scene import Scene, Sensor

START_T_C = 20.0  # °C, the hall at the start
START_RH = 57.0  # %RH: just inside the demo's bands, so the damp weather soon calls for the dehumidifier


class VirtualHall:
    """The plant of ``scene`` and its plugs on the broker at ``host``:``port``; ``weather`` outside.

    The plant runs on the clock the fleet asks at (the replay clock): :meth:`air` first advances it,
    in whole model steps, to the instant asked, with the plugs' states of that moment.
    """

    def __init__(self, scene: Scene, host: str, port: int, weather: Outdoor, *, t_c: float = START_T_C,
                 rh: float = START_RH):
        self.scene, self.weather = scene, weather
        switches = [a for a in scene.actuators if a.switch]
        self.devices = control_hall.devices(scene)
        relics = control_hall.served_relics(scene)
        self.plant: Plant = make_plant(control_hall.geometry(scene, relics), control_hall.settings(scene), self.devices,
                                       {a.id: a.position[:2] for a in switches}, t_c, rh, cell_m=1.0)
        self.plugs = {a.id: VirtualPlug(a.convention, a.topic, host, port, power_w=a.power_w or 0.0,
                                        client_id=f"virtual-plug-{scene.id}-{a.id}") for a in switches}
        self._case = {c.id: j for j, c in enumerate(self.plant.model.geometry.cases)}
        self._t: float | None = None
        self._lock = threading.Lock()

    def advance_to(self, t_s: float) -> None:
        """Run the plant up to ``t_s`` (s since the epoch) with the machines as the plugs have them."""
        with self._lock:
            if self._t is None:
                self._t = t_s
            dt = self.plant.model.dt_s
            on = [self.plugs[d.id].on for d in self.devices]
            while self._t + dt <= t_s:
                t_out, rh_out = self.weather.now(self._t)
                self.plant.advance(dt, on, t_out_c=t_out, rh_out=rh_out)
                self._t += dt

    def air(self, sensor: Sensor, when: datetime) -> tuple[float, float]:
        """(T °C, RH %RH) where ``sensor`` hangs at ``when``: its cell of the hall's air, or its case's air."""
        self.advance_to(when.timestamp())
        with self._lock:
            if sensor.case is not None and sensor.case in self._case:
                j = self._case[sensor.case]
                t = float(self.plant.state.t[self.plant.model.cells["cases"][j]])
                return t, float(rh_from_vapour_density(t, self.plant.state.w_case[j]))
            return self.plant.air_at(np.asarray(sensor.position[:2], float))

    def outdoor(self, when: datetime) -> tuple[float, float]:
        """(t_out °C, rh_out %RH) at ``when``: what a weather service would tell the controller."""
        return self.weather.now(when.timestamp())

    def close(self) -> None:
        for plug in self.plugs.values():
            plug.close()
