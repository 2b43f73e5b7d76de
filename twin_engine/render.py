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
    rh = next(r["value"] for r in readings if (r["sensor"], r["quantity"]) == ("S02", "relative_humidity"))
    alerts = [
        {"id": "demo-1", "tier": "red", "target": {"kind": "relic", "id": "ding"}, "cause": "relative_humidity_high",
         "started_at": "2026-11-25T11:20:00Z", "acknowledged": False,
         "summary": {"zh-CN": f"兽面纹青铜鼎：相对湿度自 19:20 起超过上限 40.0 %RH，峰值 {rh + 2.1:.1f} %RH，"
                              f"当前 {rh:.1f} %RH；低于 39.0 %RH 后解除",
                     "en": f"Bronze ding with taotie mask: RH over its 40.0 %RH limit since 19:20, peak {rh + 2.1:.1f} %RH, "
                           f"now {rh:.1f} %RH; clears below 39.0 %RH"}},
        {"id": "demo-2", "tier": "yellow", "target": {"kind": "relic", "id": "silk_painting"}, "cause": "light_dose",
         "started_at": "2026-11-25T13:05:00Z", "acknowledged": False,
         "summary": {"zh-CN": "山水设色绢本：年曝光量 62 klx·h/a 超过年限值 50 klx·h/a（按近7天折算全年），自 21:05 起；"
                              "低于 45 klx·h/a 后解除",
                     "en": "Landscape, ink and colour on silk: light dose 62 klx·h/a over its 50 klx·h/a limit "
                           "(last 7 days, annualised) since 21:05; clears below 45 klx·h/a"}},
        {"id": "demo-3", "tier": "yellow", "target": {"kind": "sensor", "id": "S06"}, "cause": "offline",
         "started_at": "2026-11-25T13:30:00Z", "acknowledged": True,
         "summary": {"zh-CN": "传感器S06离线：自 21:15 起无数据（已 45 分钟，允许 15 分钟）；恢复上报后解除",
                     "en": "Sensor S06 offline: no data since 21:15 (45 min, 15 min allowed); clears when it reports again"}},
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
    now = next(r["value"] for r in readings if (r["sensor"], r["quantity"]) == ("S02", "relative_humidity"))
    past = now - 1.5 * np.sin(hours / 4) * (hours / 24)  # ends at the value the panel lists for S02 now
    details = Details("relative_humidity", Series(list(hours), list(past)),
                      Series(list(ahead), list(now + 0.1 * ahead), list(now - 0.05 * ahead), list(now + 0.25 * ahead)),
                      (40.0, 40.0), [("Risk", "red · Relative humidity"), ("Limits", "0–40 %RH"),
                                     ("24 h range · S02", f"{past.min():.1f}–{past.max():.1f} %RH")], sensor="S02")
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
