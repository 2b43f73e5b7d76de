"""``relic-twin kiosk --headless`` writing PNG frames with a relic chosen by name, and the window it
asks for (every screen at every size is in ``test_screen_sizes.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_kiosk_headless_writes_frames(tmp_path: Path) -> None:
    out = tmp_path / "kiosk"
    done = subprocess.run(
        [sys.executable, "-m", "twin_engine.cli", "kiosk", "--headless", "--out", str(out), "--seconds", "1",
         "--every", "5", "--size", "640x360", "--relic", "Stone gargoyle", "--lang", "en"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "frame_0000.png").is_file() and (out / "last.png").is_file()
    from panda3d.core import Filename, PNMImage

    img = PNMImage(Filename.fromOsSpecific(str(out / "last.png")))
    assert (img.getXSize(), img.getYSize()) == (640, 360)
    centre = np.array([img.getXel(x, y) for x in range(300, 340) for y in range(160, 200)])
    assert centre.mean() > 0.3  # the pale gargoyle fills the middle, not the dark background
    bad = subprocess.run([sys.executable, "-m", "twin_engine.cli", "kiosk", "--headless", "--out", str(out),
                          "--relic", "no-such-relic"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "gargoyle" in bad.stderr and "Traceback" not in bad.stderr


def test_full_screen_takes_the_display_resolution_and_a_window_fits_inside_it() -> None:
    from twin_engine.display import DEFAULT_WINDOW, parse_size, window_plan

    for display in ((1280, 720), (1366, 768), (3840, 2160), (1080, 1920)):
        plan = window_plan(display, (1920, 1080), fullscreen=True)
        assert plan.fullscreen and plan.size == display  # never a mode the display does not have
    small = window_plan((1280, 720), (1920, 1080), fullscreen=False)  # the window that opened at -320,-180
    assert not small.fullscreen and small.size[0] <= 1280 and small.size[1] <= 720
    assert small.size[0] / small.size[1] == pytest.approx(16 / 9, abs=0.01)
    x, y = small.origin
    assert x >= 0 and y >= 0 and x + small.size[0] <= 1280 and y + small.size[1] <= 720
    assert window_plan((1920, 1080), None, fullscreen=False).size == DEFAULT_WINDOW
    assert window_plan(None, (1366, 768), fullscreen=False).size == (1366, 768)
    assert parse_size("1080x1920") == (1080, 1920) and parse_size("1366×768") == (1366, 768)
    for bad in ("1920", "axb", "10x10", "1920x1080x2"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_a_bad_size_is_a_usage_error_in_both_languages() -> None:
    done = subprocess.run([sys.executable, "-m", "twin_engine.cli", "kiosk", "--headless", "--size", "big"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "WIDTHxHEIGHT" in done.stderr and "宽x高" in done.stderr
    assert "Traceback" not in done.stderr
