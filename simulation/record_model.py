"""The climate model driven by a room's own record: schedules, runs with gaps, an indoor-only boundary, skill.

A *room record* (:class:`RoomRecord`) is what a room's loggers hold on a regular step: indoor T and RH
at ``p`` sensors, and, where they were recorded, outdoor weather, occupancy (people), door and window
states, HVAC on/off, lights and measured heat gains. :func:`simulate_runs` drives the FiPy model of
:mod:`simulation.climate` with those schedules. A record made of many short runs with gaps is
simulated run by run (:func:`runs`), each run starting from its own first measured state, so a
week of two-hour logger downloads is as usable as one long record.

Without outdoor weather (``t_out`` all NaN) the model's outdoor boundary is a slowly varying fitted
one (:class:`Boundary`: a level and a daily slope for T and RH, fitted with the other parameters on
the training days, held at its last training value after them): the room's exchange with "outside"
is then learnt from how the room drifts.

A live twin takes its state from the sensors, then simulates: :func:`anchored` cuts runs into pieces
of a horizon (24 h), each restarted from the readings at its start; with ``carry`` the model's own
thermal mass, hygroscopic buffer and HVAC integrals run on across restarts (only the air is reset).
Each sensor may read a fitted offset above the model's air (``offset_t_c:<id>``, ``offset_rh:<id>``,
:data:`OFFSET_BOUNDS`): a sensor's calibration error or its spot's microclimate, learnt on the
training days only. :meth:`FittedModel.simulate_live` adds a disturbance observer (the unexplained
heat and moisture input of the day before each restart, held), for what a record does not hold.

A room's routine repeats daily (cooking, showers, people, lights on a timer), unlike one day's
disturbances: ``fit_record(..., daily=True)`` adds a daily profile of unlogged internal heat and
moisture gains (:class:`DailyGains`: two harmonics of the room's clock time, ``clock_s``), fitted on
the training days by :func:`fit_daily` and run on every later day.

Every figure is given beside two baselines (:func:`skill`), since a model that passes ASHRAE
Guideline 14 may be no better than a constant:

* persistence: each run's (or piece's) first measured value held: the reading the model starts from,
  so model and baseline know the same (for held-back days, the last value before them, or each
  day's first reading when restarted daily);
* the training mean: the mean of the training days, held.

``skill = 1 - RMSE_model / RMSE_baseline`` (Murphy 1988, Mon. Weather Rev. 116: the mean-squared-error
skill score, here on RMSE): above 0 the model beats the baseline, 1 is perfect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from simulation import climate
from simulation.calibration import BOUNDS, RH_SCALE, CalibrationData, floor_area_perimeter, model_for
from simulation.psychrometrics import rh_from_vapour_density, vapour_density

__all__ = ["Boundary", "DailyGains", "RoomRecord", "Skill", "anchored", "daily_basis", "fit_daily", "fit_record",
           "offsets_from_parameters", "parameter_bounds", "runs", "simulate_runs", "skill", "skill_table"]

#: Parameters of the record model beyond :data:`simulation.calibration.BOUNDS`, with bounds.
#: occupancy_factor multiplies the occupancy column into people (a 0/1 "occupied" flag is then
#: the number of people present when occupied); boundary_* define the indoor-only boundary.
RECORD_BOUNDS: dict[str, tuple[float, float]] = {
    **BOUNDS,
    "hvac_factor": (0.0, 3.0),  # a room's record may show no heating or cooling at all: 0 switches it off
    "occupancy_factor": (0.0, 200.0),
    "boundary_t_c": (-20.0, 40.0),
    "boundary_t_slope_c_d": (-3.0, 3.0),
    "boundary_rh": (5.0, 100.0),
    "boundary_rh_slope_d": (-10.0, 10.0),
    "restart_share": (0.0, 1.0),  # a share (simulate_runs): 0 the model's own mass and buffer, 1 with the air
}
BOUNDARY_PARAMS = ("boundary_t_c", "boundary_t_slope_c_d", "boundary_rh", "boundary_rh_slope_d")
#: The daily profile of unlogged internal gains (:class:`DailyGains`): a household's or a museum's
#: routine (cooking, showers, people, lights) repeats every day, unlike one day's disturbances. Harmonics
#: k = 1..DAILY_HARMONICS of the clock time, heat in W/m² floor and moisture in g/(h m² floor); each
#: coefficient bounded by the constant gains' half-range (:data:`simulation.calibration.BOUNDS`:
#: internal_gain_w_m2 -30..60, moisture_gain_g_h_m2 0..30).
DAILY_HARMONICS = 2
DAILY_PREFIXES = {"daily_heat_": "_w_m2", "daily_moisture_": "_g_h_m2"}
DAILY_BOUNDS = {"daily_heat_": (-45.0, 45.0), "daily_moisture_": (-15.0, 15.0)}
DAILY_PARAMS = tuple(f"{pre}{trig}{k}{unit}" for pre, unit in DAILY_PREFIXES.items()
                     for k in range(1, DAILY_HARMONICS + 1) for trig in ("cos", "sin"))
RECORD_BOUNDS.update({k: next(b for pre, b in DAILY_BOUNDS.items() if k.startswith(pre)) for k in DAILY_PARAMS})
#: Per-sensor offsets (``offset_t_c:<probe>``, ``offset_rh:<probe>``): what a sensor reads above the
#: model's air. Bounds: 5 K; 15 %RH (capacitive RH sensors drift a few %RH; neighbours in one real
#: room differed by 10-14 %RH, issue 21). Fitted on the training days like any other parameter.
OFFSET_PREFIXES = ("offset_t_c:", "offset_rh:")
OFFSET_BOUNDS = {"offset_t_c:": (-5.0, 5.0), "offset_rh:": (-15.0, 15.0)}

#: Gaps up to this long inside a run are bridged (the model runs through them unobserved);
#: longer gaps end the run (2 h: a logger download or a network drop).
MAX_GAP_S = 2 * 3600.0
#: Runs shorter than this are left out (1 h: too short to show anything but noise).
MIN_RUN_S = 3600.0


@dataclass(frozen=True)
class RoomRecord(CalibrationData):
    """A room's record on a regular step: :class:`simulation.calibration.CalibrationData` (times, indoor
    T/RH at the geometry's probes, outdoor weather, measured heat, geometry) and the room's schedules.

    Beyond the calibration record: t_out, rh_out may be NaN where not recorded (all NaN:
    indoor-only); people : (n,) occupancy (people, or 0/1 scaled by the fitted ``occupancy_factor``);
    open_ids : (n,) frozensets of aperture ids open; hvac_on : (n,) bool; lights_on : (n,) bool.
    Made with keywords (``RoomRecord(times_s=..., ..., geometry=..., people=...)``) or from a
    calibration record by :meth:`from_calibration`.
    """

    people: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    open_ids: tuple[frozenset[str], ...] = ()
    hvac_on: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    lights_on: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    clock_s: float = 0.0  # the room's local clock time at times_s = 0, s after midnight (for :class:`DailyGains`)

    def __post_init__(self) -> None:
        n = len(self.times_s)
        # schedules left out: nobody in, all closed, HVAC on, lights off
        for name, empty in (("people", np.zeros(n)), ("hvac_on", np.ones(n, bool)), ("lights_on", np.zeros(n, bool))):
            if len(getattr(self, name)) == 0 and n:
                object.__setattr__(self, name, empty)
        if not self.open_ids and n:
            object.__setattr__(self, "open_ids", (frozenset(),) * n)
        for name in ("t_in", "rh_in", "t_out", "rh_out", "heat_w", "people", "open_ids", "hvac_on", "lights_on"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"room record: {name} has {len(getattr(self, name))} rows, times_s {n}")

    @classmethod
    def from_calibration(cls, data: CalibrationData, hvac: bool = True) -> RoomRecord:
        """The room record of a calibration record: nobody in, all closed, HVAC ``hvac``, lights off."""
        return cls(**{f.name: getattr(data, f.name) for f in fields(CalibrationData)},
                   hvac_on=np.full(len(data.times_s), hvac))

    @property
    def indoor_only(self) -> bool:
        """True when no outdoor weather was recorded: the boundary is fitted."""
        return not bool(np.isfinite(self.t_out).any() and np.isfinite(self.rh_out).any())

    @property
    def step_s(self) -> float:
        return float(self.times_s[1] - self.times_s[0]) if self.times_s.size > 1 else 3600.0

    def time_of_day_s(self) -> NDArray[np.float64]:
        """(n,) s after the local midnight of each row."""
        return np.mod(self.clock_s + self.times_s, 86400.0)

    def cut(self, rows: slice) -> RoomRecord:
        """The record's rows ``rows``."""
        return replace(self, times_s=self.times_s[rows], t_in=self.t_in[rows], rh_in=self.rh_in[rows],
                       t_out=self.t_out[rows], rh_out=self.rh_out[rows], heat_w=self.heat_w[rows],
                       people=self.people[rows], open_ids=self.open_ids[rows], hvac_on=self.hvac_on[rows],
                       lights_on=self.lights_on[rows])


@dataclass(frozen=True)
class Boundary:
    """The indoor-only outdoor boundary: T and RH linear in time, held outside ``[t0_s, t1_s]``."""

    t_c: float
    t_slope_c_d: float
    rh: float
    rh_slope_d: float
    t0_s: float
    t1_s: float

    def at(self, times_s: NDArray) -> tuple[NDArray, NDArray]:
        """(T °C, RH %RH) of the boundary at ``times_s`` (n,) s."""
        d = (np.clip(times_s, self.t0_s, self.t1_s) - self.t0_s) / 86400.0
        return self.t_c + self.t_slope_c_d * d, np.clip(self.rh + self.rh_slope_d * d, 1.0, 100.0)


@dataclass(frozen=True)
class DailyGains:
    """A daily profile of internal gains per m² floor: ``heat`` W/m² and ``moisture`` g/(h m²) as
    (cos 1, sin 1, cos 2, sin 2, ...) coefficients of the time of day (harmonic k: period 24 h / k).
    Its daily mean is 0: the constant part is internal_gain_w_m2 / moisture_gain_g_h_m2."""

    heat: tuple[float, ...] = (0.0,) * (2 * DAILY_HARMONICS)
    moisture: tuple[float, ...] = (0.0,) * (2 * DAILY_HARMONICS)

    def at(self, time_of_day_s: NDArray, area_m2: float) -> tuple[NDArray, NDArray]:
        """(heat W, moisture g/h) over a floor of ``area_m2`` at each time of day (n,) s."""
        basis = daily_basis(time_of_day_s, len(self.heat) // 2)
        return area_m2 * basis @ np.asarray(self.heat, float), area_m2 * basis @ np.asarray(self.moisture, float)

    @classmethod
    def from_parameters(cls, parameters: dict[str, float]) -> DailyGains | None:
        """The profile in a calibration's parameters (:data:`DAILY_PARAMS`), None without any."""
        if not any(k in parameters for k in DAILY_PARAMS):
            return None
        h = len(DAILY_PARAMS) // 2
        return cls(tuple(float(parameters.get(k, 0.0)) for k in DAILY_PARAMS[:h]),
                   tuple(float(parameters.get(k, 0.0)) for k in DAILY_PARAMS[h:]))


def daily_basis(time_of_day_s: NDArray, harmonics: int) -> NDArray[np.float64]:
    """(n, 2 harmonics): cos, sin of 2 pi k t / 24 h for k = 1..harmonics."""
    phase = 2.0 * np.pi * np.asarray(time_of_day_s, float)[:, None] / 86400.0 * np.arange(1, harmonics + 1)
    return np.stack([np.cos(phase), np.sin(phase)], axis=2).reshape(len(phase), 2 * harmonics)


def runs(observed: NDArray[np.bool_], step_s: float, max_gap_s: float = MAX_GAP_S,
         min_run_s: float = MIN_RUN_S) -> list[tuple[int, int]]:
    """Contiguous runs of an observed record: [(first row, stop row)], gaps up to ``max_gap_s`` bridged.

    observed : (n,) bool, an indoor reading at that row. A run starts and ends on observed rows;
    runs shorter than ``min_run_s`` are left out.
    """
    idx = np.flatnonzero(observed)
    if idx.size == 0:
        return []
    max_gap = max(1, int(round(max_gap_s / step_s)))
    breaks = np.flatnonzero(np.diff(idx) > max_gap)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    keep = (ends - starts) * step_s >= min_run_s
    return [(int(a), int(b)) for a, b in zip(starts[keep], ends[keep], strict=True)]


def anchored(spans: Sequence[tuple[int, int]], observed: NDArray[np.bool_], step_s: float,
             horizon_s: float) -> list[tuple[int, int]]:
    """``spans`` cut into pieces of at most ``horizon_s``, each starting on an observed row.

    What a live twin does: at each issue time (every ``horizon_s`` from a span's start) it takes its
    state from the sensors, then simulates up to the next. Persistence over the same pieces holds
    the same issue-time reading (:func:`held_values`), so model and baseline know the same.
    """
    size = max(1, int(round(horizon_s / step_s)))
    out = []
    for a, b in spans:
        for c in range(a, b, size):
            seen = np.flatnonzero(observed[c : min(c + size, b)])
            if seen.size:
                out.append((c + int(seen[0]), min(c + size, b)))
    return out


def _fill(v: NDArray) -> NDArray[np.float64]:
    """Linear interpolation over NaN, held at the ends; all-NaN stays NaN."""
    v = np.asarray(v, float).copy()
    ok = np.isfinite(v)
    if ok.any() and not ok.all():
        i = np.arange(v.size)
        v[~ok] = np.interp(i[~ok], i[ok], v[ok])
    return v


def simulate_runs(record: RoomRecord, settings: climate.ClimateSettings, spans: Sequence[tuple[int, int]],
                  heat_gain_factor: float = 1.0, occupancy_factor: float = 1.0,
                  boundary: Boundary | None = None, cell_m: float | None = None,
                  offset_t: NDArray | None = None, offset_rh: NDArray | None = None,
                  extra: Sequence[tuple[float, float]] | None = None, carry: bool = False,
                  gains: NDArray | None = None, restart_share: float = 0.0) -> tuple[NDArray, NDArray]:
    """Simulated (T, RH) at the probes, (n, p) each, NaN outside ``spans``.

    Each span (first row, stop row) starts from its first row's measured state (probe means where
    some probes are missing; thermal mass and buffer in equilibrium) and is driven by the record's
    schedules; the outdoor weather is the record's (gaps interpolated), or ``boundary``'s.

    offset_t, offset_rh : (p,) K / %RH, what each sensor reads above the model's air (a sensor's
    calibration error, or its spot's own microclimate): the model starts from the readings less
    the offsets and reports its air plus them. None: 0.
    extra : per span, (heat W, moisture g/h[, thermostat shift K]) added over the room all through it
    (a disturbance estimate, :meth:`FittedModel.simulate_live`). None: none.
    carry : a span that starts where the previous one stopped takes only its air from the sensors and
    keeps the model's thermal mass, hygroscopic buffer and HVAC integrals from the run before (a
    twin running on, its air reset to the readings at each restart); else they start in
    equilibrium with the air.
    gains : (n, 2) heat W and moisture g/h added over the room at each row (a daily profile,
    :meth:`DailyGains.at`). None: none.
    restart_share : at a carried restart, the thermal mass moves by this share of the air's
    correction (reading less the model's air, K) and the buffer's equilibrium RH by this share of the
    air's RH correction: 0 keeps the model's own mass and buffer, 1 moves them with the air (a slow
    drift the model missed has warmed or wetted the room's contents as well as its air).
    """
    geo = record.geometry
    model = model_for(geo, settings, record.step_s, cell_m)
    n, p = record.t_in.shape
    if boundary is not None:
        t_out, rh_out = boundary.at(record.times_s)
    else:
        t_out, rh_out = _fill(record.t_out), _fill(record.rh_out)
    t_sim = np.full((n, p), np.nan)
    rh_sim = np.full((n, p), np.nan)
    probe_ids = [pr.id for pr in geo.probes]
    off_t = np.zeros(p) if offset_t is None else np.asarray(offset_t, float)
    off_rh = np.zeros(p) if offset_rh is None else np.asarray(offset_rh, float)
    stop, state = -1, None
    settings0 = model.settings
    for k, (a, b) in enumerate(spans):
        q_w, m_g_h, shift = (tuple(extra[k]) + (0.0,))[:3] if extra is not None else (0.0, 0.0, 0.0)
        model.settings = replace(settings0, hvac_setpoint_c=settings0.hvac_setpoint_c + shift) if shift else settings0
        t0, rh0 = record.t_in[a] - off_t, record.rh_in[a] - off_rh
        known = {pid: (float(t0[j]), float(rh0[j])) for j, pid in enumerate(probe_ids)
                 if np.isfinite(t0[j]) and np.isfinite(rh0[j])}
        before = state
        state = climate.initial_state(model, float(np.nanmean(t0)), float(np.nanmean(rh0)), known)
        if carry and before is not None and a == stop:
            t_mass, w_buffer = before.t_mass, before.w_buffer
            if restart_share:  # mass and buffer take that share of the air's correction
                d_rh = rh_from_vapour_density(state.t, state.w) - rh_from_vapour_density(before.t, before.w)
                t_mass = t_mass + restart_share * (state.t - before.t)
                w_buffer = w_buffer + restart_share * settings.buffer_capacity_g_m2_rh / geo.height * d_rh
            state = replace(state, t_mass=t_mass, w_buffer=w_buffer, hvac_i_t=before.hvac_i_t,
                            hvac_i_w=before.hvac_i_w)
        stop = b
        for i in range(a, b):
            pt, prh, _, _ = climate.observe(model, state)
            t_sim[i], rh_sim[i] = pt + off_t, prh + off_rh
            people = occupancy_factor * float(record.people[i]) if np.isfinite(record.people[i]) else 0.0
            f = climate.Forcing(t_out_c=float(t_out[i]), rh_out=float(rh_out[i]), hvac_on=bool(record.hvac_on[i]),
                                open_ids=record.open_ids[i], people=((None, people),) if people > 0 else (),
                                lights_on=bool(record.lights_on[i]),
                                heat_w=heat_gain_factor * float(np.nan_to_num(record.heat_w[i])) + q_w
                                + (float(gains[i, 0]) if gains is not None else 0.0),
                                moisture_g_h=m_g_h + (float(gains[i, 1]) if gains is not None else 0.0))
            state = climate.step(model, state, f)
    return t_sim, rh_sim


@dataclass(frozen=True)
class FittedModel:
    """What :func:`fit_record` found: settings, factors, the boundary (indoor-only), model runs."""

    settings: climate.ClimateSettings
    heat_gain_factor: float
    occupancy_factor: float
    boundary: Boundary | None
    parameters: dict[str, float]
    evaluations: int
    offset_t: NDArray[np.float64] | None = None  # (p,) K, see simulate_runs
    offset_rh: NDArray[np.float64] | None = None  # (p,) %RH

    carry: bool = False  # see simulate_runs
    daily: DailyGains | None = None  # the fitted daily profile of internal gains
    restart_share: float = 0.0  # see simulate_runs

    def gains(self, record: RoomRecord) -> NDArray | None:
        """(n, 2) heat W, moisture g/h of the daily profile at the record's rows (None without one)."""
        if self.daily is None:
            return None
        return np.column_stack(self.daily.at(record.time_of_day_s(), floor_area_perimeter(record.geometry.floor)[0]))

    def simulate(self, record: RoomRecord, spans: Sequence[tuple[int, int]],
                 cell_m: float | None = None) -> tuple[NDArray, NDArray]:
        return simulate_runs(record, self.settings, spans, self.heat_gain_factor, self.occupancy_factor,
                             self.boundary, cell_m, self.offset_t, self.offset_rh, carry=self.carry,
                             gains=self.gains(record), restart_share=self.restart_share)

    def simulate_live(self, record: RoomRecord, pieces: Sequence[tuple[int, int]], window_s: float = 86400.0,
                      cell_m: float | None = None, observe_from: int = 0
                      ) -> tuple[NDArray, NDArray, list[tuple[float, float, float]]]:
        """Run each piece as a live twin does: state from the sensors at its first row, and the room's
        unexplained heat and moisture input (a heater, the sun, people the record does not count)
        estimated from the ``window_s`` before it and held through it (a disturbance observer, as in
        offset-free model-predictive control). Only rows before each piece's first row are used.

        Pieces starting before row ``observe_from`` run without it (a training run carried into the
        held-back days). Returns (T, RH) as :meth:`simulate`, and per piece the (heat W, moisture g/h,
        thermostat shift K) used.
        """
        extra = [disturbance(record, self, a, window_s, cell_m) if a >= observe_from else (0.0, 0.0, 0.0)
                 for a, _ in pieces]
        t_sim, rh_sim = simulate_runs(record, self.settings, pieces, self.heat_gain_factor, self.occupancy_factor,
                                      self.boundary, cell_m, self.offset_t, self.offset_rh, extra, self.carry,
                                      self.gains(record), self.restart_share)
        return t_sim, rh_sim, extra


#: Trial inputs of the disturbance observer (the model's response to them is linear enough at this size).
OBSERVER_HEAT_W = 100.0
OBSERVER_MOISTURE_G_H = 50.0
#: The observer's estimate is bounded like the fitted constant gains (:data:`RECORD_BOUNDS`), per m² floor.
OBSERVER_HEAT_W_M2 = 60.0
OBSERVER_MOISTURE_G_H_M2 = 30.0
#: Below these responses to the trial inputs the model cannot tell them apart from nothing.
OBSERVER_MIN_RESPONSE_K = 0.01
OBSERVER_MIN_RESPONSE_G_M3 = 0.005
#: Largest thermostat shift the observer makes (a thermostat turned up or down, not a fault), K.
OBSERVER_SHIFT_K = 3.0
#: The observer matches the window's rows after this fraction of it: the window starts with thermal mass
#: and buffer at the air's state, not their own, and that start takes hours to fade (time constants of
#: a few hours, see climate.buffer_time_constant_s).
OBSERVER_SETTLE = 0.75


def disturbance(record: RoomRecord, model: FittedModel, first: int, window_s: float,
                cell_m: float | None = None) -> tuple[float, float, float]:
    """(heat W, moisture g/h, thermostat shift K) that make the model meet the record over the window
    before row ``first``.

    The model runs over [first - window, first) from the window's first measured state three times:
    as fitted, with :data:`OBSERVER_HEAT_W` more, and with :data:`OBSERVER_MOISTURE_G_H` more. On the
    window's last quarter (before it, the start state still shows) the mean misfit of T gives the heat
    (misfit / response; none under :data:`OBSERVER_MIN_RESPONSE_K`); where the HVAC ran in the window,
    its thermostat takes added heat away, so the misfit is the thermostat's shift instead (the room
    was held there; the setpoint is not in the record). Then the misfit of vapour density (the moisture
    balance is linear in it; RH is not) less what the heat explains gives the moisture.
    (0, 0, 0) without 4 measured rows.
    """
    size = int(round(window_s / record.step_s))
    seen = np.isfinite(record.t_in).any(axis=1) & np.isfinite(record.rh_in).any(axis=1)
    lo = max(0, first - size)
    idx = np.flatnonzero(seen[lo:first]) + lo
    rows = idx[idx >= idx[0] + OBSERVER_SETTLE * (first - idx[0])] if idx.size else idx
    if idx.size < 4 or rows.size < 2:
        return 0.0, 0.0, 0.0
    span = [(int(idx[0]), first)]
    trials = [(0.0, 0.0), (OBSERVER_HEAT_W, 0.0), (0.0, OBSERVER_MOISTURE_G_H)]
    out = [simulate_runs(record, model.settings, span, model.heat_gain_factor, model.occupancy_factor,
                         model.boundary, cell_m, model.offset_t, model.offset_rh, [x], gains=model.gains(record))
           for x in trials]

    def mean(v: NDArray) -> float:
        v = v[rows]
        return float(np.nanmean(v)) if np.isfinite(v).any() else 0.0

    w_meas = vapour_density(record.t_in, record.rh_in)
    w_sim = [vapour_density(t, rh) for t, rh in out]
    area = floor_area_perimeter(record.geometry.floor)[0]
    miss_t = mean(record.t_in - out[0][0])
    dt_dq = mean(out[1][0] - out[0][0])
    heat = shift = 0.0
    if model.settings.hvac_supply_m3_h > 0 and record.hvac_on[span[0][0]:first].any():
        shift = float(np.clip(miss_t, -OBSERVER_SHIFT_K, OBSERVER_SHIFT_K))
    elif abs(dt_dq) >= OBSERVER_MIN_RESPONSE_K:
        heat = float(np.clip(miss_t / dt_dq * OBSERVER_HEAT_W, -OBSERVER_HEAT_W_M2 * area, OBSERVER_HEAT_W_M2 * area))
    dw_dq = mean(w_sim[1] - w_sim[0]) / OBSERVER_HEAT_W
    dw_dm = mean(w_sim[2] - w_sim[0])
    moisture = 0.0
    if abs(dw_dm) >= OBSERVER_MIN_RESPONSE_G_M3:
        moisture = (mean(w_meas - w_sim[0]) - dw_dq * heat) / dw_dm * OBSERVER_MOISTURE_G_H
        moisture = float(np.clip(moisture, -OBSERVER_MOISTURE_G_H_M2 * area, OBSERVER_MOISTURE_G_H_M2 * area))
    return heat, moisture, shift


def _unpack(base: climate.ClimateSettings, names: Sequence[str], x: NDArray, t0_s: float, t1_s: float,
            first: tuple[float, float]) -> tuple[climate.ClimateSettings, float, float, Boundary | None]:
    values: dict[str, Any] = {k: float(v) for k, v in zip(names, x, strict=True)
                              if not k.startswith(OFFSET_PREFIXES) and k not in DAILY_PARAMS and k != "restart_share"}
    gain = float(values.pop("heat_gain_factor", 1.0))
    occ = float(values.pop("occupancy_factor", 1.0))
    bnd = None
    if any(k in values for k in BOUNDARY_PARAMS):
        bnd = Boundary(values.pop("boundary_t_c", first[0]), values.pop("boundary_t_slope_c_d", 0.0),
                       values.pop("boundary_rh", first[1]), values.pop("boundary_rh_slope_d", 0.0), t0_s, t1_s)
    return replace(base, **values), gain, occ, bnd


def fit_record(record: RoomRecord, train: Sequence[tuple[int, int]], params: Sequence[str],
               base: climate.ClimateSettings, *, max_nfev: int = 8, cell_m: float | None = None,
               rh_scale: float = RH_SCALE, offsets: bool = False, carry: bool = False,
               daily: bool = False) -> FittedModel:
    """Fit ``params`` (keys of :data:`RECORD_BOUNDS`) on the training spans by bounded least squares.

    In indoor-only mode the boundary's four parameters are fitted too. Each span starts from its
    own measured state, so there is no spin-up to discard beyond the first hour of each span.
    ``rh_scale`` %RH of error weigh as much as 1 K (:data:`simulation.calibration.RH_SCALE`).
    ``offsets``: fit each sensor's T and RH offset too (:data:`OFFSET_BOUNDS`; a sensor without
    training readings keeps 0). ``carry``: see :func:`simulate_runs` (fit as the twin will run).
    ``daily``: then fit a daily profile of internal gains (:class:`DailyGains`, :func:`fit_daily`)
    with the other parameters held (its coefficients join the parameters).
    """
    names = list(dict.fromkeys(params))
    if record.indoor_only:
        # a level always; slopes only over 2 days or more (shorter records cannot tell a slope from a level)
        long = (record.times_s[train[-1][1] - 1] - record.times_s[train[0][0]]) >= 2 * 86400.0
        names += [k for k in BOUNDARY_PARAMS if k not in names and (long or "slope" not in k)]
    unknown = [k for k in names if k not in RECORD_BOUNDS]
    if unknown:
        raise ValueError(f"cannot fit {unknown}; fittable: {sorted(RECORD_BOUNDS)}")
    if not train:
        raise ValueError("no training run of at least an hour / 没有至少一小时的训练数据段")
    probe_ids = [pr.id for pr in record.geometry.probes]
    if offsets:
        rows_all = np.concatenate([np.arange(a, b) for a, b in train])
        seen = [j for j in range(len(probe_ids))
                if np.isfinite(record.t_in[rows_all, j]).any() and np.isfinite(record.rh_in[rows_all, j]).any()]
        names += [f"{pre}{probe_ids[j]}" for pre in OFFSET_PREFIXES for j in seen]
    t_first = float(np.nanmean(record.t_in[train[0][0]]))
    rh_first = float(np.nanmean(record.rh_in[train[0][0]]))
    defaults = {"heat_gain_factor": 1.0, "occupancy_factor": 1.0, "boundary_t_c": t_first - 5.0,
                "boundary_t_slope_c_d": 0.0, "boundary_rh": rh_first, "boundary_rh_slope_d": 0.0,
                **dict.fromkeys(DAILY_PARAMS, 0.0), "restart_share": 0.5}
    lo = np.array([parameter_bounds(k)[0] for k in names])
    hi = np.array([parameter_bounds(k)[1] for k in names])
    x0 = np.array([0.0 if k.startswith(OFFSET_PREFIXES) else defaults[k] if k in defaults else float(getattr(base, k))
                   for k in names])
    x0 = np.clip(x0, lo + 1e-6 * (hi - lo), hi - 1e-6 * (hi - lo))
    scale = np.maximum(np.abs(x0), (hi - lo) * 0.01)
    t0_s = float(record.times_s[train[0][0]])
    t1_s = float(record.times_s[train[-1][1] - 1])
    skip = int(round(3600.0 / record.step_s))
    rows = np.concatenate([np.arange(a + min(skip, (b - a) // 2), b) for a, b in train])
    stop = train[-1][1]
    cut = record.cut(slice(0, stop))
    evaluations = 0

    def model_of(x: NDArray) -> FittedModel:
        s, gain, occ, bnd = _unpack(base, names, x, t0_s, t1_s, (t_first, rh_first))
        off_t, off_rh = _offsets(names, x, probe_ids) if offsets else (None, None)
        values = {k: float(v) for k, v in zip(names, x, strict=True)}
        return FittedModel(s, gain, occ, bnd, values, evaluations, off_t, off_rh, carry,
                           DailyGains.from_parameters(values), values.get("restart_share", 0.0))

    def residual(z: NDArray) -> NDArray:
        nonlocal evaluations
        evaluations += 1
        t_sim, rh_sim = model_of(z * scale).simulate(cut, train, cell_m)
        return _misfit(record, t_sim, rh_sim, rows, rh_scale)

    sol = least_squares(residual, x0 / scale, bounds=(lo / scale, hi / scale), max_nfev=max_nfev, x_scale=1.0,
                        diff_step=1e-3)
    fitted = model_of(sol.x * scale)
    if daily:
        fitted = fit_daily(fitted, cut, train, rows, cell_m, rh_scale)
        evaluations += fitted.evaluations
    return replace(fitted, evaluations=evaluations)


def _misfit(record: RoomRecord, t_sim: NDArray, rh_sim: NDArray, rows: NDArray, rh_scale: float) -> NDArray:
    """The fit's residual vector: T misfit in K and RH misfit over ``rh_scale`` on ``rows``, 0 where unknown."""
    r = np.concatenate([(t_sim[rows] - record.t_in[rows]).ravel(), ((rh_sim[rows] - record.rh_in[rows]) / rh_scale).ravel()])
    return np.where(np.isfinite(r), r, 0.0)


#: Trial amplitudes of :func:`fit_daily` (heat W/m², moisture g/(h m²)): the model's response to the
#: profile's gains is linear enough at this size (as for the disturbance observer).
DAILY_TRIAL = (5.0, 2.0)
#: Ridge weight of :func:`fit_daily`: a coefficient at its bound costs as much as this misfit (K, or
#: %RH / rh_scale) on every row; it keeps a coefficient the record cannot see (heat under a
#: thermostat that takes it away) near 0 instead of at a bound (model choice).
DAILY_RIDGE = 0.01


def fit_daily(model: FittedModel, record: RoomRecord, spans: Sequence[tuple[int, int]], rows: NDArray,
              cell_m: float | None = None, rh_scale: float = RH_SCALE) -> FittedModel:
    """``model`` with a daily profile of internal gains (:class:`DailyGains`) fitted on ``rows`` of ``spans``.

    The model's response to each harmonic of heat and of moisture is linear enough to be measured by
    one run each at :data:`DAILY_TRIAL` amplitude; the coefficients are then the bounded linear least
    squares (:data:`DAILY_BOUNDS`, ridge :data:`DAILY_RIDGE`) solution of the misfit, one
    Gauss-Newton step, kept only if a run with them fits better. The other parameters are held.
    Returns the model (``evaluations``: the runs made here).
    """
    from scipy.optimize import lsq_linear

    area = floor_area_perimeter(record.geometry.floor)[0]
    basis = daily_basis(record.time_of_day_s(), DAILY_HARMONICS)
    plain = replace(model, daily=None)
    start = model.gains(record)

    def misfit(extra: NDArray | None) -> NDArray:
        gains = extra if start is None else start + (0.0 if extra is None else extra)
        t_sim, rh_sim = simulate_runs(record, plain.settings, spans, plain.heat_gain_factor, plain.occupancy_factor,
                                      plain.boundary, cell_m, plain.offset_t, plain.offset_rh, carry=plain.carry,
                                      gains=gains, restart_share=plain.restart_share)
        return _misfit(record, t_sim, rh_sim, rows, rh_scale)

    r0 = misfit(None)
    cols = []
    for q, amp in enumerate(DAILY_TRIAL):
        for j in range(basis.shape[1]):
            g = np.zeros((len(record.times_s), 2))
            g[:, q] = area * amp * basis[:, j]
            cols.append((misfit(g) - r0) / amp)
    jac = np.column_stack(cols)
    old = np.array([model.parameters.get(k, 0.0) for k in DAILY_PARAMS])  # a profile fitted before: refined
    lo = np.array([RECORD_BOUNDS[k][0] for k in DAILY_PARAMS])
    hi = np.array([RECORD_BOUNDS[k][1] for k in DAILY_PARAMS])
    ridge = np.diag(DAILY_RIDGE * np.sqrt(len(r0)) / hi)
    sol = lsq_linear(np.vstack([jac, ridge]), np.concatenate([-r0, -ridge @ old]), bounds=(lo - old, hi - old))
    step = DailyGains.from_parameters(dict(zip(DAILY_PARAMS, (float(v) for v in sol.x), strict=True)))
    r1 = misfit(np.column_stack(step.at(record.time_of_day_s(), area)))
    coef = dict(zip(DAILY_PARAMS, (float(v) for v in old + sol.x), strict=True))
    profile = DailyGains.from_parameters(coef)
    runs_made = 2 + jac.shape[1]
    if float(r1 @ r1) >= float(r0 @ r0):
        return replace(model, evaluations=runs_made)
    return replace(model, daily=profile, parameters={**model.parameters, **coef}, evaluations=runs_made)


def parameter_bounds(name: str) -> tuple[float, float]:
    """Bounds of a fitted parameter: :data:`RECORD_BOUNDS`, or :data:`OFFSET_BOUNDS` for a sensor offset."""
    if name.startswith(OFFSET_PREFIXES):
        return OFFSET_BOUNDS[name.split(":", 1)[0] + ":"]
    return RECORD_BOUNDS[name]


def offsets_from_parameters(parameters: dict[str, float], probe_ids: Sequence[str]) -> tuple[NDArray, NDArray]:
    """(offset_t, offset_rh) (p,) of ``probe_ids`` from a calibration's parameters (0 where absent)."""
    return (np.array([float(parameters.get(f"offset_t_c:{pid}", 0.0)) for pid in probe_ids]),
            np.array([float(parameters.get(f"offset_rh:{pid}", 0.0)) for pid in probe_ids]))


def _offsets(names: Sequence[str], x: NDArray, probe_ids: Sequence[str]) -> tuple[NDArray, NDArray]:
    """(offset_t, offset_rh), (p,) each, from the fitted vector (0 where not fitted)."""
    return offsets_from_parameters(dict(zip(names, (float(v) for v in x), strict=True)), probe_ids)


@dataclass(frozen=True)
class Skill:
    """One sensor and quantity on the judged rows: the model's RMSE and bias, and the baselines'.

    rmse, bias : the model (bias = mean(simulated - measured)); rmse_persistence : each run's first
    value (or the last training value) held; rmse_mean : the training mean held; n : rows judged.
    """

    sensor: str
    quantity: str
    unit: str
    rmse: float
    bias: float
    rmse_persistence: float
    rmse_mean: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (non-finite figures as None)."""
        def num(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {"sensor": self.sensor, "quantity": self.quantity, "unit": self.unit, "rmse": num(self.rmse),
                "bias": num(self.bias), "rmse_persistence": num(self.rmse_persistence),
                "skill_persistence": num(self.skill_persistence), "rmse_training_mean": num(self.rmse_mean),
                "skill_training_mean": num(self.skill_mean), "n": self.n}

    @property
    def skill_persistence(self) -> float:
        """1 - RMSE / RMSE of persistence: > 0 beats holding the last value."""
        return 1.0 - self.rmse / self.rmse_persistence if self.rmse_persistence > 0 else float("nan")

    @property
    def skill_mean(self) -> float:
        """1 - RMSE / RMSE of the training mean: > 0 beats a constant."""
        return 1.0 - self.rmse / self.rmse_mean if self.rmse_mean > 0 else float("nan")


def _rmse(e: NDArray) -> float:
    e = e[np.isfinite(e)]
    return float(np.sqrt(np.mean(e**2))) if e.size else float("nan")


def skill(measured: NDArray, simulated: NDArray, persistence: NDArray, train_mean: float, sensor: str,
          quantity: str, unit: str) -> Skill:
    """:class:`Skill` on the rows where all of measured, simulated and persistence are known (each (m,))."""
    ok = np.isfinite(measured) & np.isfinite(simulated) & np.isfinite(persistence)
    y, s, p = measured[ok], simulated[ok], persistence[ok]
    bias = float(np.mean(s - y)) if ok.any() else float("nan")
    return Skill(sensor, quantity, unit, _rmse(s - y), bias, _rmse(p - y), _rmse(train_mean - y), int(ok.sum()))


def held_values(values: NDArray, spans: Sequence[tuple[int, int]]) -> NDArray[np.float64]:
    """Persistence over ``spans``: each span's first value held to its end; (n, p), NaN elsewhere."""
    out = np.full(values.shape, np.nan)
    for a, b in spans:
        out[a:b] = values[a]
    return out


def skill_table(record: RoomRecord, t_sim: NDArray, rh_sim: NDArray, spans: Sequence[tuple[int, int]],
                train_rows: NDArray | None = None) -> list[Skill]:
    """Per probe and quantity :class:`Skill` on ``spans`` (persistence: each span's first value held;
    training mean: over ``train_rows``, else over the judged rows' first values)."""
    out = []
    rows = np.concatenate([np.arange(a, b) for a, b in spans]) if spans else np.zeros(0, int)
    for q, meas, sim, unit in (("temperature", record.t_in, t_sim, "°C"),
                               ("relative_humidity", record.rh_in, rh_sim, "%RH")):
        pers = held_values(meas, spans)
        for j, probe in enumerate(record.geometry.probes):
            ref = meas[train_rows, j] if train_rows is not None else pers[rows, j]
            mean = float(np.nanmean(ref)) if np.isfinite(ref).any() else float("nan")
            out.append(skill(meas[rows, j], sim[rows, j], pers[rows, j], mean, probe.id, q, unit))
    return out


def format_skill(table: Sequence[Skill]) -> list[str]:
    """Bilingual lines: per sensor and quantity the RMSE and bias, beside persistence and the training mean."""
    lines = [f"  {'sensor 传感器':14s} {'quantity 指标':20s} {'RMSE':>8s} {'bias 偏差':>10s} "
             f"{'RMSE last 保持':>14s} {'skill 技能':>10s} {'RMSE mean 均值':>15s} {'skill 技能':>10s} {'n':>6s}"]
    for s in table:
        lines.append(f"  {s.sensor:14s} {s.quantity:20s} {s.rmse:8.3f} {s.bias:+10.3f} {s.rmse_persistence:14.3f} "
                     f"{s.skill_persistence:+10.2f} {s.rmse_mean:15.3f} {s.skill_mean:+10.2f} {s.n:6d}")
    lines.append("  skill = 1 - RMSE / RMSE of the baseline (> 0 beats it) / 技能 = 1 - 模型RMSE/基准RMSE（>0 优于基准）; "
                 "units 单位 °C, %RH")
    return lines
