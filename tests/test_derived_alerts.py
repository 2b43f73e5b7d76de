"""Live alerts for the causes that need history: 24 h change, light dose, mould, condensation,
and the sensor causes battery low and calibration due; each message states the quantity."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from simulation.advice import load_advice
from simulation.alerts import AlertEngine
from simulation.derived_alerts import DerivedCauses, battery_observation, calibration_observation
from simulation.materials import load_profiles
from simulation.paths import scenes_dir
from simulation.risk import Level
from simulation.scene import load_scene
from simulation.scene_alerts import alert_settings, relic_sources

SCENE = load_scene(scenes_dir() / "demo_hall")
PROFILES = load_profiles()
H = 3600.0
T0 = 1_700_000_000.0


def run(feed, engine=None):
    """Feed [(sensor, quantity, t, value)] through DerivedCauses and an engine; all events."""
    derived = DerivedCauses(SCENE, PROFILES, relic_sources(SCENE, PROFILES))
    engine = engine or AlertEngine(alert_settings(SCENE), load_advice())
    events = []
    for sensor, q, t, v in sorted(feed, key=lambda r: r[2]):
        events += engine.update(t, derived.observe(sensor, q, t, v))
    return events


def hourly(sensor, q, values, start=T0):
    return [(sensor, q, start + i * H, float(v)) for i, v in enumerate(values)]


def test_light_dose_alert_states_the_annualised_exposure_in_lux_hours():
    # the silk painting (S04) under 45 lx, 24 h a day: within its 50 lx limit, but 394 200 lx·h a year
    # against 50 000 lx·h
    events = run(hourly("S04", "illuminance", np.full(60, 45.0)))
    dose = [e for e in events if e.cause == "light_dose" and e.kind == "raised"]
    assert len(dose) == 1 and dose[0].tier == Level.RED
    assert dose[0].value == pytest.approx(45 * 8760, rel=0.01) and dose[0].unit == "lx·h/a"
    # the figure that triggered it, with an SI prefix, against the annual limit; when it began on the
    # hall's clock (Asia/Shanghai) to the minute; what clears it (90 % of the limit, the hysteresis)
    began = datetime.fromtimestamp(dose[0].started_at.timestamp(), ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert dose[0].message_en.startswith(
        f"Landscape, ink and colour on silk: light dose 394 klx·h/a over its 50 klx·h/a limit (last 7 days, annualised) since {began}")
    assert dose[0].message_en.endswith("clears below 45 klx·h/a") and dose[0].clear_at == pytest.approx(45_000)
    assert "394 klx·h/a" in dose[0].message_zh and "50 klx·h/a" in dose[0].message_zh and began in dose[0].message_zh
    assert "低于 45 klx·h/a 后解除" in dose[0].message_zh
    assert not [e for e in events if e.cause == "illuminance_high"]  # 45 lx is within the band


def test_no_dose_alert_before_a_day_of_record():
    assert not [e for e in run(hourly("S04", "illuminance", np.full(20, 45.0))) if e.cause == "light_dose"]


def test_rh_change_in_24h_raises_with_the_change():
    rh = np.r_[np.full(10, 55.0), np.full(10, 58.0), np.full(10, 52.0)]  # a 6 %RH swing; silk allows 5
    events = run(hourly("S04", "relative_humidity", rh) + hourly("S04", "temperature", np.full(30, 20.0)))
    change = [e for e in events if e.cause == "relative_humidity_change_24h" and e.kind == "raised"]
    assert len(change) == 1 and change[0].value == pytest.approx(6.0)
    assert "6.0 %RH" in change[0].message_en and "5.0 %RH" in change[0].message_en


def test_mould_and_condensation_on_a_damp_case_by_a_cold_wall():
    rh = np.full(48, 88.0)  # 20 °C / 88 %RH is above Sedlbauer's LIM B I (78 %)
    feed = hourly("S04", "relative_humidity", rh) + hourly("S04", "temperature", np.full(48, 20.0))
    feed += hourly("S03", "temperature", np.full(48, 15.0))  # the hall's coldest sensor: surface RH > 100 %
    events = run(feed)
    mould = [e for e in events if e.cause == "mould" and e.kind in ("raised", "escalated")]
    assert mould and mould[0].unit == "d" and " d " in mould[0].message_en + " "
    cond = [e for e in events if e.cause == "condensation" and e.kind == "raised"]
    assert cond and cond[0].tier == Level.RED and cond[0].value > 100
    assert "%RH" in cond[0].message_en and "80.0 %RH" in cond[0].message_en


def test_battery_and_calibration_alerts_name_their_figure():
    engine = AlertEngine(alert_settings(SCENE), load_advice())
    engine.update(T0, [battery_observation("S02", 15.0)])
    ev = engine.update(T0 + 600, [battery_observation("S02", 15.0)])
    assert ev[0].cause == "battery_low" and ev[0].tier == Level.YELLOW and "15.0 %" in ev[0].message_en
    assert "电量" in ev[0].message_zh and ev[0].advice_en
    ev = engine.update(T0 + 700, [calibration_observation("S02", 400.0)])
    assert ev[0].cause == "calibration_due" and "400.0 d" in ev[0].message_en and "365.0 d" in ev[0].message_en
    # never red by itself, cleared at once when recalibrated
    later = engine.tick(T0 + 10 * 86400.0)
    assert any(e.cause == "calibration_due" for e in later)  # a reminder, still yellow
    assert all(e.tier == Level.YELLOW for e in later if e.cause == "calibration_due")
    cleared = engine.update(T0 + 11 * 86400.0, [calibration_observation("S02", 0.0)])
    assert any(e.kind == "cleared" and e.cause == "calibration_due" for e in cleared)


def _week_of_record():
    """Ten days of hourly readings: a lit silk painting (S04) and damp warm air at its T/RH sensors."""
    rng = np.random.default_rng(7)
    n = 240
    feed = hourly("S04", "illuminance", 40.0 + 10.0 * rng.random(n))
    for sensor in {s for (relic, q), s in relic_sources(SCENE, PROFILES).items() if q != "illuminance"}:
        feed += hourly(sensor, "temperature", 24.0 + rng.normal(0, 0.5, n))
        feed += hourly(sensor, "relative_humidity", 78.0 + rng.normal(0, 3.0, n))
    return sorted(feed, key=lambda r: r[2])


def test_the_windows_outlive_a_restart_as_if_it_never_happened():
    """DerivedCauses' state (a week of light dose and mould record, the 24 h ranges) written as JSON
    and restored into a fresh one: from then on it gives what the one that ran through gives."""
    import json

    feed = _week_of_record()
    cut = len(feed) * 2 // 3
    sources = relic_sources(SCENE, PROFILES)
    through, before = DerivedCauses(SCENE, PROFILES, sources), DerivedCauses(SCENE, PROFILES, sources)
    for r in feed[:cut]:
        through.observe(*r)
        before.observe(*r)
    after = DerivedCauses(SCENE, PROFILES, sources)
    assert after.restore(json.loads(json.dumps(before.state())))
    fresh = DerivedCauses(SCENE, PROFILES, sources)
    same, lost, causes = 0, 0, set()
    for r in feed[cut:]:
        want = through.observe(*r)
        assert after.observe(*r) == want
        same += len(want)
        causes |= {o.cause for o in want}
        lost += fresh.observe(*r) != want  # what a restart without the state would have said
    assert same > 100 and causes >= {"light_dose", "mould", "relative_humidity_change_24h"}
    assert lost > 0  # the state matters: a fresh start reports other figures


def test_a_state_of_another_version_or_damaged_is_not_restored():
    sources = relic_sources(SCENE, PROFILES)
    d = DerivedCauses(SCENE, PROFILES, sources)
    for r in _week_of_record()[:200]:
        d.observe(*r)
    good = d.state()
    fresh = DerivedCauses(SCENE, PROFILES, sources)
    assert not fresh.restore({**good, "version": 0})
    assert not fresh.restore({**good, "dose": [["S04", "not a window"]]})
    assert fresh.state() == DerivedCauses(SCENE, PROFILES, sources).state()  # left as it was
