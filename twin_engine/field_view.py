"""The floor field: a texture over the floor polygon coloured from live values.

:class:`FieldView` owns the floor node. ``show(quantity, values)`` runs the
interpolation of ``simulation/field.py`` over the room sensors (sensors in
display cases measure the case, not the room, and are shown on their case
instead), maps it through ``colormap.py``, shades it towards grey with the
distance from the nearest fresh sensor, hatches the area of stale or
flagged sensors, and copies the pixels into a Panda3D texture. Distances
are cached per quantity and weights per set of fresh sensors, so a
recolour is a matrix-vector product, a colour-table look-up and a texture
upload (a few milliseconds for a 20 x 12 m hall at 0.1 m cells).

The floor is unlit: its pixels show the colour map exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from panda3d.core import NodePath, SamplerState, Texture

from simulation.field import FieldEstimate, FloorGrid, estimate_field, floor_grid, idw_weights, pairwise_distance
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
    """The floor of ``scene`` under ``parent``, textured with a field."""

    def __init__(self, scene: Scene, parent: NodePath, cell_m: float = 0.1, shading: Shading = Shading()):
        self.scene = scene
        self.grid: FloorGrid = floor_grid(scene.floor, cell_m)
        self.shading = shading
        ny, nx = self.grid.shape
        self.texture = Texture("floor-field")
        self.texture.setup2dTexture(nx, ny, Texture.T_unsigned_byte, Texture.F_rgb8)
        self.texture.setWrapU(SamplerState.WM_clamp)
        self.texture.setWrapV(SamplerState.WM_clamp)
        self.texture.setMinfilter(SamplerState.FT_linear)
        self.texture.setMagfilter(SamplerState.FT_linear)
        self.node = parent.attachNewNode(polygon_node("floor", scene.floor, 0.0, self.grid.extent))
        self.node.setTexture(self.texture)
        self.node.setLightOff(1)
        rows, cols = np.indices(self.grid.shape)
        self._stripes = ((rows + cols) // max(1, shading.stripe_cells)) % 2 == 0
        self._dist: dict[str, tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]] = {}
        self._layouts: dict[tuple[str, bytes], _Layout] = {}
        self.estimate: FieldEstimate | None = None
        self.rgb: NDArray[np.float64] = np.zeros((ny, nx, 3))
        self.show("temperature", {})

    def room_sensors(self, quantity: str) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
        """(ids, floor positions (k, 2) m, distances (cells, k) m) of the room
        sensors measuring ``quantity``; cached."""
        if quantity not in self._dist:
            sensors = [s for s in self.scene.sensors_for(quantity) if s.case is None]
            ids = tuple(s.id for s in sensors)
            pos = np.array([s.position[:2] for s in sensors], dtype=float).reshape(-1, 2)
            dist = pairwise_distance(pos, self.grid.points) if len(pos) else np.zeros((self.grid.points.shape[0], 0))
            self._dist[quantity] = (ids, pos, dist)
        return self._dist[quantity]

    def _layout(self, quantity: str, fresh: NDArray[np.bool_]) -> _Layout:
        """Everything that depends only on which sensors are fresh; cached."""
        key = (quantity, fresh.tobytes())
        if key not in self._layouts:
            if len(self._layouts) > 64:
                self._layouts.clear()
            ids, pos, dist = self.room_sensors(quantity)
            base = estimate_field(self.grid, pos, np.where(fresh, 0.0, np.nan), fresh, dist=dist)
            weights = idw_weights(dist[:, fresh]) if fresh.any() else np.zeros((dist.shape[0], 0))
            fade, grey = fade_and_hatch(base, self._stripes, self.shading)
            fade32 = fade.astype(np.float32)
            self._layouts[key] = _Layout(base, weights, fade32, grey.astype(np.float32), 1.0 - fade32,
                                         (fade * np.asarray(colormap.NO_DATA)).astype(np.float32))
        return self._layouts[key]

    def show(self, quantity: str, readings: Mapping[str, Reading]) -> None:
        """Recolour the floor for ``quantity`` from ``readings`` (sensor id -> value, freshness)."""
        ids, _, _ = self.room_sensors(quantity)
        values = np.array([readings[i].value if i in readings else np.nan for i in ids], dtype=float)
        fresh = np.array([i in readings and readings[i].fresh for i in ids], dtype=bool) & np.isfinite(values)
        layout = self._layout(quantity, fresh)
        ny, nx = self.grid.shape
        if fresh.any():
            value = (layout.weights @ values[fresh]).reshape(ny, nx)
            value[~self.grid.mask] = np.nan
        else:
            value = np.full((ny, nx), np.nan)
        self.estimate = replace(layout.base, value=value)
        rgb = colormap.colours(quantity, value).astype(np.float32, copy=False)
        rgb *= layout.keep
        rgb += layout.fade_to
        self.rgb = np.where(layout.base.unreliable[..., None], layout.grey, rgb)
        self.upload(self.rgb)

    def upload(self, rgb: NDArray[np.float64]) -> None:
        """Copy (ny, nx, 3) RGB in [0, 1] into the texture (row 0 at the bottom)."""
        pixels = (rgb * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)
        self.texture.setRamImageAs(pixels.tobytes(), "RGB")

    def destroy(self) -> None:
        self.node.removeNode()


@dataclass(frozen=True)
class _Layout:
    """What a set of fresh sensors fixes: the field's geometry parts, the IDW
    weights (cells, k_fresh), the fade (ny, nx, 1) and the hatching."""

    base: FieldEstimate
    weights: NDArray[np.float64]
    fade: NDArray[np.float32]
    grey: NDArray[np.float32]
    keep: NDArray[np.float32]  # 1 - fade
    fade_to: NDArray[np.float32]  # fade * grey of no data


def fade_and_hatch(est: FieldEstimate, stripes: NDArray[np.bool_], shading: Shading) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fade (ny, nx, 1) in 0..1 towards grey with the distance from the nearest
    fresh sensor, and the hatching colours (ny, nx, 3) over stale areas."""
    d = est.fresh_distance
    with np.errstate(invalid="ignore"):
        fade = np.clip((d - shading.near_m) / (shading.far_m - shading.near_m), 0.0, 1.0) * shading.max_fade
    fade = np.nan_to_num(fade, nan=shading.max_fade, posinf=shading.max_fade)[..., None]
    grey = np.where(stripes[..., None], np.asarray(colormap.NO_DATA), np.asarray(colormap.NO_DATA_DARK))
    return fade, grey


def field_colours(quantity: str, est: FieldEstimate, stripes: NDArray[np.bool_], shading: Shading) -> NDArray[np.float64]:
    """(ny, nx, 3) RGB of a field: colour map, fade with distance, hatching.

    est : the interpolated field; stripes : (ny, nx) bool hatching pattern.
    """
    fade, grey = fade_and_hatch(est, stripes, shading)
    rgb = colormap.colours(quantity, est.value)
    rgb = rgb * (1.0 - fade) + np.asarray(colormap.NO_DATA) * fade
    return np.where(est.unreliable[..., None], grey, rgb)
