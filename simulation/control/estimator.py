"""State and disturbance estimate for the reduced model, from what the sensors measure.

The lumped model's air states (hall T and RH, each case's RH) are measured; its hidden ones
(thermal mass, hygroscopic buffer) are driven by them, so the estimator runs the model one
step, replaces the air states by the measurements, and keeps the hidden ones. The part of
each measured change the model did not predict is read as an unmodelled source (heat W,
vapour g/s) and integrated with a small gain: the offset-free MPC "disturbance model"
(Pannocchia & Rawlings 2003, AIChE J. 49(2)), which absorbs the plant/model mismatch that
stays (a leakier envelope, a weaker dehumidifier, more visitors than forecast).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.control import hall_model as hm
from simulation.psychrometrics import vapour_density

GAIN = 0.15  # share of each step's unexplained change added to the disturbance (model choice: ~1 h memory at 10 min)
MAX_HEAT_W_M3 = 20.0  # |disturbance heat| bound, W per m³ of hall (a crowded room is ~5; guards bad data)
MAX_MOISTURE_G_H_M3 = 3.0  # |disturbance vapour| bound, g/h per m³ (a full dehumidifier in a small room ~2)


@dataclass(frozen=True)
class Estimate:
    """The model's state now and the disturbance: heat_w W, moisture_g_s g/s."""

    state: hm.HallState
    heat_w: float = 0.0
    moisture_g_s: float = 0.0


def update(hall: hm.LumpedHall, est: Estimate, forcing: hm.Forcing, devices, duty, dt_s: float, t_meas: float,
           rh_meas: float, case_rh: np.ndarray | None = None, substeps: int = 2) -> Estimate:
    """Advance ``est`` by one step under ``forcing`` (one step long, without the disturbance) and
    ``duty`` (n_devices,), then correct with the measured hall air ``t_meas`` °C, ``rh_meas`` %RH
    and case RH (n_cases,) %RH (NaN = not measured: the prediction stands)."""
    f = hm.Forcing(forcing.t_out, forcing.rh_out, forcing.people, forcing.lights,
                   forcing.heat_w + est.heat_w, forcing.moisture_g_s + est.moisture_g_s)
    traj = hm.simulate(hall, est.state, f, devices, np.asarray(duty, float).reshape(1, 1, -1), dt_s, substeps)
    x = traj.final
    t_pred, w_pred = float(x.t[0]), float(x.w[0])
    w_meas = float(vapour_density(t_meas, rh_meas))
    v = hall.volume_m3
    heat = est.heat_w + GAIN * (t_meas - t_pred) * hm.RHO_CP * v / dt_s * (1 + dt_s * hall.a_inf)
    moist = est.moisture_g_s + GAIN * (w_meas - w_pred) * v / dt_s * (1 + dt_s * hall.a_inf)
    # with an air handler holding the temperature, a heat error is its work, not a disturbance
    heat = 0.0 if hall.hvac_w > 0 else float(np.clip(heat, -MAX_HEAT_W_M3 * v, MAX_HEAT_W_M3 * v))
    moist = float(np.clip(moist, -MAX_MOISTURE_G_H_M3 * v / 3600, MAX_MOISTURE_G_H_M3 * v / 3600))
    w_case = x.w_case[0].copy()
    if case_rh is not None:
        c = np.asarray(case_rh, float)
        ok = np.isfinite(c)
        w_case[ok] = vapour_density(t_meas, c[ok])
    state = hm.HallState(np.array(t_meas), x.t_mass[0], np.array(w_meas), x.w_buffer[0], w_case)
    return Estimate(state, heat, moist)
