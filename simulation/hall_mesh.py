"""Floor plan polygon -> masked square grid and its FiPy mesh.

The hall is meshed as a FiPy ``Grid2D`` over the floor's bounding box;
cells whose centre lies outside the floor polygon are *masked*: the
climate model gives them zero diffusivity on every face they share, so
they never exchange with the hall (a masked grid, not a Gmsh mesh: exact
for rectangular halls, a staircase of ``cell_m`` along slanted walls).

Cell order is FiPy's: index ``i = ix + nx * iy`` (x fastest). All lengths
are metres in the hall frame (x east, y north, origin at a floor corner).
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from types import ModuleType

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class HallGrid:
    """A square grid over the floor's bounding box, with the floor mask.

    origin : (2,) m, lower-left corner of the grid; cell_m : edge, m;
    nx, ny : cells along x and y; inside : (nx*ny,) bool, cell centre on
    the floor.
    """

    origin: NDArray[np.float64]
    cell_m: float
    nx: int
    ny: int
    inside: NDArray[np.bool_]

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def centres(self) -> NDArray[np.float64]:
        """(nx*ny, 2) m, cell centres in FiPy order."""
        ix, iy = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        x = self.origin[0] + (ix.ravel() + 0.5) * self.cell_m
        y = self.origin[1] + (iy.ravel() + 0.5) * self.cell_m
        return np.column_stack([x, y])

    def cell_at(self, xy: NDArray[np.float64]) -> int:
        """Index of the inside cell nearest to point ``xy`` (2,) m."""
        c = self.centres
        d2 = np.sum((c - np.asarray(xy, dtype=float)[:2]) ** 2, axis=1)
        d2[~self.inside] = np.inf
        return int(np.argmin(d2))

    def as_image(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """(nx*ny,) cell values -> (ny, nx) image, NaN outside the floor (row 0 = south)."""
        img = np.where(self.inside, values, np.nan)
        return img.reshape(self.ny, self.nx)


def points_in_polygon(points: NDArray[np.float64], poly: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Even-odd rule for many points.

    points : (n, 2) m; poly : (k, 2) m, open (last != first)  ->  (n,) bool
    """
    px, py = points[:, 0][:, None], points[:, 1][:, None]
    x1, y1 = poly[:, 0][None, :], poly[:, 1][None, :]
    x2, y2 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    crosses = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    hits = crosses & (px < xc)
    return (np.count_nonzero(hits, axis=1) % 2) == 1


def grid_from_polygon(floor: NDArray[np.float64], cell_m: float = 0.25) -> HallGrid:
    """Mask a square grid of ``cell_m`` over the floor polygon.

    floor : (k, 2) m, open polygon; cell_m : m  ->  HallGrid
    """
    floor = np.asarray(floor, dtype=float)
    lo, hi = floor.min(axis=0), floor.max(axis=0)
    nx = max(1, int(np.ceil((hi[0] - lo[0]) / cell_m - 1e-9)))
    ny = max(1, int(np.ceil((hi[1] - lo[1]) / cell_m - 1e-9)))
    probe = HallGrid(origin=lo, cell_m=cell_m, nx=nx, ny=ny, inside=np.ones(nx * ny, bool))
    inside = points_in_polygon(probe.centres, floor)
    if not inside.any():
        raise ValueError("floor polygon covers no grid cell; use a finer cell_m")
    return HallGrid(origin=lo, cell_m=cell_m, nx=nx, ny=ny, inside=inside)


def load_fipy(module: str = "fipy") -> ModuleType:
    """Import FiPy (or one of its submodules) when first needed.

    FiPy 4.0 touches ``numpy.core`` at import, which NumPy 2 deprecates; that one
    warning is silenced here so that test runs with ``-W error`` stay meaningful.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="numpy.core is deprecated", category=DeprecationWarning)
        return importlib.import_module(module)


def fipy_mesh(grid: HallGrid):  # -> fipy.Grid2D (fipy imported lazily: it is slow to import)
    """The FiPy ``Grid2D`` of ``grid``, placed at ``grid.origin``."""
    mesh = load_fipy().Grid2D(nx=grid.nx, ny=grid.ny, dx=grid.cell_m, dy=grid.cell_m)
    return mesh + ((float(grid.origin[0]),), (float(grid.origin[1]),))


def open_face_mask(grid: HallGrid, mesh) -> NDArray[np.bool_]:
    """(n_faces,) bool: faces between two inside cells (the others are walls)."""
    ids = np.asarray(mesh.faceCellIDs)
    a = ids[0].filled(-1) if np.ma.isMaskedArray(ids[0]) else ids[0]
    b = ids[1].filled(-1) if np.ma.isMaskedArray(ids[1]) else ids[1]
    a, b = np.asarray(a), np.asarray(b)
    ok = (a >= 0) & (b >= 0)
    out = np.zeros(len(a), bool)
    out[ok] = grid.inside[a[ok]] & grid.inside[b[ok]]
    return out


def wall_length(grid: HallGrid) -> NDArray[np.float64]:
    """(nx*ny,) m of exterior wall bounding each inside cell (0 for interior cells)."""
    ins = grid.inside.reshape(grid.ny, grid.nx)
    padded = np.pad(ins, 1, constant_values=False)
    n_out = (
        (~padded[1:-1, :-2]).astype(int) + (~padded[1:-1, 2:]) + (~padded[:-2, 1:-1]) + (~padded[2:, 1:-1])
    )
    return np.where(ins, n_out * grid.cell_m, 0.0).ravel()


def cells_near_segment(grid: HallGrid, a: NDArray[np.float64], b: NDArray[np.float64], depth_m: float) -> NDArray[np.intp]:
    """Inside cells whose centre lies within ``depth_m`` of segment a-b (2,) m.

    At least the one cell nearest to the segment's midpoint is returned.
    """
    a, b = np.asarray(a, float)[:2], np.asarray(b, float)[:2]
    c = grid.centres
    ab = b - a
    s = np.clip(((c - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    d = np.linalg.norm(c - (a + s[:, None] * ab), axis=1)
    hit = np.flatnonzero(grid.inside & (d <= depth_m))
    return hit if len(hit) else np.array([grid.cell_at(0.5 * (a + b))])


def cells_near_point(grid: HallGrid, xy: NDArray[np.float64], radius_m: float) -> NDArray[np.intp]:
    """Inside cells within ``radius_m`` of ``xy`` (2,) m; at least the nearest one."""
    d = np.linalg.norm(grid.centres - np.asarray(xy, float)[:2], axis=1)
    hit = np.flatnonzero(grid.inside & (d <= radius_m))
    return hit if len(hit) else np.array([grid.cell_at(xy)])


def cells_in_polygon(grid: HallGrid, poly: NDArray[np.float64]) -> NDArray[np.intp]:
    """Inside cells whose centre lies in ``poly`` (k, 2) m; at least the one nearest its centroid."""
    hit = np.flatnonzero(grid.inside & points_in_polygon(grid.centres, np.asarray(poly, float)))
    return hit if len(hit) else np.array([grid.cell_at(np.asarray(poly, float).mean(axis=0))])
