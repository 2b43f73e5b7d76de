"""The controller's reduced hall model: the climate model's equations on one well-mixed cell.

:mod:`simulation.climate` solves temperature and vapour density on a 2-D grid with FiPy
(about 1 ms a step on a small hall). A planner that tries dozens of actuator plans over 12 h
needs thousands of steps per decision, so the controller uses the same physics *lumped*: the
hall's air is one well-mixed volume (eddy diffusion dropped, every zone sees the hall mean),
with the same infiltration, envelope, ground, thermal-mass and hygroscopic-buffer terms, the
same display-case exchange, and the same implicit-air / conservative-splitting step as
:func:`simulation.climate.step`. It runs in numpy over a batch of plans at once.

What that costs in accuracy is measured, not assumed: ``benchmarks/control.py`` runs the
reduced model open-loop beside the 2-D model over two weeks of real weather and prints the
RMSE of relic RH (the test suite holds it under 1.5 %RH on a short run). Local effects (a
dehumidifier drying its own corner first) are what is lost; the controller's disturbance
estimate (:mod:`simulation.control.mpc`) absorbs the slow part of that error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import climate
from simulation.control.devices import Device
from simulation.psychrometrics import rh_from_vapour_density, vapour_density
from simulation.scene import polygon_area

RHO_CP = climate.RHO_CP  # J/(m³ K), one table: simulation.climate


@dataclass(frozen=True)
class LumpedHall:
    """Rates of the lumped hall (all 1/s unless stated), made by :func:`lumped`.

    volume_m3 : hall air volume; a_inf, a_env, a_ground : air exchange, walls+roof, floor;
    a_mass : air to thermal mass; mass_gain : (-) the mass's share per unit of a_mass;
    a_buffer : air to hygroscopic buffer; xi_100 : buffer content at 100 %RH, g/m³ of air;
    t_ground : °C; heat_const_w, heat_lights_w : W; moisture_const_g_s : g/s;
    case_exchange : (n_cases,) 1/s; relic_case : (n_relics,) int, case index or -1 (open hall);
    hvac_w : sensible capacity of the air handler, W (0: none), holding the hall at t_set °C (an
    ideal thermostat within its capacity: the climate model's PI loop, lumped).
    """

    volume_m3: float
    a_inf: float
    a_env: float
    a_ground: float
    a_mass: float
    mass_gain: float
    a_buffer: float
    xi_100: float
    t_ground: float
    heat_const_w: float
    heat_lights_w: float
    moisture_const_g_s: float
    case_exchange: NDArray[np.float64]
    relic_case: NDArray[np.intp]
    hvac_w: float = 0.0
    t_set: float = 20.0


def lumped(geometry: climate.HallGeometry, settings: climate.ClimateSettings) -> LumpedHall:
    """The one-cell form of the climate model of ``geometry`` with ``settings``.

    Relics are the geometry's probes; a probe in a display case reads the case air.
    """
    s = settings
    area = abs(polygon_area(np.asarray(geometry.floor, float)))
    floor = np.asarray(geometry.floor, float)
    perimeter = float(np.sum(np.linalg.norm(np.roll(floor, -1, axis=0) - floor, axis=1)))
    if np.allclose(floor[0], floor[-1]):
        area = abs(polygon_area(floor[:-1]))
    h = geometry.height
    vol = area * h
    env = s.envelope_factor
    case_ids = [c.id for c in geometry.cases]
    return LumpedHall(
        volume_m3=vol,
        a_inf=s.infiltration_ach / 3600.0,
        a_env=env * (s.wall_u_w_m2k * h * perimeter + s.roof_u_w_m2k * area) / (RHO_CP * vol),
        a_ground=env * s.floor_u_w_m2k * area / (RHO_CP * vol),
        a_mass=(s.mass_coupling_w_m2k if s.internal_mass_j_m2k > 0 else 0.0) / (RHO_CP * h),
        mass_gain=RHO_CP * h / s.internal_mass_j_m2k if s.internal_mass_j_m2k > 0 else 0.0,
        a_buffer=(s.buffer_coupling_m_s if s.buffer_capacity_g_m2_rh > 0 else 0.0) / h,
        xi_100=100.0 * s.buffer_capacity_g_m2_rh / h,
        t_ground=s.ground_c,
        heat_const_w=s.internal_gain_w_m2 * area,
        heat_lights_w=(s.internal_gain_w_m2 + s.lighting_w_m2) * area,
        moisture_const_g_s=s.moisture_gain_g_h_m2 * area / 3600.0,
        case_exchange=np.array([c.air_exchange_per_day / 86400.0 for c in geometry.cases]),
        relic_case=np.array([case_ids.index(p.case) if p.case in case_ids else -1 for p in geometry.probes],
                            dtype=np.intp),
        hvac_w=s.hvac_factor * s.hvac_sensible_kw * 1e3 if s.hvac_supply_m3_h > 0 else 0.0,
        t_set=s.hvac_setpoint_c,
    )


@dataclass(frozen=True)
class HallState:
    """State of the lumped hall, each with a leading batch shape (b,) (or scalars):
    air t °C, thermal mass t_mass °C, air vapour w g/m³, buffer w_buffer g/m³ of air,
    case vapour w_case (b, n_cases) g/m³."""

    t: NDArray[np.float64]
    t_mass: NDArray[np.float64]
    w: NDArray[np.float64]
    w_buffer: NDArray[np.float64]
    w_case: NDArray[np.float64]


def equilibrium_state(hall: LumpedHall, t_c: float, rh: float, case_rh: Sequence[float] | None = None) -> HallState:
    """Air at ``t_c`` °C / ``rh`` %RH, mass and buffer in equilibrium, cases at ``case_rh`` (or ``rh``)."""
    w = float(vapour_density(t_c, rh))
    cr = np.full(len(hall.case_exchange), rh) if case_rh is None else np.asarray(case_rh, float)
    return HallState(t=np.array(t_c, float), t_mass=np.array(t_c, float), w=np.array(w),
                     w_buffer=np.array(hall.xi_100 * rh / 100.0), w_case=vapour_density(t_c, cr))


@dataclass(frozen=True)
class Forcing:
    """What drives the hall over n steps (each (n,)): outdoor t_out °C and rh_out %RH, people
    (count), lights (0/1), extra heat_w W and moisture_g_s g/s (measured gains or the
    controller's disturbance estimate)."""

    t_out: NDArray[np.float64]
    rh_out: NDArray[np.float64]
    people: NDArray[np.float64]
    lights: NDArray[np.float64]
    heat_w: NDArray[np.float64]
    moisture_g_s: NDArray[np.float64]

    @staticmethod
    def constant(n: int, t_out: float, rh_out: float, people: float = 0.0, lights: float = 0.0) -> Forcing:
        one = np.ones(n)
        return Forcing(t_out * one, rh_out * one, people * one, lights * one, 0.0 * one, 0.0 * one)


@dataclass(frozen=True)
class Trajectory:
    """Predicted series over n steps for b plans: t (b, n) °C, rh (b, n) %RH of the hall air,
    relic_rh (b, n, n_relics) %RH, final : the state after the last step; hvac_w (b, n) the air
    handler's mean sensible power over each step, W (+ heating, - cooling)."""

    t: NDArray[np.float64]
    rh: NDArray[np.float64]
    relic_rh: NDArray[np.float64]
    final: HallState
    hvac_w: NDArray[np.float64] | None = None


def step(hall: LumpedHall, x: HallState, t_out: float, w_out: float, heat_w: NDArray, moisture_g_s: NDArray,
         dt_s: float) -> HallState:
    """One step of ``dt_s`` s; heat_w W and moisture_g_s g/s (b,) into the air. As climate.step, one cell."""
    return step_hvac(hall, x, t_out, w_out, heat_w, moisture_g_s, dt_s)[0]


def step_hvac(hall: LumpedHall, x: HallState, t_out: float, w_out: float, heat_w: NDArray, moisture_g_s: NDArray,
              dt_s: float, t_set: NDArray | float | None = None) -> tuple[HallState, NDArray[np.float64]]:
    """:func:`step` and the air handler's sensible power over it, W (b,) (+ heating, - cooling);
    t_set : its set point, °C (b,) or scalar (None: ``hall.t_set``)."""
    v = hall.volume_m3
    q = np.zeros(np.shape(x.t))
    a_t = hall.a_inf + hall.a_env + hall.a_ground + hall.a_mass
    b_t = ((hall.a_inf + hall.a_env) * t_out + hall.a_ground * hall.t_ground + hall.a_mass * x.t_mass
           + heat_w / (RHO_CP * v))
    t_new = (x.t + dt_s * b_t) / (1.0 + dt_s * a_t)
    if hall.hvac_w > 0:
        per_w = dt_s / (RHO_CP * v * (1.0 + dt_s * a_t))  # K per W over this step
        q = ((hall.t_set if t_set is None else t_set) - t_new) / per_w
        q = np.clip(q, -hall.hvac_w, hall.hvac_w)
        t_new = t_new + q * per_w
    w_sat_old = vapour_density(x.t, 100.0)
    eq_w = w_sat_old * np.clip(x.w_buffer / hall.xi_100, 0.0, 1.0) if hall.xi_100 > 0 else x.w
    a_w = hall.a_inf + hall.a_buffer
    b_w = hall.a_inf * w_out + hall.a_buffer * eq_w + moisture_g_s / v
    w_new = np.minimum((x.w + dt_s * b_w) / (1.0 + dt_s * a_w), vapour_density(t_new, 100.0))
    w_new = np.maximum(w_new, 0.0)
    t_mass = x.t_mass + dt_s * hall.mass_gain * hall.a_mass * (t_new - x.t_mass)
    w_buffer = x.w_buffer + dt_s * hall.a_buffer * (w_new - eq_w)
    decay = np.exp(-hall.case_exchange * dt_s)
    w_case = w_new[..., None] + (x.w_case - w_new[..., None]) * decay
    return HallState(t_new, t_mass, w_new, w_buffer, w_case), q


def relic_rh(hall: LumpedHall, t: NDArray, w: NDArray, w_case: NDArray) -> NDArray[np.float64]:
    """RH at each relic: (..., n_relics) %RH from hall t, w (...,) and case vapour (..., n_cases)."""
    wr = np.where(hall.relic_case >= 0, w_case[..., np.maximum(hall.relic_case, 0)] if w_case.shape[-1] else 0.0,
                  w[..., None])
    return rh_from_vapour_density(t[..., None], wr)


def simulate(hall: LumpedHall, x0: HallState, forcing: Forcing, devices: Sequence[Device], duty: NDArray,
             dt_s: float, substeps: int = 2, t_set: NDArray | float | None = None) -> Trajectory:
    """Run b plans from ``x0`` over n steps of ``dt_s`` s.

    duty : (b, n, n_devices) in [0, 1] (fraction of each step a device is on)
    t_set : the air handler's set point per plan, °C (b,) or scalar (None: ``hall.t_set``)
    substeps : model steps per step (the implicit air step is stable at any step; splitting
        the mass and buffer updates is accurate below about 5 min)
    """
    duty = np.asarray(duty, float)
    b, n = duty.shape[0], duty.shape[1]
    m_dev = np.array([d.moisture_g_s for d in devices]) if devices else np.zeros(0)
    h_dev = np.array([d.heat_w for d in devices]) if devices else np.zeros(0)
    moist = duty @ m_dev if devices else np.zeros((b, n))
    heat = duty @ h_dev if devices else np.zeros((b, n))
    w_out = vapour_density(forcing.t_out, forcing.rh_out)
    gain_w = (np.where(forcing.lights > 0, hall.heat_lights_w, hall.heat_const_w)
              + forcing.people * climate.PERSON_SENSIBLE_W + forcing.heat_w)
    gain_g = hall.moisture_const_g_s + forcing.people * climate.PERSON_LATENT_W / climate.H_FG * 1e3 + forcing.moisture_g_s
    x = HallState(np.broadcast_to(x0.t, (b,)).astype(float), np.broadcast_to(x0.t_mass, (b,)).astype(float),
                  np.broadcast_to(x0.w, (b,)).astype(float), np.broadcast_to(x0.w_buffer, (b,)).astype(float),
                  np.broadcast_to(x0.w_case, (b, len(hall.case_exchange))).astype(float))
    ts = np.empty((b, n))
    ws = np.empty((b, n))
    wc = np.empty((b, n, len(hall.case_exchange)))
    qs = np.zeros((b, n))
    h = dt_s / substeps
    for k in range(n):
        for _ in range(substeps):
            x, q = step_hvac(hall, x, float(forcing.t_out[k]), float(w_out[k]), gain_w[k] + heat[:, k],
                             gain_g[k] + moist[:, k], h, t_set)
            qs[:, k] += q / substeps
        ts[:, k], ws[:, k], wc[:, k] = x.t, x.w, x.w_case
    return Trajectory(ts, rh_from_vapour_density(ts, ws), relic_rh(hall, ts, ws, wc), x, qs)
