"""Forecast skill on real display-case data (tests/data/forecast/case1_slice.csv, MIT)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from simulation.backtest import rolling_backtest
from simulation.forecast import forecast_many

CASE = Path(__file__).parent / "data" / "forecast" / "case1_slice.csv"
STEP = 900.0


def load() -> dict[str, np.ndarray]:
    with CASE.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2688
    return {k: np.array([float(r[k]) for r in rows]) for k in ("temp", "RH")}


@pytest.fixture(scope="module")
def scores() -> dict[str, dict]:
    data = load()
    return {k: rolling_backtest(v, STEP, 48, np.array([23, 47]), every_steps=13) for k, v in data.items()}


def test_temperature_beats_persistence_and_holt(scores: dict[str, dict]) -> None:
    r = scores["temp"]
    ratio = r["ours"].mae / r["persistence"].mae
    assert np.all(ratio < 0.75), ratio
    assert np.all(r["ours"].mae < r["holt24"].mae)
    assert r["ours"].count.min() > 50


def test_whole_percent_rh_no_worse_than_persistence(scores: dict[str, dict]) -> None:
    r = scores["RH"]
    assert np.all(r["ours"].mae <= 1.02 * r["persistence"].mae), r["ours"].mae / r["persistence"].mae


@pytest.fixture(scope="module")
def coverage() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Coverage of the nominal 95 % band at every 4th lead of the 12 h horizon: (coverage, count)."""
    out = {}
    for k, v in load().items():
        ours = rolling_backtest(v, STEP, 48, np.arange(0, 48, 4), every_steps=13)["ours"]
        out[k] = (ours.coverage, ours.count)
    return out


def test_band_coverage_near_nominal(coverage: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """The 95 % band covers 93-97 % of real outcomes, per quantity and pooled (about 2 300 windows
    each; the standard error of a coverage near 95 % is then 0.5 %). A 90 % band labelled 95 % covers
    about 91 % here and fails; each lead (about 190 windows, standard error 1.6 %) within 90-98.5 %."""
    pooled_hits = pooled_n = 0.0
    for k, (cov, n) in coverage.items():
        assert n.min() > 150, (k, n)
        share = float((cov * n).sum() / n.sum())
        assert 0.93 <= share <= 0.97, (k, share)  # 94.1 % (T) and 96.4 % (RH) here
        assert np.all((cov >= 0.90) & (cov <= 0.985)), (k, cov)
        pooled_hits += float((cov * n).sum())
        pooled_n += float(n.sum())
    assert 0.93 <= pooled_hits / pooled_n <= 0.97, pooled_hits / pooled_n


def test_gappy_real_series_still_forecasts() -> None:
    t = load()["temp"][-14 * 96 :].copy()
    rng = np.random.default_rng(0)
    holes = rng.choice(t.size - 10, 120, replace=False)
    t[holes] = np.nan  # scattered flagged readings
    t[400:520] = np.nan  # a 30 h outage
    fc = forecast_many(np.stack([t, load()["RH"][-14 * 96 :]]), STEP, 48)
    assert np.isfinite(fc.mean).all() and np.all(fc.lower <= fc.upper)
