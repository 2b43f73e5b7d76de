"""A room scan -> the hall's floor plan, ceiling height and a light shell mesh.

Planes come from the room's three orthogonal directions (:func:`dominant_directions`, the
"Manhattan frame" of the point normals) as peaks of the points' offsets along each, refitted by
least squares; the floor is then found by RANSAC plane segmentation (open3d ``segment_plane``,
Fischler and Bolles 1981) near the walls' foot. The up axis is a direction the walls stand along
(:func:`find_up`), so a scan whose capture tool dropped the floor still stands up; it is levelled
on the floor when there is one, on the walls otherwise. Walls are turned square to the plan, and
the outline is the union of the cells of the grid their lines make that are closed in by walls on
all four sides or covered by the scan seen from above (:func:`outline_from_walls`): exact for the
rectilinear halls museums mostly are, a staircase along slanted walls. The hall frame is x along
the walls, y across, z up, metres, origin at the outline's south-west corner, floor at z = 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bridge.errors import ScanError
from bridge.scan import geometry as geo
from bridge.scan.orient import AXIS_VECTORS
from bridge.scan.read import read_scan
from simulation.scene import polygon_area

VOXEL_M = 0.03
"""Clouds are thinned on this grid before plane search (a 1 M-point room -> ~200k)."""

PLANE_TOL_M = 0.03
"""RANSAC inlier distance: phone LiDAR and TLS walls are flat to about 1-2 cm."""

MAX_PLANES = 8
"""Planes looked for along each dominant direction."""

MIN_PLANE_SHARE = 0.003
"""A plane holds at least this share of the points (0.3 %: the far walls of the pump-room scan)."""

ANGLE_TOL_DEG = 10.0
"""A plane within this of vertical is a wall, within this of horizontal a floor or ceiling."""

WALL_MIN_HEIGHT = 0.4
"""A wall's inliers span at least this share of the floor-to-ceiling height (cabinets do not)."""

WALL_MERGE_M = 0.15
"""Parallel wall lines closer than this are one wall."""

WALL_GAP_M = 0.5
"""A ray from a cell centre that misses a wall's end by less than this still counts as closed in
(wall ends are ragged in scans; doors are wider and are bridged by the walls beyond them)."""

SHELL_VOXEL_M = 0.05
SHELL_FACES = 40_000
"""The monitor's shell: Poisson surface of the 5 cm-thinned scan decimated to this many faces."""

SHELL_CLIP_M = 0.05
"""The shell keeps what lies this far above the floor and below the ceiling: the live floor
field shows through, the overview camera sees in."""

SHELL_OPACITY = 0.45
"""The shell is drawn translucent at this opacity over the floor field (``[hall_scan].opacity``)."""


@dataclass
class Plane:
    normal: NDArray[np.float64]  # (3,) unit
    centre: NDArray[np.float64]  # (3,)
    inliers: NDArray[np.float64]  # (k, 3) points

    @property
    def count(self) -> int:
        return len(self.inliers)


@dataclass
class HallResult:
    """outline (k, 2) m, open, counter-clockwise, hall frame; transform (4, 4) file -> hall frame;
    shell (points (n, 3) m, faces (m, 3), colours (n, 3) uint8) in the hall frame."""

    source: Path
    outline: NDArray[np.float64]
    ceiling_m: float
    floor_found: bool
    transform: NDArray[np.float64]
    shell: tuple[NDArray, NDArray, NDArray[np.uint8]]
    plan_points: NDArray[np.float64]
    steps: list[str] = field(default_factory=list)

    @property
    def area_m2(self) -> float:
        return abs(polygon_area(self.outline))


def find_planes(points: NDArray, seed: int = 0) -> list[Plane]:
    """Large planes of a room cloud (n, 3) m, largest first, each refitted to its inliers.

    Point normals (open3d, 10 cm neighbourhoods) are grouped into dominant directions; along
    each, a plane is a peak of the points' offsets (1 cm bins) whose points also face that way.
    Unlike plain RANSAC on a cluttered room, no plane cuts diagonally through pipes and
    furniture. The floor is then refitted by RANSAC (:func:`floor_plane`).
    """
    import open3d as o3d

    pc = geo.o3d_cloud(points)
    pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=0.1, max_nn=30))
    normals = np.asarray(pc.normals)
    n_min = max(50, int(MIN_PLANE_SHARE * len(points)))
    planes: list[Plane] = []
    for d in dominant_directions(normals, seed):
        facing = np.abs(normals @ d) > math.cos(math.radians(2 * ANGLE_TOL_DEG))
        pts = points[facing]
        off = pts @ d
        for _ in range(MAX_PLANES):
            if len(off) < n_min:
                break
            hist, edges = np.histogram(off, bins=max(1, int(np.ptp(off) / 0.01)))
            win = max(1, int(round(2 * PLANE_TOL_M / 0.01)))
            counts = np.convolve(hist, np.ones(win), mode="same")
            k = int(np.argmax(counts))
            centre = (edges[k] + edges[k + 1]) / 2
            near = np.abs(off - centre) <= PLANE_TOL_M
            if near.sum() < n_min:
                break
            inl = pts[near]
            c = inl.mean(axis=0)
            _, _, vt = np.linalg.svd(inl - c, full_matrices=False)
            planes.append(Plane(vt[2] if vt[2] @ d > 0 else -vt[2], c, inl))
            pts, off = pts[~near], off[~near]
    return sorted(planes, key=lambda p: -p.count)[: 4 * MAX_PLANES]


def dominant_directions(normals: NDArray, seed: int = 0) -> list[NDArray]:
    """The room's three orthogonal directions (a "Manhattan frame", Coughlan and Yuille 1999) from
    unit point ``normals`` (n, 3): the direction most normals share (within ``ANGLE_TOL_DEG``,
    sign-free), then the one most share among those perpendicular to it, then their cross product."""
    rng = np.random.default_rng(seed)
    sample = normals[rng.choice(len(normals), min(5_000, len(normals)), replace=False)]
    probe = sample[: min(300, len(sample))]  # a direction shared by 3 % of the normals is among ~9 of these
    cos_tol = math.cos(math.radians(ANGLE_TOL_DEG))
    sin_tol = math.sin(math.radians(ANGLE_TOL_DEG))

    def most_shared(cands: NDArray) -> NDArray:
        best = cands[int(np.argmax((np.abs(cands @ sample.T) > cos_tol).sum(axis=1)))]
        for _ in range(3):  # mean shift: average the normals around it
            near = sample[np.abs(sample @ best) > cos_tol]
            best = (near * np.sign(near @ best)[:, None]).mean(axis=0)
            best /= np.linalg.norm(best)
        return best

    d1 = most_shared(probe)
    side = probe[np.abs(probe @ d1) < sin_tol]
    if not len(side):
        return [d1]
    d2 = most_shared(side)
    d2 = d2 - (d2 @ d1) * d1
    d2 /= np.linalg.norm(d2)
    return [d1, d2, np.cross(d1, d2)]


def floor_plane(points: NDArray, up: NDArray, floor_guess: float, seed: int = 0) -> Plane | None:
    """The floor by RANSAC (open3d ``segment_plane``) on the points within 0.3 m of
    ``floor_guess`` along ``up``; None unless it is level (within ``ANGLE_TOL_DEG``) and holds
    at least ``MIN_PLANE_SHARE`` of the points."""
    import open3d as o3d

    o3d.utility.random.seed(seed)
    low = points[np.abs(points @ up - floor_guess) < 0.3]
    if len(low) < max(50, MIN_PLANE_SHARE * len(points)):
        return None
    (a, b, c, _), idx = geo.o3d_cloud(low).segment_plane(PLANE_TOL_M, 3, 1000)
    n = np.array([a, b, c]) / np.linalg.norm([a, b, c])
    inl = low[np.asarray(idx)]
    if len(inl) < MIN_PLANE_SHARE * len(points) or abs(n @ up) < math.cos(math.radians(ANGLE_TOL_DEG)):
        return None
    centre = inl.mean(axis=0)
    _, _, vt = np.linalg.svd(inl - centre, full_matrices=False)
    return Plane(vt[2] if vt[2] @ up > 0 else -vt[2], centre, inl)


def _directions(planes: list[Plane]) -> list[NDArray]:
    """Distinct plane normal directions (sign-free), plus the cross products of near-perpendicular pairs
    (so that walls alone propose the up axis)."""
    cos_tol = math.cos(math.radians(ANGLE_TOL_DEG))
    dirs: list[NDArray] = []
    for p in planes:
        if all(abs(p.normal @ d) < cos_tol for d in dirs):
            dirs.append(p.normal)
    for i in range(len(dirs)):
        for j in range(i + 1, len(dirs)):
            c = np.cross(dirs[i], dirs[j])
            if np.linalg.norm(c) > math.sin(math.radians(90 - ANGLE_TOL_DEG)):
                c = c / np.linalg.norm(c)
                if all(abs(c @ d) < cos_tol for d in dirs):
                    dirs.append(c)
    return dirs


def find_up(points: NDArray, planes: list[Plane]) -> tuple[NDArray, str]:
    """The up direction (3,): one that at least two non-parallel planes (walls) stand along.
    Of those, the file's z axis, else its y axis (terrestrial scanners level themselves and
    write z up; phone AR frames are gravity-aligned with y up), else the direction the scan is
    shortest along (halls are wider than high). Sign: that of the file axis, else towards +z."""
    sin_tol = math.sin(math.radians(ANGLE_TOL_DEG))
    cands = []
    for d in _directions(planes):
        walls = [p.normal for p in planes if abs(p.normal @ d) < sin_tol]
        if len(walls) >= 2 and any(abs(walls[0] @ w) < math.cos(math.radians(45)) for w in walls[1:]):
            proj = points @ d
            cands.append((float(np.percentile(proj, 99) - np.percentile(proj, 1)), d))
    if not cands:
        raise ScanError("no two walls at an angle found: is this a room scan? | 未找到相交的墙面，这是房间扫描吗？")
    for axis in ("z", "y"):
        a = AXIS_VECTORS[axis]
        for _, d in cands:
            if abs(d @ a) > math.cos(math.radians(ANGLE_TOL_DEG)):
                return (d if d @ a > 0 else -d), f"walls stand along file {axis}"
    ext, d = min(cands, key=lambda c: c[0])
    return (d if d @ AXIS_VECTORS["z"] >= 0 else -d), f"walls stand along the scan's shortest direction ({ext:.2f} m)"


def level(points: NDArray, up: NDArray, planes: list[Plane]) -> tuple[NDArray, Plane | None, str]:
    """Refined up (3,): the normal of the floor (:func:`floor_plane`, at the walls' foot) when the
    scan has one, else the direction most perpendicular to the walls' normals (least squares)."""
    sin_tol = math.sin(math.radians(ANGLE_TOL_DEG))
    walls = [p for p in planes if abs(p.normal @ up) < sin_tol]
    wall_z = np.concatenate([w.inliers @ up for w in walls])
    floor = floor_plane(points, up, float(np.percentile(wall_z, 1)))
    if floor is not None:
        return floor.normal, floor, f"levelled on the floor (RANSAC plane, {floor.count} points)"
    nmat = np.array([w.normal * math.sqrt(w.count) for w in walls])
    _, _, vt = np.linalg.svd(nmat, full_matrices=False)
    n = vt[-1] if vt[-1] @ up > 0 else -vt[-1]
    return n, None, f"no floor in the scan: levelled on {len(walls)} walls"


def outline_from_walls(walls: list[tuple[int, float, float, float]],
                       floor: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Rectilinear floor outline (k, 2), counter-clockwise, from axis-aligned wall lines.

    walls : (axis, offset, lo, hi): axis 0 = a wall x = offset spanning y in [lo, hi];
    axis 1 = a wall y = offset spanning x in [lo, hi]. A cell of the grid of wall lines is
    inside when a ray from its centre meets a wall in each of the four directions, or when
    the scan seen from above (``floor``: (k, 2) plan points below the ceiling) covers half of it.
    """
    from scipy import ndimage

    xs = np.array(_merge(sorted(w[1] for w in walls if w[0] == 0)))
    ys = np.array(_merge(sorted(w[1] for w in walls if w[0] == 1)))
    if len(xs) < 2 or len(ys) < 2:
        raise ScanError("walls found on fewer than two sides each way; cannot close the outline | 墙面不足，无法围合平面")
    inside = np.zeros((len(xs) - 1, len(ys) - 1), bool)
    for i in range(len(xs) - 1):
        for j in range(len(ys) - 1):
            cx, cy = (xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2
            hits = [False] * 4
            for axis, off, lo, hi in walls:
                along, across = (cy, cx) if axis == 0 else (cx, cy)
                if lo - WALL_GAP_M <= along <= hi + WALL_GAP_M:
                    k = 2 * axis + (0 if off > across else 1)
                    hits[k] = True
            inside[i, j] = all(hits)
    if floor is not None and len(floor):
        inside |= floor_cover(floor, xs, ys) >= 0.5
    lab, n = ndimage.label(inside)
    if n == 0:
        raise ScanError("the walls enclose no floor | 墙面未围合出地面")
    sizes = [((xs[1:] - xs[:-1])[:, None] * (ys[1:] - ys[:-1])[None, :])[lab == k].sum() for k in range(1, n + 1)]
    inside = lab == 1 + int(np.argmax(sizes))
    return trace_cells(inside, np.asarray(xs), np.asarray(ys))


def floor_cover(floor: NDArray, xs: NDArray, ys: NDArray, pixel_m: float = 0.1) -> NDArray[np.float64]:
    """(len(xs)-1, len(ys)-1) share of each grid cell covered by the scanned floor: floor points
    rasterised on ``pixel_m``, gaps closed and holes (under furniture, pumps) filled."""
    from scipy import ndimage

    lo = np.array([xs[0], ys[0]])
    shape = (int(np.ceil((xs[-1] - xs[0]) / pixel_m)) + 1, int(np.ceil((ys[-1] - ys[0]) / pixel_m)) + 1)
    idx = np.floor((floor - lo) / pixel_m).astype(int)
    ok = (idx >= 0).all(axis=1) & (idx[:, 0] < shape[0]) & (idx[:, 1] < shape[1])
    img = np.zeros(shape, bool)
    img[idx[ok, 0], idx[ok, 1]] = True
    img = ndimage.binary_fill_holes(ndimage.binary_closing(img, iterations=3))
    cx = lo[0] + (np.arange(shape[0]) + 0.5) * pixel_m
    cy = lo[1] + (np.arange(shape[1]) + 0.5) * pixel_m
    bx, by = np.searchsorted(xs, cx) - 1, np.searchsorted(ys, cy) - 1
    cover = np.zeros((len(xs) - 1, len(ys) - 1))
    total = np.zeros_like(cover)
    gx, gy = np.meshgrid(bx, by, indexing="ij")
    good = (gx >= 0) & (gx < len(xs) - 1) & (gy >= 0) & (gy < len(ys) - 1)
    np.add.at(total, (gx[good], gy[good]), 1)
    np.add.at(cover, (gx[good], gy[good]), img[good])
    return np.where(total > 0, cover / np.maximum(total, 1), 0.0)


def extent_lines(plan: NDArray, band_m: float = WALL_MERGE_M) -> list[tuple[int, float, float, float]]:
    """Wall lines at the scan's extremes (plan points (n, 2) m, walls square to the axes): on each
    side, the 0.5th or 99.5th percentile, spanning where the points within ``band_m`` of it lie.
    Far walls of a cluttered room (the scanner saw them past pipes and pumps) are thin in the cloud
    but are still where the scan ends."""
    lines = []
    for axis in (0, 1):
        for q in (0.5, 99.5):
            off = float(np.percentile(plan[:, axis], q))
            near = plan[np.abs(plan[:, axis] - off) < band_m]
            if len(near) >= 10:
                lo, hi = np.percentile(near[:, 1 - axis], [1, 99])
                lines.append((axis, off, float(lo), float(hi)))
    return lines


def _merge(values: list[float]) -> list[float]:
    out: list[list[float]] = []
    for v in values:
        if out and v - out[-1][-1] < WALL_MERGE_M:
            out[-1].append(v)
        else:
            out.append([v])
    return [float(np.mean(g)) for g in out]


def trace_cells(inside: NDArray[np.bool_], xs: NDArray, ys: NDArray) -> NDArray[np.float64]:
    """Outer boundary (k, 2) of the union of grid cells ``inside`` (nx, ny) with edges ``xs``, ``ys``,
    counter-clockwise, collinear corners dropped."""
    nx, ny = inside.shape
    pad = np.pad(inside, 1)
    edges = {}
    for i in range(nx):
        for j in range(ny):
            if not inside[i, j]:
                continue
            if not pad[i + 1, j]:
                edges[(i, j)] = (i + 1, j)  # bottom, left to right
            if not pad[i + 2, j + 1]:
                edges[(i + 1, j)] = (i + 1, j + 1)  # right, upwards
            if not pad[i + 1, j + 2]:
                edges[(i + 1, j + 1)] = (i, j + 1)  # top, right to left
            if not pad[i, j + 1]:
                edges[(i, j + 1)] = (i, j)  # left, downwards
    start = min(edges)
    loop, cur = [start], edges[start]
    while cur != start and len(loop) <= len(edges):
        loop.append(cur)
        cur = edges[cur]
    pts = np.array([[xs[i], ys[j]] for i, j in loop])
    prev, nxt = np.roll(pts, 1, axis=0), np.roll(pts, -1, axis=0)
    cross = (pts[:, 0] - prev[:, 0]) * (nxt[:, 1] - pts[:, 1]) - (pts[:, 1] - prev[:, 1]) * (nxt[:, 0] - pts[:, 0])
    return pts[np.abs(cross) > 1e-9]


def process_hall(path: str | Path, *, units: str = "m", up: str | None = None, shell: bool = True,
                 progress: Callable[[str], None] = lambda s: None) -> HallResult:
    """Read a room scan and find its outline, ceiling and (unless ``shell`` is False) its shell
    mesh (see the module docstring)."""
    from bridge.scan.relic import UNITS, up_vector

    scan = read_scan(path)
    steps = [f"read {scan.kind}: {len(scan.points)} points" + (f", {scan.n_faces} faces" if scan.is_mesh else "")]
    pts, cols = scan.points * UNITS[units], scan.colours
    if scan.faces is not None and scan.is_mesh:
        m = geo.o3d_mesh(pts, scan.faces, cols)
        pc = m.sample_points_uniformly(min(2_000_000, max(200_000, 4 * scan.n_faces)))
        pts = np.asarray(pc.points)
        cols = (np.asarray(pc.colors) * 255).round().astype(np.uint8) if pc.has_colors() else None
        steps.append(f"surface sampled: {len(pts)} points")
    pc = geo.o3d_cloud(pts, cols).voxel_down_sample(VOXEL_M)
    pts = np.asarray(pc.points)
    cols = (np.asarray(pc.colors) * 255).round().astype(np.uint8) if pc.has_colors() else None
    steps.append(f"thinned on a {VOXEL_M * 100:g} cm grid: {len(pts)} points")
    progress(steps[-1])
    planes = find_planes(pts)
    steps.append(f"{len(planes)} planes (dominant normal directions, {PLANE_TOL_M * 100:g} cm)")
    progress(steps[-1])
    user_up = up_vector(up)
    up_vec, how = (user_up, "given by the user") if user_up is not None else find_up(pts, planes)
    up_vec, floor, how_level = level(pts, up_vec, planes)
    steps.append(f"up: {how}; {how_level}")
    progress(steps[-1])
    r1 = geo.rotation_to_z(up_vec)
    p1 = pts @ r1.T
    sin_tol = math.sin(math.radians(ANGLE_TOL_DEG))
    cos_tol = math.cos(math.radians(ANGLE_TOL_DEG))
    walls = [Plane(p.normal @ r1.T, p.centre @ r1.T, p.inliers @ r1.T) for p in planes if abs((r1 @ p.normal)[2]) < sin_tol]
    horiz = [Plane(p.normal @ r1.T, p.centre @ r1.T, p.inliers @ r1.T) for p in planes if abs((r1 @ p.normal)[2]) > cos_tol]
    wall_z = np.concatenate([w.inliers[:, 2] for w in walls])
    floor_z = float((r1 @ floor.centre)[2]) if floor is not None else float(np.percentile(wall_z, 0.5))
    top = float(np.percentile(wall_z, 99.5))
    ceilings = [h for h in horiz if abs(h.centre[2] - top) < 0.3 and h.centre[2] > floor_z + 1.5]
    ceil_z = max(ceilings, key=lambda h: h.count).centre[2] if ceilings else top
    height = float(ceil_z - floor_z)
    walls = [w for w in walls if np.ptp(w.inliers[:, 2]) >= WALL_MIN_HEIGHT * height]
    if len(walls) < 2:
        raise ScanError("fewer than two walls found | 找到的墙面少于两面")
    # square the plan to the walls: circular mean of 4 * wall angle, weighted by size
    ang = np.arctan2([w.normal[1] for w in walls], [w.normal[0] for w in walls])
    wts = np.array([w.count for w in walls], float)
    theta = math.atan2(float((wts * np.sin(4 * ang)).sum()), float((wts * np.cos(4 * ang)).sum())) / 4
    r2 = geo.rotation_about_z(-math.degrees(theta))
    lines = []
    for w in walls:
        n = r2 @ w.normal
        q = w.inliers @ r2.T
        axis = 0 if abs(n[0]) > abs(n[1]) else 1
        if abs(n[axis]) < cos_tol:
            continue  # a slanted wall: the rectilinear outline cannot follow it
        lo, hi = np.percentile(q[:, 1 - axis], [1, 99])
        lines.append((axis, float(np.median(q[:, axis])), float(lo), float(hi)))
    plan = p1[(p1[:, 2] > floor_z + 0.2) & (p1[:, 2] < ceil_z - 0.2)] @ r2.T
    lines += [e for e in extent_lines(plan[:, :2])
              if all(abs(e[1] - w[1]) >= WALL_MERGE_M for w in lines if w[0] == e[0])]
    seen = (p1[p1[:, 2] < ceil_z - 0.2] @ r2.T)[:, :2]  # floor and everything standing on it
    outline = outline_from_walls(lines, seen)
    steps.append(f"{len(lines)} walls squared to the plan (turned {-math.degrees(theta):.1f} deg about z); "
                 f"floor at {floor_z:.3f} m, ceiling {height:.2f} m above it")
    progress(steps[-1])
    origin = outline.min(axis=0)
    outline = outline - origin
    m = np.eye(4)
    m[:3, :3] = r2 @ r1 @ (UNITS[units] * np.eye(3))
    m[:3, 3] = [-origin[0], -origin[1], -floor_z]
    hall_pts = pts @ (r2 @ r1).T + m[:3, 3]
    if shell:
        mesh = make_shell(hall_pts, cols, height, progress)
        steps.append(f"shell: {len(mesh[1])} faces (screened Poisson of the {SHELL_VOXEL_M * 100:g} cm-thinned scan, "
                     f"kept from {SHELL_CLIP_M * 100:g} cm above the floor to the ceiling)")
        progress(steps[-1])
    else:
        mesh = (np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros((0, 3), np.uint8))
    return HallResult(Path(path), outline, height, floor is not None, m, mesh, hall_pts, steps)


def make_shell(points: NDArray, colours: NDArray[np.uint8] | None, height: float,
               progress: Callable[[str], None] = lambda s: None) -> tuple[NDArray, NDArray, NDArray[np.uint8]]:
    """A light surface of a room cloud (n, 3) in the hall frame: normals facing the room's middle,
    Poisson depth 8, trimmed where the cloud had no points, clipped to the band above the floor."""
    import open3d as o3d
    from scipy.spatial import cKDTree

    pc = geo.o3d_cloud(points).voxel_down_sample(SHELL_VOXEL_M)
    pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=3 * SHELL_VOXEL_M, max_nn=20))
    centre = np.asarray(pc.points).mean(axis=0)
    pc.orient_normals_towards_camera_location(centre)
    progress("shell: Poisson surface / 外壳曲面重建")
    with geo.native_output_to_stderr():
        mesh, dens = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(pc, depth=8)
    v = np.asarray(mesh.vertices)
    d, _ = cKDTree(np.asarray(pc.points)).query(v, workers=-1)
    mesh.remove_vertices_by_mask((d > 2 * SHELL_VOXEL_M) | (v[:, 2] < SHELL_CLIP_M) | (v[:, 2] > height + SHELL_VOXEL_M))
    mesh.remove_unreferenced_vertices()
    p, f, _ = geo.mesh_arrays(mesh)
    p, f, _ = geo.tidy(*geo.decimate(p, f, None, SHELL_FACES))
    c = geo.transfer_colours(p, points, colours, k=4) if colours is not None else np.full((len(p), 3), 225, np.uint8)
    return p, f, c
