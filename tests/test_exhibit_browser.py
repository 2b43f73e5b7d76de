"""The published exhibit in a real headless Chromium, opened from file:// as from a USB stick:
pages load without console errors, the model renders and turns, hotspots open by click and by keyboard,
tours step, the language switch changes the text and is remembered, axe-core finds no serious violation."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fixtures_browser import DESKTOP, PHONE, console_errors, requested_urls, set_viewport, wait_for, wait_rendered

pytestmark = pytest.mark.slow


def open_page(driver: Any, exhibit: Path, rel: str, *, lang: str | None = None, size: tuple[int, int] = DESKTOP,
              render: bool = True) -> None:
    """Open ``rel`` from file:// in ``lang`` (saved as the visitor's choice), wait for the first frame."""
    set_viewport(driver, size)
    driver.get((exhibit / rel).as_uri())
    if lang is not None:
        driver.execute_script("localStorage.setItem('relic-twin.lang', arguments[0]);", lang)
        driver.get((exhibit / rel).as_uri())
    if render and "/" in rel:
        wait_rendered(driver)


def viewer_pixels(driver: Any) -> np.ndarray:
    """The model viewer's pixels as an (h, w, 3) array (a screenshot of the element)."""
    from PIL import Image

    png = driver.find_element("id", "viewer").screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def shown_text(driver: Any, css: str) -> str:
    return driver.find_element("css selector", css).text


def test_every_page_loads_without_console_errors_and_nothing_from_the_network(chromium, exhibit_dir):
    pages = ["index.html", "licences.html", *sorted(f"demo_hall/{p.name}" for p in (exhibit_dir / "demo_hall").glob("*.html"))]
    assert len(pages) == 9
    console_errors(chromium)
    requested_urls(chromium)
    for rel in pages:
        open_page(chromium, exhibit_dir, rel)
        assert console_errors(chromium) == [], rel
        urls = requested_urls(chromium)
        assert any(u.endswith("exhibit.css") for u in urls), urls  # the log does see the page's files
        external = [u for u in urls if not u.startswith(("file:", "blob:", "data:", "chrome:", "chrome-"))]
        assert external == [], rel  # (chrome: is the browser's own start page, not the network)
    # the gallery links every relic page, and the links resolve from file://
    open_page(chromium, exhibit_dir, "index.html")
    links = chromium.execute_script("return [...document.querySelectorAll('.card a')].map(a => a.href)")
    assert sorted(Path(u.removeprefix("file://")).name for u in links) == sorted(Path(p).name for p in pages[2:])


@pytest.fixture(scope="module")
def ding(chromium, exhibit_dir):
    """The ding's page, loaded once (each load compiles the viewer's shaders in software: seconds)
    and shared by the tests below; each starts from closed notes, no tour and English."""
    open_page(chromium, exhibit_dir, "demo_hall/ding.html", lang="en")
    return chromium


@pytest.fixture()
def page(ding, exhibit_dir):
    set_viewport(ding, DESKTOP)
    if not ding.current_url.startswith((exhibit_dir / "demo_hall/ding.html").as_uri()):
        open_page(ding, exhibit_dir, "demo_hall/ding.html", lang="en")  # a test went elsewhere
    ding.execute_script("""
        document.querySelectorAll('.tour-run').forEach(t => { if (!t.hidden) t.parentElement.querySelector('.tour-end').click(); });
        document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}));
        if (document.documentElement.lang !== 'en') document.getElementById('lang-switch').click();
        window.scrollTo(0, 0); if (document.activeElement) document.activeElement.blur();""")
    return ding


def tab_to(driver: Any, predicate: str, limit: int = 15) -> Any:
    """Press Tab from the top of the page until ``predicate`` (JS over ``el``, the focused element) holds."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("document.querySelector('a.skip').focus()")  # start at the top, as after a page load
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.execute_script(f"const el = document.activeElement; return !!({predicate});"):
            return driver.switch_to.active_element
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_model_renders_and_turns_with_the_keyboard(page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    before = viewer_pixels(page)
    stage = np.array([0xE6, 0xE0, 0xD5])
    model = np.abs(before - stage).sum(axis=2) > 40
    assert 0.05 < model.mean() < 0.8, f"{model.mean():.3f} of the viewer differs from the stage colour"
    tab_to(page, "el.id === 'viewer'")
    ActionChains(page).send_keys(Keys.ARROW_LEFT * 6).perform()  # model-viewer turns the camera with the arrows
    wait_for(page, "Math.abs(document.getElementById('viewer').getCameraOrbit().theta) > 0.3", 20)
    page.execute_script("document.getElementById('viewer').jumpCameraToGoal()")
    page.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done))")
    after = viewer_pixels(page)
    changed = np.abs(after - before).sum(axis=2) > 40
    assert changed.mean() > 0.02, f"only {changed.mean():.3f} of the pixels changed after turning"
    page.find_element("id", "reset-view").click()


def test_model_is_lit_by_the_baked_studio_and_its_shadow_follows_the_first_frame(page):
    """The page's own small environment map lights the bronze about as brightly as model-viewer's
    neutral room (too dark a map made the ding near black), and the floor shadow is switched on
    once the first frame is drawn."""
    viewer = page.find_element("id", "viewer")
    assert viewer.get_attribute("environment-image").startswith("data:image/png;base64,")
    assert float(viewer.get_attribute("shadow-intensity")) == pytest.approx(0.6)
    pixels = viewer_pixels(page)
    stage = np.array([0xE6, 0xE0, 0xD5])
    model = np.abs(pixels - stage).sum(axis=2) > 40
    green = pixels[model][:, 1]
    # the ding's patina is sRGB (74, 127, 92)-ish; lit by the neutral room its pixels' green median is ~110
    assert 70 < np.median(green) < 170, f"median green of the lit ding {np.median(green)}"


def test_hotspot_opens_by_click_and_by_keyboard(page):
    from selenium.webdriver.common.keys import Keys

    assert not page.find_element("id", "note-taotie").is_displayed()
    wait_for(page, "document.querySelector('button.hotspot[data-note=\"taotie\"]').hasAttribute('data-visible')", 20)
    taotie = page.find_element("css selector", 'button.hotspot[data-note="taotie"]')
    taotie.click()
    assert "cast with the vessel" in shown_text(page, "#note-taotie")
    assert taotie.get_attribute("aria-expanded") == "true"
    assert page.execute_script("return location.hash") == "#note-taotie"  # a link to the note
    page.find_element("tag name", "body").send_keys(Keys.ESCAPE)
    assert not page.find_element("id", "note-taotie").is_displayed()

    # keyboard only: Tab from the top until the hotspot for piece-mould casting has focus, then Enter
    focused = tab_to(page, "el.dataset && el.dataset.note === 'piece_mould' && el.classList.contains('hotspot')")
    focused.send_keys(Keys.ENTER)
    note = page.find_element("id", "note-piece_mould")
    assert note.is_displayed() and "piece-moulds" in note.text
    wait_for(page, "document.getElementById('viewer').getCameraTarget().x > 0.05", 20)  # to the note's saved view


def test_guided_tour_steps_by_keyboard(page):
    from selenium.webdriver.common.keys import Keys

    page.find_element("css selector", ".tour-start").send_keys(Keys.ENTER)
    assert "Stop 1 of 4" in shown_text(page, ".tour-run")
    assert page.find_element("id", "note-ritual").is_displayed()
    nxt = page.switch_to.active_element  # focus moved to "Next stop"
    assert "tour-next" in nxt.get_attribute("class")
    nxt.send_keys(Keys.ENTER)
    assert "Stop 2 of 4" in shown_text(page, ".tour-run")
    assert "mould seams on the legs" in shown_text(page, ".tour-run")
    assert page.find_element("id", "note-piece_mould").is_displayed()
    assert not page.find_element("id", "note-ritual").is_displayed()
    page.find_element("css selector", ".tour-end").click()
    assert not page.find_element("css selector", ".tour-run").is_displayed()


def test_reduced_motion_jumps_the_camera(page):
    page.execute_cdp_cmd("Emulation.setEmulatedMedia",
                         {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    try:
        page.find_element("css selector", '.note-link[data-note="ritual"]').click()
        # no glide: the camera is at the note's view (from above the handles) at once
        phi, y = page.execute_script("const v = document.getElementById('viewer');"
                                     "return [v.getCameraOrbit().phi, v.getCameraTarget().y]")
        assert phi == pytest.approx(np.radians(5), abs=0.03)
        assert y == pytest.approx(0.45, abs=0.01)
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        page.find_element("id", "reset-view").click()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_no_serious_violation_and_nothing_overflows(page, exhibit_dir, size):
    """axe-core's WCAG 2.1 A/AA rules on the relic page in both languages with a note open, at phone and desktop size."""
    set_viewport(page, size)
    page.find_element("css selector", ".note-link").click()
    for _lang in ("en", "zh-CN"):
        page.find_element("id", "lang-switch").click()
        assert_accessible(page, f"ding {size}")


def assert_accessible(driver: Any, where: str) -> None:
    from bridge.exhibit.vendor import AXE_FILE, vendor_file

    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(vendor_file(AXE_FILE).read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes[0].html])))")
    serious = [v for v in result if v[1] in ("serious", "critical")]
    assert serious == [], (where, serious)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where}: {overflow} px wider than the screen"


def test_printed_page_is_a_handout_with_every_note(page):
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = page.execute_script("return [...document.querySelectorAll('article.note')].map(n => n.offsetHeight > 0)")
        assert shown == [True] * 4
        assert not page.find_element("id", "viewer").is_displayed()
        assert page.find_element("css selector", "img.print-only").is_displayed()
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_language_switch_changes_the_text_and_is_remembered(page, exhibit_dir):
    assert shown_text(page, "h1") == "Bronze ding with taotie mask"
    assert page.find_element("id", "viewer").get_attribute("alt").startswith("Rotatable 3D model")
    page.find_element("id", "lang-switch").click()
    assert shown_text(page, "h1") == "兽面纹青铜鼎"
    assert page.execute_script("return document.documentElement.lang") == "zh-CN"
    assert page.title == "兽面纹青铜鼎"
    assert "可旋转三维模型" in page.find_element("id", "viewer").get_attribute("alt")
    # another page, opened with no language given: the choice stays; the gallery passes axe too
    for size in (PHONE, DESKTOP):
        open_page(page, exhibit_dir, "index.html", size=size)
        assert "兽面纹青铜鼎" in shown_text(page, ".cards") and "Bronze ding" not in shown_text(page, ".cards")
        assert_accessible(page, f"gallery {size}")
        open_page(page, exhibit_dir, "licences.html", size=size)
        assert_accessible(page, f"licences {size}")
