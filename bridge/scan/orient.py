"""Which way is up for a relic scan: the face it rests on.

An object put down on a flat surface rests on a face of its convex hull whose
plane lies under its centre of mass (the quasi-static stability test used for
resting poses, e.g. Goldberg et al. 1999 and trimesh's ``compute_stable_poses``).
A museum object is scanned as it stands, and stands on its largest such face
(a base, a foot ring, a plinth cut): :func:`resting_up` returns the opposite of
that face's outward normal. Coplanar hull facets are merged first, so a
round foot ring counts as one face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

HULL_SAMPLE = 20_000
"""Points the hull is computed on (a random subset; the hull of a scan barely changes)."""

COPLANAR_DEG = 3.0
"""Hull facets whose normals differ by less than this and whose planes lie within
``COPLANAR_TOL`` of the object's size are one face."""

COPLANAR_TOL = 0.01

MIN_TIP_DEG = 5.0
"""A face is a base only if the object must tilt at least this far to tip off it
(a cylinder on its side, a vase on its rim: less)."""

AXIS_DEG = 10.0
"""A base whose normal lies within this of a file axis is taken as that axis exactly."""

AXIS_WEIGHT = {"z": 1.0, "y": 0.8, "x": 0.6}
"""Exporters write z up (terrestrial scanners, photogrammetry PLY) or y up (glTF, OBJ from
phone apps, 3DHOP); a base along one of those wins over a somewhat larger one along x
or off-axis (0.3): a scan cut flat on one side (a cropped cloud) keeps its real base.
Set by hand on the project's scans: 3DHOP gargoyle and Laurana (y up), the Takanawa lion
and the stand-ins (z up)."""
OFF_AXIS_WEIGHT = 0.3


@dataclass(frozen=True)
class Base:
    """The face a scan rests on: ``up`` (3,) unit vector in file coordinates, its ``area``
    (file units²), the share of the hull's area, and how it was found."""

    up: NDArray[np.float64]
    area: float
    share: float
    how: str


def hull_faces(points: NDArray[np.float64]) -> list[tuple[NDArray, float, float, NDArray]]:
    """Coplanar groups of hull facets as (outward unit normal, offset, area, vertex indices into ``points``)."""
    from scipy.spatial import ConvexHull

    hull = ConvexHull(points)
    tri = points[hull.simplices]
    areas = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    normals, offsets = hull.equations[:, :3], -hull.equations[:, 3]
    size = float(np.ptp(points, axis=0).max())
    order = np.argsort(-areas)
    free = np.ones(len(areas), bool)
    groups = []
    cos_tol = np.cos(np.radians(COPLANAR_DEG))
    for i in order:
        if not free[i]:
            continue
        same = free & (normals @ normals[i] > cos_tol) & (np.abs(offsets - offsets[i]) < COPLANAR_TOL * size)
        free &= ~same
        w = areas[same]
        n = (normals[same] * w[:, None]).sum(axis=0)
        n /= np.linalg.norm(n)
        groups.append((n, float(offsets[i]), float(w.sum()), np.unique(hull.simplices[same])))
    return groups


def hull_centroid(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """(3,) centroid of the solid convex hull of ``points`` (uniform density)."""
    from scipy.spatial import ConvexHull

    hull = ConvexHull(points)
    c0 = points[hull.vertices].mean(axis=0)
    tet = points[hull.simplices] - c0
    vol = np.abs(np.einsum("ij,ij->i", tet[:, 0], np.cross(tet[:, 1], tet[:, 2]))) / 6.0
    cent = c0 + tet.sum(axis=1) / 4.0
    return (cent * vol[:, None]).sum(axis=0) / vol.sum()


def resting_up(points: NDArray[np.float64], seed: int = 0) -> Base:
    """The up direction of a scan (n, 3): the base it stands on.

    Candidates are hull faces it can rest on (tip angle >= ``MIN_TIP_DEG``); each scores its
    area times ``AXIS_WEIGHT`` of the file axis it lies along (``OFF_AXIS_WEIGHT`` if none).
    Without any, the direction of least spread (PCA) pointing away from the bulk.
    """
    pts = np.asarray(points, float)
    if len(pts) > HULL_SAMPLE:
        pts = pts[np.random.default_rng(seed).choice(len(pts), HULL_SAMPLE, replace=False)]
    groups = hull_faces(pts)
    com = hull_centroid(pts)
    total = sum(g[2] for g in groups)
    best: tuple[float, NDArray, float, str] | None = None
    for n, off, area, idx in groups:
        if len(idx) < 3:
            continue
        tip = tip_angle(com, n, off, pts[idx])
        if tip < MIN_TIP_DEG:
            continue
        up = -n
        axis = max(AXIS_NAMES, key=lambda k: float(up @ AXIS_VECTORS[k]))
        along = np.degrees(np.arccos(np.clip(up @ AXIS_VECTORS[axis], -1, 1))) < AXIS_DEG
        score = area * (AXIS_WEIGHT[axis[-1]] if along else OFF_AXIS_WEIGHT)
        if best is None or score > best[0]:
            how = f"base face of {area / total:.0%} of the hull, tips at {tip:.0f} deg"
            if along:
                up, how = AXIS_VECTORS[axis].copy(), how + f", along file {axis}"
            best = (score, up, area, how)
    if best is not None:
        return Base(best[1], best[2], best[2] / total, best[3])
    centred = pts - pts.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    up = vt[2] if np.median(centred @ vt[2]) < 0 else -vt[2]
    return Base(up, 0.0, 0.0, "no stable face; direction of least spread (PCA)")


AXIS_NAMES = ("x", "-x", "y", "-y", "z", "-z")
AXIS_VECTORS = {k: np.array(v, float) for k, v in zip(AXIS_NAMES, np.vstack([np.eye(3)[i] * s for i in range(3) for s in (1, -1)]), strict=True)}


def tip_angle(com: NDArray, n: NDArray, off: float, face_pts: NDArray) -> float:
    """Degrees the object must tilt before it tips off a face (unit outward normal ``n``, plane
    ``n·x = off``): atan(distance from the projected centre of mass to the face's nearest edge /
    height of the centre of mass above the face); negative when the centre overhangs."""
    from scipy.spatial import ConvexHull, QhullError

    a = np.cross(n, [1.0, 0, 0] if abs(n[0]) < 0.9 else [0, 1.0, 0])
    a /= np.linalg.norm(a)
    b = np.cross(n, a)
    try:
        h = ConvexHull(np.column_stack([face_pts @ a, face_pts @ b]))
    except (QhullError, ValueError):
        return -90.0
    p = np.array([com @ a, com @ b])
    margin = -float(np.max(h.equations[:, :2] @ p + h.equations[:, 2]))
    height = max(off - float(com @ n), 1e-12)
    return float(np.degrees(np.arctan2(margin, height)))
