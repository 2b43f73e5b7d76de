"""Relic meshes as arrays: read, place in the relic's frame, decimate.

Pure numpy and trimesh, no Panda3D: the kiosk (``twin_engine/meshes.py``,
``relic_lod.py``) and the web exhibit (``bridge/exhibit``) share these, so
a relic has one frame and one set of levels of detail everywhere.

Mesh files under ``assets/meshes`` are z up (see ``assets/SOURCES.md``).
The model frame puts the relic's base at z = 0, its bounding-box centre on
the z axis, and scales it so its height is the relic's height in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

LOD_FAR_FACES = 2500
"""Faces of a relic's far level of detail: a relic a few dozen pixels tall in the
hall overview (``twin_engine/relic_lod.py``); also the floor of the web exhibit's budget."""


@dataclass(frozen=True)
class MeshArrays:
    """A triangle mesh as arrays: vertices (n, 3) float32, normals (n, 3) float32,
    colours (n, 4) uint8 RGBA, faces (m, 3) uint32."""

    vertices: NDArray[np.float32]
    normals: NDArray[np.float32]
    colours: NDArray[np.uint8]
    faces: NDArray[np.uint32]

    @property
    def bounds(self) -> NDArray[np.float64]:
        """(2, 3) min and max corner in file units."""
        return np.stack([self.vertices.min(axis=0), self.vertices.max(axis=0)]).astype(float)


def read_mesh(path: Path) -> MeshArrays:
    """Load a PLY (or any trimesh format) as arrays; grey where it has no colours."""
    import trimesh

    mesh: Any = trimesh.load(path, process=False, force="mesh")
    verts = np.asarray(mesh.vertices, np.float32)
    normals = np.asarray(mesh.vertex_normals, np.float32)
    colours = np.full((len(verts), 4), 200, np.uint8)
    if mesh.visual.kind == "vertex":
        colours = np.asarray(mesh.visual.vertex_colors, np.uint8)
    elif mesh.visual.kind == "face":
        colours = np.asarray(mesh.visual.face_colors, np.uint8)[np.argsort(mesh.faces.ravel()) // 3][: len(verts)]
    return MeshArrays(verts, normals, colours, np.asarray(mesh.faces, np.uint32))


def frame_transform(bounds: NDArray[np.float64], height_m: float) -> NDArray[np.float64]:
    """(4, 4) matrix (column vectors) from file coordinates to the model frame.

    bounds : (2, 3) min/max corner of the mesh in file units, z up.
    height_m : the relic's real height, m.
    """
    lo, hi = np.asarray(bounds, float)
    extent = hi[2] - lo[2]
    s = height_m / extent if extent > 0 else 1.0
    m = np.eye(4)
    m[:3, :3] *= s
    m[:3, 3] = -s * np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    return m


def simplify(points: NDArray, faces: NDArray, max_faces: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(points (m, 3) float32, faces (k, 3) int64) with at most about ``max_faces`` faces, by quadric
    edge collapse (Garland and Heckbert 1997, via ``fast_simplification``: 8x faster than open3d's on
    800k faces). Returned unchanged (as those types) when already small. Every decimation in the
    project (levels of detail, the web exhibit, scans, asset builds) goes through here."""
    if len(faces) <= max_faces:
        return np.asarray(points, np.float32), np.asarray(faces, np.int64)
    import fast_simplification  # type: ignore[import-untyped]

    pts, out = fast_simplification.simplify(np.asarray(points, np.float32), np.asarray(faces, np.int64),
                                            target_reduction=1.0 - max_faces / len(faces))
    return np.asarray(pts, np.float32), np.asarray(out, np.int64)


def transfer_colours(targets: NDArray, src: NDArray, src_colours: NDArray[np.uint8], k: int = 1) -> NDArray[np.uint8]:
    """Colour of each target point (n, 3): the mean colour (any number of channels) of its ``k``
    nearest ``src`` (m, 3) points."""
    from scipy.spatial import cKDTree  # type: ignore[import-untyped]

    _, idx = cKDTree(np.asarray(src, float)).query(np.asarray(targets, float), k=k, workers=-1)
    idx = np.asarray(idx).reshape(len(targets), -1)
    return np.asarray(src_colours)[idx].astype(float).mean(axis=1).round().astype(np.uint8)


def decimate(arrays: MeshArrays, max_faces: int) -> MeshArrays:
    """``arrays`` reduced to at most about ``max_faces`` faces (:func:`simplify`); colours from the
    nearest original vertex, normals recomputed. Returned unchanged if small."""
    if len(arrays.faces) <= max_faces:
        return arrays
    import trimesh

    pts, faces = simplify(arrays.vertices, arrays.faces, max_faces)
    mesh = trimesh.Trimesh(pts, faces, process=False)
    return MeshArrays(
        vertices=pts,
        normals=np.asarray(mesh.vertex_normals, np.float32),
        colours=transfer_colours(pts, arrays.vertices, arrays.colours),
        faces=np.asarray(faces, np.uint32),
    )
