"""Controllers as thin stateful fronts over the pure functions: the twin (MPC) and the humidistat.

Both take the same observation each control step, keep the device history the interlocks need,
and return the interlocked on/off states with the reasons. They assume what they command is
what runs (the bridge's runtime corrects the history from the devices' echoes).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from simulation import en15757
from simulation.control import estimator, humidistat, interlocks, lighting, mpc
from simulation.control import hall_model as hm
from simulation.control.devices import Device


@dataclass(frozen=True)
class Observation:
    """Measured at one control step: hall air t °C and rh %RH, case_rh (n_cases,) and
    relic_rh (n_relics,) %RH (NaN = missing), outdoor t_out °C and rh_out %RH now, people and
    lights (0/1) over the step that just ended."""

    t: float
    rh: float
    case_rh: NDArray[np.float64]
    relic_rh: NDArray[np.float64]
    t_out: float
    rh_out: float
    people: float = 0.0
    lights: float = 0.0
    lux: Mapping[str, float] = field(default_factory=dict)  # light group -> lx at its most sensitive relic now


@dataclass(frozen=True)
class Step:
    """The outcome of one decision: ``on`` per device, the interlock decisions, who decided
    (``source``: "mpc", "humidistat", "manual", "safe"), the plan (MPC) and the seconds it took;
    commands : the planned settings of the level and set-point machines, actuator id ->
    ``{"mode", "setpoint"}`` (air conditioner) or ``{"level"}`` (light, blind), with ``why``."""

    on: tuple[bool, ...]
    decisions: tuple[interlocks.Decision, ...]
    source: str
    proposed: tuple[bool, ...]
    plan: mpc.Plan | None = None
    seconds: float = 0.0
    commands: Mapping[str, dict] = field(default_factory=dict)
    why: Mapping[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What besides the readings shapes a step: sensors fresh, calibration passed, overrides
    {device: (on, until_s)}, safe states {device: on}, fixed {device: on} (devices the controller
    may not drive, in the state they are in: policy off)."""

    sensors_ok: bool = True
    calibration_ok: bool = True
    override: Mapping[str, tuple[bool, float]] = field(default_factory=dict)
    safe_state: Mapping[str, bool] = field(default_factory=dict)
    fixed: Mapping[str, bool] = field(default_factory=dict)


RATE_WINDOW_S = 1800.0  # s, RH rate measured over the last half hour
AC_MOVE_K = 1.0  # K the air conditioner's set point may move in one decision (no step changes to the hall)
AC_DWELL_S = 3600.0  # s between moves of the set point (a split unit's compressor settles; model choice)


@dataclass(frozen=True)
class AirConditioner:
    """An air conditioner the twin plans: its id and the set points a curator approved, °C."""

    id: str
    t_min: float = 18.0
    t_max: float = 24.0


@dataclass(frozen=True)
class LightGroup:
    """A light and/or a blind over relics (``lighting`` module): ids (None: absent), the budget
    of its most sensitive relic (lx·h a year) and its limit (lx), the lights' design lx at the
    relic, the opening hours (local) and the hall's offset from UTC, h."""

    id: str
    light: str | None
    blind: str | None
    budget_lxh: float
    limit_lx: float
    design_lx: float = 200.0
    open_hours: tuple[float, float] = (9.0, 17.0)
    utc_offset_h: float = 8.0
    open_hours_per_year: float = 300 * 8.0


class _Base:
    def __init__(self, devices: Sequence[Device], step_s: float, limits: interlocks.Limits | None):
        self.devices = tuple(devices)
        self.step_s = step_s
        self.limits = limits or interlocks.Limits()
        self.history: dict[str, interlocks.History] = {d.id: interlocks.History() for d in devices}
        self._rh: deque[tuple[float, float]] = deque(maxlen=int(RATE_WINDOW_S // step_s) + 1)

    @property
    def state(self) -> tuple[bool, ...]:
        return tuple(self.history[d.id].on for d in self.devices)

    def _rate(self) -> float:
        if len(self._rh) < 2:
            return 0.0
        (t0, r0), (t1, r1) = self._rh[0], self._rh[-1]
        return (r1 - r0) / max(t1 - t0, 1.0) * 3600.0

    def _finish(self, now_s: float, proposed: Sequence[bool], source: str, ctx: Context,
                plan: mpc.Plan | None, started: float) -> Step:
        spaces = {d.space for d in self.devices}
        ictx = interlocks.Context(
            sensors_ok={s: ctx.sensors_ok for s in spaces}, rh_rate_per_h={s: self._rate() for s in spaces},
            override=ctx.override, safe_state=ctx.safe_state, calibration_ok=ctx.calibration_ok, source=source)
        dec = interlocks.apply(self.devices, proposed, self.history, now_s, ictx, self.limits)
        for d, x in zip(self.devices, dec, strict=True):
            self.history[d.id] = self.history[d.id].switched(x.on, now_s)
        return Step(tuple(x.on for x in dec), tuple(dec), source, tuple(bool(p) for p in proposed), plan,
                    time.perf_counter() - started)


class Humidistat(_Base):
    """The reactive rule on the hall sensor's RH (:mod:`simulation.control.humidistat`)."""

    def __init__(self, devices: Sequence[Device], setpoints: humidistat.Setpoints, step_s: float = 600.0,
                 limits: interlocks.Limits | None = None):
        super().__init__(devices, step_s, limits)
        self.setpoints = setpoints

    def decide(self, now_s: float, obs: Observation, forecast: hm.Forcing | None = None,
               ctx: Context | None = None) -> Step:
        started = time.perf_counter()
        ctx = ctx or Context()
        self._rh.append((now_s, obs.rh))
        proposed = humidistat.decide(self.devices, self.state, obs.rh, self.setpoints)
        return self._finish(now_s, proposed, "humidistat", ctx, None, started)


class TwinController(_Base):
    """Model-predictive control on the reduced model; falls back to the humidistat when the
    model's calibration fails (``ctx.calibration_ok`` False)."""

    def __init__(self, hall: hm.LumpedHall, devices: Sequence[Device], bands: mpc.Bands,
                 settings: mpc.Settings | None = None, limits: interlocks.Limits | None = None,
                 fallback: humidistat.Setpoints | None = None, ac: AirConditioner | None = None,
                 lights: Sequence[LightGroup] = ()):
        s = settings or mpc.Settings()
        self.ac, self.lights = ac, tuple(lights)
        self.setpoint: float | None = hall.t_set if ac is not None and hall.hvac_w > 0 else None
        self._moved_s = float("-inf")
        self._hourly: deque[NDArray] = deque(maxlen=365 * 24)  # relic RH, hourly means (EN 15757)
        self._hour: list[NDArray] = []
        self._en: tuple[NDArray, NDArray] | None = None
        self.used_lxh: dict[str, float] = {g.id: 0.0 for g in self.lights}
        self._year: int | None = None
        super().__init__(devices, s.step_s, limits)
        self.hall, self.bands, self.settings = hall, bands, s
        self.fallback = fallback or humidistat.Setpoints.for_band(float(np.max(bands.low)), float(np.min(bands.high)))
        self.estimate: estimator.Estimate | None = None
        self._last: tuple[bool, ...] | None = None
        self._relic: deque[NDArray] = deque(maxlen=int(86400 // s.step_s))

    def recent(self) -> mpc.Recent:
        """Relic RH over the last 24 h (min, max, mean), from what was measured."""
        a = np.array(self._relic)
        with np.errstate(all="ignore"):
            lo, hi, mean = np.nanmin(a, axis=0), np.nanmax(a, axis=0), np.nanmean(a, axis=0)
        mid = 0.5 * (self.bands.low + self.bands.high)
        en = self._en or (None, None)
        return mpc.Recent(np.where(np.isfinite(lo), lo, mid), np.where(np.isfinite(hi), hi, mid),
                          np.where(np.isfinite(mean), mean, mid), en[0], en[1])

    def observe(self, now_s: float, obs: Observation) -> None:
        """Update the state estimate with one step's readings (taken at ``now_s``)."""
        self._rh.append((now_s, obs.rh))
        self._relic.append(np.asarray(obs.relic_rh, float))
        self._hour.append(np.asarray(obs.relic_rh, float))
        if len(self._hour) * self.step_s >= 3600.0:  # an hour: its mean to the EN 15757 record
            with np.errstate(all="ignore"):
                self._hourly.append(np.nanmean(np.array(self._hour), axis=0))
            self._hour = []
            self._en = en15757.live_band(np.array(self._hourly))
        self._count_light(now_s, obs)
        if not (np.isfinite(obs.t_out) and np.isfinite(obs.rh_out) and np.isfinite(obs.t) and np.isfinite(obs.rh)):
            self.estimate = None  # nothing to estimate from: start afresh at the next complete reading
            return
        if self.estimate is None or self._last is None:
            case = np.where(np.isfinite(obs.case_rh), obs.case_rh, obs.rh) if len(obs.case_rh) else None
            self.estimate = estimator.Estimate(hm.equilibrium_state(self.hall, obs.t, obs.rh, case))
            return
        on = self._last
        f = hm.Forcing(np.array([obs.t_out]), np.array([obs.rh_out]), np.array([obs.people]),
                       np.array([obs.lights]), np.zeros(1), np.zeros(1))
        self.estimate = estimator.update(self.hall, self.estimate, f, self.devices, np.asarray(on, float),
                                         self.step_s, obs.t, obs.rh, obs.case_rh, self.settings.substeps)

    def decide(self, now_s: float, obs: Observation, forecast: hm.Forcing, ctx: Context | None = None) -> Step:
        """One decision. forecast : over ``settings.horizon_steps`` control steps from now."""
        started = time.perf_counter()
        ctx = ctx or Context()
        self.observe(now_s, obs)
        if not ctx.calibration_ok or self.estimate is None:
            proposed = humidistat.decide(self.devices, self.state, obs.rh, self.fallback)
            step = self._finish(now_s, proposed, "humidistat", ctx, None, started)
        else:
            assert self.estimate is not None
            est = self.estimate
            f = hm.Forcing(forecast.t_out, forecast.rh_out, forecast.people, forecast.lights,
                           forecast.heat_w + est.heat_w, forecast.moisture_g_s + est.moisture_g_s)
            dwell = interlocks.Limits(self.settings.dwell_s, self.settings.dwell_s,
                                      self.limits.max_switches_per_hour, self.limits.max_rh_rate_per_h)
            allowed = interlocks.allowed_first_moves(self.devices, self.history, now_s, dwell)
            fixed = [ctx.fixed.get(d.id, ctx.override[d.id][0] if d.id in ctx.override and ctx.override[d.id][1] > now_s
                                   else None) for d in self.devices]
            setpoints = None
            if self.setpoint is not None and self.ac is not None and now_s - self._moved_s >= AC_DWELL_S:
                setpoints = sorted({float(np.clip(self.setpoint + k, self.ac.t_min, self.ac.t_max))
                                    for k in (-AC_MOVE_K, 0.0, AC_MOVE_K)})
            elif self.setpoint is not None:
                setpoints = [self.setpoint]
            p = mpc.plan(self.hall, est.state, f, est.devices(self.devices), self.bands, self.recent(), self.state,
                         self.settings, allowed, fixed, setpoints=setpoints, current_setpoint=self.setpoint)
            step = self._finish(now_s, [bool(x) for x in p.first], "mpc", ctx, p, started)
            if p.setpoint is not None and self.ac is not None:
                if p.setpoint != self.setpoint:
                    self._moved_s = now_s
                self.setpoint = p.setpoint
                why = {"rule": "mpc", "terms": {k: round(v, 2) for k, v in p.terms.items()},
                       "predicted_max_rh": np.round(p.relic_rh.max(axis=0), 1).tolist()}
                step = replace(step, commands={self.ac.id: {"mode": p.ac_mode, "setpoint": p.setpoint}},
                               why={self.ac.id: why})
        self._last = step.on
        return step

    def resume_light(self, now_s: float, used_lxh: Mapping[str, float]) -> None:
        """Start from the lux-hours each light group already received this calendar year (UTC), as
        the stored readings say, so that a restart does not hand out the year's budget again."""
        self._year = _year(now_s)
        self.used_lxh = {g.id: max(float(used_lxh.get(g.id, 0.0)), 0.0) for g in self.lights}

    def _count_light(self, now_s: float, obs: Observation) -> None:
        """The lux-hours each light group's relic received over the step that ended (calendar year, UTC)."""
        year = _year(now_s)
        if self._year != year:
            self._year, self.used_lxh = year, {g.id: 0.0 for g in self.lights}
        for g in self.lights:
            lx = obs.lux.get(g.id, float("nan"))
            if np.isfinite(lx):
                self.used_lxh[g.id] += max(lx, 0.0) * self.step_s / 3600.0

    def plan_lights(self, now_s: float, obs: Observation, current: Mapping[str, float]) -> tuple[dict, dict]:
        """(commands, why) of the light groups now. current : actuator id -> the level it is at (0..1).

        Daylight at the relic is what the relic's sensor reads less the lights' share, scaled
        to the blind open (:mod:`simulation.control.lighting` plans the rest)."""
        commands: dict[str, dict] = {}
        why: dict[str, dict] = {}
        for g in self.lights:
            hour = (now_s / 3600.0 + g.utc_offset_h) % 24.0
            is_open = g.open_hours[0] <= hour < g.open_hours[1]
            year_done = (now_s / 86400.0) % 365.2425 / 365.2425
            left = max(g.open_hours_per_year * (1.0 - year_done), g.open_hours[1] - g.open_hours[0])
            target = lighting.target_lux(g.budget_lxh, self.used_lxh.get(g.id, 0.0), left, g.limit_lx)
            measured = obs.lux.get(g.id, float("nan"))
            own = g.design_lx * current.get(g.light, 0.0) if g.light else 0.0
            shade = current.get(g.blind, 1.0) if g.blind else 1.0
            daylight = max(measured - own, 0.0) / max(shade, 0.05) if np.isfinite(measured) else 0.0
            p = lighting.plan([is_open], [daylight], self.step_s / 3600.0, target, g.design_lx,
                              has_blind=g.blind is not None, has_light=g.light is not None)
            reason = {"rule": "lux_budget", "target_lx": round(target, 1), "daylight_lx": round(daylight, 1),
                      "used_lxh": round(self.used_lxh.get(g.id, 0.0)), "budget_lxh": g.budget_lxh,
                      "open": is_open, "short": p.short}
            if g.light:
                commands[g.light], why[g.light] = {"level": round(float(p.level[0]), 2)}, reason
            if g.blind:
                commands[g.blind], why[g.blind] = {"level": round(float(p.blind[0]), 2)}, reason
        return commands, why


def _year(now_s: float) -> int:
    """The calendar year (UTC) of a time in s since the epoch."""
    return datetime.fromtimestamp(now_s, UTC).year
