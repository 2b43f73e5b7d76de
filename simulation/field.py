"""Field interpolation: sensor values spread over a floor grid.

The monitor colours the floor of a hall from a handful of point readings.
Inverse-distance weighting (Shepard 1968, "A two-dimensional interpolation
function for irregularly-spaced data", Proc. 23rd ACM National Conference,
517-524) is exact at the sensors, bounded by their values and needs no
fitting, which is what a live display wants; kriging or the FiPy climate
model can replace it behind the same function later.

Besides the value, each grid cell gets the distance to the nearest *fresh*
sensor, which the display turns into uncertainty shading, and the id of
the nearest sensor of any freshness, so that the area a stale or flagged
sensor stands for (its Voronoi cell) can be greyed out.

All coordinates are metres in the hall frame (x east, y north). Grids are
indexed ``[row, column] = [y, x]``, row 0 at the south edge (``ymin``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IDW_POWER = 2.0
"""Shepard's exponent; 2 is his choice and the common default."""


@dataclass(frozen=True)
class FloorGrid:
    """Cell centres over a floor polygon's bounding box.

    xs : (nx,) float, m, cell-centre x; ys : (ny,) float, m, cell-centre y.
    mask : (ny, nx) bool, True where the cell centre lies in the floor.
    cell_m : float, m, cell edge length.
    origin : (xmin, ymin) of the grid's lower-left corner, m.
    """

    xs: NDArray[np.float64]
    ys: NDArray[np.float64]
    mask: NDArray[np.bool_]
    cell_m: float
    origin: tuple[float, float]

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx)."""
        return (len(self.ys), len(self.xs))

    @property
    def points(self) -> NDArray[np.float64]:
        """(ny * nx, 2) cell centres, m, row-major (y outer, x inner)."""
        gx, gy = np.meshgrid(self.xs, self.ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the grid's outer edges, m."""
        x0, y0 = self.origin
        return x0, y0, x0 + self.cell_m * len(self.xs), y0 + self.cell_m * len(self.ys)

    def cell_of(self, xy: NDArray[np.float64]) -> tuple[int, int]:
        """(row, column) of the cell holding point ``xy`` (2,), m, clipped to the grid."""
        col = int(np.clip((xy[0] - self.origin[0]) // self.cell_m, 0, len(self.xs) - 1))
        row = int(np.clip((xy[1] - self.origin[1]) // self.cell_m, 0, len(self.ys) - 1))
        return row, col


def polygon_mask(polygon: NDArray[np.float64], xy: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Even-odd inside test of many points.

    polygon : (n, 2) float, m, open (last vertex not repeated).
    xy : (m, 2) float, m.
    Returns (m,) bool.
    """
    px, py = xy[:, 0], xy[:, 1]
    inside = np.zeros(len(xy), dtype=bool)
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        crosses = (y1 > py) != (y2 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (px < xc)
    return inside


def floor_grid(polygon: NDArray[np.float64], cell_m: float = 0.1) -> FloorGrid:
    """A grid of ``cell_m`` cells covering ``polygon`` (n, 2) m, with its inside mask."""
    lo, hi = polygon.min(axis=0), polygon.max(axis=0)
    nx = max(1, int(np.ceil((hi[0] - lo[0]) / cell_m - 1e-9)))
    ny = max(1, int(np.ceil((hi[1] - lo[1]) / cell_m - 1e-9)))
    xs = lo[0] + (np.arange(nx) + 0.5) * cell_m
    ys = lo[1] + (np.arange(ny) + 0.5) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    mask = polygon_mask(polygon, np.column_stack([gx.ravel(), gy.ravel()])).reshape(ny, nx)
    return FloorGrid(xs=xs, ys=ys, mask=mask, cell_m=float(cell_m), origin=(float(lo[0]), float(lo[1])))


def pairwise_distance(points: NDArray[np.float64], xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Euclidean distances, m: points (k, 2), xy (m, 2) -> (m, k)."""
    d = xy[:, None, :] - points[None, :, :]
    return np.sqrt(np.einsum("mkc,mkc->mk", d, d))


def idw(points: NDArray[np.float64], values: NDArray[np.float64], xy: NDArray[np.float64],
        power: float = IDW_POWER) -> NDArray[np.float64]:
    """Inverse-distance-weighted values at ``xy``.

    points : (k, 2) float, m, sensor positions; values : (k,) float, any unit.
    xy : (m, 2) float, m, where to estimate.
    Returns (m,) float in the unit of ``values``; exact at a sensor's point,
    NaN everywhere when ``k == 0``.
    """
    if len(points) == 0:
        return np.full(len(xy), np.nan)
    return idw_from_distance(pairwise_distance(points, xy), values, power)


def idw_weights(dist: NDArray[np.float64], power: float = IDW_POWER) -> NDArray[np.float64]:
    """(m, k) Shepard weights from distances ``dist`` (m, k) m, each row summing to 1;
    ``weights @ values`` is the IDW estimate (a caller may cache the weights)."""
    w = 1.0 / np.maximum(dist, 1e-12) ** power
    return w / w.sum(axis=1, keepdims=True)


def idw_from_distance(dist: NDArray[np.float64], values: NDArray[np.float64],
                      power: float = IDW_POWER) -> NDArray[np.float64]:
    """IDW from a precomputed distance matrix ``dist`` (m, k) m and ``values`` (k,)."""
    if dist.shape[1] == 0:
        return np.full(dist.shape[0], np.nan)
    return idw_weights(dist, power) @ values


@dataclass(frozen=True)
class FieldEstimate:
    """The field over a :class:`FloorGrid` for one quantity.

    value : (ny, nx) float, the quantity's unit; NaN outside the floor or
        where no fresh sensor reports the quantity.
    fresh_distance : (ny, nx) float, m, distance to the nearest fresh sensor
        (inf when there is none).
    nearest : (ny, nx) int, index into the ``sensor_ids`` given to
        :func:`estimate_field` of the nearest sensor regardless of freshness
        (-1 when there are no sensors).
    unreliable : (ny, nx) bool, cells whose nearest sensor is stale or flagged.
    """

    value: NDArray[np.float64]
    fresh_distance: NDArray[np.float64]
    nearest: NDArray[np.int64]
    unreliable: NDArray[np.bool_]


def estimate_field(grid: FloorGrid, positions: NDArray[np.float64], values: NDArray[np.float64],
                   fresh: NDArray[np.bool_], power: float = IDW_POWER,
                   dist: NDArray[np.float64] | None = None) -> FieldEstimate:
    """Interpolate sensor readings over the floor.

    grid : the floor grid.
    positions : (k, 2) float, m, sensor floor positions (every sensor that
        measures the quantity, fresh or not).
    values : (k,) float, the quantity's unit; ignored where not ``fresh``.
    fresh : (k,) bool, True for a fresh reading of quality "ok".
    dist : optional (ny * nx, k) float, m, ``pairwise_distance(positions,
        grid.points)`` computed once by a caller that updates often.
    Returns a :class:`FieldEstimate`; only fresh sensors feed ``value``.
    """
    ny, nx = grid.shape
    positions = np.asarray(positions, dtype=float).reshape(-1, 2)
    values = np.asarray(values, dtype=float).reshape(-1)
    fresh = np.asarray(fresh, dtype=bool).reshape(-1) & np.isfinite(values)
    if len(positions) == 0:
        nan = np.full((ny, nx), np.nan)
        return FieldEstimate(nan, np.full((ny, nx), np.inf), np.full((ny, nx), -1, dtype=np.int64),
                             np.zeros((ny, nx), dtype=bool))
    if dist is None:
        dist = pairwise_distance(positions, grid.points)
    nearest = np.argmin(dist, axis=1)
    if fresh.any():
        value = idw_from_distance(dist[:, fresh], values[fresh], power)
        fresh_distance = dist[:, fresh].min(axis=1)
    else:
        value = np.full(dist.shape[0], np.nan)
        fresh_distance = np.full(dist.shape[0], np.inf)
    value[~grid.mask.ravel()] = np.nan
    return FieldEstimate(
        value=value.reshape(ny, nx),
        fresh_distance=fresh_distance.reshape(ny, nx),
        nearest=nearest.reshape(ny, nx).astype(np.int64),
        unreliable=(~fresh[nearest]).reshape(ny, nx) & grid.mask,
    )


def rectangle_mask(grid: FloorGrid, centre: NDArray[np.float64], size: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(ny, nx) bool: cells whose centre lies in the axis-aligned rectangle
    of ``centre`` (2,) m and ``size`` (2,) m (a display case's footprint)."""
    hx, hy = 0.5 * float(size[0]), 0.5 * float(size[1])
    in_x = np.abs(grid.xs - float(centre[0])) <= hx
    in_y = np.abs(grid.ys - float(centre[1])) <= hy
    return in_y[:, None] & in_x[None, :]


def segment_distance(polygon: NDArray[np.float64], xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """(m,) distance, m, from points ``xy`` (m, 2) to the edges of ``polygon`` (n, 2), open."""
    a = polygon
    b = np.roll(polygon, -1, axis=0)
    ab = b - a
    t = np.clip(np.einsum("mkc,kc->mk", xy[:, None, :] - a[None], ab) / np.einsum("kc,kc->k", ab, ab), 0.0, 1.0)
    nearest = a[None] + t[..., None] * ab[None]
    return np.sqrt(((xy[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


def lattice(polygon: NDArray[np.float64], step_m: float = 0.2) -> FloorGrid:
    """Grid *vertices* every ``step_m`` m from the floor's lower-left corner to its
    upper-right one inclusive (for a mesh whose vertices carry the field).

    As a :class:`FloorGrid`, each vertex is the centre of a ``step_m`` cell
    (``origin`` is half a step outside the floor); ``mask`` is True for
    vertices inside the floor or on its edge (within 1 mm).
    """
    lo, hi = polygon.min(axis=0), polygon.max(axis=0)
    nx = max(1, int(np.ceil((hi[0] - lo[0]) / step_m - 1e-9)))
    ny = max(1, int(np.ceil((hi[1] - lo[1]) / step_m - 1e-9)))
    xs = np.minimum(lo[0] + np.arange(nx + 1) * step_m, hi[0])
    ys = np.minimum(lo[1] + np.arange(ny + 1) * step_m, hi[1])
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    mask = polygon_mask(polygon, pts) | (segment_distance(polygon, pts) < 1e-3)
    return FloorGrid(xs=xs, ys=ys, mask=mask.reshape(ny + 1, nx + 1), cell_m=float(step_m),
                     origin=(float(lo[0] - step_m / 2), float(lo[1] - step_m / 2)))
