"""Relic meshes: PLY file -> Panda3D model, scaled to the relic's real height.

Mesh files under ``assets/meshes`` are z up (see ``assets/SOURCES.md``).
The model frame puts the relic's base at z = 0, its bounding-box centre on
the z axis, and scales it so its height is the relic's height in metres.
:func:`mesh_frame_transform` gives that map, so annotation anchors written
in the mesh file's own coordinates land on the model.

Converted geometry is cached as ``.bam`` under ``$RELIC_TWIN_CACHE`` (or
``~/.cache/relic-twin``), keyed by the SHA-256 of the PLY file; the cache
holds the geometry in file coordinates, the scale is applied on load.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridge.meshes import MeshArrays, frame_transform, read_mesh  # noqa: F401  (shared with the web exhibit)

CACHE_VERSION = "1"  # bump when the conversion changes


def cache_dir() -> Path:
    """Where converted meshes are kept: ``$RELIC_TWIN_CACHE`` or ``~/.cache/relic-twin``."""
    env = os.environ.get("RELIC_TWIN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "relic-twin"


def file_hash(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_points(path: Path) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    """The vertices of a PLY point cloud (or of any mesh, faces ignored) as (n, 3)
    float32 and their colours as (n, 4) uint8 RGBA; grey where it has none."""
    import trimesh

    geo = trimesh.load(path, process=False)
    xyz = np.asarray(geo.vertices, np.float32)
    rgba = np.full((len(xyz), 4), 200, np.uint8)
    colours = getattr(geo, "colors", None)
    if colours is None and getattr(geo, "visual", None) is not None and geo.visual.kind == "vertex":
        colours = geo.visual.vertex_colors
    if colours is not None and len(colours) == len(xyz):
        rgba = np.asarray(colours, np.uint8)
        if rgba.shape[1] == 3:
            rgba = np.concatenate([rgba, np.full((len(xyz), 1), 255, np.uint8)], axis=1)
    return xyz, rgba


def vertex_data(name: str, fmt: Any, xyz: NDArray, normals: NDArray | None, rgba: NDArray[np.uint8]) -> Any:
    """A static ``GeomVertexData`` of ``fmt`` filled from arrays in one copy per column.

    xyz, normals : (n, 3) float (normals only when ``fmt`` has them); rgba : (n, 4) uint8.
    The column layout is read from the format instead of assuming offsets.
    """
    from panda3d.core import Geom, GeomVertexData

    n = len(xyz)
    vdata = GeomVertexData(name, fmt, Geom.UH_static)
    vdata.unclean_set_num_rows(n)
    arr = vdata.modify_array(0)
    buf = np.frombuffer(memoryview(arr).cast("B"), dtype=np.uint8).reshape(n, arr.get_array_format().get_stride())
    columns = fmt.get_array(0)
    for column, values in (("vertex", xyz), ("normal", normals)):
        if values is not None:
            start = columns.get_column(column).get_start()
            buf[:, start:start + 12] = np.ascontiguousarray(values, np.float32).view(np.uint8).reshape(n, 12)
    ccol = columns.get_column("color")
    if ccol.get_numeric_type() == Geom.NT_packed_dabc:
        rgba = rgba[:, [2, 1, 0, 3]]  # packed DABC = B, G, R, A in memory
    buf[:, ccol.get_start():ccol.get_start() + 4] = rgba
    return vdata


def make_points_node(name: str, xyz: NDArray[np.float32], rgba: NDArray[np.uint8]) -> Any:
    """A Panda3D ``GeomNode`` of one ``GeomPoints`` with a colour per point (no normals:
    render it with lighting off)."""
    from panda3d.core import Geom, GeomNode, GeomPoints, GeomVertexFormat

    vdata = vertex_data(name, GeomVertexFormat.get_v3c4(), xyz, None, rgba)
    points = GeomPoints(Geom.UH_static)
    points.add_consecutive_vertices(0, len(xyz))
    geom = Geom(vdata)
    geom.add_primitive(points)
    node = GeomNode(name)
    node.add_geom(geom)
    return node


def mesh_frame_transform(path: Path, height_m: float) -> NDArray[np.float64]:
    """(4, 4) map from ``path``'s own coordinates to the model that :func:`load_relic_model` returns."""
    return frame_transform(read_mesh(Path(path)).bounds, height_m)


def apply_transform(m: NDArray[np.float64], points: NDArray[np.float64], *, vectors: bool = False) -> NDArray[np.float64]:
    """Apply (4, 4) ``m`` to points (n, 3) (or direction ``vectors``, not translated, re-normalised)."""
    p = np.atleast_2d(np.asarray(points, float))
    if vectors:
        out = p @ np.linalg.inv(m[:3, :3])  # normals transform by the inverse transpose
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-30)  # a zero normal stays zero
    return p @ m[:3, :3].T + m[:3, 3]


def make_geom_node(name: str, arrays: MeshArrays) -> Any:
    """A Panda3D ``GeomNode`` with position, normal and colour columns."""
    from panda3d.core import Geom, GeomNode, GeomTriangles, GeomVertexFormat

    vdata = vertex_data(name, GeomVertexFormat.get_v3n3c4(), arrays.vertices, arrays.normals, arrays.colours)
    tris = GeomTriangles(Geom.UH_static)
    tris.set_index_type(Geom.NT_uint32)
    idx = tris.modify_vertices()
    idx.unclean_set_num_rows(arrays.faces.size)
    np.frombuffer(memoryview(idx).cast("B"), dtype=np.uint32)[:] = arrays.faces.ravel()
    geom = Geom(vdata)
    geom.add_primitive(tris)
    node = GeomNode(name)
    node.add_geom(geom)
    return node


def _cached_geom(path: Path) -> tuple[Any, NDArray[np.float64]]:
    """GeomNode in file coordinates plus its bounds, from the .bam cache or converted now."""
    from panda3d.core import BamFile, Filename, NodePath

    digest = file_hash(path)
    bam = cache_dir() / f"{path.stem}-{digest[:20]}-v{CACHE_VERSION}.bam"
    if bam.is_file():
        try:
            bf = BamFile()
            if bf.open_read(Filename.from_os_specific(str(bam))):
                node = bf.read_node()
                bf.close()
                if node is not None:
                    np_ = NodePath(node)
                    lo, hi = np_.get_tight_bounds()
                    return np_, np.array([list(lo), list(hi)], float)
        except Exception:  # noqa: BLE001 - a corrupt cache entry is rebuilt
            pass
    arrays = read_mesh(path)
    np_ = NodePath(make_geom_node(path.stem, arrays))
    try:
        bam.parent.mkdir(parents=True, exist_ok=True)
        np_.write_bam_file(Filename.from_os_specific(str(bam)))
    except OSError:
        pass  # a read-only home still renders
    return np_, arrays.bounds


def load_relic_model(path: Path, height_m: float, loader: Any = None) -> Any:
    """A ``NodePath`` for the relic mesh at ``path``, ``height_m`` tall, base at z = 0.

    The returned node is the model root (identity transform); its single
    child carries :func:`mesh_frame_transform`. ``loader`` is accepted for
    the app shell's symmetry and not needed: the cache is read directly.
    """
    from panda3d.core import LMatrix4f, NodePath

    geom, bounds = _cached_geom(Path(path))
    root = NodePath(f"relic:{Path(path).stem}")
    geom.reparent_to(root)
    m = frame_transform(bounds, height_m)
    geom.set_mat(LMatrix4f(*m.T.ravel().tolist()))  # Panda3D matrices are row-vector, so transpose
    root.set_python_tag("frame_transform", m)
    return root


def warm_cache(path: Path) -> None:
    """Convert the mesh at ``path`` and its hall copy into the ``.bam`` cache now (1.4 s for a
    50k-face relic), so that the kiosk's and the monitor's first start read them in 0.06 s."""
    from twin_engine.relic_lod import low_poly_geom

    _cached_geom(Path(path))
    low_poly_geom(Path(path), 2500)
