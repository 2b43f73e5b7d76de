"""simulation.cleaning, rule by rule: each limit at its boundary and each window rule against a plain-Python
computation of its definition (statistics.fmean/stdev/median over the neighbours, written out here).

The figures in the comments are worked by hand from the rule's formula; none is read back from the code.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulation import cleaning as c

H = 3600.0
small = st.one_of(st.integers(-3, 3).map(float), st.just(math.nan))


# ---------------------------------------------------------------- independent computations of the definitions
def neighbours(v: np.ndarray, i: int, half: int) -> list[float]:
    return [float(v[j]) for j in range(max(0, i - half), min(v.size, i + half + 1))
            if j != i and not math.isnan(v[j])]


def ref_excursion(v: np.ndarray, half: int, margin: np.ndarray, tol: float = 0.0) -> tuple[list[bool], list[bool]]:
    """(excursion, too close to call) per point, from the medians of the `half` samples each side."""
    out, close = [], []
    for i, x in enumerate(v.tolist()):
        left = [y for y in v[max(0, i - half):i].tolist() if not math.isnan(y)]
        right = [y for y in v[i + 1:i + 1 + half].tolist() if not math.isnan(y)]
        b = statistics.median(left) if left else None
        a = statistics.median(right) if right else None
        b, a = (a if b is None else b), (b if a is None else a)
        m = float(margin[i])
        if b is None or a is None or math.isnan(x) or math.isnan(m):
            out.append(False)
            close.append(False)
            continue
        out.append((x - b > m and x - a > m) or (b - x > m and a - x > m))
        close.append(any(abs(d - m) <= tol for d in (x - b, x - a, b - x, a - x)))
    return out, close


def ref_window_rule(v: np.ndarray, window: int, k: float, floor: float, min_nb: int, steps_kept: bool,
                    rel_floor: float, robust: bool) -> tuple[list[bool], list[bool]]:
    """The 3-sigma rule (robust=False) or the Hampel identifier, point by point, and the near-ties."""
    half = window // 2
    flags, close = [], []
    margin = np.full(v.size, math.inf)
    for i, x in enumerate(v.tolist()):
        nb = neighbours(v, i, half)
        if math.isnan(x) or len(nb) < max(min_nb, 1 if robust else 2):
            flags.append(False)
            close.append(False)
            continue
        if robust:
            level = statistics.median(nb)
            spread = 1.4826 * statistics.median([abs(y - level) for y in nb])
        else:
            level, spread = statistics.fmean(nb), statistics.stdev(nb)
        threshold = k * max(spread, floor + rel_floor * abs(level))
        margin[i] = threshold
        flags.append(abs(x - level) > threshold)
        close.append(abs(abs(x - level) - threshold) <= 1e-9 * (1 + threshold))
    if steps_kept:
        exc, exc_close = ref_excursion(v, 5, margin, tol=1e-9 * (1 + np.nanmax(margin[np.isfinite(margin)], initial=0)))
        flags = [f and e for f, e in zip(flags, exc, strict=True)]
        close = [c1 or c2 for c1, c2 in zip(close, exc_close, strict=True)]
    return flags, close


@settings(max_examples=100, deadline=None)
@given(v=hnp.arrays(float, st.integers(0, 30), elements=small), half=st.integers(1, 6),
       margin=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
@example(v=np.array([0.0, 0.0, 2.5, 1.0, 5.0]), half=2, margin=0.0)  # the after side is v[3:5] only
def test_excursion_is_the_medians_of_the_near_sides(v: np.ndarray, half: int, margin: float) -> None:
    # integers and halves: medians and differences are exact, so ties are decided the same way
    expected, _ = ref_excursion(v, half, np.full(v.size, margin))
    assert c.excursion(v, half, margin).tolist() == expected


window_rule_args = dict(
    v=hnp.arrays(float, st.integers(0, 40), elements=st.one_of(
        st.integers(-20, 20).map(lambda x: x / 4), st.just(math.nan))),
    window=st.sampled_from([3, 5, 7, 8, 11, 21]), k=st.sampled_from([1.0, 2.0, 3.0]),
    floor=st.sampled_from([0.0, 0.5]), min_nb=st.integers(0, 5), steps_kept=st.booleans(),
    rel_floor=st.sampled_from([0.0, 0.1]))


@settings(max_examples=100, deadline=None)
@given(**window_rule_args)
def test_sigma_rule_is_the_leave_one_out_mean_and_sample_std(v, window, k, floor, min_nb, steps_kept,
                                                             rel_floor) -> None:  # type: ignore[no-untyped-def]
    expected, close = ref_window_rule(v, window, k, floor, min_nb, steps_kept, rel_floor, robust=False)
    got = c.sigma_flags(v, window, k, floor, min_nb, steps_kept, rel_floor)
    decided = ~np.array(close, dtype=bool)
    assert np.array_equal(got[decided], np.array(expected, dtype=bool)[decided])


@settings(max_examples=100, deadline=None)
@given(**window_rule_args)
def test_hampel_rule_is_the_leave_one_out_median_and_scaled_mad(v, window, k, floor, min_nb, steps_kept,
                                                                rel_floor) -> None:  # type: ignore[no-untyped-def]
    expected, close = ref_window_rule(v, window, k, floor, min_nb, steps_kept, rel_floor, robust=True)
    got = c.hampel_flags(v, window, k, floor, min_nb, steps_kept, rel_floor)
    decided = ~np.array(close, dtype=bool)
    assert np.array_equal(got[decided], np.array(expected, dtype=bool)[decided])


# ---------------------------------------------------------------- the window rules' defaults (CleaningSettings)
# 12 neighbours cycling 19, 20, 21 °C: mean 20, sample std sqrt(8/11) = 0.853 (3 sigma 2.56, 4 sigma 3.41);
# median 20, MAD 1, scale 1.4826 (3 scales 4.45, 4 scales 5.93); every 5 near samples have median 20
CYCLE = [19.0, 20.0, 21.0] * 2


def with_centre(x: float) -> np.ndarray:
    return np.array(CYCLE + [x] + CYCLE)


def test_defaults_are_the_settings_three_sigma_and_three_scaled_mads_from_twelve_neighbours() -> None:
    cs = c.CleaningSettings()
    assert (cs.sigma_k, cs.hampel_k, cs.min_neighbours) == (3.0, 3.0, 12)
    assert statistics.stdev(CYCLE * 2) == pytest.approx(math.sqrt(8 / 11))
    assert c.sigma_flags(with_centre(23.0)).tolist() == [False] * 6 + [True] + [False] * 6  # 3 > 2.56
    assert not c.sigma_flags(with_centre(22.5)).any()  # 2.5 < 2.56
    assert c.hampel_flags(with_centre(25.0))[6]  # 5 > 4.45
    assert not c.hampel_flags(with_centre(24.4)).any()  # 4.4 < 4.45
    # eleven neighbours are too few to judge by default
    assert not c.sigma_flags(with_centre(30.0)[1:]).any() and not c.hampel_flags(with_centre(30.0)[1:]).any()


def sparse(n: int, spike: int, near: list[int], far: int) -> np.ndarray:
    """NaN everywhere but a spike of 30 °C, neighbours near it cycling 19-21 °C, and one at `far` samples."""
    v = np.full(n, np.nan)
    v[spike] = 30.0
    for j, d in enumerate(near + [far]):
        v[spike + d] = 19.0 + j % 3
    return v


def test_default_windows_are_97_and_49_samples() -> None:
    # 16 h and 8 h at 10-min sampling: eleven near neighbours and a twelfth 48 (24) samples away make
    # twelve, one 49 (25) samples away does not
    near = [-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5]
    assert c.sigma_flags(sparse(120, 50, near, 48))[50] and not c.sigma_flags(sparse(120, 50, near, 49)).any()
    assert c.hampel_flags(sparse(120, 50, near, 24))[50] and not c.hampel_flags(sparse(120, 50, near, 25)).any()


def test_window_rules_take_the_floor_they_are_given_and_none_by_default() -> None:
    flat = np.full(25, 20.0)
    flat[12] = 20.5  # a flat record's first change: spread 0, so without a floor it stands out
    assert c.hampel_flags(flat)[12] and c.sigma_flags(flat)[12]
    rule = c.QUANTITY_RULES["temperature"]  # ±0.2 °C: 3 x 0.2 = 0.6 > 0.5
    assert not c.hampel_flags(flat, scale_floor=rule.scale_floor).any()
    assert not c.sigma_flags(flat, scale_floor=rule.scale_floor).any()


def test_co2_floor_grows_with_the_level() -> None:
    # NDIR CO2 ±(30 ppm + 3 % of reading): at 1000 ppm the floor is 60 ppm, three of them 180 ppm
    rule = c.QUANTITY_RULES["co2"]
    assert rule.scale_floor + rule.rel_floor * 1000.0 == pytest.approx(60.0)
    for rise, flagged in ((150.0, False), (200.0, True)):
        v = np.full(41, 1000.0)
        v[20] += rise  # someone breathing past the sensor; within the sensor's band three times over
        for f in (c.sigma_flags, c.hampel_flags):
            assert f(v, scale_floor=rule.scale_floor, rel_floor=rule.rel_floor)[20] == flagged


def test_exactly_k_scales_is_not_flagged() -> None:
    v = np.full(31, 10.0)
    v[15] = 13.0  # 3 x the floor of 1.0 exactly
    for f in (c.sigma_flags, c.hampel_flags):
        assert not f(v, 31, 3.0, 1.0, steps_kept=False).any()
        v[15] = 13.25
        assert f(v, 31, 3.0, 1.0, steps_kept=False)[15]
        v[15] = 13.0


def test_spread_is_the_sample_standard_deviation_and_needs_two_neighbours() -> None:
    # neighbours 9 and 11: mean 10, sample std sqrt(2) = 1.414 (3 sigma 4.24; the population std 1 gives 3)
    assert not c.sigma_flags([9.0, 13.5, 11.0], 3, 3.0, min_neighbours=2, steps_kept=False).any()
    assert c.sigma_flags([9.0, 15.0, 11.0], 3, 3.0, min_neighbours=2, steps_kept=False).tolist() == [False, True, False]
    # one neighbour has no spread: the ends are not judged even when fewer neighbours are allowed
    assert c.sigma_flags([9.0, 15.0, 11.0], 3, 3.0, min_neighbours=0, steps_kept=False).tolist() == [False, True, False]
    # a median and a MAD exist for one neighbour: 10 and 20 each differ from theirs by more than 0
    assert c.hampel_flags([10.0, 20.0], 3, 3.0, min_neighbours=0, steps_kept=False).tolist() == [True, True]
    assert not c.hampel_flags([10.0], 3, 3.0, min_neighbours=0, steps_kept=False).any()


def test_each_point_is_judged_by_its_own_window() -> None:
    rng = np.random.default_rng(5)
    # a hall at 10 °C, then 30 °C: far from the change, nothing is an outlier of its own level
    v = np.concatenate([10 + rng.normal(0, 0.05, 300), 30 + rng.normal(0, 0.05, 300)])
    for f in (c.sigma_flags, c.hampel_flags):
        far = np.r_[0:200, 400:600]
        assert f(v, scale_floor=0.2, steps_kept=False)[far].sum() <= 2
    # a quiet display case (±0.05 °C) beside a noisy plant room record (±2 °C): the case's 1 °C spike is
    # an outlier of the case, though small beside the plant room's noise
    v = np.concatenate([20 + rng.normal(0, 0.05, 100), 20 + rng.normal(0, 2.0, 300)])
    v[50] += 1.0
    assert c.hampel_flags(v)[50] and c.sigma_flags(v)[50]


def test_level_shift_at_the_newest_end_is_not_an_outlier() -> None:
    # the HVAC set point raised 40 min ago: the four newest readings sit at the new level; without
    # the step guard the newest one (its window: 45 old readings, 3 new) would be a 3-sigma outlier
    v = np.full(200, 20.0)
    v[-4:] = 28.0
    assert not c.sigma_flags(v, scale_floor=0.2).any() and not c.hampel_flags(v, scale_floor=0.2).any()
    assert c.sigma_flags(v, scale_floor=0.2, steps_kept=False)[-1]


def test_an_outlier_must_stand_out_from_the_window_and_from_its_near_neighbours() -> None:
    # sun on the case for 11 samples (+1 °C), one of them 0.3 °C above the rest: far from the window's
    # mean (20.1 °C, 3 sigma 0.92), but not from its near neighbours by 0.92
    v = np.full(201, 20.0)
    v[95:106] = 21.0
    v[100] = 21.3
    assert c.sigma_flags(v, scale_floor=0.2, steps_kept=False)[100]
    assert not c.sigma_flags(v, scale_floor=0.2).any()
    # a reading at the usual level in the middle of a short dip (door open): its near neighbours are
    # 10 °C below it, but it is the window's own level, so it is not an outlier
    v = np.full(201, 20.0)
    v[95:105] = 10.0
    v[100] = 20.0
    assert c.excursion(v, margin=9.0)[100]
    assert not c.sigma_flags(v, scale_floor=0.2)[100] and not c.hampel_flags(v, scale_floor=0.2)[100]


# ---------------------------------------------------------------- excursion
def test_excursion_defaults_five_samples_a_side_and_no_margin() -> None:
    v = np.full(15, 10.0)
    v[6] = 12.0
    v[9:12] = 13.0  # the five after: 10 10 13 13 13 (median 13); a sixth at 10 would make it 11.5
    assert not c.excursion(v)[6]
    small_rise = np.full(15, 10.0)
    small_rise[7] = 10.5  # any rise above both sides counts by default
    assert np.flatnonzero(c.excursion(small_rise)).tolist() == [7]


def test_excursion_at_the_newest_end_uses_what_is_there() -> None:
    v = np.full(20, 10.0)
    v[-2:] = 14.0  # a step in the last two readings: the second-newest sits at the new level
    e = c.excursion(v)
    assert not e[-2]
    assert e[-1]  # the newest has no after side: judged by the five before (median 10)


# ---------------------------------------------------------------- step rule
def test_step_allowance_follows_the_time_between_readings() -> None:
    # 3 °C per 10 min: 10 min -> 3, 20 min -> 6, 5 min -> still 3 (never below one step)
    t = np.array([0.0, 600.0, 1800.0, 2100.0])
    v = np.array([20.0, 23.0, 29.0, 32.5])
    assert np.flatnonzero(c.step_flags(t, v, 3.0)).tolist() == [3]


def test_step_rule_goes_on_after_a_missing_reading() -> None:
    t = np.arange(5) * 600.0
    assert np.flatnonzero(c.step_flags(t, np.array([20.0, np.nan, 20.0, 40.0, 20.0]), 3.0)).tolist() == [3]


def test_step_rule_judges_across_max_dt_and_not_beyond() -> None:
    # 3 °C per hour: exactly 3 h apart, 9 °C is allowed and 10 °C is not; 4 h apart nothing is judged
    assert c.step_flags([0.0, 3 * H], [20.0, 30.0], 3.0, max_dt=3 * H, per_s=H).tolist() == [False, True]
    assert not c.step_flags([0.0, 3 * H], [20.0, 29.0], 3.0, max_dt=3 * H, per_s=H).any()
    assert not c.step_flags([0.0, 4 * H], [20.0, 33.0], 3.0, max_dt=3 * H, per_s=H).any()


def test_level_moves_only_when_two_readings_agree() -> None:
    t = np.arange(5) * 600.0
    # two wild readings that disagree (40, then 60) are both flagged; the next 20 is back at the reference
    assert np.flatnonzero(c.step_flags(t, np.array([20.0, 20.0, 40.0, 60.0, 20.0]), 3.0)).tolist() == [2, 3]
    # a reading exactly one allowance (3) from the jumped value confirms the new level
    assert np.flatnonzero(c.step_flags(t[:4], np.array([20.0, 30.0, 33.0, 33.0]), 3.0)).tolist() == [1]


# ---------------------------------------------------------------- stuck and rail
def ref_runs(t: list[float], v: list[float], linked, min_s: float, min_samples: int) -> list[bool]:  # type: ignore[no-untyped-def]
    flags = [False] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and linked(j):
            j += 1
        if j > i and j - i + 1 >= min_samples and t[j] - t[i] >= min_s:
            flags[i:j + 1] = [True] * (j - i + 1)
        i = j + 1
    return flags


@settings(max_examples=100, deadline=None)
@given(v=hnp.arrays(float, st.integers(0, 30), elements=st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.just(math.nan))),
       steps=st.lists(st.integers(1, 4), min_size=30, max_size=30), min_s=st.integers(0, 12),
       min_samples=st.integers(1, 6), tol=st.sampled_from([0.0, 1.0]), max_dt=st.integers(1, 4))
def test_stuck_and_rail_are_runs_of_linked_readings(v, steps, min_s, min_samples, tol, max_dt) -> None:  # type: ignore[no-untyped-def]
    t = np.cumsum(steps[: v.size]).astype(float)
    tl, vl = t.tolist(), v.tolist()

    def gap_ok(j: int) -> bool:
        return tl[j + 1] - tl[j] <= max_dt

    stuck = ref_runs(tl, vl, lambda j: abs(vl[j + 1] - vl[j]) <= tol and gap_ok(j), min_s, min_samples)
    assert c.stuck_flags(t, v, min_s, min_samples, tol, max_dt).tolist() == stuck
    rail = [a or b for a, b in zip(*(ref_runs(tl, vl, lambda j, x=x: vl[j] == x == vl[j + 1] and gap_ok(j), min_s, 2)
                                      for x in (0.0, 2.0)), strict=True)]
    assert c.rail_flags(t, v, 0.0, 2.0, min_s, max_dt).tolist() == rail


def test_stuck_limits_with_the_defaults() -> None:
    day = np.arange(145) * 600.0  # exactly 24 h at 10 min
    assert c.stuck_flags(day, np.full(145, 45.0)).all()
    assert not c.stuck_flags(day[:-1], np.full(144, 45.0)).any()  # 23 h 50 min
    four_hourly = np.arange(7) * 4 * H  # readings exactly 4 h apart still make a run; 4 h 1 s do not
    assert c.stuck_flags(four_hourly, np.full(7, 45.0)).all()
    assert not c.stuck_flags(np.arange(7) * (4 * H + 1), np.full(7, 45.0)).any()
    # six readings 12 min apart make an hour's run; five 15 min apart (after a moving start) do not
    assert c.stuck_flags(np.arange(6) * 720.0, np.full(6, 45.0), H).all()
    t = np.concatenate([[-2700.0, -1800.0, -900.0], np.arange(5) * 900.0])
    assert not c.stuck_flags(t, np.array([40.0, 41.0, 42.0] + [45.0] * 5), H).any()
    assert c.stuck_flags([0.0, H], [45.0, 45.0], H, 2).all()  # two readings can be a run when allowed


def test_rail_limits_with_the_defaults() -> None:
    t = np.arange(7) * 600.0
    assert c.rail_flags(t, np.zeros(7), 0.0, 100.0).all()  # exactly an hour at 0 %RH
    assert not c.rail_flags(t[:-1], np.zeros(6), 0.0, 100.0).any()  # 50 min
    assert c.rail_flags([0.0, H], [100.0, 100.0], 0.0, 100.0).all()  # two hourly readings pinned at 100 %RH


# ---------------------------------------------------------------- missing times
def test_missing_times_on_any_epoch_and_cadence() -> None:
    assert c.missing_times([0.0, 2.0], 0.5).tolist() == [0.5, 1.0, 1.5]  # a 2 Hz accelerometer's gap
    assert c.missing_times([0.0, 1800.0, 5400.0], 600.0, max_gap_s=1800.0).tolist() == [600.0, 1200.0]  # up to it
    assert c.missing_times([-3000.0, -1200.0], 600.0).tolist() == [-2400.0, -1800.0]  # before the epoch
    assert c.missing_times([0.0, 1450.0], 600.0).tolist() == [600.0]  # 1200 is 250 s before the next
    # 0.3 s after a reading at 5 Hz is 1.5 steps (in floating point too): no gap, nothing 0.1 s from a reading
    assert c.missing_times([0.7, 1.0], 0.2).size == 0


# ---------------------------------------------------------------- inputs as they come
def test_none_is_a_missing_value() -> None:
    # a JSON null from a logger export reads as NaN: never flagged, filled like any gap
    assert c.outside([1.0, None, 50.0], 0.0, 10.0).tolist() == [False, False, True]
    filled, imputed = c.impute([0.0, 600.0, 1200.0], [1.0, None, 3.0], H)
    assert filled.tolist() == [1.0, 2.0, 3.0] and imputed.tolist() == [False, True, False]


def test_outside_of_a_single_reading_is_a_mask_too() -> None:
    # a mask of the input's shape, for a lone value (0-d) as well: a caller can set it in place
    m = c.outside(50.0, 0.0, 10.0)
    assert isinstance(m, np.ndarray) and m.shape == () and bool(m)
    m[()] = False  # a caller clearing the flag it has judged otherwise
    assert not m and isinstance(c.outside(-1.0, 0.0, None), np.ndarray)


def test_overflow_readings_are_judged_quietly_whatever_numpys_error_settings() -> None:
    # a decoder's overflow (±inf) must not warn (warnings are errors here) or raise
    v = np.array([10.0] * 8 + [np.inf] + [10.0] * 8 + [np.inf] * 8 + [10.0] * 8 + [np.inf, -np.inf] * 3)
    with np.errstate(all="raise"):
        e = c.excursion(v, half=2)
    assert e[8] and not e[:8].any()  # a lone overflow stands above both sides; the flat start does not
    t = np.arange(v.size + 150) * 600.0
    s = c.stuck_flags(t, np.concatenate([v, np.full(150, 45.0)]))
    assert s[-150:].all() and not s[:8].any()
