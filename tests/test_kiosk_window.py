"""The kiosk in a real X window (Xvfb) clicked with the real pointer (xdotool): full screen at the
display's own resolution, a window fitted into a display smaller than it asked for, and a click on
the drawn card and Back button opening what they show (issue 24: at 1280x720 full screen failed and
clicks landed at 1.5x the drawn position)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def display(request) -> Iterator[tuple[str, tuple[int, int]]]:
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("needs Xvfb and xdotool (apt-get install xvfb xdotool; make system-deps)")
    w, h = request.param
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        yield f":{number}", (w, h)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _probe(display: str, *args: str) -> dict:
    env = {**os.environ, "DISPLAY": display}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "kiosk_window_probe.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("display", [(1280, 720), (1080, 1920)], indirect=True, ids=["1280x720", "1080x1920"])
def test_full_screen_at_the_display_resolution_and_clicks_open_what_is_drawn(display) -> None:
    name, size = display
    got = _probe(name)
    assert got["fullscreen"] and got["size"] == list(size)
    assert got["mode"] == "viewer" and got["relic"] == "vase"  # not the lacquer box
    assert got["after_back"] == "gallery"


@pytest.mark.parametrize("display", [(1280, 720)], indirect=True, ids=["1280x720"])
def test_a_window_larger_than_the_display_is_fitted_into_it(display) -> None:
    name, (dw, dh) = display
    got = _probe(name, "--windowed", "1920x1080")
    (w, h), (x, y) = got["size"], got["origin"]
    assert not got["fullscreen"] and w <= dw and h <= dh and x >= 0 and y >= 0  # not at -320,-180
    assert got["relic"] == "vase" and got["after_back"] == "gallery"


RECONNECT = """
import subprocess, sys
from twin_engine.display import connect_display
tries = int(sys.argv[1])
refused = 0
for _ in range(30):  # a client comes and goes (the server resets after it), then the kiosk connects
    subprocess.run(["xdpyinfo"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # refused or not
    refused += not connect_display(tries).isValid()
print(refused)
"""


@pytest.mark.parametrize("display", [(1280, 720)], indirect=True, ids=["1280x720"])
def test_a_display_that_resets_after_its_last_client_is_waited_for(display) -> None:
    if not shutil.which("xdpyinfo"):
        pytest.skip("needs xdpyinfo (apt-get install x11-utils)")
    env = {**os.environ, "DISPLAY": display[0]}
    done = subprocess.run([sys.executable, "-c", RECONNECT, "6"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "0"  # every connection made, however often the server was resetting
