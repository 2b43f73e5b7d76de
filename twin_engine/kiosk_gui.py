"""The kiosk's 2D widgets, drawn in pixels (origin top left, y down), fed plain view data.

Widgets import nothing from ``bridge/`` or ``simulation/``: the screen
hands them strings, rectangles and colours. Rectangles, text measuring and
drawing are the shared layout's (``layout.py``). Every touchable element
registers a :class:`Hit` rectangle so a tap can be routed without
Panda3D's mouse picking, which also makes them drivable offscreen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    NodePath,
)

from twin_engine.kiosk_hotspots import TOUCH_TARGET_PX
from twin_engine.layout import Rect, label, lift, measure, on_top, rect, tag_box

__all__ = ["ACCENT", "BUTTON", "CARD", "DIM", "INK", "RGBA", "Hit", "Layer", "MarkerSet", "MarkerView",
           "Rect", "button", "button_width", "image_card", "label", "lift", "measure", "rect"]

RGBA = tuple[float, float, float, float]  # as layout.RGBA

INK: RGBA = (0.96, 0.95, 0.92, 1.0)
DIM: RGBA = (0.72, 0.72, 0.70, 1.0)
ACCENT: RGBA = (0.80, 0.62, 0.30, 1.0)  # museum gold
CARD: RGBA = (0.08, 0.08, 0.10, 0.82)
BUTTON: RGBA = (0.20, 0.20, 0.23, 0.92)


@dataclass(frozen=True)
class Hit:
    """A touchable rectangle and the action it triggers (``"select:ding"``, ``"reset"``...)."""

    rect: Rect
    action: str


@dataclass
class Layer:
    """A node root in pixel space plus the hit rectangles drawn into it."""

    root: NodePath
    hits: list[Hit] = field(default_factory=list)

    def clear(self) -> None:
        for child in self.root.getChildren():
            child.removeNode()
        self.hits.clear()

    def hit(self, px: float, py: float) -> str | None:
        for h in reversed(self.hits):  # last drawn is on top
            if h.rect.contains(px, py):
                return h.action
        return None


def button(layer: Layer, r: Rect, text: str, action: str, font: Any, colour: RGBA = BUTTON,
           text_colour: RGBA = INK) -> Rect:
    """A labelled button at least 44 x 44 px (TOUCH_TARGET_PX); the label is measured and made
    smaller (never below 60 % of its size) or cut with "…" so that it stays inside. Returns the button."""
    r = Rect(r.x, r.y, max(r.w, TOUCH_TARGET_PX), max(r.h, TOUCH_TARGET_PX))
    rect(layer.root, r, colour)
    size = r.h * 0.42
    inner = r.w - r.h * 0.3
    size *= max(0.6, min(1.0, inner / max(measure(text, size, font), 1e-6)))
    label(layer.root, text, r, size, font, text_colour, "center", y=r.y + (r.h - size) / 2 - size * 0.05,
          wrap_w=inner, max_lines=1)
    layer.hits.append(Hit(r, action))
    return r


def button_width(text: str, h: float, font: Any, least: float = 0.0) -> float:
    """The width of a button ``h`` px tall whose label ``text`` fits at full size, at least ``least``."""
    return max(least, TOUCH_TARGET_PX, measure(text, h * 0.42, font) + h * 0.6)


def disc(name: str, segments: int = 40) -> GeomNode:
    """A unit disc (radius 1) in the x-z plane as a triangle fan."""
    vdata = GeomVertexData(name, GeomVertexFormat.getV3(), Geom.UHStatic)
    w = GeomVertexWriter(vdata, "vertex")
    w.addData3(0, 0, 0)
    for k in range(segments + 1):
        a = 2 * math.pi * k / segments
        w.addData3(math.cos(a), 0, math.sin(a))
    tris = GeomTriangles(Geom.UHStatic)
    for k in range(1, segments + 1):
        tris.addVertices(0, k + 1, k)
    geom = Geom(vdata)
    geom.addPrimitive(tris)
    node = GeomNode(name)
    node.addGeom(geom)
    return node


@dataclass(frozen=True)
class MarkerView:
    """A hotspot marker: centre (px), radius (px), number shown, opacity, selected or not."""

    x: float
    y: float
    radius: float
    number: int
    alpha: float
    selected: bool = False


class MarkerSet:
    """Numbered round markers with a light ring, built once and moved every frame."""

    def __init__(self, parent: NodePath, count: int, radius: float, font: Any):
        self.root = parent.attachNewNode("markers")
        self.items: list[tuple[NodePath, NodePath, NodePath, NodePath]] = []
        for k in range(count):
            root = self.root.attachNewNode(f"marker-{k + 1}")
            ring = on_top(root.attachNewNode(disc("ring")))
            ring.setScale(radius)
            dot = on_top(root.attachNewNode(disc("dot")))
            dot.setScale(radius * 0.8)
            num = root.attachNewNode("number")
            label(num, str(k + 1), Rect(-radius, -radius, 2 * radius, 2 * radius), radius, font, (1, 1, 1, 1),
                  "center", y=-radius * 0.55)
            for text in num.getChildren():
                tag_box(text, ring)  # the number stays inside its ring, wherever the marker moves
            self.items.append((root, ring, dot, num))

    def update(self, views: Sequence[MarkerView]) -> None:
        """Move and fade the markers to ``views`` (same count and order as built)."""
        for (root, ring, dot, num), m in zip(self.items, views, strict=True):
            if m.alpha <= 0.01 or not math.isfinite(m.x):
                root.hide()
                continue
            root.show()
            root.setPos(m.x, 0, -m.y)
            ring.setColor(1, 1, 1, 0.9 * m.alpha)
            fill = ACCENT if m.selected else (0.62, 0.16, 0.12, 1.0)
            dot.setColor(fill[0], fill[1], fill[2], 0.95 * m.alpha)
            num.setAlphaScale(m.alpha)

    def destroy(self) -> None:
        self.root.removeNode()


def image_card(parent: NodePath, texture: Any, r: Rect) -> Rect:
    """Show ``texture`` fitted into ``r`` keeping its aspect; returns the rectangle used."""
    tw, th = max(texture.getXSize(), 1), max(texture.getYSize(), 1)
    scale = min(r.w / tw, r.h / th)
    w, h = tw * scale, th * scale
    used = Rect(r.x, r.y, w, h)
    card = rect(parent, used, (1, 1, 1, 1))
    card.setTexture(texture)
    return used
