"""``relic-twin play RUN_DIR``: the curator's what-if player on a run of ``relic-twin simulate``.

In a window it plays the run over the 3-D hall (keys: ``whatif_player.WHATIF_KEYS``).
With ``--headless`` (or without a display) it renders PNG frames offscreen at the
run's start, its first limit crossing and its end (or at ``--at`` hours) into
``--out`` and prints where. The scene is the scenario's own hall unless
``--scene`` names one. A run folder that cannot be read is exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulation.paths import scenes_dir
from simulation.scene import Scene, SceneError, load_scene
from twin_engine.whatif_run import RunError, WhatIfRun, find_run, load_run, summary_scene_path

FRAME_NAMES = {"start": "开始 start", "first_crossing": "首次越限 first crossing", "end": "结束 end"}
"""Headless frames by file stem, with their captions (zh-CN and en)."""


def play_main(argv: Sequence[str], base: Any | None = None) -> int:
    """Run the command; returns the exit status. ``base``: an existing ShowBase to render into
    (headless only; a process holds one), else one is made of ``--size``."""
    p = argparse.ArgumentParser(prog="relic-twin play",
                                description="curator's what-if player / 假设情景回放（策展人）")
    p.add_argument("run", help="run folder written by relic-twin simulate / 情景模拟的输出目录")
    p.add_argument("--scene", default=None, help="scene folder (default: the scenario's hall) / 场景目录（默认取情景所用展厅）")
    p.add_argument("--lang", default="zh-CN", choices=["zh", "zh-CN", "en"], help="language / 界面语言")
    p.add_argument("--quantity", default="temperature", choices=["temperature", "relative_humidity"],
                   help="field shown first / 首先显示的指标")
    p.add_argument("--size", default="1280x720", help="window or frame size in pixels / 窗口或图像尺寸")
    p.add_argument("--headless", action="store_true", help="render PNG frames offscreen / 离屏渲染为 PNG")
    p.add_argument("--out", default="out/play", help="with --headless: folder for the frames / 帧输出目录")
    p.add_argument("--at", type=float, nargs="+", default=None, metavar="HOURS",
                   help="with --headless: frames at these hours after the start / 在这些时刻（小时）出帧")
    args = p.parse_args(list(argv))
    lang = "zh-CN" if args.lang.startswith("zh") else "en"
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"relic-twin play: --size {args.size!r}: 应为 宽x高 / expected WIDTHxHEIGHT", file=sys.stderr)
        return 2
    try:
        run_dir = find_run(args.run)
        scene = load_scene(args.scene or summary_scene_path(run_dir) or scenes_dir() / "demo_hall")
        run = load_run(run_dir, scene)
    except SceneError as exc:
        print("relic-twin play: 场景无效 / invalid scene:\n" + "\n".join(exc.errors), file=sys.stderr)
        return 1
    except RunError as exc:
        print(f"relic-twin play: {exc}", file=sys.stderr)
        return 1
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not headless:
        return _play_window(scene, run, lang, args.quantity, (width, height))
    if not args.headless:
        print("没有显示器，改为离屏渲染 / no display: rendering frames offscreen", file=sys.stderr)
    frames = frame_times(run, args.at)
    own = base is None
    if own:
        from twin_engine.app import make_base

        base = make_base(offscreen=True, size=(width, height), title="relic-twin play")
    try:
        written = render_frames(base, scene, run, frames, Path(args.out), lang, args.quantity)
    except OSError as exc:
        print(f"relic-twin play: 无法写出帧 / cannot write the frames: {exc}", file=sys.stderr)
        return 1
    finally:
        if own:
            base.destroy()
    print(f"{run.title.get('zh-CN', run.scenario_id)} / {run.title.get('en', run.scenario_id)}: "
          f"{len(written)} 帧 / frames -> {Path(args.out).resolve()}")
    for (stem, t_s), path in zip(frames, written, strict=True):
        caption = FRAME_NAMES.get(stem, "")
        print(f"  {t_s / 3600:+6.1f} h  {path}  {caption}")
    return 0


def frame_times(run: WhatIfRun, hours: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """(file stem, s since start) of the headless frames: ``hours`` when given, else the start,
    the first limit crossing after it (when there is one) and the end."""
    if hours:
        return [(f"at_{h:05.1f}h", min(max(h * 3600.0, 0.0), run.duration_s)) for h in hours]
    out = [("start", 0.0)]
    later = [c.first_s for c in run.crossings if 0.0 < c.first_s < run.duration_s]
    if later:
        out.append(("first_crossing", min(later)))
    out.append(("end", run.duration_s))
    return out


def render_frames(base: Any, scene: Scene, run: WhatIfRun, frames: Sequence[tuple[str, float]], out: Path,
                  lang: str = "en", quantity: str = "temperature") -> list[Path]:
    """Render the player at each (stem, time) of ``frames`` into ``out/<stem>.png``; returns the paths."""
    from twin_engine.whatif_player import WhatIfScreen

    screen = WhatIfScreen(base, scene, run, lang=lang)
    screen.enter()
    try:
        screen.set_quantity(quantity)
        screen.rig.snap()
        paths = []
        for stem, t_s in frames:
            screen.seek(t_s)
            paths.append(screen.save_png(out / f"{stem}.png"))
        return paths
    finally:
        screen.exit()


def _play_window(scene: Scene, run: WhatIfRun, lang: str, quantity: str, size: tuple[int, int]) -> int:
    from twin_engine.app import TwinApp
    from twin_engine.display import open_window
    from twin_engine.whatif_player import WhatIfScreen

    base, _ = open_window(size, fullscreen=False, title="relic-twin play")  # a window that fits the display
    screen = WhatIfScreen(base, scene, run, lang=lang, on_quit=base.userExit)
    screen.set_quantity(quantity)
    app = TwinApp(base)
    app.show(screen)
    app.run()
    return 0
