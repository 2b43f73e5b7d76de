"""Alert engine: one alert per episode, escalation and reminders on the clock, roll-up, offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.advice import FIELDS, AdviceBook, load_advice
from simulation.alerts import (
    AlertEngine,
    AlertSettings,
    CauseRule,
    Target,
    band_observations,
    forecast_observation,
)
from simulation.materials import Band, load_profiles
from simulation.risk import Level, deviation_scale

ROOT = Path(__file__).resolve().parents[1]
ADVICE = load_advice(ROOT / "scenes" / "advice.toml")
SILK_RH = load_profiles(ROOT / "scenes" / "materials.toml")["silk"].band("relative_humidity")  # 50-60
RELIC, CASE, ZONE, HALL = Target("relic", "robe"), Target("case", "case3"), Target("zone", "A"), Target("hall", "h")
MIN = 60.0


def engine(**kw):
    s = AlertSettings(parents={RELIC: CASE, CASE: ZONE, ZONE: HALL},
                      labels={RELIC: {"zh": "丝绸袍", "en": "silk robe"}, CASE: {"zh": "3号展柜", "en": "case 3"}},
                      near={RELIC: {"zh": "2号门", "en": "door 2"}}, **kw)
    return AlertEngine(s, ADVICE)


def feed(e, times, values, target=RELIC, sensor=None):
    events = []
    for t, v in zip(times, values, strict=True):
        events += e.update(float(t), band_observations(target, "relative_humidity", float(v), SILK_RH, sensor))
    return events


def kinds(events, kind):
    return [ev for ev in events if ev.kind == kind]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_noisy_series_hovering_at_threshold_raises_one_alert_per_episode(seed):
    # three episodes of 3 h hovering at 60.5 ± 0.4 %RH (noise crosses the 60 % limit often),
    # separated by 3 h at 55 %: exactly three alerts, three clears, no flapping
    rng = np.random.default_rng(seed)
    t = np.arange(0, 21 * 3600, MIN)
    base = np.where(((t // (3 * 3600)) % 2) == 1, 60.5, 55.0)
    rh = base + rng.normal(0, 0.4, t.size)
    e = engine(escalate_unacked_s=1e9)
    events = feed(e, t, rh)
    raised, cleared = kinds(events, "raised"), kinds(events, "cleared")
    assert len(raised) == 3 and len(cleared) == 3
    assert all(ev.tier == Level.YELLOW and ev.cause == "relative_humidity_high" for ev in raised)
    assert not e.active()


def test_one_active_alert_per_target_and_cause():
    e = engine()
    t = np.arange(0, 2 * 3600, MIN)
    events = feed(e, t, np.full(t.size, 62.0))
    events += feed(e, t, np.full(t.size, 62.0), target=Target("relic", "other"))
    assert len(kinds(events, "raised")) == 2
    assert len(e.active()) == 2
    assert {a.target for a in e.active()} == {RELIC, Target("relic", "other")}


def test_observation_checks_its_scale_and_direction():
    from simulation.alerts import Observation

    with pytest.raises(ValueError, match="scale"):
        Observation(RELIC, "x_high", 1.0, 0.0, scale=0.0)
    with pytest.raises(ValueError, match="direction"):
        Observation(RELIC, "x_high", 1.0, 0.0, direction=0)
    assert Observation(RELIC, "x_low", 40.0, 45.0, scale=10.0, direction=-1).deviation == pytest.approx(0.5)


def test_min_duration_filters_a_single_spike():
    e = engine()
    events = feed(e, [0, 60, 120, 180], [55.0, 70.0, 55.0, 55.0])
    assert not kinds(events, "raised")


def test_escalation_and_reminders_on_the_clock_without_new_readings():
    e = engine(escalate_unacked_s=1800.0, remind_s={Level.YELLOW: 600.0, Level.RED: 300.0})
    events = feed(e, [0, 60, 300], [61.0, 61.0, 61.0])
    (raised,) = kinds(events, "raised")
    assert raised.tier == Level.YELLOW
    assert raised.started_at == datetime.fromtimestamp(0, UTC)
    assert raised.at == datetime.fromtimestamp(300, UTC)
    # no readings from now on: the clock alone drives reminders and escalation
    ev = e.tick(300 + 599)
    assert ev == []
    ev = e.tick(300 + 600)
    assert [x.kind for x in ev] == ["reminder"] and ev[0].message_en.startswith("[reminder]")
    ev = e.tick(300 + 1800)
    assert [(x.kind, x.tier, x.reason) for x in ev] == [("escalated", Level.RED, "unacknowledged")]
    ev = e.tick(300 + 1800 + 300)
    assert [(x.kind, x.tier) for x in ev] == [("reminder", Level.RED)]
    # acknowledging stops reminders
    (ack,) = e.acknowledge(raised.alert_id, "curator li", 300 + 2200)
    assert ack.kind == "acknowledged" and ack.acknowledged_by == "curator li"
    assert e.tick(300 + 5000) == []


def test_acknowledged_yellow_does_not_escalate_on_the_clock():
    e = engine(escalate_unacked_s=1800.0)
    (raised,) = kinds(feed(e, [0, 300], [61.0, 61.0]), "raised")
    e.acknowledge(raised.alert_id, "guard", 400)
    assert e.tick(10_000) == []
    assert e.active()[0].tier == Level.YELLOW and e.active()[0].acknowledged_by == "guard"
    with pytest.raises(KeyError):
        e.acknowledge("relic:robe:nothing:99", "guard", 500)


def test_worsening_escalates_and_improvement_de_escalates():
    e = engine(escalate_unacked_s=1e9)
    t = np.arange(0, 4 * 3600, MIN)
    rh = np.select([t < 3600, t < 2 * 3600, t < 3 * 3600], [61.0, 67.0, 61.0], 55.0)
    events = feed(e, t, rh)
    seq = [(x.kind, x.tier, x.reason) for x in events if x.kind != "reminder"]
    assert seq == [("raised", Level.YELLOW, ""), ("escalated", Level.RED, "worsened"),
                   ("de-escalated", Level.YELLOW, "improved"), ("cleared", Level.YELLOW, "back within limits")]


def test_red_from_neglect_stays_red_until_acknowledged():
    e = engine(escalate_unacked_s=600.0)
    (raised,) = kinds(feed(e, [0, 300], [61.0, 61.0]), "raised")
    assert kinds(e.tick(1000), "escalated")
    # slightly better but still out: stays red while nobody has looked
    assert not kinds(feed(e, np.arange(1100, 4000, MIN), np.full(49, 60.5)), "de-escalated")
    e.acknowledge(raised.alert_id, "guard", 4000)
    assert kinds(feed(e, np.arange(4000, 6000, MIN), np.full(34, 60.5)), "de-escalated")


def test_rollup_relic_case_zone_hall():
    e = engine(escalate_unacked_s=1e9)
    feed(e, [0, 300], [61.0, 61.0])
    assert e.rollup() == {RELIC: Level.YELLOW, CASE: Level.YELLOW, ZONE: Level.YELLOW, HALL: Level.YELLOW}
    feed(e, [0, 300], [70.0, 70.0], target=Target("relic", "other"))
    assert e.rollup()[Target("relic", "other")] == Level.RED
    assert e.rollup()[CASE] == Level.YELLOW  # "other" is not in case 3
    assert e.active()[0].tier == Level.RED  # worst first


def test_hysteresis_61_then_59_5_does_not_clear():
    """Yellow sets at the limit (60 %RH) and clears only 1 %RH inside it (deviation -0.1 of the
    10 %RH scale): a reading of 59.5 %RH after 61 %RH is inside the limit but must not clear."""
    e = engine(escalate_unacked_s=1e9)
    (raised,) = kinds(feed(e, [0, 300], [61.0, 61.0]), "raised")
    assert raised.tier == Level.YELLOW
    t = np.arange(360, 360 + 3 * 3600, MIN)
    assert not kinds(feed(e, t, np.full(t.size, 59.5)), "cleared")  # 3 h at 59.5: held
    assert [a.alert_id for a in e.active()] == [raised.alert_id]
    # 58.9 %RH is past the clear threshold (-0.11): clears once it has held for min_clear_s (600 s)
    t2 = t[-1] + MIN + np.arange(0, 601, MIN)
    events = feed(e, t2, np.full(t2.size, 58.9))
    (cleared,) = kinds(events, "cleared")
    assert cleared.at == datetime.fromtimestamp(t2[0] + 600, UTC)
    assert not e.active()
    # exactly at the clear threshold (59.0 %RH, deviation -0.1) clears too: the rule is "<="
    e2 = engine(escalate_unacked_s=1e9)
    feed(e2, [0, 300], [61.0, 61.0])
    assert kinds(feed(e2, np.arange(360, 360 + 1200, MIN), np.full(20, 59.0)), "cleared")


def test_hysteresis_on_red_and_minimum_set_time():
    """Red sets at deviation 0.5 (65 %RH) and returns to yellow only below 0.3 (63 %RH)."""
    e = engine(escalate_unacked_s=1e9)
    # 64.9 %RH (0.49) for an hour raises yellow only
    assert [x.tier for x in kinds(feed(e, np.arange(0, 3600, MIN), np.full(60, 64.9)), "raised")] == [Level.YELLOW]
    # 65 %RH: escalates after min_set_s (300 s), not before
    ev = feed(e, np.arange(3600, 3600 + 299, MIN), np.full(5, 65.0))
    assert not kinds(ev, "escalated")
    (esc,) = kinds(feed(e, [3900.0], [65.0]), "escalated")
    assert esc.tier == Level.RED and esc.reason == "worsened"
    # 63.5 %RH (0.35) for 2 h: still red (hysteresis between 0.5 and 0.3)
    assert not kinds(feed(e, np.arange(4000, 4000 + 7200, MIN), np.full(120, 63.5)), "de-escalated")
    assert e.active()[0].tier == Level.RED
    # 62.9 %RH (0.29): back to yellow after min_clear_s (600 s), not before
    t = np.arange(11_200, 11_200 + 601, MIN)
    ev = feed(e, t, np.full(t.size, 62.9))
    (de,) = kinds(ev, "de-escalated")
    assert de.at == datetime.fromtimestamp(11_200 + 600, UTC) and de.tier == Level.YELLOW


def test_rollup_takes_the_worst_tier_not_the_last():
    """A case holding a red relic and, raised later, a yellow one is red; and so up to the hall."""
    e = engine(escalate_unacked_s=1e9)
    vase = Target("relic", "vase")
    e.settings.parents[vase] = CASE  # in case 3 with the robe
    feed(e, [0, 300], [70.0, 70.0], target=vase)  # red, raised first
    feed(e, [400, 700], [61.0, 61.0])  # robe: yellow, raised last
    rolled = e.rollup()
    assert rolled[vase] == Level.RED and rolled[RELIC] == Level.YELLOW
    assert rolled[CASE] == rolled[ZONE] == rolled[HALL] == Level.RED
    # one relic, two causes: red temperature first, yellow humidity last -> the relic is red
    e2 = engine(escalate_unacked_s=1e9)
    band_t = load_profiles(ROOT / "scenes" / "materials.toml")["silk"].band("temperature")
    hot = band_t.high + 0.6 * deviation_scale(band_t)
    for t in (0.0, 300.0):
        e2.update(t, band_observations(RELIC, "temperature", hot, band_t))
    feed(e2, [400, 700], [61.0, 61.0])
    assert {a.cause: a.tier for a in e2.active()} == {"temperature_high": Level.RED,
                                                     "relative_humidity_high": Level.YELLOW}
    assert e2.rollup() == {RELIC: Level.RED, CASE: Level.RED, ZONE: Level.RED, HALL: Level.RED}


def test_offline_sensor_is_its_own_cause_and_clears_when_back():
    e = engine(offline_after_s=900.0)
    e.watch(["s1", "s2"], 0)
    assert e.tick(899) == []
    feed(e, [0, 300], [55.0, 55.0], sensor="s1")
    ev = e.tick(900)
    off = kinds(ev, "raised")
    assert [(x.target, x.cause) for x in off] == [(Target("sensor", "s2"), "offline")]
    assert off[0].message_en == ("Sensor s2 offline: no data since 00:00 (15 min, 15 min allowed); "
                                 "clears when it reports again")
    assert off[0].message_zh == "传感器s2离线：自 00:00 起无数据（已 15 分钟，允许 15 分钟）；恢复上报后解除"
    ev = e.tick(1300)
    assert [(x.target.id, x.cause) for x in kinds(ev, "raised")] == [("s1", "offline")]
    ev = feed(e, [1400], [55.0], sensor="s2")
    assert [(x.target.id, x.kind) for x in ev if x.cause == "offline"] == [("s2", "cleared")]
    back = next(x for x in ev if x.cause == "offline")
    # how long it really was silent (not "no data for 0 min", the silence of the reading that ended it)
    assert back.message_en == "[cleared] Sensor s2 reports again at 00:23 after 23 min without data"
    assert "00:23" in back.message_zh and "23 分钟" in back.message_zh and "0 分钟" not in back.message_zh
    assert {a.target.id for a in e.active()} == {"s1"}


def test_forecast_pre_alarm_is_yellow_only():
    e = engine(escalate_unacked_s=600.0)
    obs = forecast_observation(CASE, "relative_humidity", probability=0.8, time_to_breach_s=3 * 3600)
    (raised,) = kinds(e.update(0, [obs]), "raised")
    assert raised.tier == Level.YELLOW and raised.cause == "forecast_breach"
    assert "about 3.0 h" in raised.message_en and "80%" in raised.message_en and "约 3.0 小时" in raised.message_zh
    assert not kinds(e.tick(5000), "escalated")
    low = forecast_observation(CASE, "relative_humidity", probability=0.3, time_to_breach_s=3 * 3600)
    ev = e.update(6000, [low]) + e.tick(6000 + 900)
    assert kinds(ev, "cleared")


def test_texts_in_both_languages_with_target_and_advice():
    e = engine()
    (raised,) = kinds(feed(e, [0, 300], [63.0, 63.0]), "raised")
    # what, since when (the hall's clock, here UTC), the peak, the value now, what clears it (60 - 0.1 x 10)
    assert raised.message_en == "silk robe: RH over its 60.0 %RH limit since 00:00, peak 63.0 %RH, now 63.0 %RH; " \
                                "clears below 59.0 %RH"
    assert raised.message_zh == "丝绸袍：相对湿度自 00:00 起超过上限 60.0 %RH，峰值 63.0 %RH，当前 63.0 %RH；低于 59.0 %RH 后解除"
    assert "silica gel" in raised.advice_en and "door 2" in raised.advice_en
    assert "硅胶" in raised.advice_zh and "2号门" in raised.advice_zh


def test_datetime_clock_and_custom_rule():
    t0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
    e = engine(rules={"relative_humidity_high": CauseRule(min_set_s=0.0)})
    ev = e.update(t0, band_observations(RELIC, "relative_humidity", 61.0, SILK_RH))
    assert kinds(ev, "raised")[0].started_at == t0
    assert not e.tick(t0 + timedelta(minutes=29))
    assert kinds(e.tick(t0 + timedelta(minutes=30)), "escalated")
    with pytest.raises(ValueError, match="naive"):
        e.tick(datetime(2026, 3, 1, 10))


# ---------------------------------------------------------------- a real excursion, replayed
def _case1_week():
    import csv

    path = ROOT / "tests" / "data" / "risk" / "case1_week.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    times = [datetime.fromisoformat(r["datetime"].replace("Z", "+00:00")) for r in rows]
    return times, np.array([float(r["lux"]) for r in rows])


def test_real_display_case_light_raises_and_clears_once_per_lit_day():
    # Case 1 of the "Anonymous Library" (MIT, tests/data/risk/README.md) against paper's 50 lx.
    paper_lux = load_profiles(ROOT / "scenes" / "materials.toml")["paper"].band("illuminance")
    times, lux = _case1_week()
    e = engine(escalate_unacked_s=1e9)
    events = []
    for t, v in zip(times, lux, strict=True):
        events += e.update(t, band_observations(RELIC, "illuminance", float(v), paper_lux, sensor="S04"))
    raised, cleared = kinds(events, "raised"), kinds(events, "cleared")
    assert len(raised) == len(cleared)  # every lit period ends at night
    per_day = {}
    for ev in raised:
        per_day[ev.at.date()] = per_day.get(ev.at.date(), 0) + 1
    # Monday-Friday 23-27 August: lit 80-160 lx all day -> exactly one alert a day
    for day in range(23, 28):
        assert per_day.get(datetime(2021, 8, day).date()) == 1, per_day
    # weekend days hover around 50 lx: still at most a few, against dozens of raw crossings
    crossings = int(np.sum((lux[1:] > 50) & (lux[:-1] <= 50)))
    assert sum(per_day.values()) <= 10 < crossings
    assert all(6 <= ev.at.hour <= 20 for ev in raised)  # never at night
    assert raised[0].message_zh.startswith("丝绸袍：照度")


# ---------------------------------------------------------------- texts
def test_every_cause_has_both_languages_and_renders_fully():
    from simulation.advice import FIELDS

    needed = {"relative_humidity_high", "relative_humidity_low", "relative_humidity_change_24h", "temperature_high",
              "temperature_low", "illuminance_high", "light_dose", "uv_high", "vibration_high", "offline",
              "forecast_breach", "condensation", "mould", "high", "low", "default"}
    assert needed <= set(ADVICE.causes)
    fields = {f: f"<{f}>" for f in FIELDS}
    for cause in ADVICE.causes:
        texts = ADVICE.render(cause, fields)
        for text in (texts.message_zh, texts.message_en, texts.advice_zh, texts.advice_en):
            assert text and "{" not in text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in texts.message_zh + texts.advice_zh)  # Chinese text
    # generic fallbacks: a pollutant uses "high", an unknown cause "default"
    assert ADVICE.render("so2_high", fields).message_en.startswith("<target_en>: <quantity_en> over its <limit> limit")
    assert ADVICE.render("no_such_cause", fields).message_en.startswith("<target_en>: out of range")


def test_advice_file_errors_are_all_listed(tmp_path):
    from simulation.advice import AdviceError

    p = tmp_path / "a.toml"
    p.write_text('[causes.default]\nmessage_zh = "x {target_zh}"\nmessage_en = "x {nonsense}"\n'
                 'advice_zh = ""\nadvice_en = "y"\nextra = "z"\n', encoding="utf-8")
    with pytest.raises(AdviceError) as exc:
        load_advice(p)
    text = "\n".join(exc.value.errors)
    assert len(exc.value.errors) == 3 and str(p) in text
    assert "unknown placeholder {nonsense}" in text and "advice_zh: expected a non-empty text" in text
    assert "causes.default.extra: unknown key" in text


# ---------------------------------------------------------------- the demo hall wired to the engine
def test_demo_hall_wiring_rolls_a_case_reading_up_to_the_hall():
    from simulation.scene import load_scene
    from simulation.scene_alerts import alert_settings, reading_observations, relic_sources, representative_sensor

    scene = load_scene(ROOT / "scenes" / "demo_hall")
    profiles = load_profiles(ROOT / "scenes" / "materials.toml")
    relic = next(r for r in scene.relics if r.case is not None)
    sensor = representative_sensor(scene, relic, "relative_humidity")
    assert sensor is not None and sensor.case == relic.case
    src = relic_sources(scene, profiles)
    assert src[(relic.id, "relative_humidity")] == sensor.id
    s = alert_settings(scene)
    rt = Target("relic", relic.id)
    chain = [rt]
    while chain[-1] in s.parents:
        chain.append(s.parents[chain[-1]])
    assert [t.kind for t in chain] == ["relic", "case", "zone", "hall"]
    band = profiles[relic.profile].band("relative_humidity")
    wet = band.high + 0.2 * (band.width or 10.0) + 1.0
    e = AlertEngine(s, ADVICE)
    events = []
    for t in (0.0, 600.0):
        events += e.update(t, reading_observations(scene, profiles, sensor.id, "relative_humidity", wet, src))
    (raised,) = kinds(events, "raised")
    assert raised.target == rt and relic.name["en"] in raised.message_en and relic.name["zh-CN"] in raised.message_zh
    assert s.near[rt]["en"] in raised.advice_en
    rolled = e.rollup()
    assert all(rolled[t] == raised.tier for t in chain)
    # the sensor is watched: silence makes it offline
    assert [x.target for x in kinds(e.tick(600 + s.offline_after_s), "raised")] == [Target("sensor", sensor.id)]


# ---------------------------------------------------------------- every placeholder an advice text may use
_ORDER = sorted(FIELDS)
_ALL = "|".join("{" + f + "}" for f in _ORDER)
_EVERY_FIELD = AdviceBook(MappingProxyType({"default": {"message_zh": _ALL, "message_en": _ALL, "advice_zh": "",
                                                        "advice_en": ""}}))
_T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC).timestamp()  # 14:00 in Shanghai
_BLANK = dict.fromkeys(_ORDER, "")


def _fields(ev) -> dict[str, str]:
    assert ev.message_en == ev.summary_en and ev.message_zh == ev.summary_zh  # no prefix on these kinds
    return dict(zip(_ORDER, ev.message_en.split("|"), strict=True))


def _shanghai(**kw) -> AlertEngine:
    return AlertEngine(AlertSettings(labels={RELIC: {"zh": "丝绸袍", "en": "silk robe"}},
                                     near={RELIC: {"zh": "2号门", "en": "door 2"}}, timezone="Asia/Shanghai",
                                     escalate_unacked_s=1e9, **kw), _EVERY_FIELD)


def test_every_placeholder_of_a_high_alert():
    e = _shanghai()
    band = Band("relative_humidity", 50.0, 60.0)
    e.update(_T0, band_observations(RELIC, "relative_humidity", 61.0, band, sensor="S1"))
    (ev,) = e.update(_T0 + 300, band_observations(RELIC, "relative_humidity", 63.0, band, sensor="S1"))
    assert _fields(ev) == {**_BLANK, "target_zh": "丝绸袍", "target_en": "silk robe", "quantity_zh": "相对湿度",
                           "quantity_en": "Relative humidity", "value": "63.0 %RH", "limit": "60.0 %RH",
                           "peak": "63.0 %RH", "tier_zh": "黄色预警", "tier_en": "yellow", "near_zh": "2号门",
                           "near_en": "door 2", "started": "14:00", "at": "14:05", "duration_zh": "5 分钟",
                           "duration_en": "5 min", "clear_zh": "低于 59.0 %RH 后解除",
                           "clear_en": "clears below 59.0 %RH"}
    assert (ev.value, ev.limit, ev.unit, ev.peak, ev.clear_at, ev.sensor, ev.quantity) == (
        63.0, 60.0, "%RH", 63.0, 59.0, "S1", "relative_humidity")
    # the peak holds while the value eases; red wording once escalated
    e.update(_T0 + 400, band_observations(RELIC, "relative_humidity", 61.0, band, sensor="S1"))
    for dt in (500, 800):
        ev = e.update(_T0 + dt, band_observations(RELIC, "relative_humidity", 66.0, band, sensor="S1"))
    (esc,) = [x for x in ev if x.kind == "escalated"]
    f = dict(zip(_ORDER, esc.summary_en.split("|"), strict=True))
    assert (f["tier_zh"], f["tier_en"], f["peak"], f["value"]) == ("红色告警", "red", "66.0 %RH", "66.0 %RH")
    assert esc.message_en == "[escalated] " + esc.summary_en
    (active,) = e.active()
    assert active.kind == "active" and active.tier == Level.RED


def test_every_placeholder_of_a_low_alert_without_labels_in_a_quantity_of_whole_units():
    e = _shanghai()
    other = Target("relic", "scroll")
    band = Band("illuminance", 50.0, None)  # a lower limit only, whole lux
    for dt in (0, 300):
        ev = e.update(_T0 + dt, band_observations(other, "illuminance", 20.0, band))
    f = _fields(ev[0])
    assert (f["target_zh"], f["target_en"], f["near_zh"], f["near_en"]) == ("scroll", "scroll", "附近的门",
                                                                          "the nearby doors")
    assert (f["value"], f["limit"], f["peak"]) == ("20 lx", "50 lx", "20 lx")
    assert (f["clear_zh"], f["clear_en"]) == ("高于 55 lx 后解除", "clears above 55 lx")  # 0.1 of a 50 lx scale
    assert ev[0].clear_at == pytest.approx(55.0)
    # a cause with no known quantity: one decimal, the quantity's name as given
    from simulation.alerts import Observation

    e2 = _shanghai()
    for dt in (0, 300):
        ev = e2.update(_T0 + dt, [Observation(other, "odd_high", 3.0, 2.0, scale=1.0, unit="u", quantity="odd")])
    f = _fields(ev[0])
    assert (f["value"], f["limit"], f["quantity_en"], f["quantity_zh"]) == ("3.0 u", "2.0 u", "odd", "odd")


def test_every_placeholder_of_offline_and_forecast_alerts():
    e = _shanghai(offline_after_s=900.0)
    e.watch(["S9"], _T0)
    (off,) = e.tick(_T0 + 3 * 3600)
    f = _fields(off)
    assert (f["value"], f["limit"], f["last_seen"], f["started"], f["at"]) == ("3 h", "15 min", "14:00", "17:00", "17:00")
    assert (f["silence_zh"], f["silence_en"], f["allowed_zh"], f["allowed_en"]) == ("3 小时", "3 h", "15 分钟", "15 min")
    assert (f["clear_zh"], f["clear_en"]) == ("", "") and off.clear_at is None and off.unit == "s"
    obs = forecast_observation(CASE, "relative_humidity", probability=0.8, time_to_breach_s=5580.0)
    (fc,) = [x for x in e.update(_T0 + 3 * 3600, [obs]) if x.cause == "forecast_breach"]
    f = _fields(fc)
    assert (f["eta_zh"], f["eta_en"], f["probability"]) == ("约 1.6 小时", "about 1.6 h", "80")  # 1.55 h
    assert (f["quantity_en"], f["clear_en"]) == ("Relative humidity", "") and fc.clear_at is None


def test_acknowledgement_names_who_and_a_parent_cycle_ends():
    e = engine(escalate_unacked_s=1e9)
    (raised,) = kinds(feed(e, [0, 300], [61.0, 61.0]), "raised")
    (ack,) = e.acknowledge(raised.alert_id, "curator li", 400)
    assert ack.reason == "curator li" == ack.acknowledged_by
    with pytest.raises(KeyError, match="no active alert 'nope'"):
        e.acknowledge("nope", "x", 500)
    a, b = Target("case", "a"), Target("zone", "b")
    loop = AlertEngine(AlertSettings(parents={a: b, b: a}), ADVICE)
    for t in (0.0, 300.0):
        loop.update(t, band_observations(a, "relative_humidity", 61.0, SILK_RH))
    assert loop.rollup() == {a: Level.YELLOW, b: Level.YELLOW}


def test_heard_keeps_the_latest_time_and_keeps_a_sensor_online():
    e = engine(offline_after_s=900.0)
    e.watch(["s1"], 0)
    e.heard(["s1"], 800)
    e.heard(["s1"], 500)  # an older report does not move the clock back
    assert e.tick(1600) == []
    assert [x.cause for x in e.tick(1700)] == ["offline"]


def test_light_doses_read_with_an_si_prefix():
    from simulation.alerts import format_value

    assert format_value(1_234_000.0, "lx·h/a") == "1.2 Mlx·h/a"
    assert format_value(12_340_000.0, "lx·h/a") == "12 Mlx·h/a"
    assert format_value(150_000.0, "lx·h") == "150 klx·h"
    assert format_value(1000.0, "lx·h") == "1.0 klx·h"  # from 1000 on
    assert format_value(999.4, "lx·h") == "999 lx·h"
    assert format_value(1.26, "x") == "1.3 x" and format_value(1.26, "x", 2) == "1.26 x"


def test_forecast_pre_alarm_clears_on_its_own_probability_scale():
    e = engine()
    obs = forecast_observation(CASE, "relative_humidity", probability=0.8, time_to_breach_s=3600.0)
    assert kinds(e.update(0.0, [obs]), "raised")
    eased = forecast_observation(CASE, "relative_humidity", probability=0.35, time_to_breach_s=3600.0)
    # 0.35 is 0.3 of the 0.5 threshold below it: past the -0.2 clear threshold, clears after 900 s
    assert not kinds(e.update(600.0, [eased]), "cleared")
    assert kinds(e.update(1500.0, [eased]), "cleared")


def test_offline_turns_red_only_after_eleven_allowed_silences():
    e = engine(offline_after_s=900.0, escalate_unacked_s=1e9)
    e.watch(["s1"], 0)
    (off,) = kinds(e.tick(2 * 3600), "raised")  # 2 h silent: 7 allowed silences over
    assert off.tier == Level.YELLOW
    assert kinds(e.tick(9900), "escalated")[0].tier == Level.RED  # 11 x 900 s: deviation 10


def test_calibration_due_is_raised_at_once_and_has_no_clear_value():
    from simulation.alerts import Observation

    e = engine()
    (ev,) = kinds(e.update(0.0, [Observation(Target("sensor", "S1"), "calibration_due", 400.0, 365.0, scale=365.0,
                                             unit="d")]), "raised")
    assert ev.tier == Level.YELLOW and ev.clear_at is None


def test_duration_and_clock_labels():
    from simulation.alerts import clock_label, duration_label

    assert [duration_label(s) for s in (0, 29, 59 * 60, 60 * 60, 125 * 60, 1439 * 60, 1440 * 60, 2 * 86400 + 3 * 3600)] \
        == ["0 min", "0 min", "59 min", "1 h", "2 h 5 min", "23 h 59 min", "1 d 0 h", "2 d 3 h"]
    assert [duration_label(s, "zh") for s in (60, 3600, 125 * 60, 86400 + 3600)] == [
        "1 分钟", "1 小时", "2 小时 5 分钟", "1 天 1 小时"]
    day = datetime(2026, 11, 25, 17, 0, tzinfo=UTC).timestamp()  # 01:00 on the 26th in Shanghai
    assert clock_label(day, day + 3600, "Asia/Shanghai") == "01:00"  # same local day, though not in UTC
    assert clock_label(day, day + 86400, "Asia/Shanghai") == "11-26 01:00"
    assert clock_label(day, day) == "17:00"  # UTC by default


def test_alert_ids_count_up_and_thresholds_are_inclusive():
    e = engine(escalate_unacked_s=1e9)
    (first,) = kinds(feed(e, [0, 300], [65.0, 65.0]), "raised")  # exactly 0.5 out: red at once
    (second,) = kinds(feed(e, [0, 300], [61.0, 61.0], target=Target("relic", "other")), "raised")
    assert (first.alert_id, first.tier) == ("relic:robe:relative_humidity_high:1", Level.RED)
    assert second.alert_id == "relic:other:relative_humidity_high:2"
    # the peak is the worst value, not the latest
    feed(e, [400], [64.0])
    assert {a.target.id: a.peak for a in e.active()}["robe"] == 65.0
    # exactly at the red clear threshold (63 %RH, 0.3) it stays red
    assert not kinds(feed(e, np.arange(500, 500 + 1800, MIN), np.full(30, 63.0)), "de-escalated")


def test_reminders_say_why_and_heard_from_an_unwatched_sensor():
    e = engine(escalate_unacked_s=1e9, remind_s={Level.YELLOW: 600.0, Level.RED: 300.0})
    feed(e, [0, 300], [61.0, 61.0])
    (rem,) = kinds(e.tick(900), "reminder")
    assert rem.reason == "unacknowledged"
    e.heard(["new"], 1000)  # never watched: now expected from 1000 s on
    assert not [x for x in e.tick(1899) if x.cause == "offline"]
    assert [x.target.id for x in e.tick(1900) if x.cause == "offline"] == ["new"]


def test_band_observations_carry_sensor_unit_and_spans():
    band = Band("relative_humidity", 40.0, 45.0)
    hi, lo = band_observations(RELIC, "relative_humidity", 50.0, band, sensor="S3", spans={"relative_humidity": 2.0})
    assert (hi.scale, lo.scale) == (2.0, 2.0) and (hi.sensor, lo.sensor) == ("S3", "S3")
    assert (hi.unit, lo.unit, lo.direction, lo.cause) == ("%RH", "%RH", -1, "relative_humidity_low")
    (odd,) = band_observations(RELIC, "odd", 1.0, Band("odd", None, 0.5))
    assert odd.unit == "" and odd.scale == 0.5
    assert band_observations(RELIC, "relative_humidity", 50.0, band)[0].scale == 5.0  # default spans
    from simulation.alerts import format_value

    assert format_value(10_000.0, "lx·h") == "10 klx·h" and format_value(10_400.0, "lx·h") == "10 klx·h"


class _FullScan(AlertEngine):
    """The engine as it was: after every batch its clock looks at every sensor and every track
    (the reference the due-time heaps must agree with, event for event)."""

    def _clock(self, t, rejudge):
        if rejudge:
            return super()._clock(t, rejudge)
        from simulation.alerts import _offline_obs

        s = self.settings
        events = []
        for sensor, seen in list(self._last_seen.items()):
            silence = t - seen
            key = (Target("sensor", sensor), "offline")
            if silence >= s.offline_after_s or key in self._tracks:
                obs = _offline_obs(sensor, silence, s.offline_after_s)
                tr = self._track(key, obs)
                tr.obs = obs
                events += self._judge(tr, t)
        for (_target, cause), tr in list(self._tracks.items()):
            a = tr.alert
            if a is None or a.acked_by is not None:
                continue
            rule = s.rule(cause)
            if a.tier == Level.YELLOW and rule.max_tier >= Level.RED and t - a.tier_since >= s.escalate_unacked_s:
                events.append(self._retier(tr, Level.RED, t, "unacknowledged"))
                continue
            every = s.remind_s.get(a.tier)
            if every is not None and t - a.last_notice >= every:
                a.last_notice = t
                events.append(self._event("reminder", tr, t, reason="unacknowledged"))
        return events


_STEP = st.tuples(st.sampled_from(["read", "read", "read", "tick", "ack"]), st.integers(0, 3),
                  st.floats(40.0, 75.0), st.integers(1, 40))


@settings(max_examples=60, deadline=None)
@given(st.lists(_STEP, min_size=1, max_size=80))
def test_the_clock_looks_only_at_what_is_due_and_agrees_with_a_full_scan(steps):
    """Sensors that fall silent and come back, alerts raised, escalated, reminded, acknowledged
    and cleared: the engine's events are the full scan's, in the same order."""
    kw = {"escalate_unacked_s": 20 * MIN, "offline_after_s": 15 * MIN,
          "remind_s": MappingProxyType({Level.YELLOW: 30 * MIN, Level.RED: 10 * MIN})}
    fast, full = AlertEngine(AlertSettings(**kw), ADVICE), _FullScan(AlertSettings(**kw), ADVICE)
    targets = [Target("relic", f"r{k}") for k in range(4)]
    for e in (fast, full):
        e.watch([f"S{k}" for k in range(4)], 0.0)
    t = 0.0
    for what, k, value, minutes in steps:
        t += minutes * MIN
        got = []
        for e in (fast, full):
            if what == "read":
                obs = band_observations(targets[k], "relative_humidity", value, SILK_RH, f"S{k}")
                got.append(e.update(t, obs))
            elif what == "tick":
                got.append(e.tick(t))
            else:
                open_ = e.active()
                got.append(e.acknowledge(open_[k % len(open_)].alert_id, "li", t) if open_ else [])
        assert got[0] == got[1]


def test_a_batch_looks_at_what_it_changed_not_at_every_series():
    """A thousand quiet series: a batch of one reading judges its own track, and the clock pops
    nothing it does not have to (the offline heap holds only sensors' next silent times)."""
    e = engine()
    sensors = [f"S{k}" for k in range(1000)]
    e.watch(sensors, 0.0)
    for k, s in enumerate(sensors):
        e.update(0.5 * k, band_observations(Target("relic", f"r{k}"), "relative_humidity", 55.0, SILK_RH, s))
    judged = []
    original = e._judge
    e._judge = lambda tr, t: judged.append(tr.obs.target) or original(tr, t)
    e.update(600.0, band_observations(Target("relic", "r3"), "relative_humidity", 55.0, SILK_RH, "S3"))
    assert set(judged) == {Target("relic", "r3")}
    e.update(1000.0, [])  # 15 min after S0..S200 were heard: those (and only those) are offline
    assert {t.id for t in judged if t.kind == "sensor"} == {f"S{k}" for k in range(201)} - {"S3"}


# ---------------------------------------------------------------- offline on a batch's clock, peak, not-a-number
def test_an_offline_alert_escalates_and_rolls_up_on_a_batchs_clock_too():
    """A silent sensor's alert is looked at by a batch of other readings as by a tick: it turns red
    after escalate_unacked_s unacknowledged, and the case it sits in shows it."""
    e = AlertEngine(AlertSettings(parents={Target("sensor", "s1"): CASE, CASE: ZONE}, offline_after_s=900.0,
                                  escalate_unacked_s=1800.0), ADVICE)
    e.watch(["s1", "s2"], 0.0)
    e.heard(["s2"], 850.0)
    (off,) = kinds(e.update(900.0, []), "raised")
    assert (off.target, off.cause, off.tier) == (Target("sensor", "s1"), "offline", Level.YELLOW)
    assert e.rollup() == {Target("sensor", "s1"): Level.YELLOW, CASE: Level.YELLOW, ZONE: Level.YELLOW}
    ev = e.update(2700.0, band_observations(RELIC, "relative_humidity", 55.0, SILK_RH, "s2"))
    assert [(x.kind, x.target.id, x.reason) for x in ev] == [("escalated", "s1", "unacknowledged")]
    assert e.rollup()[CASE] == Level.RED


def test_a_sensor_back_online_is_announced_before_what_its_reading_raises():
    """The sensor's return is judged first, then its reading: 'reports again' comes before the
    alert the reading raises at once; the cleared event's value is the silence then, 0 s."""
    rules = {**AlertSettings().rules, "relative_humidity_high": CauseRule(min_set_s=0.0)}
    e = engine(offline_after_s=900.0, rules=rules)
    e.watch(["s1"], 0.0)
    assert kinds(e.tick(1000.0), "raised")
    ev = feed(e, [1400.0], [62.0], sensor="s1")
    assert [(x.kind, x.cause) for x in ev] == [("cleared", "offline"), ("raised", "relative_humidity_high")]
    assert ev[0].value == 0.0 and ev[0].message_en.startswith("[cleared] Sensor s1 reports again")


def test_a_sensor_back_online_is_not_judged_by_later_batches():
    """Once a silent sensor reports again, a batch of another sensor's reading judges only its own
    track: the returned sensor waits on the offline heap again, not on every batch."""
    e = engine(offline_after_s=900.0)
    e.watch(["s1", "s2"], 0.0)
    e.update(890.0, band_observations(Target("relic", "r2"), "relative_humidity", 55.0, SILK_RH, "s2"))
    assert [x.target.id for x in kinds(e.update(1000.0, []), "raised")] == ["s1"]  # found silent by a batch
    assert [x.kind for x in feed(e, [1100.0], [55.0], sensor="s1")] == ["cleared"]
    judged = []
    original = e._judge
    e._judge = lambda tr, t: judged.append(tr.obs.target) or original(tr, t)
    e.update(1200.0, band_observations(Target("relic", "r2"), "relative_humidity", 55.0, SILK_RH, "s2"))
    assert set(judged) == {Target("relic", "r2")}


def test_the_message_quotes_the_peak_while_the_value_eases():
    """Staff see the worst value of the episode beside the value now: 63 %RH peak, 61 %RH now."""
    e = engine(escalate_unacked_s=1e9)
    feed(e, [0, 300, 400], [61.0, 63.0, 61.0])
    (a,) = e.active()
    assert a.message_en == ("silk robe: RH over its 60.0 %RH limit since 00:00, peak 63.0 %RH, now 61.0 %RH; "
                            "clears below 59.0 %RH")
    assert "峰值 63.0 %RH，当前 61.0 %RH" in a.message_zh and (a.peak, a.value) == (63.0, 61.0)


def test_a_reading_that_is_not_a_number_changes_nothing():
    """A NaN (a failed reading that got this far) is no evidence either way: it raises neither a high
    nor a low alert, does not restart the set timer, does not end an open alert or stand in for its
    value, and the rest of its batch is judged; the texts never read 'nan'."""
    nan = float("nan")
    e = engine(escalate_unacked_s=1e9, remind_s={})
    vase = Target("relic", "vase")

    def batch(t, robe, other):
        return e.update(t, band_observations(RELIC, "relative_humidity", robe, SILK_RH)
                        + band_observations(vase, "relative_humidity", other, SILK_RH))

    assert batch(0.0, nan, 62.0) == []
    (raised,) = batch(300.0, nan, 62.0)  # the vase's reading after the robe's NaN is judged
    assert raised.target == vase and not [a for a in e.active() if a.target == RELIC]
    assert feed(e, [600.0, 800.0], [61.0, nan]) == []
    (robe,) = kinds(feed(e, [900.0], [61.5]), "raised")  # set since 600 s: the NaN did not restart it
    assert robe.started_at == datetime.fromtimestamp(600.0, UTC) and robe.peak == 61.5
    assert feed(e, np.arange(1000.0, 4600.0, 300.0), np.full(12, nan)) == []  # an hour of NaN: still open
    (a,) = [x for x in e.active() if x.target == RELIC]
    assert (a.value, a.peak) == (61.5, 61.5) and "nan" not in a.message_en + a.message_zh
    assert "now 61.5 %RH" in a.message_en


def test_the_clock_must_be_a_finite_time():
    e = engine()
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite time"):
            e.tick(bad)


def test_clock_labels_floor_to_the_minute_before_1970_too():
    """The minute of a moment is the one it falls in (floor), also for times before the epoch."""
    from simulation.alerts import clock_label

    assert clock_label(-30.0, -30.0) == "23:59" and clock_label(-30.0, 30.0) == "12-31 23:59"


def test_sensors_found_silent_by_a_batch_come_out_in_the_order_they_were_expected():
    """Offline alerts of one clock keep the sensors' first-seen order, on a batch as on a tick (not
    their names' order)."""
    for run in ("update", "tick"):
        e = engine(offline_after_s=900.0)
        e.watch(["hall-b", "hall-a"], 0.0)
        ev = e.update(900.0, []) if run == "update" else e.tick(900.0)
        assert [x.target.id for x in kinds(ev, "raised")] == ["hall-b", "hall-a"], run


def test_an_unacknowledged_alert_escalates_on_time_among_many_series():
    """Sixty quiet series opened first: the alert raised after them still turns red on the first batch
    escalate_unacked_s (30 s here) after it was raised, however far down the list it sits."""
    rules = {**AlertSettings().rules, "relative_humidity_high": CauseRule(min_set_s=0.0)}
    e = engine(escalate_unacked_s=30.0, rules=rules)
    for k in range(30):
        e.update(0.0, band_observations(Target("relic", f"q{k}"), "relative_humidity", 55.0, SILK_RH))
    (raised,) = kinds(feed(e, [0.0], [61.0]), "raised")
    assert kinds(e.update(29.0, []), "escalated") == []
    (esc,) = kinds(e.update(30.0, []), "escalated")
    assert (esc.alert_id, esc.tier, esc.reason) == (raised.alert_id, Level.RED, "unacknowledged")


def test_a_sensor_heard_again_clears_its_offline_alert_on_the_next_batch():
    """A silent sensor heard again through any reading (heard(), one no relic depends on) ends its
    offline alert at the next batch, not only at the next tick."""
    e = engine(offline_after_s=900.0)
    e.watch(["s1"], 0.0)
    assert [x.target.id for x in kinds(e.update(900.0, []), "raised")] == ["s1"]
    e.heard(["s1"], 1000.0)
    (back,) = e.update(1100.0, [])
    assert (back.kind, back.target.id, back.cause) == ("cleared", "s1", "offline")
    assert not e.active()
