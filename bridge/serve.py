"""``relic-twin serve``: the twin headless — MQTT bridge, store, live feed. Never loads Panda3D."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from bridge.config import ConfigError, settings_from_env
from bridge.fleet import FleetSettings
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene


def serve_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="relic-twin serve", description="run the twin service / 运行孪生服务")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--feed-port", type=int, default=8765, help="websocket port / 实时推送端口")
    p.add_argument("--fleet", action="store_true", help="also run the virtual fleet / 同时运行虚拟传感器")
    p.add_argument("--speed", type=float, default=60.0)
    args = p.parse_args(argv)
    try:
        settings = settings_from_env()
        scene = load_scene(args.scene)
    except (ConfigError, SceneError) as exc:
        print(f"relic-twin serve: {exc}", file=sys.stderr)
        return 2
    from bridge.runtime import start_twin

    runtime = start_twin(scene, settings, fleet=FleetSettings(speed=args.speed) if args.fleet else None,
                         feed_port=args.feed_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 0
