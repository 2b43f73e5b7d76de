"""The ``relic-twin`` command line.

One entry point for every program; each subcommand imports what it needs
when it runs, so ``relic-twin serve`` and the other headless commands never
load Panda3D. Messages a user reads are in Chinese and English.

One error convention for every command (:func:`run_command`):

- exit 2, usage: the command line itself is wrong (an unknown command or
  option, a malformed option value, a missing option or confirmation such
  as ``--yes``/``--force``); argparse's message or one line saying what to add;
- exit 1, bad input or environment: the line is well formed but a file, scene,
  record, database, broker or port is not usable; one clear zh/en line;
- no traceback reaches a user unless asked: ``--debug`` (anywhere before
  ``--``, or ``RELIC_TWIN_DEBUG=1``) shows it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
import traceback
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
    "forecast": ("bridge.cli.forecast", "forecast_main", "forecast a stored sensor; backtest / 预测与回测"),
    "simulate": ("bridge.cli.simulate", "simulate_main", "run a what-if scenario / 运行情景模拟"),
    "calibrate": ("bridge.cli.calibrate", "calibrate_main", "fit the climate model to records / 校准气候模型"),
    "field": ("bridge.cli.field", "field_main", "choose the field model (IDW or kriging, offsets) by leave-one-out "
              "error / 选择空间插值模型"),
    "validate": ("bridge.cli.validate", "validate_main", "compare the model driven by a record with what happened "
                 "/ 用记录验证模型"),
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


EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _delegated(name: str) -> Callable[[list[str]], int]:
    module, func, _ = DELEGATED[name]
    fn: Callable[[list[str]], int] = getattr(importlib.import_module(module), func)
    return fn


def version() -> str:
    """The installed relic-twin version (the source tree's when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("relic-twin")
    except PackageNotFoundError:
        return "0+source"


def run_command(name: str, fn: Callable[[list[str]], int], argv: list[str], debug: bool = False) -> int:
    """Run one subcommand under the error convention; returns its exit status."""
    from bridge.errors import RelicTwinError

    try:
        return int(fn(argv) or 0)
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return exc.code if isinstance(exc.code, int) else (EXIT_USAGE if exc.code else EXIT_OK)
    except KeyboardInterrupt:
        print(f"relic-twin {name}: interrupted / 已中断", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (RelicTwinError, OSError) as exc:
        if debug:
            traceback.print_exc()
        print(f"relic-twin {name}: {_message(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 (the boundary: no traceback reaches a user unasked)
        if debug:
            traceback.print_exc()
        print(f"relic-twin {name}: unexpected error 意外错误: {type(exc).__name__}: {exc}\n"
              f"  run again with --debug for the details / 加 --debug 查看详情", file=sys.stderr)
        return EXIT_ERROR


def _message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such file or folder 文件不存在: {exc.filename}"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"permission denied 无权访问: {exc.filename}"
    return str(exc).split("\n(Background on this error")[0]


def scene_check(argv: list[str]) -> int:
    """``relic-twin scene check DIR [--plan PNG]``: validate a scene, load each of its meshes,
    print a summary; ``--plan`` draws the floor outline over the hall scan seen from above."""
    from bridge.cli.common import load_scene_or_report
    from bridge.scan.check import check_meshes, draw_plan
    from simulation.paths import assets_dir
    from simulation.quantities import QUANTITIES

    p = argparse.ArgumentParser(prog="relic-twin scene check", description="validate a scene / 校验场景")
    p.add_argument("scene", nargs="?", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--plan", default=None, help="write the outline over the scan's plan view to this PNG / 输出平面核对图")
    args = p.parse_args(argv)
    scene = load_scene_or_report(args.scene)
    if scene is None:
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


def scene(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "-h", "--help"):
        print("usage: relic-twin scene check DIR", file=sys.stderr)
        return EXIT_USAGE
    return scene_check(argv[1:] if argv[0] == "check" else argv)


OWN: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "scene": (scene, "scene check DIR: validate a scene and summarise it / 校验场景"),
    "demo": (demo, "the live demo hall / 实时演示展厅"),
    "fleet": (fleet, "run the virtual sensor fleet / 虚拟传感器群"),
    "scan": (scan, "a relic or hall scan into the scene / 扫描入场景"),
}


def commands() -> list[str]:
    """Every subcommand's name (the ``--help`` test runs each)."""
    return [*OWN, *DELEGATED]


def _usage() -> str:
    lines = ["usage: relic-twin [--version] [--debug] COMMAND [ARGS]", "", "commands / 命令:"]
    lines += [f"  {name:14s} {help_}" for name, (_, help_) in OWN.items()]
    lines += [f"  {name:14s} {help_}" for name, (_, _, help_) in DELEGATED.items()]
    lines += ["", "relic-twin COMMAND --help for a command's options / 查看命令选项",
              "--debug: show the traceback of an error / 显示错误详情"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("RELIC_TWIN_DEBUG", "") not in ("", "0")
    if "--debug" in argv[: argv.index("--") if "--" in argv else len(argv)]:
        argv.remove("--debug")
        debug = True
    if argv[:1] in (["--version"], ["-V"]):
        print(f"relic-twin {version()}")
        return EXIT_OK
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage(), file=sys.stdout if argv else sys.stderr)
        return EXIT_OK if argv else EXIT_USAGE
    cmd, rest = argv[0], argv[1:]
    if cmd in OWN:
        fn = OWN[cmd][0]
    elif cmd in DELEGATED:
        try:
            fn = _delegated(cmd)
        except (ImportError, AttributeError) as exc:
            if debug:
                traceback.print_exc()
            print(f"relic-twin {cmd}: not available in this build ({exc}) / 此版本暂不提供该命令", file=sys.stderr)
            return EXIT_ERROR
    else:
        close = difflib.get_close_matches(cmd, commands(), n=1, cutoff=0.6)
        hint = f"; did you mean 您是否要输入 {close[0]!r}?" if close else ""
        print(f"relic-twin: unknown command 未知命令 {cmd!r}{hint} (relic-twin --help lists them 列出全部命令)",
              file=sys.stderr)
        return EXIT_USAGE
    return run_command(cmd, fn, rest, debug)


if __name__ == "__main__":
    raise SystemExit(main())

