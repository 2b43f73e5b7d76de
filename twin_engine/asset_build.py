"""Rebuild ``assets/meshes`` from the raw scans in ``../shared/data``.

``python -m twin_engine.asset_build [--only NAME ...]`` writes binary PLY
files, z up, metres, base at z = 0, centred in x/y, each scaled to the
height its relic has in ``scenes/demo_hall/scene.toml``. Not needed at run
time; the results are committed. Needs scikit-image for the lion
(marching cubes), imported only there.

Sources and licences: ``assets/SOURCES.md``.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from bridge.meshes import simplify, transfer_colours
from simulation.paths import assets_dir, scenes_dir
from twin_engine.asset_standins import STANDINS

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# y-up (3DHOP scans, front towards +z) -> z-up, front towards -y
Y_UP_TO_Z_UP = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], float)

SCAN_TARGET_FACES = 18_000
LION_TARGET_FACES = 20_000
ROOM_SCAN_VOXEL_M = 0.02
"""Voxel edge for the shipped room scan (``pump_room_scan.ply``)."""


def relic_heights(scene: Path | None = None) -> dict[str, float]:
    """Mesh stem -> relic height (m) from the demo scene document."""
    file = scene or scenes_dir() / "demo_hall" / "scene.toml"
    doc = tomllib.loads(file.read_text(encoding="utf-8"))
    return {Path(r["mesh"]).stem: float(r.get("height", 0.5)) for r in doc.get("relics", []) if "mesh" in r}


def normalise(mesh: trimesh.Trimesh, height_m: float) -> trimesh.Trimesh:
    """Scale to ``height_m``, base at z = 0, bounding-box centre on the z axis (in place)."""
    lo, hi = mesh.bounds
    scale = height_m / (hi[2] - lo[2])
    mesh.apply_translation([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    mesh.apply_scale(scale)
    return mesh


def decimate(mesh: trimesh.Trimesh, target_faces: int) -> trimesh.Trimesh:
    """``mesh`` with about ``target_faces`` faces (:func:`bridge.meshes.simplify`); colours from the nearest vertex."""
    pts, faces = simplify(mesh.vertices, mesh.faces, target_faces)
    out = trimesh.Trimesh(pts, faces, process=True)
    out.visual.vertex_colors = transfer_colours(out.vertices, mesh.vertices, np.asarray(mesh.visual.vertex_colors))
    return out


def save_ply(mesh: trimesh.Trimesh, path: Path) -> int:
    """Binary PLY with vertex normals and RGBA; returns the file size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = mesh.export(file_type="ply", encoding="binary", vertex_normal=True)
    path.write_bytes(data)
    return len(data)


def build_scan(src: Path, height_m: float, target_faces: int = SCAN_TARGET_FACES) -> trimesh.Trimesh:
    """A 3DHOP scan (y up) -> z-up, metres, decimated."""
    mesh = trimesh.load(src, process=False)
    mesh.apply_transform(Y_UP_TO_Z_UP)
    return normalise(decimate(mesh, target_faces), height_m)


def crop_lion(points: NDArray[np.float64], rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Mask (n,) of the lion and its carved base in the Takanawa cloud.

    Box found by eye on three orthographic views (cloud units, z up); green
    foliage removed by colour (g exceeds r and b by 12 levels of 255).
    """
    x, y, z = points.T
    box = (x > -3.95) & (x < -1.6) & (y > 2.55) & (y < 5.9) & (z > -2.15)
    r, g, b = (rgb[:, i].astype(int) for i in range(3))
    green = (g > r + 12) & (g > b + 12)
    return box & ~green


def remove_outliers(points: NDArray[np.float64], k: int = 8, n_std: float = 2.0) -> NDArray[np.bool_]:
    """Mask (n,) of points whose mean distance to their ``k`` neighbours is within ``n_std`` sigma."""
    d, _ = cKDTree(points).query(points, k=k + 1)
    m = d[:, 1:].mean(axis=1)
    return m < m.mean() + n_std * m.std()


def voxel_surface(points: NDArray[np.float64], voxel: float) -> trimesh.Trimesh:
    """Closed surface around a scanned shell of ``points`` (n, 3), by occupancy and marching cubes.

    Occupied voxels are dilated by 2 steps (bridging the scan's gaps), hollow
    insides filled, eroded by 1 step (the surface stays about one voxel
    proud), the field smoothed (Gaussian, 1 voxel) and contoured at 0.5. Faces come out
    consistently oriented, which Poisson on this cloud's noisy normals did not give.
    """
    from scipy import ndimage
    from skimage.measure import marching_cubes  # scikit-image, in the [dev] extra

    lo = points.min(axis=0) - 4 * voxel
    idx = np.floor((points - lo) / voxel).astype(int)
    shape = idx.max(axis=0) + 5
    occ = np.zeros(shape, bool)
    occ[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    ball = ndimage.generate_binary_structure(3, 1)
    occ = ndimage.binary_dilation(occ, structure=ball, iterations=2)
    occ = ndimage.binary_fill_holes(occ)
    occ = ndimage.binary_erosion(occ, structure=ball, iterations=1)
    field = ndimage.gaussian_filter(occ.astype(np.float32), sigma=1.0)
    verts, faces, _, _ = marching_cubes(field, level=0.5)
    mesh = trimesh.Trimesh(verts * voxel + lo, faces[:, ::-1], process=True)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def build_lion(src: Path, height_m: float, target_faces: int = LION_TARGET_FACES, voxel: float = 0.015) -> trimesh.Trimesh:
    """Crop the lion, remove outliers, voxel-mesh it, keep the largest piece, decimate, colour from the cloud."""
    cloud = trimesh.load(src, process=False)
    pts = np.asarray(cloud.vertices, float)
    rgba = np.asarray(cloud.colors, np.uint8)
    keep = crop_lion(pts, rgba)
    pts, rgba = pts[keep], rgba[keep]
    keep = remove_outliers(pts)
    pts, rgba = pts[keep], rgba[keep]
    tm = voxel_surface(pts, voxel)
    parts = tm.split(only_watertight=False)
    if len(parts):
        tm = max(parts, key=lambda p: len(p.faces))
    tm.visual.vertex_colors = transfer_colours(tm.vertices, pts, rgba, k=4)
    tm = decimate(tm, target_faces)
    tm.visual.vertex_colors = transfer_colours(tm.vertices, pts, rgba, k=4)
    return normalise(tm, height_m)


def voxel_downsample(points: NDArray[np.float64], rgb: NDArray[np.uint8], voxel: float) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    """One point per occupied ``voxel`` (m) cube: the mean position and mean colour of
    the points in it; returns (k, 3) float32 and (k, 3) uint8, in voxel order."""
    keys = np.floor((points - points.min(axis=0)) / voxel).astype(np.int64)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    xyz = np.zeros((len(counts), 3))
    col = np.zeros((len(counts), 3))
    np.add.at(xyz, inverse, points)
    np.add.at(col, inverse, rgb[:, :3].astype(float))
    return (xyz / counts[:, None]).astype(np.float32), (col / counts[:, None]).round().astype(np.uint8)


def save_points_ply(path: Path, xyz: NDArray[np.float32], rgb: NDArray[np.uint8], comment: str = "") -> int:
    """A binary little-endian PLY point cloud (float x y z, uchar red green blue); returns its size in bytes."""
    head = ["ply", "format binary_little_endian 1.0"]
    head += [f"comment {line}" for line in comment.splitlines() if line]
    head += [f"element vertex {len(xyz)}", "property float x", "property float y", "property float z",
             "property uchar red", "property uchar green", "property uchar blue", "end_header"]
    rec = np.zeros(len(xyz), dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("r", "u1"), ("g", "u1"), ("b", "u1")])
    rec["x"], rec["y"], rec["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    rec["r"], rec["g"], rec["b"] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    data = ("\n".join(head) + "\n").encode("ascii") + rec.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def build_room_scan(src: Path, out: Path, voxel: float = ROOM_SCAN_VOXEL_M) -> int:
    """The pump-room TLS scan (``e57-pump-room/pumpA.ply``), voxel-downsampled with its
    colours, in the scanner's own frame (the scene places it); returns bytes written."""
    cloud = trimesh.load(src, process=False)
    xyz, rgb = voxel_downsample(np.asarray(cloud.vertices, float), np.asarray(cloud.colors, np.uint8), voxel)
    size = save_points_ply(out, xyz, rgb, f"pumpA (e57-pump-room, MIT) voxel-downsampled to {voxel * 100:g} cm: "
                           "mean position and colour per voxel\nscanner-local frame, z up, metres")
    print(f"{out.stem}: {len(xyz)} points, {size / 1e6:.2f} MB")
    return size


def build_all(out_dir: Path, only: list[str] | None = None) -> dict[str, int]:
    """Write every mesh (or those named in ``only``) to ``out_dir``; returns name -> bytes."""
    heights = relic_heights()
    sizes: dict[str, int] = {}
    jobs = {
        "gargoyle": lambda h: build_scan(SHARED_DATA / "3dhop-gargoyle-laurana" / "gargo.ply", h),
        "laurana": lambda h: build_scan(SHARED_DATA / "3dhop-gargoyle-laurana" / "laurana.ply", h),
        "lion": lambda h: build_lion(SHARED_DATA / "potree-lion-takanawa" / "lion_takanawa.ply", h),
    }
    jobs.update({name: (lambda h, b=builder: normalise(b(h), h)) for name, builder in STANDINS.items()})
    for name, job in jobs.items():
        if only and name not in only:
            continue
        if name in ("gargoyle", "laurana", "lion") and not SHARED_DATA.is_dir():
            print(f"skip {name}: {SHARED_DATA} missing / 缺少原始数据", file=sys.stderr)
            continue
        mesh = job(heights.get(name, 0.5))
        sizes[name] = save_ply(mesh, out_dir / f"{name}.ply")
        print(f"{name}: {len(mesh.faces)} faces, {sizes[name] / 1e6:.2f} MB")
    room = SHARED_DATA / "e57-pump-room" / "pumpA.ply"
    if not only or "pump_room_scan" in only:
        if room.is_file():
            sizes["pump_room_scan"] = build_room_scan(room, out_dir / "pump_room_scan.ply")
        else:
            print(f"skip pump_room_scan: {room} missing / 缺少原始数据", file=sys.stderr)
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Rebuild assets/meshes / 重建文物网格")
    ap.add_argument("--only", nargs="*", help="mesh names (file stems)")
    ap.add_argument("--out", type=Path, default=assets_dir() / "meshes")
    args = ap.parse_args(argv)
    build_all(args.out, args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


BENCH_FACES = 50_000


def benchmark_mesh(out_dir: Path, height_m: float = 0.8) -> tuple[Path, int]:
    """A relic of about 50k faces for the kiosk benchmark (not in git); returns (path, faces).

    The original 50k-face gargoyle scan from ``../shared/data`` when present
    (turned z up and scaled like the committed mesh), else the committed
    18k-face gargoyle subdivided once (4x faces) and decimated back to 50k.
    """
    out = out_dir / "gargoyle-50k.ply"
    if out.is_file():
        return out, len(trimesh.load(out, process=False).faces)
    src = SHARED_DATA / "3dhop-gargoyle-laurana" / "gargo.ply"
    if src.is_file():
        mesh = trimesh.load(src, process=False)
        mesh.apply_transform(Y_UP_TO_Z_UP)
    else:
        small = trimesh.load(assets_dir() / "meshes" / "gargoyle.ply", process=False)
        rgba = np.asarray(small.visual.vertex_colors)
        v, f = trimesh.remesh.subdivide(small.vertices, small.faces)
        mesh = trimesh.Trimesh(v, f, process=False)
        mesh.visual.vertex_colors = transfer_colours(mesh.vertices, small.vertices, rgba, k=1)
        mesh = decimate(mesh, BENCH_FACES)
    normalise(mesh, height_m)
    save_ply(mesh, out)
    return out, len(mesh.faces)
