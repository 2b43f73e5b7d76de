"""An adaptive 2-D layout for every screen: pixels, a unit from the window's short side, measured text.

Any window size and aspect, landscape or portrait. A screen makes one
:class:`Canvas` (a node under ``render2d`` whose units are window pixels,
origin top left, y down), sizes everything in :attr:`Metrics.u` (a fraction
of the window's *short* side, so a 1080x1920 portrait kiosk reads like a
1920x1080 one), and measures text with Panda3D's own ``TextNode`` before it
places it:

- :func:`measure` / :func:`wrap` / :func:`clip`: the width of a line, greedy
  line breaks for mixed Chinese/Latin text (any CJK character may start a
  line, Latin words stay whole unless one alone is too wide), and cutting to
  ``max_lines`` with "…".
- :meth:`Canvas.text`: draws a block (wrapped, clipped) inside a box and
  returns the rectangle it covers; every line is tagged with the box it must
  stay in. :meth:`Canvas.box` draws a panel and returns it as that box.
- :func:`fit_count`: how many rows of given heights fit, leaving room for a
  "+N more" line when some do not.
- :func:`text_bounds`: every visible text node under a root with its bounds
  in window pixels (from the generated glyph geometry) and the box it must
  stay in; :func:`overlaps` and :func:`escapes` are what the tests assert on.

Widgets here import nothing from ``bridge/`` or ``simulation/``: callers hand
them strings, rectangles and colours. A screen drawn in ``aspect2d`` units
can still use :func:`measure`, :func:`wrap`, :func:`tag_box` and
:func:`text_bounds` (bounds are read in ``render2d`` and mapped to pixels).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from panda3d.core import CardMaker, NodePath, TextNode, TransparencyAttrib

RGBA = tuple[float, float, float, float]

UNIT_OF_SHORT_SIDE = 0.026
"""One layout unit as a fraction of the window's short side (28 px at 1080, 19 px at 720)."""
MIN_UNIT_PX = 14.0
"""Below this a unit is not readable on a kiosk (about 10.5 pt body text at 96 dpi)."""
LINE_GAP = 1.35
"""Line pitch in text heights: Panda3D glyphs of two lines 1.35 apart never touch (CJK included)."""
BASELINE = 0.85
"""A line's baseline below its top, in text heights (CJK glyphs reach about 0.88 above the baseline)."""
GLYPH_SLACK = 0.12
"""Glyph cards reach a little past a line's advance width (about 0.05 em at each end): wrap this many
text heights short of the box so the drawn glyphs, not only the advances, stay inside."""
ELLIPSIS = "…"
BOX_TAG = "layout-box"
"""Python tag on a text node: the :class:`Rect` (window px) or the NodePath of the panel it must stay in."""


@dataclass(frozen=True)
class Rect:
    """x, y of the top-left corner and w, h, all in window pixels (y down)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px <= self.right and self.y <= py <= self.bottom

    def inset(self, dx: float, dy: float | None = None) -> Rect:
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, max(0.0, self.w - 2 * dx), max(0.0, self.h - 2 * dy))

    def intersection(self, other: Rect) -> float:
        """Area (px²) shared with ``other``."""
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(0.0, w) * max(0.0, h)

    def inside(self, other: Rect, tol: float = 0.5) -> bool:
        """Whether this rectangle lies within ``other`` (``tol`` px of slack)."""
        return (self.x >= other.x - tol and self.y >= other.y - tol and self.right <= other.right + tol
                and self.bottom <= other.bottom + tol)

    def take_top(self, h: float) -> tuple[Rect, Rect]:
        """(the top ``h`` px, the rest below)."""
        h = min(max(h, 0.0), self.h)
        return Rect(self.x, self.y, self.w, h), Rect(self.x, self.y + h, self.w, self.h - h)

    def take_bottom(self, h: float) -> tuple[Rect, Rect]:
        """(the bottom ``h`` px, the rest above)."""
        h = min(max(h, 0.0), self.h)
        return Rect(self.x, self.bottom - h, self.w, h), Rect(self.x, self.y, self.w, self.h - h)

    def take_left(self, w: float) -> tuple[Rect, Rect]:
        w = min(max(w, 0.0), self.w)
        return Rect(self.x, self.y, w, self.h), Rect(self.x + w, self.y, self.w - w, self.h)

    def take_right(self, w: float) -> tuple[Rect, Rect]:
        w = min(max(w, 0.0), self.w)
        return Rect(self.right - w, self.y, w, self.h), Rect(self.x, self.y, self.w - w, self.h)


@dataclass(frozen=True)
class Metrics:
    """Sizes of a window ``size`` = (width, height) px: the unit and the orientation."""

    width: int
    height: int

    @classmethod
    def of(cls, size: tuple[int, int]) -> Metrics:
        return cls(int(size[0]), int(size[1]))

    @property
    def short(self) -> int:
        return min(self.width, self.height)

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def u(self) -> float:
        """One layout unit, px."""
        return max(MIN_UNIT_PX, self.short * UNIT_OF_SHORT_SIDE)

    @property
    def window(self) -> Rect:
        return Rect(0.0, 0.0, float(self.width), float(self.height))


# --- text measuring ---------------------------------------------------------------------------

_MEASURE: dict[int, TextNode] = {}


def _measurer(font: Any) -> TextNode:
    key = id(font)
    if key not in _MEASURE:
        tn = TextNode("measure")
        if font is not None:
            tn.setFont(font)
        _MEASURE[key] = tn
    return _MEASURE[key]


def measure(text: str, size: float, font: Any) -> float:
    """Width (px) of one line of ``text`` drawn ``size`` px tall in ``font`` (None: Panda3D's default)."""
    return float(_measurer(font).calcWidth(text)) * size


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_TOKENS = re.compile(rf"[{_CJK}][，。、；：！？）」』]?|[^\s{_CJK}]+|\s+")


def _split_word(word: str, max_w: float, width: Callable[[str], float]) -> list[str]:
    """A word wider than ``max_w`` cut into pieces that fit (at least one character each)."""
    pieces, cur = [], ""
    for ch in word:
        if cur and width(cur + ch) > max_w:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    return pieces + [cur] if cur else pieces


def wrap(text: str, max_w: float, size: float, font: Any) -> list[str]:
    """``text`` broken into lines no wider than ``max_w`` px at ``size`` px (paragraphs at "\\n")."""
    def width(s: str) -> float:
        return measure(s, size, font)

    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _TOKENS.findall(para):
            trial = line + tok
            if line.strip() and width(trial.rstrip()) > max_w:
                lines.append(line.rstrip())
                trial = tok.lstrip()
            if width(trial.rstrip()) <= max_w:
                line = trial
                continue
            *full, line = _split_word(trial.strip(), max_w, width) or [""]  # one word wider than a line
            lines.extend(full)
        lines.append(line.rstrip())
    return lines


def clip(lines: Sequence[str], max_lines: int, max_w: float, size: float, font: Any) -> list[str]:
    """The first ``max_lines`` of ``lines``, the last ending in "…" (within ``max_w`` px) when some were cut."""
    if len(lines) <= max_lines:
        return list(lines)
    kept = list(lines[:max_lines])
    last = kept[-1].rstrip()
    while last and measure(last + ELLIPSIS, size, font) > max_w:
        last = last[:-1].rstrip()
    kept[-1] = last + ELLIPSIS
    return kept


def block_height(n_lines: int, size: float, line_gap: float = LINE_GAP) -> float:
    """Height (px) a block of ``n_lines`` lines ``size`` px tall takes."""
    return size * line_gap * max(n_lines, 0)


def fit_count(heights: Sequence[float], available: float, more_h: float) -> int:
    """How many of the rows (``heights`` px, in order) to show in ``available`` px: all when they
    fit, else as many as fit above a "+N more" line ``more_h`` px tall."""
    if sum(heights) <= available:
        return len(heights)
    used = 0.0
    for k, h in enumerate(heights):
        if used + h > available - more_h:
            return k
        used += h
    return len(heights)


# --- drawing ----------------------------------------------------------------------------------

_DRAW_ORDER = itertools.count()


def on_top(node: NodePath) -> NodePath:
    """Draw ``node`` after everything drawn before it (2D has no depth to sort by)."""
    node.setBin("fixed", next(_DRAW_ORDER) % 1_000_000)
    node.setDepthTest(False)
    node.setDepthWrite(False)
    return node


def lift(root: NodePath, band: int) -> None:
    """Move everything drawn under ``root`` into draw-order band ``band`` (markers < panels < overlay)."""
    for np_ in root.findAllMatches("**"):
        if np_.getBinName() == "fixed":
            np_.setBin("fixed", band + np_.getBinDrawOrder() % 1_000_000)


def tag_box(text_np: NodePath, box: Rect | NodePath) -> None:
    """Record the panel ``text_np`` must stay inside (a :class:`Rect` in window px, or the panel's node)."""
    text_np.setPythonTag(BOX_TAG, box)


class Canvas:
    """A node under ``render2d`` in window pixels (origin top left, y down) for a window of ``size``."""

    def __init__(self, render2d: NodePath, name: str, size: tuple[int, int], font: Any = None):
        self.root = render2d.attachNewNode(name)
        self.root.setTransparency(TransparencyAttrib.MAlpha)
        self.font = font
        self.resize(size)

    def resize(self, size: tuple[int, int]) -> None:
        """Map pixels of a window of ``size`` (what is drawn must be drawn again by the caller)."""
        self.metrics = Metrics.of(size)
        self.root.setPos(-1, 0, 1)
        self.root.setScale(2.0 / max(size[0], 1), 1.0, 2.0 / max(size[1], 1))

    @property
    def u(self) -> float:
        return self.metrics.u

    def box(self, r: Rect, colour: RGBA, parent: NodePath | None = None) -> Rect:
        """A filled rectangle; returns ``r`` to hand to :meth:`text` as the text's box."""
        rect(parent or self.root, r, colour)
        return r

    def text(self, text: str, box: Rect, size: float, colour: RGBA = (1, 1, 1, 1), align: str = "left",
             x: float | None = None, y: float | None = None, wrap_w: float | None = None, max_lines: int = 0,
             line_gap: float = LINE_GAP, parent: NodePath | None = None) -> Rect:
        """Draw ``text`` in ``box``: first line's top at ``y`` (default ``box.y``), anchored at ``x``
        (default: the box's left, centre or right by ``align``), wrapped to ``wrap_w`` (default: the
        box's width from ``x``; 0: not wrapped) and cut to ``max_lines`` (0: no cut). Returns the
        rectangle it covers."""
        return label(parent or self.root, text, box, size, self.font, colour, align, x, y, wrap_w, max_lines,
                     line_gap)


def rect(parent: NodePath, r: Rect, colour: RGBA) -> NodePath:
    """A filled rectangle ``r`` (px) under a pixel-space ``parent``."""
    cm = CardMaker("rect")
    cm.setFrame(r.x, r.right, -r.bottom, -r.y)
    node = parent.attachNewNode(cm.generate())
    node.setColor(*colour)
    if colour[3] < 1:
        node.setTransparency(TransparencyAttrib.MAlpha)
    return on_top(node)


def text_lines(text: str, size: float, font: Any, wrap_w: float | None, max_lines: int = 0) -> list[str]:
    """The lines :func:`label` draws ``text`` in: wrapped to ``wrap_w`` px less :data:`GLYPH_SLACK`."""
    width = max(wrap_w - size * GLYPH_SLACK, size) if wrap_w else float("inf")
    lines = wrap(text, width, size, font) if wrap_w else text.split("\n")
    return clip(lines, max_lines, width, size, font) if max_lines else lines


def label(parent: NodePath, text: str, box: Rect, size: float, font: Any, colour: RGBA = (1, 1, 1, 1),
          align: str = "left", x: float | None = None, y: float | None = None, wrap_w: float | None = None,
          max_lines: int = 0, line_gap: float = LINE_GAP) -> Rect:
    """Draw ``text`` under a pixel-space ``parent`` inside ``box`` (see :meth:`Canvas.text`)."""
    if x is None:
        x = {"left": box.x, "center": box.x + box.w / 2, "right": box.right - size * GLYPH_SLACK / 2}[align]
    y = box.y if y is None else y
    if wrap_w is None:
        wrap_w = {"left": box.right - x, "center": 2 * min(x - box.x, box.right - x), "right": x - box.x}[align]
    lines = text_lines(text, size, font, wrap_w or None, max_lines)  # wrap_w 0: the lines as given
    widest = 0.0
    for i, line in enumerate(lines):
        t = TextNode(f"text-{i}")
        if font is not None:
            t.setFont(font)
        t.setAlign({"left": TextNode.ALeft, "center": TextNode.ACenter, "right": TextNode.ARight}[align])
        t.setText(line)
        t.setTextColor(*colour)
        np_ = parent.attachNewNode(t)
        np_.setScale(size)
        np_.setPos(x, 0, -(y + size * (BASELINE + i * line_gap)))
        tag_box(np_, box)
        on_top(np_)
        widest = max(widest, measure(line, size, font))
    left = {"left": x, "center": x - widest / 2, "right": x - widest}[align]
    return Rect(left, y, widest, block_height(len(lines), size, line_gap))


# --- the 3-D view in what the 2-D layout leaves free ------------------------------------------------


def fit_lens(lens: Any, size: tuple[int, int], area: Rect, half_angle_deg: float) -> None:
    """Aim a perspective ``lens`` of a window ``size`` (px) at ``area`` (px): the area's shorter side
    spans 2 x ``half_angle_deg`` and the view's centre falls on the area's centre (film offset), so
    what the camera looks at is framed in the part of the window the panels leave free."""
    w, h = size
    k = max(min(area.w, area.h), 1.0) / 2 / math.tan(math.radians(half_angle_deg))  # px per unit of tan
    lens.setFov(2 * math.degrees(math.atan(w / 2 / k)), 2 * math.degrees(math.atan(h / 2 / k)))
    fw, fh = lens.getFilmSize()
    cx, cy = area.centre
    lens.setFilmOffset(-(cx - w / 2) / w * fw, (cy - h / 2) / h * fh)


# --- reading back what was drawn ------------------------------------------------------------------


@dataclass(frozen=True)
class TextBox:
    """A drawn text: its string, its glyphs' bounds in window px, and the box it must stay in (or None)."""

    text: str
    rect: Rect
    box: Rect | None
    path: str


def _px_rect(np_: NodePath, render2d: NodePath, size: tuple[int, int]) -> Rect | None:
    b = np_.getTightBounds(render2d)
    if not b:
        return None
    lo, hi = b
    w, h = size
    x0, x1 = (lo[0] + 1) / 2 * w, (hi[0] + 1) / 2 * w
    y0, y1 = (1 - hi[2]) / 2 * h, (1 - lo[2]) / 2 * h
    return Rect(float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def text_bounds(root: NodePath, render2d: NodePath, size: tuple[int, int]) -> list[TextBox]:
    """Every visible, non-empty text node under ``root`` (``root`` itself included), with its bounds
    in the pixels of a window ``size`` = (w, h) and the box it was tagged with (:func:`tag_box`)."""
    out = []
    for np_ in itertools.chain([root], root.findAllMatches("**/+TextNode")):
        node = np_.node()
        if not isinstance(node, TextNode) or not node.getText().strip() or np_.isHidden():
            continue
        if np_.getNetTransform().getScale()[0] == 0 or np_.getColorScale()[3] == 0:
            continue
        r = _px_rect(np_, render2d, size)
        if r is None:
            continue
        box = np_.getPythonTag(BOX_TAG) if np_.hasPythonTag(BOX_TAG) else None
        if isinstance(box, NodePath):
            box = _px_rect(box, render2d, size)
        out.append(TextBox(node.getText(), r, box, str(np_)))
    return out


def overlaps(texts: Iterable[TextBox], tol_px: float = 1.0) -> list[tuple[TextBox, TextBox]]:
    """Pairs of texts whose glyph bounds overlap by more than ``tol_px`` in both directions."""
    items = list(texts)
    out = []
    for a, b in itertools.combinations(items, 2):
        w = min(a.rect.right, b.rect.right) - max(a.rect.x, b.rect.x)
        h = min(a.rect.bottom, b.rect.bottom) - max(a.rect.y, b.rect.y)
        if w > tol_px and h > tol_px:
            out.append((a, b))
    return out


def escapes(texts: Iterable[TextBox], window: Rect, tol_px: float = 1.0) -> list[TextBox]:
    """Texts outside their tagged box, or outside ``window`` when untagged."""
    return [t for t in texts if not t.rect.inside(t.box or window, tol_px) or not t.rect.inside(window, tol_px)]


def describe(pairs: Iterable[tuple[TextBox, TextBox]] = (), lone: Iterable[TextBox] = ()) -> str:
    """A readable list of colliding pairs and escaping texts, for assertion messages."""
    def r(t: TextBox) -> str:
        return f"{t.text!r} @({t.rect.x:.0f},{t.rect.y:.0f} {t.rect.w:.0f}x{t.rect.h:.0f})"

    rows = [f"{r(a)} overlaps {r(b)}" for a, b in pairs]
    rows += [f"{r(t)} leaves {t.box or 'the window'}" for t in lone]
    return "\n".join(rows)
