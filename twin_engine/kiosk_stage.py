"""The kiosk's 3D stage: lights, relic models, the gallery line-up and the attract hall.

The stage owns one node root under ``render``; the screen (``kiosk.py``)
decides what is shown. Relic models come from ``meshes.load_relic_model``
in their model frame (base at z = 0, metres), so annotation anchors map
with ``meshes.apply_transform``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from panda3d.core import AmbientLight, DirectionalLight, NodePath, Point3, Vec4

from simulation.scene import Relic, Scene
from twin_engine.meshes import apply_transform, load_relic_model


class Stage:
    """Node roots for the viewer, the gallery and the attract loop, and the camera lights."""

    def __init__(self, base: Any, scene: Scene, assets: Path):
        self.base = base
        self.scene = scene
        self.assets = assets
        self.root = base.render.attachNewNode("kiosk-stage")
        self.viewer = self.root.attachNewNode("viewer")
        self.gallery = self.root.attachNewNode("gallery")
        self.attract = self.root.attachNewNode("attract")
        self._models: dict[str, NodePath] = {}
        self._hall: Any = None
        self.lights: list[NodePath] = []
        self._light()

    def _light(self) -> None:
        amb = AmbientLight("kiosk-ambient")
        amb.setColor(Vec4(0.32, 0.32, 0.34, 1))
        key = DirectionalLight("kiosk-key")
        key.setColor(Vec4(0.85, 0.82, 0.76, 1))
        fill = DirectionalLight("kiosk-fill")
        fill.setColor(Vec4(0.28, 0.30, 0.36, 1))
        for node, hpr in ((amb, None), (key, (-35, -30, 0)), (fill, (50, -10, 0))):
            np_ = self.base.camera.attachNewNode(node)  # lights ride with the camera: always lit from the front
            if hpr is not None:
                np_.setHpr(*hpr)
            self.root.setLight(np_)
            self.lights.append(np_)

    def destroy(self) -> None:
        for np_ in self.lights:
            np_.removeNode()
        self.root.removeNode()
        self._models.clear()

    # --- relic models ------------------------------------------------------------------

    def mesh_path(self, relic: Relic) -> Path | None:
        return self.assets / relic.mesh if relic.mesh else None

    def model(self, relic: Relic) -> NodePath:
        """The relic's model (loaded once, then instanced); a grey box when it has no mesh."""
        if relic.id not in self._models:
            path = self.mesh_path(relic)
            if path is not None and path.is_file():
                self._models[relic.id] = load_relic_model(path, relic.height_m)
            else:
                from twin_engine.hall import box

                w = 0.45 * relic.height_m
                self._models[relic.id] = box(f"box-{relic.id}", (-w / 2, -w / 2, 0), (w / 2, w / 2, relic.height_m),
                                             (0.6, 0.6, 0.6, 1))
        return self._models[relic.id]

    def frame_transform(self, relic: Relic) -> NDArray[np.float64]:
        """(4, 4) map from the mesh file's coordinates to the model frame."""
        m = self.model(relic).getPythonTag("frame_transform")
        return np.asarray(m) if m is not None else np.eye(4)

    def anchors(self, relic: Relic) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Annotation positions and unit normals (n, 3) in the model frame."""
        if not relic.annotations:
            return np.zeros((0, 3)), np.zeros((0, 3))
        m = self.frame_transform(relic)
        pos = apply_transform(m, np.array([a.position for a in relic.annotations]))
        nrm = apply_transform(m, np.array([a.normal for a in relic.annotations]), vectors=True)
        return pos, nrm

    def view_of(self, relic: Relic, index: int) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """Saved camera (eye, target) of annotation ``index`` in the model frame, or None."""
        a = relic.annotations[index]
        if a.view_eye is None:
            return None
        m = self.frame_transform(relic)
        target = a.view_target if a.view_target is not None else a.position
        return apply_transform(m, a.view_eye)[0], apply_transform(m, target)[0]

    def size(self, relic: Relic) -> float:
        """Radius (m) of the model's bounding box."""
        lo, hi = self.model(relic).getTightBounds()
        return 0.5 * float(max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]))

    # --- viewer ---------------------------------------------------------------------------

    def show_relic(self, relic: Relic) -> None:
        self.viewer.getChildren().detach()
        self.model(relic).instanceTo(self.viewer)
        self.viewer.show()

    # --- gallery ----------------------------------------------------------------------------

    def show_gallery(self, slots: list[tuple[Relic, Point3, float]]) -> None:
        """Place each relic at ``pos`` (world, m) scaled so its largest extent is ``extent`` m."""
        self.gallery.getChildren().detach()
        for relic, pos, extent in slots:
            holder = self.gallery.attachNewNode(f"slot-{relic.id}")
            holder.setPos(pos)
            inner = holder.attachNewNode("centre")
            self.model(relic).instanceTo(inner)
            size = self.size(relic)
            inner.setScale(extent / (2 * size))
            inner.setZ(-relic.height_m / 2 * extent / (2 * size))
        self.gallery.show()

    def turn_gallery(self, degrees: float) -> None:
        for holder in self.gallery.getChildren():
            holder.setH(degrees)

    # --- attract loop ------------------------------------------------------------------------

    def show_attract(self) -> None:
        if self._hall is None:
            from twin_engine.hall import build_hall

            self._hall = build_hall(self.scene, self.attract, assets=self.assets)
            from twin_engine.hall import box

            xmin, ymin, xmax, ymax = self.scene.bounds
            box("floor", (xmin, ymin, -0.05), (xmax, ymax, 0.0), (0.42, 0.38, 0.33, 1)).reparentTo(self.attract)
        self.attract.show()

    def attract_pose(self, t: float) -> tuple[Point3, Point3]:
        """Camera eye and target for attract time ``t`` (s): a slow glide around the hall."""
        xmin, ymin, xmax, ymax = self.scene.bounds
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        r = 0.55 * math.hypot(xmax - xmin, ymax - ymin)
        a = math.radians(t * 4.0)  # 4 degrees a second: one lap in 90 s
        eye = Point3(cx + r * math.sin(a), cy - r * math.cos(a), 5.5 + 1.0 * math.sin(t * 0.1))
        return eye, Point3(cx, cy, 0.8)

    def turn_hall_relics(self, degrees: float) -> None:
        if self._hall is None:
            return
        for relic in self.scene.relics:
            holder = self._hall.relics.get(relic.id) if hasattr(self._hall, "relics") else None
            if holder is not None and holder.getNumChildren():
                holder.getChild(0).setH(relic.heading_deg + degrees)
