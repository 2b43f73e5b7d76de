"""``relic-twin monitor``: the staff's live 3D monitor, fed by a twin service's websocket.

``--url ws://HOST:PORT/live`` connects to a running ``relic-twin serve`` (its loopback feed;
or ``--url wss://HOST:PORT/api/live --token T`` to its API from another machine);
``--embedded`` runs the twin service (broker, bridge, store, feed) in the
same process, with ``--fleet`` adding the virtual sensor fleet.

Clicking a relic or sensor opens its panel (24 h, forecast, limits, risk) and
the time slider replays stored states: embedded, read from the store
directly; connected, from the service's ``/api/details`` and ``/api/state``
(``--api`` when the REST API is not where the feed's URL points, see
:func:`twin_engine.demo.api_base`; staff sign-in via ``--token``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bridge.config import ConfigError, add_settings_arguments, settings_from_args
from bridge.sensors.fleet import FleetSettings
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene
from twin_engine.demo import (
    FeedClient,
    acknowledger,
    api_base,
    embedded_data,
    parse_size,
    remote_acknowledger,
    remote_data,
    run_monitor,
)


def monitor_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="relic-twin monitor", description="staff live 3D monitor / 实时三维监测")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--url", default="ws://127.0.0.1:8765/live", help="twin service live feed / 实时数据地址")
    p.add_argument("--token", default=os.environ.get("RELIC_TWIN_TOKEN"),
                   help="sign-in token for a service's /api/live (or RELIC_TWIN_TOKEN) / 登录令牌")
    p.add_argument("--embedded", action="store_true", help="run the twin service in this process / 内嵌服务")
    p.add_argument("--fleet", action="store_true", help="with --embedded: the virtual fleet too / 虚拟传感器")
    p.add_argument("--speed", type=float, default=60.0)
    p.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    p.add_argument("--size", default="1280x720")
    p.add_argument("--headless", action="store_true", help="render offscreen to PNG / 离屏渲染")
    p.add_argument("--out", default="out/monitor")
    p.add_argument("--seconds", type=float, default=None)
    p.add_argument("--every", type=float, default=5.0)
    p.add_argument("--api", default=None,
                   help="REST API base URL (default: from --url; the loopback feed -> http://HOST:8000) / 接口地址")
    p.add_argument("--select", default=None, metavar="KIND:ID",
                   help="open the panel of relic:ID or sensor:ID at start / 启动时选中文物或传感器")
    p.add_argument("--view", default=None, metavar="ACTION",
                   help="camera at start: view_overview, view_zone_1, ... / 初始视角")
    p.add_argument("--site", default=None, metavar="DIR",
                   help="a site (folder of scenes or site.toml): every hall at a glance, click to enter one; "
                        "--url is then a serve --site feed / 全馆总览, 点击进入展厅")
    p.add_argument("--hall", default=None, help="with --site: the hall to open at start / 启动时进入的展厅")
    p.add_argument("--hub", default=None, metavar="URL",
                   help="a provincial hub's API (http://hub:8000): every museum at a glance, click one for its "
                        "halls / 省级汇聚中心: 各场馆总览")
    p.add_argument("--museum", default=None, help="with --hub: the museum to open at start / 启动时打开的场馆")
    add_settings_arguments(p, broker=True)
    args = p.parse_args(argv)
    if args.hub is not None:
        return _hub_main(p, args)
    if args.site is not None:
        return _site_main(p, args)
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    width, height = parse_size(p, args.size)
    try:
        scene = load_scene(args.scene)
        settings = settings_from_args(args)
        select = _target(args.select, scene) if args.select else None
    except (ValueError, ConfigError, SceneError) as exc:
        print(f"relic-twin monitor: {exc}", file=sys.stderr)
        return 1
    runtime = None
    ack = None
    url = args.url
    if args.embedded:
        from bridge.twin.runtime import start_twin

        runtime = start_twin(scene, settings, fleet=FleetSettings(speed=args.speed) if args.fleet else None)
        url = runtime.feed.url
        data = embedded_data(runtime, scene)
    else:
        data = remote_data(api_base(args.url, args.api), args.token)
        ack = remote_acknowledger(api_base(args.url, args.api), args.token)
    feed = FeedClient(url, None if runtime is not None else args.token).start()
    try:
        seconds = args.seconds if args.seconds is not None else (30.0 if headless else None)
        return run_monitor(scene, feed, headless, seconds, args.every, Path(args.out), args.lang, (width, height),
                           on_acknowledge=acknowledger(runtime) if runtime is not None else ack,
                           data=data, select=select, view=args.view)
    finally:
        feed.stop()
        if runtime is not None:
            runtime.stop()


def _hub_main(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``--hub URL``: the province and each museum's halls (:mod:`twin_engine.hub_monitor`)."""
    from twin_engine.hub_monitor import remote_hub, run_hub_monitor

    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    width, height = parse_size(p, args.size)
    seconds = args.seconds if args.seconds is not None else (30.0 if headless else None)
    try:
        return run_hub_monitor(remote_hub(args.hub.rstrip("/"), args.token), headless, seconds, args.every,
                               Path(args.out), args.lang, (width, height), enter=args.museum)
    except RuntimeError as exc:  # the hub could not be read
        print(f"relic-twin monitor: {exc}", file=sys.stderr)
        return 1


def _site_main(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``--site``: the site overview and hall switcher (:mod:`twin_engine.site_monitor_cli`)."""
    from bridge.errors import RelicTwinError
    from bridge.site.model import load_site
    from twin_engine.site_monitor_cli import embedded_field, embedded_site, remote_field, remote_site, run_site_monitor

    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    width, height = parse_size(p, args.size)
    try:
        site = load_site(args.site)
        settings = settings_from_args(args)
        if args.hall is not None and args.hall not in site.hall_ids:
            raise ConfigError(f"--hall {args.hall}: not a hall of site {site.id} ({', '.join(site.hall_ids)}) "
                              f"/ 该场馆没有此展厅")
    except (ValueError, RelicTwinError) as exc:
        print(f"relic-twin monitor: {exc}", file=sys.stderr)
        return 1
    runtime = None
    if args.embedded:
        from bridge.site.runtime import start_site

        runtime = start_site(site, settings, fleet=FleetSettings(speed=args.speed) if args.fleet else None)
        url, fetch, field = runtime.feed.url, embedded_site(runtime), embedded_field(runtime)
    else:
        base_url = api_base(args.url, args.api)
        url, fetch, field = args.url, remote_site(base_url, args.token), remote_field(base_url, args.token)
    feed = FeedClient(url, None if runtime is not None else args.token).start()
    try:
        seconds = args.seconds if args.seconds is not None else (30.0 if headless else None)
        return run_site_monitor(site, feed, fetch, headless, seconds, args.every, Path(args.out), args.lang,
                                (width, height), enter=args.hall, fetch_field=field)
    except RuntimeError as exc:  # the overview could not be read
        print(f"relic-twin monitor: {exc}", file=sys.stderr)
        return 1
    finally:
        feed.stop()
        if runtime is not None:
            runtime.stop()


def _target(text: str, scene: object) -> tuple[str, str]:
    """``relic:ID`` / ``sensor:ID`` of the scene as (kind, id); ValueError otherwise."""
    kind, _, ident = text.partition(":")
    known = {"relic": {r.id for r in scene.relics}, "sensor": {s.id for s in scene.sensors}}  # type: ignore[attr-defined]
    if kind not in known or ident not in known[kind]:
        raise ValueError(f"--select {text}: expected relic:ID or sensor:ID of the scene / 选择对象不存在")
    return kind, ident
