"""The twin as controller: model-predictive planning of on/off actuators over the next hours.

Every control step (10 min by default) the planner

1. takes the reduced hall model (:mod:`simulation.control.hall_model`) started from the
   estimated state (:mod:`simulation.control.estimator`), the forecast of outdoor weather and
   visitors, and the disturbance the estimator has seen (held constant over the horizon);
2. builds the candidate on/off plans of a small family: a first combination of device states
   held for L1 steps, a second for L2, a third to the horizon (L1, L2 from 10 min to 8 h; a
   space is never humidified and dehumidified at once; the first combination limited to what
   the interlocks allow now) - about 1 700 plans for a dehumidifier and a humidifier;
3. runs them all at once through the reduced model (batched numpy, exact RH, no linearisation)
   and scores each;
4. applies the first step of the cheapest plan; the rest is only its reason (the audit keeps it).

The objective is the relics' own, in this order of weight: time outside each relic's RH band
(with a margin); outside the EN 15757 band of the relic's own history (``en15757``: the
seasonal cycle, a 30-day mean, plus the 7th/93rd percentiles of the fluctuations around it,
never narrower than ±10 %RH: :func:`simulation.en15757.live_band`), an explicit term of its own;
the 24 h change beyond a share of each relic's ``max_change_24h`` (its limit from the material
profile, the Bizot/ASHRAE 24 h limits); temperature outside the relics' temperature bands when
an air conditioner is planned; closeness to a slow reference (the last 24 h mean, clipped into
the band: a plan that holds the RH where the relics already are needs neither energy nor
swings), then energy (the machines' and the air conditioner's, at its COP) and switching.

With an air conditioner (``setpoints``), each on/off plan is tried at each candidate set point
held over the horizon (warmer air holds the same water at a lower RH: conservation heating),
and its mode follows the planned power (heat or cool).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from numpy.typing import NDArray

from simulation.control import hall_model as hm
from simulation.control.devices import Device


@dataclass(frozen=True)
class Bands:
    """Each relic's RH limits, (n_relics,) float %RH: low, high, max_change_24h (peak to peak)."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    max_change_24h: NDArray[np.float64]
    t_low: NDArray[np.float64] | None = None  # (n_relics,) °C, when the temperature is planned too
    t_high: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class Recent:
    """Measured relic RH over the last 24 h, (n_relics,) %RH: min, max and mean; en15757_low,
    en15757_high : the EN 15757 band of each relic's own record now (NaN or None: no record yet)."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    mean: NDArray[np.float64]
    en15757_low: NDArray[np.float64] | None = None
    en15757_high: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class Weights:
    """Cost per hour of each fault (model choices, tuned on the demo hall's weather, see
    benchmarks/control.py). RH terms are per relic per (%RH)² h."""

    band: float = 60.0  # outside band minus margin
    en15757: float = 20.0  # outside the EN 15757 band of the relic's own history (what it is used to)
    temperature: float = 60.0  # outside the relics' temperature band, per relic per K² h (AC planned): 1 K out as bad as 1 %RH
    swing: float = 3.0  # beyond the share of the 24 h limit
    track: float = 0.3  # away from the reference
    energy_kwh: float = 15.0  # per kWh of electricity
    switch: float = 150.0  # per switch now (compressor wear, swings from cycling)
    margin_rh: float = 1.75  # %RH kept from each band edge (1.0 saves 4 % kWh but loses 1.3 points of time in band:
    #                           benchmarks/control.py, 2026-12-07)
    track_deadband_rh: float = 2.5  # %RH either side of the reference that costs nothing (no chasing noise)
    swing_share: float = 1.0  # share of max_change_24h the plan may use
    setpoint_change: float = 20.0  # per K the air conditioner's set point moves now
    cop: float = 3.0  # air conditioner's heat moved per electric W (a split unit's seasonal COP is 3-4:
    #                   EU Regulation 206/2012 minimum SCOP 3.4 / SEER 4.6 for new units; the safe side)


@dataclass(frozen=True)
class Settings:
    """step_s : control step, s; horizon_steps : steps planned;
    substeps : model steps per control step; dwell_s : the planner keeps a device's state at
    least this long after switching it (stricter than the interlocks' minimum times: an on/off
    plan relaxed to duties would otherwise chatter between neighbouring decisions)."""

    step_s: float = 600.0
    horizon_steps: int = 72  # 12 h
    substeps: int = 2
    dwell_s: float = 1800.0
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Plan:
    """first : (n_devices,) bool, the move to apply now; duty : (n_steps, n_devices) the plan;
    relic_rh : (n_steps, n_relics) %RH predicted under the plan; free_rh : the same with all off;
    cost : total; terms : cost by term; candidates : cost of every first move tried;
    setpoint °C and ac_mode ("heat" | "cool") of the air conditioner (None: none planned)."""

    first: NDArray[np.bool_]
    duty: NDArray[np.float64]
    relic_rh: NDArray[np.float64]
    free_rh: NDArray[np.float64]
    cost: float
    terms: dict[str, float]
    candidates: dict[tuple[bool, ...], float]
    setpoint: float | None = None
    ac_mode: str | None = None


SEGMENT_STEPS = (1, 2, 3, 4, 6, 9, 12, 18, 24, 36, 48)
"""Lengths (control steps) a plan's first and second segments may have."""


def candidate_plans(modes: Sequence[tuple[bool, ...]], first: Sequence[tuple[bool, ...]], n: int
                    ) -> NDArray[np.bool_]:
    """On/off plans over n steps, (b, n, n_devices): a first mode (one of ``first``) held for
    L1 steps, then another for L2, then a third to the end (L1, L2 from :data:`SEGMENT_STEPS`);
    and each first mode held throughout. ``modes`` are the allowed device combinations."""
    out: dict[tuple, None] = {}
    for m0 in first:
        out[((m0, n),)] = None
        for m1 in modes:
            if m1 == m0:
                continue
            for l1 in SEGMENT_STEPS:
                if l1 >= n:
                    continue
                out[((m0, l1), (m1, n - l1))] = None
                for m2 in modes:
                    if m2 == m1:
                        continue
                    for l2 in SEGMENT_STEPS:
                        if l1 + l2 < n:
                            out[((m0, l1), (m1, l2), (m2, n - l1 - l2))] = None
    plans = np.zeros((len(out), n, len(modes[0])), bool)
    for i, segs in enumerate(out):
        k = 0
        for mode, length in segs:
            plans[i, k:k + length] = mode
            k += length
    return plans


def costs(rh: NDArray, plans: NDArray, current: Sequence[bool], bands: Bands, recent: Recent,
          power: NDArray, step_h: float, w: Weights, t: NDArray | None = None,
          hvac_w: NDArray | None = None) -> dict[str, NDArray[np.float64]]:
    """Cost terms of each plan: rh (b, n, r) predicted relic RH, plans (b, n, d) on/off -> {term: (b,)};
    t (b, n) hall °C and hvac_w (b, n) the air handler's W when an air conditioner is planned."""
    lo, hi = bands.low + w.margin_rh, bands.high - w.margin_rh
    allowance = w.swing_share * bands.max_change_24h
    ref = reference(bands, recent, w.margin_rh)
    band = np.maximum(lo - rh, 0.0) ** 2 + np.maximum(rh - hi, 0.0) ** 2
    # the 24 h corridor never holds a relic outside its band: moving back into the band is no swing fault
    swing = (np.maximum(rh - np.maximum(recent.low + allowance, lo), 0.0) ** 2
             + np.maximum(np.minimum(recent.high - allowance, hi) - rh, 0.0) ** 2)
    prev = np.concatenate([np.broadcast_to(np.asarray(current, bool), (plans.shape[0], 1, plans.shape[2])), plans],
                          axis=1)
    out = {
        "band": w.band * step_h * band.sum(axis=(1, 2)),
        "swing": w.swing * step_h * swing.sum(axis=(1, 2)),
        "track": w.track * step_h * (np.maximum(np.abs(rh - ref) - w.track_deadband_rh, 0.0) ** 2).sum(axis=(1, 2)),
        "energy": w.energy_kwh * step_h * (plans @ power).sum(axis=1) / 1e3,
        "switch": w.switch * (prev[:, 1:] != prev[:, :-1]).sum(axis=(1, 2)),
    }
    out["en15757"] = w.en15757 * step_h * en15757_excess(rh, recent).sum(axis=(1, 2))
    if t is not None and bands.t_low is not None and bands.t_high is not None:
        tt = np.asarray(t)[..., None]
        out["temperature"] = w.temperature * step_h * (np.maximum(bands.t_low - tt, 0.0) ** 2
                                                       + np.maximum(tt - bands.t_high, 0.0) ** 2).sum(axis=(1, 2))
    if hvac_w is not None:
        out["energy"] = out["energy"] + w.energy_kwh * step_h * np.abs(hvac_w).sum(axis=1) / w.cop / 1e3
    return out


def en15757_excess(rh: NDArray, recent: Recent) -> NDArray[np.float64]:
    """(%RH)² outside each relic's EN 15757 band, same shape as rh (..., n_relics); 0 without a band."""
    if recent.en15757_low is None or recent.en15757_high is None:
        return np.zeros(np.shape(rh))
    lo = np.where(np.isfinite(recent.en15757_low), recent.en15757_low, -np.inf)
    hi = np.where(np.isfinite(recent.en15757_high), recent.en15757_high, np.inf)
    return np.maximum(lo - rh, 0.0) ** 2 + np.maximum(rh - hi, 0.0) ** 2


def reference(bands: Bands, recent: Recent, margin: float) -> NDArray[np.float64]:
    """(n_relics,) %RH: the last 24 h mean clipped into each band less the margin."""
    lo, hi = bands.low + margin, bands.high - margin
    return np.clip(recent.mean, lo, np.maximum(hi, lo))


def first_moves(devices: Sequence[Device], allowed: Sequence[Sequence[bool]] | None = None) -> list[tuple[bool, ...]]:
    """Candidate device combinations: each device on or off, never a humidifier and a dehumidifier
    of one space together; ``allowed[i]`` limits device i to the states listed (interlocks)."""
    opts = allowed if allowed is not None else [(False, True)] * len(devices)
    out = []
    for combo in product(*opts):
        spaces_dry = {d.space for d, on in zip(devices, combo, strict=True) if on and d.kind == "dehumidifier"}
        spaces_wet = {d.space for d, on in zip(devices, combo, strict=True) if on and d.kind == "humidifier"}
        if not spaces_dry & spaces_wet:
            out.append(tuple(bool(c) for c in combo))
    return out


def plan(hall: hm.LumpedHall, x0: hm.HallState, forcing: hm.Forcing, devices: Sequence[Device], bands: Bands,
         recent: Recent, current: Sequence[bool], settings: Settings | None = None,
         allowed: Sequence[Sequence[bool]] | None = None, fixed: Sequence[bool | None] | None = None,
         setpoints: Sequence[float] | None = None, current_setpoint: float | None = None) -> Plan:
    """The cheapest plan from state ``x0``.

    forcing : over ``settings.horizon_steps`` steps (forecast; disturbance estimate included)
    current : (n_devices,) the devices' state now (switching costs are counted against it)
    allowed : per device, the states the interlocks allow for the first move
    fixed : per device, a state it keeps through the whole plan (not the controller's to change:
        policy off, a manual override), or None
    setpoints : the air conditioner's candidate set points, °C (None: not planned; needs an air
        handler in ``hall``); current_setpoint : its set point now (moving it costs)
    """
    s = settings or Settings()
    n = s.horizon_steps
    fx = list(fixed) if fixed is not None else [None] * len(devices)
    whole = [(bool(f),) if f is not None else (False, True) for f in fx]
    modes = first_moves(devices, whole)
    first_opts = allowed if allowed is not None else [(False, True)] * len(devices)
    first = first_moves(devices, [w if f is not None else a for w, a, f in zip(whole, first_opts, fx, strict=True)])
    plans = candidate_plans(modes, first, n)
    sps = np.asarray(setpoints if setpoints is not None and hall.hvac_w > 0 else [np.nan], float)
    n_plans = len(plans)
    plans = np.tile(plans, (len(sps), 1, 1))
    t_set = np.repeat(sps, n_plans) if np.isfinite(sps).all() else None
    traj = hm.simulate(hall, x0, forcing, devices, plans.astype(float), s.step_s, s.substeps, t_set)
    power = np.array([d.power_w for d in devices])
    ac = t_set is not None
    terms = costs(traj.relic_rh, plans, current, bands, recent, power, s.step_s / 3600.0, s.weights,
                  traj.t if ac else None, traj.hvac_w if ac else None)
    if ac:
        now = current_setpoint if current_setpoint is not None else hall.t_set
        terms["setpoint"] = s.weights.setpoint_change * np.abs(t_set - now)
    total = sum(terms.values())
    i = int(np.argmin(total))
    by_first: dict[tuple[bool, ...], float] = {}
    for j in range(len(plans)):
        key = tuple(bool(x) for x in plans[j, 0])
        by_first[key] = min(by_first.get(key, np.inf), float(total[j]))
    free = next(j for j in range(len(plans)) if not plans[j].any()) if any(not any(m) for m in first) else i
    if ac:  # the free plan at the set point chosen
        free = int(i // n_plans) * n_plans + free % n_plans
    setpoint = float(t_set[i]) if ac else None
    mode = None if not ac or traj.hvac_w is None else ("heat" if traj.hvac_w[i, 0] >= 0 else "cool")
    return Plan(first=plans[i, 0].copy(), duty=plans[i].astype(float), relic_rh=traj.relic_rh[i],
                free_rh=traj.relic_rh[free], cost=float(total[i]), terms={k: float(v[i]) for k, v in terms.items()},
                candidates=by_first, setpoint=setpoint, ac_mode=mode)


def persistence_forecast(history: NDArray, steps_per_day: int, horizon: int) -> NDArray[np.float64]:
    """Diurnal persistence with the current offset: the value a day before each future step plus
    (now minus a day ago), relaxing to plain yesterday over 6 h (no weather service needed).

    history : (m,) float on the control grid, last = now, m >= steps_per_day  ->  (horizon,)
    """
    h = np.asarray(history, float)
    now = h[-1]
    k = np.arange(1, horizon + 1)
    if len(h) < steps_per_day:
        return np.full(horizon, now)
    yesterday = h[len(h) - steps_per_day + (k - 1) % steps_per_day]
    offset = now - h[-steps_per_day]
    return yesterday + offset * np.exp(-k / (steps_per_day / 4.0))
