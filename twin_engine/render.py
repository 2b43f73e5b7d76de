"""Headless frames of the monitor: for demos, tests and the README.

``render_monitor_png(scene_dir, readings, out_png)`` loads the hall, feeds
the readings as a snapshot and writes one PNG. Pass ``base`` to reuse a
ShowBase (a process holds one); without it an offscreen one is made and
torn down again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulation.scene import load_scene


def render_monitor_png(scene_dir: str | Path, readings: Sequence[Mapping[str, Any]], out_png: str | Path,
                       quantity: str = "temperature", size: tuple[int, int] = (1280, 720), lang: str = "en",
                       alerts: Sequence[Mapping[str, Any]] = (), time: str = "", base: Any | None = None,
                       select: tuple[str, str] | None = None, view: str = "view_overview") -> Path:
    """Render the monitor of ``scene_dir`` showing ``readings`` (feed shape) and save ``out_png``.

    quantity : the field shown; size : pixels (w, h) of a new offscreen base
    (a given ``base`` keeps its own size); alerts : feed-shaped alerts;
    select : ("relic" | "sensor", id) to open its panel; view : a camera action.
    """
    from twin_engine.app import make_base
    from twin_engine.monitor import MonitorScreen

    own = base is None
    if base is None:
        base = make_base(offscreen=True, size=size)
    scene = load_scene(scene_dir)
    screen = MonitorScreen(base, scene, lang=lang)
    try:
        screen.apply_snapshot({"type": "snapshot", "hall": scene.id, "time": time, "readings": list(readings),
                               "alerts": list(alerts)})
        screen.set_quantity(quantity)
        if select is not None:
            screen.select(select)
        screen.act(view)
        screen.rig.snap()
        return screen.save_png(out_png)
    finally:
        screen.exit()
        if own:
            base.destroy()
