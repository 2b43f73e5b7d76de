"""bridge.ingest.governance: units unified, flags kept (never deleted), short gaps imputed, impossible
values quarantined; checked on synthetic series and, when ../shared is present, on the real
quirks of the Candanedo house data and the uci-occupancy step changes."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.ingest import governance as g
from bridge.readings import Reading

T0 = datetime(2025, 1, 13, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def series(values: list[float] | np.ndarray, quantity: str = "temperature", unit: str = "°C",
           step_min: float = 10, sensor: str = "s") -> list[Reading]:
    return [Reading(sensor, quantity, T0 + timedelta(minutes=step_min * i), float(v), unit)
            for i, v in enumerate(values)]


def calm(n: int, level: float = 20.0, seed: int = 0) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0, 0.05, n)


def test_units_are_unified_to_the_quantity_table() -> None:
    out = g.govern_series(series([68.0, 69.8, 71.6], unit="°F"), now=NOW)
    assert [r.unit for r in out.readings] == ["°C"] * 3
    assert [round(r.value, 6) for r in out.readings] == [20.0, 21.0, 22.0]


def test_unknown_unit_impossible_value_and_duplicate_are_quarantined() -> None:
    rs = series([20.0, 21.0, 22.0, 23.0])
    rs[1] = Reading("s", "temperature", rs[1].time, 21.0, "furlongs")
    rs[2] = Reading("s", "temperature", rs[2].time, 400.0, "°C")
    rs.append(Reading("s", "temperature", rs[3].time, 23.5, "°C"))
    out = g.govern_series(rs, now=NOW)
    assert [r.value for r in out.readings] == [20.0, 23.0]
    reasons = [j.reason for j in out.rejections]
    assert "unit 'furlongs' is not known" in reasons[0]
    assert "outside the physical range" in reasons[1] and "物理范围" in reasons[1]
    assert "a second value" in reasons[2]
    assert all(j.source == "governance:s/temperature" and j.received_at == NOW for j in out.rejections)
    assert json.loads(out.rejections[1].payload)["value"] == 400.0


def test_range_is_checked_after_unit_conversion() -> None:
    """The physical range (temperature -40 to 85 degC) applies to the converted value: 293.15 K and
    100 degF are ordinary room and warm readings, and the limits hold in every unit."""
    accepted = [(293.15, "K"), (100.0, "°F"), (233.15, "K"), (358.15, "K"), (-40.0, "°F"), (185.0, "°F"),
                (-40.0, "°C"), (85.0, "°C")]
    rejected = [(358.2, "K"), (233.1, "K"), (185.1, "°F"), (-40.1, "°F"), (0.0, "K"), (85.1, "°C")]
    rs = [Reading("s", "temperature", T0 + timedelta(minutes=i), v, u)
          for i, (v, u) in enumerate(accepted + rejected)]
    kept, rejections = g.unify(rs, now=NOW)
    assert [round(r.value, 6) for r in kept] == [20.0, 37.777778, -40.0, 85.0, -40.0, 85.0, -40.0, 85.0]
    assert all(r.unit == "°C" for r in kept)
    assert [json.loads(j.payload)["value"] for j in rejections] == [v for v, _ in rejected]
    assert all("outside the physical range" in j.reason and "°C" in j.reason for j in rejections)
    # and relative humidity given as a fraction: 0.45 is 45 %RH, 1.2 is 120 %RH (impossible)
    kept, rejections = g.unify([Reading("s", "relative_humidity", T0, 0.45, "/"),
                                Reading("s", "relative_humidity", T0 + timedelta(minutes=1), 1.2, "/")], now=NOW)
    assert [r.value for r in kept] == [pytest.approx(45.0)] and len(rejections) == 1


def test_spike_is_flagged_kept_and_left_out_of_models() -> None:
    v = calm(300)
    v[150] = 35.0
    out = g.govern_series(series(v), g.GovernanceSettings(impute="none"))
    assert len(out.readings) == 300  # nothing deleted
    bad = [r for r in out.readings if r.quality != "ok"]
    assert [r.time for r in bad] == [T0 + timedelta(minutes=1500)]
    assert bad[0].value == 35.0 and bad[0].quality == "step"
    assert bad[0].reason.startswith("jumps more than 3 °C per 10 min") and " | " in bad[0].reason
    assert len(g.for_models(out.readings)) == 299


def test_real_level_shift_in_co2_is_not_flagged() -> None:
    v = np.concatenate([calm(120, 450, 1), calm(120, 1200, 2)])
    out = g.govern_series(series(v, "co2", "ppm", step_min=1), g.GovernanceSettings(impute="none"))
    assert {r.quality for r in out.readings} == {"ok"}


def test_rh_pinned_at_zero_is_rail_and_a_frozen_value_is_stuck() -> None:
    v = np.concatenate([calm(50, 40.0), np.zeros(20), calm(30, 40.0, 3)])
    out = g.govern_series(series(v, "relative_humidity", "%RH"), g.GovernanceSettings(impute="none"))
    assert [r.quality for r in out.readings][50:70] == ["rail"] * 20
    frozen = np.concatenate([calm(20), np.full(200, 21.3), calm(20, seed=4)])  # 33 h unchanged
    out = g.govern_series(series(frozen), g.GovernanceSettings(impute="none"))
    assert [r.quality for r in out.readings].count("stuck") == 200


def test_configured_thresholds_flag_but_keep() -> None:
    s = g.GovernanceSettings(thresholds={"relative_humidity": (10.0, None)}, impute="none")
    v = np.concatenate([calm(40, 50.0), np.full(3, 2.0), calm(40, 50.0, 5)])
    out = g.govern_series(series(v, "relative_humidity", "%RH"), s)
    flagged = [r for r in out.readings if r.quality == "threshold"]
    assert len(flagged) == 3 and "10" in flagged[0].reason and "设定阈值" in flagged[0].reason


def test_a_burst_ms_apart_fills_a_gap_at_one_reading_a_second_at_most() -> None:
    """Three readings 1 ms apart (the median gap: 1 ms), then one an hour later: the hour is filled at the
    1 s floor of the cadence (3 599 readings), not at 1 ms (3.6 million); microseconds alike. A gap longer
    than max_gap_s makes no instants at all."""
    for burst_s in (1e-3, 1e-6):
        rs = [Reading("s", "temperature", T0 + timedelta(seconds=burst_s * i), 20.0, "°C") for i in range(3)]
        rs.append(Reading("s", "temperature", T0 + timedelta(hours=1), 21.0, "°C"))
        imputed = [r for r in g.govern_series(rs).readings if r.quality == "imputed"]
        assert len(imputed) == 3599
        steps = np.diff([r.time.timestamp() for r in imputed])
        assert np.allclose(steps, 1.0)
        assert 20.0 < imputed[0].value < imputed[-1].value < 21.0
    far = rs[:3] + [Reading("s", "temperature", T0 + timedelta(hours=4), 21.0, "°C")]  # 4 h > max_gap_s (3 h)
    assert [r for r in g.govern_series(far).readings if r.quality == "imputed"] == []


def test_missing_times_are_made_only_inside_gaps_that_will_be_filled() -> None:
    from simulation import cleaning as c

    assert c.missing_times([0.0, 1800.0, 9000.0], 600.0, max_gap_s=1800.0).tolist() == [600.0, 1200.0]
    assert c.missing_times([0.0, 1800.0, 9000.0], 600.0).size == 2 + 11  # without a limit: both gaps


def test_short_gaps_imputed_long_gaps_left_missing() -> None:
    rs = series(np.linspace(20, 21, 100))
    kept = rs[:40] + rs[43:60] + rs[90:]  # 3 missing (40 min gap), then 30 missing (5 h gap)
    out = g.govern_series(kept)
    imputed = [r for r in out.readings if r.quality == "imputed"]
    assert [r.time for r in imputed] == [r.time for r in rs[40:43]]
    assert [round(r.value, 9) for r in imputed] == [round(r.value, 9) for r in rs[40:43]]
    assert "linear" in imputed[0].reason and "40 min" in imputed[0].reason
    near = g.govern_series(kept, g.GovernanceSettings(impute="nearest"))
    assert [r.value for r in near.readings if r.quality == "imputed"] == [
        rs[39].value, rs[39].value, rs[43].value]


def test_governing_twice_changes_nothing() -> None:
    v = calm(200)
    v[100] = 30.0
    rs = series(v)
    del rs[50:53]
    once = g.govern_series(rs, now=NOW)
    twice = g.govern_series(once.readings, now=NOW)
    assert twice.readings == once.readings and twice.rejections == []


def test_govern_groups_by_sensor_and_quantity() -> None:
    rs = series(calm(30), sensor="a") + series(calm(30, 45.0), "relative_humidity", "%RH", sensor="a")
    rs += series(calm(30, 19.0), sensor="b")
    out = g.govern(rs)
    assert len(out.readings) == 90 and out.counts() == {"ok": 90, "rejected": 0}
    with pytest.raises(ValueError):
        g.govern_series(rs)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(min_value=-60, max_value=100, allow_nan=False), min_size=1,
                       max_size=120),
       drop=st.sets(st.integers(0, 119), max_size=40))
def test_no_reading_is_ever_lost(values: list[float], drop: set[int]) -> None:
    """Every input reading comes out, as a reading (flagged or ok) or as a rejection."""
    rs = [r for i, r in enumerate(series(values)) if i not in drop]
    out = g.govern_series(rs, now=NOW)
    raw = [r for r in out.readings if r.quality != "imputed"]
    assert len(raw) + len(out.rejections) == len(rs)
    assert {(r.time, r.value) for r in raw} <= {(r.time, r.value) for r in rs}
    assert all(r.quality in ("ok", *g.FLAGS) for r in raw)
    # imputed readings only fill instants with no kept reading (a quarantined one may be refilled)
    assert all(r.time not in {x.time for x in raw} for r in out.readings if r.quality == "imputed")


# ------------------------------------------------------ real data (skipped without ../shared)


def _candanedo(columns: list[str]) -> tuple[list[datetime], dict[str, list[str]]]:
    path = SHARED / "candanedo-house-2016" / "energy_weather_temp.zip"
    if not path.is_file():
        pytest.skip("needs ../shared/data/candanedo-house-2016 (licence: none stated)")
    with zipfile.ZipFile(path) as z, z.open(z.namelist()[0]) as f:
        rows = csv.reader(io.TextIOWrapper(f, "utf-8"), skipinitialspace=True)
        header = next(rows)
        idx = [header.index(c) for c in columns]
        times, cols = [], {c: [] for c in columns}  # type: ignore[var-annotated]
        for row in rows:
            times.append(datetime.fromisoformat(row[0]).replace(tzinfo=UTC))
            for c, j in zip(columns, idx, strict=True):
                cols[c].append(row[j])
    return times, cols


def _readings(name: str, quantity: str, unit: str, times: list[datetime], cells: list[str]) -> list[Reading]:
    return [Reading(name, quantity, t, float(x), unit) for t, x in zip(times, cells, strict=True)
            if x.strip() not in ("NA", "NaN", "")]


def test_candanedo_dew_point_61c_and_rh6_stuck_at_zero() -> None:
    times, cols = _candanedo(["Tdewpoint", "RH_6"])
    dew = g.govern_series(_readings("dew", "temperature", "°C", times, cols["Tdewpoint"]))
    bad = [r for r in dew.readings if r.value == 61.0]
    assert len(bad) == 1 and bad[0].quality != "ok" and bad[0].time == datetime(2017, 1, 30, 11, tzinfo=UTC)
    assert sum(r.quality not in ("ok", "imputed") for r in dew.readings) <= 15  # of 9,373 hourly values
    rh = g.govern_series(_readings("rh6", "relative_humidity", "%RH", times, cols["RH_6"]),
                         g.GovernanceSettings(impute="none"))
    zeros = [r for r in rh.readings if r.value == 0.0]
    assert len(zeros) == 3490 and all(r.quality == "rail" for r in zeros)


def test_candanedo_multi_day_gaps_stay_missing() -> None:
    times, cols = _candanedo(["T9"])
    out = g.govern_series(_readings("t9", "temperature", "°C", times, cols["T9"]))
    imputed = [r.time for r in out.readings if r.quality == "imputed"]
    # the 45-day T9 outage from 2016-07-05 gets nothing
    assert not [t for t in imputed if datetime(2016, 7, 6, tzinfo=UTC) <= t <= datetime(2016, 8, 18, tzinfo=UTC)]
    assert 0 < len(imputed) < 100


def test_uci_occupancy_light_and_co2_steps_are_not_outliers() -> None:
    path = SHARED / "uci-occupancy" / "datatest2.txt"
    if not path.is_file():
        pytest.skip("needs ../shared/data/uci-occupancy (licence: none stated)")
    with path.open() as f:
        rows = list(csv.reader(f))[1:]
    times = [datetime.fromisoformat(r[1]).replace(tzinfo=UTC) for r in rows]
    occupancy = np.array([int(r[7]) for r in rows])
    changes = np.flatnonzero(np.diff(occupancy) != 0) + 1  # people come in or leave
    assert len(changes) == 48
    for col, quantity, unit in ((4, "illuminance", "lx"), (5, "co2", "ppm")):
        rs = [Reading("room", quantity, t, float(r[col]), unit) for t, r in zip(times, rows, strict=True)]
        out = g.govern_series(rs, g.GovernanceSettings(impute="none"))
        flagged = np.array([r.quality != "ok" for r in out.readings])
        near = [i for i in changes if flagged[max(0, i - 3): i + 4].any()]
        assert near == [], f"{quantity}: flags next to occupancy changes at {near}"
        assert flagged.mean() < 0.003


def test_live_governor_judges_each_batch_against_recent_history():
    from bridge.ingest.live_governance import LiveGovernor

    gov = LiveGovernor()
    t0 = datetime(2026, 3, 1, tzinfo=UTC)

    def at(i: int, value: float, unit: str = "%RH") -> Reading:
        return Reading("S02", "relative_humidity", t0 + timedelta(minutes=10 * i), value, unit)

    rng = np.random.default_rng(7)
    history = [at(i, 45.0 + float(rng.normal(0, 0.3))) for i in range(60)]
    for k in range(0, 60, 6):  # batches of an hour, as the ingest sees them
        kept, refused = gov(history[k:k + 6])
        assert not refused and all(r.quality == "ok" for r in kept)
    spike = at(60, 90.0)  # +45 %RH in 10 min: no room air does that
    kept, refused = gov([spike, spike, at(61, 45.1), at(62, 130.0), at(63, 20.0, "bananas")])
    by_time = {r.time: r for r in kept}
    assert by_time[spike.time].quality == "step" and by_time[spike.time].reason  # judged against the last one
    assert by_time[t0 + timedelta(minutes=610)].quality == "ok"  # back at the old level: the spike is over
    shifted, _ = gov([at(64 + i, 52.0 + 0.1 * i) for i in range(12)])  # a door opens: a real +7 %RH
    assert all(r.quality == "ok" for r in shifted)  # a level shift is not hidden from the alerts
    assert len([r for r in kept if r.time == spike.time]) == 1  # a redelivered copy is not quarantined
    assert len(refused) == 2  # 130 %RH is impossible, "bananas" is no unit: both quarantined with a reason
    assert all(j.reason for j in refused)


# ---------------------------------------------------------------- each rule of governance on its own
def test_rejections_keep_the_reading_and_say_why_in_both_languages() -> None:
    rs = series([20.0, 21.0, 22.0, 23.0, 24.0])
    rs[1] = Reading("s", "temperature", rs[1].time, 21.0, "furlongs")
    rs[2] = Reading("s", "temperature", rs[2].time, 90.0, "°C")
    rs.insert(4, Reading("s", "temperature", rs[3].time, 23.5, "°C"))  # a second value at 23.0's time
    kept, rejections = g.unify(rs, now=NOW)
    assert [r.value for r in kept] == [20.0, 23.0, 24.0]  # a duplicate does not end the batch
    assert [j.reason for j in rejections] == [
        "temperature: unit 'furlongs' is not known | temperature：未知单位 'furlongs'",
        "temperature: 90 °C is outside the physical range (-40 to 85 °C) | temperature：90 °C 超出物理范围（-40 至 85 °C）",
        f"temperature: a second value at {rs[3].time.isoformat()} | temperature：{rs[3].time.isoformat()} 已有数值，重复"]
    assert json.loads(rejections[1].payload) == {"sensor": "s", "quantity": "temperature",
                                                 "time": rs[2].time.isoformat(), "value": 90.0, "unit": "°C"}
    assert "°C".encode() in rejections[1].payload  # kept as UTF-8 text, not \\u escapes
    assert kept[0] is rs[0]  # already canonical: the reading itself, not a copy
    # without a clock of its own, received_at is now, in UTC
    _, late = g.unify([rs[2]])
    assert late[0].received_at.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - late[0].received_at).total_seconds()) < 60


def test_govern_passes_settings_and_clock_to_each_series() -> None:
    cfg = g.GovernanceSettings(thresholds={"temperature": (None, 25.0)})
    rs = series([20.0, 30.0, 20.0]) + series([20.0, 30.0], sensor="t") + [Reading("s", "temperature", T0, 900.0, "°C")]
    out = g.govern(rs, cfg, now=NOW)
    assert [(r.sensor, r.value, r.quality) for r in out.readings if r.quality != "imputed"] == [
        ("s", 20.0, "ok"), ("s", 30.0, "threshold"), ("s", 20.0, "ok"), ("t", 20.0, "ok"), ("t", 30.0, "threshold")]
    assert "outside the configured limits None to 25.0 °C" in out.readings[1].reason
    assert [j.received_at for j in out.rejections] == [NOW]


def test_govern_series_takes_one_series_only() -> None:
    with pytest.raises(ValueError) as err:
        g.govern_series(series([20.0]) + series([21.0], sensor="t"), now=NOW)
    assert str(err.value) == "govern_series takes one sensor and one quantity (of one hall); use govern()"


def test_several_flags_name_every_rule_and_their_settings() -> None:
    # RH pinned at 0 %RH for 2 h under a configured floor of 10 %RH: threshold and rail at once
    cfg = g.GovernanceSettings(thresholds={"relative_humidity": (10.0, None)})
    out = g.govern_series(series(np.zeros(13), quantity="relative_humidity", unit="%RH"), cfg, now=NOW)
    last = out.readings[-1]
    assert last.quality == "threshold"
    assert last.reason == ("outside the configured limits 10.0 to None %RH | 超出设定阈值 10.0 至 None %RH; "
                           "pinned at the end of the physical range for 1 h or more | 持续 1 小时以上停在物理量程端点")


def test_imputation_skips_flagged_anchors_keeps_the_hall_and_can_be_off() -> None:
    t = [T0 + timedelta(minutes=10 * i) for i in range(60)]
    v = calm(60)
    rs = [Reading("s", "temperature", ti, float(x), "°C", hall="h1", site="site1") for ti, x in zip(t, v, strict=True)]
    rs[30] = Reading("s", "temperature", t[30], 35.0, "°C", hall="h1", site="site1")  # a spike, flagged
    del rs[31:33]  # and then 20 min missing
    out = g.govern_series(rs, now=NOW)
    imputed = [r for r in out.readings if r.quality == "imputed"]
    assert len(imputed) == 2 and all((r.hall, r.site) == ("h1", "site1") for r in imputed)
    assert all(19.5 < r.value < 20.5 for r in imputed)  # between calm neighbours, not towards the spike
    assert not [r for r in g.govern_series(rs, g.GovernanceSettings(impute="none"), now=NOW).readings
                if r.quality == "imputed"]
    one_gap = [r for i, r in enumerate(series(calm(20))) if i != 10]  # a single reading missing
    assert [r.time for r in g.govern_series(one_gap, now=NOW).readings if r.quality == "imputed"] == [
        T0 + timedelta(minutes=100)]


def test_the_cleaning_settings_reach_the_window_rules_and_railless_quantities_work() -> None:
    v = calm(300)
    v[150] = 21.0  # a spike of 1 K in 0.05 K noise
    default = g.govern_series(series(v), now=NOW).readings[150]
    assert default.quality in ("hampel", "sigma")
    cs = g.GovernanceSettings().cleaning
    for changed in (replace(cs, hampel_k=1e9, sigma_k=1e9), replace(cs, min_neighbours=10_000)):
        out = g.govern_series(series(v), g.GovernanceSettings(cleaning=changed), now=NOW)
        assert out.readings[150].quality == "ok", changed
    only_hampel = replace(cs, sigma_k=1e9)
    assert g.govern_series(series(v), g.GovernanceSettings(cleaning=only_hampel), now=NOW).readings[150].quality \
        == "hampel"
    only_sigma = replace(cs, hampel_k=1e9)
    assert g.govern_series(series(v), g.GovernanceSettings(cleaning=only_sigma), now=NOW).readings[150].quality \
        == "sigma"
    # illuminance has no rail rule: 0 lx all night is not "pinned", and the series is still judged
    dark = g.govern_series(series(np.zeros(100), quantity="illuminance", unit="lx"), now=NOW)
    assert {r.quality for r in dark.readings} <= {"ok", "stuck"} and "rail" not in {r.quality for r in dark.readings}


# ------------------------------------ what each rule hands on to the next, and the settings it reads
STEP_REASON = "jumps more than 3 °C per 10 min from the previous reading | 与前一读数相差超过每 10 分钟 3 °C"
RAIL_REASON = "pinned at the end of the physical range for 1 h or more | 持续 1 小时以上停在物理量程端点"


def test_a_flagged_stretch_is_left_out_of_the_later_rules() -> None:
    """Readings that threshold, rail or stuck flagged are not the step rule's reference: once an RH
    sensor pinned at 0 %RH (or read under a site floor) recovers, its first good reading is ok, not
    a 40 %RH jump kept out of the models; and a spike the step rule caught is named by it alone."""
    v = np.concatenate([calm(50, 40.0), np.zeros(20), calm(30, 40.0, 3)])
    out = g.govern_series(series(v, "relative_humidity", "%RH"), g.GovernanceSettings(impute="none"), now=NOW)
    assert [r.quality for r in out.readings] == ["ok"] * 50 + ["rail"] * 20 + ["ok"] * 30
    assert {r.reason for r in out.readings[50:70]} == {RAIL_REASON}
    s = g.GovernanceSettings(thresholds={"relative_humidity": (10.0, None)}, impute="none")
    v = np.concatenate([calm(40, 50.0), np.full(3, 2.0), calm(40, 50.0, 5)])
    out = g.govern_series(series(v, "relative_humidity", "%RH"), s, now=NOW)
    assert [r.quality for r in out.readings] == ["ok"] * 40 + ["threshold"] * 3 + ["ok"] * 40
    v = calm(300)
    v[150] = 35.0
    out = g.govern_series(series(v), g.GovernanceSettings(impute="none"), now=NOW)
    assert out.readings[150].reason == STEP_REASON  # not again as a hampel or sigma outlier


def test_rh_pinned_at_100_is_rail_too() -> None:
    """A sensor saturated at the top of its range (wet, condensing) is as broken as one at 0 %RH."""
    v = np.concatenate([calm(50, 80.0), np.full(13, 100.0), calm(30, 80.0, 3)])
    out = g.govern_series(series(v, "relative_humidity", "%RH"), g.GovernanceSettings(impute="none"), now=NOW)
    assert [r.quality for r in out.readings][50:63] == ["rail"] * 13
    assert out.readings[50].reason == RAIL_REASON


def test_stuck_reason_and_gaps_break_a_frozen_run() -> None:
    """A frozen value is named with the stuck time; the same value either side of an outage longer
    than stuck_s / stuck_min_samples (4 h) is not a stuck sensor."""
    frozen = np.concatenate([calm(20), np.full(200, 21.3), calm(20, seed=4)])
    out = g.govern_series(series(frozen), g.GovernanceSettings(impute="none"), now=NOW)
    assert {r.reason for r in out.readings if r.quality == "stuck"} == {
        "unchanged for 24 h or more: stuck sensor | 连续 24 小时以上数值不变：传感器卡滞"}
    rs = series(frozen)
    del rs[92:128]  # a 6 h outage in the middle: 12 h frozen before it and 13 h after, 31 h in all
    out = g.govern_series(rs, g.GovernanceSettings(impute="none"), now=NOW)
    assert "stuck" not in {r.quality for r in out.readings}


def test_a_sites_stuck_settings_set_the_run_rules() -> None:
    """With stuck_s = 1 h and 6 samples, readings more than 10 min apart do not form a run, for stuck and
    rail alike; with 2 samples four equal readings 20 min apart are a stuck sensor."""
    cs = g.GovernanceSettings().cleaning
    short = g.GovernanceSettings(cleaning=replace(cs, stuck_s=3600.0), impute="none")
    v = np.concatenate([calm(30), np.full(10, 21.3), calm(30, seed=4)])
    rs = series(v)
    del rs[35:38]  # 40 min between two frozen runs of 40 min: not one run of 2 h
    out = g.govern_series(rs, short, now=NOW)
    assert "stuck" not in {r.quality for r in out.readings}
    whole = g.govern_series(series(v), short, now=NOW)  # without the gap it is one
    assert [r.quality for r in whole.readings].count("stuck") == 10
    v = np.concatenate([calm(30, 50.0), np.zeros(10), calm(30, 50.0, 4)])
    rs = series(v, "relative_humidity", "%RH")
    del rs[35:38]
    out = g.govern_series(rs, short, now=NOW)
    assert "rail" not in {r.quality for r in out.readings}
    assert [r.quality for r in g.govern_series(series(v, "relative_humidity", "%RH"), short, now=NOW).readings
            ].count("rail") == 10
    two = g.GovernanceSettings(cleaning=replace(cs, stuck_s=3600.0, stuck_min_samples=2), impute="none")
    v = np.concatenate([calm(15), np.full(4, 21.3), calm(15, seed=4)])
    out = g.govern_series(series(v, step_min=20), two, now=NOW)
    assert [r.quality for r in out.readings][15:19] == ["stuck"] * 4


def test_co2_within_its_relative_accuracy_is_no_outlier() -> None:
    """NDIR CO2 reads ±(30 ppm + 3 %): at 1000 ppm a reading 120 ppm off the local level is inside
    three times that, so neither window rule flags it (without the relative part both would)."""
    v = 1000.0 + np.random.default_rng(3).normal(0, 3.0, 200)
    v[100] += 120.0
    out = g.govern_series(series(v, "co2", "ppm"), g.GovernanceSettings(impute="none"), now=NOW)
    assert {r.quality for r in out.readings} == {"ok"}
    v[100] += 100.0  # 220 ppm off: beyond 3 x 60 ppm, an outlier
    out = g.govern_series(series(v, "co2", "ppm"), g.GovernanceSettings(impute="none"), now=NOW)
    assert [i for i, r in enumerate(out.readings) if r.quality != "ok"] == [100]


def test_flag_masks_are_boolean_for_every_rule_and_quantity() -> None:
    """Each rule's mask selects the readings it flagged (a quantity with no step rule included)."""
    v = np.concatenate([calm(30, 450.0), [5000.0], calm(30, 450.0, 2)])
    t = T0.timestamp() + 600.0 * np.arange(v.size)
    for quantity in ("co2", "temperature", "illuminance"):
        masks = g.flag_arrays(quantity, t, v, g.GovernanceSettings())
        assert set(masks) == set(g.FLAGS)
        for name, m in masks.items():
            assert m.dtype == bool and m.shape == v.shape, (quantity, name)
            assert v[m].size == int(m.sum())


def test_a_one_hertz_sensor_has_its_short_gaps_imputed() -> None:
    """Cadence is the median interval, however short: a vibration sensor read every second that
    misses two readings has both filled, a second apart."""
    v = 0.02 + np.random.default_rng(5).normal(0, 0.001, 60)
    rs = [Reading("acc", "vibration", T0 + timedelta(seconds=i), float(x), "m/s²") for i, x in enumerate(v)]
    del rs[30:32]
    out = g.govern_series(rs, now=NOW)
    assert [r.time for r in out.readings if r.quality == "imputed"] == [
        T0 + timedelta(seconds=30), T0 + timedelta(seconds=31)]


def test_a_burst_from_a_clock_gone_wild_is_kept_without_imputation() -> None:
    """A logger whose clock jumped to 9999 sends eight readings a microsecond apart (one instant as a
    float) and one a minute later: with no cadence to fill, nothing is imputed and nothing fails."""
    t0 = datetime(9999, 1, 1, tzinfo=UTC)
    times = [t0 + timedelta(microseconds=i) for i in range(8)] + [t0 + timedelta(minutes=1)]
    rs = [Reading("s", "temperature", t, 20.0 + 0.1 * i, "°C") for i, t in enumerate(times)]
    out = g.govern_series(rs, now=NOW)
    assert [r.time for r in out.readings] == times and out.rejections == []
