"""``relic-twin demo``: broker, virtual fleet, bridge, twin service and 3D monitor in one command.

The monitor reads the hall through the same websocket feed a remote monitor
would use. With ``--headless`` (or when no display is available) it renders
offscreen and writes a PNG frame every ``--every`` seconds into ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.config import ConfigError, settings_from_env
from bridge.fleet import FleetSettings
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin demo", description="the live demo hall / 实时演示展厅")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--headless", action="store_true", help="render offscreen and write PNG frames / 无窗口渲染")
    p.add_argument("--out", default="out/frames", help="folder for headless frames / 帧输出目录")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after N seconds (default: run until closed; 30 when headless) / 运行秒数")
    p.add_argument("--every", type=float, default=5.0, help="seconds between headless frames / 帧间隔")
    p.add_argument("--speed", type=float, default=60.0, help="fleet replay speed / 回放倍速")
    p.add_argument("--format", default=None, help="fleet payload format for every sensor / 统一载荷格式")
    p.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    p.add_argument("--size", default="1280x720")
    return p


class FeedClient:
    """Reads the live websocket in a thread; messages wait in a queue for the frame task."""

    def __init__(self, url: str):
        self.url = url
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-client", daemon=True)

    def start(self) -> FeedClient:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(3)

    def _run(self) -> None:
        from websockets.asyncio.client import connect

        async def main() -> None:
            while not self._stop.is_set():
                try:
                    async with connect(self.url) as ws:
                        while not self._stop.is_set():
                            try:
                                raw = await asyncio.wait_for(ws.recv(), 0.5)
                            except TimeoutError:
                                continue
                            for line in str(raw).splitlines():  # a frame may carry several (NDJSON)
                                self.messages.put(json.loads(line))
                except OSError:
                    await asyncio.sleep(0.5)  # feed not up yet, or restarting: retry

        asyncio.run(main())

    def drain(self) -> list[dict[str, Any]]:
        out = []
        while True:
            try:
                out.append(self.messages.get_nowait())
            except queue.Empty:
                return out


def demo_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    seconds = args.seconds if args.seconds is not None else (30.0 if headless else None)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        settings = settings_from_env()
        scene = load_scene(args.scene)
    except (ValueError, ConfigError, SceneError) as exc:
        print(f"relic-twin demo: {exc}", file=sys.stderr)
        return 2
    if headless and not args.headless:
        print("no display found: rendering offscreen / 未检测到显示器，改为离屏渲染")

    from bridge.runtime import start_twin

    runtime = start_twin(scene, settings, fleet=FleetSettings(speed=args.speed, format=args.format))
    feed = FeedClient(runtime.feed.url).start()
    try:
        return run_monitor(scene, feed, headless, seconds, args.every, Path(args.out), args.lang, (width, height),
                           on_acknowledge=acknowledger(runtime))
    finally:
        feed.stop()
        stored = runtime.store.count_readings()
        runtime.stop()
        print(f"stored {stored} readings in {runtime.store.url} / 已存储 {stored} 条读数")


def acknowledger(runtime: Any, who: str = "staff") -> Callable[[str], None]:
    """Acknowledge an alert in an in-process twin; the change goes out on the feed."""

    def ack(alert_id: str) -> None:
        runtime.acknowledge(alert_id, who)  # False when cleared meanwhile

    return ack


def run_monitor(scene: Any, feed: FeedClient, headless: bool, seconds: float | None, every: float,
                out: Path, lang: str, size: tuple[int, int],
                on_acknowledge: Callable[[str], None] | None = None) -> int:
    from twin_engine.app import make_base
    from twin_engine.monitor import MonitorScreen

    base = make_base(offscreen=headless, size=size)
    monitor = MonitorScreen(base, scene, lang=lang)
    if on_acknowledge is not None:
        monitor.on_acknowledge = on_acknowledge
    started = time.monotonic()
    state = {"next_frame": started + min(every, 3.0), "frames": 0}
    if headless:
        out.mkdir(parents=True, exist_ok=True)
        print(f"writing frames to 帧输出至 {out.resolve()}")

    def pump(task: Any) -> Any:
        for msg in feed.drain():
            if msg.get("type") == "snapshot":
                monitor.apply_snapshot(msg)
            else:
                monitor.apply_delta(msg)
        now = time.monotonic()
        if headless and now >= state["next_frame"]:
            path = out / f"frame_{state['frames']:04d}.png"
            monitor.save_png(path)
            state["frames"] += 1
            state["next_frame"] = now + every
            print(f"  {path}")
        if seconds is not None and now - started >= seconds and not headless:
            base.userExit()
        return task.cont

    base.taskMgr.add(pump, "demo-feed")
    if headless:
        while seconds is None or time.monotonic() - started < seconds:
            base.taskMgr.step()
            time.sleep(0.02)
        path = out / "last.png"
        monitor.save_png(path)
        print(f"  {path}\n{state['frames'] + 1} frames written / 已写入帧")
    else:
        base.run()
    return 0
