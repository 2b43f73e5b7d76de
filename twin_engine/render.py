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


def demo_state(scene: Any, time: str = "2026-11-25T14:00:00Z") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plausible readings (a warm east side, a damp north) and three alerts
    for screenshots; sensor S06 is stale. Illustrative numbers, not data."""
    from simulation.quantities import QUANTITIES

    readings = []
    for s in scene.sensors:
        x, y = float(s.position[0]), float(s.position[1])
        for q in s.quantities:
            qq = QUANTITIES[q]
            value = {
                "temperature": 19.5 + 0.25 * x - 0.12 * y + (1.5 if s.id == "S10" else 0.0),
                "relative_humidity": 58.0 - 1.2 * x + 0.8 * y,
                "illuminance": 40.0 + 12.0 * x,
                "uv": 30.0 + 3.0 * x,
                "colour_temperature": 3000.0 + 50.0 * x,
                "co2": 500.0 + 40.0 * y,
            }.get(q, qq.low + 0.002 * (qq.high - qq.low))
            readings.append({"sensor": s.id, "quantity": q, "time": time, "value": value, "unit": qq.unit,
                             "quality": "ok", "stale": s.id == "S06"})
    alerts = [
        {"id": "demo-1", "tier": "red", "target": {"kind": "relic", "id": "ding"}, "cause": "rh_high",
         "started_at": "2026-11-25T11:20:00Z", "acknowledged": False,
         "message": {"zh-CN": "青铜鼎：相对湿度超过限值", "en": "Bronze ding: RH above its limit"}},
        {"id": "demo-2", "tier": "yellow", "target": {"kind": "zone", "id": "painting"}, "cause": "t_high",
         "started_at": "2026-11-25T13:05:00Z", "acknowledged": False,
         "message": {"zh-CN": "书画厅：温度偏高", "en": "Painting gallery: temperature high"}},
        {"id": "demo-3", "tier": "yellow", "target": {"kind": "sensor", "id": "S06"}, "cause": "stale",
         "started_at": "2026-11-25T13:30:00Z", "acknowledged": True,
         "message": {"zh-CN": "S06 数据过期", "en": "S06: no data for 30 min"}},
    ]
    return readings, alerts


def main(argv: Sequence[str] | None = None) -> int:
    """Write the README screenshots: ``python -m twin_engine.render [out_dir]``."""
    import sys

    import numpy as np

    from twin_engine.app import make_base
    from twin_engine.hud import Series
    from twin_engine.monitor import Details, MonitorScreen

    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "docs/screenshots")
    from simulation.paths import scenes_dir

    scene = load_scene(scenes_dir() / "demo_hall")
    readings, alerts = demo_state(scene)
    base = make_base(offscreen=True, size=(1280, 720))
    hours = np.arange(-24.0, 0.01, 0.5)
    ahead = np.arange(0.0, 12.01, 0.5)
    details = Details("relative_humidity", Series(list(hours), list(52 + 3 * np.sin(hours / 4) - 0.2 * hours)),
                      Series(list(ahead), list(52 + 0.4 * ahead), list(50 + 0.2 * ahead), list(54 + 0.6 * ahead)),
                      (35.0, 55.0))
    shots = (("monitor_overview_en.png", "en", "temperature", ("relic", "ding"), "view_overview"),
             ("monitor_humidity_zh.png", "zh-CN", "relative_humidity", None, "view_overview"),
             ("monitor_zone_en.png", "en", "temperature", ("sensor", "S07"), "view_zone_4"))
    for name, lang, quantity, select, view in shots:
        screen = MonitorScreen(base, scene, lang=lang)
        screen.apply_snapshot({"type": "snapshot", "time": "2026-11-25T14:00:00Z", "readings": readings, "alerts": alerts})
        screen.set_details("relic", "ding", details)
        screen.set_quantity(quantity)
        screen.select(select)
        screen.act(view)
        screen.rig.snap()
        print(screen.save_png(out / name))
        screen.exit()
    base.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
