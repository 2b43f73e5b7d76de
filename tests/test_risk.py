"""Risk per relic: deviation degree, exceedance duration, accumulation and levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.light_dose import annualised_exposure
from simulation.materials import Band, MaterialProfile, load_profiles
from simulation.moisture_content import emc_wood
from simulation.mould import germination_progress
from simulation.preservation_index import preservation_index
from simulation.risk import (
    Level,
    RelicRisk,
    RiskSettings,
    assess_relic,
    assess_series,
    climate_metrics,
    deviation_degree,
    deviation_scale,
    exceedance_duration,
    grade,
)

HOUR = 3600.0
DAY = 86400.0
PROFILES = load_profiles(Path(__file__).resolve().parents[1] / "scenes" / "materials.toml")
SILK_RH = PROFILES["silk"].band("relative_humidity")  # 50-60 %RH


def test_deviation_is_relative_to_the_band():
    assert deviation_scale(SILK_RH) == 10.0
    assert list(deviation_degree([45, 50, 55, 60, 63], SILK_RH, 10.0)) == pytest.approx([0.5, 0, 0, 0, 0.3])
    # a wide band (bronze 0-40 %RH) is capped at the 10 %RH reference span
    bronze = PROFILES["bronze"].band("relative_humidity")
    assert deviation_scale(bronze) == 10.0
    # a one-sided limit scales by its own magnitude: 100 lx on a 50 lx limit is one degree
    ill = PROFILES["paper"].band("illuminance")
    assert float(deviation_degree([100.0], ill, deviation_scale(ill))[0]) == pytest.approx(1.0)


@given(st.floats(0, 100, allow_nan=False))
def test_deviation_zero_exactly_inside(v):
    d = float(deviation_degree([v], SILK_RH, 10.0)[0])
    assert (d == 0) == (50 <= v <= 60)
    assert d >= 0


def test_exceedance_duration_is_the_latest_run():
    t = np.arange(10) * 600.0
    out = np.array([0, 1, 1, 0, 0, 1, 1, 1, 1, 1], bool)
    assert exceedance_duration(t, out) == 4 * 600.0
    assert exceedance_duration(t, ~np.ones(10, bool)) == 0.0
    assert exceedance_duration(t, np.ones(10, bool)) == 9 * 600.0


def _series(rh_at):
    t = np.arange(0, 7 * DAY, 600.0)
    return t, np.array([rh_at(x) for x in t])


def test_levels_from_deviation_duration_and_accumulation():
    inside = assess_series(*_series(lambda x: 55.0), SILK_RH)
    assert inside.level == Level.GREEN and inside.fraction_outside == 0.0
    # just out, for 2 h: yellow
    end = 7 * DAY
    brief = assess_series(*_series(lambda x: 61.0 if x > end - 2 * HOUR else 55.0), SILK_RH)
    assert brief.level == Level.YELLOW
    assert brief.duration_s == pytest.approx(2 * HOUR - 1200, abs=1)  # first out at end-2h+10min, last at end-10min
    assert brief.deviation == pytest.approx(0.1)
    # far out (6 %RH over 10 %RH scale > 0.5): red at once
    far = assess_series(*_series(lambda x: 66.0 if x > end - HOUR else 55.0), SILK_RH)
    assert far.level == Level.RED
    # slightly out for more than a day: red by duration
    long = assess_series(*_series(lambda x: 61.0 if x > end - 30 * HOUR else 55.0), SILK_RH)
    assert long.level == Level.RED and long.duration_s >= DAY
    # back inside now, but out 4 h every day: yellow by accumulation (fraction 1/6)
    recurrent = assess_series(*_series(lambda x: 62.0 if (x % DAY) < 4 * HOUR else 55.0), SILK_RH)
    assert recurrent.deviation == 0.0
    assert recurrent.fraction_outside == pytest.approx(1 / 6, abs=0.01)
    assert recurrent.accumulated == pytest.approx(7 * 4 * 0.2, rel=0.05)  # degree·h
    assert recurrent.level == Level.YELLOW
    assert assess_series(*_series(lambda x: 62.0 if (x % DAY) < 4 * HOUR else 55.0), SILK_RH,
                         RiskSettings(red_fraction=0.1)).level == Level.RED


def test_window_forgets_old_excursions():
    t = np.arange(0, 20 * DAY, HOUR)
    rh = np.where(t < 5 * DAY, 70.0, 55.0)
    assert assess_series(t, rh, SILK_RH).level == Level.GREEN
    assert assess_series(t, rh, SILK_RH, RiskSettings(window_s=30 * DAY)).level == Level.RED


def test_relic_combines_quantities_and_derived_checks():
    t = np.arange(0, 7 * DAY, 600.0)
    temp = np.full(t.size, 20.0)
    rh = 55 + 4 * np.sin(2 * np.pi * t / DAY)  # inside 50-60 but swings 8 %RH a day > 5 allowed
    lux = np.where((t % DAY) < 8 * HOUR, 45.0, 0.0)  # under 50 lx, but 131 400 lx·h/yr > 50 000
    r = assess_relic("robe", PROFILES["silk"], {"temperature": (t, temp), "relative_humidity": (t, rh),
                                                "illuminance": (t, lux), "colour_temperature": (t, temp)})
    by = {c.check: c for c in r.checks}
    assert by["relative_humidity"].level == Level.GREEN
    assert by["relative_humidity_change_24h"].value == pytest.approx(8.0, abs=0.05)
    assert by["relative_humidity_change_24h"].level == Level.RED  # 3 %RH over a 5 %RH limit for days
    assert by["illuminance"].level == Level.GREEN
    assert by["light_dose"].level == Level.RED
    assert by["light_dose"].value == pytest.approx(45 * 8 * 365, rel=0.01)
    assert "colour_temperature" not in by  # no band, no check
    assert r.level == Level.RED and r.worst().check in ("light_dose", "relative_humidity_change_24h")
    m = r.metrics
    assert m["pi_years"] > 0 and m["twpi_years"] > 0 and m["mould_progress"] == 0.0
    assert 5 < m["emc_percent"] < 12.5 and m["emc_mechanical"] == 0


def test_time_weighting_on_uneven_sampling():
    """Shares and integrals are per unit of time, not per sample (sample and hold)."""
    # one hour out at 1-minute sampling in a week of hourly samples: 1 h of 167 h outside is green;
    # counted per sample it would be 60 of 227 samples (26 %), red
    hourly = np.arange(0, 7 * DAY, HOUR)
    burst = 3 * DAY + np.arange(0, HOUR, 60.0)
    t = np.sort(np.concatenate([hourly[(hourly < 3 * DAY) | (hourly >= 3 * DAY + HOUR)], burst]))
    rh = np.where((t >= 3 * DAY) & (t < 3 * DAY + HOUR), 63.0, 55.0)
    assert int(np.sum(rh > 60)) == 60 and t.size == 60 + 167
    r = assess_series(t, rh, SILK_RH)
    span = t[-1] - t[0] + HOUR  # the last sample holds for the median gap (1 h)
    assert r.fraction_outside == pytest.approx(HOUR / span, rel=1e-9)
    assert r.accumulated == pytest.approx(0.3 * 1.0, rel=1e-9)  # 0.3 degree for 1 h = 0.3 degree·h
    assert r.max_deviation == pytest.approx(0.3)
    assert r.level == Level.GREEN
    # the other way round: one reading out, held 23 h until the next one, in minute-sampled days:
    # 23 h of 167 h (13.8 %) is yellow; per sample it would be 1 of 8642, green
    t2 = np.concatenate([np.arange(0, 6 * DAY, 60.0), [6 * DAY, 7 * DAY - HOUR]])
    rh2 = np.where(t2 == 6 * DAY, 61.0, 55.0)
    r2 = assess_series(t2, rh2, SILK_RH)
    assert r2.fraction_outside == pytest.approx(23 * HOUR / (t2[-1] - t2[0] + 60.0), rel=1e-9)
    assert r2.accumulated == pytest.approx(0.1 * 23, rel=1e-9)
    assert r2.level == Level.YELLOW


def test_empty_and_nan_series_are_green():
    band = Band("temperature", 16.0, 24.0)
    assert assess_series([], [], band).level == Level.GREEN
    assert assess_series([0.0, 1.0], [np.nan, np.nan], band).level == Level.GREEN


# ---------------------------------------------------------------- relic-twin risk, over a real store
def test_risk_cli_reads_the_store_and_grades_the_demo_hall(tmp_path, capsys):
    import json
    from datetime import UTC, datetime, timedelta

    from bridge.cli.risk import representative_sensor, risk_main
    from bridge.readings import Reading
    from bridge.store import Store
    from simulation.scene import load_scene

    scene_dir = Path(__file__).resolve().parents[1] / "scenes" / "demo_hall"
    scene = load_scene(scene_dir)
    ding = next(r for r in scene.relics if r.profile == "bronze")
    rh_sensor = representative_sensor(scene, ding, "relative_humidity")
    assert rh_sensor is not None and (ding.case is None or rh_sensor.case == ding.case)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    readings = []
    for i in range(48):
        t = t0 + timedelta(hours=i)
        readings.append(Reading(rh_sensor.id, "relative_humidity", t, 46.0, "%RH"))  # bronze limit 40
        readings.append(Reading(rh_sensor.id, "temperature", t, 20.0, "°C"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url) as store:
        store.write_batch(readings)
    args = ["--scene", str(scene_dir), "--db", url, "--from", "2026-03-01T00:00Z", "--to", "2026-03-03T00:00Z"]
    assert risk_main(args + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    by = {r["relic"]: r for r in out}
    ding_risk = by[ding.id]
    assert ding_risk["level"] == "red"  # 6 %RH over a 40 %RH limit for 47 h
    rh = next(c for c in ding_risk["checks"] if c["check"] == "relative_humidity")
    assert rh["value"] == 46.0 and rh["duration_s"] == 47 * 3600
    assert ding_risk["metrics"]["pi_years"] == pytest.approx(float(preservation_index(20, 46)), rel=1e-9)
    assert risk_main(args) == 0
    text = capsys.readouterr().out
    assert "告警 / red" in text and ding.name["en"] in text and "相对湿度 / Relative humidity" in text
    assert risk_main(args[:4] + ["--from", "2026-03-03T00:00Z", "--to", "2026-03-01T00:00Z"]) == 1
    # relics with no stored data are "no data", not green
    assert any(r["level"] is None and not r["checks"] for r in out)
    assert "无数据 / no data" in text
    # no database: say so, create nothing
    missing = tmp_path / "nowhere"
    assert risk_main(["--scene", str(scene_dir), "--data-dir", str(missing)]) == 1
    assert not missing.exists() and "no database" in capsys.readouterr().err


# ---------------------------------------------------------------- boundaries and edge cases, one rule each
def test_grade_thresholds_are_inclusive():
    s = RiskSettings()
    assert grade(0.0, 0.0, 0.0, s) == Level.GREEN
    assert grade(1e-9, 0.0, 0.0, s) == Level.YELLOW
    assert grade(0.0, 0.0, s.yellow_fraction, s) == Level.YELLOW  # exactly 5 % of the time: yellow
    assert grade(0.0, 0.0, s.yellow_fraction - 1e-9, s) == Level.GREEN
    assert grade(s.red_deviation, 0.0, 0.0, s) == Level.RED  # exactly half a scale out: red
    assert grade(s.red_deviation - 1e-9, 0.0, 0.0, s) == Level.YELLOW
    assert grade(0.1, s.red_duration_s, 0.0, s) == Level.RED  # exactly 24 h out: red
    assert grade(0.1, s.red_duration_s - 1.0, 0.0, s) == Level.YELLOW
    assert grade(0.0, 0.0, s.red_fraction, s) == Level.RED
    assert grade(0.0, 0.0, s.red_fraction - 1e-9, s) == Level.YELLOW


def test_deviation_scale_of_one_sided_and_uncapped_bands():
    assert deviation_scale(Band("temperature", 16.0, None)) == 4.0  # 16 capped at the 4 K span
    assert deviation_scale(Band("co2", None, 1000.0)) == 1000.0  # no reference span: the limit itself
    assert deviation_scale(Band("co2", 300.0, None)) == 300.0  # a lower limit alone scales by itself
    assert deviation_scale(Band("co2", None, 0.0)) == 1.0  # a zero limit: one unit
    assert deviation_scale(Band("co2", 400.0, 1000.0)) == 600.0
    assert deviation_scale(Band("temperature", 18.0, 20.0)) == 2.0  # narrower than the cap


def test_deviation_of_a_lower_limit_alone_and_nan():
    low_only = Band("co2", 300.0, None)
    d = deviation_degree([150.0, 300.0, 5000.0, np.nan], low_only, 300.0)
    assert list(d[:3]) == [0.5, 0.0, 0.0] and np.isnan(d[3])
    high_only = Band("co2", None, 1000.0)
    assert list(deviation_degree([0.0, 1500.0], high_only, 1000.0)) == [0.0, 0.5]


def test_exceedance_duration_takes_integer_flags():
    assert exceedance_duration([0, 60, 120, 180], [0, 1, 1, 1]) == 120.0
    assert exceedance_duration([0, 60, 120], [1, 1, 0]) == 0.0


def test_empty_series_gives_a_complete_green_check():
    band = Band("temperature", 16.0, 24.0)
    c = assess_series([], [], band, check="named")
    assert (c.check, c.level, c.low, c.high) == ("named", Level.GREEN, 16.0, 24.0)
    assert np.isnan(c.value)
    assert (c.deviation, c.duration_s, c.fraction_outside, c.accumulated, c.max_deviation) == (0.0,) * 5
    assert assess_series([], [], band).check == "temperature"
    assert RelicRisk("r", "p", Level.GREEN, (), {}).worst() is None


def test_check_reports_the_latest_sample_and_the_band():
    t = np.arange(10) * 600.0
    rh = np.full(10, 55.0)
    rh[-2:] = [58.0, 63.0]
    c = assess_series(t, rh, SILK_RH)
    assert (c.value, c.low, c.high) == (63.0, 50.0, 60.0)
    assert c.deviation == pytest.approx(0.3) and c.level == Level.YELLOW
    rh[-2:] = [70.0, 55.0]  # was far out, now inside
    back = assess_series(t, rh, SILK_RH)
    assert back.deviation == 0.0 and back.max_deviation == pytest.approx(1.0) and back.value == 55.0


def test_window_includes_the_sample_exactly_at_its_start():
    s = RiskSettings(window_s=10 * HOUR)
    t = np.arange(0.0, 11 * HOUR, HOUR)  # 0 h .. 10 h; the window starts exactly at 0 h
    rh = np.full(t.size, 55.0)
    rh[0] = 61.0
    r = assess_series(t, rh, SILK_RH, s)
    assert r.fraction_outside == pytest.approx(1 / 11)
    assert r.max_deviation == pytest.approx(0.1)
    # the window ends at the last sample, not the one before it
    t2 = np.array([0.0, 1.0, 10 * HOUR + 1.0])
    assert assess_series(t2, [61.0, 55.0, 55.0], SILK_RH, s).max_deviation == 0.0


def test_records_without_a_time_span():
    one = assess_series([0.0], [61.0], SILK_RH)
    assert one.fraction_outside == 1.0 and one.level == Level.RED
    assert assess_series([0.0], [55.0], SILK_RH).fraction_outside == 0.0
    # two samples half a second apart: weighed by time, half out
    half = assess_series([0.0, 0.5], [61.0, 55.0], SILK_RH)
    assert half.fraction_outside == pytest.approx(0.5)


def test_relic_passes_its_settings_and_skips_quantities_without_a_band():
    t = np.arange(0, 7 * DAY, 600.0)
    rh = np.where(t < 2 * DAY, 62.0, 55.0)  # out for the first two days only
    series = {"colour_temperature": (t, np.full(t.size, 3000.0)), "relative_humidity": (t, rh)}
    r = assess_relic("robe", PROFILES["silk"], series)
    assert [c.check for c in r.checks][:1] == ["relative_humidity"]  # a band-less quantity first is skipped
    assert r.level == Level.RED  # 2 of 7 days out: 29 % >= 25 %
    short = assess_relic("robe", PROFILES["silk"], series, RiskSettings(window_s=DAY))
    by = {c.check: c for c in short.checks}
    assert by["relative_humidity"].level == Level.GREEN  # the last day only: inside


def test_change_check_is_graded_against_its_own_limit_without_the_span_cap():
    # a 15 %RH daily-change limit is wider than the 10 %RH cap: a 20 %RH swing is 5/15 out, yellow
    band = Band("relative_humidity", 0.0, 100.0, max_change_24h=15.0)
    prof = MaterialProfile("p", "测试", "test", "organic", {"relative_humidity": band})
    t = np.arange(0, 3 * DAY, 600.0)
    rh = 50 + 10 * np.sin(2 * np.pi * t / DAY)
    r = assess_relic("x", prof, {"relative_humidity": (t, rh)})
    change = {c.check: c for c in r.checks}["relative_humidity_change_24h"]
    assert change.high == 15.0 and change.deviation == pytest.approx(5.0 / 15.0, abs=0.01)
    assert change.level == Level.RED  # by its share of time out (80 %)
    # the caller's settings reach the change check: forgiving shares and durations leave it yellow
    lax = RiskSettings(red_fraction=0.99, red_duration_s=1e9)
    r_lax = assess_relic("x", prof, {"relative_humidity": (t, rh)}, lax)
    assert {c.check: c for c in r_lax.checks}["relative_humidity_change_24h"].level == Level.YELLOW


def test_light_dose_check_at_its_limits():
    band = Band("illuminance", None, 1000.0, annual_exposure=43_800.0)  # 5 lx all year, exactly
    prof = MaterialProfile("p", "测试", "test", "organic", {"illuminance": band})
    t = np.arange(0, 7 * DAY + 1, HOUR)

    def dose(lux_level):
        r = assess_relic("x", prof, {"illuminance": (t, np.full(t.size, lux_level))})
        return {c.check: c for c in r.checks}["light_dose"]

    at_limit = dose(5.0)  # exactly the annual limit (168 h x 5 lx x 8760 / 168 = 43 800 lx h)
    assert at_limit.value == 43_800.0
    assert at_limit.level == Level.YELLOW and at_limit.fraction_outside == 0.0 and at_limit.deviation == 0.0
    below = dose(4.99)
    assert below.level == Level.GREEN and below.deviation == 0.0
    red = dose(7.5)  # exactly 1.5 times the limit
    assert red.level == Level.RED and red.deviation == 0.5
    assert red.fraction_outside == 1.0 and red.duration_s == 0.0 and red.accumulated == 0.0
    assert red.max_deviation == 0.5 and (red.low, red.high) == (None, 43_800.0)
    assert dose(7.49).level == Level.YELLOW
    assert dose(6.0).deviation == pytest.approx(0.2)
    # no record: green, value NaN (nothing to annualise)
    empty = assess_relic("x", prof, {"illuminance": (np.array([]), np.array([]))})
    e = {c.check: c for c in empty.checks}["light_dose"]
    assert e.level == Level.GREEN and np.isnan(e.value) and e.deviation == 0.0 and e.fraction_outside == 0.0
    # the window: the sample exactly 7 days before the last is in, the one before it is out
    t8 = np.arange(0, 8 * DAY + 1, HOUR)
    lux = np.zeros(t8.size)
    edge = t8[-1] - 7 * DAY
    lux[(t8 == edge) | (t8 == edge - HOUR)] = 1000.0
    r = assess_relic("x", prof, {"illuminance": (t8, lux)})
    inside = t8 >= edge
    assert {c.check: c for c in r.checks}["light_dose"].value == pytest.approx(
        annualised_exposure(t8[inside], lux[inside]), rel=1e-12)
    assert annualised_exposure(t8[inside], lux[inside]) > 0
    # a band with an annual limit on a quantity other than illuminance gets no dose check
    other = MaterialProfile("q", "测试", "test", "organic", {"uv": Band("uv", None, 75.0, annual_exposure=1.0)})
    assert [c.check for c in assess_relic("x", other, {"uv": (t, np.full(t.size, 10.0))}).checks] == ["uv"]


def test_metrics_need_both_climate_quantities_and_use_the_latest_sample():
    t = np.arange(0, 2 * DAY, HOUR)
    temp = np.linspace(15.0, 25.0, t.size)
    rh = np.linspace(60.0, 95.0, t.size)  # ends damp and warm: the mould clock runs
    m = climate_metrics({"temperature": (t, temp), "relative_humidity": (t, rh)})
    assert m["pi_years"] == pytest.approx(float(preservation_index(25.0, 95.0)))
    assert m["emc_percent"] == pytest.approx(float(emc_wood(25.0, 95.0)))
    assert m["emc_corrosion"] == 2.0 and m["emc_mechanical"] == 1.0
    progress = germination_progress(t, temp, rh)
    assert progress[-1] > progress[-2] > 0
    assert m["mould_progress"] == pytest.approx(float(progress[-1]))
    assert "annual_light_exposure_lxh" not in m
    assert climate_metrics({"temperature": (t, temp)}) == {}
    assert climate_metrics({"temperature": (t, temp), "relative_humidity": (t, np.full(t.size, np.nan))}) == {}
    assert climate_metrics({"relative_humidity": (t, rh)}) == {}
    # a single usable temperature is enough
    one_t = np.full(t.size, np.nan)
    one_t[3] = 20.0
    assert climate_metrics({"temperature": (t, one_t), "relative_humidity": (t, rh)})["pi_years"] == pytest.approx(
        float(preservation_index(20.0, 95.0)))
    one_h = np.full(t.size, np.nan)
    one_h[5] = 50.0
    assert climate_metrics({"temperature": (t, temp), "relative_humidity": (t, one_h)})["emc_percent"] == \
        pytest.approx(float(emc_wood(temp[5], 50.0)))
    lux = np.full(t.size, 100.0)
    assert climate_metrics({"illuminance": (t, lux)}) == {"annual_light_exposure_lxh": pytest.approx(
        annualised_exposure(t, lux))}


def test_settings_reference_spans_reach_the_deviation():
    bronze = PROFILES["bronze"].band("relative_humidity")  # 0-40 %RH: capped at 10 %RH by default
    t = np.arange(0, DAY, HOUR)
    rh = np.full(t.size, 45.0)
    assert assess_series(t, rh, bronze).deviation == pytest.approx(0.5)
    uncapped = assess_series(t, rh, bronze, RiskSettings(reference_spans={}))
    assert uncapped.deviation == pytest.approx(5.0 / 40.0)


def test_deviation_of_single_precision_readings_is_computed_in_double():
    """float32 readings give the float64 deviations of the same values."""
    band = Band("relative_humidity", 45.0, 55.0)
    v32 = np.array([40.3, 50.1, 57.7, np.nan], dtype=np.float32)
    got = deviation_degree(v32, band, 3.0)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, deviation_degree(v32.astype(float), band, 3.0))


def test_exceedance_duration_of_single_precision_times_is_computed_in_double():
    """float32 times (seconds from a recent origin) give the float64 duration of the same values."""
    t32 = np.array([0.1, 30.0, 5.0e7], dtype=np.float32)
    t64 = t32.astype(float)
    assert exceedance_duration(t32, [True, True, True]) == float(t64[-1] - t64[0]) != float(t32[-1] - t32[0])
