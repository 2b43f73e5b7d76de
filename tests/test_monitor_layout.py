"""The staff monitor at every window size a museum has, in Chinese and English.

The overview, a relic's panel and a full alert list are laid out at 1280x720, 1366x768,
1920x1080, 3840x2160 and 1080x1920 (the shared offscreen buffer resized), and the drawn text
nodes' bounds are read back (``twin_engine.layout.text_bounds``): no two texts overlap and
none leaves its panel. Clicks go to the pixel where a thing is drawn (an Ack button found by
its drawn text, a relic by projecting it) and the test asserts what happened. One screenshot
per size and language is written (downscaled) to a temporary folder, or to ``docs/screenshots/``
with ``RELIC_TWIN_SCREENSHOTS=1`` (how the ones kept there were made).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation.paths import scenes_dir
from simulation.scene import Scene, load_scene
from twin_engine import layout
from twin_engine.hud import Series
from twin_engine.monitor import Details, MonitorScreen
from twin_engine.render import demo_state

SIZES = [(1280, 720), (1366, 768), (1920, 1080), (3840, 2160), (1080, 1920)]
LANGS = ["en", "zh-CN"]
T0 = "2026-11-25T14:00:00Z"
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def resize(base: Any, size: tuple[int, int]) -> None:
    """Resize the shared offscreen buffer and everything that follows its aspect."""
    base.win.setSize(*size)
    base.adjustWindowAspectRatio(size[0] / size[1])


@pytest.fixture(scope="module")
def scene() -> Scene:
    return load_scene(scenes_dir() / "demo_hall")


@pytest.fixture(scope="module")
def sized(engine_base: Any) -> Iterator[Any]:
    """The session's base, resized per test; put back to its own size afterwards."""
    old = (engine_base.win.getXSize(), engine_base.win.getYSize())
    yield engine_base
    resize(engine_base, old)


def alerts(n: int) -> list[dict[str, Any]]:
    """``n`` alerts with long texts in both languages, the sixth acknowledged."""
    out = []
    for i in range(n):
        out.append({
            "id": f"a{i}", "tier": "red" if i % 3 == 0 else "yellow", "target": {"kind": "relic", "id": "ding"},
            "cause": "temperature_high", "started_at": "2026-11-25T11:20:00Z", "acknowledged": i == 5,
            "summary": {"en": f"Bronze ding with taotie mask: temperature over its 24.0 °C limit since 19:{i:02d}, "
                              "peak 24.6 °C, now 23.9 °C; clears below 23.6 °C",
                        "zh-CN": f"兽面纹青铜鼎：温度自 19:{i:02d} 起超过上限 24.0 °C，峰值 24.6 °C，当前 23.9 °C；"
                                 "低于 23.6 °C 后解除"}})
    return out


def details(lang: str = "en") -> Details:
    zh = lang.startswith("zh")
    hours = np.arange(-24.0, 0.01, 0.5)
    ahead = np.arange(0.0, 12.01, 0.5)
    return Details("temperature", Series(list(hours), list(22.8 + 0.3 * np.sin(hours / 4))),
                   Series(list(ahead), list(22.9 + 0.02 * ahead), list(22.7 - 0.01 * ahead), list(23.1 + 0.03 * ahead)),
                   (16.0, 24.0), [("风险" if zh else "Risk", "正常" if zh else "green"), ("限值" if zh else "Limits", "16–24 °C"),
                                  ("24小时范围 · S02" if zh else "24 h range · S02", "22.5–23.1 °C")],
                   sensor="S02")


def open_monitor(base: Any, scene: Scene, lang: str, n_alerts: int, select: bool, meshes: bool = False) -> MonitorScreen:
    readings, _ = demo_state(scene, T0)
    screen = MonitorScreen(base, scene, lang=lang, load_meshes=meshes)
    screen.apply_snapshot({"type": "snapshot", "time": T0, "readings": readings, "alerts": alerts(n_alerts)})
    screen.set_details("relic", "ding", details(lang))
    if select:
        screen.select(("relic", "ding"))
    screen.act("view_overview")
    screen.rig.snap()
    screen.refresh()
    return screen


def assert_clean(screen: MonitorScreen, base: Any, size: tuple[int, int]) -> list[layout.TextBox]:
    texts = layout.text_bounds(screen.canvas.root, base.render2d, size)
    pairs = layout.overlaps(texts)
    lone = layout.escapes(texts, layout.Metrics.of(size).window)
    assert not pairs and not lone, layout.describe(pairs, lone)
    return texts


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_overview_panel_and_full_alert_list_fit_at_every_size(sized, scene, size):
    resize(sized, size)
    for lang in LANGS:
        for n_alerts, select in ((3, False), (2, True), (14, True), (14, False)):
            screen = open_monitor(sized, scene, lang, n_alerts, select)
            try:
                texts = assert_clean(screen, sized, size)
                words = [t.text for t in texts]
                more = "+" if lang == "en" else "还有"
                if n_alerts == 14:  # a full list ends in "+N more", never runs out of its panel
                    assert any(w.startswith(more) for w in words), words
                if select:
                    assert screen.panel.covers is not None and screen.alert_list.covers is not None
                    assert screen.panel.covers.intersection(screen.alert_list.covers) == 0
                # the 3-D view keeps most of the window
                covered = sum(layer.covers.w * layer.covers.h for layer in screen._layers() if layer.covers)
                assert covered < 0.75 * size[0] * size[1]
            finally:
                screen.exit()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_screenshots_at_every_size(sized, scene, size, tmp_path):
    """One frame per size and language with the panel and a full list, small; the header band is
    opaque (no 3-D label shows over it)."""
    from panda3d.core import Filename, PNMImage

    folder = SHOTS if os.environ.get("RELIC_TWIN_SCREENSHOTS") else tmp_path
    resize(sized, size)
    for lang in LANGS:
        screen = open_monitor(sized, scene, lang, 14, True, meshes=True)
        try:
            image = screen.screenshot()
            band = screen.title.covers
            assert band is not None and band.y == 0 and band.w == size[0]
            corner = image.getXel(size[0] - 3, int(band.bottom) - 3)  # the header's right end: no text there
            assert max(abs(a - b) for a, b in zip(corner, (0.06, 0.07, 0.09), strict=True)) < 0.03
            k = max(1, int(np.ceil(max(size) / 1400)))  # 1280 and 1366 wide as they are, the rest halved or a third
            small = PNMImage(size[0] // k, size[1] // k)
            small.boxFilterFrom(0.5, image) if k > 1 else small.copyFrom(image)
            path = folder / f"monitor_{size[0]}x{size[1]}_{'zh' if lang.startswith('zh') else 'en'}.png"
            assert small.write(Filename.fromOsSpecific(str(path)))
            assert path.stat().st_size < 1_500_000
        finally:
            screen.exit()


def test_label_placement_climbs_sidesteps_and_leaves_out():
    from twin_engine.label_layout import GAP_PX, LabelBox, place

    window = layout.Rect(0, 0, 400, 300)
    value = LabelBox("sensor:S03", layout.Rect(100, 100, 40, 20))
    machine = LabelBox("actuator:dh1", layout.Rect(60, 110, 180, 40))  # a long machine label across the value
    got = place([value, machine], [], window)
    assert got["sensor:S03"] == (0.0, 0.0)
    assert got["actuator:dh1"] == (0.0, -2 * (40 + GAP_PX))  # two rows up: one row would still touch the value
    # an overlay box over where it belongs and the row above: it climbs on; blocked above, it steps aside
    assert place([value], [layout.Rect(80, 90, 40, 40)], window)["sensor:S03"] == (0.0, -2 * (20 + GAP_PX))
    assert place([value], [layout.Rect(90, 0, 30, 130)], window)["sensor:S03"] == (20 + GAP_PX, 0.0)
    # with no room at all it is left out, never drawn over
    assert place([value], [layout.Rect(0, 0, 400, 300)], window) == {"sensor:S03": None}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_hall_labels_do_not_crowd_each_other_or_the_overlay(sized, scene, size):
    """The 3-D labels (sensor values, machine states) as drawn: no two overlap, none touches an
    overlay text or box, each lies in the window; the frame shows a label's dark card where its box
    says; in the landscape overview every sensor's value is shown."""
    resize(sized, size)
    for lang in LANGS:
        for n_alerts, select in ((3, False), (14, True)):
            screen = open_monitor(sized, scene, lang, n_alerts, select)
            try:
                image = screen.screenshot()
                boxes = screen.label_boxes
                assert any(k.startswith("actuator:") for k in boxes), boxes
                hud = assert_clean(screen, sized, size)
                labels = [layout.TextBox(k, r, None, k) for k, r in boxes.items()]
                pairs = layout.overlaps(labels + hud)
                assert not pairs, layout.describe(pairs)
                window = layout.Rect(0, 0, *size)
                covers = [layer.covers for layer in screen._layers() if layer.covers is not None]
                for k, r in boxes.items():
                    assert r.inside(window), (k, r)
                    assert all(r.intersection(c) == 0 for c in covers), (k, r)
                    edge = image.getXel(int(r.x + 0.04 * r.h) + 1, int(r.y + r.h / 2))  # the card's margin, left of the text
                    assert max(edge) < 0.35, (k, r, edge)
                if size[0] > size[1] and not select:  # a value whose sensor is in the open view is shown
                    x0, y0, x1, y1 = screen.free_area()
                    for s in scene.sensors:
                        fx, fy = screen.project(tuple(float(v) for v in s.position))
                        px, py = screen.to_px(fx, fy)
                        if x0 + 40 < px < x1 - 40 and y0 + 40 < py < y1 - 40 and not any(c.contains(px, py) for c in covers):
                            assert f"sensor:{s.id}" in boxes, (s.id, px, py)
            finally:
                screen.exit()


# --- clicks land where things are drawn ---------------------------------------------------------


def centre_of(texts: list[layout.TextBox], word: str) -> tuple[float, float]:
    """The centre (px) of the topmost drawn ``word``."""
    hit = min((t for t in texts if t.text == word), key=lambda t: t.rect.y)
    return hit.rect.centre


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920), (3840, 2160)], ids=["1280x720", "1080x1920", "3840x2160"])
def test_clicks_on_the_drawn_ack_button_row_close_box_and_a_relic(sized, scene, size):
    resize(sized, size)
    screen = open_monitor(sized, scene, "en", 3, False, meshes=True)
    acked: list[str] = []
    asked: list[str] = []
    screen.on_acknowledge = acked.append
    screen.on_replay_request = asked.append
    try:
        texts = assert_clean(screen, sized, size)
        # the first Ack button, found where its word is drawn: the worst alert (a0, red)
        screen.click_px(*centre_of(texts, "Ack"))
        assert acked == ["a0"] and screen.alerts["a0"]["acknowledged"]
        screen.refresh()
        # a row's text jumps to the moment its alert began (and selects its relic)
        row = min((t for t in layout.text_bounds(screen.canvas.root, sized.render2d, size)
                   if t.text.startswith("Bronze ding")), key=lambda t: t.rect.y)
        screen.click_px(*row.rect.centre)
        assert asked == ["2026-11-25T11:20:00Z"] and screen.selection == ("relic", "ding")
        screen.show_live()
        screen.refresh()
        # the panel's close box
        texts = assert_clean(screen, sized, size)
        screen.click_px(*centre_of(texts, "×"))
        assert screen.selection is None
        screen.refresh()
        # a relic in the hall, clicked where it is drawn (not under the overlay)
        screen.render_frame()
        for relic in scene.relics:
            film = screen.project((float(relic.position[0]), float(relic.position[1]),
                                   float(relic.position[2]) + relic.height_m * 0.5))
            if film is None:
                continue
            px = screen.to_px(*film)
            if not (0 < px[0] < size[0] and 0 < px[1] < size[1]) or screen.pointer_down(*px):
                continue
            assert screen.click_px(*px) == ("relic", relic.id)
            screen.refresh()
            assert screen.panel.covers is not None  # its panel opened
            break
        else:
            pytest.fail("no relic is visible outside the overlay")
    finally:
        screen.exit()


def test_replay_track_esc_and_j_answer_the_night_guard(sized, scene):
    resize(sized, (1280, 720))
    screen = open_monitor(sized, scene, "en", 0, True)
    asked: list[str] = []
    quits: list[bool] = []
    screen.on_replay_request = asked.append
    screen.on_quit = lambda: quits.append(True)
    try:
        track = screen.replay_bar.track
        assert track is not None
        screen.click_px(track.x + 0.5 * track.w, track.centre[1])  # half way along a week: 84 h back
        assert asked == ["2026-11-22T02:00:00Z"]
        # J with no alert says so in the footer
        screen.act("replay_alert")
        screen.refresh()
        words = [t.text for t in layout.text_bounds(screen.canvas.root, sized.render2d, (1280, 720))]
        assert "No alert to jump to" in words
        # Esc: closes the panel, then leaves the replay, then asks, and a second press quits
        screen.act("back")
        assert screen.selection is None and not quits
        screen.act("back")
        assert screen.replay_hours == 0 and not quits
        screen.act("back")
        screen.refresh()
        words = [t.text for t in layout.text_bounds(screen.canvas.root, sized.render2d, (1280, 720))]
        assert "Press Esc again to quit the monitor" in words and not quits
        screen.act("back")
        assert quits == [True]
    finally:
        screen.exit()


def test_page_keys_scroll_a_long_alert_list(sized, scene):
    resize(sized, (1280, 720))
    screen = open_monitor(sized, scene, "zh-CN", 14, False)
    try:
        first = {t.text for t in layout.text_bounds(screen.alert_list.root, sized.render2d, (1280, 720))}
        screen.act("alerts_down")
        screen.refresh()
        after = {t.text for t in layout.text_bounds(screen.alert_list.root, sized.render2d, (1280, 720))}
        assert screen.alert_first > 0 and any("19:00" in w for w in first) and not any("19:00" in w for w in after)
        # each row says how long it has been open at the shown moment (11:20Z to 14:00Z)
        assert all(r.text.endswith("已持续 2 小时 40 分钟") for r in screen.alert_rows())
        assert_clean(screen, sized, (1280, 720))
    finally:
        screen.exit()


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0..1)."""
    def lum(c: tuple[float, ...]) -> float:
        lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_key_hints_and_dim_text_are_readable_on_their_bands():
    from twin_engine import monitor_hud as mh

    assert contrast(mh.HINT, mh.BAND_BG) >= 7.0  # WCAG AAA for the key hints
    assert contrast(mh.DIM, mh.PANEL_BG) >= 7.0 and contrast(mh.TOAST, mh.BAND_BG) >= 7.0
    assert mh.BAND_BG[3] == 1.0 and mh.PANEL_BG[3] == 1.0  # nothing of the 3-D view shows through
