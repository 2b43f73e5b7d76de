"""simulation.forecast_inputs: inputs are used only where they beat the series-only model on its own past."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.backtest import cut_windows, score
from simulation.forecast import forecast_many
from simulation.forecast_inputs import INPUTS_PREFIX, SERIES_REGRESSION, Input, forecast_with_inputs

ROOT = Path(__file__).resolve().parents[1]
STEP = 600.0  # 10 min
H = 72  # 12 h


def driven_room(days: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outdoor temperature wandering without a daily cycle (AR(1), 12 h memory) and a room
    that follows it with a 6 h time constant, plus sensor noise. Only the outdoor series
    tells where the room is going."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400 / STEP)
    a = np.exp(-STEP / (12 * 3600))
    x = np.empty(n)
    x[0] = 10.0
    for i in range(1, n):
        x[i] = 10.0 + a * (x[i - 1] - 10.0) + 1.2 * rng.standard_normal()
    b = np.exp(-STEP / (6 * 3600))
    y = np.empty(n)
    y[0] = 15.0
    for i in range(1, n):
        y[i] = b * y[i - 1] + (1 - b) * (5.0 + x[i - 1])
    return y + 0.02 * rng.standard_normal(n), x


def windows(y: np.ndarray, x: np.ndarray, hist: int, every: int):
    win = cut_windows(y, hist, H, every)
    pad = np.concatenate([np.full(hist - 1, np.nan), x])
    xs = np.lib.stride_tricks.sliding_window_view(pad, hist)[win.origin].copy()
    return win, xs


def test_an_input_that_drives_the_room_is_chosen_and_beats_the_series_alone() -> None:
    y, x = driven_room(30)
    hist = int(21 * 86400 / STEP)
    win, xs = windows(y, x, hist, 97)
    win_y, xs = win.history[-6:], xs[-6:]
    future = win.future[-6:]
    alone = forecast_many(win_y, STEP, H)
    rep = forecast_with_inputs(win_y, STEP, H, [Input("outdoor_temperature", xs, same_unit=True)])
    with_x = rep.batch
    leads = np.array([35, 71])
    e_alone = score(future, alone.mean, leads).mae
    e_x = score(future, with_x.mean, leads).mae
    assert e_x[0] < 0.8 * e_alone[0], (e_x, e_alone)  # 6 h: the outdoor state still tells
    assert e_x[1] <= 1.02 * e_alone[1]  # 12 h: its 12 h memory is mostly gone, and so is the gain
    assert rep.use.mean() > 0.6
    assert all(str(m).startswith(INPUTS_PREFIX) for m in with_x.models[:, 35])
    # the evidence: cross-validated MAE with inputs below the series-only model and persistence
    assert np.all(rep.mae["inputs"][:, :3] < 0.8 * rep.mae["series"][:, :3])  # up to 2 h
    assert np.nanmean(rep.mae["inputs"]) < np.nanmean(rep.mae["persistence"])
    assert np.all(with_x.lower <= with_x.mean) and np.all(with_x.mean <= with_x.upper)


def test_a_useless_input_is_not_used() -> None:
    y, _ = driven_room(30, seed=1)
    noise = np.random.default_rng(5).standard_normal(y.size)
    hist = int(21 * 86400 / STEP)
    win, xs = windows(y, noise, hist, 97)
    rep = forecast_with_inputs(win.history[-4:], STEP, H, [Input("visitors", xs[-4:])])
    base = forecast_many(win.history[-4:, -int(14 * 86400 / STEP):], STEP, H)
    assert rep.use.mean() < 0.1
    models = rep.batch.models.astype(str)
    assert not np.char.startswith(models, INPUTS_PREFIX).any()  # nor averaged in
    # where neither the inputs nor the regression on the series' own features is used, the
    # forecast is the series-only forecaster's
    unused = models != SERIES_REGRESSION
    np.testing.assert_array_equal(rep.batch.mean[unused], base.mean[unused])


def test_no_inputs_is_the_series_only_forecast_and_shapes_are_checked() -> None:
    y, x = driven_room(16, seed=2)
    plain = forecast_with_inputs(y, STEP, H, []).batch
    np.testing.assert_array_equal(plain.mean, forecast_many(y[-2016:], STEP, H).mean)
    with pytest.raises(ValueError, match="shape"):
        forecast_with_inputs(y, STEP, H, [Input("outdoor", x[:-5])])



# --- relic-twin forecast --hall H --sensor S (from the store) -----------------


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory):
    """A SQLite store holding 20 days of a room sensor S1 (T, RH) and an outdoor sensor OUT in hall h1."""
    from datetime import UTC, datetime, timedelta

    from bridge.readings import Reading
    from bridge.store import Store

    d = tmp_path_factory.mktemp("store")
    y, x = driven_room(20, seed=4)
    rh = 50.0 + 0.8 * (y - y.mean())
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    rows = []
    for i in range(y.size):
        t = t0 + timedelta(seconds=i * STEP)
        rows += [Reading("S1", "temperature", t, float(y[i]), "°C", hall="h1"),
                 Reading("S1", "relative_humidity", t, float(rh[i]), "%RH", hall="h1"),
                 Reading("OUT", "temperature", t, float(x[i]), "°C", hall="h1"),
                 Reading("OUT", "relative_humidity", t, 70.0, "%RH", hall="h1")]
    store = Store.open(None, d)
    store.add_readings(rows)
    store.close()
    return d


def test_forecast_command_reads_the_store_and_prints_evidence(store_dir) -> None:
    """The README's ``relic-twin forecast --hall HALL --sensor ID --hours 12``, as a user types it."""
    done = subprocess.run(
        [sys.executable, "-m", "twin_engine.cli", "forecast", "--hall", "h1", "--sensor", "S1", "--quantity",
         "temperature", "--hours", "12", "--history", "20d", "--outdoor", "OUT", "--data-dir", str(store_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "h1 / S1 · temperature" in out and "outdoor_temperature@OUT" in out
    for word in ("persistence 保持最新值", "series only 仅本序列", "with inputs 含输入", "95 % band"):
        assert word in out
    assert len([line for line in out.splitlines() if " h  2026-03-21 " in line]) == 12  # one line an hour
    # every model's cross-validated MAE is printed with its skill against persistence
    skill = {line.split()[0]: float(line.split()[-1].rstrip("%")) for line in out.splitlines()
             if line.split()[:1] in (["persistence"], ["series"], ["with"])}
    assert skill["persistence"] == 0.0
    assert skill["with"] > skill["series"] > 0.0


def test_forecast_command_bad_sensor_is_a_clear_error(store_dir, capsys: pytest.CaptureFixture[str]) -> None:
    from bridge.cli.forecast import forecast_main

    rc = forecast_main(["--hall", "h1", "--sensor", "NOPE", "--data-dir", str(store_dir)])
    err = capsys.readouterr().err
    assert rc == 1 and "NOPE" in err and "无此传感器" in err and "Traceback" not in err
