"""The monitor's 2-D overlay: title bar, legend, alert list, selection panel.

Every widget takes plain view data (the dataclasses below) and imports
nothing from ``bridge/`` or ``simulation/``; the screen turns its state
into view data. Widgets draw under a parent node of ``aspect2d`` (or one
of ShowBase's ``a2d*`` corner anchors) and rebuild only when given new data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from panda3d.core import CardMaker, LineSegs, NodePath, SamplerState, TextNode, Texture, TransparencyAttrib

RGB = tuple[float, float, float]

PANEL_BG = (0.08, 0.09, 0.11, 1.0)
TEXT = (0.95, 0.95, 0.95, 1.0)
DIM = (0.70, 0.72, 0.75, 1.0)
TIER_COLOURS: dict[str, RGB] = {"red": (0.90, 0.16, 0.14), "yellow": (0.98, 0.78, 0.12)}
STATUS_OK: RGB = (0.35, 0.85, 0.40)  # the connection line when all is well


@dataclass(frozen=True)
class LegendData:
    """title : e.g. "Temperature (°C)"; colours : colour-bar samples, low to high;
    ticks : (position 0..1 along the bar, label); notes : (swatch RGB, text, hatched)."""

    title: str
    colours: Sequence[RGB]
    ticks: Sequence[tuple[float, str]]
    notes: Sequence[tuple[RGB, str, bool]] = ()


@dataclass(frozen=True)
class AlertRow:
    """One line of the alert list."""

    id: str
    tier: str
    text: str
    acknowledged: bool = False


@dataclass(frozen=True)
class Series:
    """A time series for the panel chart: ``times`` in hours relative to now
    (negative = past), ``values``, optional band ``low``/``high`` (same length)."""

    times: Sequence[float]
    values: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None


@dataclass(frozen=True)
class PanelData:
    """The selection panel: title, subtitle, (label, value) lines, and an
    optional chart of history and forecast with the profile's limits."""

    title: str
    subtitle: str = ""
    lines: Sequence[tuple[str, str]] = ()
    history: Series | None = None
    forecast: Series | None = None
    limits: tuple[float, float] | None = None
    chart_title: str = ""
    empty_chart_text: str = ""


def draw_text(parent: NodePath, text: str, pos: tuple[float, float], scale: float, colour: Sequence[float] = TEXT,
         align: int = TextNode.ALeft, font: Any | None = None, wordwrap: float | None = None,
         max_width: float | None = None) -> NodePath:
    """A shadowed text at ``pos`` (aspect-2D units), ``scale`` high; narrowed to ``max_width`` if wider."""
    node = TextNode("text")
    node.setText(text)
    node.setAlign(align)
    node.setTextColor(*colour)
    node.setShadow(0.05, 0.05)
    node.setShadowColor(0, 0, 0, 0.8)
    if font is not None:
        node.setFont(font)
    if wordwrap:
        node.setWordwrap(wordwrap)
    np_ = parent.attachNewNode(node)
    width = node.getWidth() * scale
    np_.setScale(scale * min(1.0, max_width / width) if max_width and width > 0 else scale)
    np_.setPos(pos[0], 0, pos[1])
    return np_


def card(parent: NodePath, frame: tuple[float, float, float, float], colour: Sequence[float]) -> NodePath:
    cm = CardMaker("card")
    cm.setFrame(*frame)
    card = parent.attachNewNode(cm.generate())
    card.setColor(*colour)
    if len(colour) == 4 and colour[3] < 1:
        card.setTransparency(TransparencyAttrib.MAlpha)
    return card


class Widget:
    """A rebuildable overlay piece under ``parent``; ``destroy`` removes it."""

    def __init__(self, parent: NodePath, font: Any | None = None):
        self.root = parent.attachNewNode(type(self).__name__)
        self.font = font

    def clear(self) -> None:
        for child in self.root.getChildren():
            child.removeNode()

    def destroy(self) -> None:
        self.clear()
        self.root.removeNode()


class TitleBar(Widget):
    """At the top left: hall, quantity, time, mode; the key hint; a status line in its tier's colour."""

    def show(self, text: str, hint: str = "", status: str = "", tier: str = "green") -> None:
        self.clear()
        draw_text(self.root, text, (0.05, -0.09), 0.055, font=self.font)
        if hint:
            draw_text(self.root, hint, (0.05, -0.15), 0.037, DIM, font=self.font)
        if status:
            colour = (*TIER_COLOURS.get(tier, STATUS_OK), 1.0)
            draw_text(self.root, status, (0.05, -0.21), 0.04, colour, font=self.font)


class Legend(Widget):
    """A vertical colour bar with tick labels and swatches, at the bottom left."""

    def show(self, data: LegendData) -> None:
        self.clear()
        x0, y0, w, h = 0.06, 0.12, 0.05, 0.62
        notes_h = 0.07 * len(data.notes)
        card(self.root, (0.02, 0.52, 0.04, y0 + h + 0.12 + notes_h), PANEL_BG)
        draw_text(self.root, data.title, (0.05, y0 + h + 0.05 + notes_h), 0.045, font=self.font)
        bar_y = y0 + notes_h
        tex = Texture("legend")
        tex.setup2dTexture(1, len(data.colours), Texture.T_unsigned_byte, Texture.F_rgb8)
        tex.setMagfilter(SamplerState.FT_linear)
        tex.setWrapV(SamplerState.WM_clamp)
        tex.setRamImage(bytes(int(round(c * 255)) for rgb in data.colours for c in reversed(rgb)))
        bar = card(self.root, (x0, x0 + w, bar_y, bar_y + h), (1, 1, 1, 1))
        bar.setTexture(tex)
        for pos, label in data.ticks:
            y = bar_y + pos * h
            ticks = LineSegs()
            ticks.setColor(*TEXT)
            ticks.moveTo(x0 + w, 0, y)
            ticks.drawTo(x0 + w + 0.02, 0, y)
            self.root.attachNewNode(ticks.create())
            draw_text(self.root, label, (x0 + w + 0.035, y - 0.012), 0.038, font=self.font)
        for i, (rgb, text, hatched) in enumerate(data.notes):
            y = y0 + 0.07 * (len(data.notes) - 1 - i) - 0.02
            card(self.root, (x0, x0 + w, y, y + 0.045), (*rgb, 1.0))
            if hatched:
                stripes = LineSegs()
                stripes.setColor(0.35, 0.35, 0.37, 1)
                stripes.setThickness(2)
                for k in range(4):
                    stripes.moveTo(x0 + k * w / 4, 0, y)
                    stripes.drawTo(x0 + (k + 1) * w / 4, 0, y + 0.045)
                self.root.attachNewNode(stripes.create())
            draw_text(self.root, text, (x0 + w + 0.02, y + 0.01), 0.032, DIM, font=self.font)


class AlertList(Widget):
    """The alert list at the top right: tier swatch, text, acknowledged state.

    With callbacks, each row's text jumps to the moment the alert began
    (``on_jump(alert_id)``) and unacknowledged rows get an acknowledge
    button (``on_ack(alert_id)``).
    """

    buttons: dict[tuple[str, str], Any] = {}

    def clear(self) -> None:
        for button in self.buttons.values():
            button.destroy()
        self.buttons = {}
        super().clear()

    def show(self, title: str, rows: Sequence[AlertRow], empty: str, hint: str = "", ack_word: str = "",
             ack_button: str = "", on_ack: Callable[[str], None] | None = None,
             on_jump: Callable[[str], None] | None = None) -> None:
        self.clear()
        shown = list(rows)[:8]
        # each row gets the height of its wrapped text (at most ROW_LINES lines, the rest cut with "…")
        texts = [_clip_lines(row.text + (f"  ({ack_word})" if row.acknowledged and ack_word else ""),
                             ROW_WRAP, ROW_LINES, self.font) for row in shown]
        heights = [0.065 + (n - 1) * ROW_LINE_H for _, n in texts]
        height = 0.12 + (sum(heights) if shown else 0.065) + (0.05 if hint else 0)
        card(self.root, (-0.95, -0.03, -0.03 - height, -0.03), PANEL_BG)
        draw_text(self.root, f"{title} ({len(rows)})", (-0.92, -0.1), 0.045, font=self.font)
        if not shown:
            draw_text(self.root, empty, (-0.92, -0.17), 0.036, DIM, font=self.font)
        y = -0.17
        for row, (text, _), row_h in zip(shown, texts, heights, strict=True):
            alpha = 0.45 if row.acknowledged else 1.0
            card(self.root, (-0.92, -0.89, y - 0.01, y + 0.035), (*TIER_COLOURS.get(row.tier, (0.6, 0.6, 0.6)), alpha))
            draw_text(self.root, text, (-0.87, y), ROW_SCALE, DIM if row.acknowledged else TEXT, font=self.font,
                      wordwrap=ROW_WRAP)
            if on_jump is not None:
                self.buttons[("jump", row.id)] = _button(self.root, (-0.87, -0.2, y - 0.012, y + 0.04),
                                                         lambda i=row.id: on_jump(i))
            if on_ack is not None and not row.acknowledged and ack_button:
                self.buttons[("ack", row.id)] = _button(self.root, (-0.17, -0.05, y - 0.012, y + 0.04),
                                                        lambda i=row.id: on_ack(i), ack_button, self.font)
            y -= row_h
        if hint:
            draw_text(self.root, hint, (-0.92, -0.03 - height + 0.03), 0.03, DIM, font=self.font)


ROW_SCALE, ROW_WRAP, ROW_LINES = 0.034, 21.0, 2  # an alert row: text height, wrap width (in text heights), lines
ROW_LINE_H = ROW_SCALE * 1.2  # one more wrapped line (Panda3D's line height is about 1.2 text heights)


def _clip_lines(text: str, wrap: float, max_lines: int, font: Any | None) -> tuple[str, int]:
    """``text`` cut (with "…") to what fits in ``max_lines`` lines wrapped at ``wrap``; and its line count."""
    node = TextNode("measure")
    if font is not None:
        node.setFont(font)
    node.setWordwrap(wrap)
    node.setText(text)
    if node.getNumRows() <= max_lines:
        return text, max(1, node.getNumRows())
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that still fits, by bisection
        mid = (lo + hi + 1) // 2
        node.setText(text[:mid].rstrip() + "…")
        lo, hi = (mid, hi) if node.getNumRows() <= max_lines else (lo, mid - 1)
    return text[:lo].rstrip() + "…", max_lines


def _button(parent: NodePath, frame: tuple[float, float, float, float], command: Callable[[], None],
            label: str = "", font: Any | None = None) -> Any:
    """A flat DirectButton over ``frame``; invisible when ``label`` is empty."""
    from direct.gui.DirectButton import DirectButton
    from direct.gui.DirectGuiGlobals import FLAT

    visible = bool(label)
    button = DirectButton(
        parent=parent, frameSize=frame, relief=FLAT, command=command,
        frameColor=((0.25, 0.45, 0.30, 1), (0.35, 0.6, 0.4, 1), (0.3, 0.55, 0.38, 1), (0.2, 0.2, 0.2, 1))
        if visible else (0, 0, 0, 0),
        text=label, text_scale=0.03, text_fg=TEXT, text_pos=((frame[0] + frame[1]) / 2, frame[2] + 0.018),
        text_font=font, pressEffect=visible,
    )
    if not visible:
        button.setTransparency(TransparencyAttrib.MAlpha)
    return button


@dataclass(frozen=True)
class ReplayData:
    """The replay bar: ``hours`` back from now the slider shows (0 = live),
    ``span_h`` hours it spans, ``label`` the time shown, ``live`` whether live."""

    hours: float
    span_h: float
    label: str
    live: bool


class ReplayBar(Widget):
    """A time slider along the bottom: drag into the past to replay the stored hall."""

    def __init__(self, parent: NodePath, font: Any | None = None):
        super().__init__(parent, font)
        self.slider: Any = None
        self.on_change: Callable[[float], None] | None = None
        self._quiet = False

    def show(self, data: ReplayData, on_change: Callable[[float], None] | None = None) -> None:
        from direct.gui.DirectSlider import DirectSlider

        self.on_change = on_change
        if self.slider is None:
            card(self.root, (-0.62, 0.62, 0.015, 0.125), PANEL_BG)
            self.slider = DirectSlider(parent=self.root, range=(-data.span_h, 0.0), value=-data.hours, pageSize=1.0,
                                       scale=0.5, pos=(0, 0, 0.05), frameSize=(-1.0, 1.0, -0.02, 0.02),
                                       frameColor=(0.35, 0.37, 0.4, 1), thumb_frameSize=(-0.02, 0.02, -0.05, 0.05),
                                       thumb_frameColor=(0.9, 0.9, 0.9, 1), thumb_relief=1,
                                       command=self._moved)
            self.caption = draw_text(self.root, "", (0.0, 0.08), 0.032, TEXT, TextNode.ACenter, self.font)
        self._quiet = True
        self.slider["value"] = -data.hours
        self._quiet = False
        self.caption.node().setText(data.label)
        self.caption.node().setTextColor(*(TEXT if data.live else (0.55, 0.8, 1.0, 1.0)))

    def _moved(self) -> None:
        if self._quiet or self.slider is None or self.on_change is None:
            return
        self.on_change(-float(self.slider["value"]))

    def destroy(self) -> None:
        if self.slider is not None:
            self.slider.destroy()
            self.slider = None
        super().destroy()


class Panel(Widget):
    """The selection panel at the bottom right, with an optional chart."""

    def show(self, data: PanelData | None) -> None:
        self.clear()
        if data is None:
            return
        w, x0 = 0.92, -0.95
        chart_h = 0.34
        height = 0.16 + 0.055 * len(data.lines) + chart_h + 0.1
        card(self.root, (x0, x0 + w, 0.03, 0.03 + height), PANEL_BG)
        y = 0.03 + height - 0.08
        draw_text(self.root, data.title, (x0 + 0.03, y), 0.048, font=self.font, wordwrap=18)
        if data.subtitle:
            y -= 0.055
            draw_text(self.root, data.subtitle, (x0 + 0.03, y), 0.034, DIM, font=self.font)
        for label, value in data.lines:
            y -= 0.055
            draw_text(self.root, label, (x0 + 0.03, y), 0.034, DIM, font=self.font)
            draw_text(self.root, value, (x0 + 0.50, y), 0.034, font=self.font)
        self._chart(data, (x0 + 0.05, 0.08, w - 0.1, chart_h - 0.04))

    def _chart(self, data: PanelData, box: tuple[float, float, float, float]) -> None:
        x, y, w, h = box
        draw_text(self.root, data.chart_title, (x, y + h + 0.01), 0.03, DIM, font=self.font)
        series = [s for s in (data.history, data.forecast) if s is not None and len(s.times)]
        if not series:
            draw_text(self.root, data.empty_chart_text, (x, y + h / 2), 0.032, DIM, font=self.font)
            return
        times = [t for s in series for t in s.times]
        vals = [v for s in series for v in s.values]
        vals += [v for s in series for band in (s.low, s.high) if band is not None for v in band]
        if data.limits:
            vals += list(data.limits)
        t0, t1 = min(times), max(times)
        v0, v1 = min(vals), max(vals)
        pad = 0.05 * (v1 - v0 or 1.0)
        v0, v1 = v0 - pad, v1 + pad

        def px(t: float, v: float) -> tuple[float, float, float]:
            return (x + w * (t - t0) / ((t1 - t0) or 1.0), 0.0, y + h * (v - v0) / (v1 - v0))

        frame = LineSegs()
        frame.setColor(*DIM)
        frame.moveTo(x, 0, y)
        frame.drawTo(x + w, 0, y)
        if t0 < 0 < t1:
            frame.moveTo(*px(0.0, v0))
            frame.drawTo(*px(0.0, v1))
        self.root.attachNewNode(frame.create())
        lines = LineSegs()
        lines.setThickness(2)
        if data.limits:
            lines.setColor(0.9, 0.3, 0.25, 1)
            for lim in data.limits:
                lines.moveTo(*px(t0, lim))
                lines.drawTo(*px(t1, lim))
        for s, colour in ((data.history, (0.95, 0.95, 0.95, 1)), (data.forecast, (0.35, 0.75, 1.0, 1))):
            if s is None or not len(s.times):
                continue
            if s.low is not None and s.high is not None:
                lines.setColor(colour[0], colour[1], colour[2], 0.45)
                for band in (s.low, s.high):
                    lines.moveTo(*px(s.times[0], band[0]))
                    for t, v in zip(s.times[1:], band[1:], strict=True):
                        lines.drawTo(*px(t, v))
            lines.setColor(*colour)
            lines.moveTo(*px(s.times[0], s.values[0]))
            for t, v in zip(s.times[1:], s.values[1:], strict=True):
                lines.drawTo(*px(t, v))
        self.root.attachNewNode(lines.create())
        draw_text(self.root, f"{v1:.1f}", (x + 0.005, y + h - 0.03), 0.026, DIM, TextNode.ALeft, self.font)
        draw_text(self.root, f"{v0:.1f}", (x + 0.005, y + 0.01), 0.026, DIM, TextNode.ALeft, self.font)
