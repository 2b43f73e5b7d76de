"""The what-if player's 2-D overlay, laid out for any window (``layout.py``), fed plain view data.

Title and key hints at the top left, the list of limit crossings at the top
right (below the title in a portrait window), the colour bar above the time
bar at the bottom right, the time bar along the bottom: its caption on a line
of its own above the track, so the handle never covers it. Every text is
measured before it is placed; crossing rows that do not fit say "+N more".
Imports nothing from ``bridge/`` or ``simulation/``: the screen hands it
strings, numbers and colours. Taps are routed by :meth:`PlayerOverlay.hit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from panda3d.core import NodePath, SamplerState, Texture

from twin_engine.layout import GLYPH_SLACK, Canvas, Rect, block_height, fit_count, lift, measure, rect, text_lines

RGB = tuple[float, float, float]
RGBA = tuple[float, float, float, float]
INK: RGBA = (0.95, 0.95, 0.95, 1.0)
DIM: RGBA = (0.72, 0.74, 0.77, 1.0)
PANEL: RGBA = (0.08, 0.09, 0.11, 0.88)
TRACK: RGBA = (0.35, 0.37, 0.40, 1.0)
HANDLE: RGBA = (0.92, 0.92, 0.92, 1.0)
PLAYING: RGBA = (0.55, 0.80, 1.0, 1.0)


@dataclass(frozen=True)
class CrossingLine:
    """One row of the crossing list: tier colour, the relic, when, which limit by how much, whether
    it has happened / is outside at the shown time, and the time (s) a click jumps to."""

    tier: str
    name: str
    when: str
    detail: str
    happened: bool
    active: bool
    jump_s: float


@dataclass(frozen=True)
class CrossingListData:
    title: str
    rows: Sequence[CrossingLine]
    empty: str
    earlier: str = ""
    later: str = ""
    footer: str = ""
    more: str = "+{n}"  # the line for rows that do not fit, formatted with n


@dataclass(frozen=True)
class LegendView:
    """title; colours: the bar's samples, low to high; ticks: (position 0..1, label)."""

    title: str
    colours: Sequence[RGB]
    ticks: Sequence[tuple[float, str]]


@dataclass(frozen=True)
class TimeBarView:
    """caption: the time shown; fraction: where in the run (0..1); ticks: (fraction, tier) of crossings."""

    caption: str
    fraction: float
    ticks: Sequence[tuple[float, str]] = ()
    playing: bool = False


@dataclass(frozen=True)
class PlayerView:
    title: str
    hint: str
    crossings: CrossingListData
    legend: LegendView
    time: TimeBarView
    tier_colours: dict[str, RGB] = field(default_factory=dict)


class PlayerOverlay:
    """The overlay under ``render2d`` for a window of ``size`` px."""

    def __init__(self, render2d: NodePath, size: tuple[int, int], font: Any = None):
        self.canvas = Canvas(render2d, "whatif-overlay", size, font)
        self.root = self.canvas.root
        self.rows: list[tuple[Rect, float]] = []  # (drawn row, seconds it jumps to)
        self.track = Rect(0, 0, 0, 0)
        self.free = self.canvas.metrics.window  # what the panels leave of the window, for the hall
        self.view: PlayerView | None = None

    def resize(self, size: tuple[int, int]) -> None:
        self.canvas.resize(size)
        if self.view is not None:
            self.show(self.view)

    def destroy(self) -> None:
        self.root.removeNode()

    def hit(self, px: float, py: float) -> tuple[str, float] | None:
        """("jump", seconds) on a crossing row, ("scrub", fraction 0..1) on the time bar, else None."""
        for r, seconds in self.rows:
            if r.contains(px, py):
                return "jump", seconds
        grab = self.track.inset(-self.canvas.u * 0.5, -self.canvas.u * 0.8)
        if grab.contains(px, py):
            return "scrub", self.fraction_at(px)
        return None

    def fraction_at(self, px: float) -> float:
        return min(1.0, max(0.0, (px - self.track.x) / max(self.track.w, 1.0)))

    # --- drawing ------------------------------------------------------------------------------

    def show(self, view: PlayerView) -> None:
        self.view = view
        for child in self.root.getChildren():
            child.removeNode()
        m, u = self.canvas.metrics, self.canvas.u
        bar = self._time_bar(view)
        legend = self._legend(view.legend, bar.y - u * 0.5)
        if m.portrait:
            head = self._title(view, m.width - 2 * u)
            listed = self._crossings(view, Rect(u, head.bottom + u * 0.5, m.width - 2 * u,
                                                min(m.height * 0.4, legend.y - head.bottom - u * 1.5)))
            top, bottom, right = listed.bottom + u * 0.5, legend.y - u * 0.5, m.width - u
        else:
            pw = min(max(m.width * 0.36, u * 20), m.width * 0.5)
            head = self._title(view, m.width - pw - 3 * u)
            listed = self._crossings(view, Rect(m.width - pw - u, u, pw, legend.y - u * 1.5))
            top, bottom, right = head.bottom + u * 0.5, bar.y - u * 0.5, listed.x - u
        self.free = Rect(u, top, max(right - u, u), max(bottom - top, u))
        lift(self.root, 2_000_000)

    def _title(self, view: PlayerView, width: float) -> Rect:
        c, u, f = self.canvas, self.canvas.u, self.canvas.font
        title = text_lines(view.title, u * 1.1, f, width - u, 2)
        hint = text_lines(view.hint, u * 0.7, f, width - u, 3)
        h = block_height(len(title), u * 1.1) + block_height(len(hint), u * 0.7) + u * 0.9
        box = c.box(Rect(u, u, min(width, max(measure(s, sz, f) for s, sz in
                                              [(t, u * 1.1) for t in title] + [(t, u * 0.7) for t in hint]) + u * 1.2),
                         h), PANEL)
        inner = box.inset(u * 0.5, u * 0.35)
        used = c.text("\n".join(title), inner, u * 1.1, INK)
        c.text("\n".join(hint), inner, u * 0.7, DIM, y=used.bottom + u * 0.2)
        return box

    def _crossings(self, view: PlayerView, area: Rect) -> Rect:
        c, u, f = self.canvas, self.canvas.u, self.canvas.font
        data = view.crossings
        self.rows = []
        inner_w = area.w - u * 1.4
        title_h = block_height(1, u * 0.95) + u * 0.3
        extra = [s for s in (data.earlier, data.later) if s]
        footer = text_lines(data.footer, u * 0.62, f, inner_w, 2) if data.footer else []
        fixed = title_h + block_height(len(extra), u * 0.68) + block_height(len(footer), u * 0.62) + u * 1.4
        rows = [(row, self._row_lines(row, inner_w)) for row in data.rows]
        heights = [h for _, (_, _, h) in rows]
        more_h = block_height(1, u * 0.68)
        n = fit_count(heights, max(area.h - fixed, 0.0), more_h)
        shown = rows[:n]
        body = sum(heights[:n]) + (more_h if n < len(rows) else 0.0) + (0 if data.rows else block_height(1, u * 0.75))
        panel = c.box(Rect(area.x, area.y, area.w, min(area.h, fixed + body)), PANEL)
        inner = panel.inset(u * 0.7, u * 0.5)
        y = c.text(data.title, inner, u * 0.95, INK, max_lines=1).bottom + u * 0.3
        if data.earlier:
            y = c.text(data.earlier, inner, u * 0.68, DIM, y=y, max_lines=1).bottom
        if not data.rows:
            y = c.text(data.empty, inner, u * 0.75, DIM, y=y, max_lines=1).bottom
        for row, (name_lines, detail_lines, h) in shown:
            self._row(view, row, inner, y, name_lines, detail_lines)
            self.rows.append((Rect(panel.x, y, panel.w, h), row.jump_s))
            y += h
        if n < len(rows):
            y = c.text(data.more.format(n=len(rows) - n), inner, u * 0.68, DIM, y=y, max_lines=1).bottom
        if data.later:
            y = c.text(data.later, inner, u * 0.68, DIM, y=y, max_lines=1).bottom
        if footer:
            c.text("\n".join(footer), inner, u * 0.62, DIM, y=y + u * 0.2)
        return panel

    def _row_lines(self, row: CrossingLine, width: float) -> tuple[list[str], list[str], float]:
        u, f = self.canvas.u, self.canvas.font
        text_w = width - u * 0.9
        name_w = text_w - measure(row.when, u * 0.72, f) - u * 0.8
        name = text_lines(row.name, u * 0.82, f, name_w, 1)
        detail = text_lines(row.detail, u * 0.66, f, text_w, 2)
        return name, detail, block_height(1, u * 0.82) + block_height(len(detail), u * 0.66) + u * 0.35

    def _row(self, view: PlayerView, row: CrossingLine, inner: Rect, y: float, name: list[str],
             detail: list[str]) -> None:
        c, u = self.canvas, self.canvas.u
        alpha = 1.0 if row.active else 0.45 if row.happened else 0.15
        rgb = view.tier_colours.get(row.tier, (0.6, 0.6, 0.6))
        rect(self.root, Rect(inner.x, y + u * 0.1, u * 0.4, u * 1.0), (*rgb, alpha))
        colour = INK if row.happened else DIM
        text_box = Rect(inner.x + u * 0.9, inner.y, inner.w - u * 0.9, inner.h)
        c.text(name[0], text_box, u * 0.82, colour, y=y, wrap_w=None)
        c.text(row.when, text_box, u * 0.72, colour, "right", y=y + u * 0.08, wrap_w=None)
        c.text("\n".join(detail), text_box, u * 0.66, DIM, y=y + block_height(1, u * 0.82), wrap_w=None)

    def _time_bar(self, view: PlayerView) -> Rect:
        """The bar along the bottom: the caption's own line above the track; returns the panel."""
        c, m, u, f = self.canvas, self.canvas.metrics, self.canvas.u, self.canvas.font
        tv = view.time
        width = m.width - 2 * u
        caption = text_lines(tv.caption, u * 0.72, f, width - u * 2, 2)
        cap_h = block_height(len(caption), u * 0.72)
        handle_h = u * 1.1
        h = u * 0.4 + cap_h + u * 0.3 + handle_h + u * 0.5
        panel = c.box(Rect(u, m.height - h - u * 0.5, width, h), PANEL)
        inner = panel.inset(u, u * 0.4)
        c.text("\n".join(caption), inner, u * 0.72, PLAYING if tv.playing else INK, "center")
        centre_y = inner.y + cap_h + u * 0.3 + handle_h / 2
        self.track = Rect(inner.x, centre_y - u * 0.12, inner.w, u * 0.24)
        rect(self.root, self.track, TRACK)
        for frac, tier in tv.ticks:
            x = self.track.x + frac * self.track.w
            rect(self.root, Rect(x - 1.5, centre_y + u * 0.2, 3.0, u * 0.35),
                 (*view.tier_colours.get(tier, (0.6, 0.6, 0.6)), 1.0))
        x = self.track.x + min(max(tv.fraction, 0.0), 1.0) * self.track.w
        rect(self.root, Rect(x - u * 0.25, centre_y - handle_h / 2, u * 0.5, handle_h), HANDLE)
        return panel

    def _legend(self, lv: LegendView, bottom: float) -> Rect:
        """A horizontal colour bar with its title and tick labels, at the right above ``bottom``."""
        c, m, u, f = self.canvas, self.canvas.metrics, self.canvas.u, self.canvas.font
        w = min(u * 16, m.width * 0.45)
        h = block_height(1, u * 0.75) + u * 0.7 + block_height(1, u * 0.62) + u * 1.0
        panel = c.box(Rect(m.width - u - w, bottom - h, w, h), PANEL)
        inner = panel.inset(u * 0.6, u * 0.4)
        c.text(lv.title, inner, u * 0.75, INK, max_lines=1)
        bar = Rect(inner.x, inner.y + block_height(1, u * 0.75) + u * 0.1, inner.w, u * 0.6)
        tex = Texture("whatif-legend")
        tex.setup2dTexture(len(lv.colours), 1, Texture.T_unsigned_byte, Texture.F_rgb8)
        tex.setMagfilter(SamplerState.FT_linear)
        tex.setWrapU(SamplerState.WM_clamp)
        tex.setRamImage(bytes(int(round(ch * 255)) for rgb in lv.colours for ch in reversed(rgb)))
        rect(self.root, bar, (1, 1, 1, 1)).setTexture(tex)
        right_edge = bar.x - 1.0
        for pos, text in lv.ticks:  # a label that would touch the one before it is left out
            x = bar.x + pos * bar.w
            tw = measure(text, u * 0.62, f) + u * 0.62 * GLYPH_SLACK
            left = min(max(x - tw / 2, inner.x), inner.right - tw)
            if left < right_edge + u * 0.4:
                continue
            rect(self.root, Rect(x - 1, bar.bottom, 2, u * 0.2), INK)
            c.text(text, inner, u * 0.62, DIM, x=left, y=bar.bottom + u * 0.25, wrap_w=0)
            right_edge = left + tw
        return panel
