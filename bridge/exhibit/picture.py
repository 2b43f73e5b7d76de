"""A still picture of a relic for the gallery and the viewer's poster, without a GPU.

The far level of detail (``bridge.meshes.LOD_FAR_FACES`` x 2) is drawn with
matplotlib's Agg renderer as flat-shaded polygons, back to front (painter's
algorithm), from a three-quarter view a little above the relic, lit by one
light from the upper left over an ambient floor.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bridge.meshes import LOD_FAR_FACES, MeshArrays, decimate

PICTURE_PX = 320
STAGE_RGB = (0xE6 / 255, 0xE0 / 255, 0xD5 / 255)  # --stage in exhibit.css
AZIMUTH_DEG, ELEVATION_DEG = -30.0, 12.0
LIGHT = np.array([-0.5, -0.6, 0.62])  # from the viewer's upper left, z up
AMBIENT = 0.38


def view_rotation(azimuth_deg: float = AZIMUTH_DEG, elevation_deg: float = ELEVATION_DEG) -> NDArray[np.float64]:
    """(3, 3) rotation from the model frame (z up, front -y) to view axes (x right, y up, z towards the viewer)."""
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    to_view = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])  # x, z up -> y, -y front -> +z
    rx = np.array([[1, 0, 0], [0, math.cos(e), -math.sin(e)], [0, math.sin(e), math.cos(e)]])
    return rx @ to_view @ rz


def render_picture(arrays: MeshArrays, frame: NDArray[np.float64], path: Path, size_px: int = PICTURE_PX) -> None:
    """Write a ``size_px`` square PNG of ``arrays`` placed by ``frame`` ((4, 4), file -> model frame)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    low = decimate(arrays, 2 * LOD_FAR_FACES)
    pts = low.vertices @ frame[:3, :3].T + frame[:3, 3]
    tri = pts[low.faces]  # (m, 3, 3)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    light = LIGHT / np.linalg.norm(LIGHT)
    rot = view_rotation()
    view_n = normals @ rot.T
    normals = np.where(view_n[:, 2:3] < 0, -normals, normals)  # two-sided: light the side facing us
    shade = AMBIENT + (1 - AMBIENT) * np.clip(normals @ light, 0, 1)
    rgb = low.colours[low.faces, :3].mean(axis=1) / 255.0 * shade[:, None]
    v = tri @ rot.T
    order = np.argsort(v[:, :, 2].mean(axis=1))  # far first
    xy = v[order][:, :, :2]
    lo, hi = xy.reshape(-1, 2).min(axis=0), xy.reshape(-1, 2).max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.08

    fig = Figure(figsize=(size_px / 100, size_px / 100), dpi=100, facecolor=STAGE_RGB)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_facecolor(STAGE_RGB)
    ax.add_collection(PolyCollection(list(xy), facecolors=np.clip(rgb[order], 0, 1), edgecolors="face", linewidths=0.3))
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(path, dpi=100, facecolor=STAGE_RGB)
