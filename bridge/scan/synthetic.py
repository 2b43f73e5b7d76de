"""Synthetic scans with known answers, for tests and benchmarks (no randomness beyond ``seed``).

:func:`box_room`: the walls, floor and ceiling of a w x d x h room sampled as a point cloud,
turned and moved in the file; :func:`bottle`: a closed bottle-shaped solid sampled on its
surface, lying on its side, in millimetres.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def box_room(w: float = 6.0, d: float = 4.0, h: float = 3.0, n: int = 200_000, *, floor: bool = True,
             ceiling: bool = True, noise_m: float = 0.005, turn_deg: float = 20.0,
             offset: tuple[float, float, float] = (1.3, -2.1, -1.5), clutter: int = 0,
             seed: int = 0) -> NDArray[np.float64]:
    """(n, 3) points on the inside surfaces of a box room [0, w] x [0, d] x [0, h] m, with Gaussian
    ``noise_m``, optional floor and ceiling, ``clutter`` points of boxes standing in it; then turned
    ``turn_deg`` about z and moved by ``offset`` (so the floor is at z = offset[2])."""
    rng = np.random.default_rng(seed)
    faces = [("x0", d * h), ("x1", d * h), ("y0", w * h), ("y1", w * h)]
    if floor:
        faces.append(("z0", w * d))
    if ceiling:
        faces.append(("z1", w * d))
    area = np.array([a for _, a in faces])
    counts = rng.multinomial(n - clutter, area / area.sum())
    parts = []
    for (name, _), k in zip(faces, counts, strict=True):
        u = rng.random((k, 3)) * [w, d, h]
        axis, side = "xyz".index(name[0]), int(name[1])
        u[:, axis] = side * [w, d, h][axis]
        parts.append(u)
    if clutter:
        # three cabinets against the walls and a case in the middle
        boxes = [((0.0, 0.5, 0.0), (0.6, 2.0, 2.0)), ((w - 0.8, 0.2, 0.0), (w, 1.2, 1.2)),
                 ((2.0, d - 0.5, 0.0), (3.5, d, 1.8)), ((w / 2 - 0.5, d / 2 - 0.4, 0.0), (w / 2 + 0.5, d / 2 + 0.4, 1.0))]
        per = clutter // len(boxes)
        for corner_lo, corner_hi in boxes:
            lo, hi = np.array(corner_lo), np.array(corner_hi)
            u = lo + rng.random((per, 3)) * (hi - lo)
            faces_axis = rng.integers(0, 3, per)
            top = np.where(faces_axis == 2, 1, rng.integers(0, 2, per))  # a box's underside is never scanned
            u[np.arange(per), faces_axis] = np.where(top, hi[faces_axis], lo[faces_axis])
            parts.append(u)
    pts = np.concatenate(parts) + rng.normal(0, noise_m, (sum(len(p) for p in parts), 3))
    c, s = np.cos(np.radians(turn_deg)), np.sin(np.radians(turn_deg))
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    return pts @ rot.T + np.asarray(offset)


def bottle(n: int = 60_000, *, height_mm: float = 300.0, seed: int = 0) -> NDArray[np.float64]:
    """(n, 3) mm: points on a bottle (flat base of radius 80 mm, body, shoulder, neck of radius 25 mm
    and a flat lip) of ``height_mm``, lying on its side: its axis along file +x, base at x = 0."""
    rng = np.random.default_rng(seed)
    z = np.linspace(0, height_mm, 400)
    r = np.where(z < 0.6 * height_mm, 80.0, 80.0 - 55.0 * np.clip((z - 0.6 * height_mm) / (0.2 * height_mm), 0, 1))
    # side area per slice ~ 2 pi r dz; caps pi r^2
    side_w = r * np.gradient(z)
    caps = np.array([80.0 ** 2 / 2, 25.0 ** 2 / 2])
    total = side_w.sum() + caps.sum()
    k_side = int(n * side_w.sum() / total)
    k_base = int(n * caps[0] / total)
    k_lip = n - k_side - k_base
    zi = rng.choice(len(z), k_side, p=side_w / side_w.sum())
    th = rng.random(k_side) * 2 * np.pi
    side = np.column_stack([r[zi] * np.cos(th), r[zi] * np.sin(th), z[zi]])

    def disc(k: int, radius: float, at: float) -> NDArray:
        rr, t = radius * np.sqrt(rng.random(k)), rng.random(k) * 2 * np.pi
        return np.column_stack([rr * np.cos(t), rr * np.sin(t), np.full(k, at)])

    pts = np.concatenate([side, disc(k_base, 80.0, 0.0), disc(k_lip, 25.0, height_mm)])
    pts += rng.normal(0, 0.2, pts.shape)
    return pts[:, [2, 0, 1]]  # axis z -> file x: lying on its side, 80 mm above "the table" z
