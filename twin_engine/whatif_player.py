"""The curator's what-if player: a simulated run played back over the 3-D hall.

:class:`WhatIfScreen` is one screen state (``enter``/``exit``/``update``/``act``,
see ``app.py``) that owns its node roots. It builds the hall as the monitor
does (``hall.build_hall``), colours the floor (``field_view.FieldView``'s
texture, unlit) with the run's simulated field at the current time through
the monitor's colour maps (``colormap.py``), labels each relic with its
simulated value, tints case glass with the case climate, floats a badge in
the alert tier's colour over each relic outside a limit, and lists on the
right which relic crosses which limit, when and by how much, from the run's
``summary.json`` (rows already crossed are bright, later ones dim; click a
row to jump to its moment). A time bar along the bottom marks each crossing; click or drag
on it to seek. The overlay (``whatif_hud.py``) lays itself out for any window size and
aspect (``layout.py``); Esc quits.

Time is seconds since the scenario start; between snapshots the field is
interpolated linearly in time (``whatif_run.field_at``), so a seek to a
snapshot time shows that snapshot exactly. Keys: :data:`WHATIF_KEYS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from panda3d.core import (
    PNMImage,
    Point2,
    Point3,
    TextNode,
)

from bridge.texts import lookup, pick
from simulation.quantities import QUANTITIES
from simulation.scene import Scene
from twin_engine import colormap, hud
from twin_engine.app import grab_frame, write_png
from twin_engine.camera import CameraRig, View
from twin_engine.field_view import FieldView
from twin_engine.hall import GLASS, HallNodes, build_hall, hall_radius, light_hall, zone_centre
from twin_engine.keys import CAMERA_KEYS
from twin_engine.layout import fit_lens
from twin_engine.monitor import legend_data, make_badge, value_label
from twin_engine.whatif_hud import CrossingLine, CrossingListData, LegendView, PlayerOverlay, PlayerView, TimeBarView
from twin_engine.whatif_run import (
    CrossingRow,
    WhatIfRun,
    active_crossings,
    crossing_ticks,
    field_at,
    load_run,
    relic_tiers,
    relic_values,
    resampler,
)

WHATIF_KEYS: Mapping[str, str] = {
    "space": "play_pause",
    ".": "step_forward",
    ",": "step_back",
    "]": "faster",
    "[": "slower",
    "home": "go_start",
    "end": "go_end",
    "n": "next_crossing",
    "t": "show_temperature",
    "h": "show_humidity",
    "q": "toggle_quantity",
    "l": "toggle_language",
    **CAMERA_KEYS,
    "mouse1": "pointer_down",
    "mouse1-up": "pointer_up",
    "f": "toggle_fullscreen",
    "escape": "quit",
}
"""The what-if player's bindings (Panda3D event names); the app shell handles ``toggle_fullscreen``."""

SPEEDS_H_PER_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Playback speeds, simulated hours per real second."""
DEFAULT_SPEED = 2  # 1 h/s: a 24 h run in 24 s
LIST_ROWS = 6
"""Crossing rows offered at once (fewer when the window has no room: "+N more"); the list scrolls
to keep the latest crossed row in view."""
RELIC_LABEL_SCALE = 0.28
"""Relic value label height, m."""
BADGE_RISE_M = 1.3
"""How far above a relic's top its badge floats, m (clear of the value label seen from above)."""
OVERVIEW_ZOOM = 1.18
"""Overview camera distance over the distance that just fits the hall's radius."""
FIT_HALF_ANGLE_DEG = 25.0
"""Half the field of view across the short side of the part of the window the overlay leaves free."""

TEXTS: Mapping[str, Mapping[str, str]] = {
    "title": {"zh-CN": "假设情景回放", "en": "What-if playback"},
    "crossings": {"zh-CN": "越限情况", "en": "Limit crossings"},
    "none": {"zh-CN": "没有文物超出其限值", "en": "No relic leaves its limits"},
    "high": {"zh-CN": "高于", "en": ">"},
    "low": {"zh-CN": "低于", "en": "<"},
    "change_24h": {"zh-CN": "24小时变幅超过", "en": "24 h change >"},
    "short_temperature": {"zh-CN": "温度", "en": "T"},
    "short_relative_humidity": {"zh-CN": "湿度", "en": "RH"},
    "legend_temperature": {"zh-CN": "温度 ({unit})", "en": "Temperature ({unit})"},
    "legend_relative_humidity": {"zh-CN": "相对湿度 ({unit})", "en": "Rel. humidity ({unit})"},
    "worst": {"zh-CN": "最大超出", "en": "worst"},
    "hours": {"zh-CN": "共 {h} 小时", "en": "{h} h outside"},
    "at_start": {"zh-CN": "开始时已超出", "en": "from the start"},
    "earlier": {"zh-CN": "更早 {n} 项", "en": "{n} earlier"},
    "later": {"zh-CN": "之后 {n} 项", "en": "{n} later"},
    "more": {"zh-CN": "另有 {n} 项（放大窗口可见）", "en": "+{n} more (enlarge the window)"},
    "playing": {"zh-CN": "播放中", "en": "playing"},
    "paused": {"zh-CN": "已暂停", "en": "paused"},
    "speed": {"zh-CN": "{x} 小时/秒", "en": "{x} h/s"},
    "snapshot": {"zh-CN": "快照 {i}/{n}", "en": "snapshot {i}/{n}"},
    "uncalibrated": {"zh-CN": "模型未经本厅实测校准：用于比较情景，不作预报",
                     "en": "Model not calibrated on this hall: compare scenarios, not a forecast"},
    "calibrated": {"zh-CN": "模型已按 ASHRAE Guideline 14 校准", "en": "Model calibrated (ASHRAE Guideline 14)"},
    "help": {
        "zh-CN": "空格 播放/暂停  , . 逐快照  [ ] 速度  N 下一次越限  T 温度  H 湿度  L 语言  方向键/拖动 旋转  滚轮 缩放  "
                 "F 全屏  Esc 退出",
        "en": "Space play/pause  , . snapshots  [ ] speed  N next crossing  T temp  H humidity  L language  "
              "arrows/drag orbit  wheel zoom  F full screen  Esc quit",
    },
}


def tr(key: str, lang: str = "en") -> str:
    """The player's text ``key`` in ``lang`` ("zh-CN"/"zh" or "en")."""
    return lookup(TEXTS, key, lang)


__all__ = ["CrossingLine", "CrossingListData", "WHATIF_KEYS", "WhatIfScreen", "tr"]


class WhatIfScreen:
    """Play back the run in ``run`` (a run folder or a loaded :class:`WhatIfRun`) over ``scene`` inside ``base``."""

    keys = WHATIF_KEYS

    def __init__(self, base: Any, scene: Scene, run: str | Path | WhatIfRun, lang: str = "en",
                 load_meshes: bool = True, font: Any | None = None, step_m: float = 0.2,
                 on_quit: Callable[[], None] | None = None):
        self.base = base
        self.on_quit = on_quit
        self.scene = scene
        self.run = run if isinstance(run, WhatIfRun) else load_run(run, scene)
        self.lang = lang
        self.font = font if font is not None else _default_font()
        self.quantity = "temperature"
        self.t_s = 0.0
        self.playing = False
        self.speed = DEFAULT_SPEED
        self._dirty = True
        self._state: dict[str, Any] = {}
        self._drag: tuple[float, float] | None = None

        self.root = base.render.attachNewNode("whatif")
        light_hall(self.root)
        self.nodes: HallNodes = build_hall(scene, self.root, loader=base.loader, load_meshes=load_meshes)
        for holder in self.nodes.sensors.values():
            holder.hide()  # the field is simulated: sensors say nothing here
        self.field = FieldView(scene, self.root, step_m=step_m)
        self.field.hatch.hide()  # no stale sensors in a simulation
        self._sample = resampler(self.run, self.field.grid.points)
        self.values: NDArray[np.float64] = np.zeros(self.field.grid.shape)
        self.rgb: NDArray[np.float64] = np.zeros((*self.field.grid.shape, 3))
        self._hoods = {c.id: self.nodes.cases[c.id].find(f"case-{c.id}-glass") for c in scene.cases}
        self._labels = self._relic_labels()
        self.badges = self.root.attachNewNode("badges")
        self.overlay = PlayerOverlay(base.render2d, self.size, self.font)
        self._laid_out = self.size
        self._scrubbing = False
        self._draw_hud()
        self._frame_lens()
        base.camLens.setNearFar(0.1, 300.0)
        self.rig = CameraRig(base.camera, self.overview())
        self.refresh()

    # --- lifecycle --------------------------------------------------------------

    def enter(self) -> None:
        self._mark()

    def exit(self) -> None:
        """Remove every node this screen made."""
        self.overlay.destroy()
        self.root.clearLight()
        self.root.removeNode()

    destroy = exit

    def update(self, dt: float) -> None:
        """One frame: advance the clock when playing, camera easing, recolour when dirty."""
        if self.playing:
            self.seek(self.t_s + dt * SPEEDS_H_PER_S[self.speed] * 3600.0)
            if self.t_s >= self.run.duration_s:
                self.playing = False
        if self.size != self._laid_out:  # a resized window, full screen: lay the overlay out again
            self._laid_out = self.size
            self.overlay.resize(self.size)
            self._frame_lens()
            self.rig.go(self.overview())
            self._mark()
        self._drag_update()
        self.rig.update(dt)
        if self._dirty:
            self.refresh()

    # --- time -------------------------------------------------------------------

    def seek(self, seconds: float) -> float:
        """Show the run ``seconds`` after its start (clamped to the run); returns the time shown."""
        t = min(max(float(seconds), 0.0), self.run.duration_s)
        if t != self.t_s:
            self.t_s = t
            self._mark()
        return t

    def play(self, on: bool | None = None) -> None:
        """Start (``on`` True), stop (False) or toggle (None) playback; from the start again at the end."""
        self.playing = (not self.playing) if on is None else bool(on)
        if self.playing and self.t_s >= self.run.duration_s:
            self.seek(0.0)
        self._mark()

    def step(self, n: int) -> float:
        """Jump ``n`` snapshots forward (negative: back) from the shown time."""
        times = self.run.times_s
        if n > 0:
            later = times[times > self.t_s + 1e-6]
            target = later[min(n, len(later)) - 1] if len(later) else times[-1]
        else:
            earlier = times[times < self.t_s - 1e-6]
            target = earlier[max(len(earlier) + n, 0)] if len(earlier) else times[0]
        self.playing = False
        return self.seek(float(target))

    def next_crossing(self) -> float | None:
        """Jump to the next moment a relic first crosses a limit (None when none is left)."""
        later = [c.first_s for c in self.run.crossings if c.first_s > self.t_s + 1e-6]
        if not later:
            return None
        self.playing = False
        return self.seek(min(later))

    def set_speed(self, index: int) -> None:
        self.speed = min(max(index, 0), len(SPEEDS_H_PER_S) - 1)
        self._mark()

    # --- actions ----------------------------------------------------------------

    def act(self, action: str) -> None:
        """Do the named action (see :data:`WHATIF_KEYS`)."""
        rig = self.rig
        simple: dict[str, Callable[[], object]] = {
            "play_pause": self.play,
            "step_forward": lambda: self.step(1),
            "step_back": lambda: self.step(-1),
            "faster": lambda: self.set_speed(self.speed + 1),
            "slower": lambda: self.set_speed(self.speed - 1),
            "go_start": lambda: self.seek(0.0),
            "go_end": lambda: self.seek(self.run.duration_s),
            "next_crossing": self.next_crossing,
            "show_temperature": lambda: self.set_quantity("temperature"),
            "show_humidity": lambda: self.set_quantity("relative_humidity"),
            "toggle_quantity": lambda: self.set_quantity(
                "relative_humidity" if self.quantity == "temperature" else "temperature"),
            "toggle_language": self.toggle_language,
            "view_overview": lambda: rig.go(self.overview()),
            "orbit_left": lambda: rig.orbit(-15, 0),
            "orbit_right": lambda: rig.orbit(15, 0),
            "orbit_up": lambda: rig.orbit(0, -8),
            "orbit_down": lambda: rig.orbit(0, 8),
            "zoom_in": lambda: rig.zoom(1 / 1.15),
            "zoom_out": lambda: rig.zoom(1.15),
            "pointer_down": self._pointer_down,
            "pointer_up": self._pointer_up,
            "quit": self.quit,
        }
        if action in simple:
            simple[action]()
        elif action.startswith("view_zone_"):
            i = int(action.rsplit("_", 1)[1]) - 1
            if 0 <= i < len(self.scene.zones):
                rig.go(self.zone_view(i))

    def set_quantity(self, quantity: str) -> None:
        """Show ``"temperature"`` or ``"relative_humidity"``."""
        if quantity in self.run.fields and quantity != self.quantity:
            self.quantity = quantity
            self._mark()

    def toggle_language(self) -> None:
        self.lang = "en" if self.lang.startswith("zh") else "zh-CN"
        self._mark()

    def _mark(self) -> None:
        self._dirty = True

    # --- camera -----------------------------------------------------------------

    def overview(self) -> View:
        """The whole hall from the south, above, at an angle (as the monitor frames it), a little
        farther, in the part of the window the overlay leaves free (``_frame_lens``)."""
        x0, y0, x1, y1 = self.scene.bounds
        area = self.overlay.free
        tan_short = math.tan(math.radians(FIT_HALF_ANGLE_DEG))
        half_w = tan_short * max(area.w / area.h, 1.0)
        half_h = tan_short * max(area.h / area.w, 1.0)
        # the hall's half width across, its half depth seen from 56 degrees down (foreshortened)
        # plus its walls' height up the screen
        across = (x1 - x0) / 2 / half_w
        up = ((y1 - y0) / 2 * math.sin(math.radians(56.0)) + 1.5 * math.cos(math.radians(56.0))) / half_h
        distance = OVERVIEW_ZOOM * max(across, up, 0.5 * hall_radius(self.scene) / min(half_w, half_h))
        return View(((x0 + x1) / 2, (y0 + y1) / 2 - 0.5, 0.0), 0.0, -56.0, distance)

    def _frame_lens(self) -> None:
        """Centre the view on the overlay's free area (the panels never cover the hall's middle)."""
        fit_lens(self.base.camLens, self.size, self.overlay.free, FIT_HALF_ANGLE_DEG)

    def zone_view(self, i: int) -> View:
        zone = self.scene.zones[i]
        c = zone_centre(zone.polygon)
        span = float(np.ptp(zone.polygon, axis=0).max())
        return View((c[0], c[1], 0.3), 15.0, -50.0, 1.7 * span)

    def project(self, point: tuple[float, float, float]) -> tuple[float, float] | None:
        """Film coordinates (-1..1) of a hall point, or None when off screen."""
        p = self.base.cam.getRelativePoint(self.base.render, Point3(*point))
        out = Point2()
        if not self.base.camLens.project(p, out):
            return None
        return float(out[0]), float(out[1])

    @property
    def size(self) -> tuple[int, int]:
        """The window's size now (px)."""
        win = self.base.win
        return (int(win.getXSize()), int(win.getYSize())) if win is not None else (1280, 720)

    def quit(self) -> None:
        """Leave the player (Esc): ``on_quit`` when given, else the program ends."""
        if self.on_quit is not None:
            self.on_quit()
        else:
            self.base.userExit()

    def click(self, x_px: float, y_px: float) -> str | None:
        """A press at window pixel (x, y): a crossing row jumps to its moment, the time bar seeks
        (and a drag from it scrubs); returns "jump", "scrub" or None (the press orbits instead)."""
        hit = self.overlay.hit(x_px, y_px)
        if hit is None:
            return None
        kind, value = hit
        self.playing = False
        if kind == "jump":
            self.seek(value)
        else:
            self._scrubbing = True
            self.seek(value * self.run.duration_s)
        return kind

    def _mouse_px(self) -> tuple[float, float] | None:
        mw = self.base.mouseWatcherNode
        if mw is None or not mw.hasMouse():
            return None
        w, h = self.size
        return (mw.getMouse()[0] + 1) / 2 * w, (1 - mw.getMouse()[1]) / 2 * h

    def _pointer_down(self) -> None:
        pos = self._mouse_px()
        if pos is not None and self.click(*pos) is None:
            mw = self.base.mouseWatcherNode
            self._drag = (mw.getMouse()[0], mw.getMouse()[1])

    def _pointer_up(self) -> None:
        self._drag = None
        self._scrubbing = False

    def _drag_update(self) -> None:
        if self._scrubbing:
            pos = self._mouse_px()
            if pos is not None:
                self.seek(self.overlay.fraction_at(pos[0]) * self.run.duration_s)
            return
        mw = self.base.mouseWatcherNode
        if self._drag is None or mw is None or not mw.hasMouse():
            return
        x, y = mw.getMouse()[0], mw.getMouse()[1]
        self.rig.orbit((x - self._drag[0]) * 120, (y - self._drag[1]) * 60)
        self.rig.snap()
        self._drag = (x, y)

    # --- drawing ----------------------------------------------------------------

    def refresh(self) -> None:
        """Recolour the floor, relic labels, case glass and badges; redraw the overlay."""
        self._dirty = False
        grid = self.field.grid
        # every floor vertex gets a value (edge vertices outside the polygon take the nearest cell's)
        self.values = self._sample(field_at(self.run, self.quantity, self.t_s)).reshape(grid.shape)
        self.rgb = colormap.colours(self.quantity, self.values)
        self.field.upload(self.rgb)
        relic = relic_values(self.run, self.quantity, self.t_s)
        self._label_relics(relic)
        self._tint_cases(relic)
        self._draw_badges()
        self._draw_hud()

    def relic_badges(self) -> dict[str, tuple[str, int]]:
        """Relic id -> (tier, number of limits it is outside) at the shown time."""
        return relic_tiers(self.run, self.t_s)

    def badge_anchor(self, relic_id: str) -> Point3 | None:
        """Where a relic's badge floats, hall frame (m)."""
        top = self.nodes.relic_tops.get(relic_id)
        return None if top is None else top + Point3(0, 0, BADGE_RISE_M)

    def _draw_badges(self) -> None:
        targets = self.relic_badges()
        if self._state.get("badges") == targets:
            return
        self._state["badges"] = targets
        for child in self.badges.getChildren():
            child.removeNode()
        for rid, (tier, count) in targets.items():
            pos = self.badge_anchor(rid)
            if pos is not None:
                badge = make_badge(self.badges, tier, count, self.font)
                badge.setPos(pos)
                badge.setTag("badge", f"relic:{rid}:{tier}")

    def _relic_labels(self) -> dict[str, TextNode]:
        return {
            rid: value_label(
                self.root,
                f"value-{rid}",
                self.font,
                RELIC_LABEL_SCALE,
                self.nodes.relic_tops.get(rid, holder.getPos(self.root)) + Point3(0, 0, 0.22),
                card_alpha=0.75,
            )
            for rid, holder in self.nodes.relics.items()
        }

    def _label_relics(self, values: Mapping[str, float]) -> None:
        q = QUANTITIES[self.quantity]
        for rid, node in self._labels.items():
            v = values.get(rid)
            text = "" if v is None or not math.isfinite(v) else f"{v:.{q.precision}f}"
            if node.getText() != text:
                node.setText(text)

    def _tint_cases(self, values: Mapping[str, float]) -> None:
        """Tint each case's glass with the mean simulated value of its relics (the case climate)."""
        for case in self.scene.cases:
            inside = [values[r.id] for r in self.scene.relics if r.case == case.id and r.id in values]
            if inside:
                self._hoods[case.id].setColor(*colormap.colour(self.quantity, float(np.mean(inside))), 0.42)
            else:
                self._hoods[case.id].setColor(*GLASS)

    # --- overlay ------------------------------------------------------------------

    def time_label(self) -> str:
        """The time bar's caption: hours since start, local clock time, snapshot, play state."""
        lang = self.lang
        local = self.run.local(self.t_s)
        off = self.run.utc_offset_h
        zone = f"UTC{off:+g}" if off else "UTC"
        k = int(np.searchsorted(self.run.times_s, self.t_s + 1e-6, side="right"))
        state = tr("playing" if self.playing else "paused", lang)
        speed = tr("speed", lang).format(x=f"{SPEEDS_H_PER_S[self.speed]:g}")
        snap = tr("snapshot", lang).format(i=max(k, 1), n=len(self.run.times_s))
        return f"+{self.t_s / 3600:.1f} h  |  {local:%m-%d %H:%M} {zone}  |  {snap}  |  {state} {speed}"

    def crossing_data(self) -> CrossingListData:
        """The crossing list's view data at the shown time."""
        lang = self.lang
        active = active_crossings(self.run, self.t_s)
        rows = [self._crossing_line(i, c, active.get(i)) for i, c in enumerate(self.run.crossings)]
        happened = sum(r.happened for r in rows)
        first = min(max(0, happened - LIST_ROWS + 2), max(0, len(rows) - LIST_ROWS))
        shown = rows[first:first + LIST_ROWS]
        later = len(rows) - first - len(shown)
        footer = tr("calibrated" if self.run.calibrated else "uncalibrated", lang)
        return CrossingListData(
            title=f"{tr('crossings', lang)} ({happened}/{len(rows)})", rows=shown, empty=tr("none", lang),
            earlier=tr("earlier", lang).format(n=first) if first else "",
            later=tr("later", lang).format(n=later) if later else "", footer=footer,
            more=tr("more", lang))

    def _crossing_line(self, i: int, c: CrossingRow, tier: str | None) -> CrossingLine:
        lang = self.lang
        q = QUANTITIES[c.quantity]
        known = {r.id for r in self.scene.relics}
        name = pick(self.scene.relic(c.relic).name, lang) if c.relic in known else c.relic
        when = tr("at_start", lang) if c.at_start else f"+{c.first_s / 3600:.1f} h  {self.run.local(c.first_s):%H:%M}"
        # never more than the run lasted (older runs summed sample widths past the ends: "24.2 h" in 24 h)
        hours = tr("hours", lang).format(h=f"{min(c.hours_outside, self.run.duration_s / 3600.0):.1f}")
        limit = f"{c.limit:.{q.precision}f} {q.unit}"
        detail = (f"{tr('short_' + c.quantity, lang)} {tr(c.side, lang)} {limit}  |  "
                  f"{tr('worst', lang)} +{c.worst_excess:.{q.precision}f} {q.unit}  |  {hours}")
        return CrossingLine(tier or c.worst_tier, name, when, detail, c.first_s <= self.t_s + 1e-6,
                            tier is not None, c.first_s)

    def view(self) -> PlayerView:
        """The overlay's view data at the shown time."""
        lang = self.lang
        q = QUANTITIES[self.quantity]
        legend = legend_data(self.quantity, lang)
        return PlayerView(
            title=f"{pick(self.run.title, lang)}  |  {q.label(lang)} ({q.unit})",
            hint=tr("help", lang),
            crossings=self.crossing_data(),
            legend=LegendView(tr("legend_" + self.quantity, lang).format(unit=q.unit), legend.colours, legend.ticks),
            time=TimeBarView(self.time_label(), self.t_s / (self.run.duration_s or 1.0), crossing_ticks(self.run),
                             self.playing),
            tier_colours=dict(hud.TIER_COLOURS),
        )

    def _draw_hud(self) -> None:
        free = self.overlay.free
        self._show_if_changed("overlay", self.overlay.show, self.view())
        if self.overlay.free != free:  # the panels grew or shrank: keep the hall in what they leave
            self._frame_lens()

    def _jump(self, seconds: float) -> None:
        self.playing = False
        self.seek(seconds)

    def _show_if_changed(self, key: str, show: Callable[..., None], *args: Any) -> None:
        """Rebuild a widget only when its view data changed (text is costly to lay out)."""
        data = tuple(a for a in args if not callable(a))
        if self._state.get(key) != data:
            self._state[key] = data
            show(*args)

    # --- output -----------------------------------------------------------------

    def render_frame(self) -> None:
        """Bring everything up to date and render (twice, so buffers settle)."""
        if self._dirty:
            self.refresh()
        self.rig.apply()
        self.base.graphicsEngine.renderFrame()
        self.base.graphicsEngine.renderFrame()

    def screenshot(self) -> PNMImage:
        """The current frame as an image (row 0 at the top)."""
        self.render_frame()
        return grab_frame(self.base)

    def save_png(self, path: str | Path) -> Path:
        """Render the shown time and write it to ``path`` (PNG)."""
        return write_png(self.screenshot(), path)


def _default_font() -> Any | None:
    """The project's CJK font (``twin_engine.fonts``), or Panda3D's default."""
    try:
        from twin_engine.fonts import load_font
    except ImportError:
        return None
    try:
        return load_font()
    except (OSError, RuntimeError):
        return None
