"""Where the kiosk puts things, at any window size: plain geometry over :class:`layout.Metrics`.

Everything is in window pixels (origin top left, y down) and sized in
``m.u`` (a fraction of the window's short side). Landscape windows put the
note panel at the right of the relic, portrait windows below it; the relic
is framed in what is left (:attr:`ViewerFrame.model`) so that no title,
hint or panel is drawn across it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twin_engine.kiosk_hotspots import TOUCH_TARGET_PX
from twin_engine.layout import Metrics, Rect

BUTTON_UNITS = 2.5  # a button's height in units (70 px at 1080)
PANEL_SHARE = 0.36  # landscape: the note panel's share of the width...
PANEL_MIN_UNITS, PANEL_MAX_SHARE = 15.0, 0.5  # ...at least this many units, at most this share
PORTRAIT_PANEL_SHARE = (0.3, 0.55)  # portrait: the panel's least and largest share of the height below the header
CAPTION_UNITS = 5.8  # a gallery card's caption: two name lines, two material lines and padding


def button_h(m: Metrics) -> float:
    return max(TOUCH_TARGET_PX, m.u * BUTTON_UNITS)


def footer(m: Metrics) -> Rect:
    """The bottom strip holding the button row (a margin above and below the buttons)."""
    h = button_h(m) + 2 * m.u
    return Rect(0.0, m.height - h, float(m.width), h)


@dataclass(frozen=True)
class ViewerFrame:
    """The viewer's regions: the note panel (or None) and the area the relic is framed in."""

    panel: Rect | None
    model: Rect


def viewer_frame(m: Metrics, header_bottom: float, bottom: float, panel_open: bool,
                 panel_h: float = 0.0) -> ViewerFrame:
    """Regions between ``header_bottom`` and ``bottom`` (px: the top of the footer, or of the hint above it).
    ``panel_h``: the height (px) the panel's content wants (portrait windows size the panel to it)."""
    u = m.u
    body = Rect(u, header_bottom, m.width - 2 * u, max(bottom - header_bottom - u * 0.5, u))
    if not panel_open:
        return ViewerFrame(None, body)
    if m.portrait:
        least, most = PORTRAIT_PANEL_SHARE
        panel, model = body.take_bottom(min(max(panel_h, body.h * least), body.h * most))
        return ViewerFrame(panel, model.take_top(model.h - u * 0.5)[0])
    pw = min(max(m.width * PANEL_SHARE, u * PANEL_MIN_UNITS), m.width * PANEL_MAX_SHARE)
    panel, model = body.take_right(pw)
    return ViewerFrame(panel, model.take_left(model.w - u)[0])


def gallery_cards(m: Metrics, n: int, area: Rect) -> list[Rect]:
    """``n`` cards in rows inside ``area``, with the column count that gives each relic the biggest
    square above its caption; the last row is centred."""
    if n <= 0:
        return []
    gap, caption = m.u * 0.8, m.u * CAPTION_UNITS
    best: tuple[float, int] | None = None
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        cw = (area.w - gap * (cols - 1)) / cols
        ch = (area.h - gap * (rows - 1)) / rows
        square = min(cw, ch - caption)
        if best is None or square > best[0] + 1e-6:
            best = (square, cols)
    assert best is not None
    cols = best[1]
    rows = math.ceil(n / cols)
    ch = (area.h - gap * (rows - 1)) / rows
    cw = min((area.w - gap * (cols - 1)) / cols, max(best[0], 0.0) * 1.25 + m.u)  # no very wide cards
    out = []
    for k in range(n):
        row, col = divmod(k, cols)
        in_row = min(cols, n - row * cols)
        x0 = area.x + (area.w - in_row * cw - (in_row - 1) * gap) / 2
        out.append(Rect(x0 + col * (cw + gap), area.y + row * (ch + gap), cw, ch))
    return out


def centred_box(m: Metrics, width_units: float, height: float) -> Rect:
    """A box ``width_units`` wide (at most the window less margins) and ``height`` px, centred."""
    w = min(m.width - 4 * m.u, m.u * width_units)
    return Rect((m.width - w) / 2, (m.height - height) / 2, w, height)
