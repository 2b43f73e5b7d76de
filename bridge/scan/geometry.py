"""Geometry shared by the relic and hall pipelines: rotations, clean-up, decimation, colour transfer.

Arrays: points (n, 3) float64, colours (n, 3) uint8 RGB, faces (m, 3) int64.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from numpy.typing import NDArray

from bridge.meshes import simplify, transfer_colours

AXES = {"x": (1.0, 0, 0), "-x": (-1.0, 0, 0), "y": (0, 1.0, 0), "-y": (0, -1.0, 0), "z": (0, 0, 1.0), "-z": (0, 0, -1.0)}
"""Names a user may give for a file's up axis."""


def rotation_to_z(up: NDArray[np.float64]) -> NDArray[np.float64]:
    """(3, 3) rotation taking unit vector ``up`` (3,) to +z by the shortest arc (Rodrigues)."""
    u = np.asarray(up, float) / np.linalg.norm(up)
    z = np.array([0.0, 0.0, 1.0])
    c = float(u @ z)
    if c > 1 - 1e-12:
        return np.eye(3)
    if c < -1 + 1e-12:
        return np.diag([1.0, -1.0, -1.0])  # half turn about x
    v = np.cross(u, z)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


def rotation_about_z(deg: float) -> NDArray[np.float64]:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def o3d_mesh(points: NDArray, faces: NDArray, colours: NDArray[np.uint8] | None = None):  # -> o3d TriangleMesh
    import open3d as o3d

    m = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(points, float)),
                                  o3d.utility.Vector3iVector(np.asarray(faces, np.int32)))
    if colours is not None:
        m.vertex_colors = o3d.utility.Vector3dVector(np.asarray(colours, float) / 255.0)
    return m


def o3d_cloud(points: NDArray, colours: NDArray[np.uint8] | None = None):  # -> o3d PointCloud
    import open3d as o3d

    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(points, float)))
    if colours is not None:
        pc.colors = o3d.utility.Vector3dVector(np.asarray(colours, float) / 255.0)
    return pc


def mesh_arrays(m) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.uint8] | None]:
    """(points, faces, colours or None) of an open3d ``TriangleMesh``."""
    cols = (np.asarray(m.vertex_colors) * 255).round().astype(np.uint8) if m.has_vertex_colors() else None
    return np.asarray(m.vertices, float), np.asarray(m.triangles, np.int64), cols


def clean_mesh(points: NDArray, faces: NDArray, colours: NDArray[np.uint8] | None,
               min_piece: float = 0.01) -> tuple[NDArray, NDArray, NDArray | None, str]:
    """Merge duplicate vertices, drop degenerate faces and loose pieces holding less than
    ``min_piece`` of the surface area (scanning debris); returns arrays and a note."""
    m = o3d_mesh(points, faces, colours)
    m.remove_duplicated_vertices()
    m.remove_degenerate_triangles()
    m.remove_duplicated_triangles()
    n0 = len(m.triangles)
    labels, counts, areas = m.cluster_connected_triangles()
    labels, areas = np.asarray(labels), np.asarray(areas)
    small = areas < min_piece * areas.sum()
    dropped = int(small.sum())
    if dropped:
        m.remove_triangles_by_mask(small[labels])
    m.remove_unreferenced_vertices()
    p, f, c = mesh_arrays(m)
    note = f"{dropped} loose piece(s) under {min_piece:.0%} of the area removed ({n0 - len(f)} faces)" if dropped else \
        "no loose pieces"
    return p, f, c, note


def remove_outliers(points: NDArray, colours: NDArray[np.uint8] | None, neighbours: int = 20,
                    std_ratio: float = 2.0) -> tuple[NDArray, NDArray | None, str]:
    """Statistical outlier removal (open3d): drop points whose mean distance to their
    ``neighbours`` nearest is more than ``std_ratio`` sigma above the mean."""
    pc = o3d_cloud(points, None)
    _, keep = pc.remove_statistical_outlier(nb_neighbors=neighbours, std_ratio=std_ratio)
    keep = np.asarray(keep, np.int64)
    note = f"{len(points) - len(keep)} outlier points removed (mean {neighbours}-neighbour distance > mean + {std_ratio:g} sigma)"
    return points[keep], None if colours is None else colours[keep], note


def decimate(points: NDArray, faces: NDArray, colours: NDArray[np.uint8] | None,
             max_faces: int) -> tuple[NDArray, NDArray, NDArray | None]:
    """(points float64, faces, colours) with at most about ``max_faces`` faces (:func:`bridge.meshes.simplify`);
    colours from the nearest original vertex. Returned unchanged when already small."""
    if len(faces) <= max_faces:
        return points, faces, colours
    pts, f = simplify(points, faces, max_faces)
    return pts.astype(float), f, transfer_colours(pts, points, colours) if colours is not None else None


def vertex_normals(points: NDArray, faces: NDArray) -> NDArray[np.float64]:
    """(n, 3) unit vertex normals, area-weighted from the faces."""
    tri = points[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    vn = np.zeros_like(points)
    for j in range(3):
        np.add.at(vn, faces[:, j], fn)
    norm = np.linalg.norm(vn, axis=1, keepdims=True)
    return np.where(norm > 0, vn / np.maximum(norm, 1e-30), [0.0, 0.0, 1.0])


def tidy(points: NDArray, faces: NDArray, colours: NDArray[np.uint8] | None = None
         ) -> tuple[NDArray, NDArray, NDArray[np.uint8] | None]:
    """Drop zero-area faces and the vertices no face uses (viewers give such vertices no normal)."""
    tri = points[faces]
    area2 = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    scale = float(np.ptp(points, axis=0).max()) if len(points) else 1.0
    faces = faces[area2 > 1e-14 * scale * scale]
    used = np.unique(faces)
    remap = np.full(len(points), -1, np.int64)
    remap[used] = np.arange(len(used))
    return points[used], remap[faces], None if colours is None else colours[used]


@contextmanager
def native_output_to_stderr() -> Iterator[None]:
    """Send what C++ code prints on file descriptor 1 (open3d's Poisson reconstruction prints
    warnings there) to standard error, so that ``--json`` output on standard output stays clean."""
    import sys

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (an embedding host): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
