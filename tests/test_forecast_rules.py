"""simulation.forecast, one documented rule at a time, with numbers (fast).

The band: its quantiles are the split-conformal ones (type-7 order statistics at the level shrunk by
m / (m + 1)), and on white noise the nominal 95 % band has the width of a normal's 95 % interval of
the persistence error (sqrt(2) sigma), widened for the few independent windows; a 90 % band labelled
95 % is 16 % narrower and fails. The clock: a stale end forecasts further out from the last reading,
a sensor silent a day or less still gets a forecast, history beyond max_history_s is not read, and a
sensor batched with others of other history lengths gets its own forecast.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr, ndtri, stdtrit

from simulation.forecast import (
    Forecast,
    ForecastBatch,
    ForecastSettings,
    _conformal,
    _origins,
    _smooth_leads,
    forecast,
    forecast_many,
)

STEP = 900.0
DAY = 96
PERSISTENCE = ForecastSettings(candidates=("persistence",), halves=False)


def daily(days: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(days * DAY)
    t = np.arange(n) / DAY
    return 20.0 + np.sin(2 * np.pi * t) + np.cumsum(rng.standard_normal(n)) * 0.01 + 0.05 * rng.standard_normal(n)


def same(a: Forecast, b: Forecast, cut: int = 0) -> None:
    for name in ("mean", "lower", "upper"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name)[cut:], rtol=0, atol=1e-9, err_msg=name)
    assert a.models == b.models[cut:]


# --- the band -----------------------------------------------------------------------------------


def test_conformal_quantiles_are_type_7_at_the_shrunk_level():
    rng = np.random.default_rng(3)
    m_all = 40
    err = rng.standard_normal((2, m_all, 3))
    err[1, 25:] = np.nan  # the second sensor: 25 scored windows
    n_scored = np.array([[40, 40, 40], [25, 25, 25]])
    for level in (0.95, 0.8):
        q_lo, q_hi, ok = _conformal(err, n_scored, level, min_origins=30)
        a = 1.0 - level
        for i, m in ((0, 40), (1, 25)):
            for k in range(3):
                e = err[i, :m, k]
                lo = np.quantile(e, 0.5 + (a / 2 - 0.5) * (m + 1) / m)  # numpy's default is type 7
                hi = np.quantile(e, 0.5 + (0.5 - a / 2) * (m + 1) / m)
                assert q_lo[i, k] == pytest.approx(min(lo, 0.0), abs=1e-12)
                assert q_hi[i, k] == pytest.approx(max(hi, 0.0), abs=1e-12)
        assert ok.tolist() == [[True] * 3, [False] * 3]  # 25 < min_origins
    # the band always holds zero: errors all of one sign give a one-sided band
    q_lo, q_hi, _ = _conformal(np.abs(err[:1, :, :1]) + 1.0, np.array([[40]]), 0.95, 12)
    assert q_lo[0, 0] == 0.0 and q_hi[0, 0] > 1.0
    # ten windows at 95 %: the shrunk level reaches past both ends, so the band is the extreme errors;
    # exactly min_origins windows are enough
    q_lo, q_hi, ok = _conformal(np.arange(10.0)[None, :, None] - 4.5, np.array([[10]]), 0.95, 10)
    assert (q_lo[0, 0], q_hi[0, 0], bool(ok[0, 0])) == (-4.5, 4.5, True)
    # no origin at all: no band
    q_lo, q_hi, ok = _conformal(np.zeros((2, 0, 4)), np.zeros((2, 4), int), 0.95, 12)
    assert q_lo.shape == (2, 4) and not ok.any() and not q_hi.any()


@pytest.mark.parametrize("level", [0.95, 0.8])
def test_white_noise_band_is_the_normal_interval_of_the_persistence_error(level):
    """64 sensors of white noise N(20, 0.5²), 4 days, persistence only. At the first lead the error
    is e_(o+1) - e_o ~ N(0, 2 * 0.25): the band's half-width is z sqrt(2) 0.5 widened by
    t_(n-1) sqrt(1 + 1/n) / z for the n windows scored (72), on average over the sensors within 3 % (seeds 5-7: within 1 %)."""
    rng = np.random.default_rng(5)
    y = 20.0 + 0.5 * rng.standard_normal((64, 4 * DAY))
    b = forecast_many(y, STEP, 8, level=level, settings=PERSISTENCE)
    np.testing.assert_array_equal(b.mean, y[:, -1:] * np.ones((1, 8)))
    assert b.level == level and set(b.models.ravel()) == {"persistence"}
    n = len(_origins(4 * DAY, STEP, PERSISTENCE.max_origins))
    assert n == 72
    z = ndtri(0.5 + level / 2)
    widen = stdtrit(n - 1, 0.5 + level / 2) * np.sqrt(1 + 1 / n) / z
    expected = z * np.sqrt(2) * 0.5 * widen
    half = (b.upper[:, 0] - b.lower[:, 0]) / 2
    assert np.mean(half) == pytest.approx(expected, rel=0.03)
    # the band mislabelled by one level (90 % called 95 %) would be 16 % narrower
    assert abs(ndtri(0.95) / ndtri(0.975) - 1) > 0.15


def test_short_history_band_is_the_random_walk_band_at_the_level():
    y = 45 + np.cumsum(np.random.default_rng(9).standard_normal(10)) * 0.1
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))
    fc = forecast(y, STEP, 6, level=0.8)
    t9 = stdtrit(9, 0.9)  # sigma from 9 changes: Student-t on 9 degrees of freedom
    np.testing.assert_allclose(fc.upper - fc.mean, t9 * sigma * np.sqrt(np.arange(1, 7)), rtol=1e-9)
    np.testing.assert_allclose(fc.mean - fc.lower, t9 * sigma * np.sqrt(np.arange(1, 7)), rtol=1e-9)
    assert fc.models == ("persistence",) * 6


def test_persistence_is_the_last_reading_exactly():
    """Scoring runs in single precision; the persistence forecast is the double-precision reading."""
    y = 20.1 + 0.01 * np.random.default_rng(2).standard_normal(3 * DAY)
    y[-1] = 20.123456789012
    fc = forecast(y, STEP, 12, settings=PERSISTENCE)
    assert fc.mean.tolist() == [20.123456789012] * 12


def test_smooth_leads_is_a_centred_moving_average_padded_with_the_ends():
    a = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]])
    # w = 3: pad one on each side with the end values
    np.testing.assert_allclose(_smooth_leads(a, 3), [[4 / 3, 7 / 3, 14 / 3, 28 / 3, 40 / 3]])
    # w = 4: two before, one after
    np.testing.assert_allclose(_smooth_leads(a, 4), [[5 / 4, 8 / 4, 15 / 4, 30 / 4, 44 / 4]])
    np.testing.assert_array_equal(_smooth_leads(a, 1), a)
    # w = 2: one before, none after
    np.testing.assert_allclose(_smooth_leads(a, 2), [[1.0, 1.5, 3.0, 6.0, 12.0]])
    # width 1 is the identity, whatever the entries
    np.testing.assert_array_equal(_smooth_leads(np.array([[np.inf, np.nan, 2.0]]), 1), [[np.inf, np.nan, 2.0]])
    b = np.array([[1.0, np.nan, 3.0, np.nan]])  # non-finite entries are left out
    np.testing.assert_allclose(_smooth_leads(b, 3), [[1.0, 2.0, 3.0, 3.0]])
    assert np.isnan(_smooth_leads(np.full((1, 3), np.nan), 3)).all()


# --- origins and the clock ----------------------------------------------------------------------


@pytest.mark.parametrize("t, step_s", [(14 * DAY, STEP), (4 * DAY, STEP), (60, STEP), (14 * 24, 3600.0), (2880, 60.0),
                                       (770402, 1.0)])  # 1 s steps: a stride of 7200 s would visit 12 hours
def test_origins_end_before_now_and_visit_every_hour(t, step_s):
    o = _origins(t, step_s, 96)
    day = int(round(86400 / step_s))
    assert o[-1] == t - 2 and np.all(np.diff(o) > 0)
    assert o[0] >= min(day, t // 3) and len(o) <= 96
    assert len(set((o % day).tolist())) >= min(24, day, len(o))
    assert len(np.unique(np.diff(o))) == 1  # one stride


def test_origins_are_as_many_as_allowed():
    """The stride is the least that keeps at most max_origins origins (then made coprime with a day):
    five days hourly span 96 hours from a day in, 96 origins every hour; two allowed: the two ends."""
    o = _origins(121, 3600.0, 96)
    assert o.tolist() == list(range(24, 120))
    assert _origins(121, 3600.0, 2).tolist() == [24, 119]
    # daily readings have one time of day: the stride (2 days for 97 days) is not lengthened for phases
    assert _origins(100, 86400.0, 96).tolist() == list(range(2, 99, 2))


def test_origins_of_a_short_history():
    assert _origins(3, STEP, 96).tolist() == [1]
    assert _origins(2, STEP, 96).tolist() == [0]  # one window: the reading before now, scored on now
    assert _origins(1, STEP, 96).size == 0


def test_stale_end_forecasts_further_out_from_the_last_reading():
    """k missing readings at the end: the forecast is the one made at the last reading, k leads on."""
    y = daily(4, seed=1)
    for k in (1, 5):
        stale = y.copy()
        stale[-k:] = np.nan
        same(forecast(stale, STEP, 12), forecast(y[:-k], STEP, 12 + k), cut=k)


def test_a_sensor_silent_up_to_max_stale_still_forecasts():
    s = ForecastSettings(max_stale_s=6 * 3600.0)  # 24 steps
    y = daily(3, seed=2)
    quiet = y.copy()
    quiet[-24:] = np.nan
    assert np.isfinite(forecast(quiet, STEP, 4, settings=s).mean).all()
    quiet[-25:] = np.nan
    fc = forecast(quiet, STEP, 4, settings=s)
    assert np.isnan(fc.mean).all() and np.isnan(fc.lower).all() and np.isnan(fc.upper).all()
    assert fc.models == ("none",) * 4 and fc.model == "none"


def test_silence_and_gaps_are_counted_in_whole_steps_at_sub_second_cadence():
    """At 0.1 s steps a sensor silent exactly max_stale_s (1 s: 10 steps) still forecasts, 11 steps do not
    (1.0 // 0.1 is 9 in floating point); a gap of exactly max_gap_s is bridged like any shorter one."""
    from simulation.forecast import whole_steps

    assert whole_steps(1.0, 0.1) == 10 and whole_steps(0.3, 0.1) == 3 and whole_steps(0.99, 0.1) == 9
    assert whole_steps(7200.0, 600.0) == 12 and whole_steps(86400.0, 1.0) == 86400
    s = ForecastSettings(max_stale_s=1.0)
    y = daily(3, seed=2)
    quiet = y.copy()
    quiet[-10:] = np.nan
    assert np.isfinite(forecast(quiet, 0.1, 4, settings=s).mean).all()
    quiet[-11:] = np.nan
    assert np.isnan(forecast(quiet, 0.1, 4, settings=s).mean).all()


def test_history_beyond_max_history_is_not_read():
    s = ForecastSettings(max_history_s=3 * 86400.0)
    y = daily(5, seed=4)
    other = y.copy()
    other[: 2 * DAY] += 3.0  # older than three days
    same(forecast(y, STEP, 8, settings=s), forecast(other, STEP, 8, settings=s))
    other[2 * DAY] += 3.0  # the oldest reading kept
    assert not np.array_equal(forecast(other, STEP, 8, settings=s).upper, forecast(y, STEP, 8, settings=s).upper)


def test_sensors_of_different_history_lengths_are_forecast_as_alone():
    long, short = daily(6, seed=5), daily(1.5, seed=6)
    rows = np.full((3, long.size), np.nan)
    rows[0] = long
    rows[1, -short.size:] = short
    rows[2, -short.size // 2:] = short[-short.size // 2:]
    b = forecast_many(rows, STEP, 8)
    assert len(b) == 3
    same(b[0], forecast(long, STEP, 8))
    same(b[1], forecast(short, STEP, 8))
    same(b[2], forecast(short[-short.size // 2:], STEP, 8))


# --- contract -----------------------------------------------------------------------------------


def test_rejects_levels_steps_and_horizons_outside_their_ranges():
    y = np.zeros((1, 10))
    level = r"^level must lie in \(0, 1\)$"
    steps = r"^horizon_steps must be >= 1 and step_s > 0$"
    for kw, message in (({"level": 0.0}, level), ({"level": 1.0}, level), ({"level": -0.5}, level),
                        ({"step_s": 0.0}, steps), ({"step_s": -900.0}, steps), ({"horizon_steps": 0}, steps)):
        args = {"step_s": STEP, "horizon_steps": 4, "level": 0.95, **kw}
        with pytest.raises(ValueError, match=message):
            forecast_many(y, **args)
    assert forecast_many(y, STEP, 1, level=0.5).mean.shape == (1, 1)
    assert forecast_many(y, 1.0, 1).mean.shape == (1, 1)  # any positive step, one second too


def test_empty_inputs():
    b = forecast_many(np.empty((0, 10)), STEP, 4)
    assert b.mean.shape == (0, 4) and len(b) == 0
    b = forecast_many(np.empty((2, 0)), STEP, 4, level=0.9)
    assert np.isnan(b.mean).all() and np.isnan(b.lower).all() and np.isnan(b.upper).all()
    assert b.models.tolist() == [["none"] * 4] * 2 and b.level == 0.9


def test_model_is_the_most_used_candidate_ties_to_the_later_lead():
    nan = np.full(4, np.nan)
    assert Forecast(nan, nan, nan, 0.95, ("a", "b", "b", "a")).model == "a"  # tie: the later lead's
    assert Forecast(nan, nan, nan, 0.95, ("b", "a", "a", "b")).model == "b"
    assert Forecast(nan, nan, nan, 0.95, ("a", "b", "b", "c")).model == "b"
    assert Forecast(nan, nan, nan, 0.95).model == "none"
    b = ForecastBatch(np.zeros((2, 3)), np.ones((2, 3)), np.full((2, 3), 2.0), 0.8, np.array([["x"] * 3, ["y"] * 3]))
    one = b[1]
    assert one.models == ("y",) * 3 and one.level == 0.8 and one.upper.tolist() == [2.0] * 3


@pytest.mark.parametrize("h, days", [(8, 4), (11, 4), (11, 0.9)])
def test_a_sensor_without_readings_does_not_change_the_others(h, days):
    """A dead sensor (all NaN) batched with a live one of a similar history length: the live one's
    forecast is the one it gets alone (it was scored over the dead row's 400 columns, band off by 0.27).
    At 11 leads the smoothing over leads is none (0.125 x 11 rounds to 1) and at 12 it is 2 leads wide:
    the dead row must not lengthen the live one's horizon, also where its history (0.9 days) is shorter
    than max_stale_s."""
    live = daily(days, seed=8)
    rows = np.full((2, max(400, live.size)), np.nan)
    rows[0, -live.size:] = live
    rows = rows[:, -live.size:] if days < 1 else rows
    b = forecast_many(rows, STEP, h)
    same(b[0], forecast(live, STEP, h))
    assert b[1].models == ("none",) * h and np.isnan(b[1].mean).all()


def test_values_must_be_one_dimensional_for_one_sensor():
    with pytest.raises(ValueError, match=r"^values must be 1-D; use forecast_many for many sensors$"):
        forecast(np.zeros((2, 5)), STEP, 4)
    assert forecast([20, 21, 22, 21], STEP, 2).mean.dtype == np.float64  # integers are read as floats


def test_candidate_names_persistence_first_then_halves_of_the_winners_tried():
    from simulation.forecast import HALVES, all_names

    s = ForecastSettings(candidates=("profile", "holt", "persistence", "revert_6h"))
    assert all_names(s) == ("persistence", "profile", "holt", "revert_6h", "half:profile", "half:revert_6h")
    assert all_names(ForecastSettings(candidates=("holt",), halves=False)) == ("persistence", "holt")
    names = all_names(ForecastSettings())
    assert names[0] == "persistence" and {n[5:] for n in names if n.startswith("half:")} == set(HALVES)


@pytest.mark.parametrize(
    "level, widen, step_s, h",
    [(0.9, False, STEP, 12), (0.5, False, STEP, 12), (0.95, True, STEP, 12), (0.95, True, 3600.0, 20),
     (0.95, True, STEP, 11)],
)
def test_persistence_band_is_read_off_its_own_backtest_errors(level, widen, step_s, h):
    """Persistence alone, no smoothing over leads: the band at lead k is the last reading plus the
    running extreme over leads of the conformal quantiles of y[o + k] - y[o] over the backtest origins o
    whose window has closed (o + k <= now), never narrower than half the grid step; widened (if so set)
    by t_(max(n-1, 1)) sqrt(1 + 1/n) / z, n = the independent windows: the origins' span / k, at most the
    windows scored, at least 1. Three days hourly with 20 leads: from lead 17 on fewer than 2 windows
    (31 / 17 down to 28 / 20), each scored over more than min_origins origins. At 11 leads the default
    smoothing over leads (0.125 of the horizon, rounded) is none: the same band."""
    from simulation.forecast_prep import resolution

    rng = np.random.default_rng(12)
    y = 20.0 + np.cumsum(rng.standard_normal(int(3 * 86400 / step_s))) * 0.1
    t = y.size
    s = ForecastSettings(candidates=("persistence",), halves=False, smooth_leads=0.0 if h != 11 else 0.125,
                         widen_band=widen)
    fc = forecast(y, step_s, h, level=level, settings=s)
    o = _origins(t, step_s, s.max_origins)
    a = 1.0 - level
    lo, hi = [], []
    for k in range(1, h + 1):
        e = y[o[o + k <= t - 1] + k] - y[o[o + k <= t - 1]]
        m = e.size
        n = max(min((min(o[-1], t - 1 - k) - o[0] + 1) / k, m), 1.0)
        g = stdtrit(max(n - 1, 1), 1 - a / 2) * np.sqrt(1 + 1 / n) / ndtri(1 - a / 2) if widen else 1.0
        lo.append(min(g * np.quantile(e, 0.5 + (a / 2 - 0.5) * (m + 1) / m), 0.0))
        hi.append(max(g * np.quantile(e, 0.5 + (0.5 - a / 2) * (m + 1) / m), 0.0))
    floor = 0.5 * resolution(y[None, :])[0]
    assert fc.mean.dtype == fc.lower.dtype == fc.upper.dtype == np.float64
    np.testing.assert_allclose(fc.upper, y[-1] + np.maximum(np.maximum.accumulate(hi), floor), atol=2e-5)
    np.testing.assert_allclose(fc.lower, y[-1] + np.minimum(np.minimum.accumulate(lo), -floor), atol=2e-5)
    assert fc.mean.tolist() == [y[-1]] * h


@pytest.mark.parametrize("seed", [1, 3])
def test_a_cycle_that_stopped_halfway_is_not_forecast(seed):
    """12 days whose 1 K daily swing stops after day 6 (a case closed, a heater switched off): the
    seasonal candidate wins the backtest overall on the first half's luck; it must win in each part of
    the backtest (parts = 2), so it is not used. Counting the backtest as one part, it would be."""
    rng = np.random.default_rng(seed)
    t = np.arange(12 * DAY) / DAY
    y = 20 + np.where(t < 6, np.sin(2 * np.pi * t), 0.0) + np.cumsum(rng.standard_normal(t.size)) * 0.01
    y += 0.02 * rng.standard_normal(t.size)
    assert "seasonal_naive" in forecast(y, STEP, 48, settings=ForecastSettings(parts=1)).models
    assert "seasonal_naive" not in forecast(y, STEP, 48).models


def _replay_by_hand(ae, weight, lag, min_origins, margin):
    """The documented replay, one origin at a time: at origin j and lead k the windows of origins i with
    i + lag_k <= j are known; with at least min_origins of them, the candidate of least known error wins
    if it beats persistence's by the margin (else persistence); pays if the picks' errors over those
    origins sum below persistence's."""
    c, n, r, h = ae.shape
    pick = np.zeros((n, r, h), dtype=int)
    active = np.zeros((n, r, h), dtype=bool)
    pays = np.zeros((n, h), dtype=bool)
    for s_ in range(n):
        for k in range(h):
            online = base = 0.0
            for j in range(r):
                known = [i for i in range(r) if i + lag[k] <= j]
                sums = [sum(ae[q, s_, i, k] for i in known) for q in range(c)]
                best, choice = sums[0], 0
                for q in range(1, c):
                    if sums[q] < (1 - margin) * sums[0] and sums[q] < best:
                        best, choice = sums[q], q
                pick[s_, j, k] = choice
                active[s_, j, k] = sum(weight[s_, i, k] for i in known) >= min_origins and weight[s_, j, k] > 0
                if active[s_, j, k]:
                    online += ae[choice, s_, j, k]
                    base += ae[0, s_, j, k]
            pays[s_, k] = online < base
    return pays, pick, active


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replay_chooses_origin_by_origin_on_what_was_known_then(seed):
    """_replay against the rule done by hand, on errors in eighths (exact in single precision), a margin
    of a quarter (exact too), 4 candidates, some windows not scored, three lags."""
    from simulation.forecast import _replay

    rng = np.random.default_rng(seed)
    c, n, r, h = 4, 3, 30, 3
    weight = (rng.random((n, r, h)) > 0.15).astype(np.float32)
    ae = (rng.integers(0, 16, (c, n, r, h)) / 8.0).astype(np.float32)
    ae[1] = np.maximum(ae[1] - 0.5, 0.0)  # one candidate usually better, so that choices happen
    ae[1:, 2] = ae[0, 2] + rng.integers(0, 3, (c - 1, r, h)) / 8.0  # the third sensor: none ever better
    ae *= weight[None]
    lag = np.array([1, 2, 5])
    s = ForecastSettings(margin=0.25, min_origins=6)
    pays, pick, active = _replay(ae.copy(), weight, lag, s)
    want_pays, want_pick, want_active = _replay_by_hand(ae.astype(float), weight, lag, 6, 0.25)
    np.testing.assert_array_equal(active, want_active)
    np.testing.assert_array_equal(pick, want_pick)
    np.testing.assert_array_equal(pays, want_pays)
    assert pick.max() > 0 and pays[:2].any() and not pays[2].any()


# --- the choice, assembled: significance, evidence, half steps, the forecast issued ----------------


def _choice_by_hand(y, step_s, h, s, level=0.95):
    """The documented choice for one sensor off the grid, from the candidates' own backtest errors
    (simulation.forecast_models, scored in single precision as the forecaster does): a candidate is
    significant if its mean gain over persistence exceeds crit standard errors, crit the Student-t
    quantile at the level of min_skill_z on max(n_eff - 1, 1) degrees of freedom, n_eff = the
    origins' span / lead, at most the windows scored, at least 1; a half-and-half candidate also if
    the gain exceeds the same at min_skill_z_half over at least half_min_eff windows; evidence:
    n_eff >= min_eff and a span of at least min_span_days. Then _choose (margin, parts) and _replay
    (it pays). The band: split-conformal quantiles (_conformal) of the errors of the replayed choice
    where a candidate is used (band_from_replay; off: the candidate's own backtest errors), of
    persistence's elsewhere, widened by t sqrt(1 + 1/n_eff) / z, running extremes over leads; the
    random-walk band where too few windows. Smoothing over leads (smooth_leads): MAE curves (in
    _choose) and quantiles over round(smooth_leads h) leads, the replay at every
    round(smooth_leads h / 2)-th lead. Returns {models, issued (the forecast per lead), lower, upper}."""
    from simulation.forecast import HALF, _choose, _replay, all_names
    from simulation.forecast_models import candidate_forecasts
    from simulation.forecast_prep import on_grid, resolution

    assert not on_grid(y[None], resolution(y[None]))[0]
    t = y.size
    o = _origins(t, step_s, s.max_origins)
    names = all_names(s)
    y32 = y.astype(np.float32)[None]
    fc = candidate_forecasts(y32, np.append(o, t - 1), h, step_s, tuple(dict.fromkeys(("persistence",) + s.candidates)))
    lead = np.arange(1, h + 1)
    at = o[:, None] + lead[None]
    truth = np.where(at < t, y32[0, np.minimum(at, t - 1)], np.nan)
    scored = np.isfinite(truth)
    f = {}  # (r + 1, h): the backtest origins, then now
    for name in names:
        if name.startswith(HALF):
            f[name] = (f["persistence"] + f[name[len(HALF):]]) / np.float32(2)
        else:
            f[name] = np.where(np.isnan(fc[name][0]), fc["persistence"][0], fc[name][0])
    ae = np.stack([np.where(scored, np.abs(truth - f[name][:-1]), 0.0) for name in names]).astype(float)
    m = scored.sum(axis=0)
    span = np.maximum(np.minimum(o[-1], t - 1 - lead) - o[0] + 1, 0)
    n_eff = np.maximum(np.minimum(span / lead, m), 1.0)
    d = ae[:1] - ae
    gain = d.sum(axis=1) / m
    se = np.sqrt(np.maximum((d**2).sum(axis=1) / m - gain**2, 0.0) / n_eff)
    dof = np.maximum(n_eff - 1.0, 1.0)
    significant = gain > stdtrit(dof, ndtr(s.min_skill_z)) * se
    half = np.array([name.startswith(HALF) for name in names])[:, None]
    significant |= half & (gain > stdtrit(dof, ndtr(s.min_skill_z_half)) * se) & (n_eff >= s.half_min_eff)
    evidence = (n_eff >= s.min_eff) & (span * step_s >= s.min_span_days * 86400.0)
    bounds = (np.arange(s.parts) * o.size) // s.parts
    with np.errstate(invalid="ignore"):  # a part without windows at a lead: NaN, never lasting
        parts = np.add.reduceat(ae, bounds, axis=1) / np.add.reduceat(scored, bounds, axis=0)[None]
    chosen = _choose((ae.sum(axis=1) / m)[:, None], parts[:, :, None], (significant & evidence)[:, None], names,
                     m[None], s)[0]
    # the replay at every q-th lead counted back from the last, each lead taking its nearest one's verdict
    q = max(1, int(round(s.smooth_leads * h / 2)))
    sub = np.arange(h - 1, -1, -q)[::-1]
    lag = np.ceil((sub + 1) / (o[1] - o[0])).astype(int)
    pays, pick, active = (a[0] for a in _replay(ae[:, None][..., sub].astype(np.float32),
                                                  scored[None][..., sub].astype(np.float32), lag, s))
    near = np.clip(np.rint((np.arange(h) - sub[0]) / q).astype(int), 0, sub.size - 1)
    pays, pick, active = pays[near], pick[:, near], active[:, near]
    chosen_backtest = chosen
    chosen = np.where(pays, chosen, 0)
    issued = np.array([f[names[c]][-1, k] for k, c in enumerate(chosen)])
    issued = np.where(chosen == 0, y[-1], issued)
    # the band: conformal quantiles of out-of-sample errors: where a candidate is used, those of the
    # replayed choice (or, band_from_replay off, its own backtest errors); persistence's own elsewhere
    e = np.stack([np.where(scored, truth - f[name][:-1], np.nan) for name in names])  # (c, r, h) float32
    cols = np.arange(h)
    if s.band_from_replay:
        replayed = np.where(active, e[pick, np.arange(o.size)[:, None], cols], np.nan)
        err = np.where(chosen == 0, e[0], replayed)
    else:
        err = np.where(pays, e[chosen_backtest, :, cols].T, e[0])
    q_lo, q_hi, ok = (a[0] for a in _conformal(err[None], np.isfinite(err).sum(axis=0)[None], level, s.min_origins))
    widen = stdtrit(dof, 0.5 + level / 2) * np.sqrt(1 + 1 / n_eff) / ndtri(0.5 + level / 2)
    # too few windows: the random-walk band, Student-t on the number of one-step changes
    rw = stdtrit(t - 1, 0.5 + level / 2) * np.sqrt(np.mean(np.diff(y) ** 2)) * np.sqrt(lead)
    w = max(1, int(round(s.smooth_leads * h)))  # quantiles smoothed over w leads
    q_lo = np.minimum.accumulate(np.where(ok, -_smooth_leads(-q_lo[None] * widen, w)[0], -rw))
    q_hi = np.maximum.accumulate(np.where(ok, _smooth_leads(q_hi[None] * widen, w)[0], rw))
    floor = 0.5 * resolution(y[None])[0]
    return {"models": tuple(names[c] for c in chosen), "issued": issued,
            "lower": np.minimum(issued + np.minimum(q_lo, 0.0), issued - floor),
            "upper": np.maximum(issued + np.maximum(q_hi, 0.0), issued + floor)}


def _trend(t, noise, seed=1):
    return 20.0 + 0.1 * np.arange(t) + noise * np.random.default_rng(seed).standard_normal(t)


def _cycle(t, amplitude, noise, seed=2):
    rng = np.random.default_rng(seed)
    return (20.0 + amplitude * np.sin(2 * np.pi * np.arange(t) / 24) + noise * rng.standard_normal(t)
            + np.cumsum(rng.standard_normal(t)) * 0.02)


HOLT = ForecastSettings(candidates=("holt",), halves=False, smooth_leads=0.0)
SEASONAL = ForecastSettings(candidates=("seasonal_naive",), halves=False, smooth_leads=0.0)
SEASONAL_HALF = ForecastSettings(candidates=("seasonal_naive",), smooth_leads=0.0)
SEASONAL_WEAK = ForecastSettings(candidates=("seasonal_naive",), smooth_leads=0.0, half_min_eff=2.0)


@pytest.mark.parametrize(
    "y, h, s, want",
    [
        # a 0.1 K/h trend, hourly, 3 days: n_eff = (48 - k) / k, crit 70 at 2 windows (k = 16, n_eff = 2 exactly)
        (_trend(72, 0.001), 16, HOLT, "H" * 16),
        (_trend(72, 0.03), 16, HOLT, "H" * 14 + ".."),  # at 2.2 and 2 windows a 0.9 / 0.4 crit gain
        (_trend(72, 0.1), 16, HOLT, "H" * 12 + "...."),
        # two weeks hourly: origins every 5 h, so the leads' replays differ in their past windows (lag 1-4)
        (_trend(336, 0.03), 16, HOLT, "H" * 16),
        (_trend(72, 0.03), 16, ForecastSettings(candidates=("holt",), halves=False, smooth_leads=0.0,
                                                band_from_replay=False), "H" * 14 + ".."),
        # 51 h: the span at lead k is 34 - k h; a day at k = 10, 23 h at k = 11 (n_eff 2.09): not enough
        (_trend(51, 0.001), 16, HOLT, "H" * 10 + "......"),
        # a daily swing, weak evidence allowed from 2 windows: the half step where the full one is not proven
        (_cycle(72, 0.1, 0.03), 24, SEASONAL_WEAK, "." + "h" * 13 + "." * 10),
        (_cycle(72, 1.0, 0.03), 24, SEASONAL_WEAK, "S" * 7 + "h" * 9 + "." * 8),
        # two days: the first origins (from 16 h) lack the reading a day before the target: there the
        # seasonal candidate falls back to persistence, and it is still chosen
        (_cycle(48, 1.0, 0.03), 12, SEASONAL, "SSSS" + "." * 8),
        # four days: the half step at leads 6-9 (11 to 7 windows, below half_min_eff) on full evidence
        (_cycle(96, 0.3, 0.1), 24, SEASONAL_HALF, "hhSSShhhh" + "." * 15),
        # smoothing over leads (7 leads for the MAE and the quantiles, the replay every 4th lead): at leads
        # 6-7 the smoothed MAE of the seasonal candidate is the least, by little (leads scored over 33 to
        # 47 windows: smoothing each lead's mean, not its sum, decides it)
        (_cycle(73, 1.0, 0.06, seed=1), 29,
         ForecastSettings(candidates=("seasonal_naive", "profile", "revert_6h"), smooth_leads=0.25),
         "PPPPPSS" + "." * 22),
        # 28 leads: the replayed leads are 4, 8, .., 28 (1-based); lead 1 takes lead 4's verdict
        (_cycle(73, 1.0, 0.06, seed=1), 28,
         ForecastSettings(candidates=("seasonal_naive", "profile", "revert_6h"), smooth_leads=0.25),
         "PPPPPSS" + "." * 21),
    ],
)
def test_choice_is_the_documented_rule_at_few_windows(y, h, s, want):
    """At few independent windows (2 to 4) the Student-t critical value moves by a factor of 7 per
    degree of freedom, so the choice pins it; the cases also cross the evidence limits (2 windows,
    1 day of span) and the weak-evidence half step. The forecast issued is the chosen candidate's
    forecast made now (from the last reading)."""
    fc = forecast(y, 3600.0, h, settings=s)
    want_fc = _choice_by_hand(y, 3600.0, h, s)
    code = {"persistence": ".", "holt": "H", "seasonal_naive": "S", "half:seasonal_naive": "h", "profile": "P",
            "half:profile": "p", "revert_6h": "R", "half:revert_6h": "r"}
    assert "".join(code[m] for m in want_fc["models"]) == want  # the case is the one described
    assert fc.models == want_fc["models"]
    for name in ("mean", "lower", "upper"):
        np.testing.assert_allclose(getattr(fc, name), want_fc["issued" if name == "mean" else name], rtol=0,
                                   atol=1e-5, err_msg=name)


def test_a_grid_exactly_as_coarse_as_the_changes_gets_no_weak_half_steps():
    """Whole steps only, every change one step (rms change = grid step): the logger counts as coarse
    (step >= coarse_grid x rms change), so it takes only the half steps of full evidence, as with the
    weak path off; counted as fine, it would take more."""
    rng = np.random.default_rng(0)
    n = 14 * DAY
    y = 50 + np.cumsum(np.where(rng.random(n) < 0.5 + 0.25 * np.cos(2 * np.pi * np.arange(n) / DAY), 1.0, -1.0))
    fc = forecast(y, STEP, 48)
    assert fc.models == forecast(y, STEP, 48, settings=ForecastSettings(min_skill_z_half=2.61)).models
    finer = forecast(y, STEP, 48, settings=ForecastSettings(coarse_grid=1.0 + 1e-9))
    assert sum(m.startswith("half:") for m in finer.models) > sum(m.startswith("half:") for m in fc.models)


# --- the physical range, the history kept, one reading ------------------------------------------


def test_limits_cut_the_band_and_move_the_mean_on_either_side():
    """clip_to_limits: a mean past a limit goes onto it, and the band then still holds the mean (a
    lower edge above a mean moved down, an upper edge below a mean moved up)."""
    from simulation.forecast import clip_to_limits

    mean = np.array([[110.0, -5.0, 50.0]])
    lower = np.array([[104.0, -9.0, -3.0]])
    upper = np.array([[115.0, -1.0, 103.0]])
    m, lo, hi = clip_to_limits(mean, lower, upper, (0, 100))
    np.testing.assert_array_equal(m, [[100.0, 0.0, 50.0]])
    np.testing.assert_array_equal(lo, [[100.0, 0.0, 0.0]])
    np.testing.assert_array_equal(hi, [[100.0, 0.0, 100.0]])
    assert clip_to_limits(mean, lower, upper, None) == (mean, lower, upper)


def test_limits_must_be_an_interval():
    for bad in ((50.0, 50.0), (100.0, 0.0)):
        with pytest.raises(ValueError, match=r"^limits must be \(low, high\) with low < high$"):
            forecast(np.array([50.0, 51.0]), STEP, 4, limits=bad)


def test_one_reading_then_silence_still_forecasts():
    """A sensor whose only reading is followed by two missing steps (silent 30 min, far less than
    max_stale_s): the forecast is that reading, two leads further on, with the range as its band."""
    fc = forecast(np.array([55.0, np.nan, np.nan]), STEP, 4, limits=(0.0, 100.0))
    assert fc.mean.tolist() == [55.0] * 4
    assert fc.lower.tolist() == [0.0] * 4 and fc.upper.tolist() == [100.0] * 4


def test_at_least_two_readings_are_kept_whatever_max_history():
    """max_history_s shorter than two steps keeps the last two readings (one change sizes the band)."""
    y = daily(2, seed=3)
    s = ForecastSettings(max_history_s=0.0)
    same(forecast(y, STEP, 4, settings=s), forecast(y[-2:], STEP, 4, settings=s))
    assert not np.array_equal(forecast(y[-3:], STEP, 4).upper, forecast(y[-2:], STEP, 4).upper)  # a third would count


def test_a_choice_the_replay_cannot_check_is_not_used():
    """Four readings 12 h apart alternating 20, 22 (a daily swing): over its two backtest windows the
    seasonal candidate is exact and persistence off by 2 every time, so with min_origins 2 it wins the
    backtest; but no origin had two earlier windows to choose by, so the replay never used it and
    choosing does not pay: the forecast is the last reading."""
    fc = forecast(np.array([20.0, 22.0, 20.0, 22.0]), 43200.0, 1, settings=ForecastSettings(min_origins=2))
    assert fc.models == ("persistence",) and fc.mean.tolist() == [22.0]


def test_any_positive_grid_centre_centres_the_band():
    """Whole-%RH readings every half second, the last two 50 and 51: a centring window of one second
    is two readings, so the band moves half a step down off the rounded reading; none (0) leaves it."""
    y = np.array([50.0, 51, 50, 50, 51, 52, 51, 50, 50, 51, 51, 50, 51])
    centred = forecast(y, 0.5, 4, settings=ForecastSettings(grid_centre_s=1.0))
    plain = forecast(y, 0.5, 4, settings=ForecastSettings(grid_centre_s=0.0))
    np.testing.assert_allclose(centred.upper - plain.upper, -0.5, atol=1e-6)
    assert centred.mean.tolist() == plain.mean.tolist()
    # at one-second steps a one-second window is the reading itself: no offset
    one = forecast(y, 1.0, 4, settings=ForecastSettings(grid_centre_s=1.0))
    same(one, forecast(y, 1.0, 4, settings=ForecastSettings(grid_centre_s=0.0)))


def test_a_whole_percent_sensor_does_not_centre_the_others():
    """Grid centring is per sensor: a decimal sensor batched with a whole-%RH one gets the forecast it
    gets alone, and so does the whole-%RH one."""
    rng = np.random.default_rng(4)
    t = np.arange(3 * DAY)
    whole = np.round(50.3 + np.cumsum(rng.standard_normal(t.size)) * 0.2)
    decimal = daily(3, seed=4)
    b = forecast_many(np.stack([whole, decimal]), STEP, 8)
    same(b[0], forecast(whole, STEP, 8))
    same(b[1], forecast(decimal, STEP, 8))


def test_the_backtest_starts_one_day_in_at_any_step():
    """The first origin is a day of steps after the first reading (86 400 s, not a second more) when the
    series is long enough (three days), every origin at 1 s steps; at 10 min, 144 steps."""
    from simulation.forecast import _origins

    assert _origins(3 * 86400 + 3, 1.0, 10**6)[0] == 86400
    assert _origins(3 * 144 + 3, 600.0, 10**6)[0] == 144
