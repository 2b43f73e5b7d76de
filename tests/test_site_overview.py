"""The monitor's site overview and hall switcher rendered offscreen: a card per hall in its tier's colour,
texts inside their cards, a click on a card enters that hall with its own state, the switcher goes on
to the next hall and back to the overview."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulation.paths import scenes_dir
from simulation.scene import load_scene
from twin_engine import layout
from twin_engine.app import grab_frame, write_png
from twin_engine.site_overview import TIER_RGBA, SiteMonitor, SiteOverviewScreen, card_grid, only_hall

T0 = "2026-11-25T14:00:00Z"


def hall(i: int, tier: str, worst: str | None = None, alerts: int = 0, offline: int = 0, kind: str = "hall") -> dict:
    return {"hall": f"hall_{i}", "kind": kind, "name": {"zh-CN": f"第{i}展厅", "en": f"Hall {i}"}, "tier": tier,
            "worst_relic": None if worst is None else {"id": "R1", "tier": tier, "name": {"zh-CN": "青铜鼎", "en": worst}},
            "open_alerts": alerts, "sensors": 12, "sensors_offline": offline, "offline": [], "time_in_range": 0.5 + i / 10}


SITE = {"site": "county", "name": {"zh-CN": "县博物馆", "en": "County Museum"}, "tier": "red", "open_alerts": 5,
        "sensors": 36, "sensors_offline": 3,
        "halls": [hall(1, "red", "Bronze ding", 3, 1), hall(2, "yellow", "Silk painting", 2),
                  hall(3, "green", offline=2, kind="storeroom")]}


def frame(base: Any) -> Any:
    base.graphicsEngine.renderFrame()
    base.graphicsEngine.renderFrame()
    return grab_frame(base)


def rgb(image: Any, x: float, y: float) -> np.ndarray:
    c = image.getXel(int(x), int(y))
    return np.array([c[0], c[1], c[2]])


def size_of(base: Any) -> tuple[int, int]:
    return base.win.getXSize(), base.win.getYSize()


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_each_hall_is_a_card_in_its_tier_colour_with_its_texts_inside(engine_base, tmp_path, lang: str) -> None:
    screen = SiteOverviewScreen(engine_base, SITE, lang)
    screen.enter()
    try:
        image = frame(engine_base)
        write_png(image, tmp_path / f"overview-{lang}.png")
        assert list(screen.card_rects) == ["hall_1", "hall_2", "hall_3"]  # the /api/site order: worst first
        u = screen.canvas.u
        for h in SITE["halls"]:
            r = screen.card_rects[h["hall"]]
            band = rgb(image, r.right - 0.5 * u, r.y + 0.3 * u)  # the band's corner, clear of the title
            assert np.abs(band - TIER_RGBA[h["tier"]][:3]).max() < 0.05, (h["hall"], band)
        texts = layout.text_bounds(screen.canvas.root, engine_base.render2d, size_of(engine_base))
        shown = " ".join(t.text for t in texts)
        if lang == "en":
            for piece in ("County Museum", "Worst relic: Bronze ding", "Open alerts: 3", "Sensors offline: 2/12",
                          "Hall 3 · storeroom", "No relic at risk", "Time in range: 60%"):
                assert piece in shown, piece
        else:
            assert "风险最高: 青铜鼎" in shown and "第3展厅 · 库房" in shown
        assert not layout.overlaps(texts), layout.describe(layout.overlaps(texts))
        window = layout.Rect(0, 0, *size_of(engine_base))
        assert not layout.escapes(texts, window), layout.describe(lone=layout.escapes(texts, window))
        for t in texts:  # each card's texts inside its card
            if t.box is not None and t.text.startswith(("Open alerts", "未处理告警")):
                assert any(t.rect.inside(r, 1.0) for r in screen.card_rects.values()), t
    finally:
        screen.exit()
    assert not engine_base.render2d.find("site-overview")  # exit() removed its nodes


def test_many_halls_show_what_fits_and_say_how_many_more() -> None:
    rects, shown = card_grid(25, layout.Rect(0, 0, 600, 300), 10, 200, 100)
    assert shown < 25 and len(rects) == shown
    assert all(r.right <= 600.5 and r.bottom <= 300.5 for r in rects)
    assert not any(a.intersection(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert card_grid(4, layout.Rect(0, 0, 1000, 600), 10, 200, 100)[1] == 4


@pytest.fixture(scope="module")
def scene():
    return load_scene(scenes_dir() / "demo_hall")


def test_a_click_enters_the_hall_with_its_own_state_and_the_switcher_goes_on_and_back(engine_base, scene) -> None:
    from twin_engine.monitor import MonitorScreen

    made: list[str] = []

    def make_hall(h: str) -> MonitorScreen:
        if h not in ("hall_1", "hall_2", "hall_3"):
            raise KeyError(h)
        made.append(h)
        return MonitorScreen(engine_base, scene, lang="en", load_meshes=False)

    sm = SiteMonitor(engine_base, SITE, make_hall, "en")
    sm.enter()
    try:
        sm.apply({"type": "snapshot", "time": T0, "alerts": [
            {"id": "hall_2:a1", "hall": "hall_2", "tier": "yellow", "target_kind": "relic", "target_id": "R1"}],
            "readings": [{"hall": h, "sensor": "S01", "quantity": "temperature", "time": T0, "value": v,
                          "unit": "°C", "quality": "ok", "stale": False} for h, v in (("hall_1", 18.0),
                                                                                       ("hall_2", 26.0))]})
        sm.enter_hall("hall_9")  # a hall the local site does not have: the overview stays
        assert sm.hall is None and sm.overview.canvas is not None
        cx, cy = sm.overview.card_rects["hall_2"].centre
        assert sm.click(cx, cy) == "hall_2"
        assert sm.hall == "hall_2" and made == ["hall_2"]
        assert sm.overview.canvas is None  # the overview's nodes are gone while a hall is shown
        assert sm.screen.live[("S01", "temperature")]["value"] == 26.0  # hall 2's reading, not hall 1's
        assert list(sm.screen.alerts) == ["hall_2:a1"]
        # a delta for another hall does not reach this one; one for this hall does
        sm.apply({"type": "delta", "time": T0, "readings": [
            {"hall": "hall_1", "sensor": "S01", "quantity": "temperature", "time": "2026-11-25T14:01:00Z", "value": 5.0}]})
        assert sm.screen.live[("S01", "temperature")]["value"] == 26.0
        sm.apply({"type": "delta", "time": T0, "readings": [
            {"hall": "hall_2", "sensor": "S01", "quantity": "temperature", "time": "2026-11-25T14:01:00Z", "value": 27.0}]})
        assert sm.screen.live[("S01", "temperature")]["value"] == 27.0
        sm.screen.render_frame()
        texts = layout.text_bounds(sm.switcher.canvas.root, engine_base.render2d, size_of(engine_base))
        assert "Hall 2 (2/3)" in [t.text for t in texts]
        every = layout.text_bounds(engine_base.render2d, engine_base.render2d, size_of(engine_base))
        crossing = [(a, b) for a, b in layout.overlaps(every) if (a in texts) != (b in texts)]
        assert not crossing, layout.describe(crossing)  # the switcher hides none of the monitor's texts
        nx, ny = sm.switcher.buttons["next_hall"].centre
        assert sm.click(nx, ny) == "next_hall" and sm.hall == "hall_3"
        assert sm.screen.live == {}  # hall 3 has had no readings
        sm.act("next_hall")
        assert sm.hall == "hall_1" and sm.screen.live[("S01", "temperature")]["value"] == 5.0
        sx, sy = sm.switcher.buttons["site"].centre
        assert sm.click(sx, sy) == "site"
        assert sm.hall is None and sm.screen is None and sm.overview.canvas is not None
        assert not engine_base.render.find("monitor") and not engine_base.render2d.find("hall-switcher")
        assert "tab" in sm.keys and sm.keys["home"] == "site_overview" and sm.keys["q"] == "next_quantity"
    finally:
        sm.exit()


def test_only_hall_keeps_that_halls_part_of_a_message() -> None:
    msg = {"type": "delta", "readings": [{"hall": "a", "v": 1}, {"hall": "b", "v": 2}], "alerts": []}
    assert only_hall(msg, "a")["readings"] == [{"hall": "a", "v": 1}]
    assert only_hall({"type": "delta", "readings": [{"hall": "b"}]}, "a") is None
    snap = only_hall({"type": "snapshot", "readings": [{"hall": "b"}], "alerts": [], "control": [{"hall": "a"}]}, "a")
    assert snap["readings"] == [] and snap["control"] == [{"hall": "a"}]


def test_monitor_site_embedded_writes_the_overview(tmp_path, mosquitto_broker) -> None:
    """``relic-twin monitor --site DIR --embedded --headless``: the site's service and its overview, as a user runs it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from panda3d.core import Filename, PNMImage
    from test_site_serve import make_site

    root = Path(__file__).resolve().parents[1]
    site = make_site(tmp_path / "museum", halls=("hall_a", "hall_b", "hall_c"))
    out = tmp_path / "frames"
    cmd = [sys.executable, "-m", "twin_engine.cli", "monitor", "--site", str(site), "--embedded", "--headless",
           "--seconds", "3", "--every", "100", "--out", str(out), "--lang", "en", "--size", "960x540",
           "--broker", f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
           "--db", f"sqlite:///{tmp_path / 'site.sqlite'}", "--data-dir", str(tmp_path / "data")]
    run = subprocess.run(cmd, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    image = PNMImage()
    assert image.read(Filename.fromOsSpecific(str(out / "last.png")))
    green = np.array(TIER_RGBA["green"][:3])  # no alerts yet: three green bands, one per hall
    pixels = np.array([[image.getXel(x, y) for x in range(0, 960, 4)] for y in range(0, 540, 4)])
    share = float((np.abs(pixels - green).max(axis=2) < 0.03).mean())
    assert 0.02 < share < 0.3, share
    # a hall opened at start asks the store which field model its history chooses (none yet: IDW)
    hall = subprocess.run([*cmd[:6], "--hall", "hall_b", *cmd[6:]], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)}, timeout=180)
    assert hall.returncode == 0, hall.stdout + hall.stderr
    bad = subprocess.run([*cmd[:6], "--hall", "nowhere", *cmd[6:]], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert bad.returncode == 1 and "--hall nowhere: not a hall of site museum" in bad.stderr
