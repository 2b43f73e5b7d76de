"""simulation.forecast_inputs: the model with inputs, the average with the series-only forecast and
the regression on the series' own features are each used only where they beat the candidate the
series-only forecaster uses, on paired cross-validated errors."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, stdtrit

from simulation.forecast_inputs import InputSettings, _chosen_change, _judge, input_features
from simulation.forecast_models import candidate_forecasts

S = InputSettings()
R = 400  # origins
ORIGINS = np.arange(R) * 10  # 10 steps apart: span 4 000 steps
KNOTS = np.array([6, 36])


def errors(seed: int, *scales: float) -> list[np.ndarray]:
    """Independent normal errors (1, R, 2) with the given standard deviations."""
    rng = np.random.default_rng(seed)
    return [s * rng.standard_normal((1, R, KNOTS.size)) for s in scales]


def test_inputs_that_lose_to_the_chosen_candidate_are_not_used() -> None:
    """The inputs beat the regression on the series alone and persistence, but the candidate the
    series-only forecaster uses is better still: they were used before the chosen candidate was
    judged, and are not now."""
    pers, series, inputs, chosen = errors(1, 4.0, 2.0, 1.0, 0.5)
    chosen = 0.9 * inputs * 0.5 + 0.1 * chosen  # close to the inputs' errors, half their size
    old = _judge(pers, series, inputs, ORIGINS, KNOTS, S)
    assert old.use.all()
    new = _judge(pers, series, inputs, ORIGINS, KNOTS, S, chosen)
    assert not new.use.any() and not new.series.any()


def test_the_average_is_used_where_it_beats_both() -> None:
    """Inputs and the chosen candidate equally good, their errors independent: the average of the
    two forecasts has errors smaller by about sqrt 2 and is used; the inputs alone are not."""
    pers, series, inputs, chosen = errors(2, 4.0, 2.0, 1.0, 1.0)
    v = _judge(pers, series, inputs, ORIGINS, KNOTS, S, chosen)
    assert v.blend.all() and not v.use.any() and not v.series.any()
    np.testing.assert_allclose(v.mae["blend"], np.abs(0.5 * (inputs + chosen)).mean(axis=1))


def test_the_series_regression_is_used_where_it_beats_the_chosen_candidate() -> None:
    """Useless inputs (no better than the regression on the series alone), a regression much
    better than the chosen candidate: the regression is used, the inputs neither alone nor
    averaged."""
    pers, series, chosen = errors(3, 4.0, 1.0, 2.0)
    inputs = series + errors(4, 0.01)[0]
    v = _judge(pers, series, inputs, ORIGINS, KNOTS, S, chosen)
    assert v.series.all() and not v.use.any() and not v.blend.any()


def test_skill_test_level_is_split_over_the_three_alternatives() -> None:
    """A paired gain between the one-alternative and the three-alternative critical values fails;
    just above the three-alternative one it passes (Bonferroni: one-sided 5 % / 3)."""
    rng = np.random.default_rng(5)
    noise = rng.standard_normal((1, R, KNOTS.size))
    noise = (noise - noise.mean(axis=1, keepdims=True)) / noise.std(axis=1, keepdims=True)  # mean 0, sd 1
    chosen = 8.0 + np.abs(rng.standard_normal((1, R, KNOTS.size)))  # positive errors: |e| = e
    n_eff = np.minimum((ORIGINS[-1] - ORIGINS[0] + 1) / KNOTS, R)
    one = stdtrit(n_eff - 1, ndtr(S.min_skill_z))
    three = stdtrit(n_eff - 1, 1 - (1 - ndtr(S.min_skill_z)) / 3)
    assert np.all(three > one + 0.3)
    no_margin = InputSettings(margin=0.0)

    def judged(k: np.ndarray) -> np.ndarray:
        series = chosen - (k / np.sqrt(n_eff))[None, None, :] + noise  # paired gain: k standard errors
        return _judge(2.0 * chosen, series, series.copy(), ORIGINS, KNOTS, no_margin, chosen).series

    assert not judged(0.5 * (one + three)).any()
    assert judged(three + 0.05).all()


def test_chosen_change_reads_the_candidates_and_halves() -> None:
    """The change each chosen name foresees: persistence none, a half candidate half of its own,
    and a candidate that is not a feature (profile_3h) computed as the forecaster computes it."""
    rng = np.random.default_rng(6)
    step = 900.0
    t = np.arange(20 * 96)
    y = (20 + np.sin(2 * np.pi * t / 96) + 0.1 * rng.standard_normal(t.size))[None, :]
    o = np.arange(200, 1800, 37)
    knots = np.array([4, 24, 48])
    fs, _ = input_features(y, [], o, knots, step)
    chosen = np.array([["persistence", "half:profile", "profile_3h"]])
    ch = _chosen_change(y, o, knots, step, fs, chosen)
    np.testing.assert_array_equal(ch[0, :, 0], 0.0)
    prof = candidate_forecasts(y, o, 48, step, ("profile", "profile_3h"))
    np.testing.assert_allclose(ch[0, :, 1], 0.5 * (prof["profile"][0, :, 23] - y[0, o]), rtol=1e-9)
    np.testing.assert_allclose(ch[0, :, 2], prof["profile_3h"][0, :, 47] - y[0, o], rtol=1e-9)
