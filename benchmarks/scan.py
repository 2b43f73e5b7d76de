"""Scan to twin: time and peak memory of ``relic-twin scan hall`` on a 1 M-point room cloud and of
``relic-twin scan relic`` on a 300k-face relic mesh.

Each job runs in its own process (peak resident memory of that process, ``ru_maxrss``); the anchor
measured in the same run is reading the same file (``bridge.scan.read.read_scan``), so the ratio says
how much the processing costs over the reading. Targets (issue 19): hall under 60 s, relic under
20 s, each under 2 GB. The room is the synthetic 6 x 4 x 3 m box with four cabinets
(``bridge.scan.synthetic.box_room``); the relic an icosphere of 327 680 faces with bumps and colours.

    .venv/bin/python benchmarks/scan.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds scripts named like packages: import the project's instead
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

TARGET_HALL_S = 60.0
TARGET_RELIC_S = 20.0
TARGET_MEMORY_MB = 2048.0


def _job(kind: str, path: str, queue) -> None:
    t0 = time.perf_counter()
    if kind == "read":
        from bridge.scan.read import read_scan

        read_scan(path)
        out = {}
    elif kind == "hall":
        from bridge.scan.hall import process_hall

        r = process_hall(path)
        w, d = (r.outline.max(axis=0) - r.outline.min(axis=0)).tolist()
        out = {"outline": f"{len(r.outline)} corners, {w:.3f} x {d:.3f} m, {r.area_m2:.2f} m², ceiling {r.ceiling_m:.3f} m",
               "shell": len(r.shell[1])}
    else:
        from bridge.scan.relic import process_relic, write_relic

        r = process_relic(path, units="m")
        write_relic(r, Path(path).parent / "out", "bench")
        out = {"lods": {k: len(v[1]) for k, v in r.lods.items()}}
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    queue.put(out)


def run(kind: str, path: Path) -> dict:
    """Run one job in a fresh process; its time (s), peak memory (MB) and results."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_job, args=(kind, str(path), q))
    p.start()
    out = q.get()
    p.join()
    return out


def make_inputs(folder: Path, points: int) -> tuple[Path, Path]:
    import numpy as np
    import trimesh

    from bridge.scan.ply import write_ply
    from bridge.scan.synthetic import box_room

    room = folder / "room.ply"
    write_ply(room, box_room(6.0, 4.0, 3.0, n=points, clutter=points // 10))
    sphere = trimesh.creation.icosphere(subdivisions=7, radius=0.2)
    v = np.asarray(sphere.vertices)
    v = v * (1 + 0.05 * np.sin(8 * v[:, :1] / 0.2) * np.cos(6 * v[:, 1:2] / 0.2))
    v[:, 2] = np.maximum(v[:, 2], -0.15)  # a flat base to stand on
    colours = (127 + 120 * np.sin(v * 20)).astype(np.uint8)
    relic = folder / "relic.ply"
    write_ply(relic, v, colours, np.asarray(sphere.faces))
    return room, relic


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        room, relic = make_inputs(Path(tmp), args.points)
        for kind, path, target in (("hall", room, TARGET_HALL_S), ("relic", relic, TARGET_RELIC_S)):
            anchor = run("read", path)
            r = run(kind, path)
            print(f"scan {kind}: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
            for key in ("outline", "shell", "lods"):
                if key in r:
                    print(f"  {key}: {r[key]}")
            print(f"  time {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB; anchor (read only) {anchor['seconds']:.2f} s, "
                  f"{anchor['peak_mb']:.0f} MB")
            print(f"  time/anchor = {r['seconds'] / anchor['seconds']:.1f}; time/target({target:.0f} s) = "
                  f"{r['seconds'] / target:.2f}; peak/target({TARGET_MEMORY_MB:.0f} MB) = {r['peak_mb'] / TARGET_MEMORY_MB:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
