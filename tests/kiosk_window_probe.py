"""Run by tests/test_kiosk_window.py in its own process on a virtual X display: open the kiosk as a
user would (full screen, or ``--windowed WxH``), click the vase's card and then Back with the real
X pointer (xdotool), and print what happened as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from simulation.paths import scenes_dir
from simulation.scene import load_scene
from twin_engine.kiosk import open_kiosk_window


def main() -> None:
    started = time.monotonic()
    windowed = "--windowed" in sys.argv
    size = tuple(int(v) for v in sys.argv[-1].split("x")) if windowed else None
    base, screen, app = open_kiosk_window(load_scene(scenes_dir() / "demo_hall"), "en", windowed=windowed, size=size)

    def frames(n: int = 10) -> None:
        for _ in range(n):
            base.taskMgr.step()
            time.sleep(0.02)

    frames(2)
    screen.show_gallery()
    frames(2)
    props = base.win.getProperties()
    ox, oy = (0, 0) if props.getFullscreen() else (props.getXOrigin(), props.getYOrigin())

    def click(x: float, y: float) -> None:
        subprocess.run(["xdotool", "mousemove", str(int(ox + x)), str(int(oy + y))], check=True)
        frames(1)
        subprocess.run(["xdotool", "click", "1"], check=True)
        frames(2)

    click(*screen._gallery_rects["vase"].centre)
    out = {"size": [base.win.getXSize(), base.win.getYSize()], "fullscreen": props.getFullscreen(),
           "origin": [props.getXOrigin(), props.getYOrigin()], "mode": screen.mode,
           "relic": screen.relic.id if screen.relic else None}
    back = next(h for h in screen.static.hits if h.action == "back")
    click(*back.rect.centre)
    out["after_back"] = screen.mode
    out["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(out))
    app.close()
    base.destroy()


if __name__ == "__main__":
    main()
