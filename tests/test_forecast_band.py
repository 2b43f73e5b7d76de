"""simulation.forecast: the band's coverage on held-out data, and a choice made on the past only."""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from simulation.backtest import cut_windows
from simulation.forecast import DEFAULT_SETTINGS, ForecastSettings, _replay, forecast_many
from simulation.forecast_inputs import Input, InputSettings, forecast_with_inputs

STEP = 900.0  # 15 min
DAY = 96


def rooms(n: int, days: float, seed: int) -> np.ndarray:
    """``n`` independent rooms: 20 degC, a 0.5 K daily swing at a random phase, AR(1) weather
    (phi 0.98 per 15 min, innovations 0.05 K): known, stationary noise. (n, days * 96)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(days * DAY))
    phase = rng.uniform(0.0, 2.0 * np.pi, (n, 1))
    e = 0.05 * rng.standard_normal((n, t.size))
    x = np.zeros_like(e)
    for i in range(1, t.size):
        x[:, i] = 0.98 * x[:, i - 1] + e[:, i]
    return 20.0 + 0.5 * np.sin(2.0 * np.pi * t / DAY + phase) + x


def acceptance(n: int, level: float, p: float = 0.005) -> tuple[float, float]:
    """Coverage a band of nominal ``level`` shows on ``n`` independent outcomes, 99 % of the time."""
    return binom.ppf(p, n, level) / n, binom.ppf(1.0 - p, n, level) / n


def test_band_covers_its_nominal_level_on_held_out_rooms() -> None:
    """300 independent rooms: forecast from 14 days, scored on the 12 h that follow, which no part
    of the forecaster saw. At 3, 6 and 12 h the 95 % and the 80 % bands each cover what a band of
    that level covers on 300 outcomes (binomial, 99 %): 92.3-97.7 % and 74.3-85.3 %. A 90 % band
    labelled 95 % (coverage ~91 %) or a band that ignores the lead fails."""
    y = rooms(300, 14.5, seed=3)
    hist, future = y[:, : 14 * DAY], y[:, 14 * DAY :]
    leads = np.array([11, 23, 47])
    for level in (0.95, 0.8):
        fc = forecast_many(hist, STEP, 48, level=level)
        inside = (future >= fc.lower) & (future <= fc.upper)
        lo, hi = acceptance(hist.shape[0], level)
        cov = inside[:, leads].mean(axis=0)
        assert np.all((cov >= lo) & (cov <= hi)), (level, cov, lo, hi)


def test_band_is_read_off_the_replayed_choice_errors() -> None:
    """Where a candidate is used, the band comes from the errors of the candidate the replay chose
    at each origin (out of sample, the winner's luck included), not the final winner's in-sample
    ones: never narrower than those here, and not the same band."""
    y = rooms(40, 14, seed=4)
    replay = forecast_many(y, STEP, 48)
    insample = forecast_many(y, STEP, 48, settings=ForecastSettings(band_from_replay=False))
    np.testing.assert_array_equal(replay.mean, insample.mean)  # the forecast itself is the same
    np.testing.assert_array_equal(replay.models, insample.models)
    used = replay.models != "persistence"
    assert used.mean() > 0.9
    assert not np.allclose(replay.upper[used], insample.upper[used])
    width = lambda f: (f.upper - f.lower)[used]  # noqa: E731
    assert np.median(width(replay) / width(insample)) >= 1.0


def test_where_persistence_is_used_its_own_errors_make_the_band() -> None:
    """A random walk keeps persistence: its band is read off persistence's backtest errors alone
    (no selection to correct), the same with and without the replay, and covers nominally."""
    rng = np.random.default_rng(8)
    y = 50.0 + np.cumsum(rng.standard_normal((200, int(14.5 * DAY))), axis=1) * 0.05
    hist, future = y[:, : 14 * DAY], y[:, 14 * DAY :]
    replay = forecast_many(hist, STEP, 48)
    insample = forecast_many(hist, STEP, 48, settings=ForecastSettings(band_from_replay=False))
    kept = (replay.models == "persistence").all(axis=1)  # quantiles are smoothed over leads: whole rows
    assert kept.mean() > 0.8
    np.testing.assert_array_equal(replay.lower[kept], insample.lower[kept])
    np.testing.assert_array_equal(replay.upper[kept], insample.upper[kept])
    inside = ((future >= replay.lower) & (future <= replay.upper))[:, [23, 47]].mean(axis=0)
    lo, hi = acceptance(200, 0.95)
    assert np.all((inside >= lo) & (inside <= hi)), inside


def test_replay_picks_only_from_windows_closed_before_the_origin() -> None:
    """The candidate the replay picks at origin j (and so the band's errors) does not change when
    the errors of windows still open at j are changed: no origin is judged on its own outcome."""
    rng = np.random.default_rng(1)
    c, n, r, h = 4, 3, 60, 2
    ae = rng.random((c, n, r, h)).astype(np.float32)
    weight = np.ones((n, r, h), dtype=np.float32)
    lag = np.array([1, 3])
    _, pick, active = _replay(ae, weight, lag, DEFAULT_SETTINGS)
    assert pick.shape == (n, r, h) and active.shape == (n, r, h)
    assert not active[:, : DEFAULT_SETTINGS.min_origins].any()  # too few past windows: no choice
    assert active[:, -1].all()
    j = 40
    later = ae.copy()
    later[:, :, j - lag.min() + 1 :] = rng.random(later[:, :, j - lag.min() + 1 :].shape) * 10
    _, pick2, _ = _replay(later, weight, lag, DEFAULT_SETTINGS)
    np.testing.assert_array_equal(pick2[:, : j + 1, 0], pick[:, : j + 1, 0])
    lag3 = j - lag[1] + 1  # lead 2: windows from origin j - 2 on were still open at j
    later3 = ae.copy()
    later3[:, :, lag3:, 1] += 5.0 * rng.random(later3[:, :, lag3:, 1].shape).astype(np.float32)
    np.testing.assert_array_equal(_replay(later3, weight, lag, DEFAULT_SETTINGS)[1][:, : j + 1, 1], pick[:, : j + 1, 1])
    # and it does react to what was known: the last origin's pick follows the past errors
    best = ae.copy()
    best[2] *= 0.2  # candidate 2 far better everywhere
    assert (_replay(best, weight, lag, DEFAULT_SETTINGS)[1][:, -1] == 2).all()


def test_forecast_at_an_origin_ignores_everything_after_it() -> None:
    """The benchmark's protocol: each origin's history is cut before the outcomes it is scored
    on. Overwriting everything after an origin (its evaluation window and all later data) with
    nonsense changes none of that origin's forecast, band or choice, series-only or with inputs."""
    y = rooms(1, 30, seed=5)[0]
    x = y + np.random.default_rng(6).standard_normal(y.size)  # an input that tracks the room
    hist = 14 * DAY
    win = cut_windows(y, 3 * hist, 48, 29)
    origin = int(win.origin[-3])
    spoilt, xs = y.copy(), x.copy()
    spoilt[origin + 1 :] = 1e3
    xs[origin + 1 :] = -1e3

    def run(values: np.ndarray, inp: np.ndarray):
        w = cut_windows(values, 3 * hist, 48, 29)
        pad = np.concatenate([np.full(3 * hist - 1, np.nan), inp])
        xw = np.lib.stride_tricks.sliding_window_view(pad, 3 * hist)[w.origin]
        fx = forecast_with_inputs(w.history[-3:], STEP, 48, [Input("outdoor", xw[-3:], True)],
                                  settings=ForecastSettings(max_history_s=hist * STEP),
                                  input_settings=InputSettings(max_history_s=3 * hist * STEP)).batch
        return fx, w

    a, wa = run(y, x)
    b, wb = run(spoilt, xs)
    np.testing.assert_array_equal(wa.origin[-3:], wb.origin[-3:])
    assert np.nanmax(wb.future[-3]) == 1e3  # its outcomes really were spoilt
    assert not np.array_equal(a.mean[1:], b.mean[1:])  # later origins see the nonsense
    for k in ("mean", "lower", "upper", "models"):
        np.testing.assert_array_equal(getattr(a, k)[0], getattr(b, k)[0])
