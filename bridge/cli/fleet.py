"""``relic-twin fleet``: run the virtual sensor fleet against a broker."""

from __future__ import annotations

import argparse
import sys
import threading

import paho.mqtt.client as mqtt

from bridge.config import ConfigError, parse_broker_url, settings_from_env
from bridge.sensors.fleet import FleetSettings, VirtualFleet
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene


def fleet_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="relic-twin fleet",
                                description="publish replayed readings for every sensor / 虚拟传感器群回放真实数据")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--broker", help="mqtt://host:port (default RELIC_TWIN_BROKER_URL)")
    p.add_argument("--speed", type=float, default=60.0, help="replay seconds per second / 回放倍速")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between rounds / 发布间隔")
    p.add_argument("--format", default=None, help="publish every sensor in this payload format / 统一载荷格式")
    p.add_argument("--rounds", type=int, default=None, help="stop after N rounds / 发布轮数")
    args = p.parse_args(argv)
    try:
        address = parse_broker_url(args.broker) if args.broker else settings_from_env().broker
        scene = load_scene(args.scene)
    except (ConfigError, SceneError) as exc:
        print(exc, file=sys.stderr)
        return 2
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="relic-twin-fleet")
    client.max_inflight_messages_set(1000)
    try:
        client.connect(address.host, address.port)
    except OSError as exc:
        print(f"cannot reach broker {address.url}: {exc} / 无法连接消息代理", file=sys.stderr)
        return 1
    client.loop_start()
    fleet = VirtualFleet(scene, lambda t, b: client.publish(t, b, qos=1),
                         FleetSettings(speed=args.speed, interval_s=args.interval, format=args.format))
    stop = threading.Event()
    try:
        fleet.run(stop, rounds=args.rounds)
    except KeyboardInterrupt:
        pass
    finally:
        client.loop_stop()
        client.disconnect()
    print(f"published {fleet.published} messages / 已发布 {fleet.published} 条消息")
    return 0
