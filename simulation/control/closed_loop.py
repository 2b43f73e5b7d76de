"""A controller driving a simulated hall over a record of outdoor weather (benchmark, tests, demo).

Each control step: the plant runs one step with the devices' states; the controller reads the
hall sensor, the case air and the relics, forecasts the weather (diurnal persistence, no weather
service) and the visitors (the opening schedule), and decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.control import hall_model as hm
from simulation.control.controller import Context, Humidistat, Observation, Step, TwinController
from simulation.control.mpc import persistence_forecast
from simulation.control.plant import Plant


@dataclass(frozen=True)
class Weather:
    """Outdoor record on the control grid: t_out °C, rh_out %RH (m,); people_plan (forecast) and
    people (what came), lights (0/1), each (m,). Index ``start`` is the first controlled step;
    the steps before it are history for the forecast."""

    t_out: NDArray[np.float64]
    rh_out: NDArray[np.float64]
    people_plan: NDArray[np.float64]
    people: NDArray[np.float64]
    lights: NDArray[np.float64]
    start: int


@dataclass(frozen=True)
class Record:
    """times_s (n,), relic_rh (n, n_relics) %RH, hall_rh (n,) %RH, on (n, n_devices) bool,
    decision_s (n,) s per decision, sources (n,) who decided."""

    times_s: NDArray[np.float64]
    relic_rh: NDArray[np.float64]
    hall_rh: NDArray[np.float64]
    on: NDArray[np.bool_]
    decision_s: NDArray[np.float64]
    sources: tuple[str, ...]


def forecast(weather: Weather, k: int, horizon: int, steps_per_day: int) -> hm.Forcing:
    """The forecast made at step ``k`` for the next ``horizon`` steps (persistence weather,
    planned visitors and lights)."""
    lo = max(0, k + 1 - 2 * steps_per_day)
    t = persistence_forecast(weather.t_out[lo:k + 1], steps_per_day, horizon)
    rh = np.clip(persistence_forecast(weather.rh_out[lo:k + 1], steps_per_day, horizon), 1.0, 100.0)
    idx = np.minimum(np.arange(k + 1, k + 1 + horizon), len(weather.t_out) - 1)
    z = np.zeros(horizon)
    return hm.Forcing(t, rh, weather.people_plan[idx], weather.lights[idx], z, z.copy())


def run(plant: Plant, controller: TwinController | Humidistat, weather: Weather, sensor_xy, *,
        step_s: float = 600.0, steps: int | None = None, horizon: int = 72,
        context: Callable[[int], Context] | None = None) -> Record:
    """Drive ``plant`` with ``controller`` from ``weather.start`` for ``steps`` control steps."""
    spd = int(round(86400 / step_s))
    n = steps if steps is not None else len(weather.t_out) - weather.start
    on = tuple(False for _ in plant.devices)
    times, relic, hall, ons, secs, srcs = [], [], [], [], [], []
    for i in range(n):
        k = weather.start + i
        plant.advance(step_s, on, t_out_c=float(weather.t_out[k]), rh_out=float(weather.rh_out[k]),
                      people=float(weather.people[k]), lights_on=bool(weather.lights[k]))
        _, prh, _, _ = plant.observe()
        t_air, rh_air = plant.air_at(sensor_xy)
        case_rh = _case_rh(plant, prh)
        obs = Observation(t_air, rh_air, case_rh, prh, float(weather.t_out[k]), float(weather.rh_out[k]),
                          float(weather.people[k]), float(weather.lights[k]))
        ctx = context(i) if context is not None else None
        step: Step = controller.decide(i * step_s, obs, forecast(weather, k, horizon, spd), ctx)
        on = step.on
        times.append(i * step_s)
        relic.append(prh)
        hall.append(rh_air)
        ons.append(on)
        secs.append(step.seconds)
        srcs.append(step.source)
    return Record(np.array(times), np.array(relic), np.array(hall), np.array(ons, bool), np.array(secs), tuple(srcs))


def _case_rh(plant: Plant, relic_rh: NDArray) -> NDArray[np.float64]:
    """(n_cases,) %RH: each case's air as read by the relic sensor inside it (NaN if none)."""
    geo = plant.model.geometry
    out = np.full(len(geo.cases), np.nan)
    ids = [c.id for c in geo.cases]
    for i, p in enumerate(geo.probes):
        if p.case in ids:
            out[ids.index(p.case)] = relic_rh[i]
    return out


def switches(on: NDArray) -> int:
    """Number of on/off changes in a record of device states (n, n_devices)."""
    a = np.asarray(on, bool)
    return int(np.sum(a[1:] != a[:-1]) + np.sum(a[0]))
