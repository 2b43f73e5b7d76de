"""Calibration: fit the climate model's effective parameters to a hall's recorded history.

The model (:mod:`simulation.climate`) is run over the record, driven by the recorded outdoor
weather and measured gains, from the first recorded indoor state. Its effective parameters
(mixing, air exchange, envelope and HVAC factors, thermal mass, moisture buffer, constant gains)
are fitted by bounded least squares (scipy ``least_squares``) on the training days; the run then
continues, without ever seeing the indoor record again, over the held-back days, where the fit is
judged by ASHRAE Guideline 14-2014 hourly criteria:

* CV(RMSE) = 100 sqrt(sum (y - yhat)² / (n - p)) / mean(y)      limit 30 % (hourly)
* NMBE     = 100 sum (y - yhat) / ((n - p) mean(y))             limit ±10 % (hourly)

(ASHRAE Guideline 14-2014 "Measurement of Energy, Demand, and Water Savings", section 5.3.2.4.)
Guideline 14 was written for energy use, a ratio-scale quantity; on temperature in °C both
figures are scale-dependent and easy to meet, so the report also gives RMSE and bias in K and %RH.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from simulation import climate

# Guideline 14-2014 hourly calibration criteria (see module docstring).
CV_RMSE_LIMIT_PCT = 30.0
NMBE_LIMIT_PCT = 10.0

# Parameters that may be fitted, with bounds (physically plausible ranges; model choices).
BOUNDS: dict[str, tuple[float, float]] = {
    "eddy_diffusivity_m2_s": (0.005, 2.0),
    "infiltration_ach": (0.02, 5.0),
    "envelope_factor": (0.1, 10.0),
    "hvac_factor": (0.1, 3.0),
    "hvac_setpoint_c": (10.0, 28.0),  # for a record whose heating/cooling setpoint is not known
    "internal_mass_j_m2k": (1e4, 2e6),
    "mass_coupling_w_m2k": (1.0, 60.0),
    "buffer_capacity_g_m2_rh": (0.05, 50.0),
    "buffer_coupling_m_s": (1e-5, 1e-2),  # surface vapour transfer: with the capacity, the buffer's time constant
    "internal_gain_w_m2": (-30.0, 60.0),
    "moisture_gain_g_h_m2": (0.0, 30.0),
    "heat_gain_factor": (0.0, 3.0),  # multiplies the measured heat gains (heater/appliance energy)
}
# A house's plant (the Candanedo house: electric heaters, logged as ElectricHeater energy; see the
# dataset's SOURCE.md): it heats, never cools, and nothing in it humidifies or dehumidifies.
HOUSE_PLANT: dict[str, float] = {"hvac_cooling_factor": 0.0, "hvac_latent_kg_h": 0.0}
# Residual scales: 1 K of temperature weighs as much as RH_SCALE %RH.
RH_SCALE = 3.0


@dataclass(frozen=True)
class CalibrationData:
    """A recorded history on a regular step.

    times_s : (n,) s since the start, step = ``times_s[1] - times_s[0]``; t_in, rh_in : (n, p) °C / %RH
    at the geometry's p probes (NaN where missing); t_out, rh_out : (n,) °C / %RH, complete;
    heat_w : (n,) W of measured heat gains (0 if none); geometry : the hall (or room) with its probes.
    """

    times_s: NDArray[np.float64]
    t_in: NDArray[np.float64]
    rh_in: NDArray[np.float64]
    t_out: NDArray[np.float64]
    rh_out: NDArray[np.float64]
    heat_w: NDArray[np.float64]
    geometry: climate.HallGeometry


@dataclass(frozen=True)
class Metrics:
    """Hourly goodness of fit of one quantity: Guideline 14 figures and plain errors."""

    cv_rmse_pct: float
    nmbe_pct: float
    rmse: float
    bias: float  # mean(simulated - measured), unit of the quantity
    hours: int

    @property
    def passes(self) -> bool:
        return self.cv_rmse_pct <= CV_RMSE_LIMIT_PCT and abs(self.nmbe_pct) <= NMBE_LIMIT_PCT


@dataclass(frozen=True)
class CalibrationReport:
    """Fitted parameters and the held-back-day figures; ``figures()`` is what results show."""

    parameters: dict[str, float]
    train_days: float
    test_days: float
    temperature: Metrics
    relative_humidity: Metrics
    evaluations: int

    def figures(self) -> dict[str, object]:
        """Plain dict for JSON: metrics per quantity, limits, pass/fail."""
        return {
            "guideline": "ASHRAE Guideline 14-2014, hourly",
            "limits": {"cv_rmse_pct": CV_RMSE_LIMIT_PCT, "nmbe_pct": NMBE_LIMIT_PCT},
            "held_back_days": self.test_days,
            "train_days": self.train_days,
            "temperature": {**asdict(self.temperature), "passes": self.temperature.passes},
            "relative_humidity": {**asdict(self.relative_humidity), "passes": self.relative_humidity.passes},
            "parameters": self.parameters,
        }


def hourly_metrics(times_s: NDArray, measured: NDArray, simulated: NDArray, n_params: int = 0) -> Metrics:
    """Guideline 14 figures on hourly means.

    times_s : (n,) s; measured, simulated : (n,) or (n, p), NaN = missing  ->  Metrics
    """
    hour = np.floor(np.asarray(times_s) / 3600.0).astype(np.int64)
    y, yhat = np.asarray(measured, float), np.asarray(simulated, float)
    if y.ndim == 1:
        y, yhat = y[:, None], yhat[:, None]
    ys, ss = [], []
    for j in range(y.shape[1]):
        ok = np.isfinite(y[:, j]) & np.isfinite(yhat[:, j])
        hours, inv = np.unique(hour[ok], return_inverse=True)
        cnt = np.bincount(inv)
        ys.append(np.bincount(inv, y[ok, j]) / cnt)
        ss.append(np.bincount(inv, yhat[ok, j]) / cnt)
    yh, sh = np.concatenate(ys), np.concatenate(ss)
    n = len(yh)
    if n <= n_params:
        nan = float("nan")
        return Metrics(nan, nan, nan, nan, n)
    err = yh - sh
    mean = float(np.mean(yh))
    return Metrics(
        cv_rmse_pct=float(100.0 * np.sqrt(np.sum(err**2) / (n - n_params)) / mean),
        nmbe_pct=float(100.0 * np.sum(err) / ((n - n_params) * mean)),
        rmse=float(np.sqrt(np.mean(err**2))),
        bias=float(np.mean(sh - yh)),
        hours=n,
    )


def floor_area_perimeter(floor: NDArray) -> tuple[float, float]:
    """(area m², perimeter m) of a floor polygon (k, 2) m, open or closed (shoelace formula)."""
    x, y = np.asarray(floor, float).T
    area = float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)
    return area, float(np.sum(np.hypot(np.roll(x, -1) - x, np.roll(y, -1) - y)))


def model_for(geometry: climate.HallGeometry, settings: climate.ClimateSettings, dt_s: float,
              cell_m: float | None = None) -> climate.HallModel:
    """The climate model a record is run on: a grid of ``cell_m`` over the real floor, or (None) one
    well-mixed cell of the room's own size.

    The well-mixed cell is a square of the floor's area (so the air volume, roof and ground are the
    room's, whatever its shape: a 6 x 4 m room is 24 m², an L-shaped floor one cell too), its wall
    U-value scaled by perimeter / (4 sqrt(area)) so that the wall conductance U x height x length is
    that of the room's real walls. Doors, windows, vents and probes all act on that one cell.
    """
    if cell_m is not None:
        return climate.build_model(geometry, settings, cell_m=cell_m, dt_s=dt_s)
    area, perimeter = floor_area_perimeter(geometry.floor)
    if not area > 0.0:
        raise ValueError("the floor polygon has no area / 地面多边形面积为零")
    side = float(np.sqrt(area))
    square = np.array([[0.0, 0.0], [side, 0.0], [side, side], [0.0, side]])
    one = replace(settings, wall_u_w_m2k=settings.wall_u_w_m2k * perimeter / (4.0 * side))
    return climate.build_model(replace(geometry, floor=square), one, cell_m=side, dt_s=dt_s)


def simulate_record(data: CalibrationData, settings: climate.ClimateSettings, heat_gain_factor: float = 1.0,
                    cell_m: float | None = None) -> tuple[NDArray, NDArray]:
    """Run the model over the whole record; (t, rh) at the probes, each (n, p).

    The start state is the first complete indoor record (mean over probes), thermal mass and
    buffer in equilibrium with it. HVAC runs if ``settings.hvac_supply_m3_h > 0``. The model is
    :func:`model_for` (default: one well-mixed cell of the room's area and wall length).
    """
    dt = float(data.times_s[1] - data.times_s[0])
    model = model_for(data.geometry, settings, dt, cell_m)
    first = next(i for i in range(len(data.times_s)) if np.all(np.isfinite(data.t_in[i])))
    state = climate.initial_state(model, float(np.nanmean(data.t_in[first])), float(np.nanmean(data.rh_in[first])))
    n, p = data.t_in.shape
    t_sim = np.full((n, p), np.nan)
    rh_sim = np.full((n, p), np.nan)
    hvac = settings.hvac_supply_m3_h > 0
    for i in range(first, n):
        pt, prh, _, _ = climate.observe(model, state)
        t_sim[i], rh_sim[i] = pt, prh
        f = climate.Forcing(t_out_c=float(data.t_out[i]), rh_out=float(data.rh_out[i]), hvac_on=hvac,
                            heat_w=heat_gain_factor * float(data.heat_w[i]))
        state = climate.step(model, state, f)
    return t_sim, rh_sim


def _apply(base: climate.ClimateSettings, names: Sequence[str], x: NDArray) -> tuple[climate.ClimateSettings, float]:
    values: dict[str, Any] = dict(zip(names, (float(v) for v in x), strict=True))
    gain = float(values.pop("heat_gain_factor", 1.0))
    return replace(base, **values), gain


def fit(data: CalibrationData, train: slice, params: Sequence[str], base: climate.ClimateSettings | None = None,
        *, max_nfev: int = 40, spin_up_s: float = 86400.0,
        cell_m: float | None = None) -> tuple[climate.ClimateSettings, float, int]:
    """Fit ``params`` (keys of :data:`BOUNDS`) on the samples in ``train`` after a spin-up.

    ``cell_m``: grid of the model runs (default one well-mixed cell, see :func:`simulate_record`).

    Returns (fitted settings, heat gain factor, number of model runs).
    """
    base = base or climate.ClimateSettings()
    names = list(params)
    unknown = [k for k in names if k not in BOUNDS]
    if unknown:
        raise ValueError(f"cannot fit {unknown}; fittable: {sorted(BOUNDS)}")
    lo = np.array([BOUNDS[k][0] for k in names])
    hi = np.array([BOUNDS[k][1] for k in names])
    x0 = np.array([1.0 if k == "heat_gain_factor" else float(getattr(base, k)) for k in names])
    x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))
    scale = np.maximum(np.abs(x0), (hi - lo) * 0.01)
    idx = np.arange(len(data.times_s))[train]
    idx = idx[data.times_s[idx] >= data.times_s[idx[0]] + spin_up_s]
    stop = idx[-1] + 1
    cut = replace(data, times_s=data.times_s[:stop], t_in=data.t_in[:stop], rh_in=data.rh_in[:stop],
                  t_out=data.t_out[:stop], rh_out=data.rh_out[:stop], heat_w=data.heat_w[:stop])
    runs = 0

    def residual(z: NDArray) -> NDArray:
        nonlocal runs
        runs += 1
        s, gain = _apply(base, names, z * scale)
        t_sim, rh_sim = simulate_record(cut, s, gain, cell_m)
        r = np.concatenate([(t_sim[idx] - data.t_in[idx]).ravel(), ((rh_sim[idx] - data.rh_in[idx]) / RH_SCALE).ravel()])
        return np.where(np.isfinite(r), r, 0.0)

    sol = least_squares(residual, x0 / scale, bounds=(lo / scale, hi / scale), max_nfev=max_nfev, x_scale=1.0,
                        diff_step=1e-3)
    s, gain = _apply(base, names, sol.x * scale)
    return s, gain, runs


def calibrate(data: CalibrationData, train_days: float, test_days: float, params: Sequence[str],
              base: climate.ClimateSettings | None = None, *, max_nfev: int = 40,
              cell_m: float | None = None) -> CalibrationReport:
    """Fit on the first ``train_days``, report Guideline 14 figures on the next ``test_days``."""
    day = 86400.0
    t0 = data.times_s[0]
    train = slice(0, int(np.searchsorted(data.times_s, t0 + train_days * day)))
    test = (data.times_s >= t0 + train_days * day) & (data.times_s < t0 + (train_days + test_days) * day)
    s, gain, runs = fit(data, train, params, base, max_nfev=max_nfev, cell_m=cell_m)
    t_sim, rh_sim = simulate_record(data, s, gain, cell_m)
    p = len(params)
    fitted = {k: float(getattr(s, k)) for k in params if k != "heat_gain_factor"}
    if "heat_gain_factor" in params:
        fitted["heat_gain_factor"] = gain
    return CalibrationReport(
        parameters=fitted, train_days=train_days, test_days=test_days,
        temperature=hourly_metrics(data.times_s[test], data.t_in[test], t_sim[test], p),
        relative_humidity=hourly_metrics(data.times_s[test], data.rh_in[test], rh_sim[test], p),
        evaluations=runs,
    )
