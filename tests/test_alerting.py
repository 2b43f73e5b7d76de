"""Alerts in the live twin: stored readings -> alert engine -> feed dictionaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.alerts.alerting import AlertService
from bridge.readings import Reading
from simulation.paths import scenes_dir
from simulation.scene import load_scene

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scene():
    return load_scene(scenes_dir() / "demo_hall")


def test_any_reading_keeps_its_sensor_online_and_silence_raises_offline(scene):
    now = [T0]
    svc = AlertService(scene, clock=lambda: now[0])
    for minute in range(0, 40, 5):
        now[0] = T0 + timedelta(minutes=minute)
        # S01 is a room sensor no relic depends on; it must still count as heard
        svc.on_readings([Reading("S01", "temperature", now[0], 20.0, "°C")])
    now[0] = T0 + timedelta(minutes=40)
    svc.tick()
    offline = {a["target"]["id"] for a in svc.active() if a["cause"] == "offline"}
    assert "S01" not in offline
    assert {"S02", "S12"} <= offline  # silent since the service started, 40 min > 15 min
    assert all(a["message"]["zh-CN"] and a["message"]["en"] for a in svc.active())


def test_light_on_silk_rises_then_clears_with_hysteresis(scene):
    now = [T0]
    svc = AlertService(scene, clock=lambda: now[0])
    events = []
    lux = [20.0] * 6 + [300.0] * 12 + [20.0] * 12  # lights up on the silk painting for an hour
    for i, v in enumerate(lux):
        now[0] = T0 + timedelta(minutes=5 * i)
        events += svc.on_readings([Reading("S04", "illuminance", now[0], v, "lx")])
    silk = [e for e in events if e["target"] == {"kind": "relic", "id": "silk_painting"} and "illuminance" in e["cause"]]
    kinds = [e["kind"] for e in silk]
    assert kinds.count("raised") == 1 and kinds[-1] == "cleared", kinds
    raised = next(e for e in silk if e["kind"] == "raised")
    assert raised["limit"] == pytest.approx(50.0) and raised["advice"]["zh-CN"] and raised["advice"]["en"]


def test_an_open_alert_says_its_value_now_its_peak_and_what_clears_it(scene):
    # the bronze ding (case sensor S02, 16-24 °C): 24.6 °C from 10:00 UTC = 18:00 in the hall (Asia/Shanghai),
    # then 23.9 °C (inside the limit, held by hysteresis: clears below 24 - 0.1 x 4 K), then 23.0 °C
    now = [T0]
    svc = AlertService(scene, clock=lambda: now[0])
    events = []
    for minute, value in ((0, 24.6), (5, 24.6), (10, 24.6), (15, 23.9), (20, 23.0), (25, 23.0), (30, 23.0), (35, 23.0)):
        now[0] = T0 + timedelta(minutes=minute)
        events += svc.on_readings([Reading("S02", "temperature", now[0], value, "°C")])
    ding = [e for e in events if e["target"]["id"] == "ding" and e["cause"] == "temperature_high"]
    assert [e["kind"] for e in ding][:1] == ["raised"] and ding[-1]["kind"] == "cleared"
    held = next(e for e in ding if e["kind"] == "active" and e["value"] == pytest.approx(23.9))
    assert held["summary"]["en"] == ("Bronze ding with taotie mask: temperature over its 24.0 °C limit since 18:00, peak 24.6 °C, "
                                     "now 23.9 °C; clears below 23.6 °C")
    assert held["summary"]["zh-CN"].endswith("自 18:00 起超过上限 24.0 °C，峰值 24.6 °C，当前 23.9 °C；低于 23.6 °C 后解除")
    assert held["peak"] == pytest.approx(24.6) and held["clear_at"] == pytest.approx(23.6)
    assert held["sensor"] == "S02" and held["quantity"] == "temperature"
    # nothing a person reads carries a raw timestamp
    assert not any("T10:" in e["summary"]["en"] or ".0000" in e["summary"]["en"] for e in events)


def test_a_notification_shows_the_hall_clock_to_the_minute_not_a_raw_timestamp(scene):
    from bridge.alerts.dissemination import text_of

    now = [T0]
    svc = AlertService(scene, clock=lambda: now[0])
    events = []
    for minute in (0, 5):
        now[0] = T0 + timedelta(minutes=minute, seconds=31, microseconds=600348)
        events += svc.on_readings([Reading("S02", "temperature", now[0], 25.0, "°C")])
    raised = next(e for e in events if e["kind"] == "raised" and e["cause"] == "temperature_high")
    assert raised["timezone"] == "Asia/Shanghai" and raised["at"].endswith(".600348Z")
    text = text_of([raised])
    assert "2026-07-01 18:05 UTC+8" in text and "600348" not in text and "T10:" not in text


def test_the_derived_windows_are_kept_after_each_committed_batch_and_restored_after_a_restart(scene, tmp_path):
    """A week of light on the silk painting: the service writes its derived windows (atomically,
    here after every batch) and a service started on the same file carries on with the week,
    so the dose alert stands at once instead of after another day of record."""
    from bridge.alerts.alerting import derived_state_path

    path = derived_state_path(tmp_path, scene.id)
    now = [T0]
    svc = AlertService(scene, clock=lambda: now[0], state_file=path, save_every_s=0.0)
    for h in range(7 * 24):
        now[0] = T0 + timedelta(hours=h)
        svc.on_readings([Reading("S04", "illuminance", now[0], 45.0, "lx")])
    assert path.is_file() and not list(path.parent.glob("*.tmp"))  # written whole, no leftovers
    kept = svc.derived.state()
    again = AlertService(scene, clock=lambda: now[0], state_file=path)
    assert again.derived.state() == kept
    fresh = AlertService(scene, clock=lambda: now[0])  # what a restart without the file would do
    raised: dict[str, list[str]] = {"again": [], "fresh": []}
    for _ in range(2):  # the next two hours' readings (a condition holds min_set_s before it is raised)
        now[0] += timedelta(hours=1)
        for name, service in (("again", again), ("fresh", fresh)):
            events = service.on_readings([Reading("S04", "illuminance", now[0], 45.0, "lx")])
            raised[name] += [e["cause"] for e in events if e["kind"] == "raised" and e["sensor"] == "S04"]
    assert raised == {"again": ["light_dose"], "fresh": []}  # the week was not lost
    path.write_text('{"version": 1, "dose": 3}', encoding="utf-8")  # damaged: a fresh start, no traceback
    assert AlertService(scene, state_file=path).derived.state() == fresh.__class__(scene).derived.state()
