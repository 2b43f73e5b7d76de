"""``relic-twin publish``: write the public web exhibit of a hall or a site.

    relic-twin publish --scene scenes/demo_hall --out out/exhibit
    relic-twin publish --site museums/county --out /media/usb/exhibit
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.cli.common import print_scene_errors
from bridge.errors import ConfigError
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene


def publish_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="relic-twin publish",
                                description="write the public web exhibit (static pages) / 生成网上展览（静态网页）")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scene", type=Path, default=None, help="a hall folder (default: the demo hall) / 展厅文件夹")
    src.add_argument("--site", type=Path, default=None,
                     help="a site: a folder of hall folders or a site.toml; storerooms are left out / 场馆（不含库房）")
    p.add_argument("--out", type=Path, required=True, help="the folder to write / 输出文件夹")
    args = p.parse_args(argv)

    from bridge.exhibit import publish
    from bridge.site.model import load_site

    try:
        title = None
        if args.site is not None:
            site = load_site(args.site)
            title = site.name
            scenes = [h.scene for h in site.halls if h.kind == "hall"]  # a storeroom (库房) is not public
            if not scenes:
                raise ConfigError(f"{args.site}: the site has no exhibition hall, only storerooms / 该场馆没有展厅")
        else:
            scenes = [load_scene(args.scene or scenes_dir() / "demo_hall")]
        done = publish(scenes, args.out, title=title,
                       progress=lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    except SceneError as exc:
        print_scene_errors(exc)
        return 1
    except (ConfigError, ValueError, OSError) as exc:
        print(f"relic-twin publish: {exc}", file=sys.stderr)
        return 2
    total = sum(r["page_bytes"] for r in done.relics)
    print(f"published {len(done.relics)} relics in {done.seconds:.1f} s to {done.out} / 已发布 {len(done.relics)} 件文物")
    for r in done.relics:
        print(f"  {r['page']}: {r['faces']:,} faces, model {r['glb_bytes'] / 1e3:.0f} kB, "
              f"page with model {r['page_bytes'] / 1e6:.2f} MB")
    print(f"open {done.out / 'index.html'} in a browser / 用浏览器打开 ({total / 1e6:.1f} MB in all pages)")
    return 0
