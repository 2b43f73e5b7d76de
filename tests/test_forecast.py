"""simulation.forecast: the contract, robustness, and skill on synthetic series."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.backtest import rolling_backtest
from simulation.forecast import CHUNK, Forecast, ForecastSettings, forecast, forecast_many
from simulation.forecast_models import CANDIDATES, candidate_forecasts, holt_filter
from simulation.forecast_prep import fill_short_gaps, resolution, right_align, stale_steps

STEP = 900.0  # 15 min
DAY = 96


def daily(days: float, step_s: float = STEP, seed: int = 0, noise: float = 0.05) -> np.ndarray:
    """Indoor-like temperature: 20 degC, 1 K daily swing, slow drift, sensor noise."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400 / step_s)
    t = np.arange(n) * step_s / 86400.0
    drift = np.cumsum(rng.standard_normal(n)) * 0.01
    return 20.0 + np.sin(2 * np.pi * t) + drift + noise * rng.standard_normal(n)


# --- contract ---------------------------------------------------------------


def test_contract_shapes_order_and_purity() -> None:
    y = daily(14)
    before = y.copy()
    fc = forecast(y, STEP, 48)
    assert isinstance(fc, Forecast)
    for a in (fc.mean, fc.lower, fc.upper):
        assert a.shape == (48,) and np.isfinite(a).all()
    assert np.all(fc.lower <= fc.mean) and np.all(fc.mean <= fc.upper)
    assert np.array_equal(y, before)  # input untouched
    again = forecast(y, STEP, 48)
    assert np.array_equal(fc.mean, again.mean) and np.array_equal(fc.upper, again.upper)
    assert fc.model in CANDIDATES or fc.model.startswith("half:")
    assert len(fc.models) == 48


def test_band_never_narrows_with_lead() -> None:
    fc = forecast(daily(10, seed=3), STEP, 48)
    assert np.all(np.diff(fc.upper - fc.mean) >= -1e-9)
    assert np.all(np.diff(fc.mean - fc.lower) >= -1e-9)
    assert (fc.upper - fc.lower)[-1] > (fc.upper - fc.lower)[0]


def test_batch_matches_single_across_chunks() -> None:
    rows = np.stack([daily(3, seed=s) for s in range(CHUNK + 3)])
    batch = forecast_many(rows, STEP, 24)
    assert batch.mean.shape == (CHUNK + 3, 24) and len(batch) == CHUNK + 3
    for i in (0, CHUNK - 1, CHUNK, CHUNK + 2):
        one = forecast(rows[i], STEP, 24)
        np.testing.assert_allclose(batch.mean[i], one.mean, rtol=0, atol=1e-5)
        np.testing.assert_allclose(batch.upper[i], one.upper, rtol=0, atol=1e-5)
        assert batch[i].models == one.models
    # more sensors than readings: the chunks run over the sensors
    short = rows[:, -10:]
    few = forecast_many(short, STEP, 4)
    assert few.mean.shape == (CHUNK + 3, 4)
    for i in (0, CHUNK + 2):
        np.testing.assert_allclose(few.upper[i], forecast(short[i], STEP, 4).upper, rtol=0, atol=1e-9)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        forecast(np.zeros((2, 3)), STEP, 4)
    with pytest.raises(ValueError):
        forecast(np.zeros(10), STEP, 4, level=1.0)
    with pytest.raises(ValueError):
        forecast(np.zeros(10), STEP, 0)


# --- skill ------------------------------------------------------------------


def test_daily_cycle_beats_persistence_with_calibrated_band() -> None:
    y = daily(30, seed=1)
    leads = np.array([23, 47])
    r = rolling_backtest(y, STEP, 48, leads, every_steps=29)
    ratio = r["ours"].mae / r["persistence"].mae
    assert np.all(ratio < 0.5), ratio  # the daily swing is predictable
    assert np.all(r["ours"].mae < r["holt24"].mae)
    assert np.all((r["ours"].coverage > 0.85) & (r["ours"].coverage <= 1.0)), r["ours"].coverage


def test_random_walk_falls_back_to_persistence() -> None:
    rng = np.random.default_rng(7)
    y = 50 + np.cumsum(rng.standard_normal(30 * DAY)) * 0.2
    r = rolling_backtest(y, STEP, 48, np.array([23, 47]), every_steps=29)
    ratio = r["ours"].mae / r["persistence"].mae
    assert np.all(ratio < 1.05), ratio
    fc = forecast(y[-14 * DAY :], STEP, 48)
    assert np.mean(np.array(fc.models) == "persistence") > 0.5


def _weak_cycle(days: float, seed: int) -> np.ndarray:
    """A wandering room with a faint daily swing (0.3 K against 0.08 K of random walk per step)."""
    rng = np.random.default_rng(seed)
    n = int(days * DAY)
    return 50 + 0.3 * np.sin(2 * np.pi * np.arange(n) / DAY) + np.cumsum(rng.standard_normal(n)) * 0.08


def test_weak_daily_cycle_gets_a_half_step_only_with_enough_windows() -> None:
    y = _weak_cycle(14, seed=1)
    fc = forecast(y, STEP, 48)
    assert fc.models[-1].startswith("half:"), fc.models  # 26 windows at 12 h: a half step is worth it
    strict = forecast(y, STEP, 48, settings=ForecastSettings(min_skill_z_half=2.61))
    assert strict.models[-1] == "persistence"  # the full-size evidence is not there
    fine = forecast(np.round(y, 2), STEP, 48)  # logged to 0.01 K, a grid far finer than the changes (0.08 K)
    assert fine.models[-1].startswith("half:"), fine.models
    short = forecast(y[-4 * DAY :], STEP, 48)  # 4 days: fewer than 20 windows at any lead
    assert set(short.models) == {"persistence"}


def test_weak_cycle_half_steps_pay_out_of_sample() -> None:
    r = rolling_backtest(_weak_cycle(45, seed=2), STEP, 48, np.array([23, 47]), every_steps=29)
    ratio = r["ours"].mae / r["persistence"].mae
    assert np.all(ratio < 0.99), ratio


def _ar1(n: int, phi: float, sd: float, seed: int) -> np.ndarray:
    """A slowly wandering, mean-reverting series: x_i = phi x_(i-1) + sd e_i, from 0."""
    rng = np.random.default_rng(seed)
    e = sd * rng.standard_normal(n - 1)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i - 1]
    return x


def test_coarse_grid_logger_keeps_persistence_on_weak_evidence() -> None:
    # whole-%RH logger on a slowly wandering case: a half step rounds to nothing or a whole
    # step, so it needs the full evidence; with the old rule it lost 3 % to persistence here
    n = 45 * DAY
    y = np.round(50 + _ar1(n, 0.995, 0.15, seed=0) + 0.5 * np.sin(2 * np.pi * np.arange(n) / DAY))
    r = rolling_backtest(y, STEP, 48, np.array([23, 47]), every_steps=29)
    ratio = r["ours"].mae / r["persistence"].mae
    assert np.all(ratio <= 1.0 + 1e-9), ratio
    assert np.all((r["ours"].coverage >= 0.92) & (r["ours"].coverage <= 0.975)), r["ours"].coverage


def test_replay_rejects_a_skill_seen_only_before_it_could_be_used() -> None:
    from simulation.forecast import DEFAULT_SETTINGS, _online_pays

    r, h = 40, 1
    ae = np.ones((2, 2, r, h), dtype=np.float32)  # (candidate, sensor, origin, lead)
    ae[1, 0] = 0.5  # sensor 0: the candidate is steadily better
    ae[1, 1, :12] = 0.1  # sensor 1: better only in the first 12 windows, then slightly worse
    ae[1, 1, 12:] = 1.05
    assert ae[1, 1].mean() < 0.97 * ae[0, 1].mean()  # its backtest MAE still wins
    weight = np.ones((2, r, h), dtype=np.float32)
    pays = _online_pays(ae, weight, np.array([1]), DEFAULT_SETTINGS)
    assert pays[:, 0].tolist() == [True, False]


def test_whole_percent_band_is_centred_off_the_grid() -> None:
    # a buffered case logged in whole %RH: most 12 h changes are 0 or 1 step, so a band
    # centred on the rounded reading covers 0, 1 or 2 steps and nothing between
    y = np.round(50.3 + _ar1(45 * DAY, 0.998, 0.2, seed=1))
    leads = np.array([23, 47])
    ours = rolling_backtest(y, STEP, 48, leads, every_steps=29)["ours"]
    on_grid = rolling_backtest(y, STEP, 48, leads, every_steps=29, settings=ForecastSettings(grid_centre_s=0))["ours"]
    assert np.all(on_grid.coverage > 0.97), on_grid.coverage  # what centring fixes
    assert np.all((ours.coverage >= 0.92) & (ours.coverage <= 0.97)), ours.coverage
    np.testing.assert_array_equal(forecast(y, STEP, 48).mean % 1.0, 0.0)  # the forecast stays on the grid


def test_hourly_and_minute_steps() -> None:
    y = daily(14, step_s=3600.0, seed=2)
    fc = forecast(y, 3600.0, 12)
    assert fc.mean.shape == (12,) and np.isfinite(fc.upper).all()
    r = rolling_backtest(daily(40, step_s=3600.0, seed=2), 3600.0, 12, np.array([5, 11]), every_steps=7)
    assert np.all(r["ours"].mae < 0.7 * r["persistence"].mae)
    y1 = daily(2, step_s=60.0, seed=4)
    fc1 = forecast(y1, 60.0, 60)
    assert fc1.mean.shape == (60,) and np.all(fc1.lower <= fc1.upper)


# --- robustness ---------------------------------------------------------------


def test_gaps_stale_end_all_nan_and_constant() -> None:
    y = daily(10, seed=5)
    y[300:310] = np.nan  # short gap: bridged
    y[500:700] = np.nan  # long gap: left out of scoring
    fc = forecast(y, STEP, 48)
    assert np.isfinite(fc.mean).all() and np.isfinite(fc.lower).all()
    assert set(fc.models) != {"persistence"}  # the windows around the gap drop out; the cycle is still forecast

    stale = y.copy()
    stale[-4:] = np.nan  # silent for an hour: forecast from the last reading, 4 leads further out
    fs = forecast(stale, STEP, 48)
    assert np.isfinite(fs.mean).all()
    assert (
        fs.upper[0] - fs.lower[0] >= forecast(stale[:-4], STEP, 48).upper[0] - forecast(stale[:-4], STEP, 48).lower[0]
    )

    dead = y.copy()
    dead[-2 * DAY :] = np.nan  # silent for two days: no forecast
    fd = forecast(dead, STEP, 48)
    assert np.isnan(fd.mean).all() and fd.model == "none"

    fn = forecast(np.full(200, np.nan), STEP, 12)
    assert np.isnan(fn.mean).all() and fn.model == "none"

    fcst = forecast(np.full(3 * DAY, 21.5), STEP, 12)
    np.testing.assert_array_equal(fcst.mean, 21.5)
    assert np.all(fcst.lower <= 21.5) and np.all(fcst.upper >= 21.5)


def test_short_history_gives_persistence_and_random_walk_band() -> None:
    rng = np.random.default_rng(9)
    y = 45 + np.cumsum(rng.standard_normal(10)) * 0.1  # too few origins to backtest
    fc = forecast(y, STEP, 16)
    np.testing.assert_allclose(fc.mean, y[-1])
    half = fc.upper - fc.mean
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))
    # sigma from 9 changes: a Student-t interval on 9 degrees of freedom (t = 2.262, not 1.96)
    np.testing.assert_allclose(half, 2.262157 * sigma * np.sqrt(np.arange(1, 17)), rtol=1e-5)
    assert forecast(np.array([3.0]), STEP, 4).mean.tolist() == [3.0] * 4


def test_quantised_rh_is_forecast_on_its_grid() -> None:
    y = np.round(52 + 1.2 * np.sin(2 * np.pi * np.arange(14 * DAY) / DAY))
    fc = forecast(y, STEP, 48)
    np.testing.assert_array_equal(fc.mean, np.round(fc.mean))
    assert np.all(fc.upper - fc.lower >= 1.0 - 1e-9)  # at least one logger step wide
    # noisy: profiles (means of past readings) are chosen and rounded onto the grid; a half step
    # (the grid reading and a grid forecast averaged) lies on it or half-way
    rng = np.random.default_rng(0)
    t = np.arange(14 * DAY)
    y = np.round(52 + 1.2 * np.sin(2 * np.pi * t / DAY) + 0.6 * rng.standard_normal(t.size)
                 + np.cumsum(rng.standard_normal(t.size)) * 0.05)
    fc = forecast(y, STEP, 48)
    half = np.array([m.startswith("half:") for m in fc.models])
    assert {"profile_12h", "revert_6h"} <= set(fc.models) and half.any()
    np.testing.assert_array_equal(fc.mean[~half], np.round(fc.mean[~half]))
    np.testing.assert_array_equal(2 * fc.mean[half], np.round(2 * fc.mean[half]))


# --- building blocks -------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    slope=st.floats(-2, 2),
    start=st.integers(1, 20),
    length=st.integers(1, 6),
    limit=st.integers(0, 6),
)
def test_fill_short_gaps_is_exact_on_lines(slope: float, start: int, length: int, limit: int) -> None:
    y = 10 + slope * np.arange(40.0)
    g = y.copy()
    g[start : start + length] = np.nan
    out = fill_short_gaps(g[None, :], limit)[0]
    if length <= limit:
        np.testing.assert_allclose(out, y, atol=1e-9)
    else:
        assert np.isnan(out[start : start + length]).all()
    np.testing.assert_array_equal(out[:start], y[:start])


def test_prep_helpers() -> None:
    y = np.array([[1.0, np.nan, 3.0, np.nan], [np.nan] * 4, [1.0, 2.0, 3.0, 4.0]])
    assert stale_steps(y).tolist() == [1, 4, 0]
    np.testing.assert_array_equal(right_align(y[2:], np.array([1]))[0, 1:], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(resolution(np.array([[51.0, 52, 52, 54], [20.1, 20.3, 20.2, 20.2]])), [1.0, 0.1])


def test_holt_filter_follows_a_line_exactly() -> None:
    y = (5 + 0.3 * np.arange(50.0))[None, :]
    params = np.array([[0.5, 0.3, 1.0]])
    lev, tr, mse = holt_filter(y, params, np.array([49]))
    assert lev[0, 0, 0] == pytest.approx(y[0, -1], abs=1e-6)
    assert tr[0, 0, 0] == pytest.approx(0.3, abs=1e-4)


def test_candidates_do_not_see_the_future() -> None:
    y = daily(10, seed=11)[None, :]
    o = np.array([400, 700])
    base = candidate_forecasts(y, o, 48, STEP, CANDIDATES)
    changed = y.copy()
    changed[:, 701:] += 5.0  # alter everything after the later origin
    after = candidate_forecasts(changed, o, 48, STEP, CANDIDATES)
    for name in CANDIDATES:
        np.testing.assert_array_equal(base[name], after[name], err_msg=name)


def test_settings_restrict_candidates() -> None:
    s = ForecastSettings(candidates=("persistence",), halves=False)
    fc = forecast(daily(7), STEP, 12, settings=s)
    assert set(fc.models) == {"persistence"}


def test_choice_needs_skill_in_every_part_of_the_backtest() -> None:
    """_choose: a candidate must be significant, beat persistence by the margin, and beat it in each
    consecutive part of the backtest (a skill that lasts, not a lucky week)."""
    from simulation.forecast import _choose

    s = ForecastSettings(parts=2)
    names = ("persistence", "cand")

    def choice(mae_c, parts_c, significant=True, n_scored=100):
        mae = np.array([1.0, mae_c])[:, None, None]
        parts = np.array([[1.0, 1.0], parts_c])[:, :, None, None]
        sig = np.array([True, significant])[:, None, None]
        return int(_choose(mae, parts, sig, names, np.array([[n_scored]]), s)[0, 0])

    assert choice(0.5, [0.4, 0.6]) == 1  # wins overall and in both halves
    assert choice(0.5, [0.1, 1.001]) == 0  # wins overall by a lucky first half only
    assert choice(0.5, [1.001, 0.1]) == 0  # ... or a lucky second half only
    assert choice(0.5, [0.4, 0.6], significant=False) == 0
    assert choice(0.971, [0.97, 0.97]) == 0  # short of the 3 % margin
    assert choice(0.969, [0.97, 0.97]) == 1
    assert choice(0.97, [0.97, 0.97]) == 0  # a gain of exactly the margin is not beating it by the margin
    assert choice(0.8, [1.0, 0.6]) == 0  # level with persistence in one part is not beating it there
    assert choice(0.5, [0.4, 0.6], n_scored=s.min_origins - 1) == 0
    assert choice(0.5, [0.4, 0.6], n_scored=s.min_origins) == 1
    # persistence found by name wherever it stands; without it the first candidate is the fallback
    mae = np.array([0.5, 1.0])[:, None, None]
    parts = np.array([[0.4, 0.6], [1.0, 1.0]])[:, :, None, None]
    for sig, want in ((True, 0), (False, 1)):
        significant = np.array([sig, True])[:, None, None]
        assert int(_choose(mae, parts, significant, ("cand", "persistence"), np.array([[100]]), s)[0, 0]) == want
    lone = _choose(np.ones((2, 1, 1)), np.ones((2, 2, 1, 1)), np.zeros((2, 1, 1), bool), ("a", "b"), np.array([[100]]), s)
    assert int(lone[0, 0]) == 0
    # two leads: 0.125 x 2 rounds to no smoothing, so lead 2's loss is not averaged with lead 1's gain
    mae2 = np.array([[1.0, 1.0], [0.5, 1.2]])[:, None, :]
    parts2 = np.repeat(np.array([[1.0, 1.0], [0.4, 0.6]])[:, :, None, None], 2, axis=3)
    two = _choose(mae2, parts2, np.ones((2, 1, 2), bool), names, np.array([[100, 100]]), s)
    assert two.tolist() == [[1, 0]]
