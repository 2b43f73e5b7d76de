"""The staff monitor's 2-D overlay in window pixels, laid out for any window size and aspect.

:func:`regions` splits the window (header band, footer band, a legend column, an alert
column and the relic/sensor panel; in portrait the alerts and the panel go full width) and
each widget draws measured text inside its region with :mod:`twin_engine.layout`: lists wrap,
clip with "…" and end in "+N more" when they do not fit; every text is tagged with the box it
must stay in (what the layout tests read back). Widgets take plain view data (``hud``'s
dataclasses and strings) and import nothing from ``bridge/`` or ``simulation/``.

Clickable things are :class:`Hit` rectangles (window px) that the widgets return; the screen
hit-tests the pointer against them, so a click lands on what is drawn under it at every size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from panda3d.core import LineSegs, SamplerState, Texture

from twin_engine.hud import TIER_COLOURS, AlertRow, LegendData, PanelData, ReplayData, Series
from twin_engine.layout import (
    Canvas,
    Metrics,
    Rect,
    block_height,
    fit_count,
    label,
    measure,
    on_top,
    rect,
    text_lines,
)

RGBA = tuple[float, float, float, float]

BAND_BG: RGBA = (0.06, 0.07, 0.09, 1.0)  # header and footer: opaque, so 3-D labels never show through
PANEL_BG: RGBA = (0.08, 0.09, 0.11, 1.0)
TEXT: RGBA = (0.96, 0.96, 0.96, 1.0)
HINT: RGBA = (0.84, 0.87, 0.91, 1.0)  # key hints: light on the dark band (WCAG contrast about 14:1)
DIM: RGBA = (0.74, 0.76, 0.80, 1.0)
BUTTON: RGBA = (0.22, 0.42, 0.28, 1.0)
TRACK: RGBA = (0.35, 0.37, 0.40, 1.0)
THUMB: RGBA = (0.92, 0.92, 0.92, 1.0)
REPLAY: RGBA = (0.55, 0.80, 1.00, 1.0)
TOAST: RGBA = (1.00, 0.85, 0.35, 1.0)
LIMIT: RGBA = (0.92, 0.32, 0.26, 1.0)
TIER: dict[str, RGBA] = {k: (*v, 1.0) for k, v in TIER_COLOURS.items()}
STATUS: dict[str, RGBA] = {"green": (0.40, 0.88, 0.45, 1.0), **TIER}

# sizes in layout units (twin_engine.layout.Metrics.u: a fraction of the window's short side)
BODY, SMALL, TITLE = 0.78, 0.68, 0.95
PAD, GAP = 0.5, 0.3
ROW_LINES = 3
METHOD_LINES = 4
"""The legend's field-model line (method, its error, or why IDW is shown) wraps to at most this many lines."""
CHART_H = 8.0
"""The panel chart's plot height, units (less when the window is short)."""
"""An alert's text wraps to at most this many lines (the rest cut with "…")."""


@dataclass(frozen=True)
class Hit:
    """A clickable rectangle (window px) and what a click on it does: ``action`` with ``arg``."""

    rect: Rect
    action: str
    arg: str = ""


@dataclass(frozen=True)
class Regions:
    """Where each part of the overlay may draw (window px)."""

    header: Rect
    footer: Rect
    legend: Rect
    alerts: Rect
    panel: Rect | None


def regions(m: Metrics, header_h: float, footer_h: float, legend_w: float, panel_open: bool,
            alerts_h: float, panel_h: float = 0.0) -> Regions:
    """The overlay's regions for a window of metrics ``m``.

    Landscape: a legend column at the left, an alert column at the right with the panel under
    it. Portrait: the alerts under the header and the panel over the footer, both full width,
    the legend at the left between them. ``alerts_h`` and ``panel_h`` are the heights the alert
    list and the panel want; with the panel open the list gets 28-40 % of its column, less the
    more the panel needs.
    """
    u, w, h = m.u, float(m.width), float(m.height)
    margin = 0.5 * u
    header = Rect(0, 0, w, header_h)
    footer = Rect(0, h - footer_h, w, footer_h)
    top, bottom = header.bottom + margin, footer.y - margin
    if m.portrait:  # alerts over the hall, the panel under it, the legend at the hall's left
        col = Rect(margin, top, w - 2 * margin, bottom - top)
        alerts = Rect(col.x, col.y, col.w, min(alerts_h, col.h * (0.24 if panel_open else 0.4)))
        panel = Rect(col.x, bottom - 0.45 * col.h, col.w, 0.45 * col.h) if panel_open else None
        legend_bottom = panel.y - margin if panel else bottom
        legend = Rect(margin, alerts.bottom + margin, legend_w, legend_bottom - alerts.bottom - margin)
        return Regions(header, footer, legend, alerts, panel)
    col_w = min(max(0.31 * w, 18 * u), 32 * u, w - legend_w - 4 * margin)
    col = Rect(w - margin - col_w, top, col_w, bottom - top)
    share = max(0.28 * col.h, min(0.4 * col.h, col.h - margin - panel_h)) if panel_open else col.h
    alerts = Rect(col.x, col.y, col.w, min(alerts_h, share))
    panel = Rect(col.x, alerts.bottom + margin, col.w, bottom - alerts.bottom - margin) if panel_open else None
    legend = Rect(margin, top, legend_w, bottom - top)
    return Regions(header, footer, legend, alerts, panel)


class Layer:
    """One rebuildable part of the overlay under the canvas; :meth:`clear` empties it."""

    def __init__(self, canvas: Canvas, name: str):
        self.canvas = canvas
        self.root = canvas.root.attachNewNode(name)
        self.hits: list[Hit] = []
        self.covers: Rect | None = None  # the opaque box drawn (clicks on it never reach the hall)

    @property
    def u(self) -> float:
        return self.canvas.u

    def clear(self) -> None:
        for child in self.root.getChildren():
            child.removeNode()
        self.hits = []
        self.covers = None

    def destroy(self) -> None:
        self.clear()
        self.root.removeNode()

    def text(self, text: str, box: Rect, size: float, colour: RGBA = TEXT, align: str = "left",
             x: float | None = None, y: float | None = None, wrap_w: float | None = None,
             max_lines: int = 0) -> Rect:
        return label(self.root, text, box, size, self.canvas.font, colour, align, x, y, wrap_w, max_lines)

    def lines_of(self, text: str, size: float, wrap_w: float, max_lines: int = 0) -> list[str]:
        return text_lines(text, size, self.canvas.font, wrap_w, max_lines)


# --- header -----------------------------------------------------------------------------------


def header_height(canvas: Canvas, width: float, title: str, hint: str, status: str) -> float:
    """The header band's height (px) for these texts at ``width`` px."""
    u, font = canvas.u, canvas.font
    inner = width - 2 * PAD * u
    n = [len(text_lines(s, size * u, font, inner, 2)) for s, size in ((title, TITLE), (status, SMALL), (hint, SMALL))
         if s]
    sizes = [TITLE, SMALL, SMALL][: len(n)]
    return 2 * PAD * u + sum(block_height(k, s * u) for k, s in zip(n, sizes, strict=True))


class Header(Layer):
    """The top band: hall, quantity, live/replay time; the connection line; the key hints."""

    def show(self, box: Rect, title: str, hint: str, status: str, tier: str) -> None:
        self.clear()
        u = self.u
        self.covers = self.canvas.box(box, BAND_BG, self.root)
        inner = box.inset(PAD * u)
        used = self.text(title, inner, TITLE * u, TEXT, max_lines=2)
        y = used.bottom
        if status:
            y = self.text(status, inner, SMALL * u, STATUS.get(tier, STATUS["green"]), y=y, max_lines=2).bottom
        if hint:
            self.text(hint, inner, SMALL * u, HINT, y=y, max_lines=2)


# --- footer: replay slider, caption, a passing note ---------------------------------------------


def footer_height(canvas: Canvas, toast: str) -> float:
    u = canvas.u
    return 2 * PAD * u + block_height(1, SMALL * u) + GAP * u + 1.1 * u + (block_height(1, SMALL * u) if toast else 0)


class Footer(Layer):
    """The bottom band: the replay slider (drag or click: hours back) with its caption, and a
    short note (``toast``) such as "no alert to jump to"."""

    def __init__(self, canvas: Canvas, name: str):
        super().__init__(canvas, name)
        self.track: Rect | None = None
        self.span_h = 1.0

    def show(self, box: Rect, data: ReplayData, toast: str = "") -> None:
        self.clear()
        u = self.u
        self.covers = self.canvas.box(box, BAND_BG, self.root)
        inner = box.inset(PAD * u)
        y = inner.y
        if toast:
            y = self.text(toast, inner, SMALL * u, TOAST, align="center", max_lines=1).bottom
        y = self.text(data.label, inner, SMALL * u, TEXT if data.live else REPLAY, align="center", y=y,
                      max_lines=1).bottom + GAP * u
        track_w = min(inner.w, max(0.6 * inner.w, 20 * u))
        track = Rect(inner.x + (inner.w - track_w) / 2, y + 0.35 * u, track_w, 0.4 * u)
        rect(self.root, track, TRACK)
        frac = 1.0 - min(1.0, max(0.0, data.hours / data.span_h)) if data.span_h > 0 else 1.0
        cx = track.x + frac * track.w
        rect(self.root, Rect(cx - 0.3 * u, y, 0.6 * u, 1.1 * u), THUMB)
        self.track, self.span_h = Rect(track.x, y, track.w, 1.1 * u), data.span_h
        self.hits.append(Hit(self.track, "replay_at"))

    def hours_at(self, px: float) -> float:
        """Hours back from now that pixel column ``px`` of the track stands for (right end = live)."""
        if self.track is None:
            return 0.0
        frac = min(1.0, max(0.0, (px - self.track.x) / max(self.track.w, 1.0)))
        return (1.0 - frac) * self.span_h


# --- legend -----------------------------------------------------------------------------------


def legend_width(canvas: Canvas, data: LegendData) -> float:
    """Width (px) of the legend: the colour bar and its widest tick, or the title, within 14 units."""
    u, font = canvas.u, canvas.font
    ticks = max((measure(t, SMALL * u, font) for _, t in data.ticks), default=0.0)
    want = max(1.2 * u + 0.8 * u + ticks, measure(data.title, BODY * u, font)) + 2 * PAD * u
    return min(max(want, 9 * u), 14 * u)


class Legend(Layer):
    """The colour bar with ticks in units and the no-data swatches, bottom-aligned in ``box``."""

    def show(self, box: Rect, data: LegendData) -> None:
        self.clear()
        u = self.u
        inner_w = box.w - 2 * PAD * u
        title = self.lines_of(data.title, BODY * u, inner_w, 2)
        method = self.lines_of(data.method, SMALL * u, inner_w, METHOD_LINES) if data.method else []
        notes = [self.lines_of(text, SMALL * u, inner_w - 1.6 * u, 3) for _, text, _ in data.notes]
        head_h = block_height(len(title), BODY * u) + GAP * u
        if method:
            head_h += block_height(len(method), SMALL * u) + GAP * u
        while True:  # the notes go (last first) before the bar gets shorter than 3 units
            notes_h = sum(block_height(len(n), SMALL * u) + GAP * u for n in notes)
            fixed = 2 * PAD * u + head_h + notes_h + SMALL * u
            if not notes or box.h - fixed >= 3 * u:
                break
            notes.pop()
        bar_h = min(10 * u, max(3 * u, box.h - fixed))
        height = min(box.h, fixed + bar_h)
        panel = self.canvas.box(Rect(box.x, box.bottom - height, box.w, height), PANEL_BG, self.root)
        self.covers = panel
        inner = panel.inset(PAD * u)
        y = self.text(data.title, inner, BODY * u, TEXT, max_lines=2).bottom + GAP * u
        if method:
            y = self.text(data.method, inner, SMALL * u, DIM, y=y, max_lines=METHOD_LINES).bottom + GAP * u
        y += 0.5 * SMALL * u
        bar = Rect(inner.x, y, 1.2 * u, bar_h)
        self._bar(bar, data.colours)
        last = -math.inf
        for pos, tick in sorted(data.ticks, key=lambda p: -p[0]):  # top down; a tick too close to the last is left out
            ty = bar.bottom - pos * bar.h
            segs = LineSegs()
            segs.setColor(*TEXT)
            segs.moveTo(bar.right, 0, -ty)
            segs.drawTo(bar.right + 0.4 * u, 0, -ty)
            on_top(self.root.attachNewNode(segs.create()))
            top = ty - 0.55 * SMALL * u
            if top >= last:
                last = self.text(tick, inner, SMALL * u, TEXT, x=bar.right + 0.6 * u, y=top, max_lines=1).bottom
        y = bar.bottom + 0.5 * SMALL * u + GAP * u
        for rgb, text, hatched in data.notes[: len(notes)]:
            sw = Rect(inner.x, y + 0.1 * u, 1.2 * u, 0.7 * u)
            rect(self.root, sw, (*rgb, 1.0))
            if hatched:
                self._hatch(sw)
            y = self.text(text, inner, SMALL * u, DIM, x=inner.x + 1.6 * u, y=y, max_lines=3).bottom + GAP * u

    def _bar(self, r: Rect, colours: Sequence[tuple[float, float, float]]) -> None:
        tex = Texture("legend")
        tex.setup2dTexture(1, len(colours), Texture.T_unsigned_byte, Texture.F_rgb8)
        tex.setMagfilter(SamplerState.FT_linear)
        tex.setWrapV(SamplerState.WM_clamp)
        tex.setRamImage(bytes(int(round(c * 255)) for rgb in colours for c in reversed(rgb)))
        rect(self.root, r, (1, 1, 1, 1)).setTexture(tex)

    def _hatch(self, r: Rect) -> None:
        segs = LineSegs()
        segs.setColor(0.35, 0.35, 0.37, 1)
        segs.setThickness(2)
        for k in range(4):
            segs.moveTo(r.x + k * r.w / 4, 0, -r.bottom)
            segs.drawTo(r.x + (k + 1) * r.w / 4, 0, -r.y)
        on_top(self.root.attachNewNode(segs.create()))


# --- alerts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertTexts:
    """The alert list's words: title, empty note, acknowledged tag, button, hint, "+{n} more"."""

    title: str
    empty: str
    acknowledged: str
    ack: str
    hint: str
    more: str  # with {n}


class AlertList(Layer):
    """Open alerts, worst first: a tier swatch, the text wrapped to :data:`ROW_LINES` lines, an
    Ack button; rows that do not fit end the list with "+N more" (PgUp/PgDn scroll by ``first``)."""

    def rows_height(self, width: float, rows: Sequence[AlertRow], words: AlertTexts) -> float:
        """The height (px) the whole list wants at ``width``."""
        u = self.u
        head = 2 * PAD * u + block_height(1, BODY * u) + GAP * u + block_height(1, SMALL * u)
        heights = [self._row_h(self._row_lines(r, width, words)) for r in rows] or [block_height(1, BODY * u)]
        return head + sum(heights)

    def show(self, box: Rect, rows: Sequence[AlertRow], words: AlertTexts, first: int = 0) -> int:
        """Draw the rows from ``first`` on in ``box``; returns how many were drawn."""
        self.clear()
        u = self.u
        panel = self.canvas.box(box, PANEL_BG, self.root)
        self.covers = panel
        inner = panel.inset(PAD * u)
        y = self.text(f"{words.title} ({len(rows)})", inner, BODY * u, TEXT, max_lines=1).bottom + GAP * u
        hint_h = block_height(1, SMALL * u)
        if not rows:
            self.text(words.empty, inner, BODY * u, DIM, y=y, max_lines=2)
            return 0
        first = max(0, min(first, len(rows) - 1))
        shown = list(rows)[first:]
        texts = [self._row_lines(r, box.w, words) for r in shown]
        heights = [self._row_h(t) for t in texts]
        room = inner.bottom - hint_h - y
        n = fit_count(heights, room, block_height(1, SMALL * u))
        n = max(n, 0)
        ack_w = self._ack_w(words)
        for row, lines, rh in zip(shown[:n], texts[:n], heights[:n], strict=True):
            alpha = 0.45 if row.acknowledged else 1.0
            colour = TIER.get(row.tier, (0.6, 0.6, 0.6, 1.0))
            rect(self.root, Rect(inner.x, y + 0.15 * u, 0.45 * u, rh - GAP * u - 0.3 * u), (*colour[:3], alpha))
            tx = inner.x + 0.8 * u
            text_box = Rect(tx, y, inner.right - tx - (ack_w + 0.4 * u), rh - GAP * u)
            used = self.text("\n".join(lines), text_box, SMALL * u, DIM if row.acknowledged else TEXT, y=y)
            self.hits.append(Hit(Rect(tx, y, text_box.w, used.h), "jump", row.id))
            if not row.acknowledged:
                button = Rect(inner.right - ack_w, y, ack_w, block_height(1, SMALL * u) + 0.2 * u)
                rect(self.root, button, BUTTON)
                self.text(words.ack, button, SMALL * u, TEXT, align="center", y=button.y + 0.1 * u, max_lines=1)
                self.hits.append(Hit(button, "ack", row.id))
            y += rh
        hidden_after, hidden_before = len(shown) - n, first
        if hidden_after or hidden_before:
            more = words.more.format(n=hidden_after) if hidden_after else ""
            if hidden_before:
                more = (more + "  " if more else "") + f"▲ {hidden_before}"
            self.text(more, inner, SMALL * u, TOAST, y=y, max_lines=1)
        self.text(words.hint, inner, SMALL * u, HINT, y=inner.bottom - hint_h, max_lines=1)
        return n

    def _ack_w(self, words: AlertTexts) -> float:
        return measure(words.ack, SMALL * self.u, self.canvas.font) + 0.8 * self.u

    def _row_lines(self, row: AlertRow, width: float, words: AlertTexts) -> list[str]:
        u = self.u
        text = row.text + (f"  ({words.acknowledged})" if row.acknowledged else "")
        wrap_w = width - 2 * PAD * u - 0.8 * u - (self._ack_w(words) + 0.4 * u)
        return self.lines_of(text, SMALL * u, max(wrap_w, 4 * u), ROW_LINES)

    def _row_h(self, lines: Sequence[str]) -> float:
        return block_height(len(lines), SMALL * self.u) + GAP * self.u


# --- the relic / sensor panel ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChartTexts:
    """The chart's axis words: the past, now, the forecast's end (e.g. "-24 h", "now", "+12 h"),
    "limit" and "+{n} more" for rows that did not fit; ``close`` labels the close button."""

    past: str = "-24 h"
    now: str = "now"
    ahead: str = "+12 h"
    limit: str = "limit"
    more: str = "+{n} more"
    close: str = "×"


def place_panel(region: Rect, wanted_h: float, portrait: bool) -> Rect:
    """The panel's box in its region: as tall as its content wants (at most the region); under
    the alerts in landscape, over the footer in portrait."""
    h = min(wanted_h, region.h)
    return Rect(region.x, region.bottom - h if portrait else region.y, region.w, h)


class Panel(Layer):
    """The selected relic's or sensor's panel: title, rows of (label, value), the chart."""

    def wanted_height(self, width: float, data: PanelData) -> float:
        """The height (px) that shows every row and a full-height chart at ``width``."""
        u = self.u
        inner_w = width - 2 * PAD * u
        head_w = inner_w - 1.8 * u
        h = block_height(len(self.lines_of(data.title, TITLE * u, head_w, 2)), TITLE * u)
        if data.subtitle:
            h += block_height(len(self.lines_of(data.subtitle, SMALL * u, head_w, 2)), SMALL * u)
        rows = sum(r for *_, r in self._laid(inner_w, data.lines))
        chart = block_height(len(self.lines_of(data.chart_title, SMALL * u, inner_w, 2)), SMALL * u) + CHART_H * u
        return 2 * PAD * u + h + GAP * u + rows + GAP * u + chart

    def show(self, box: Rect, data: PanelData, words: ChartTexts, min_span: float = 1.0) -> None:
        self.clear()
        u = self.u
        panel = self.canvas.box(box, PANEL_BG, self.root)
        self.covers = panel
        inner = panel.inset(PAD * u)
        close = Rect(inner.right - 1.4 * u, inner.y, 1.4 * u, 1.4 * u)
        rect(self.root, close, (0.25, 0.26, 0.3, 1.0))
        self.text(words.close, close, BODY * u, TEXT, align="center", y=close.y + 0.15 * u, max_lines=1)
        self.hits.append(Hit(close, "close_panel"))
        head = Rect(inner.x, inner.y, inner.w - close.w - 0.4 * u, inner.h)
        y = self.text(data.title, head, TITLE * u, TEXT, max_lines=2).bottom
        if data.subtitle:
            y = self.text(data.subtitle, head, SMALL * u, DIM, y=y, max_lines=2).bottom
        y += GAP * u
        chart_title_h = block_height(len(self.lines_of(data.chart_title, SMALL * u, inner.w, 2)), SMALL * u)
        rows_h = sum(h for *_, h in self._laid(inner.w, data.lines))
        room = inner.bottom - y - GAP * u - rows_h - chart_title_h - 1.0  # what the rows leave the plot (1 px slack)
        chart_h = chart_title_h + min(CHART_H * u, max(4 * u, room))
        rows_bottom = inner.bottom - chart_h - GAP * u
        self._rows(inner, y, rows_bottom, data.lines, words)
        self._chart(data, Rect(inner.x, rows_bottom + GAP * u, inner.w, inner.bottom - rows_bottom - GAP * u),
                    words, min_span)

    def _laid(self, width: float, lines: Sequence[tuple[str, str]]) -> list[tuple[list[str], list[str], float]]:
        """Each row's label lines, value lines and height at ``width`` (a row with no value spans both columns)."""
        size = SMALL * self.u
        label_w = self._label_w(width, lines)
        out = []
        for a, b in lines:
            la = self.lines_of(a, size, label_w - 0.5 * self.u if b else width, 2)  # 0.1 u of slack: no split
            lb = self.lines_of(b, size, width - label_w, 2) if b else []
            out.append((la, lb, block_height(max(len(la), len(lb)), size)))
        return out

    def _label_w(self, width: float, lines: Sequence[tuple[str, str]]) -> float:
        size = SMALL * self.u
        return min(max((measure(a, size, self.canvas.font) for a, b in lines if b), default=0.0) + 0.6 * self.u,
                   0.55 * width)

    def _rows(self, inner: Rect, y: float, bottom: float, lines: Sequence[tuple[str, str]], words: ChartTexts) -> None:
        size = SMALL * self.u
        label_w = self._label_w(inner.w, lines)
        value_w = inner.w - label_w
        laid = self._laid(inner.w, lines)
        n = fit_count([h for *_, h in laid], bottom - y, block_height(1, size))
        for la, lb, h in laid[:n]:
            self.text("\n".join(la), Rect(inner.x, y, label_w if lb else inner.w, h), size, DIM, y=y)
            if lb:
                self.text("\n".join(lb), Rect(inner.x + label_w, y, value_w, h), size, TEXT, y=y)
            y += h
        if n < len(laid):
            self.text(words.more.format(n=len(laid) - n), inner, size, DIM, y=y, max_lines=1)

    def _chart(self, data: PanelData, box: Rect, words: ChartTexts, min_span: float) -> None:
        u, font = self.u, self.canvas.font
        size = SMALL * u
        top = self.text(data.chart_title, box, size, DIM, max_lines=2).bottom + 0.3 * u
        series = [s for s in (data.history, data.forecast) if s is not None and len(s.times)]
        if not series:
            self.text(data.empty_chart_text, box, size, DIM, y=top + 0.5 * u, max_lines=2)
            return
        v0, v1 = chart_range(series, data.limits, min_span)
        ticks = [f"{v1:.1f}", f"{v0:.1f}"]
        gutter = max(measure(t, size, font) for t in ticks) + 0.5 * u
        axis_h = block_height(1, size)
        plot = Rect(box.x + gutter, top + 0.5 * size, box.w - gutter - 0.3 * u,
                    max(2 * u, box.bottom - axis_h - top - 0.5 * size))
        t0 = min(min(s.times) for s in series)
        t1 = max(max(s.times) for s in series)

        def px(t: float, v: float) -> tuple[float, float, float]:
            return (plot.x + plot.w * (t - t0) / ((t1 - t0) or 1.0), 0.0, -(plot.bottom - plot.h * (v - v0) / (v1 - v0)))

        frame = LineSegs()
        frame.setColor(*DIM)
        frame.moveTo(plot.x, 0, -plot.bottom)
        frame.drawTo(plot.right, 0, -plot.bottom)
        frame.moveTo(plot.x, 0, -plot.bottom)
        frame.drawTo(plot.x, 0, -plot.y)
        if t0 < 0 < t1:
            frame.moveTo(*px(0.0, v0))
            frame.drawTo(*px(0.0, v1))
        on_top(self.root.attachNewNode(frame.create()))
        lines = LineSegs()
        lines.setThickness(2)
        for lim in sorted(set(data.limits or ())):
            if v0 <= lim <= v1:  # a limit off the data's scale is in the "Limits" row, not squeezed in
                lines.setColor(*LIMIT)
                _dashed(lines, px(t0, lim), px(t1, lim), u * 0.5)
        for s, colour in ((data.history, (0.95, 0.95, 0.95, 1.0)), (data.forecast, (0.35, 0.75, 1.0, 1.0))):
            if s is None or not len(s.times):
                continue
            if s.low is not None and s.high is not None:
                lines.setColor(colour[0], colour[1], colour[2], 0.45)
                for band in (s.low, s.high):
                    _polyline(lines, [px(t, v) for t, v in zip(s.times, band, strict=True)])
            lines.setColor(*colour)
            _polyline(lines, [px(t, v) for t, v in zip(s.times, s.values, strict=True)])
        on_top(self.root.attachNewNode(lines.create()))
        # the axis numbers stand in the gutter, left of the plot: nothing is drawn through them
        self.text(ticks[0], box, size, DIM, align="right", x=plot.x - 0.3 * u, y=plot.y - 0.5 * size, max_lines=1)
        self.text(ticks[1], box, size, DIM, align="right", x=plot.x - 0.3 * u, y=plot.bottom - 0.9 * size,
                  max_lines=1)
        y_axis = plot.bottom + 0.15 * u
        self.text(words.past if t0 < 0 else "", box, size, DIM, x=plot.x, y=y_axis, max_lines=1)
        if t1 > 0:
            self.text(words.ahead, box, size, DIM, align="right", x=plot.right, y=y_axis, max_lines=1)
        if t0 < 0 < t1:
            nx = px(0.0, v0)[0]
            w_now = measure(words.now, size, font)
            left_end = plot.x + measure(words.past, size, font) + 0.3 * u
            right_start = plot.right - measure(words.ahead, size, font) - 0.3 * u
            if left_end < nx - w_now / 2 and nx + w_now / 2 < right_start:
                self.text(words.now, box, size, DIM, align="center", x=nx, y=y_axis, max_lines=1)


def chart_range(series: Sequence[Series], limits: tuple[float, float] | None, min_span: float) -> tuple[float, float]:
    """(low, high) of the chart's value axis: the data (values and bands) with 10 % room, at least
    ``min_span`` tall (so a flat line is not blown up into noise); a limit within one span of the
    data is included (seen coming), a farther one is not (the data keeps most of the chart's height)."""
    vals = [v for s in series for v in s.values if math.isfinite(v)]
    vals += [v for s in series for band in (s.low, s.high) if band is not None for v in band if math.isfinite(v)]
    if not vals:
        return 0.0, 1.0
    lo, hi = min(vals), max(vals)
    span = max(hi - lo, min_span)
    for lim in limits or ():
        if lo - span <= lim <= hi + span:
            lo, hi = min(lo, lim), max(hi, lim)
    span = max(hi - lo, min_span)
    mid = (lo + hi) / 2
    return mid - 0.55 * span, mid + 0.55 * span


def _polyline(segs: LineSegs, pts: Sequence[tuple[float, float, float]]) -> None:
    if not pts:
        return
    segs.moveTo(*pts[0])
    for p in pts[1:]:
        segs.drawTo(*p)


def _dashed(segs: LineSegs, a: tuple[float, float, float], b: tuple[float, float, float], dash: float) -> None:
    length = math.hypot(b[0] - a[0], b[2] - a[2])
    n = max(1, int(length / (2 * dash)))
    for k in range(n):
        f0, f1 = (2 * k) / (2 * n), (2 * k + 1) / (2 * n)
        segs.moveTo(a[0] + (b[0] - a[0]) * f0, 0, a[2] + (b[2] - a[2]) * f0)
        segs.drawTo(a[0] + (b[0] - a[0]) * f1, 0, a[2] + (b[2] - a[2]) * f1)


def hit_at(layers: Sequence[Layer], px: float, py: float) -> Hit | None:
    """The clickable thing under pixel (px, py), topmost layer first."""
    for layer in reversed(layers):
        for hit in layer.hits:
            if hit.rect.contains(px, py):
                return hit
    return None


def covered(layers: Sequence[Layer], px: float, py: float) -> bool:
    """Whether pixel (px, py) is on one of the overlay's boxes (a click there is not for the hall)."""
    return any(layer.covers is not None and layer.covers.contains(px, py) for layer in layers)

