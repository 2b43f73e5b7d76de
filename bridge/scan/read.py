"""Any scan file -> :class:`Scan` (points, colours, faces), or a :class:`ScanError` saying why not.

| suffix | reader | notes |
|---|---|---|
| ``.ply`` | :mod:`bridge.scan.ply` (numpy) | ASCII or binary; faces or triangle strips; other elements skipped |
| ``.obj`` ``.stl`` ``.off`` ``.gltf`` ``.glb`` | trimesh | a texture is sampled into vertex colours |
| ``.pcd`` | open3d | ASCII, binary and compressed |
| ``.xyz`` ``.pts`` ``.txt`` ``.csv`` | numpy | columns x y z [intensity] [r g b]; a PTS count line is skipped |
| ``.e57`` | pye57 | every scan, its pose applied |
| ``.las`` ``.laz`` | laspy (lazrs for LAZ) | 16-bit colours shifted to 8 |

Every message is ``file: English | 中文``.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bridge.errors import ScanError
from bridge.scan import ply

MESH_SUFFIXES = (".obj", ".stl", ".off", ".gltf", ".glb")
TEXT_SUFFIXES = (".xyz", ".pts", ".txt", ".csv")
SUFFIXES = (".ply", *MESH_SUFFIXES, ".pcd", *TEXT_SUFFIXES, ".e57", ".las", ".laz")


@dataclass
class Scan:
    """A scan as arrays. points (n, 3) float64 in file units; colours (n, 3) uint8 RGB or None;
    faces (m, 3) int64 vertex indices or None (a point cloud); notes: what reading did."""

    path: Path
    kind: str
    points: NDArray[np.float64]
    colours: NDArray[np.uint8] | None = None
    faces: NDArray[np.int64] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_mesh(self) -> bool:
        return self.n_faces > 0

    @property
    def n_faces(self) -> int:
        return 0 if self.faces is None else len(self.faces)


def fail(path: Path, en: str, zh: str) -> ScanError:
    return ScanError(f"{path}: {en} | {zh}")


def read_scan(path: str | Path) -> Scan:
    """Read ``path`` by its suffix (table above); non-finite points and faces that use them are
    dropped (noted). Raises :class:`ScanError` naming the file and the reason."""
    path = Path(path)
    if not path.is_file():
        raise fail(path, "file not found", "文件不存在")
    if path.stat().st_size == 0:
        raise fail(path, "file is empty", "文件为空")
    suffix = path.suffix.lower()
    try:
        if suffix == ".ply":
            scan = _read_ply(path)
        elif suffix in MESH_SUFFIXES:
            scan = _read_trimesh(path)
        elif suffix == ".pcd":
            scan = _read_pcd(path)
        elif suffix in TEXT_SUFFIXES:
            scan = _read_text(path)
        elif suffix == ".e57":
            scan = _read_e57(path)
        elif suffix in (".las", ".laz"):
            scan = _read_las(path)
        else:
            raise fail(path, f"unknown scan format {suffix or '(no suffix)'!r}; readable: {', '.join(SUFFIXES)}",
                       "无法识别的扫描文件格式")
    except ScanError:
        raise
    except ply.PlyError as exc:
        raise ScanError(f"{path}: {exc}") from exc
    except MemoryError as exc:
        raise fail(path, "too large to read into memory", "文件过大，内存不足") from exc
    except Exception as exc:  # noqa: BLE001 - any library failure becomes a named, bilingual error
        raise fail(path, f"cannot be read as {suffix[1:].upper()} ({type(exc).__name__}: {exc})",
                   f"无法按 {suffix[1:].upper()} 格式读取") from exc
    return _checked(scan)


def _checked(scan: Scan) -> Scan:
    pts = np.asarray(scan.points, np.float64).reshape(-1, 3)
    ok = np.isfinite(pts).all(axis=1)
    if not ok.all():
        scan.notes.append(f"dropped {int((~ok).sum())} points with non-finite coordinates")
        keep = np.flatnonzero(ok)
        remap = np.full(len(pts), -1, np.int64)
        remap[keep] = np.arange(len(keep))
        if scan.faces is not None:
            f = remap[scan.faces]
            scan.faces = f[(f >= 0).all(axis=1)]
        pts = pts[ok]
        if scan.colours is not None:
            scan.colours = scan.colours[ok]
    if len(pts) == 0:
        raise fail(scan.path, "holds no points", "文件中没有任何点")
    if scan.faces is not None:
        f = np.asarray(scan.faces, np.int64).reshape(-1, 3)
        bad = (f < 0).any(axis=1) | (f >= len(pts)).any(axis=1)
        if bad.all() and len(f):
            raise fail(scan.path, f"every face refers to a vertex that does not exist (the file has {len(pts)})",
                       "所有面片都引用了不存在的顶点")
        if bad.any():
            scan.notes.append(f"dropped {int(bad.sum())} faces with vertex indices out of range")
        scan.faces = f[~bad] if len(f) else None
    if scan.colours is not None and len(scan.colours) != len(pts):
        scan.notes.append("colours ignored: not one per point")
        scan.colours = None
    if np.ptp(pts, axis=0).max() <= 0:
        raise fail(scan.path, "all points are at the same place", "所有点位于同一位置")
    scan.points = pts
    return scan


def _read_ply(path: Path) -> Scan:
    encoding, elements = ply.read_elements(path)
    vertex = elements.get("vertex")
    if vertex is None or not all(k in vertex for k in ("x", "y", "z")):
        raise fail(path, "has no vertex element with x, y, z", "缺少含 x、y、z 的 vertex 元素")
    pts = np.column_stack([np.asarray(vertex[k], np.float64) for k in ("x", "y", "z")])
    notes, faces = [], None
    face = elements.get("face")
    if face is not None:
        key = next((k for k in ("vertex_indices", "vertex_index") if k in face), None)
        if key is not None:
            faces = ply.polygons_to_triangles(face[key])
    strips = elements.get("tristrips")
    if strips is not None and "vertex_indices" in strips:
        tri = ply.strips_to_triangles(strips["vertex_indices"])
        notes.append(f"{len(strips['vertex_indices'])} triangle strip(s) -> {len(tri)} triangles")
        faces = tri if faces is None else np.concatenate([faces, tri])
    skipped = sorted(set(elements) - {"vertex", "face", "tristrips"})
    if skipped:
        notes.append("skipped element(s): " + ", ".join(skipped))
    kind = f"PLY ({encoding.replace('_', ' ')})"
    return Scan(path, kind, pts, ply.colours_of(vertex), faces if faces is not None and len(faces) else None, notes)


def _read_trimesh(path: Path) -> Scan:
    import trimesh

    geo = trimesh.load(path, process=False)
    if isinstance(geo, trimesh.Scene):
        parts = [g for g in geo.dump() if hasattr(g, "vertices")] if geo.geometry else []
        if not parts:
            raise fail(path, "holds no geometry", "文件中没有几何体")
        meshes = [p for p in parts if isinstance(p, trimesh.Trimesh)]
        geo = trimesh.util.concatenate(meshes) if meshes else parts[0]
    notes = []
    if isinstance(geo, trimesh.Trimesh) and len(geo.faces):
        colours = None
        visual = geo.visual
        if visual.kind == "texture":
            try:
                visual = visual.to_color()
                notes.append("texture sampled into vertex colours")
            except Exception:  # noqa: BLE001 - a texture that cannot be sampled leaves the mesh grey
                notes.append("texture could not be sampled; mesh left uncoloured")
                visual = None
        if visual is not None and visual.kind in ("vertex", "face"):
            colours = np.asarray(visual.vertex_colors, np.uint8)[:, :3]
        return Scan(path, path.suffix[1:].upper(), np.asarray(geo.vertices, float), colours,
                    np.asarray(geo.faces, np.int64), notes)
    colours = getattr(geo, "colors", None)
    colours = np.asarray(colours, np.uint8)[:, :3] if colours is not None and len(colours) else None
    return Scan(path, path.suffix[1:].upper() + " (points)", np.asarray(geo.vertices, float), colours, None, notes)


def _read_pcd(path: Path) -> Scan:
    import open3d as o3d

    o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)
    with redirect_stdout(io.StringIO()):
        pcd = o3d.io.read_point_cloud(str(path), format="pcd")
    if not pcd.has_points():
        head = path.read_bytes()[:512]
        why = "no FIELDS/DATA header" if b"DATA" not in head else "no x y z points could be decoded"
        raise fail(path, f"cannot be read as PCD ({why})", "无法按 PCD 格式读取")
    colours = (np.asarray(pcd.colors) * 255).round().astype(np.uint8) if pcd.has_colors() else None
    return Scan(path, "PCD", np.asarray(pcd.points, float), colours)


def _read_text(path: Path) -> Scan:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    rows = [ln.replace(",", " ").split() for ln in lines if ln.strip() and not ln.lstrip().startswith(("#", "//"))]
    if rows and len(rows[0]) == 1:
        rows = rows[1:]  # PTS: the first line is the point count
    if not rows:
        raise fail(path, "holds no points", "文件中没有任何点")
    k = len(rows[0])
    if k < 3:
        raise fail(path, f"line 1 has {k} columns; expected x y z [intensity] [r g b]", "每行至少需要 x y z 三列")
    good = [r[:k] for r in rows if len(r) >= k]
    if len(good) < len(rows):
        raise fail(path, f"{len(rows) - len(good)} line(s) have fewer than {k} columns", "部分行的列数不足")
    try:
        arr = np.array(good, dtype=float)
    except ValueError:
        raise fail(path, "a value is not a number", "含有非数字内容") from None
    colours = None
    if k >= 6:
        rgb = arr[:, k - 3:k]
        rgb = rgb * 255.0 if rgb.max(initial=0) <= 1.0 else rgb
        colours = np.clip(rgb, 0, 255).round().astype(np.uint8)
    return Scan(path, path.suffix[1:].upper(), arr[:, :3], colours)


def _read_e57(path: Path) -> Scan:
    try:
        import pye57
    except ImportError as exc:
        raise fail(path, "reading E57 needs pye57 (pip install pye57)", "读取 E57 需要安装 pye57") from exc
    e57 = pye57.E57(str(path))
    pts, cols, notes = [], [], []
    for i in range(e57.scan_count):
        data = e57.read_scan(i, colors=True, intensity=False, ignore_missing_fields=True, transform=True)
        xyz = np.column_stack([data["cartesianX"], data["cartesianY"], data["cartesianZ"]])
        pts.append(xyz)
        if "colorRed" in data:
            cols.append(np.column_stack([data["colorRed"], data["colorGreen"], data["colorBlue"]]))
    notes.append(f"{e57.scan_count} scan(s), poses applied")
    colours = np.concatenate(cols).astype(np.uint8) if len(cols) == len(pts) and cols else None
    return Scan(path, "E57", np.concatenate(pts) if pts else np.zeros((0, 3)), colours, None, notes)


def _read_las(path: Path) -> Scan:
    import laspy

    try:
        las = laspy.read(str(path))
    except laspy.errors.LaspyException as exc:
        if "backend" in str(exc).lower() or "laz" in str(exc).lower():
            raise fail(path, f"reading LAZ needs a LAZ backend (pip install 'laspy[lazrs]'): {exc}",
                       "读取 LAZ 需要安装 lazrs") from exc
        raise
    pts = np.column_stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)])
    colours = None
    dims = set(las.point_format.dimension_names)
    if {"red", "green", "blue"} <= dims:
        rgb = np.column_stack([np.asarray(las.red), np.asarray(las.green), np.asarray(las.blue)]).astype(float)
        colours = (rgb / 257.0 if rgb.max(initial=0) > 255 else rgb).round().astype(np.uint8)
    return Scan(path, f"LAS {las.header.version}" + (" (LAZ)" if path.suffix.lower() == ".laz" else ""), pts, colours)
