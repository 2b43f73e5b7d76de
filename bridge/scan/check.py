"""``scene check`` for scans: does every mesh of a scene load, and does the outline fit the scan?

:func:`check_meshes` reads each relic mesh and the hall scan the way the kiosk and the
monitor will, and says what is wrong with each unusable one (zh/en). :func:`draw_plan`
draws the hall's outline, zones, relics and sensors over the scan seen from above (a PNG,
matplotlib), so that a person can confirm or correct the outline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bridge.errors import ScanError
from bridge.scan.read import read_scan
from simulation.scene import Scene

MAX_RELIC_FACES = 500_000
"""More faces than llvmpipe can turn at kiosk frame rates; ``relic-twin scan relic`` decimates."""


def check_mesh(path: Path, *, need_faces: bool) -> str:
    """'' when ``path`` is usable, else why not (zh/en)."""
    try:
        scan = read_scan(path)
    except ScanError as exc:
        return str(exc)
    if need_faces and not scan.is_mesh:
        return f"{path}: has no faces (a point cloud); run relic-twin scan relic on it | 没有面片（点云），请先用 scan relic 处理"
    if need_faces and scan.n_faces > MAX_RELIC_FACES:
        return (f"{path}: {scan.n_faces} faces, more than {MAX_RELIC_FACES} the kiosk can turn smoothly; "
                f"run relic-twin scan relic on it | 面片过多，请先用 scan relic 简化")
    return ""


def check_meshes(scene: Scene, assets: Path) -> list[str]:
    """One message per unusable mesh of ``scene`` (relics' meshes and the hall scan)."""
    problems = []
    for relic in scene.relics:
        if relic.mesh:
            why = check_mesh(assets / relic.mesh, need_faces=True)
            if why:
                problems.append(f"relics {relic.id}: {why}")
    if scene.hall_scan is not None and scene.hall_scan.mesh:
        why = check_mesh(assets / scene.hall_scan.mesh, need_faces=scene.hall_scan.kind == "mesh")
        if why:
            problems.append(f"hall_scan: {why}")
    return problems


def plan_points(scene: Scene, assets: Path, max_points: int = 400_000) -> NDArray[np.float64]:
    """The hall scan's points (n, 3) in the hall frame (a mesh's vertices), at most ``max_points``."""
    hs = scene.hall_scan
    if hs is None:
        return np.zeros((0, 3))
    pts = read_scan(assets / hs.mesh).points
    if len(pts) > max_points:
        pts = pts[np.random.default_rng(0).choice(len(pts), max_points, replace=False)]
    m = hs.matrix()
    return pts @ m[:3, :3].T + m[:3, 3]


def draw_plan(scene: Scene, assets: Path, out: Path, font_path: str | None = None) -> Path:
    """PNG of the floor outline (thick), zones, relics and sensors over the scan's plan view."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    props = font_manager.FontProperties(fname=font_path) if font_path else None
    pts = plan_points(scene, assets)
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    if len(pts):
        lo, hi = scene.hall_scan.clip if scene.hall_scan else (-np.inf, np.inf)
        keep = (pts[:, 2] > max(lo, 0.1)) & (pts[:, 2] < min(hi, scene.wall_height - 0.1))
        keep = keep if keep.any() else np.ones(len(pts), bool)
        order = np.argsort(pts[keep, 2])
        sc = ax.scatter(pts[keep, 0][order], pts[keep, 1][order], s=0.6, c=pts[keep, 2][order], cmap="viridis",
                        linewidths=0, rasterized=True)
        fig.colorbar(sc, ax=ax, shrink=0.6, label="scan height (m) / 扫描点高度").ax.yaxis.label.set_fontproperties(props)
    floor = np.vstack([scene.floor, scene.floor[:1]])
    ax.plot(floor[:, 0], floor[:, 1], "-", color="#d62728", lw=1.5, alpha=0.8, label="outline / 轮廓")
    for z in scene.zones:
        poly = np.vstack([z.polygon, z.polygon[:1]])
        ax.plot(poly[:, 0], poly[:, 1], "--", color="#1f77b4", lw=1)
    for s in scene.sensors:
        ax.plot(*s.position[:2], "o", color="#2ca02c", ms=6)
        ax.annotate(s.id, s.position[:2], xytext=(4, 4), textcoords="offset points", fontsize=8, color="#2ca02c")
    for r in scene.relics:
        ax.plot(*r.position[:2], "s", color="#ff7f0e", ms=6)
        ax.annotate(r.id, r.position[:2], xytext=(4, -10), textcoords="offset points", fontsize=8, color="#ff7f0e")
    centre = scene.floor.mean(axis=0)
    for i, (x, y) in enumerate(scene.floor):
        dx, dy = np.sign(centre - (x, y))  # label inside the corner, clear of the frame
        ax.annotate(f"{i}: ({x:.2f}, {y:.2f})", (x, y), xytext=(4 * dx, 4 * dy), textcoords="offset points", fontsize=7,
                    ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top")
    w, d = np.ptp(scene.floor, axis=0)
    area = abs(0.5 * float(np.dot(scene.floor[:, 0], np.roll(scene.floor[:, 1], -1))
                           - np.dot(scene.floor[:, 1], np.roll(scene.floor[:, 0], -1))))
    title = (f"{scene.name.get('zh-CN', '')} / {scene.name.get('en', '')}: {w:.2f} x {d:.2f} m, "
             f"{area:.1f} m², 层高 ceiling {scene.wall_height:.2f} m")
    ax.set_title(title, fontproperties=props, fontsize=11)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_aspect("equal")
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), prop=props, fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
