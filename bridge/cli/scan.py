"""``relic-twin scan relic FILE --scene DIR --id ID`` and ``relic-twin scan hall FILE --scene DIR``.

A museum's own scan becomes a relic of the kiosk and the monitor, or the hall's floor
plan and shell, with no code: the meshes go under ``assets/meshes/scans/``, the scene
document gets the relic (or the floor plan, ceiling and ``[hall_scan]``), and
``assets/SOURCES.md`` records where the file came from and what was done to it.
Run at a terminal, the command asks two questions (is the size right, is it upright);
``--yes`` (or no terminal) takes its own answers. See ``bridge/scan/`` for the steps.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from bridge.errors import RelicTwinError, ScanError
from simulation.scene import SceneError

SCAN_DIR = "meshes/scans"
"""Where scan outputs go, under the assets folder."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="the scan: PLY OBJ STL OFF glTF/GLB PCD XYZ PTS E57 LAS LAZ / 扫描文件")
    p.add_argument("--scene", required=True, type=Path, help="the hall's scene folder / 场景目录")
    p.add_argument("--up", default=None, help="the file's up axis: x -x y -y z -z (default: found) / 向上轴")
    p.add_argument("--licence", default="not stated / 未注明", help="the scan's licence / 许可")
    p.add_argument("--credit", default="", help="who made the scan / 扫描者")
    p.add_argument("--assets", type=Path, default=None, help="assets folder (default the project's) / 资源目录")
    p.add_argument("--yes", "-y", action="store_true", help="ask nothing, take the found values / 不询问")


def _relic_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin scan relic", description="a relic scan into the scene / 文物扫描入场景")
    _common(p)
    p.add_argument("--id", required=True, help="relic id in the scene / 文物编号")
    p.add_argument("--name-zh", default=None, help="名称（中文）")
    p.add_argument("--name-en", default=None, help="name (English)")
    p.add_argument("--units", choices=("mm", "cm", "m"), default=None, help="the file's unit (default: guessed) / 单位")
    p.add_argument("--height", type=float, default=None, help="the real height, m: scales exactly / 实际高度（米）")
    p.add_argument("--size", type=float, default=None, help="about how big it is (longest side, m), for the unit guess / 大致尺寸")
    p.add_argument("--era-zh", default=None, help="年代（中文）")
    p.add_argument("--era-en", default=None, help="era (English)")
    p.add_argument("--profile", default=None, help="material profile (scenes/materials.toml; default stone) / 材质档案")
    p.add_argument("--zone", default=None, help="zone id (default the first) / 展区")
    p.add_argument("--position", default=None, help="x,y[,z] in m (default a free spot on a plinth) / 位置")
    return p


def _hall_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin scan hall", description="a hall scan into the scene / 展厅扫描入场景")
    _common(p)
    p.add_argument("--units", choices=("mm", "cm", "m"), default="m", help="the file's unit (default m) / 单位")
    p.add_argument("--json", action="store_true", help="print outline, floor area and ceiling height as JSON / 输出 JSON")
    p.add_argument("--dry-run", action="store_true", help="analyse only, write nothing / 只分析不写入")
    return p


def scan_main(argv: list[str], prepare: Callable[[Path], None] | None = None) -> int:
    """Entry point of ``relic-twin scan``. ``prepare`` is called with each mesh file written
    (the 3D programs pass one that fills their load cache, so the kiosk starts fast)."""
    if not argv or argv[0] not in ("relic", "hall"):
        print("usage: relic-twin scan relic FILE --scene DIR --id ID | relic-twin scan hall FILE --scene DIR [--json]\n"
              "用法: relic-twin scan relic|hall 文件 --scene 场景目录", file=sys.stderr)
        return 2
    what, rest = argv[0], argv[1:]
    args = (_relic_parser() if what == "relic" else _hall_parser()).parse_args(rest)
    ask = _asker(args)
    try:
        return scan_relic(args, ask, prepare) if what == "relic" else scan_hall(args, prepare)
    except (ScanError, SceneError, RelicTwinError, OSError) as exc:
        print(f"relic-twin scan {what}: {exc}", file=sys.stderr)
        if isinstance(exc, SceneError):
            print("the scene was not changed / 场景未修改", file=sys.stderr)
            if what == "hall":
                print("  see the new outline with --dry-run --json, then move what lies outside it, or scan into a "
                      "new scene folder / 先用 --dry-run --json 查看新轮廓，再移动轮廓外的对象，或写入新场景目录", file=sys.stderr)
        return 1


def _asker(args: argparse.Namespace) -> Callable[[str], str]:
    if args.yes or not sys.stdin.isatty():
        return lambda q: ""
    return lambda q: input(q).strip()


def _assets(args: argparse.Namespace) -> Path:
    from simulation.paths import assets_dir

    return args.assets if args.assets is not None else assets_dir()


def _parse_height(text: str) -> float | None:
    """'0.8', '0.8 m', '80cm', '800 mm' -> metres; None when not a length."""
    t = text.lower().replace(" ", "")
    for suffix, k in (("mm", 0.001), ("cm", 0.01), ("m", 1.0), ("", 1.0)):
        if t.endswith(suffix):
            try:
                v = float(t[: len(t) - len(suffix)] if suffix else t) * k
            except ValueError:
                continue
            return v if v > 0 else None
    return None


def scan_relic(args: argparse.Namespace, ask: Callable[[str], str], prepare: Callable[[Path], None] | None = None) -> int:
    from bridge.scan import scene_doc
    from bridge.scan.relic import process_relic, write_relic
    from simulation.materials import load_profiles
    from simulation.scene import load_scene

    assets = _assets(args)
    scene = load_scene(args.scene, assets_dir=assets)
    profiles = load_profiles()
    profile = args.profile or "stone"
    if profile not in profiles:
        raise ScanError(f"--profile {profile!r}: expected one of {', '.join(profiles)} | 未知材质档案")
    zone = args.zone or scene.zones[0].id
    if zone not in {z.id for z in scene.zones}:
        raise ScanError(f"--zone {zone!r}: expected one of {', '.join(z.id for z in scene.zones)} | 未知展区")
    log = lambda s: print(f"  {s}", file=sys.stderr)  # noqa: E731
    print(f"{args.file}: processing / 处理中 ...", file=sys.stderr)
    result = process_relic(args.file, units=args.units, height_m=args.height, up=args.up, expected_m=args.size, progress=log)
    out_dir = assets / SCAN_DIR
    files = write_relic(result, out_dir, args.id)
    w, d, h = result.size_m
    answer = ask(f"\n{args.id}: {w:.3f} x {d:.3f} x {h:.3f} m (w x d x h), units {result.unit}. Right size? "
                 f"Enter = yes, or type its real height (0.8m, 80cm) / 尺寸正确吗？回车确认，或输入实际高度: ")
    new_height = _parse_height(answer) if answer else None
    answer = ask(f"Upright in {files['thumbnail']}? Enter = yes, or type the file's up axis (x -x y -y z -z) / "
                 f"缩略图中是否直立？回车确认，或输入向上轴: ")
    new_up = answer if answer in ("x", "-x", "y", "-y", "z", "-z") else None
    if new_height or new_up:
        result = process_relic(args.file, units=args.units, height_m=new_height or args.height, up=new_up or args.up,
                               expected_m=args.size, progress=log)
        files = write_relic(result, out_dir, args.id)
    mesh_rel = f"{SCAN_DIR}/{files['kiosk'].name}"
    doc = scene_doc.load_doc(args.scene)
    if args.position:
        pos = [float(v) for v in args.position.split(",")] + [scene_doc.PLINTH_M]
        pos = pos[:3]
    else:
        pos = [round(float(v), 2) for v in scene_doc.free_spot(scene, zone)] + [scene_doc.PLINTH_M]
    prof = profiles[profile]
    name_en = args.name_en or args.name_zh or args.id
    name_zh = args.name_zh or args.name_en or args.id
    processing = "; ".join(result.steps)
    fields = {
        "name": scene_doc.inline({"zh-CN": name_zh, "en": name_en}),
        "material": scene_doc.inline({"zh-CN": prof.zh, "en": prof.en}),
        "profile": profile, "zone": zone, "position": pos,
        "height": round(result.height_m, 4), "mesh": mesh_rel,
        "source": scene_doc.inline({"file": args.file.name, "licence": args.licence, "processing": processing}),
    }
    if args.era_zh or args.era_en:
        fields["era"] = scene_doc.inline({"zh-CN": args.era_zh or args.era_en, "en": args.era_en or args.era_zh})
    given = {"name": args.name_zh or args.name_en, "material": args.profile, "profile": args.profile,
             "zone": args.zone, "position": args.position}
    is_new = scene_doc.upsert_relic(doc, args.id, fields, keep=tuple(k for k, v in given.items() if not v))
    saved = scene_doc.save_doc(doc, args.scene, assets)
    credit = f"; scan by {args.credit}" if args.credit else ""
    for key, stem in (("kiosk", "kiosk"), ("hall", "hall view")):
        p, f, _ = result.lods[key]
        scene_doc.record_source(assets, f"{SCAN_DIR}/{files[key].name}", f"{name_en} ({stem}, {len(f)} faces)",
                                f"`{args.file.name}`{credit}", args.licence, processing)
    if prepare is not None:
        prepare(files["kiosk"])
    relic = saved.relic(args.id)
    print(f"{'added' if is_new else 'updated'} relic {args.id} in {args.scene} / 已{'添加' if is_new else '更新'}文物: "
          f"{relic.name['zh-CN']} / {relic.name['en']}, {relic.height_m:.3f} m, {mesh_rel}")
    if relic.annotations and not is_new:
        print(f"  note: its {len(relic.annotations)} hotspots were placed on the old mesh; check them with "
              f"relic-twin annotate {args.id} / 热点标注基于旧模型，请用 annotate 核对", file=sys.stderr)
    print(f"  thumbnail 缩略图: {files['thumbnail']}")
    print(f"  see it 查看: relic-twin kiosk --scene {args.scene}")
    return 0


def scan_hall(args: argparse.Namespace, prepare: Callable[[Path], None] | None = None) -> int:
    from bridge.scan.hall import process_hall
    from bridge.scan.scene_doc import write_hall

    assets = _assets(args)
    log = lambda s: print(f"  {s}", file=sys.stderr)  # noqa: E731
    print(f"{args.file}: processing / 处理中 ...", file=sys.stderr)
    result = process_hall(args.file, units=args.units, up=args.up, shell=not args.dry_run, progress=log)
    if not args.dry_run:
        write_hall(result, args.scene, assets, SCAN_DIR, licence=args.licence, credit=args.credit)
    summary = {"outline": [[round(float(x), 3), round(float(y), 3)] for x, y in result.outline],
               "floor_area_m2": round(result.area_m2, 2), "ceiling_height_m": round(result.ceiling_m, 3),
               "floor_found": result.floor_found}
    if args.json:
        print(json.dumps(summary))
    else:
        w, d = result.outline.max(axis=0) - result.outline.min(axis=0)
        print(f"hall 展厅: {w:.2f} x {d:.2f} m, floor area 面积 {result.area_m2:.1f} m², ceiling 层高 "
              f"{result.ceiling_m:.2f} m, {len(result.outline)} corners 角点")
        if not args.dry_run:
            print(f"  check the outline 核对轮廓: relic-twin scene check {args.scene} --plan plan.png")
    return 0
