"""The ``relic-twin`` command line.

One entry point for every program; each subcommand imports what it needs
when it runs, so ``relic-twin serve`` and the other headless commands never
load Panda3D. Messages a user reads are in Chinese and English.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from simulation.paths import scenes_dir

# Subcommands implemented elsewhere: name -> (module, function, help).
# Each function takes the remaining argv and returns an exit status.
DELEGATED: dict[str, tuple[str, str, str]] = {
    "import": ("bridge.cli.import_file", "import_main", "import a logger export file / 导入记录仪文件"),
    "quarantine": ("bridge.cli.quarantine", "quarantine_main", "list quarantined input / 列出隔离数据"),
    "risk": ("bridge.cli.risk", "risk_main", "per-relic risk from stored data / 文物风险评估"),
    "report": ("bridge.cli.report", "report_main", "conservation report PDF/CSV/XLSX / 保存环境报告"),
    "sensor-calibration": ("bridge.cli.sensor_calibration", "sensor_calibration_main",
                           "per-sensor offsets and gains / 传感器校准"),
    "forecast": ("bridge.cli.forecast", "forecast_main", "forecast tools: backtest / 预测回测"),
    "simulate": ("bridge.cli.simulate", "simulate_main", "run a what-if scenario / 运行情景模拟"),
    "calibrate": ("bridge.cli.calibrate", "calibrate_main", "fit the climate model to records / 校准气候模型"),
    "control-demo": ("bridge.cli.control", "control_demo_main", "a hall that answers back: closed-loop control / 闭环控制演示"),
    "backup": ("bridge.cli.store", "backup_main", "back up the database / 备份数据库"),
    "restore": ("bridge.cli.store", "restore_main", "restore a backup / 恢复备份"),
    "serve": ("bridge.cli.serve", "serve_main", "run the twin service headless / 运行孪生服务"),
    "user": ("bridge.cli.user", "user_main", "manage users / 用户管理"),
    "hub": ("bridge.cli.hub", "hub_main", "a provincial hub: ingest workers, API / 省级汇聚中心"),
    "broker-config": ("bridge.cli.broker_config", "broker_config_main", "write a Mosquitto config / 生成代理配置"),
    "publish": ("bridge.cli.publish", "publish_main", "write the public web exhibit / 生成网上展览"),
    "kiosk": ("twin_engine.kiosk", "kiosk_main", "visitor kiosk / 观众导览终端"),
    "annotate": ("twin_engine.annotate", "annotate_main", "place hotspots on a relic / 标注文物热点"),
    "monitor": ("twin_engine.monitor_cli", "monitor_main", "staff live 3D monitor / 实时三维监测"),
    "play": ("twin_engine.whatif_cli", "play_main", "play a what-if run over the 3D hall / 三维回放情景模拟"),
}


def _run_delegated(name: str, argv: list[str]) -> int:
    module, func, _ = DELEGATED[name]
    try:
        fn: Callable[[list[str]], int] = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        print(f"relic-twin {name}: not available in this build ({exc}) / 此版本暂不提供该命令", file=sys.stderr)
        return 2
    return int(fn(argv) or 0)


def scene_check(argv: list[str]) -> int:
    """``relic-twin scene check DIR [--plan PNG]``: validate a scene, load each of its meshes,
    print a summary; ``--plan`` draws the floor outline over the hall scan seen from above."""
    from bridge.scan.check import check_meshes, draw_plan
    from simulation.paths import assets_dir
    from simulation.quantities import QUANTITIES
    from simulation.scene import SceneError, load_scene

    p = argparse.ArgumentParser(prog="relic-twin scene check", description="validate a scene / 校验场景")
    p.add_argument("scene", nargs="?", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--plan", default=None, help="write the outline over the scan's plan view to this PNG / 输出平面核对图")
    args = p.parse_args(argv)
    try:
        scene = load_scene(args.scene)
    except SceneError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 1
    problems = check_meshes(scene, assets_dir())
    for line in problems:
        print(line, file=sys.stderr)
    if args.plan:
        from pathlib import Path

        from twin_engine.fonts import cjk_font_path

        font = cjk_font_path()
        out = draw_plan(scene, assets_dir(), Path(args.plan), str(font[0]) if font else None)
        print(f"  plan 平面图: {out}")
    if problems:
        return 1
    print(f"{scene.name.get('zh-CN', '')} / {scene.name.get('en', '')}  ({scene.id})")
    xmin, ymin, xmax, ymax = scene.bounds
    print(f"  floor {xmax - xmin:.1f} x {ymax - ymin:.1f} m, walls {scene.wall_height:.1f} m; "
          f"{len(scene.doors)} doors, {len(scene.windows)} windows, {len(scene.vents)} vents")
    print(f"  zones 展区 ({len(scene.zones)}): " + ", ".join(f"{z.id} {z.name['zh-CN']}" for z in scene.zones))
    print(f"  cases 展柜 ({len(scene.cases)}): " + ", ".join(c.id for c in scene.cases))
    print(f"  sensors 传感器 ({len(scene.sensors)}), per quantity 按指标:")
    for q in QUANTITIES.values():
        ids = [s.id for s in scene.sensors_for(q.name)]
        print(f"    {q.zh} {q.en} [{q.unit}]: {len(ids)} {' '.join(ids)}")
    print(f"  relics 文物 ({len(scene.relics)}):")
    for r in scene.relics:
        tag = " (stand-in mesh / 替代模型)" if r.stand_in else ""
        print(f"    {r.id}: {r.name['zh-CN']} / {r.name['en']} — {r.profile}, "
              f"{len(r.annotations)} annotations{tag}")
    missing = [q.name for q in QUANTITIES.values() if not scene.sensors_for(q.name)]
    if missing:
        print(f"  note: no sensor measures {', '.join(missing)} / 以下指标无传感器", file=sys.stderr)
    return 0


def demo(argv: list[str]) -> int:
    from twin_engine.demo import demo_main

    return demo_main(argv)


def scan(argv: list[str]) -> int:
    """``relic-twin scan``: bridge/cli/scan.py, then the kiosk's and monitor's mesh cache filled."""
    from bridge.cli.scan import scan_main

    def prepare(mesh: Path) -> None:
        try:
            from twin_engine.meshes import warm_cache
        except ImportError:  # no Panda3D here: the programs convert on first load
            return
        warm_cache(mesh)

    return scan_main(argv, prepare)


def fleet(argv: list[str]) -> int:
    from bridge.cli.fleet import fleet_main

    return fleet_main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own: dict[str, tuple[Callable[[list[str]], int], str]] = {
        "demo": (demo, "the live demo hall / 实时演示展厅"),
        "fleet": (fleet, "run the virtual sensor fleet / 虚拟传感器群"),
        "scan": (scan, "a relic or hall scan into the scene / 扫描入场景"),
    }
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: relic-twin COMMAND [ARGS]\n\ncommands / 命令:")
        print(f"  {'scene check':14s} validate a scene and summarise it / 校验场景")
        for name, (_, help_) in own.items():
            print(f"  {name:14s} {help_}")
        for name, (_, _, help_) in DELEGATED.items():
            print(f"  {name:14s} {help_}")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "scene":
        if not rest or rest[0] != "check":
            print("usage: relic-twin scene check DIR", file=sys.stderr)
            return 2
        return scene_check(rest[1:])
    if cmd in own:
        return own[cmd][0](rest)
    if cmd in DELEGATED:
        return _run_delegated(cmd, rest)
    print(f"relic-twin: unknown command {cmd!r} / 未知命令; try relic-twin --help", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

