"""The web exhibit: publish time, page weight, and time to the first rendered frame in a browser.

1. Publish time for the demo hall (``relic-twin publish``'s own function), against the anchor of
   only reading its seven meshes (trimesh): the ratio says what decimation, compression, the
   pictures and the pages cost on top of reading.
2. Each relic page with its model (page, style, script, viewer, decoder, model script, picture),
   against the target of 3 MB; and its GLB against the same mesh exported by trimesh without
   compression (the anchor for the compression ratio).
3. Time to the first rendered frame of each relic page in headless Chromium from file:// (the
   model drawn, two animation frames after model-viewer's ``load``), against the anchor of the
   licences page's load (the same browser's page load with no 3D). Target: under 3 s.
   WebGL here runs on SwiftShader (software, no GPU); a phone with a GPU compiles the viewer's
   shaders in a fraction of that time. Each page opens in a fresh browser, as on a first visit.

    .venv/bin/python benchmarks/exhibit.py [--relics ding lion]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bridge.exhibit import publish  # noqa: E402
from bridge.meshes import read_mesh  # noqa: E402
from simulation.paths import assets_dir, scenes_dir  # noqa: E402
from simulation.scene import load_scene  # noqa: E402

PAGE_TARGET_BYTES = 3_000_000
FIRST_FRAME_TARGET_S = 3.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--relics", nargs="*", default=None, help="relic ids for the browser part (default: all)")
    args = p.parse_args()
    scene = load_scene(scenes_dir() / "demo_hall")
    out = Path(tempfile.mkdtemp(prefix="relic-twin-exhibit-"))

    t0 = time.perf_counter()
    meshes = {r.id: read_mesh(assets_dir() / r.mesh) for r in scene.relics if r.mesh}
    anchor_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = publish([scene], out / "exhibit")
    publish_s = time.perf_counter() - t0
    print("== publish the demo hall")
    print(f"publish {publish_s:.2f} s for {len(done.relics)} relics; anchor: reading their meshes {anchor_s:.2f} s; "
          f"ratio {publish_s / anchor_s:.1f}")

    import trimesh

    print("\n== relic page with its model (target < 3 MB)")
    print(f"{'relic':14s} {'faces':>7s} {'GLB kB':>7s} {'plain kB':>8s} {'ratio':>6s} {'page MB':>8s} {'/target':>7s}")
    for r in done.relics:
        a = meshes[r["relic"]]
        plain = len(trimesh.Trimesh(a.vertices, a.faces, vertex_colors=a.colours, process=False)
                    .export(file_type="glb"))
        print(f"{r['relic']:14s} {r['faces']:7,d} {r['glb_bytes'] / 1e3:7.0f} {plain / 1e3:8.0f} "
              f"{r['glb_bytes'] / plain:6.2f} {r['page_bytes'] / 1e6:8.2f} {r['page_bytes'] / PAGE_TARGET_BYTES:7.2f}")

    from fixtures_browser import browser_paths, start_chromium, wait_for, wait_rendered

    if browser_paths() is None:
        print("\n(no chromium/chromium-driver installed: first-frame times skipped)")
        return 0
    print("\n== first rendered frame in headless Chromium, file:// (target < 3 s; SwiftShader, no GPU)")
    driver = start_chromium()
    try:
        base = out / "exhibit"
        driver.get((base / "licences.html").as_uri())
        wait_for(driver, "document.readyState === 'complete'")
        driver.get((base / "licences.html").as_uri())
        anchor_ms = wait_for(driver, "document.readyState === 'complete' && "
                                     "performance.getEntriesByType('navigation')[0].loadEventEnd")
    finally:
        driver.quit()
    print(f"anchor: the licences page (no 3D) loads in {anchor_ms:.0f} ms")
    worst = 0.0
    for r in done.relics:
        if args.relics and r["relic"] not in args.relics:
            continue
        driver = start_chromium()  # a first visit: a fresh browser, nothing compiled or cached
        try:
            cpu0 = browser_cpu_s(driver)
            driver.get((base / r["page"]).as_uri())
            ms = wait_rendered(driver, timeout_s=180)
            cpu = browser_cpu_s(driver) - cpu0
        finally:
            driver.quit()
        worst = max(worst, ms / 1e3)
        print(f"{r['relic']:14s} first frame {ms / 1e3:5.2f} s  ratio to anchor {ms / anchor_ms:6.1f}  "
              f"/target {ms / 1e3 / FIRST_FRAME_TARGET_S:4.2f}  browser CPU {cpu:5.2f} s")
    load = os.getloadavg()[0]
    print(f"exhibit: worst_first_frame_s={worst:.2f} target_s={FIRST_FRAME_TARGET_S:.0f} "
          f"load_average={load:.1f} cores={os.cpu_count()}")


def browser_cpu_s(driver: Any) -> float:
    """CPU seconds (user + system) used so far by the browser's processes (chromedriver's descendants):
    a figure that, unlike the wall clock, hardly depends on what else the machine is doing."""
    import psutil

    total = 0.0
    for p in psutil.Process(driver.service.process.pid).children(recursive=True):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total
    return 0


if __name__ == "__main__":
    sys.exit(main())
