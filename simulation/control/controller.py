"""Controllers as thin stateful fronts over the pure functions: the twin (MPC) and the humidistat.

Both take the same observation each control step, keep the device history the interlocks need,
and return the interlocked on/off states with the reasons. They assume what they command is
what runs (the bridge's runtime corrects the history from the devices' echoes).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from simulation.control import estimator, humidistat, interlocks, mpc
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


@dataclass(frozen=True)
class Step:
    """The outcome of one decision: ``on`` per device, the interlock decisions, who decided
    (``source``: "mpc", "humidistat", "manual", "safe"), the plan (MPC) and the seconds it took."""

    on: tuple[bool, ...]
    decisions: tuple[interlocks.Decision, ...]
    source: str
    proposed: tuple[bool, ...]
    plan: mpc.Plan | None = None
    seconds: float = 0.0


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
                 fallback: humidistat.Setpoints | None = None):
        s = settings or mpc.Settings()
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
        return mpc.Recent(np.where(np.isfinite(lo), lo, mid), np.where(np.isfinite(hi), hi, mid),
                          np.where(np.isfinite(mean), mean, mid))

    def observe(self, now_s: float, obs: Observation) -> None:
        """Update the state estimate with one step's readings (taken at ``now_s``)."""
        self._rh.append((now_s, obs.rh))
        self._relic.append(np.asarray(obs.relic_rh, float))
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
            p = mpc.plan(self.hall, est.state, f, est.devices(self.devices), self.bands, self.recent(), self.state,
                         self.settings, allowed, fixed)
            step = self._finish(now_s, [bool(x) for x in p.first], "mpc", ctx, p, started)
        self._last = step.on
        return step
