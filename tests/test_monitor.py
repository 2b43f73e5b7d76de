"""The staff monitor rendered offscreen: colours, greying, badges, picking, feed handling.

Screen positions are computed with the camera lens from known hall points
(``MonitorScreen.project``), never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from simulation.paths import scenes_dir
from simulation.scene import Scene, load_scene
from twin_engine import colormap
from twin_engine.hud import TIER_COLOURS
from twin_engine.monitor import MonitorScreen

T0 = "2026-11-25T14:00:00Z"
T1 = "2026-11-25T14:00:10Z"


@pytest.fixture(scope="module")
def scene() -> Scene:
    return load_scene(scenes_dir() / "demo_hall")


@pytest.fixture
def monitor(engine_base: Any, scene: Scene) -> Iterator[MonitorScreen]:
    screen = MonitorScreen(engine_base, scene, lang="en")
    screen.enter()
    screen.act("view_overview")
    screen.rig.snap()
    yield screen
    screen.exit()


def reading(sensor: str, quantity: str, value: float, time: str = T0, **kw: Any) -> dict[str, Any]:
    return {"sensor": sensor, "quantity": quantity, "time": time, "value": value, "unit": None,
            "quality": "ok", "stale": False, **kw}


def snapshot(values: dict[str, float], quantity: str = "temperature", alerts: tuple = (), **overrides: dict) -> dict:
    return {"type": "snapshot", "hall": "demo_hall", "time": T0, "alerts": list(alerts),
            "readings": [reading(s, quantity, v, **overrides.get(s, {})) for s, v in values.items()]}


ROOM_T = {"S01": 20.0, "S03": 20.0, "S05": 20.0, "S06": 20.0, "S08": 20.0, "S10": 20.0, "S11": 20.0, "S12": 20.0}


def pixel_at(monitor: MonitorScreen, image: Any, point: tuple[float, float, float]) -> np.ndarray:
    """RGB in [0, 1] of the frame at the projection of a hall point (mean of a 3 x 3 patch)."""
    film = monitor.project(point)
    assert film is not None, f"{point} is off screen"
    w, h = image.getXSize(), image.getYSize()
    px, py = int((film[0] + 1) / 2 * w), int((1 - film[1]) / 2 * h)
    patch = [image.getXel(x, y) for x in range(px - 1, px + 2) for y in range(py - 1, py + 2)]
    return np.mean([[c[0], c[1], c[2]] for c in patch], axis=0)


def near(a: np.ndarray, b: tuple[float, float, float] | np.ndarray, tol: float) -> bool:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max()) <= tol


def test_hot_and_cold_sensors_colour_the_floor_near_them(monitor):
    values = dict(ROOM_T, S01=29.0, S12=11.0)
    monitor.apply_snapshot(snapshot(values))
    image = monitor.screenshot()
    hot_pt = (2.5, 7.0, 0.0)  # 0.5 m east of S01: clear of its drop line and label
    cold_pt = (9.5, 1.0, 0.0)  # 0.5 m east of S12
    hot, cold = pixel_at(monitor, image, hot_pt), pixel_at(monitor, image, cold_pt)
    # the frame shows what the field computed there...
    grid = monitor.field.grid
    assert near(hot, monitor.field.rgb[grid.cell_of(np.array(hot_pt[:2]))], 0.06)
    assert near(cold, monitor.field.rgb[grid.cell_of(np.array(cold_pt[:2]))], 0.06)
    # ...which is the colour of the hot and cold values, not of the 20 °C room
    hot_c, cold_c, room_c = (np.array(colormap.colour("temperature", v)) for v in (29.0, 11.0, 20.0))
    assert np.linalg.norm(hot - hot_c) < 0.12 and np.linalg.norm(hot - hot_c) < np.linalg.norm(hot - room_c)
    assert np.linalg.norm(cold - cold_c) < 0.12 and np.linalg.norm(cold - cold_c) < np.linalg.norm(cold - room_c)
    assert hot[0] > hot[2] + 0.3 and cold[2] > cold[0] + 0.3  # red-ish and blue-ish


def test_stale_sensor_area_is_grey(monitor):
    values = dict(ROOM_T, S06=29.0, S05=12.0, S12=12.0)
    monitor.apply_snapshot(snapshot(values, S06={"stale": True}))
    image = monitor.screenshot()
    stale = pixel_at(monitor, image, (8.5, 4.5, 0.0))
    assert float(stale.max() - stale.min()) < 0.05  # grey: no hue
    assert near(stale, colormap.NO_DATA, 0.17)
    # the same place with S06 fresh is coloured (hot)
    monitor.apply_delta({"type": "delta", "time": T1, "readings": [reading("S06", "temperature", 29.0, T1)]})
    fresh = pixel_at(monitor, monitor.screenshot(), (8.5, 4.5, 0.0))
    assert fresh[0] > fresh[2] + 0.2


def test_flagged_reading_is_left_out_like_a_stale_one(monitor):
    monitor.apply_snapshot(snapshot(dict(ROOM_T, S01=29.0), S01={"quality": "spike"}))
    monitor.refresh()
    values = monitor.field_readings("temperature")
    assert values["S01"].fresh is False
    assert np.nanmax(monitor.field.estimate.value) == pytest.approx(20.0)


def test_red_alert_shows_a_badge_above_its_relic(monitor):
    monitor.apply_snapshot(snapshot(ROOM_T))
    anchor = monitor.badge_anchor("relic", "ding")
    assert anchor is not None
    point = (anchor[0] + 0.18, anchor[1], anchor[2])  # beside the "!" in the badge's middle
    before = pixel_at(monitor, monitor.screenshot(), point)
    alert = {"id": "a1", "tier": "red", "target": {"kind": "relic", "id": "ding"}, "cause": "rh_high",
             "message": {"zh-CN": "相对湿度过高", "en": "RH too high"}, "acknowledged": False}
    monitor.apply_delta({"type": "delta", "time": T1, "readings": [], "alerts": [alert]})
    after = pixel_at(monitor, monitor.screenshot(), point)
    assert near(after, TIER_COLOURS["red"], 0.08)
    assert not near(before, TIER_COLOURS["red"], 0.2)
    assert monitor.badge_targets() == {("relic", "ding"): ("red", 1)}
    # acknowledging it rolls the badge away and tells the service
    acked = []
    monitor.on_acknowledge = acked.append
    assert monitor.acknowledge_top() == "a1" and acked == ["a1"]
    assert monitor.badge_targets() == {}


def test_alerts_roll_up_per_target_to_the_worst_tier(monitor):
    alerts = [
        {"id": "y1", "tier": "yellow", "target": {"kind": "case", "id": "c3"}, "cause": "x", "message": {"en": "a", "zh-CN": "甲"}},
        {"id": "r1", "tier": "red", "target": {"kind": "case", "id": "c3"}, "cause": "x", "message": {"en": "b", "zh-CN": "乙"}},
        {"id": "y2", "tier": "yellow", "target": {"kind": "zone", "id": "bronze"}, "cause": "x", "message": {"en": "c", "zh-CN": "丙"}},
    ]
    monitor.apply_snapshot(snapshot(ROOM_T, alerts=tuple(alerts)))
    assert monitor.badge_targets() == {("case", "c3"): ("red", 2), ("zone", "bronze"): ("yellow", 1)}
    monitor.apply_delta({"type": "delta", "time": T1, "readings": [], "alerts": [{"id": "r1", "cleared": True}]})
    assert monitor.badge_targets()[("case", "c3")] == ("yellow", 1)


def test_clicking_a_relic_selects_it_and_opens_its_panel(monitor, scene):
    monitor.apply_snapshot(snapshot(ROOM_T))
    monitor.render_frame()
    for relic_id in ("lion", "vase"):
        relic = scene.relic(relic_id)
        x, y, z = relic.position
        film = monitor.project((x, y, z + relic.height_m * 0.5))
        assert film is not None
        assert monitor.click(*film) == ("relic", relic_id)
        assert monitor.selection == ("relic", relic_id)
        panel = monitor.panel_data()
        assert panel is not None and panel.title == relic.name["en"]
        assert monitor.highlight.getNumChildren() == 1  # outlined
    sensor = scene.sensor("S01")
    assert monitor.click(*monitor.project(tuple(sensor.position))) == ("sensor", "S01")
    # empty floor clears the selection
    assert monitor.click(*monitor.project((12.0, 5.0, 0.0))) is None
    assert monitor.selection is None and monitor.panel_data() is None
    assert monitor.highlight.getNumChildren() == 0


def test_quantity_keys_switch_and_cycle(monitor, scene):
    assert monitor.quantity == "temperature"
    monitor.act("show_humidity")
    assert monitor.quantity == "relative_humidity"
    monitor.act("show_temperature")
    seen = set()
    for _ in range(len(monitor.quantities)):
        monitor.act("next_quantity")
        seen.add(monitor.quantity)
    assert monitor.quantity == "temperature"
    measured = {q for s in scene.sensors for q in s.quantities}
    assert seen == measured
    monitor.act("previous_quantity")
    assert monitor.quantity == monitor.quantities[-1]


def test_humidity_field_uses_humidity_readings(monitor):
    rh = {s: 50.0 for s in ROOM_T}
    rh["S01"] = 75.0
    msg = snapshot(rh, quantity="relative_humidity")
    msg["readings"] += snapshot(dict(ROOM_T, S01=29.0))["readings"]
    monitor.apply_snapshot(msg)
    monitor.act("show_humidity")
    monitor.refresh()
    at_s01 = monitor.field.estimate.value[monitor.field.grid.cell_of(np.array([2.0, 7.0]))]
    assert at_s01 == pytest.approx(75.0, abs=1.5)
    assert monitor.legend_title() == "Relative humidity (%RH)"


def test_delta_keeps_the_newest_reading(monitor):
    monitor.apply_snapshot(snapshot(ROOM_T))
    monitor.apply_delta({"type": "delta", "time": T1, "readings": [reading("S01", "temperature", 25.0, T1)]})
    monitor.apply_delta({"type": "delta", "time": T1, "readings": [reading("S01", "temperature", 5.0, T0)]})
    assert monitor.field_readings("temperature")["S01"].value == 25.0
    monitor.apply_delta({"type": "delta", "time": T1, "readings": [reading("S01", "temperature", 22.0, T1, unit="°F")]})
    assert monitor.field_readings("temperature")["S01"].fresh is False  # not the canonical unit


def test_replay_shows_a_stored_state_then_live_again(monitor):
    monitor.apply_snapshot(snapshot(ROOM_T))
    monitor.show_state_at([reading("S01", "temperature", 12.0, "2026-11-24T03:00:00Z")], time="2026-11-24T03:00:00Z")
    assert monitor.field_readings("temperature") == {"S01": monitor.field_readings("temperature")["S01"]}
    assert monitor.field_readings("temperature")["S01"].value == 12.0
    monitor.show_live()
    assert monitor.field_readings("temperature")["S01"].value == 20.0


def test_save_png_writes_a_frame_of_the_window_size(monitor, tmp_path):
    from panda3d.core import PNMImage

    monitor.apply_snapshot(snapshot(ROOM_T))
    out = monitor.save_png(tmp_path / "frame.png")
    image = PNMImage()
    assert image.read(str(out))
    assert (image.getXSize(), image.getYSize()) == (640, 360)


def test_exit_removes_every_node(engine_base, scene):
    def count() -> tuple[int, int]:
        return engine_base.render.getNumChildren(), engine_base.render2d.getNumChildren()

    before = count()
    screen = MonitorScreen(engine_base, scene, load_meshes=False)
    screen.enter()
    assert engine_base.render.find("monitor") and engine_base.render2d.find("monitor-hud")
    screen.exit()
    assert count() == before


def test_replay_steps_back_by_hours_and_asks_the_store(monitor):
    asked: list[str] = []
    monitor.on_replay_request = asked.append
    monitor.apply_snapshot(snapshot(ROOM_T))  # live time 14:00:00Z
    monitor.act("replay_back")
    monitor.act("replay_back")
    assert asked == ["2026-11-25T13:00:00Z", "2026-11-25T12:00:00Z"]
    monitor.show_state_at([reading("S01", "temperature", 12.0, "2026-11-25T12:00:00Z")], time="2026-11-25T12:00:00Z")
    assert monitor.replay_hours == pytest.approx(2.0)
    monitor.act("replay_forward")
    assert asked[-1] == "2026-11-25T13:00:00Z"
    monitor.act("replay_forward")  # back to now: live again
    assert monitor.replay is None and monitor.replay_hours == 0.0
    # the slider asks for whole hours
    monitor.refresh()
    track = monitor.replay_bar.track  # a click on the drawn track, 5.2 h from its live end: whole hours
    monitor.click_px(track.right - 5.2 / monitor.replay_span_h * track.w, track.centre[1])
    assert asked[-1] == "2026-11-25T09:00:00Z"


def test_jump_from_an_alert_to_the_moment_it_began(monitor):
    asked: list[str] = []
    monitor.on_replay_request = asked.append
    alert = {"id": "a9", "tier": "red", "target": {"kind": "relic", "id": "vase"}, "cause": "rh",
             "started_at": "2026-11-25T09:41:07Z", "message": {"en": "Vase: RH", "zh-CN": "梅瓶：湿度"}}
    monitor.apply_snapshot(snapshot(ROOM_T, alerts=(alert,)))
    monitor.refresh()
    # the alert list's row is a button that jumps
    jump = next(h for h in monitor.alert_list.hits if (h.action, h.arg) == ("jump", "a9"))
    monitor.click_px(*jump.rect.centre)
    assert asked == ["2026-11-25T09:41:07Z"]  # at the alert, not the minute before it was raised
    assert monitor.selection == ("relic", "vase")
    assert monitor.replay_hours == pytest.approx(4 + 18 / 60 + 53 / 3600)


def test_ack_button_acknowledges_through_the_hook(monitor):
    acked: list[str] = []
    monitor.on_acknowledge = acked.append
    alert = {"id": "y7", "tier": "yellow", "target": {"kind": "sensor", "id": "S03"}, "cause": "x",
             "message": {"en": "S03", "zh-CN": "S03"}}
    monitor.apply_snapshot(snapshot(ROOM_T, alerts=(alert,)))
    monitor.refresh()
    assert monitor.badge_targets() == {("sensor", "S03"): ("yellow", 1)}
    ack = next(h for h in monitor.alert_list.hits if (h.action, h.arg) == ("ack", "y7"))
    monitor.click_px(*ack.rect.centre)
    assert acked == ["y7"]
    monitor.refresh()
    assert not [h for h in monitor.alert_list.hits if h.action == "ack"] and monitor.badge_targets() == {}


def test_panel_shows_history_forecast_and_limits_when_given(monitor):
    from twin_engine.hud import Series
    from twin_engine.monitor import Details

    monitor.apply_snapshot(snapshot(ROOM_T))
    monitor.select(("relic", "ding"))
    empty = monitor.panel_data()
    assert empty is not None and empty.history is None and empty.empty_chart_text == "history not loaded yet"
    history = Series([-24.0, -12.0, 0.0], [45.0, 47.0, 52.0])
    forecast = Series([0.0, 6.0], [52.0, 54.0], [50.0, 51.0], [54.0, 57.0])
    monitor.set_details("relic", "ding", Details("relative_humidity", history, forecast, (35.0, 50.0), [("Risk", "red")]))
    panel = monitor.panel_data()
    assert panel.history == history and panel.forecast == forecast and panel.limits == (35.0, 50.0)
    assert ("Risk", "red") in panel.lines
    assert any(label == "Temperature · S02" for label, _ in panel.lines)  # the case's own sensor, named
    monitor.render_frame()
    assert not monitor.panel.root.isEmpty() and monitor.panel.root.getNumChildren() > 10


def test_language_switch_gives_chinese_texts(monitor):
    monitor.act("toggle_language")
    assert monitor.lang == "zh-CN"
    assert monitor.legend_title() == "温度 (°C)"
    monitor.select(("relic", "lion"))
    assert monitor.panel_data().title == "高轮石狮"
    monitor.act("toggle_language")
    assert monitor.legend_title() == "Temperature (°C)"


def test_zone_presets_glide_and_frame_the_zone(monitor, scene):
    start = monitor.rig.view
    monitor.act("view_zone_2")
    monitor.update(0.05)
    mid = monitor.rig.view
    assert mid != start and mid != monitor.rig.goal  # moving, not jumped
    for _ in range(200):
        monitor.update(0.05)
    assert monitor.rig.view == monitor.rig.goal
    zone = scene.zones[1]
    centre = zone.polygon.mean(axis=0)
    film = monitor.project((float(centre[0]), float(centre[1]), 0.0))
    x0, y0, x1, y1 = monitor.free_area()  # framed in the middle of what the overlay leaves free
    mid = monitor.to_film((x0 + x1) / 2, (y0 + y1) / 2)
    assert film is not None and abs(film[0] - mid[0]) < 0.2 and abs(film[1] - mid[1]) < 0.3
    monitor.act("zoom_in")
    assert monitor.rig.goal.distance < monitor.zone_view(1).distance


def test_render_monitor_png_reuses_the_session_base(engine_base, tmp_path):
    from panda3d.core import PNMImage

    from twin_engine.render import render_monitor_png

    out = render_monitor_png(scenes_dir() / "demo_hall", snapshot(dict(ROOM_T, S01=29.0))["readings"],
                             tmp_path / "m.png", base=engine_base, lang="zh-CN")
    image = PNMImage()
    assert image.read(str(out)) and image.getXSize() == 640
    assert not engine_base.render.find("monitor")  # cleaned up


def test_app_shell_runs_the_screen_each_frame(engine_base, scene):
    from twin_engine.app import TwinApp

    app = TwinApp(engine_base)
    screen = MonitorScreen(engine_base, scene, load_meshes=False)
    app.show(screen)
    screen.apply_snapshot(snapshot(ROOM_T))
    assert screen._dirty
    engine_base.taskMgr.step()
    assert not screen._dirty  # the frame task refreshed it
    engine_base.messenger.send("h")  # the key table's binding
    assert screen.quantity == "relative_humidity"
    # a feed pump hands websocket messages to the screen each frame
    from twin_engine.app import attach_feed

    inbox = [snapshot(dict(ROOM_T, S01=27.0), quantity="relative_humidity")]
    task = attach_feed(engine_base, screen, lambda: [inbox.pop()] if inbox else [])
    engine_base.taskMgr.step()
    assert screen.field_readings("relative_humidity")["S01"].value == 27.0 and not inbox
    engine_base.taskMgr.remove(task)
    app.close()


def test_field_fades_to_grey_away_from_fresh_sensors(scene):
    from panda3d.core import NodePath

    from twin_engine.field_view import FieldView, Reading

    view = FieldView(scene, NodePath("floor-test"))
    view.show("temperature", {"S01": Reading(29.0, True)})  # one fresh sensor at (2, 7)
    grid = view.grid
    grey = np.asarray(colormap.NO_DATA)
    near_s01 = view.rgb[grid.cell_of(np.array([2.2, 7.0]))]
    far = view.rgb[grid.cell_of(np.array([19.0, 1.0]))]
    # the same value everywhere (one sensor), but the far corner is mostly grey
    assert np.linalg.norm(near_s01 - np.asarray(colormap.colour("temperature", 29.0))) < 0.02
    assert np.linalg.norm(far - grey) < 0.4 * np.linalg.norm(near_s01 - grey)
    view.show("temperature", {"S01": Reading(29.0, True), "S05": Reading(float("nan"), False)})
    assert not view.hatch.isHidden()  # S05's area (and that of sensors never heard from) is hatched
    assert np.allclose(view.rgb[grid.cell_of(np.array([2.0, 2.0]))], grey, atol=0.01)
    view.destroy()


def control_status(on: bool, pending: bool = False) -> list[dict]:
    return [{"id": "dh1", "kind": "dehumidifier", "space": "painting", "policy": "auto", "state": {"on": on},
             "pending": {"on": not on} if pending else None, "override": None, "recommendation": None,
             "running_since": None},
            {"id": "hu1", "kind": "humidifier", "space": "lacquer", "policy": "advise", "state": {"on": False},
             "pending": None, "override": None, "recommendation": {"on": True}, "running_since": None}]


def test_machines_show_their_state_in_the_hall(monitor, scene):
    dh = next(a for a in scene.actuators if a.id == "dh1")
    point = (float(dh.position[0]), float(dh.position[1]), 0.35)
    monitor.apply({**snapshot({"S01": 20.0}), "control": control_status(on=True)})
    monitor.refresh()
    running = pixel_at(monitor, monitor.screenshot(), point)
    assert running[2] > running[0] + 0.25, running  # a running dehumidifier is blue
    assert monitor.actuator_look("dh1")[1].endswith(": on")
    monitor.apply({"type": "delta", "time": T1, "readings": [], "alerts": [], "control": control_status(on=False)})
    monitor.refresh()
    stopped = pixel_at(monitor, monitor.screenshot(), point)
    assert abs(stopped[2] - stopped[0]) < 0.12 and stopped[2] < running[2] - 0.2, stopped  # grey when off
    assert "advice" in monitor.actuator_look("hu1")[1]
    applied: list[str] = []
    monitor.on_apply = applied.append
    monitor.act(monitor.keys["p"])  # one key applies the standing recommendation
    assert applied == ["hu1"] and "advice" not in monitor.actuator_look("hu1")[1]
    assert monitor.apply_advice() is None and applied == ["hu1"]  # nothing left to apply
    monitor.on_apply = None
    held: list = []
    monitor.on_override = lambda aid, cmd, minutes: held.append((aid, cmd, minutes))
    monitor.act(monitor.keys["o"])  # one key: a manual override holding every machine as it is, for an hour
    assert held == [("dh1", {"on": False}, 60.0), ("hu1", {"on": False}, 60.0)]
    monitor.on_override = None
    monitor.apply({"type": "delta", "time": T1, "readings": [], "alerts": [],
                   "control": control_status(on=False, pending=True)})
    monitor.refresh()
    waiting = pixel_at(monitor, monitor.screenshot(), point)
    assert waiting[0] > 0.5 and waiting[2] < 0.3, waiting  # amber while a command waits for its echo
    alert = {"id": "control:not_responding:dh1", "tier": "yellow", "target": {"kind": "actuator", "id": "dh1"},
             "message": {"en": "actuator not responding", "zh-CN": "执行器无响应"}, "acknowledged": False}
    monitor.apply({"type": "delta", "time": T1, "readings": [], "alerts": [alert]})
    monitor.refresh()
    assert ("actuator", "dh1") in monitor.badge_targets()
    assert monitor.actuator_look("dh1")[1].endswith("!")
    monitor.lang = "zh-CN"
    monitor.refresh()
    assert "除湿机" in monitor.actuator_look("dh1")[1]
