"""Risk per relic: deviation degree, exceedance duration, accumulation and levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.materials import Band, load_profiles
from simulation.preservation_index import preservation_index
from simulation.risk import (
    Level,
    RiskSettings,
    assess_relic,
    assess_series,
    deviation_degree,
    deviation_scale,
    exceedance_duration,
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
