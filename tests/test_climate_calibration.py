"""Calibration: Guideline 14 figures, parameter recovery on synthetic data, and a real house."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simulation import calibration as ca
from simulation import climate as cl

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "candanedo-house-2016"
ROOM = cl.HallGeometry(floor=np.array([[0, 0], [5, 0], [5, 5], [0, 5]], float), height=2.7,
                       probes=(cl.Probe("room", np.array([2.5, 2.5])),))


def test_hourly_metrics_follow_guideline_14_definitions():
    ts = np.arange(0, 4 * 3600, 600.0)  # 4 hours of 10-minute samples
    y = np.repeat([20.0, 22.0, 24.0, 26.0], 6)
    sim = y - 1.0  # the model is 1 K too cold every hour
    m = ca.hourly_metrics(ts, y, sim, n_params=1)
    # hourly means 20..26, mean 23; CV = 100 sqrt(4 * 1 / (4 - 1)) / 23; NMBE = 100 * 4 / (3 * 23)
    assert m.hours == 4
    assert m.cv_rmse_pct == pytest.approx(100 * np.sqrt(4 / 3) / 23)
    assert m.nmbe_pct == pytest.approx(100 * 4 / (3 * 23))
    assert m.bias == pytest.approx(-1.0) and m.rmse == pytest.approx(1.0)
    assert m.passes
    y_missing = y.copy()
    y_missing[:6] = np.nan  # a missing hour drops out
    assert ca.hourly_metrics(ts, y_missing, sim).hours == 3
    assert not ca.hourly_metrics(ts, y, 0.5 * y).passes


def test_fit_recovers_air_exchange_and_gain_from_synthetic_record():
    n = 6 * 24 * 3
    ts = np.arange(n) * 600.0
    day = 2 * np.pi * ts / 86400
    t_out = 6.0 + 5.0 * np.sin(day)
    rh_out = 85.0 - 10.0 * np.sin(day)
    heat = np.where(np.sin(day + 1.0) > 0.3, 1200.0, 0.0)
    base = cl.ClimateSettings(hvac_supply_m3_h=0.0)
    truth = replace(base, infiltration_ach=0.9, internal_gain_w_m2=6.0)
    empty = np.full((n, 1), np.nan)
    record = ca.CalibrationData(ts, empty, empty, t_out, rh_out, heat, ROOM)
    t_sim, rh_sim = ca.simulate_record(replace(record, t_in=np.full((n, 1), 18.0), rh_in=np.full((n, 1), 50.0)),
                                       truth)
    rng = np.random.default_rng(7)
    data = replace(record, t_in=t_sim + rng.normal(0, 0.05, t_sim.shape), rh_in=rh_sim + rng.normal(0, 0.3, t_sim.shape))
    report = ca.calibrate(data, train_days=2, test_days=1, params=["infiltration_ach", "internal_gain_w_m2"],
                          base=base, max_nfev=8)
    assert report.parameters["infiltration_ach"] == pytest.approx(0.9, rel=0.1)
    assert report.parameters["internal_gain_w_m2"] == pytest.approx(6.0, rel=0.15)
    assert report.temperature.passes and report.relative_humidity.passes
    assert report.temperature.rmse < 0.1
    figures = report.figures()
    assert figures["limits"] == {"cv_rmse_pct": 30.0, "nmbe_pct": 10.0} and figures["held_back_days"] == 1


def test_fit_refuses_unknown_parameters():
    n = 10
    z = np.zeros(n)
    data = ca.CalibrationData(np.arange(n) * 600.0, z[:, None], z[:, None], z, z, z, ROOM)
    with pytest.raises(ValueError, match="wall_u"):
        ca.fit(data, slice(0, n), ["wall_u"])


def load_candanedo(room: str, start: str, days: float, step: str = "30min"):
    import pandas as pd

    df = pd.read_csv(SHARED / "energy_weather_temp.zip", compression="zip", parse_dates=["date"],
                     skipinitialspace=True, na_values=["NA", "NaN"]).set_index("date")
    df = df.loc[start: pd.Timestamp(start) + pd.Timedelta(days=days) - pd.Timedelta(minutes=10)]
    # weather is hourly: interpolate in time; energy is Wh per 10 min -> W
    weather = df[["T_out", "RH_out"]].interpolate("time", limit_direction="both")
    heat = 6.0 * df[["ElectricHeater", "Appliances", "lights"]].sum(axis=1)
    frame = pd.DataFrame({"t": df[f"T{room}"], "rh": df[f"RH_{room}"], "t_out": weather["T_out"],
                          "rh_out": weather["RH_out"], "heat": heat}).resample(step).mean()
    ts = (frame.index - frame.index[0]).total_seconds().to_numpy(float)
    return ca.CalibrationData(ts, frame[["t"]].to_numpy(float), frame[["rh"]].to_numpy(float),
                              frame["t_out"].to_numpy(float), frame["rh_out"].to_numpy(float),
                              frame["heat"].fillna(0.0).to_numpy(float), ROOM)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/candanedo-house-2016")
def test_candanedo_living_room_meets_guideline_14_on_held_back_days():
    """Living room (T2/RH_2), February 2016: fit on 7 days, judge on the next 3 (30-min steps).

    The house's heating is not in the record, so it enters as a thermostat (HVAC with a fitted
    setpoint and capacity, no humidity control).
    """
    data = load_candanedo("2", "2016-02-01", 10)
    base = cl.ClimateSettings(hvac_supply_m3_h=300.0, hvac_sensible_kw=2.0, hvac_latent_kg_h=0.0, hvac_gain=1.0)
    report = ca.calibrate(data, train_days=7, test_days=3,
                          params=["infiltration_ach", "hvac_setpoint_c", "hvac_factor", "moisture_gain_g_h_m2"],
                          base=base, max_nfev=4)
    print(report.figures())
    test = data.times_s >= 7 * 86400
    t_raw, rh_raw = ca.simulate_record(data, base)
    raw_t = ca.hourly_metrics(data.times_s[test], data.t_in[test], t_raw[test])
    raw_rh = ca.hourly_metrics(data.times_s[test], data.rh_in[test], rh_raw[test])
    assert report.temperature.hours >= 60
    assert report.temperature.passes and report.relative_humidity.passes
    assert report.temperature.rmse < raw_t.rmse and report.relative_humidity.rmse < raw_rh.rmse
    assert report.temperature.rmse < 3.0 and report.relative_humidity.rmse < 5.0
