"""Frame rate of the kiosk viewer with a 50k-face relic, offscreen (software GL where asked).

Used by ``benchmarks/render_kiosk.py`` and ``benchmarks/render.py``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from simulation.paths import scenes_dir


def measure_kiosk(width: int = 1920, height: int = 1080, frames: int = 120, base: Any = None,
                  software: bool = True) -> dict[str, Any]:
    """Frames per second of the kiosk viewer turning a 50k-face relic with its hotspots and UI.

    Also measures, in the same process, the anchor: the same screen with the
    relic hidden (UI, markers and clear only). Returns a dict with
    ``fps``, ``anchor_fps``, ``faces``, ``size``, ``frames``, ``renderer``.
    """
    from simulation.scene import load_scene
    from twin_engine.app import make_base
    from twin_engine.asset_build import benchmark_mesh
    from twin_engine.kiosk import KioskScreen
    from twin_engine.meshes import cache_dir

    mesh, faces = benchmark_mesh(cache_dir())
    scene = load_scene(scenes_dir() / "demo_hall")
    relics = tuple(dataclasses.replace(r, mesh=str(mesh)) if r.id == "gargoyle" else r for r in scene.relics)
    scene = dataclasses.replace(scene, relics=relics)
    base = base or make_base(offscreen=True, size=(width, height), software=software)
    clock = [0.0]
    screen = KioskScreen(base, scene, clock=lambda: clock[0])
    screen.enter()
    try:
        screen.tap(10, 10)
        screen.select_relic("gargoyle")

        def run(n: int) -> float:
            t0 = time.perf_counter()
            for _ in range(n):
                clock[0] += 1 / 30
                screen.drag(4.0, 0.0)  # keep it turning: every frame is a new view
                screen.tick()
                base.graphicsEngine.renderFrame()
            base.graphicsEngine.syncFrame()
            return n / (time.perf_counter() - t0)

        run(5)
        fps = run(frames)
        screen.stage.viewer.hide()
        anchor = run(frames)
        screen.stage.viewer.show()
        gsg = base.win.getGsg()
        renderer = f"{gsg.getDriverVendor()} {gsg.getDriverRenderer()}" if gsg is not None else "?"
    finally:
        screen.exit()
    return {"fps": fps, "anchor_fps": anchor, "faces": faces, "size": (base.win.getXSize(), base.win.getYSize()),
            "frames": frames, "renderer": renderer}
