"""Every kiosk screen and the what-if player at the sizes museums have, in Chinese and English,
read back from what is drawn.

One offscreen buffer (the session's ``engine_base``) is resized to each of
:data:`SCREEN_SIZES` in turn. At each size and language, every screen
(attract, gallery, viewer, note, tour, idle warning) is laid out and its text
nodes' glyph bounds are read from the scene graph: no two texts overlap, and
none leaves its panel or the window. Then clicks land on what is drawn: the
drawn centre of a gallery card, of a hotspot marker and of a button open what
they show, through the same mouse-to-pixel path a real click takes. The player's overlay is read
the same way, and its crossing rows and time bar are clicked where they are drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_climate_scenarios import short_scenario

from bridge.twin import whatif
from simulation.paths import scenes_dir
from simulation.scene import load_scene
from twin_engine.kiosk_idle import IdleSettings
from twin_engine.kiosk_shots import SCREEN_SIZES, kiosk_states, resize_offscreen
from twin_engine.layout import Metrics, Rect, describe, escapes, overlaps, text_bounds

SCENE = load_scene(scenes_dir() / "demo_hall")
TEST_SIZE = (640, 360)  # the session buffer's own size, given back after each size


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, s: float) -> None:
        self.t += s


@pytest.fixture(scope="module", params=SCREEN_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def size(request, engine_base) -> Iterator[tuple[int, int]]:
    resize_offscreen(engine_base, request.param)
    assert (engine_base.win.getXSize(), engine_base.win.getYSize()) == request.param
    yield request.param
    resize_offscreen(engine_base, TEST_SIZE)


def _screen(base, lang: str, clock: Clock):
    from twin_engine.kiosk import KioskScreen

    screen = KioskScreen(base, SCENE, lang=lang, clock=clock, idle=IdleSettings(idle_s=60.0, countdown_s=20.0))
    screen.enter()
    return screen


def _problems(root, base, size: tuple[int, int]) -> str:
    texts = text_bounds(root, base.render2d, size)
    assert texts, "something is drawn"
    return describe(overlaps(texts), escapes(texts, Metrics.of(size).window))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_screen_keeps_its_texts_apart_and_inside(engine_base, size, lang) -> None:
    clock = Clock()
    screen = _screen(engine_base, lang, clock)
    seen, bad = [], []
    try:
        for state in kiosk_states(screen, clock, clock.advance):
            seen.append(state)
            # the idle warning is drawn over a dimmed screen: its own texts must be apart and inside its box
            root = screen.overlay.root if state == "idle_warning" else screen.ui
            problem = _problems(root, engine_base, size)
            if problem:
                bad.append(f"{state}:\n{problem}")
            if state == "gallery":
                for relic in SCENE.relics:
                    card = screen._gallery_rects[relic.id]
                    square = screen.gallery_mesh_rect(card)
                    caption_top = screen.gallery_caption(relic, card)[0][1]
                    assert square.inside(card) and square.bottom <= caption_top, relic.id
            if state == "viewer":  # the relic is framed clear of the title, the hint and the buttons
                relic = screen.relic_screen_rect()
                texts = text_bounds(screen.static.root, engine_base.render2d, size)
                hit = [t.text for t in texts if t.rect.intersection(relic) > 0]
                assert not hit, f"drawn across the relic at {relic}: {hit}"
                assert relic.inside(Metrics.of(size).window)
    finally:
        screen.exit()
    assert seen == ["attract", "gallery", "viewer", "note", "tour", "idle_warning"]
    assert not bad, "\n".join(bad)


class FakeMouse:
    """The mouse watcher's view of a pointer at window pixel (x, y): film coordinates -1..1, y up."""

    def __init__(self, size: tuple[int, int]):
        self.size, self.pos = size, (0.0, 0.0)

    def at(self, x: float, y: float) -> None:
        w, h = self.size
        self.pos = (2 * x / w - 1, 1 - 2 * y / h)

    def hasMouse(self) -> bool:  # noqa: N802 - Panda3D's name
        return True

    def getMouse(self):  # noqa: N802
        return self.pos


def _click(screen, mouse: FakeMouse, r: Rect) -> None:
    """Press and release the mouse at the centre of the drawn rectangle ``r`` (window px)."""
    mouse.at(*r.centre)
    screen.act("pointer_down")
    screen.act("pointer_up")


def _drawn(screen, base, size, text: str) -> Rect:
    found = [t.rect for t in text_bounds(screen.ui, base.render2d, size) if t.text == text]
    assert found, f"{text!r} is drawn"
    return found[0]


def test_clicks_land_on_what_is_drawn(engine_base, size, monkeypatch) -> None:
    from twin_engine.kiosk import FLY_S

    clock = Clock()
    mouse = FakeMouse(size)
    monkeypatch.setattr(engine_base, "mouseWatcherNode", mouse)
    screen = _screen(engine_base, "en", clock)
    try:
        _click(screen, mouse, Rect(size[0] / 2, size[1] / 2, 0, 0))  # any touch starts
        assert screen.mode == "gallery"
        for relic_id in ("vase", "lacquer_box"):  # the vase's card once opened the lacquer box
            name = SCENE.relic(relic_id).name["en"]
            first_line = next(t.rect for t in text_bounds(screen.ui, engine_base.render2d, size)
                              if name.startswith(t.text))
            _click(screen, mouse, first_line)
            assert screen.mode == "viewer" and screen.relic.id == relic_id
            _click(screen, mouse, _drawn(screen, engine_base, size, "Back"))
            assert screen.mode == "gallery"
        _click(screen, mouse, _drawn(screen, engine_base, size, SCENE.relic("laurana").name["en"].split(" (")[0]))
        assert screen.relic.id == "laurana"
        screen.tick()
        markers = screen._markers.items
        views = screen.hotspot_screen()
        front = max(range(len(views)), key=lambda i: views[i].alpha)
        ring = markers[front][1].getTightBounds(engine_base.render2d)
        lo, hi = ring
        drawn = Rect((lo[0] + 1) / 2 * size[0], (1 - hi[2]) / 2 * size[1], (hi[0] - lo[0]) / 2 * size[0],
                     (hi[2] - lo[2]) / 2 * size[1])
        _click(screen, mouse, drawn)
        assert screen.selected == front
        clock.advance(FLY_S + 0.1)
        screen.tick()
        _click(screen, mouse, _drawn(screen, engine_base, size, "Close"))
        assert screen.selected is None and screen.mode == "viewer"
    finally:
        screen.exit()


def test_markers_of_the_last_relic_go_on_idle_reset_and_back_to_the_gallery(engine_base, size) -> None:
    clock = Clock()
    screen = _screen(engine_base, "zh-CN", clock)
    try:
        screen.show_gallery()
        screen.select_relic("vase")
        screen.tick()
        assert screen.hotspot_layer.root.getNumChildren() > 0
        screen._do("back")
        screen.tick()
        assert screen.mode == "gallery" and screen.hotspot_layer.root.getNumChildren() == 0
        screen.select_relic("vase")
        screen.tick()
        clock.advance(60 + 20 + 1)
        screen.tick()
        assert screen.mode == "attract" and screen.hotspot_layer.root.getNumChildren() == 0
        assert not [t for t in text_bounds(screen.ui, engine_base.render2d, size) if t.text.strip().isdigit()]
    finally:
        screen.exit()


def test_a_window_that_changes_size_is_laid_out_again(engine_base, size) -> None:
    """Full screen that falls back, a window resized: what is drawn and what a tap means follow."""
    clock = Clock()
    screen = _screen(engine_base, "en", clock)
    try:
        screen.show_gallery()
        other = (size[1], size[0]) if size != (1080, 1920) else (1280, 720)
        resize_offscreen(engine_base, other)
        screen.tick()
        card = screen._gallery_rects["vase"]
        assert card.inside(Metrics.of(other).window)
        assert screen.tap(*card.centre) == "select:vase"
        assert not _problems(screen.ui, engine_base, other)
    finally:
        screen.exit()
        resize_offscreen(engine_base, size)


# --- the what-if player ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from twin_engine.whatif_run import load_run

    tmp: Path = tmp_path_factory.mktemp("sizes-whatif")
    f = short_scenario(tmp, "hvac_failure_summer", 2.0)
    whatif.run_scenario(f, tmp / "runs" / "hvac_failure_summer", cell_m=2.0, report=False)
    return load_run(tmp / "runs", SCENE)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_player_overlay_keeps_its_texts_apart_and_inside_and_takes_clicks(engine_base, size, lang, run) -> None:
    from twin_engine.whatif_player import WhatIfScreen

    player = WhatIfScreen(engine_base, SCENE, run, lang=lang, load_meshes=False)
    player.enter()
    try:
        for t in (0.0, run.duration_s / 2, run.duration_s):
            player.seek(t)
            player.refresh()
            problem = _problems(player.overlay.root, engine_base, size)
            assert not problem, f"at {t} s:\n{problem}"
            texts = text_bounds(player.overlay.root, engine_base.render2d, size)
            caption = next(x.rect for x in texts if "|" in x.text and "+" in x.text and "h" in x.text
                           and x.rect.y > size[1] / 2)
            handle = player.overlay.track.inset(-engine_base.win.getXSize(), -player.overlay.canvas.u * 0.55)
            assert caption.bottom <= handle.y, "the time bar's handle never covers its caption"
            hours = [float(x.text.split("h outside")[0].split()[-1]) for x in texts if "h outside" in x.text]
            assert all(h <= run.duration_s / 3600 + 1e-9 for h in hours)
        # the hall's middle is in what the panels leave free
        centre = player.project(((SCENE.bounds[0] + SCENE.bounds[2]) / 2, (SCENE.bounds[1] + SCENE.bounds[3]) / 2, 0))
        px = ((centre[0] + 1) / 2 * size[0], (1 - centre[1]) / 2 * size[1])
        assert player.overlay.free.contains(*px)
        # a crossing row where it is drawn jumps to its moment; the drawn time bar seeks
        player.seek(run.duration_s)
        player.refresh()
        r, seconds = player.overlay.rows[0]
        assert player.click(*r.centre) == "jump" and player.t_s == seconds
        track = player.overlay.track
        assert player.click(track.x + track.w * 0.75, track.y + track.h / 2) == "scrub"
        assert player.t_s == pytest.approx(0.75 * run.duration_s, rel=0.01)
    finally:
        player.exit()


def test_the_list_of_tours_fits_above_its_button(engine_base, size) -> None:
    from dataclasses import replace

    from simulation.scene import Tour, TourStep

    lion = SCENE.relic("lion")
    long = Tour("long", {"zh-CN": "从采石场到庭院：一对石狮的三百年", "en": "From the quarry to the courtyard: "
                         "three hundred years of a pair of lions"}, (TourStep("scan"),))
    scene = replace(SCENE, relics=tuple(replace(r, tours=(r.tours[0], long)) if r.id == "lion" else r
                                        for r in SCENE.relics))
    assert lion.tours
    for lang in ("zh-CN", "en"):
        screen = _screen(engine_base, lang, Clock())
        screen.scene = scene
        try:
            screen.show_gallery()
            screen.select_relic("lion")
            screen._do("tour")
            assert screen.tour_menu
            problem = _problems(screen.ui, engine_base, size)
            assert not problem, problem
            item = next(h for h in screen.static.hits if h.action == "tour:long")
            assert item.rect.inside(Metrics.of(size).window)
            assert screen.tap(*item.rect.centre) == "tour:long" and screen.tour.id == "long"
        finally:
            screen.exit()
