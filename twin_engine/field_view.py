"""The floor field: the floor polygon coloured from live values.

:class:`FieldView` owns the floor nodes. ``show(quantity, values)`` runs the
interpolation of the quantity's field model over the room sensors (sensors in
display cases measure the case, not the room, and are shown on their case
instead): plain IDW (``simulation/field.py``) until :meth:`FieldView.set_model` gives
the model chosen on the hall's history (``simulation/field_model.py``: IDW or kriging,
with learnt per-sensor offsets taken from the readings first), maps it through ``colormap.py``, shades it towards grey with the
distance from the nearest fresh sensor, greys and hatches the area of stale
or flagged sensors, and writes the colours into the floor mesh's vertex
colours. Distances are cached per quantity and weights per set of fresh
sensors, so a recolour is a matrix-vector product, a colour-table look-up
and a copy into a vertex array (about a millisecond for a 20 x 12 m hall
at 0.2 m spacing).

The floor is unlit: its pixels show the colour map exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexArrayFormat,
    GeomVertexData,
    GeomVertexFormat,
    NodePath,
    SamplerState,
    Texture,
    TransparencyAttrib,
)

from simulation.field import (
    FieldEstimate,
    FloorGrid,
    estimate_field,
    floor_grid,
    lattice,
    pairwise_distance,
    polygon_mask,
)
from simulation.field_model import IDW_MODEL, FieldModel
from simulation.scene import Scene
from twin_engine import colormap
from twin_engine.hall import polygon_node


@dataclass(frozen=True)
class Shading:
    """How the display shows uncertainty (display choices, not science).

    Within ``near_m`` of a fresh sensor a cell shows its colour; from there
    to ``far_m`` it fades towards grey, down to ``max_fade`` of the way.
    Hatching stripes over a stale sensor's area are ``stripe_cells`` wide.
    """

    near_m: float = 2.5
    far_m: float = 8.0
    max_fade: float = 0.65
    stripe_cells: int = 3


@dataclass(frozen=True)
class Reading:
    """A sensor's current value for the shown quantity (plain view data)."""

    value: float
    fresh: bool


class FieldView:
    """The floor of ``scene`` under ``parent``, coloured with a field.

    The floor is a grid mesh whose vertices (every ``step_m``) carry the
    colours: rewriting a vertex-colour column costs microseconds, whereas
    re-uploading a texture makes Mesa's llvmpipe stall for tens of
    milliseconds. The hatching over stale areas is a texture on a second
    layer, rewritten only when the set of fresh sensors changes.
    """

    def __init__(self, scene: Scene, parent: NodePath, step_m: float = 0.2, hatch_cell_m: float = 0.1,
                 shading: Shading = Shading()):
        self.scene = scene
        self.grid: FloorGrid = lattice(scene.floor, step_m)
        self.hatch_grid: FloorGrid = floor_grid(scene.floor, hatch_cell_m)
        self.shading = shading
        self.node, self._vdata = grid_mesh(self.grid, scene.floor)
        self.node.reparentTo(parent)
        self.node.setLightOff(1)
        self.hatch_texture = Texture("floor-hatch")
        hy, hx = self.hatch_grid.shape
        self.hatch_texture.setup2dTexture(hx, hy, Texture.T_unsigned_byte, Texture.F_rgba8)
        for setter in (self.hatch_texture.setWrapU, self.hatch_texture.setWrapV):
            setter(SamplerState.WM_clamp)
        self.hatch = parent.attachNewNode(polygon_node("floor-hatch", scene.floor, 0.004, self.hatch_grid.extent))
        self.hatch.setTexture(self.hatch_texture)
        self.hatch.setTransparency(TransparencyAttrib.MAlpha)
        self.hatch.setLightOff(1)
        self.hatch.setDepthWrite(False)
        rows, cols = np.indices(self.hatch_grid.shape)
        self._stripes = ((rows + cols) // max(1, shading.stripe_cells)) % 2 == 0
        self._dist: dict[tuple[str, str], tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]] = {}
        self._layouts: dict[tuple[str, bytes], _Layout] = {}
        self.models: dict[str, FieldModel] = {}
        self._hatch_key: tuple[str, bytes] | None = None
        self.estimate: FieldEstimate | None = None
        self.rgb: NDArray[np.float32] = np.zeros((*self.grid.shape, 3), np.float32)
        self.show("temperature", {})

    def room_sensors(self, quantity: str, grid: str = "vertices") -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
        """(ids, floor positions (k, 2) m, distances (points, k) m) of the room
        sensors measuring ``quantity``, to the ``grid`` ("vertices" or "hatch") points; cached."""
        key = (quantity, grid)
        if key not in self._dist:
            sensors = [s for s in self.scene.sensors_for(quantity) if s.case is None]
            ids = tuple(s.id for s in sensors)
            pos = np.array([s.position[:2] for s in sensors], dtype=float).reshape(-1, 2)
            points = (self.grid if grid == "vertices" else self.hatch_grid).points
            dist = pairwise_distance(pos, points) if len(pos) else np.zeros((points.shape[0], 0))
            self._dist[key] = (ids, pos, dist)
        return self._dist[key]

    def model(self, quantity: str) -> FieldModel:
        """The field model ``quantity`` is drawn with (IDW until :meth:`set_model`)."""
        return self.models.get(quantity, IDW_MODEL)

    def set_model(self, quantity: str, model: FieldModel) -> None:
        """Draw ``quantity`` with ``model`` from the next :meth:`show` on."""
        self.models[quantity] = model
        self._layouts = {k: v for k, v in self._layouts.items() if k[0] != quantity}

    def _layout(self, quantity: str, fresh: NDArray[np.bool_]) -> _Layout:
        """Everything that depends only on which sensors are fresh (and the model); cached."""
        model = self.model(quantity)
        key = (quantity, fresh.tobytes())
        if key not in self._layouts:
            if len(self._layouts) > 64:
                self._layouts.clear()
            ids, pos, dist = self.room_sensors(quantity)
            base = estimate_field(self.grid, pos, np.where(fresh, 0.0, np.nan), fresh, dist=dist)
            weights = (model.weights(pos[fresh], self.grid.points, dist[:, fresh]) if fresh.any()
                       else np.zeros((dist.shape[0], 0)))
            fade = fade_towards_grey(base, self.shading).astype(np.float32)
            fade = np.where(base.unreliable[..., None], np.float32(1.0), fade)  # stale area: all grey
            self._layouts[key] = _Layout(base, weights, 1.0 - fade, (fade * np.asarray(colormap.NO_DATA)).astype(np.float32))
        return self._layouts[key]

    def show(self, quantity: str, readings: Mapping[str, Reading]) -> None:
        """Recolour the floor for ``quantity`` from ``readings`` (sensor id -> value, freshness)."""
        ids, _, _ = self.room_sensors(quantity)
        values = np.array([readings[i].value if i in readings else np.nan for i in ids], dtype=float)
        fresh = np.array([i in readings and readings[i].fresh for i in ids], dtype=bool) & np.isfinite(values)
        values = self.model(quantity).corrected(ids, values)  # the hall's air: each sensor's offset taken away
        layout = self._layout(quantity, fresh)
        shape = self.grid.shape
        if fresh.any():
            value = (layout.weights @ values[fresh]).reshape(shape)
            value[~self.grid.mask] = np.nan
        else:
            value = np.full(shape, np.nan)
        self.estimate = replace(layout.base, value=value)
        rgb = colormap.colours(quantity, value).astype(np.float32, copy=False)
        rgb *= layout.keep
        rgb += layout.fade_to
        self.rgb = rgb
        self.upload(rgb)
        if self._hatch_key != (quantity, fresh.tobytes()):
            self._hatch_key = (quantity, fresh.tobytes())
            self._draw_hatch(quantity, fresh)

    def _draw_hatch(self, quantity: str, fresh: NDArray[np.bool_]) -> None:
        """Dark stripes over the cells whose nearest sensor is stale or flagged."""
        _, pos, dist = self.room_sensors(quantity, "hatch")
        if dist.shape[1] == 0:
            self.hatch.hide()
            return
        unreliable = (~fresh[np.argmin(dist, axis=1)]).reshape(self.hatch_grid.shape) & self.hatch_grid.mask
        if not unreliable.any():
            self.hatch.hide()
            return
        rgba = np.zeros((*self.hatch_grid.shape, 4), np.uint8)
        rgba[..., :3] = (np.asarray(colormap.NO_DATA_DARK) * 255).astype(np.uint8)
        rgba[..., 3] = np.where(unreliable & self._stripes, 255, 0)
        self.hatch_texture.setRamImageAs(rgba.tobytes(), "RGBA")
        self.hatch.show()

    def upload(self, rgb: NDArray[np.float32]) -> None:
        """Write (ny, nx, 3) RGB in [0, 1] into the floor mesh's colour column."""
        column = np.frombuffer(memoryview(self._vdata.modifyArray(1)).cast("B"), dtype=np.uint8).reshape(-1, 4)
        column[:, :3] = (rgb.reshape(-1, 3) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)

    def destroy(self) -> None:
        self.node.removeNode()
        self.hatch.removeNode()


def grid_mesh(grid: FloorGrid, polygon: NDArray[np.float64]) -> tuple[NodePath, GeomVertexData]:
    """A flat mesh with a vertex at each ``grid`` point (z = 0) and the quads whose
    centre lies in ``polygon``; its second array is an RGBA uint8 colour column."""
    ny, nx = grid.shape
    points = np.zeros((nx * ny, 3), np.float32)
    points[:, :2] = grid.points
    pos_format = GeomVertexArrayFormat()
    pos_format.addColumn("vertex", 3, Geom.NT_float32, Geom.C_point)
    colour_format = GeomVertexArrayFormat()
    colour_format.addColumn("color", 4, Geom.NT_uint8, Geom.C_color)
    fmt = GeomVertexFormat()
    fmt.addArray(pos_format)
    fmt.addArray(colour_format)
    vdata = GeomVertexData("floor-field", GeomVertexFormat.registerFormat(fmt), Geom.UHDynamic)
    vdata.uncleanSetNumRows(nx * ny)
    np.frombuffer(memoryview(vdata.modifyArray(0)).cast("B"), dtype=np.float32)[:] = points.ravel()
    colours = np.frombuffer(memoryview(vdata.modifyArray(1)).cast("B"), dtype=np.uint8)
    colours[:] = 255
    idx = np.arange(nx * ny).reshape(ny, nx)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, 1:], idx[1:, :-1]
    centres = 0.5 * (grid.points[a.ravel()] + grid.points[c.ravel()])
    keep = polygon_mask(polygon, centres)
    quads = np.column_stack([a.ravel(), b.ravel(), c.ravel(), a.ravel(), c.ravel(), d.ravel()])[keep]
    tris = GeomTriangles(Geom.UHStatic)
    tris.setIndexType(Geom.NT_uint32)
    handle = tris.modifyVertices()
    handle.uncleanSetNumRows(quads.size)
    np.frombuffer(memoryview(handle).cast("B"), dtype=np.uint32)[:] = quads.astype(np.uint32).ravel()
    geom = Geom(vdata)
    geom.addPrimitive(tris)
    node = GeomNode("floor")
    node.addGeom(geom)
    return NodePath(node), vdata


@dataclass(frozen=True)
class _Layout:
    """What a set of fresh sensors fixes: the field's geometry parts, the model's
    weights (points, k_fresh), and the per-point blend towards grey."""

    base: FieldEstimate
    weights: NDArray[np.float64]
    keep: NDArray[np.float32]  # (ny, nx, 1): 1 - fade
    fade_to: NDArray[np.float32]  # (ny, nx, 3): fade * the grey of no data


def fade_towards_grey(est: FieldEstimate, shading: Shading) -> NDArray[np.float64]:
    """(ny, nx, 1) in 0..max_fade: how far a point fades to grey with its
    distance from the nearest fresh sensor (max_fade where there is none)."""
    d = est.fresh_distance
    with np.errstate(invalid="ignore"):
        fade = np.clip((d - shading.near_m) / (shading.far_m - shading.near_m), 0.0, 1.0) * shading.max_fade
    return np.nan_to_num(fade, nan=shading.max_fade, posinf=shading.max_fade)[..., None]
