"""State and disturbance estimate for the reduced model, from what the sensors measure.

The lumped model's air states (hall T and RH, each case's RH) are measured; its hidden ones
(thermal mass, hygroscopic buffer) are driven by them, so the estimator runs the model one
step, replaces the air states by the measurements, and keeps the hidden ones. The part of
each measured change the model did not predict is read as an unmodelled source (heat W,
vapour g/s) and integrated with a small gain: the offset-free MPC "disturbance model"
(Pannocchia & Rawlings 2003, AIChE J. 49(2)), which absorbs the plant/model mismatch that
stays (a leakier envelope, more visitors than forecast). While a moisture device runs, most of
the unexplained vapour is read as that device doing more or less than its rating (its
*effectiveness*, 0.3-1.3): a constant source cannot stand for a weak dehumidifier, which errs
only while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.control import hall_model as hm
from simulation.psychrometrics import vapour_density

GAIN = 0.15  # share of each step's unexplained change added to the disturbance (model choice: ~1 h memory at 10 min)
MAX_HEAT_W_M3 = 20.0  # |disturbance heat| bound, W per m³ of hall (a crowded room is ~5; guards bad data)
MAX_MOISTURE_G_H_M3 = 3.0  # |disturbance vapour| bound, g/h per m³ (a full dehumidifier in a small room ~2)
EFFECT_SHARE = 0.7  # share of a step's unexplained vapour put on the devices that ran (model choice)
EFFECT_RANGE = (0.3, 1.3)  # effectiveness bounds: a clogged filter to an under-rated unit


@dataclass(frozen=True)
class Estimate:
    """The model's state now and the disturbance: heat_w W, moisture_g_s g/s."""

    state: hm.HallState
    heat_w: float = 0.0
    moisture_g_s: float = 0.0
    effect: tuple[float, ...] = ()  # per device, what it does against its rating (empty: all 1)

    def devices(self, devices):
        """``devices`` with their capacities scaled by the estimated effectiveness."""
        from dataclasses import replace

        e = self.effect or (1.0,) * len(devices)
        return [replace(d, capacity_g_h=d.capacity_g_h * k) for d, k in zip(devices, e, strict=True)]


def update(hall: hm.LumpedHall, est: Estimate, forcing: hm.Forcing, devices, duty, dt_s: float, t_meas: float,
           rh_meas: float, case_rh: np.ndarray | None = None, substeps: int = 2) -> Estimate:
    """Advance ``est`` by one step under ``forcing`` (one step long, without the disturbance) and
    ``duty`` (n_devices,), then correct with the measured hall air ``t_meas`` °C, ``rh_meas`` %RH
    and case RH (n_cases,) %RH (NaN = not measured: the prediction stands)."""
    f = hm.Forcing(forcing.t_out, forcing.rh_out, forcing.people, forcing.lights,
                   forcing.heat_w + est.heat_w, forcing.moisture_g_s + est.moisture_g_s)
    u = np.asarray(duty, float).reshape(-1)
    traj = hm.simulate(hall, est.state, f, est.devices(devices), u.reshape(1, 1, -1), dt_s, substeps)
    x = traj.final
    t_pred, w_pred = float(x.t[0]), float(x.w[0])
    w_meas = float(vapour_density(t_meas, rh_meas))
    v = hall.volume_m3
    heat = est.heat_w + GAIN * (t_meas - t_pred) * hm.RHO_CP * v / dt_s * (1 + dt_s * hall.a_inf)
    unexplained = (w_meas - w_pred) * v / dt_s * (1 + dt_s * (hall.a_inf + hall.a_buffer))  # g/s
    effect = list(est.effect or (1.0,) * len(devices))
    running = [i for i, d in enumerate(devices) if u[i] > 0 and d.moisture_g_s != 0]
    share = EFFECT_SHARE if running else 0.0
    for i in running:
        d = devices[i]
        effect[i] = float(np.clip(effect[i] + GAIN * share * unexplained / (len(running) * d.moisture_g_s * u[i]),
                                  *EFFECT_RANGE))
    moist = est.moisture_g_s + GAIN * (1.0 - share) * unexplained
    # with an air handler holding the temperature, a heat error is its work, not a disturbance
    heat = 0.0 if hall.hvac_w > 0 else float(np.clip(heat, -MAX_HEAT_W_M3 * v, MAX_HEAT_W_M3 * v))
    moist = float(np.clip(moist, -MAX_MOISTURE_G_H_M3 * v / 3600, MAX_MOISTURE_G_H_M3 * v / 3600))
    w_case = x.w_case[0].copy()
    if case_rh is not None:
        c = np.asarray(case_rh, float)
        ok = np.isfinite(c)
        w_case[ok] = vapour_density(t_meas, c[ok])
    state = hm.HallState(np.array(t_meas), x.t_mass[0], np.array(w_meas), x.w_buffer[0], w_case)
    return Estimate(state, heat, moist, tuple(effect))
