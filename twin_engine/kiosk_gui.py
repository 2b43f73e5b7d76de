"""The kiosk's 2D widgets, drawn in pixels (origin top left, y down), fed plain view data.

Widgets import nothing from ``bridge/`` or ``simulation/``: the screen
hands them strings, rectangles and colours. Every touchable element
registers a :class:`Hit` rectangle so a tap can be routed without
Panda3D's mouse picking, which also makes them drivable offscreen.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from panda3d.core import (
    CardMaker,
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    NodePath,
    TextNode,
    TransparencyAttrib,
)

from twin_engine.kiosk_hotspots import TOUCH_TARGET_PX

RGBA = tuple[float, float, float, float]

INK: RGBA = (0.96, 0.95, 0.92, 1.0)
DIM: RGBA = (0.72, 0.72, 0.70, 1.0)
ACCENT: RGBA = (0.80, 0.62, 0.30, 1.0)  # museum gold
CARD: RGBA = (0.08, 0.08, 0.10, 0.82)
BUTTON: RGBA = (0.20, 0.20, 0.23, 0.92)


@dataclass(frozen=True)
class Rect:
    """x, y of the top-left corner and w, h, all in pixels."""

    x: float
    y: float
    w: float
    h: float

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px <= self.x + self.w and self.y <= py <= self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


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


_DRAW_ORDER = itertools.count()


def _on_top(node: NodePath) -> NodePath:
    """Draw ``node`` after everything drawn before it (2D has no depth to sort by)."""
    node.setBin("fixed", next(_DRAW_ORDER) % 1_000_000)
    node.setDepthTest(False)
    node.setDepthWrite(False)
    return node


def lift(root: NodePath, base: int) -> None:
    """Move everything drawn under ``root`` into draw-order band ``base`` (layers: markers < panels < overlay)."""
    for np_ in root.findAllMatches("**"):
        if np_.getBinName() == "fixed":
            np_.setBin("fixed", base + np_.getBinDrawOrder() % 1_000_000)


def pixel_root(parent2d: NodePath, name: str, size: tuple[int, int]) -> NodePath:
    """A node under ``render2d`` whose units are pixels, origin top left, z = -y."""
    root = parent2d.attachNewNode(name)
    root.setPos(-1, 0, 1)
    root.setScale(2.0 / size[0], 1.0, 2.0 / size[1])
    root.setTransparency(TransparencyAttrib.MAlpha)
    return root


def rect(parent: NodePath, r: Rect, colour: RGBA) -> NodePath:
    cm = CardMaker("rect")
    cm.setFrame(r.x, r.x + r.w, -(r.y + r.h), -r.y)
    node = parent.attachNewNode(cm.generate())
    node.setColor(*colour)
    return _on_top(node)


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_TOKENS = re.compile(rf"[{_CJK}][，。、；：！？）」』]?|[^\s{_CJK}]+|\s+")


def wrap(text: str, width_em: float, measure: Any) -> list[str]:
    """Greedy line breaks for mixed Chinese/Latin text: any CJK character may start a line,
    Latin words stay whole. ``measure(s)`` gives a string's width in em."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _TOKENS.findall(para):
            trial = line + tok
            if line and measure(trial.rstrip()) > width_em:
                lines.append(line.rstrip())
                line = tok.lstrip()
            else:
                line = trial
        lines.append(line.rstrip())
    return lines


def label_lines(text: str, size: float, font: Any, wrap_px: float | None = None) -> list[str]:
    """The lines :func:`label` would draw ``text`` in (wrapped to ``wrap_px`` when given)."""
    tn = TextNode("measure")
    if font is not None:
        tn.setFont(font)
    return wrap(text, wrap_px / size, tn.calcWidth) if wrap_px else text.split("\n")


def text_width(text: str, size: float, font: Any) -> float:
    """The width (px) of one line of ``text`` drawn ``size`` px tall."""
    tn = TextNode("measure")
    if font is not None:
        tn.setFont(font)
    return float(tn.calcWidth(text)) * size


def label(parent: NodePath, text: str, x: float, y: float, size: float, font: Any, colour: RGBA = INK,
          align: str = "left", wrap_px: float | None = None, line_gap: float = 1.35) -> float:
    """Draw ``text`` with its first line's top at (x, y) px, ``size`` px tall; returns the block height (px)."""
    tn = TextNode("label")
    if font is not None:
        tn.setFont(font)
    tn.setAlign({"left": TextNode.ALeft, "center": TextNode.ACenter, "right": TextNode.ARight}[align])
    lines = wrap(text, wrap_px / size, tn.calcWidth) if wrap_px else text.split("\n")
    for i, line in enumerate(lines):
        t = TextNode(f"line{i}")
        if font is not None:
            t.setFont(font)
        t.setAlign(tn.getAlign())
        t.setText(line)
        t.setTextColor(*colour)
        np_ = parent.attachNewNode(t)
        np_.setScale(size)
        np_.setPos(x, 0, -(y + size * (0.85 + i * line_gap)))
        _on_top(np_)
    return size * line_gap * len(lines)


def button(layer: Layer, r: Rect, text: str, action: str, font: Any, colour: RGBA = BUTTON,
           text_colour: RGBA = INK) -> None:
    """A labelled button at least 44 x 44 px (TOUCH_TARGET_PX)."""
    r = Rect(r.x, r.y, max(r.w, TOUCH_TARGET_PX), max(r.h, TOUCH_TARGET_PX))
    rect(layer.root, r, colour)
    size = r.h * 0.42
    label(layer.root, text, r.x + r.w / 2, r.y + (r.h - size) / 2 - size * 0.05, size, font, text_colour, "center")
    layer.hits.append(Hit(r, action))


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
            ring = _on_top(root.attachNewNode(disc("ring")))
            ring.setScale(radius)
            dot = _on_top(root.attachNewNode(disc("dot")))
            dot.setScale(radius * 0.8)
            num = root.attachNewNode("number")
            label(num, str(k + 1), 0, -radius * 0.55, radius, font, (1, 1, 1, 1), "center")
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
