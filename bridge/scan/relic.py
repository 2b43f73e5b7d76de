"""A relic scan -> the kiosk's and the hall's meshes: metres, standing up, clean, decimated.

Steps (each adds a line to ``RelicResult.steps``, which goes into ``assets/SOURCES.md``
and the scene): units to metres (:func:`guess_units`, or the user's), statistical outlier
removal (clouds) or loose pieces dropped (meshes), up axis from the resting base
(:mod:`bridge.scan.orient`, or the user's), point clouds meshed by screened Poisson
reconstruction (Kazhdan and Hoppe 2013) trimmed where the cloud had no support,
base put at z = 0 and centred, quadric decimation to ``KIOSK_FACES`` and ``HALL_FACES``,
a thumbnail. Output meshes are binary PLY, z up, metres, with normals and RGBA colours,
the layout of every mesh under ``assets/meshes``.
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
from bridge.scan.orient import AXIS_VECTORS, resting_up
from bridge.scan.ply import write_ply
from bridge.scan.read import Scan, read_scan

UNITS = {"mm": 0.001, "cm": 0.01, "m": 1.0}
"""Units a relic scan may be in, to metres."""

TYPICAL_SIZE_M = 0.4
"""Size (longest side) assumed for a relic when the user gives none: the middle, on a log
scale, of what small museums show in cases and on plinths (about 5 cm seals to 3 m statues)."""

KIOSK_FACES = 50_000
"""Faces of the kiosk's mesh: llvmpipe keeps the kiosk above 30 frames/s at 1080p with one
such relic (benchmarks/render_kiosk.py)."""

HALL_FACES = 5_000
"""Faces of the hall's copy: a relic covers a few dozen pixels in the monitor's overview."""

POISSON_DEPTH = 8
"""Octree depth of the Poisson surface: 256 cells across the object (2 mm on a 0.5 m relic,
finer than the ``KIOSK_FACES`` mesh shows)."""

POISSON_TRIM = 0.03
"""Share of the Poisson surface with the least point support cut away: the closing caps over
holes the scanner did not see (open3d's density output; 3 % found by eye on the Takanawa lion)."""

MESH_POINTS = 60_000
"""Clouds are thinned to about this many points before meshing (normals and Poisson in about
15 s on two shared cores for the Takanawa lion)."""

ORIENT_POINTS = 12_000
"""Normals are made consistent (open3d's tangent-plane walk, slow: 19 s for 100k points) on this
many points; every other point's normal is flipped to agree with its nearest one of them."""


@dataclass
class RelicResult:
    """What :func:`process_relic` made: the meshes (points (n, 3) m, faces (m, 3), colours (n, 3)
    uint8) per level of detail, the relic's size in metres, and the steps taken."""

    source: Path
    kind: str
    unit: str
    scale: float
    up: NDArray[np.float64]
    size_m: NDArray[np.float64]
    lods: dict[str, tuple[NDArray, NDArray, NDArray[np.uint8]]]
    steps: list[str] = field(default_factory=list)

    @property
    def height_m(self) -> float:
        return float(self.size_m[2])


def guess_units(extent: float, expected_m: float | None = None) -> tuple[str, str]:
    """(unit, why) for a scan whose longest side is ``extent`` file units: the unit that brings
    it nearest, on a log scale, to ``expected_m`` (what the user says) or ``TYPICAL_SIZE_M``."""
    target = expected_m or TYPICAL_SIZE_M
    unit = min(UNITS, key=lambda u: abs(math.log(max(extent * UNITS[u], 1e-12) / target)))
    basis = f"the user's {expected_m:g} m" if expected_m else f"a typical relic's {TYPICAL_SIZE_M:g} m"
    return unit, f"longest side {extent:.4g} units = {extent * UNITS[unit]:.3g} m in {unit}, nearest {basis}"


def up_vector(up: str | None) -> NDArray[np.float64] | None:
    """The user's up axis name (x, -x, y, -y, z, -z) as a vector, or None for automatic."""
    if up in (None, "", "auto"):
        return None
    if up not in AXIS_VECTORS:
        raise ScanError(f"up axis {up!r}: expected one of {', '.join(AXIS_VECTORS)} or auto | 向上轴应为 x、y、z 之一（可带负号）")
    return AXIS_VECTORS[up].copy()


def process_relic(path: str | Path, *, units: str | None = None, height_m: float | None = None,
                  up: str | None = None, expected_m: float | None = None,
                  progress: Callable[[str], None] = lambda s: None) -> RelicResult:
    """Read and process one relic scan (see the module docstring).

    units : "mm" | "cm" | "m" or None to guess; height_m : the real height, m (scales exactly,
    overriding units); up : file axis name or None to find the base; expected_m : roughly how
    big the object is (longest side, m) to guide the unit guess.
    """
    scan = read_scan(path)
    steps = [f"read {scan.kind}: {len(scan.points)} points" + (f", {scan.n_faces} faces" if scan.is_mesh else "")
             + ("" if scan.colours is not None else ", no colours")]
    steps += scan.notes
    extent = float(np.ptp(scan.points, axis=0).max())
    if units is not None and units not in UNITS:
        raise ScanError(f"units {units!r}: expected mm, cm or m | 单位应为 mm、cm 或 m")
    unit, why = (units, "given by the user") if units else guess_units(extent, expected_m)
    scale = UNITS[unit]
    steps.append(f"units {unit} ({why})")
    progress(steps[-1])
    pts = scan.points * scale
    scan = Scan(scan.path, scan.kind, pts, scan.colours, scan.faces, [])
    pts, faces, colours = _clean(scan, steps, progress)
    up_vec = up_vector(up)
    if up_vec is None:
        base = resting_up(pts)
        up_vec, how = base.up, base.how
    else:
        how = "given by the user"
    rot = geo.rotation_to_z(up_vec)
    pts = pts @ rot.T
    steps.append(f"up = file ({up_vec[0]:.3g}, {up_vec[1]:.3g}, {up_vec[2]:.3g}): {how}")
    progress(steps[-1])
    if faces is None:
        pts, faces, colours = _mesh_cloud(pts, colours, steps, progress)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pts = pts - np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    if height_m:
        k = height_m / float(hi[2] - lo[2])
        pts, scale = pts * k, scale * k
        steps.append(f"scaled to the given height {height_m:g} m (x{k:.4g})")
    if colours is None:
        colours = np.full((len(pts), 3), 200, np.uint8)
    lods = {}
    for name, budget in (("kiosk", KIOSK_FACES), ("hall", HALL_FACES)):
        p, f, c = geo.tidy(*geo.decimate(pts, faces, colours, budget))
        p[:, 2] -= p[:, 2].min()  # decimation moves vertices: the base stays at z = 0
        lods[name] = (p, f, c)
        steps.append(f"{name}: {len(f)} faces" + (f" (quadric decimation from {len(faces)})" if len(f) < len(faces) else ""))
        progress(steps[-1])
    size = pts.max(axis=0) - pts.min(axis=0)
    return RelicResult(Path(path), scan.kind, unit, scale, up_vec, size, lods, steps)


def _clean(scan: Scan, steps: list[str], progress: Callable[[str], None]) -> tuple[NDArray, NDArray | None, NDArray | None]:
    if scan.faces is not None and scan.is_mesh:
        pts, faces, colours, note = geo.clean_mesh(scan.points, scan.faces, scan.colours)
        if len(faces) == 0:
            raise ScanError(f"{scan.path}: nothing is left after removing degenerate faces | 去除退化面后没有剩余面片")
    else:
        pts, colours = scan.points, scan.colours
        if len(pts) > 2 * MESH_POINTS:
            pc = geo.o3d_cloud(pts, colours).voxel_down_sample(_voxel_for(pts, 2 * MESH_POINTS))
            pts = np.asarray(pc.points, float)
            colours = (np.asarray(pc.colors) * 255).round().astype(np.uint8) if pc.has_colors() else None
            steps.append(f"voxel-thinned to {len(pts)} points")
        if len(pts) < 100:
            raise ScanError(f"{scan.path}: {len(pts)} points are too few to make a surface | 点数太少，无法重建表面")
        pts, colours, note = geo.remove_outliers(pts, colours)
        faces = None
    steps.append(note)
    progress(note)
    return pts, faces, colours


def _voxel_for(points: NDArray, target: int) -> float:
    """Voxel edge leaving about ``target`` points on the surface of ``points``' bounding box."""
    area = float(np.ptp(points, axis=0) @ np.roll(np.ptp(points, axis=0), 1))  # ~ half the box's surface
    return math.sqrt(max(area, 1e-12) / target)


def _mesh_cloud(pts: NDArray, colours: NDArray[np.uint8] | None, steps: list[str],
                progress: Callable[[str], None]) -> tuple[NDArray, NDArray, NDArray | None]:
    """Screened Poisson surface of a cloud, trimmed to where the cloud supports it."""
    import open3d as o3d
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    pc = geo.o3d_cloud(pts[rng.choice(len(pts), MESH_POINTS, replace=False)] if len(pts) > MESH_POINTS else pts)
    spacing = float(np.mean(pc.compute_nearest_neighbor_distance()))
    pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=6 * spacing, max_nn=30))
    few = pc.select_by_index(rng.choice(len(pc.points), min(ORIENT_POINTS, len(pc.points)), replace=False).tolist())
    few.orient_normals_consistent_tangent_plane(12)
    normals = np.asarray(pc.normals)
    _, near = cKDTree(np.asarray(few.points)).query(np.asarray(pc.points), workers=-1)
    normals[np.einsum("ij,ij->i", normals, np.asarray(few.normals)[near]) < 0] *= -1
    pc.normals = o3d.utility.Vector3dVector(normals)
    centre = pts.mean(axis=0)
    if np.mean(np.einsum("ij,ij->i", np.asarray(pc.normals), np.asarray(pc.points) - centre)) < 0:
        pc.normals = o3d.utility.Vector3dVector(-np.asarray(pc.normals))  # outward on average
    progress("Poisson surface reconstruction / 泊松曲面重建")
    with geo.native_output_to_stderr():
        mesh, dens = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(pc, depth=POISSON_DEPTH)
    support = np.asarray(dens)
    mesh.remove_vertices_by_mask(support < np.quantile(support, POISSON_TRIM))
    lo, hi = pts.min(axis=0) - 2 * spacing, pts.max(axis=0) + 2 * spacing
    mesh = mesh.crop(o3d.geometry.AxisAlignedBoundingBox(lo, hi))
    # keep only the surface near the cloud: Poisson closes open scans with caps far from any point
    v = np.asarray(mesh.vertices)
    d, _ = cKDTree(pts).query(v, workers=-1)
    mesh.remove_vertices_by_mask(d > 4 * spacing)
    mesh.remove_unreferenced_vertices()
    p, f, _ = geo.mesh_arrays(mesh)
    if len(f) == 0:
        raise ScanError("the point cloud gave no surface; is it a single object? | 点云无法重建出表面")
    cols = geo.transfer_colours(p, pts, colours, k=4) if colours is not None else None
    steps.append(f"meshed: screened Poisson depth {POISSON_DEPTH}, {len(f)} faces, lowest-support {POISSON_TRIM:.0%} "
                 f"and parts over {4 * spacing * 1000:.1f} mm from any point cut away")
    return p, f, cols


def write_relic(result: RelicResult, out_dir: Path, relic_id: str) -> dict[str, Path]:
    """Write ``<id>.ply`` (kiosk), ``<id>-hall.ply`` and ``<id>.png`` (thumbnail) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    comment = f"relic-twin scan relic {result.source.name}: z up, metres, base at z = 0"
    for name, stem in (("kiosk", relic_id), ("hall", f"{relic_id}-hall")):
        p, f, c = result.lods[name]
        files[name] = out_dir / f"{stem}.ply"
        write_ply(files[name], p, c, f, geo.vertex_normals(p, f), comment)
    files["thumbnail"] = out_dir / f"{relic_id}.png"
    thumbnail(*result.lods["kiosk"], files["thumbnail"])
    return files


def thumbnail(points: NDArray, faces: NDArray, colours: NDArray[np.uint8], out: Path, size: int = 256) -> Path:
    """A front view (from -y, 15 deg above) of the mesh, vertex splats shaded by their normals, as PNG."""
    from PIL import Image

    normals = geo.vertex_normals(points, faces)
    tilt = np.radians(15.0)
    rx = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    p, n = points @ rx.T, normals @ rx.T
    light = np.array([-0.4, -0.8, 0.45]) / np.linalg.norm([-0.4, -0.8, 0.45])
    shade = 0.35 + 0.65 * np.clip(n @ light, 0, 1)
    rgb = np.clip(colours[:, :3] * shade[:, None], 0, 255).astype(np.uint8)
    lo, hi = p[:, [0, 2]].min(axis=0), p[:, [0, 2]].max(axis=0)
    s = 0.9 * size / max(float((hi - lo).max()), 1e-12)
    cx, cz = (lo + hi) / 2
    u = np.round(size / 2 + (p[:, 0] - cx) * s).astype(int)
    v = np.round(size / 2 - (p[:, 2] - cz) * s).astype(int)
    img = np.full((size, size, 3), 245, np.uint8)
    front = n[:, 1] < 0.3  # facing the camera (at -y) or nearly edge-on
    u, v, p, rgb = u[front], v[front], p[front], rgb[front]
    order = np.argsort(-p[:, 1])  # far first, near drawn over
    r = max(1, int(round(size / math.sqrt(max(len(points), 1)) / 1.5)))
    for du in range(-r, r + 1):
        for dv in range(-r, r + 1):
            uu, vv = np.clip(u[order] + du, 0, size - 1), np.clip(v[order] + dv, 0, size - 1)
            img[vv, uu] = rgb[order]
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(out)
    return out
