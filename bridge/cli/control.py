"""``relic-twin control-demo``: the closed loop you can watch - a hall that answers back.

The scene's hall is the 2-D climate model (the "plant"), driven by outdoor weather; its machines
are virtual smart plugs on a real MQTT broker, speaking their scene conventions (Zigbee2MQTT,
Tasmota, ...); the twin's controller plans, the runtime commands them over MQTT, the plugs echo,
and what the plugs really do changes the readings. Each control step prints the hall's RH and the
machines' states; the audit trail goes to the store's ``control_audit`` table.

Weather: ``--weather FILE.csv`` (columns ``time,t_out,rh_out``: ISO 8601 UTC, °C, %RH; a real
record), else a damp autumn day (synthetic: 15-17 °C, 93-97 %RH, rain).

    relic-twin control-demo [--scene scenes/demo_hall] [--hours 12] [--controller twin|humidistat]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

STEP_S = 600.0


def _weather(path: str | None, steps: int, start: datetime) -> tuple[np.ndarray, np.ndarray, str]:
    """(t_out, rh_out) on the control grid for ``steps`` + a day of history, and its description."""
    from bridge.control.weather import outdoor

    n = steps + int(86400 / STEP_S)
    grid = np.array([(start + timedelta(seconds=STEP_S * (k - 144))).timestamp() for k in range(n)])
    w = outdoor(path, float(grid[0]))
    t, rh = w.at(grid)
    return t, rh, w.where


def control_demo_main(argv: Sequence[str] | None = None) -> int:
    from bridge.config import settings_from_env
    from bridge.control import hall as control_hall
    from bridge.control.audit import AuditLog
    from bridge.control.runtime import ControlRuntime, connect
    from bridge.control.virtual_plugs import VirtualPlug
    from bridge.errors import StorageError
    from bridge.mqtt.broker import ensure_broker
    from bridge.store import Store
    from simulation.control import closed_loop
    from simulation.control.controller import Humidistat, Observation, TwinController
    from simulation.control.plant import make_plant
    from simulation.paths import scenes_dir
    from simulation.scene import SceneError, load_scene

    p = argparse.ArgumentParser(prog="relic-twin control-demo",
                                description="a hall that answers back: closed-loop control over MQTT / 闭环控制演示")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--hours", type=float, default=12.0)
    p.add_argument("--controller", choices=("twin", "humidistat"), default="twin")
    p.add_argument("--weather", help="CSV time,t_out,rh_out (UTC, °C, %%RH)")
    p.add_argument("--start-rh", type=float, default=55.0, help="the hall's RH at the start, %%RH")
    args = p.parse_args(argv)
    try:
        scene = load_scene(args.scene)
    except SceneError as exc:
        print(f"scene error / 场景错误:\n{exc}", file=sys.stderr)
        return 2
    switches = [a for a in scene.actuators if a.switch]
    if not switches:
        print(f"{args.scene}: no [[actuators]] to control / 场景中没有可控制的执行器", file=sys.stderr)
        return 2
    if args.hours <= 0 or args.hours > 24 * 14:
        print("--hours must be within (0, 336] / --hours 须在 0 到 336 之间", file=sys.stderr)
        return 2
    steps = int(round(args.hours * 3600 / STEP_S))
    start = datetime.now(UTC).replace(microsecond=0)
    try:
        t_out, rh_out, where = _weather(args.weather, steps, start)
    except (OSError, ValueError, KeyError) as exc:
        print(f"weather file / 气象文件: {exc}", file=sys.stderr)
        return 2
    settings = settings_from_env()
    try:
        store = Store.open(settings.database_url, data_dir=settings.data_dir, hall=scene.id)
    except StorageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    broker = ensure_broker(settings.broker, workdir=Path(tempfile.mkdtemp(prefix="relic-twin-control-")))
    host, port = broker.address.host, broker.address.port
    model, devices, bands, fallback = control_hall.twin_controller_parts(scene)
    passed, _ = control_hall.calibration_check(scene)
    relics = control_hall.served_relics(scene)
    plant = make_plant(control_hall.geometry(scene, relics), control_hall.settings(scene), devices,
                       {a.id: a.position[:2] for a in switches}, 20.0, args.start_rh, cell_m=1.0)
    if args.controller == "twin":
        ctl: TwinController | Humidistat = TwinController(model, devices, bands, fallback=fallback)
    else:
        ctl = Humidistat(devices, fallback)
    clock = [start.timestamp()]
    audit = AuditLog(store, scene.id)
    rt = ControlRuntime(scene.id, scene.actuators, ctl, lambda t, b: None, audit,
                        alert=lambda a: print(f"  ALERT 告警: {a['message']['zh-CN']} / {a['message']['en']}"),
                        clock=lambda: clock[0])
    for a in switches:  # the demo runs every machine in auto; a real hall starts from its scene policy
        rt.policies[a.id] = "auto"
    plugs = {a.id: VirtualPlug(a.convention, a.topic, host, port, power_w=a.power_w or 0.0) for a in switches}
    client = connect(rt, host, port, f"relic-twin-control-demo-{scene.id}")
    print(f"hall 展厅 {scene.id}: {len(relics)} relics under control, machines 执行器: "
          + ", ".join(f"{a.id} ({a.kind}, {a.convention})" for a in switches))
    print(f"weather 室外气象: {where}; broker 消息代理: {broker.url}; controller 控制器: {args.controller}"
          + ("" if passed is not False else " (calibration failed: humidistat fallback / 校准未通过：改用湿度控制器)"))
    print("time 时间   hall RH 展厅湿度  " + "  ".join(a.id for a in switches))
    weather = closed_loop.Weather(t_out, rh_out, np.zeros(len(t_out)), np.zeros(len(t_out)), np.zeros(len(t_out)), 144)
    sensor_xy = scene.sensors[0].position[:2] if scene.sensors else (0.0, 0.0)
    open_sensors = [s for s in scene.sensors if s.case is None and "relative_humidity" in s.quantities]
    try:
        for i in range(steps):
            k = weather.start + i
            plant.advance(STEP_S, [plugs[d.id].on for d in devices], t_out_c=float(t_out[k]), rh_out=float(rh_out[k]))
            clock[0] += STEP_S
            air = [plant.air_at(s.position[:2]) for s in open_sensors] or [plant.air_at(sensor_xy)]
            t_air, rh_air = float(np.mean([x[0] for x in air])), float(np.mean([x[1] for x in air]))
            relic_rh = plant.observe()[1]
            obs = Observation(t_air, rh_air, closed_loop._case_rh(plant, relic_rh), relic_rh,
                              float(t_out[k]), float(rh_out[k]))
            forecast = closed_loop.forecast(weather, k, 72, 144)
            rt.control(obs, forecast, calibration_ok=passed is not False)
            deadline = time.monotonic() + 5.0
            while rt.pending and time.monotonic() < deadline:
                time.sleep(0.01)
            rt.tick({control_hall.HALL: (t_air, rh_air)})
            when = datetime.fromtimestamp(clock[0], UTC).strftime("%H:%M")
            print(f"{when}  {rh_air:5.1f} %RH     " + "  ".join(
                ("ON " if plugs[a.id].on else "off").ljust(len(a.id)) for a in switches), flush=True)
    finally:
        client.loop_stop()
        client.disconnect()
        for plug in plugs.values():
            plug.close()
        broker.stop()
        n = len(audit.entries(start=start, limit=10**6))
        store.close()
    print(f"audit 审计记录: {n} entries in control_audit, {store.url}")
    return 0
