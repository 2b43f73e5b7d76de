"""The visitor kiosk, driven offscreen: taps, hotspots, idle reset, Chinese glyphs, touch targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from simulation.paths import scenes_dir
from simulation.scene import load_scene
from twin_engine import kiosk_orbit as orbit
from twin_engine.kiosk_hotspots import PICKABLE_ALPHA, TOUCH_TARGET_PX, facing, marker_alpha, pick
from twin_engine.kiosk_idle import IdleSettings, IdleTimer
from twin_engine.layout import wrap

SCENE = scenes_dir() / "demo_hall"


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def kiosk(engine_base) -> Iterator:
    from twin_engine.kiosk import KioskScreen

    clock = FakeClock()
    exits: list[int] = []
    screen = KioskScreen(engine_base, load_scene(SCENE), lang="zh-CN", clock=clock,
                         idle=IdleSettings(idle_s=60.0, countdown_s=20.0), on_staff_exit=lambda: exits.append(1))
    screen.enter()
    screen.test_clock = clock
    screen.test_exits = exits
    yield screen
    screen.exit()


def _pixels(base) -> np.ndarray:
    base.graphicsEngine.renderFrame()
    base.graphicsEngine.renderFrame()
    tex = base.win.getScreenshot()
    w, h = tex.getXSize(), tex.getYSize()
    rgb = np.frombuffer(bytes(tex.getRamImageAs("RGB")), np.uint8).reshape(h, w, 3)
    return rgb[::-1].astype(int)


# --- pure parts ----------------------------------------------------------------------------------


def test_orbit_limits_keep_the_relic_in_reach() -> None:
    lim = orbit.OrbitLimits(size=0.5)
    o = orbit.home((0, 0, 0.5), lim)
    far = orbit.zoom(o, 1e-6, lim)
    near = orbit.zoom(o, 1e6, lim)
    assert far.distance == pytest.approx(lim.far * 0.5) and near.distance == pytest.approx(lim.near * 0.5)
    up = orbit.drag(o, 0, 10_000, lim)
    assert up.pitch == lim.pitch_max
    spun = orbit.drag(o, 600, 0, lim)  # 600 px at 0.3 deg/px = half a turn
    assert abs(spun.yaw) == pytest.approx(180.0)


def test_orbit_from_view_round_trips_and_lerp_ends() -> None:
    lim = orbit.OrbitLimits(size=0.5)
    eye, target = np.array([0.6, -1.2, 0.9]), np.array([0.0, 0.0, 0.3])
    o = orbit.from_view(eye, target, lim)
    np.testing.assert_allclose(o.eye(), eye, atol=1e-9)
    a, b = orbit.home((0, 0, 0.3), lim), o
    assert orbit.lerp(a, b, 0).yaw == pytest.approx(a.yaw)
    np.testing.assert_allclose(orbit.lerp(a, b, 1).eye(), eye, atol=1e-9)


def test_pinch_apart_zooms_in_together_zooms_out_within_limits() -> None:
    lim = orbit.OrbitLimits(size=0.5)
    o = orbit.home((0, 0, 0.25), lim)
    a0, a1 = [(400.0, 300.0), (500.0, 300.0)], [(350.0, 300.0), (550.0, 300.0)]  # 100 px -> 200 px apart
    assert orbit.pinch_factor(a0, a1) == pytest.approx(2.0)
    closer = orbit.pinch(o, a0, a1, lim)
    assert closer.distance == pytest.approx(o.distance / 2)
    farther = orbit.pinch(o, a0, [(410.0, 300.0), (490.0, 300.0)], lim)  # 100 px -> 80 px apart
    assert farther.distance == pytest.approx(o.distance / 0.8)
    assert (closer.yaw, closer.pitch, closer.target) == (o.yaw, o.pitch, o.target)  # a pinch only zooms
    # a pinch that keeps spreading stops at the near limit; one that keeps closing at the far limit
    x = o
    for k in range(20):
        x = orbit.pinch(x, [(500.0 - 50 - k * 10, 300.0), (500.0 + 50 + k * 10, 300.0)],
                        [(500.0 - 60 - k * 10, 300.0), (500.0 + 60 + k * 10, 300.0)], lim)
    assert x.distance == pytest.approx(lim.near * lim.size)
    x = o
    for _ in range(20):
        x = orbit.pinch(x, a1, a0, lim)
    assert x.distance == pytest.approx(lim.far * lim.size)
    # the fingers turning round each other at the same spread do not zoom
    assert orbit.pinch_factor([(0.0, 0.0), (100.0, 0.0)], [(0.0, 0.0), (0.0, 100.0)]) == pytest.approx(1.0)


def test_one_finger_or_fingers_too_close_do_not_zoom() -> None:
    lim = orbit.OrbitLimits(size=0.5)
    o = orbit.home((0, 0, 0.25), lim)
    assert orbit.pinch(o, [(400.0, 300.0)], [(600.0, 300.0)], lim) is o
    assert orbit.pinch(o, [], [(600.0, 300.0), (100.0, 300.0)], lim) is o
    assert orbit.pinch(o, [(400.0, 300.0), (400.0, 301.0)], [(300.0, 300.0), (500.0, 300.0)], lim) is o
    assert orbit.pinch_factor([(1.0, 1.0)] * 2, [(1.0, 1.0), (300.0, 1.0)]) == 1.0


def test_hotspot_facing_fade_and_pick() -> None:
    pos = np.zeros((2, 3))
    nrm = np.array([[0, -1.0, 0], [0, 1.0, 0]])
    cos = facing(pos, nrm, np.array([0, -5.0, 0]))
    np.testing.assert_allclose(cos, [1, -1])
    alpha = marker_alpha(cos)
    assert alpha.tolist() == [1.0, 0.0]
    px = np.array([[100.0, 100.0], [100.0, 100.0]])
    assert pick((110, 105), px, alpha) == 0
    assert pick((110, 105), px, np.array([0.0, 1.0])) == 1
    assert pick((110, 105), px, np.array([PICKABLE_ALPHA / 2, 0.0])) is None
    assert pick((100 + TOUCH_TARGET_PX, 100), px, alpha) is None


def test_idle_timer_counts_down_at_least_20_s() -> None:
    with pytest.raises(ValueError):
        IdleSettings(countdown_s=10)
    t = IdleTimer(IdleSettings(idle_s=60, countdown_s=20), now=0.0)
    assert t.state(59.9) == "active"
    assert t.state(60.5) == "warning" and t.seconds_left(60.5) == 20
    assert t.state(80.1) == "expired"
    t.touch(70.0)
    assert t.state(71.0) == "active"


def test_wrap_breaks_chinese_between_characters_and_english_between_words() -> None:
    from twin_engine.layout import measure

    zh = wrap("青铜是铜锡铅的合金。", measure("青铜是铜", 10, None) + 0.5, 10, None)
    assert zh[0] == "青铜是铜" and "".join(zh) == "青铜是铜锡铅的合金。"
    wide = max(measure(s, 10, None) for s in ("cast in", "moulds")) + 0.5
    assert wrap("cast in clay moulds", wide, 10, None) == ["cast in", "clay", "moulds"]


# --- the screen, offscreen ------------------------------------------------------------------------------


def test_tap_flow_attract_gallery_viewer(kiosk) -> None:
    assert kiosk.mode == "attract"
    assert kiosk.tap(10, 10) == "start"
    assert kiosk.mode == "gallery"
    r = kiosk._gallery_rects["gargoyle"]
    assert kiosk.tap(*r.centre) == "select:gargoyle"
    assert kiosk.mode == "viewer" and kiosk.relic.id == "gargoyle"


def test_tap_on_projected_hotspot_opens_its_panel(kiosk) -> None:
    kiosk.select_relic("laurana")
    views = kiosk.hotspot_screen()
    assert len(views) == len(kiosk.relic.annotations) >= 3
    front = [i for i, m in enumerate(views) if m.alpha >= 0.9]
    assert front, "some hotspot faces the camera in the home view"
    i = front[0]
    assert kiosk.tap(views[i].x + 5, views[i].y - 5) == f"note:{i}"
    assert kiosk.selected == i
    assert {h.action for h in kiosk.static.hits} >= {"close", "next", "previous"}
    kiosk.test_clock.t += 2.0  # the flight ends at the saved view
    kiosk.tick()
    view = kiosk.stage.view_of(kiosk.relic, i)
    np.testing.assert_allclose(np.array(list(kiosk.base.camera.getPos(kiosk.base.render))), view[0], atol=1e-3)


def test_far_side_hotspot_is_not_pickable(kiosk) -> None:
    kiosk.select_relic("laurana")
    views = kiosk.hotspot_screen()
    i = next(k for k, m in enumerate(views) if m.alpha >= 0.9)
    kiosk.orbit = orbit.clamp(orbit.Orbit(kiosk.orbit.target, 180.0, 0.0, kiosk.orbit.distance), kiosk.limits)
    kiosk._apply_camera()
    behind = kiosk.hotspot_screen()[i]
    assert behind.alpha < PICKABLE_ALPHA
    assert kiosk.hotspot_at(behind.x, behind.y) != i
    assert kiosk.tap(behind.x, behind.y) != f"note:{i}"
    assert kiosk.selected is None


def test_inactivity_warning_then_reset_to_attract(kiosk) -> None:
    kiosk.tap(5, 5)
    kiosk.select_relic("vase")
    kiosk.set_language("en")
    t0 = kiosk.test_clock.t
    assert kiosk.tick(t0 + 59) == "active"
    kiosk.test_clock.t = t0 + 61
    assert kiosk.tick() == "warning" and kiosk.mode == "viewer"
    assert kiosk.overlay.root.getNumChildren() > 0
    kiosk.test_clock.t = t0 + 81
    kiosk.tick()
    assert kiosk.mode == "attract" and kiosk.lang == "zh-CN"


def test_touch_during_warning_keeps_the_session(kiosk) -> None:
    kiosk.tap(5, 5)
    kiosk.select_relic("ding")
    kiosk.test_clock.t += 65
    assert kiosk.tick() == "warning"
    assert kiosk.tap(300, 200) == "dismiss_warning"
    kiosk.test_clock.t += 30
    assert kiosk.tick() == "active" and kiosk.mode == "viewer"


def test_touch_targets_are_at_least_44_px_and_language_switches(kiosk) -> None:
    kiosk.tap(5, 5)
    kiosk.select_relic("lion")
    kiosk.open_annotation(0)
    for hit in kiosk.static.hits:
        assert hit.rect.w >= TOUCH_TARGET_PX and hit.rect.h >= TOUCH_TARGET_PX
    lang_btn = next(h for h in kiosk.static.hits if h.action == "language")
    kiosk.tap(*lang_btn.rect.centre)
    assert kiosk.lang == "en"


def test_only_the_staff_key_leaves(kiosk) -> None:
    from twin_engine.kiosk import KIOSK_KEYS

    kiosk.act("back")
    assert kiosk.test_exits == []
    staff = [k for k, a in KIOSK_KEYS.items() if a == "staff_exit"]
    assert len(staff) == 1 and "-" in staff[0]  # a chord, not a single key a visitor could hit
    kiosk.act("staff_exit")
    assert kiosk.test_exits == [1]


def test_chinese_text_renders_as_glyphs(engine_base) -> None:
    from panda3d.core import TextNode

    from twin_engine.fonts import cjk_font_path, load_font

    if cjk_font_path() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    font = load_font()
    root = engine_base.aspect2d.attachNewNode("glyph-test")
    images = []
    try:
        for text in ("青铜鼎", "梅瓶瓷"):
            root.getChildren().detach()
            tn = TextNode("t")
            tn.setFont(font)
            tn.setText(text)
            tn.setTextColor(1, 1, 1, 1)
            np_ = root.attachNewNode(tn)
            np_.setScale(0.3)
            np_.setPos(-0.5, 0, -0.1)
            images.append(_pixels(engine_base).max(axis=2) > 128)
    finally:
        root.removeNode()
    a, b = images
    assert a.sum() > 500 and b.sum() > 500
    # missing-glyph boxes would be the same outline for both strings; real glyphs differ a lot
    assert (a ^ b).sum() > 0.3 * max(a.sum(), b.sum())
    # a box outline is hollow: real hanzi put ink inside their cells
    ys, xs = np.nonzero(a)
    inner = a[ys.min() + 5: ys.max() - 5, xs.min() + 5: xs.max() - 5]
    assert inner.mean() > 0.08


def test_render_kiosk_png_writes_the_panel(engine_base, tmp_path: Path) -> None:
    from twin_engine.kiosk import render_kiosk_png

    out = render_kiosk_png(SCENE, tmp_path / "k.png", relic="vase", annotation="cobalt", base=engine_base)
    from PIL import Image

    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    h, w, _ = img.shape
    assert (w, h) == (640, 360)
    panel = img[int(h * 0.3):int(h * 0.7), int(w * 0.7):int(w * 0.95)]
    assert panel.mean() < 60  # the dark text panel is open on the right
    centre = img[int(h * 0.3):int(h * 0.7), int(w * 0.25):int(w * 0.45)]
    assert centre.mean() > 70  # the white porcelain fills the free area


# --- guided tours and pinch, offscreen ------------------------------------------------------------


def _texts(layer) -> str:
    """The text drawn in ``layer``, lines joined in drawing order."""
    from panda3d.core import TextNode

    return "".join(n.node().getText() for n in layer.root.getChildren() if isinstance(n.node(), TextNode))


def _press(kiosk, action: str) -> None:
    hit = next(h for h in kiosk.static.hits if h.action == action)
    assert hit.rect.w >= TOUCH_TARGET_PX and hit.rect.h >= TOUCH_TARGET_PX
    assert kiosk.tap(*hit.rect.centre) == action


def test_tour_button_plays_the_scene_tour_in_order(kiosk) -> None:
    kiosk.tap(5, 5)
    kiosk.select_relic("ding")
    tour = kiosk.relic.tours[0]
    assert tour.annotation_ids != tuple(a.id for a in kiosk.relic.annotations)  # not simply file order
    _press(kiosk, "tour")
    visited = []
    for k, step in enumerate(tour.steps):
        note = kiosk.relic.annotations[kiosk.selected]
        visited.append(note.id)
        shown = _texts(kiosk.static)
        assert note.title["zh-CN"] in shown and step.narration["zh-CN"] in shown
        assert f"第 {k + 1} / {len(tour.steps)} 站" in shown and tour.title["zh-CN"] in shown
        _press(kiosk, "next")
    assert visited == list(tour.annotation_ids)
    assert kiosk.selected is None and not kiosk.touring  # "next" on the last stop ends the tour


def test_tour_previous_and_hotspot_tap_leave_the_tour(kiosk) -> None:
    kiosk.tap(5, 5)
    kiosk.select_relic("vase")
    ids = kiosk.relic.tours[0].annotation_ids
    _press(kiosk, "tour")
    _press(kiosk, "next")
    _press(kiosk, "previous")
    assert kiosk.relic.annotations[kiosk.selected].id == ids[0] and kiosk.touring
    kiosk.act("next_hotspot")  # the arrow keys follow the tour too
    assert kiosk.relic.annotations[kiosk.selected].id == ids[1]
    kiosk._do("note:0")
    assert not kiosk.touring and kiosk.selected == 0


def test_relic_without_tours_tours_every_annotation_and_several_tours_offer_a_choice(kiosk) -> None:
    from dataclasses import replace

    from simulation.scene import Tour, TourStep

    kiosk.tap(5, 5)
    lion = kiosk.scene.relic("lion")
    two = (lion.tours[0], Tour("short", {"zh-CN": "快速看", "en": "Quick look"}, (TourStep("scan"), TourStep("guardian"))))
    relics = tuple(replace(r, tours=()) if r.id == "gargoyle" else replace(r, tours=two) if r.id == "lion" else r
                   for r in kiosk.scene.relics)
    kiosk.scene = replace(kiosk.scene, relics=relics)
    kiosk.select_relic("gargoyle")
    _press(kiosk, "tour")
    seen = []
    while kiosk.touring:
        seen.append(kiosk.selected)
        _press(kiosk, "next")
    assert seen == list(range(len(kiosk.relic.annotations)))  # the old behaviour: all, in file order
    kiosk.select_relic("lion")
    _press(kiosk, "tour")
    assert not kiosk.touring and kiosk.tour_menu
    assert {h.action for h in kiosk.static.hits} >= {"tour:carved_weathered_scanned", "tour:short"}
    _press(kiosk, "tour:short")
    assert kiosk.tour.id == "short" and not kiosk.tour_menu
    assert kiosk.relic.annotations[kiosk.selected].id == "scan"


def test_two_finger_pinch_zooms_the_viewer(kiosk) -> None:
    kiosk.tap(5, 5)
    kiosk.select_relic("laurana")
    d0 = kiosk.orbit.distance
    kiosk.touches([(300.0, 180.0)])
    assert kiosk.orbit.distance == d0  # one finger: no zoom
    kiosk.touches([(280.0, 180.0), (360.0, 180.0)])
    kiosk.touches([(240.0, 180.0), (400.0, 180.0)])  # twice as far apart
    assert kiosk.orbit.distance == pytest.approx(max(d0 / 2, kiosk.limits.near * kiosk.limits.size))
    eye = np.array(list(kiosk.base.camera.getPos(kiosk.base.render)))
    np.testing.assert_allclose(eye, kiosk.orbit.eye(), atol=1e-6)
    kiosk.touches([])
    kiosk.touches([(240.0, 180.0), (400.0, 180.0)])  # a new pinch starts from where the fingers land
    assert kiosk.orbit.distance == pytest.approx(max(d0 / 2, kiosk.limits.near * kiosk.limits.size))


def test_render_a_tour_step(engine_base, tmp_path: Path) -> None:
    from PIL import Image

    from twin_engine.kiosk import KioskScreen

    clock = FakeClock()
    screen = KioskScreen(engine_base, load_scene(SCENE), lang="zh-CN", clock=clock)
    screen.enter()
    try:
        screen.tap(5, 5)
        screen.select_relic("vase")
        _press(screen, "tour")
        _press(screen, "next")
        clock.t += 2.0
        screen.tick()
        img = _pixels(engine_base)
        Image.fromarray(img.astype(np.uint8)).save(tmp_path / "tour.png")
    finally:
        screen.exit()
    h, w, _ = img.shape
    assert img[int(h * 0.3):int(h * 0.7), int(w * 0.7):int(w * 0.95)].mean() < 70  # the panel is open
    accent = (img[..., 0] > 150) & (img[..., 1] > 110) & (img[..., 1] < 190) & (img[..., 2] < 110)
    assert accent[:, int(w * 0.6):].sum() > 100  # the gold tour heading in the panel
