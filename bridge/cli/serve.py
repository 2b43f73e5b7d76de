"""``relic-twin serve``: the twin headless — MQTT bridge, store, models and the HTTP API. Never loads Panda3D.

One HTTP port (``--port``, default 8000) carries the REST API (OpenAPI at ``/api/openapi.json``,
docs at ``/api/docs``) and the live websocket feed (``/api/live?token=...``); it serves HTTPS when
given ``--cert`` and ``--key``. The unauthenticated feed of the demo (``ws://127.0.0.1:8765/live``)
stays on the loopback interface only, for a monitor on the same machine.

``--site DIR`` (a folder of scenes, or a ``site.toml``) runs every hall of the site in this one
process (:func:`bridge.site.runtime.start_site`): one ingest, one alert service, one API and feed,
with ``hall=`` on every route and on the feed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from bridge.alerts.dissemination import notify_settings_from_env
from bridge.config import ConfigError, settings_from_env
from bridge.reports.schedule import schedule_settings_from_env
from bridge.sensors.fleet import FleetSettings
from bridge.site.model import load_site
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene


def serve_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="relic-twin serve", description="run the twin service / 运行孪生服务")
    p.add_argument("--scene", default=None, help="one hall's scene folder (default scenes/demo_hall) / 展厅场景")
    p.add_argument("--site", default=None,
                   help="a folder of scenes or a site.toml: every hall in one service / 场馆(多个展厅)")
    p.add_argument("--host", default="127.0.0.1", help="API address; 0.0.0.0 for every interface / 监听地址")
    p.add_argument("--port", type=int, default=8000, help="API port (REST and /api/live) / 接口端口")
    p.add_argument("--cert", type=Path, default=None, help="TLS certificate (PEM) for HTTPS / 证书")
    p.add_argument("--key", type=Path, default=None, help="TLS private key (PEM) for HTTPS / 私钥")
    p.add_argument("--feed-port", type=int, default=8765,
                   help="loopback-only websocket for a local monitor; 0 picks a free port / 本机实时推送端口")
    p.add_argument("--fleet", action="store_true", help="also run the virtual fleet / 同时运行虚拟传感器")
    p.add_argument("--speed", type=float, default=60.0)
    p.add_argument("--exhibit", type=Path, default=None,
                   help="a published web exhibit to serve at /exhibit/ (default: the scene's, published into the "
                        "data folder) / 在 /exhibit/ 提供的网上展览")
    args = p.parse_args(argv)
    try:
        settings = settings_from_env()
        notify = notify_settings_from_env(os.environ)
        monthly = schedule_settings_from_env(os.environ)
        if args.site and args.scene:
            raise ConfigError("give --scene or --site, not both | --scene 与 --site 只能选一个")
        site = load_site(args.site) if args.site else None
        scene = None if site else load_scene(args.scene or str(scenes_dir() / "demo_hall"))
        if (args.cert is None) != (args.key is None):
            raise ConfigError("HTTPS needs both --cert and --key | HTTPS 需要同时提供证书和私钥")
        for path in (args.cert, args.key):
            if path is not None and not path.is_file():
                raise ConfigError(f"no such file: {path} | 文件不存在")
    except (ConfigError, SceneError) as exc:
        print(f"relic-twin serve: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from bridge.api import ApiSettings, create_app
    from bridge.api.server import config
    from bridge.site.runtime import start_site
    from bridge.twin.runtime import start_twin

    fleet = FleetSettings(speed=args.speed) if args.fleet else None
    if site is not None:
        runtime = start_site(site, settings, fleet=fleet, feed_port=args.feed_port, notify=notify)
    else:
        assert scene is not None
        runtime = start_twin(scene, settings, fleet=fleet, feed_port=args.feed_port, notify=notify)
    scenes = [h.scene for h in site.halls] if site is not None else [scene]
    public = [h.scene for h in site.halls if h.kind == "hall"] if site is not None else scenes  # no storerooms
    exhibit = args.exhibit if args.exhibit is not None else exhibit_for(public, settings.data_dir / "exhibit")
    app = None
    reports = None
    if monthly is not None:  # last month's report to the supervisors, on the configured morning
        from bridge.reports.schedule import MonthlyReports
        from simulation.materials import load_profiles

        reports = MonthlyReports(runtime.store, scenes, load_profiles(), monthly, settings.data_dir / "reports").start()
    try:
        app = create_app(runtime, ApiSettings(data_dir=settings.data_dir, exhibit_dir=exhibit))
        server = uvicorn.Server(config(app, args.host, args.port, args.cert, args.key, log_level="info"))
        scheme = "https" if args.cert else "http"
        print(f"API 接口: {scheme}://{args.host}:{args.port}/api/docs  (sign in 登录: /api/auth/token; "
              f"add a user 添加用户: relic-twin user add NAME --role admin)", flush=True)
        if exhibit is not None:
            print(f"exhibit 网上展览: {scheme}://{args.host}:{args.port}/exhibit/", flush=True)
        stopping = threading.Event()

        def stop(*_: object) -> None:
            stopping.set()
            server.should_exit = True

        signal.signal(signal.SIGTERM, stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        if not server.started and not stopping.is_set():
            print(f"relic-twin serve: the API could not listen on {args.host}:{args.port} | 接口端口无法监听",
                  file=sys.stderr)
            return 1
    finally:
        if reports is not None:
            reports.stop()
        if app is not None:
            app.state.service.jobs.shutdown()  # what-if runs cancelled and marked, not waited for
        runtime.stop()
    return 0


def exhibit_for(scenes: list[Any], out: Path) -> Path | None:
    """The halls' web exhibit in ``out``, published when its sources changed; None (with a zh/en
    warning) when it cannot be, so the API still starts."""
    from bridge.exhibit.publish import publish_if_changed

    try:
        return publish_if_changed(scenes, out)
    except (ConfigError, ValueError, OSError) as exc:
        print(f"relic-twin serve: no web exhibit / 不提供网上展览: {exc}", file=sys.stderr)
        return None
