"""The visitor kiosk: attract loop, gallery, relic viewer with hotspots, guided tours.

``relic-twin kiosk --scene scenes/demo_hall`` runs it full screen at the
display's own resolution (``--windowed --size WxH`` in a window); it lays
itself out for whatever size it gets, landscape or portrait
(``kiosk_layout.py`` over ``layout.py``), and lays out again when the window
changes size, so a tap always means what is drawn under it. Content
comes from the scene document only (relics, annotations, views, tours). One
:class:`KioskScreen` owns its node roots and removes them on ``exit``; the
``ShowBase`` is passed in, and time comes from an injected clock, so tests
drive it offscreen with :meth:`KioskScreen.tap` and :meth:`KioskScreen.tick`.

Modes: ``attract`` (hall glides by, relics turn) -> ``gallery`` (choose a
relic) -> ``viewer`` (turn, zoom, tap hotspots, tour). The tour button plays
the relic's tour from the scene (``[[relics.tours]]``); with several tours it
opens a list to choose from, and a relic without tours is toured through all
its annotations in file order. After
``IdleSettings.idle_s`` without a touch a warning counts down (at least
20 s), then the kiosk returns to ``attract`` in its default language.
Leaving the program needs the staff key (``KIOSK_KEYS``); closing the
window is ignored.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import Point2, Point3, PointerType

from bridge.errors import ConfigError
from bridge.texts import pick as pick_text
from simulation.scene import Relic, Scene, Tour, TourStep
from twin_engine import kiosk_orbit as orbit
from twin_engine.kiosk_gui import (
    ACCENT,
    CARD,
    DIM,
    INK,
    RGBA,
    Hit,
    Layer,
    MarkerSet,
    MarkerView,
    Rect,
    button,
    button_width,
    image_card,
    label,
    lift,
    measure,
    rect,
)
from twin_engine.kiosk_hotspots import TOUCH_TARGET_PX, facing, marker_alpha, pick
from twin_engine.kiosk_idle import IdleSettings, IdleTimer
from twin_engine.kiosk_layout import (
    CAPTION_UNITS,
    ViewerFrame,
    button_h,
    centred_box,
    footer,
    gallery_cards,
    viewer_frame,
)
from twin_engine.kiosk_stage import Stage
from twin_engine.kiosk_texts import kt
from twin_engine.layout import LINE_GAP, Canvas, Metrics, block_height, fit_lens, text_lines

STAFF_EXIT_EVENT = "shift-control-alt-k"

KIOSK_KEYS: Mapping[str, str] = {
    "mouse1": "pointer_down",
    "mouse1-up": "pointer_up",
    "wheel_up": "zoom_in",
    "wheel_down": "zoom_out",
    "escape": "back",
    "arrow_left": "previous_hotspot",
    "arrow_right": "next_hotspot",
    "l": "toggle_language",
    "r": "reset_view",
    STAFF_EXIT_EVENT: "staff_exit",
}
"""The kiosk's bindings (Panda3D event names). Only the staff chord leaves the program."""

FLY_S = 1.2  # camera flight to a hotspot view, s
FIT_HALF_ANGLE_DEG = 21.0  # the relic's frame (ViewerFrame.model) spans this half-angle across its short side
GALLERY_MESH_FILL = 0.72  # a gallery relic's largest extent over the square above its caption
PANEL_SCALES = (1.0, 0.9, 0.8, 0.7)  # the note panel's text shrinks this far before its text is cut
NOTE_LINE_GAP = 1.5  # line pitch of a note's text (in text heights): looser than labels, for reading
DRAG_THRESHOLD_PX = 10.0  # a press that moves less than this is a tap
ALL_NOTES_TOUR = "all"  # id of the tour made up when a relic has none in the scene


def tours_of(relic: Relic) -> tuple[Tour, ...]:
    """The tours the kiosk offers for ``relic``: the scene's, else one through every annotation in order."""
    if relic.tours:
        return relic.tours
    if not relic.annotations:
        return ()
    title = {"zh-CN": kt("all_highlights", "zh-CN"), "en": kt("all_highlights", "en")}
    return (Tour(ALL_NOTES_TOUR, title, tuple(TourStep(a.id) for a in relic.annotations)),)


class KioskScreen:
    """The kiosk as one screen state. ``base`` is a ShowBase; ``clock()`` returns seconds."""

    keys = KIOSK_KEYS

    def __init__(self, base: Any, scene: Scene, lang: str = "zh-CN", clock: Callable[[], float] = time.monotonic,
                 idle: IdleSettings | None = None, assets: Path | None = None,
                 on_staff_exit: Callable[[], None] | None = None):
        from simulation.paths import assets_dir
        from twin_engine.fonts import load_font

        self.base, self.scene, self.clock = base, scene, clock
        self.default_lang = self.lang = lang
        self.assets = assets or assets_dir()
        self.font = load_font(base.loader)
        self.idle_settings = idle or IdleSettings()
        self.on_staff_exit = on_staff_exit
        self.mode = "attract"
        self.relic: Relic | None = None
        self.selected: int | None = None
        self.tour: Tour | None = None  # the tour being played, if any
        self.tour_step = 0
        self.tour_menu = False  # the list of tours is open (relics with several tours)
        self._pinch_prev: list[tuple[float, float]] | None = None
        self._touches: dict[int, tuple[float, float]] = {}
        self.orbit: orbit.Orbit | None = None
        self.limits: orbit.OrbitLimits | None = None
        self._fly: tuple[orbit.Orbit, orbit.Orbit, float] | None = None
        self._press: tuple[float, float] | None = None
        self._last_mouse: tuple[float, float] | None = None
        self._dragging = False
        self._t0 = clock()
        self._now = self._t0
        self._gallery_rects: dict[str, Rect] = {}
        self.marker_views: list[MarkerView] = []
        self._markers: MarkerSet | None = None
        self._marker_key: tuple | None = None
        self._overlay_key: tuple | None = None
        self.stage: Stage | None = None
        self.ui: Any = None
        self._laid_out: tuple[int, int] | None = None
        self._frame_cache: tuple[tuple, ViewerFrame] | None = None

    @property
    def touring(self) -> bool:
        return self.tour is not None

    @touring.setter
    def touring(self, on: bool) -> None:
        if on:
            raise ValueError("start a tour with start_tour(id)")
        self.tour, self.tour_step, self.tour_menu = None, 0, False

    # --- Screen protocol --------------------------------------------------------------------

    def enter(self) -> None:
        size = self.size
        self.stage = Stage(self.base, self.scene, self.assets)
        self.canvas = Canvas(self.base.render2d, "kiosk-ui", size, self.font)
        self._laid_out = size
        self.ui = self.canvas.root
        self.static = Layer(self.ui.attachNewNode("static"))
        self.hotspot_layer = Layer(self.ui.attachNewNode("hotspots"))
        self.overlay = Layer(self.ui.attachNewNode("overlay"))
        self.idle = IdleTimer(self.idle_settings, self.clock())
        self._saved_lens = (self.base.camLens.getFov(), self.base.camLens.getNear())
        self._saved_camera = self.base.camera.getMat()
        self._saved_close = None
        self.base.camLens.setNear(0.01)
        if self.base.win is not None and hasattr(self.base.win, "setCloseRequestEvent"):
            self._saved_close = self.base.win.getCloseRequestEvent()
            self.base.win.setCloseRequestEvent("kiosk-close-request")  # the window's close box does nothing
        self._hook_touch()
        self.show_attract()

    def exit(self) -> None:
        if self.stage is not None:
            self.stage.destroy()
        if self.ui is not None:
            self.ui.removeNode()
        self._markers, self._marker_key, self._overlay_key = None, None, None
        fov, near = self._saved_lens
        self.base.camLens.setFov(fov)
        self.base.camLens.setNear(near)
        self.base.camLens.setFilmOffset(0, 0)
        self.base.camera.setMat(self._saved_camera)
        if self._saved_close is not None:
            self.base.win.setCloseRequestEvent(self._saved_close)
        self.stage = self.ui = None

    def update(self, dt: float) -> None:
        self.touches(self._touch_points())
        self._follow_pointer()
        self.tick(self.clock())

    def act(self, action: str) -> None:
        now = self.clock()
        if action == "staff_exit":
            if self.on_staff_exit is not None:
                self.on_staff_exit()
            return
        self.idle.touch(now)
        if action == "pointer_down":
            self._press = self._last_mouse = self._mouse_px()
            self._dragging = False
        elif action == "pointer_up":
            pos, press = self._mouse_px(), self._press
            self._press = None
            if pos is not None and press is not None and not self._dragging:
                self.tap(*pos)
        elif action in ("zoom_in", "zoom_out"):
            self.zoom(1.15 if action == "zoom_in" else 1 / 1.15)
        elif action == "toggle_language":
            self.set_language("en" if self.lang.startswith("zh") else "zh-CN")
        elif action == "reset_view":
            self.reset_view()
        elif action == "back":
            self._do("back")
        elif action in ("next_hotspot", "previous_hotspot") and self.touring:
            self._do("next" if action == "next_hotspot" else "previous")
        elif action in ("next_hotspot", "previous_hotspot") and self.relic is not None and self.relic.annotations:
            n = len(self.relic.annotations)
            step = 1 if action == "next_hotspot" else -1
            self.open_annotation(((self.selected if self.selected is not None else -step) + step) % n)

    # --- public driving API ------------------------------------------------------------------

    @property
    def size(self) -> tuple[int, int]:
        """The window's size now (px): what is drawn and what a click means both follow it."""
        win = self.base.win
        return (int(win.getXSize()), int(win.getYSize())) if win is not None else (1920, 1080)

    @property
    def m(self) -> Metrics:
        return Metrics.of(self.size)

    def relayout(self) -> bool:
        """Lay everything out again if the window changed size since the last layout (a full-screen
        request that fell back, a resized window); True when it did."""
        size = self.size
        if size == self._laid_out or self.ui is None:
            return False
        self._laid_out = size
        self.canvas.resize(size)
        if self._markers is not None:
            self._markers.destroy()
        self._markers, self._marker_key, self._overlay_key = None, None, None
        if self.mode == "gallery":
            self.show_gallery()
        else:
            self._draw_static()
        return True

    def tap(self, x_px: float, y_px: float) -> str | None:
        """A touch at pixel (x, y), origin top left. Returns the action it triggered, if any."""
        self.relayout()
        now = self.clock()
        warning = self.idle.state(now) == "warning"
        self.idle.touch(now)
        if warning:
            self._draw_overlay()
            return "dismiss_warning"
        if self.mode == "attract":
            self.show_gallery()
            return "start"
        action = self.overlay.hit(x_px, y_px) or self.static.hit(x_px, y_px)
        if action is None and self.mode == "viewer":
            i = self.hotspot_at(x_px, y_px)
            if i is not None:
                action = f"note:{i}"
        if action is not None:
            self._do(action)
        return action

    def select_relic(self, relic_id: str) -> None:
        """Open the viewer on relic ``relic_id``."""
        self.relic = self.scene.relic(relic_id)
        self.mode = "viewer"
        self.selected, self.touring, self._fly = None, False, None
        assert self.stage is not None
        self.stage.gallery.hide()
        self.stage.attract.hide()
        self.stage.show_relic(self.relic)
        self.limits = orbit.OrbitLimits(size=self.stage.size(self.relic))
        self.orbit = orbit.home(self._centre(), self.limits)
        self._draw_static()

    def open_annotation(self, index: int) -> None:
        """Select hotspot ``index`` of the current relic: fly to its view and show its panel."""
        assert self.relic is not None and self.stage is not None and self.limits is not None
        self.selected = index
        view = self.stage.view_of(self.relic, index)
        if view is None:
            pos, nrm = self.stage.anchors(self.relic)
            eye = pos[index] + nrm[index] * self.limits.size * 2.0
            view = (eye, pos[index])
        target = orbit.from_view(view[0], view[1], self.limits)
        assert self.orbit is not None
        self._fly = (self.orbit, target, self.clock())
        self._draw_static()

    def start_tour(self, tour_id: str | None = None) -> None:
        """Play tour ``tour_id`` of the current relic (default: its first) from the first step."""
        assert self.relic is not None
        tours = tours_of(self.relic)
        tour = next((t for t in tours if t.id == tour_id), None) if tour_id is not None else (tours or (None,))[0]
        if tour is None:
            return
        self.tour, self.tour_menu = tour, False
        self.go_to_step(0)

    def go_to_step(self, k: int) -> None:
        """Open step ``k`` of the tour being played."""
        assert self.relic is not None and self.tour is not None
        self.tour_step = k
        self.open_annotation(self.relic.annotation_index(self.tour.steps[k].annotation))

    def touches(self, points: list[tuple[float, float]]) -> None:
        """The touch points (x, y) px down in this frame. Two or more pinch-zoom the viewer
        (the first two, by the change of their spread since the last frame); a pinch is never a tap."""
        if len(points) < 2 or self.mode != "viewer" or self.orbit is None or self.limits is None:
            self._pinch_prev = None
            return
        now = [points[0], points[1]]
        if self._pinch_prev is not None:
            self._fly = None
            self.orbit = orbit.pinch(self.orbit, self._pinch_prev, now, self.limits)
            self._apply_camera()
        self._pinch_prev = now
        self._dragging = True  # the release that ends a pinch is not a tap, and one finger left does not turn
        self._press = None
        self.idle.touch(self.clock())

    def zoom(self, factor: float) -> None:
        if self.orbit is not None and self.limits is not None:
            self._fly = None
            self.orbit = orbit.zoom(self.orbit, factor, self.limits)
            self._apply_camera()

    def drag(self, dx_px: float, dy_px: float) -> None:
        if self.orbit is not None and self.limits is not None:
            self._fly = None
            self.orbit = orbit.drag(self.orbit, dx_px, dy_px, self.limits)
            self._apply_camera()

    def reset_view(self) -> None:
        if self.relic is not None and self.limits is not None:
            self._fly = (self.orbit or orbit.home(self._centre(), self.limits),
                         orbit.home(self._centre(), self.limits), self.clock())

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self._draw_static()

    def tick(self, now: float | None = None) -> str:
        """Advance animations and the idle timer to ``now`` (clock seconds); returns the idle state."""
        now = self.clock() if now is None else now
        self._now = now
        self.relayout()
        state = self.idle.state(now)
        if state == "expired" and self.mode != "attract":
            self.lang = self.default_lang
            self.show_attract()
            self.idle.touch(now)
            state = "active"
        t = now - self._t0
        assert self.stage is not None
        if self.mode == "attract":
            self._fit_lens(50.0)
            eye, target = self.stage.attract_pose(t)
            self.base.camera.setPos(eye)
            self.base.camera.lookAt(target)
            self.stage.turn_hall_relics(t * 12.0)
        elif self.mode == "gallery":
            self._fit_lens(40.0)  # a window event may have reset the lens's aspect
            self.stage.turn_gallery(t * 15.0)
        elif self.mode == "viewer":
            if self._fly is not None:
                a, b, t0 = self._fly
                f = (now - t0) / FLY_S
                self.orbit = orbit.lerp(a, b, f)
                if f >= 1:
                    self._fly = None
            self._apply_camera()
        if self.mode == "viewer":
            self._draw_hotspots()
        self._draw_overlay(state)
        return state

    def hotspot_at(self, x_px: float, y_px: float) -> int | None:
        """Index of the pickable hotspot under (x, y) px, or None."""
        self._draw_hotspots()
        if not self.marker_views:
            return None
        pts = np.array([[m.x, m.y] for m in self.marker_views])
        alpha = np.array([m.alpha for m in self.marker_views])
        return pick((x_px, y_px), pts, alpha, radius_px=max(TOUCH_TARGET_PX / 2, self._marker_radius() * 1.3))

    def relic_screen_rect(self) -> Rect | None:
        """Where the shown relic's bounding box falls on the window (px), or None outside the viewer."""
        if self.mode != "viewer" or self.relic is None or self.stage is None:
            return None
        lo, hi = self.stage.model(self.relic).getTightBounds()
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        px = self._project(corners)
        if not np.all(np.isfinite(px)):
            return None
        x0, y0 = px.min(axis=0)
        x1, y1 = px.max(axis=0)
        return Rect(float(x0), float(y0), float(x1 - x0), float(y1 - y0))

    def hotspot_screen(self) -> list[MarkerView]:
        """Current marker positions (px) and opacities, in annotation order."""
        self._draw_hotspots()
        return list(self.marker_views)

    # --- modes ------------------------------------------------------------------------------

    def show_attract(self) -> None:
        assert self.stage is not None
        self.mode, self.relic, self.selected, self.touring, self._fly = "attract", None, None, False, None
        self.stage.viewer.hide()
        self.stage.gallery.hide()
        self._clear_hotspots()  # the last relic's markers go with it
        self.stage.show_attract()
        self._fit_lens(50.0)
        self.base.camLens.setNear(0.05)
        self._draw_static()

    def show_gallery(self) -> None:
        assert self.stage is not None
        self.mode, self.relic, self.selected, self.touring, self._fly = "gallery", None, None, False, None
        self.stage.viewer.hide()
        self.stage.attract.hide()
        self._clear_hotspots()
        self._fit_lens(40.0)
        self.base.camLens.setNear(0.01)
        self.base.camera.setPos(0, 0, 0)
        self.base.camera.setHpr(0, 0, 0)
        self._gallery_rects = self._gallery_layout()
        slots = []
        depth = 4.0
        for relic in self.scene.relics:
            sq = self.gallery_mesh_rect(self._gallery_rects[relic.id])
            pos = self._extrude(*sq.centre, depth)
            extent = self._px_to_m(sq.w * GALLERY_MESH_FILL, depth)
            slots.append((relic, pos, extent))
        self.stage.show_gallery(slots)
        self._draw_static()

    # --- actions ---------------------------------------------------------------------------------

    def _do(self, action: str) -> None:
        if action.startswith("select:"):
            self.select_relic(action.split(":", 1)[1])
        elif action.startswith("note:"):
            self.touring = False
            self.open_annotation(int(action.split(":", 1)[1]))
        elif action == "back":
            if self.mode == "viewer" and self.selected is not None:
                self.selected, self.touring = None, False
                self._draw_static()
            elif self.mode == "viewer":
                self.show_gallery()
        elif action == "close":
            self.selected, self.touring = None, False
            self._draw_static()
        elif action == "reset":
            self.selected, self.touring = None, False
            self.reset_view()
            self._draw_static()
        elif action == "language":
            self.set_language("en" if self.lang.startswith("zh") else "zh-CN")
        elif action == "tour" and self.relic is not None and tours_of(self.relic):
            if len(tours_of(self.relic)) == 1:
                self.start_tour()
            else:
                self.tour_menu = not self.tour_menu
                self._draw_static()
        elif action.startswith("tour:") and self.relic is not None:
            self.start_tour(action.split(":", 1)[1])
        elif action in ("next", "previous") and self.tour is not None:
            k = self.tour_step + (1 if action == "next" else -1)
            if k >= len(self.tour.steps):  # past the last stop: the tour ends
                self.selected, self.touring = None, False
                self._draw_static()
            else:
                self.go_to_step(max(k, 0))
        elif action in ("next", "previous") and self.relic is not None and self.selected is not None:
            n = len(self.relic.annotations)
            self.open_annotation((self.selected + (1 if action == "next" else -1)) % n)

    # --- camera and geometry helpers -------------------------------------------------------------------

    def _centre(self) -> tuple[float, float, float]:
        assert self.relic is not None
        return 0.0, 0.0, self.relic.height_m * 0.5

    def _apply_camera(self) -> None:
        """Frame the relic in the viewer's free area (:attr:`ViewerFrame.model`): the lens's field of
        view is set so that the area's short side spans 2 x FIT_HALF_ANGLE_DEG, and its film is
        shifted so that the view's centre falls on the area's centre."""
        if self.orbit is None:
            return
        fit_lens(self.base.camLens, self.size, self.viewer_frame().model, FIT_HALF_ANGLE_DEG)
        eye = self.orbit.eye()
        self.base.camera.setPos(*eye)
        self.base.camera.lookAt(Point3(*self.orbit.target))

    def _fit_lens(self, min_fov: float) -> None:
        """A centred lens whose smaller field of view is ``min_fov`` degrees, at the window's aspect."""
        fit_lens(self.base.camLens, self.size, self.m.window, min_fov / 2)

    def _extrude(self, x_px: float, y_px: float, depth: float) -> Point3:
        """World point at ``depth`` m in front of the camera under pixel (x, y) (camera at the origin)."""
        w, h = self.size
        fx, fy = 2 * x_px / w - 1, 1 - 2 * y_px / h
        hfov, vfov = self.base.camLens.getFov()
        return Point3(fx * depth * np.tan(np.radians(hfov / 2)), depth, fy * depth * np.tan(np.radians(vfov / 2)))

    def _px_to_m(self, px: float, depth: float) -> float:
        vfov = self.base.camLens.getFov()[1]
        return px / self.size[1] * 2 * depth * float(np.tan(np.radians(vfov / 2)))

    def _project(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) pixel positions of world points (n, 3); NaN where behind the camera."""
        w, h = self.size
        out = np.full((len(points), 2), np.nan)
        lens = self.base.camLens
        for i, p in enumerate(points):
            pc = self.base.cam.getRelativePoint(self.base.render, Point3(*p))
            p2 = Point2()
            if lens.project(pc, p2):
                out[i] = ((p2[0] + 1) / 2 * w, (1 - p2[1]) / 2 * h)
        return out

    def _mouse_px(self) -> tuple[float, float] | None:
        mw = getattr(self.base, "mouseWatcherNode", None)
        if mw is None or not mw.hasMouse():
            return None
        w, h = self.size
        m = mw.getMouse()
        return (m[0] + 1) / 2 * w, (1 - m[1]) / 2 * h

    # Multi-touch input, as far as Panda3D 1.10 reaches it:
    # - Windows: WM_TOUCH reaches Python only through a window-proc handler
    #   (``GraphicsWindow.addPythonEventHandler``, Windows builds only); :meth:`_hook_touch`
    #   installs one and :meth:`_on_window_proc` keeps the touch points. Not tried here (no Windows).
    # - Linux/X11: Panda3D's x11 window does not use XInput2, so a touch screen arrives as one
    #   emulated mouse pointer (the first finger); ``win.getNumInputDevices()`` is 1 and
    #   ``win.getPointer(0)`` is that mouse. No second finger can be read, so pinch zoom is not
    #   reachable on Linux with Panda3D 1.10; the scroll wheel and the zoom keys still work.
    # - Any platform that reports each finger as its own pointer device is read below.
    # :meth:`touches` takes the points from any source, so tests drive the pinch directly.

    def _hook_touch(self) -> None:
        win = self.base.win
        if win is not None and hasattr(win, "addPythonEventHandler"):
            win.addPythonEventHandler(self._on_window_proc, "kiosk-touch")

    def _on_window_proc(self, data: Any) -> None:
        if not data.isTouchEvent():
            return
        for i in range(data.getNumTouches()):
            t = data.getTouchInfo(i)
            if t.getFlags() & t.TIF_up:
                self._touches.pop(t.getId(), None)
            else:
                self._touches[t.getId()] = (float(t.getX()), float(t.getY()))

    def _touch_points(self) -> list[tuple[float, float]]:
        """Touch points (x, y) px down now, from whatever the platform reports (see above)."""
        if self._touches:
            return list(self._touches.values())
        win = self.base.win
        if win is None or not hasattr(win, "getNumInputDevices"):
            return []
        pts = []
        for i in range(win.getNumInputDevices()):
            ptr = win.getPointer(i)
            if ptr.getInWindow() and ptr.type == PointerType.finger:
                pts.append((float(ptr.getX()), float(ptr.getY())))
        return pts

    def _follow_pointer(self) -> None:
        if self._press is None:
            return
        pos = self._mouse_px()
        if pos is None or self._last_mouse is None:
            return
        if np.hypot(pos[0] - self._press[0], pos[1] - self._press[1]) > DRAG_THRESHOLD_PX:
            self._dragging = True
        if self._dragging and self.mode == "viewer":
            self.drag(pos[0] - self._last_mouse[0], pos[1] - self._last_mouse[1])
            self.idle.touch(self.clock())
        self._last_mouse = pos

    def _marker_radius(self) -> float:
        return max(TOUCH_TARGET_PX / 2, self.m.u * 0.85)

    # --- layout -----------------------------------------------------------------------------------------

    def _language_rect(self) -> Rect:
        m, bh = self.m, button_h(self.m)
        w = button_width(kt("language", self.lang), bh, self.font, bh * 2.2)
        return Rect(m.width - w - m.u, m.u, w, bh)

    def _head_box(self) -> Rect:
        """The column the header's texts stay in: left of the language button."""
        m = self.m
        return Rect(m.u * 1.5, m.u * 0.5, self._language_rect().x - m.u * 2.5, m.height / 3)

    def header_lines(self) -> list[tuple[str, float, RGBA, float, int]]:
        """The viewer header, measured: (text, size px, colour, top px, max lines) of each text."""
        assert self.relic is not None
        u, lang, f, box = self.m.u, self.lang, self.font, self._head_box()
        relic = self.relic
        sub = (f"{kt('material', lang)}: {pick_text(relic.material, lang)}    "
               f"{kt('era', lang)}: {pick_text(relic.era, lang)}")
        items = [(pick_text(relic.name, lang), u * 1.9, INK, 2), (sub, u * 0.95, DIM, 2)]
        if relic.stand_in:
            items.append((kt("stand_in", lang), u * 0.8, ACCENT, 1))
        out, y = [], u * 0.8
        for text, size, colour, most in items:
            out.append((text, size, colour, y, most))
            y += block_height(len(text_lines(text, size, f, box.w, most)), size) + u * 0.15
        return out

    def _header_bottom(self) -> float:
        u = self.m.u
        text, size, _, top, most = self.header_lines()[-1]
        bottom = top + block_height(len(text_lines(text, size, self.font, self._head_box().w, most)), size)
        return max(bottom, self._language_rect().bottom) + u * 0.5

    def _hint_lines(self) -> tuple[list[str], float, Rect]:
        """The viewer's hint, measured: its lines, size (px) and the strip it is drawn on. At the right of the
        button row in landscape windows; on a strip of its own above the buttons in portrait ones."""
        m, f = self.m, self.font
        u, bh = m.u, button_h(m)
        text, size = kt("hint_viewer", self.lang), u * 0.85
        foot = footer(m)
        if m.portrait:
            lines = text_lines(text, size, f, m.width - u * 3.2, 2)
            h = block_height(len(lines), size) + u * 0.6
            return lines, size, Rect(u, foot.y - h, m.width - 2 * u, h)
        x = u + sum(button_width(kt(k, self.lang), bh, f, bh * 2.6) + u * 0.6 for k in self._footer_keys())
        avail = m.width - x - u * 2
        lines = text_lines(text, size, f, avail - u * 1.2, 2)
        while block_height(len(lines), size) > bh - u * 0.3 and size > u * 0.6:
            size *= 0.9
            lines = text_lines(text, size, f, avail - u * 1.2, 2)
        tw = min(avail, max(measure(s, size, f) for s in lines) + u * 1.2)
        return lines, size, Rect(m.width - u - tw, foot.y + u, tw, bh)

    def _footer_keys(self) -> tuple[str, ...]:
        return ("back", "reset") + (("tour",) if self.relic is not None and tours_of(self.relic) else ())

    def viewer_frame(self) -> ViewerFrame:
        """The viewer's note panel (when a note is open) and the area the relic is framed in
        (measured once per size, language, relic, note and tour stop: a drag asks every frame)."""
        key = (self.size, self.lang, self.relic.id if self.relic else None, self.selected,
               self.tour.id if self.tour else None, self.tour_step)
        if self._frame_cache is None or self._frame_cache[0] != key:
            self._frame_cache = (key, self._measure_viewer_frame())
        return self._frame_cache[1]

    def _measure_viewer_frame(self) -> ViewerFrame:
        m = self.m
        bottom = footer(m).y
        if self.selected is None and m.portrait:
            bottom = self._hint_lines()[2].y
        want = 0.0
        if self.selected is not None and self.relic is not None and m.portrait:
            want = self._panel_content_h(self.relic, self.selected, m.width - 4.4 * m.u) + button_h(m) + 3.8 * m.u
        return viewer_frame(m, self._header_bottom(), bottom, self.selected is not None, want)

    def _panel_content_h(self, relic: Relic, index: int, width: float, scale: float = 1.0) -> float:
        """Height (px) of the note panel's texts wrapped to ``width`` px at ``scale``."""
        texts = self._panel_texts(relic, index)
        return sum(block_height(len(text_lines(t, s * scale, self.font, width)), s * scale,
                                NOTE_LINE_GAP if k == len(texts) - 1 else LINE_GAP) + g * scale
                   for k, (t, s, _, g) in enumerate(texts))

    def _gallery_area(self) -> Rect:
        m = self.m
        top = max(m.u * 0.8 + block_height(1, m.u * 2.0), self._language_rect().bottom) + m.u * 0.8
        return Rect(m.u * 1.5, top, m.width - m.u * 3, m.height - top - m.u)

    def _gallery_layout(self) -> dict[str, Rect]:
        cards = gallery_cards(self.m, len(self.scene.relics), self._gallery_area())
        return {relic.id: r for relic, r in zip(self.scene.relics, cards, strict=True)}

    def gallery_mesh_rect(self, r: Rect) -> Rect:
        """The square a gallery card shows its relic in: above the room kept for the caption."""
        u = self.m.u
        free = Rect(r.x, r.y + u * 0.4, r.w, r.h - u * (0.4 + CAPTION_UNITS))
        side = max(min(free.w, free.h), 1.0)
        return Rect(free.x + (free.w - side) / 2, free.y + (free.h - side) / 2, side, side)

    def gallery_caption(self, relic: Relic, r: Rect) -> list[tuple[str, float, float, RGBA]]:
        """A gallery card's name and material · era: (text, top px, size px, colour) each, stacked
        from the card's foot upwards (two lines each at most) so they never run into each other."""
        u, f, lang = self.m.u, self.font, self.lang
        name = pick_text(relic.name, lang)
        sub = " · ".join(x for x in (pick_text(relic.material, lang), pick_text(relic.era, lang)) if x)
        name_size, sub_size = u * 1.0, u * 0.8
        inner = r.w - u * 0.8
        name_h = block_height(len(text_lines(name, name_size, f, inner, 2)), name_size)
        sub_h = block_height(len(text_lines(sub, sub_size, f, inner, 2)), sub_size)
        top = r.bottom - u * 0.4 - sub_h - name_h
        return [(name, top, name_size, INK), (sub, top + name_h, sub_size, DIM)]

    # --- drawing ----------------------------------------------------------------------------------------

    def _draw_static(self) -> None:
        if self.mode == "viewer":
            self._apply_camera()
        self._draw_static_content()
        lift(self.static.root, 1_000_000)

    def _draw_static_content(self) -> None:
        layer = self.static
        layer.clear()
        m, lang, f = self.m, self.lang, self.font
        u, bh = m.u, button_h(m)
        if self.mode == "attract":
            self._draw_attract()
            return
        button(layer, self._language_rect(), kt("language", lang), "language", f)
        head = self._head_box()
        if self.mode == "gallery":
            label(layer.root, kt("gallery_title", lang), head, u * 2.0, f, y=u * 0.8, max_lines=1)
            for relic in self.scene.relics:
                r = self._gallery_rects[relic.id]
                rect(layer.root, r, (0.12, 0.12, 0.14, 0.55))
                inner = r.inset(u * 0.4, 0)
                for text, top, size, colour in self.gallery_caption(relic, r):
                    label(layer.root, text, inner, size, f, colour, "center", y=top, max_lines=2)
                layer.hits.append(Hit(r, f"select:{relic.id}"))
            return
        relic = self.relic
        assert relic is not None
        for text, size, colour, top, most in self.header_lines():
            label(layer.root, text, head, size, f, colour, y=top, max_lines=most)
        x, y = u, footer(m).y + u
        tours = tours_of(relic)
        for key in self._footer_keys():
            bw = button_width(kt(key, lang), bh, f, bh * 2.6)
            button(layer, Rect(x, y, bw, bh), kt(key, lang), key, f)
            if key == "tour" and self.tour_menu and len(tours) > 1:
                self._draw_tour_menu(tours, x, y)
            x += bw + u * 0.6
        if self.selected is None and self.tour_menu and m.portrait:
            pass  # the list of tours rises over the hint's strip: the hint waits until it closes
        elif self.selected is None:  # on a strip of its own: over a pale mesh it was unreadable
            lines, size, strip = self._hint_lines()
            rect(layer.root, strip, (0.12, 0.12, 0.14, 0.8))
            top = strip.y + (strip.h - block_height(len(lines), size)) / 2
            label(layer.root, "\n".join(lines), strip, size, f, DIM, "center", y=top)
        else:
            panel = self.viewer_frame().panel
            assert panel is not None
            self._draw_panel(relic, self.selected, panel)

    def _draw_attract(self) -> None:
        m, lang, f = self.m, self.lang, self.font
        u = m.u
        title, name = kt("touch_to_begin", lang), pick_text(self.scene.name, lang)
        width = m.width - u * 4
        t_lines = text_lines(title, u * 2.4, f, width, 2)
        n_lines = text_lines(name, u * 1.1, f, width, 2)
        band_h = block_height(len(t_lines), u * 2.4) + block_height(len(n_lines), u * 1.1) + u * 2.0
        band = Rect(0, min(m.height * 0.72, m.height - band_h - u), m.width, band_h)
        rect(self.static.root, band, CARD)
        inner = band.inset(u * 2, u)
        used = label(self.static.root, "\n".join(t_lines), inner, u * 2.4, f, align="center")
        label(self.static.root, "\n".join(n_lines), inner, u * 1.1, f, DIM, "center", y=used.bottom + u * 0.2)

    def _draw_tour_menu(self, tours: tuple[Tour, ...], x: float, bottom: float) -> None:
        """The list of tours, stacked upwards from just above the tour button at (x, bottom)."""
        layer, lang, f, m = self.static, self.lang, self.font, self.m
        bh, gap = button_h(m), m.u * 0.4
        titles = [pick_text(t.title, lang) for t in tours]
        bw = min(max(button_width(s, bh, f, bh * 2.6) for s in titles), m.width - x - m.u)
        for k, (tour, title) in enumerate(zip(tours, titles, strict=True)):
            r = Rect(x, bottom - (k + 1) * (bh + gap), bw, bh)
            active = self.tour is not None and self.tour.id == tour.id
            button(layer, r, title, f"tour:{tour.id}", f, colour=(ACCENT[0] * 0.5, ACCENT[1] * 0.5, ACCENT[2] * 0.5,
                                                                    0.95) if active else (0.20, 0.20, 0.23, 0.95))

    def _panel_texts(self, relic: Relic, index: int) -> list[tuple[str, float, RGBA, float]]:
        """The note panel's texts: (text, size px at scale 1, colour, gap after in px at scale 1)."""
        u, lang = self.m.u, self.lang
        note = relic.annotations[index]
        out: list[tuple[str, float, RGBA, float]] = []
        tour = self.tour
        if tour is not None:
            head = f"{pick_text(tour.title, lang)} · {kt('step', lang, i=self.tour_step + 1, n=len(tour.steps))}"
            out.append((head, u * 0.8, ACCENT, u * 0.2))
            narration = tour.steps[self.tour_step].narration
            if narration:
                out.append((pick_text(narration, lang), u * 0.95, INK, u * 0.5))
        out.append((f"{index + 1}. {pick_text(note.title, lang)}", u * 1.35, INK, u * 0.6))
        out.append((pick_text(note.text, lang), u * 0.95, INK, u * 0.6))
        return out

    def _draw_panel(self, relic: Relic, index: int, panel: Rect) -> None:
        """The note panel: its texts at the largest of PANEL_SCALES that fits, the note's text cut with
        "…" if even the smallest does not; images in the room left; previous / next / close at its foot."""
        layer, lang, f, m = self.static, self.lang, self.font, self.m
        u, bh = m.u, button_h(m)
        rect(layer.root, panel, CARD)
        by = panel.bottom - bh - u
        area = Rect(panel.x + u * 1.2, panel.y + u * 1.2, panel.w - u * 2.4, by - u * 0.6 - panel.y - u * 1.2)
        texts = self._panel_texts(relic, index)

        def gap_of(k: int) -> float:
            return NOTE_LINE_GAP if k == len(texts) - 1 else LINE_GAP

        def height(scale: float) -> float:
            return self._panel_content_h(relic, index, area.w, scale)

        scale = next((sc for sc in PANEL_SCALES if height(sc) <= area.h), PANEL_SCALES[-1])
        y = area.y
        for k, (text, size, colour, gap) in enumerate(texts):
            size = size * scale
            most = max(1, int((area.bottom - y) // (size * gap_of(k)))) if k == len(texts) - 1 else 0
            used = label(layer.root, text, area, size, f, colour, y=y, max_lines=most, line_gap=gap_of(k))
            y = used.bottom + gap * scale
        note = relic.annotations[index]
        for img in note.images:
            path = (self.scene.root / img) if not Path(img).is_absolute() else Path(img)
            if path.is_file() and area.bottom - y > bh * 2:
                tex = self.base.loader.loadTexture(str(path))
                used_img = image_card(layer.root, tex, Rect(area.x, y, area.w, area.bottom - y))
                y += used_img.h + u
        tour = self.tour
        last = tour is not None and self.tour_step == len(tour.steps) - 1
        keys = [("previous", "previous"), ("finish" if last else "next", "next")]
        widths = [button_width(kt(k, lang), bh, f, bh * 2.2) for k, _ in keys]
        close_w = button_width(kt("close", lang), bh, f, bh * 1.8)
        fit = min(1.0, (area.w - u * 1.2) / (sum(widths) + close_w))
        x = area.x
        for (key, action), bw in zip(keys, widths, strict=True):
            button(layer, Rect(x, by, bw * fit, bh), kt(key, lang), action, f)
            x += bw * fit + u * 0.4
        button(layer, Rect(area.right - close_w * fit, by, close_w * fit, bh), kt("close", lang), "close", f)

    def _clear_hotspots(self) -> None:
        self.marker_views = []
        if self._markers is not None:
            self._markers.destroy()
        self._markers, self._marker_key = None, None

    def _draw_hotspots(self) -> None:
        if self.mode != "viewer" or self.relic is None or self.stage is None or not self.relic.annotations:
            self.marker_views = []
            if self._markers is not None:
                self._markers.destroy()
                self._markers, self._marker_key = None, None
            return
        pos, nrm = self.stage.anchors(self.relic)
        eye = np.array(list(self.base.camera.getPos(self.base.render)))
        alpha = marker_alpha(facing(pos, nrm, eye))
        px = self._project(pos)
        r = self._marker_radius()
        self.marker_views = [MarkerView(float(px[i, 0]), float(px[i, 1]), r, i + 1,
                                        float(alpha[i]) if np.isfinite(px[i, 0]) else 0.0, self.selected == i)
                             for i in range(len(pos))]
        key = (self.relic.id, len(pos), r)
        if self._marker_key != key:
            if self._markers is not None:
                self._markers.destroy()
            self._markers = MarkerSet(self.hotspot_layer.root, len(pos), r, self.font)
            self._marker_key = key
            lift(self._markers.root, 0)
        self._markers.update(self.marker_views)

    def _draw_overlay(self, state: str | None = None) -> None:
        state = state or self.idle.state(self.clock())
        showing = state == "warning" and self.mode != "attract"
        key = (self.idle.seconds_left(self._now), self.lang) if showing else None
        if key == self._overlay_key:
            return
        self._overlay_key = key
        layer = self.overlay
        layer.clear()
        if not showing:
            return
        m, f, lang = self.m, self.font, self.lang
        u = m.u
        rect(layer.root, m.window, (0, 0, 0, 0.55))
        ask, back = kt("still_there", lang), kt("returning_in", lang, s=self.idle.seconds_left(self._now))
        width = min(m.width - 4 * u, u * 30) - 2 * u
        ask_lines, back_lines = text_lines(ask, u * 1.6, f, width, 3), text_lines(back, u * 1.2, f, width, 2)
        h = block_height(len(ask_lines), u * 1.6) + block_height(len(back_lines), u * 1.2) + u * 3.5
        box = centred_box(m, 30, h)
        rect(layer.root, box, (0.14, 0.13, 0.12, 0.96))
        inner = box.inset(u, u * 1.5)
        used = label(layer.root, "\n".join(ask_lines), inner, u * 1.6, f, align="center")
        label(layer.root, "\n".join(back_lines), inner, u * 1.2, f, ACCENT, "center", y=used.bottom + u * 0.5)
        lift(layer.root, 3_000_000)


# --- programs ------------------------------------------------------------------------------------


def kiosk_main(argv: list[str]) -> int:
    """``relic-twin kiosk [--scene DIR] [--lang zh-CN|en] [--windowed] [--size WxH]``: run the kiosk full
    screen at the display's own resolution (``--windowed``: in a window of ``--size``, default 1280x720,
    fitted to the display); ``--headless --out DIR [--seconds N] [--every S] [--relic ID]`` renders it
    offscreen to PNG frames (``--size``, default 1920x1080)."""
    import os
    import sys

    from simulation.paths import scenes_dir
    from simulation.scene import load_scene
    from twin_engine.app import make_base
    from twin_engine.display import HEADLESS_SIZE, parse_size

    p = argparse.ArgumentParser(prog="relic-twin kiosk", description="visitor kiosk / 观众导览终端")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    p.add_argument("--windowed", action="store_true", help="in a window, not full screen / 窗口模式")
    p.add_argument("--size", default=None, metavar="WxH",
                   help="window or frame size, e.g. 1366x768 or 1080x1920 (full screen uses the display's own) / "
                        "窗口或帧尺寸（全屏时使用显示器分辨率）")
    p.add_argument("--idle", type=float, default=90.0, help="seconds before the warning / 无操作提示前秒数")
    p.add_argument("--countdown", type=float, default=25.0, help="warning countdown, >= 20 s / 倒计时秒数")
    p.add_argument("--headless", action="store_true", help="render offscreen to PNG frames / 离屏渲染为 PNG")
    p.add_argument("--out", default="out/kiosk", help="folder for headless frames / 帧输出目录")
    p.add_argument("--seconds", type=float, default=10.0, help="headless: run for N seconds / 运行秒数")
    p.add_argument("--every", type=float, default=5.0, help="headless: seconds between frames / 帧间隔")
    p.add_argument("--relic", default=None, help="headless: open this relic (id or name) / 打开指定文物")
    args = p.parse_args(argv)
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    try:
        requested = parse_size(args.size) if args.size else None
    except ValueError:
        p.error(f"--size {args.size}: expected WIDTHxHEIGHT, e.g. 1366x768 / 尺寸格式应为 宽x高，如 1366x768")
    scene = load_scene(args.scene)  # SceneError: one clear message from the command line
    idle = IdleSettings(idle_s=args.idle, countdown_s=args.countdown)
    relic = relic_id(scene, args.relic) if args.relic else None
    if headless and not args.headless:
        print("no display found: rendering offscreen / 未检测到显示器，改为离屏渲染")
    if headless:
        base = make_base(offscreen=True, size=requested or HEADLESS_SIZE, title="relic-twin kiosk")
        return _kiosk_headless(base, scene, args.lang, idle, relic, Path(args.out), args.seconds, args.every, sys.stdout)
    _, _, app = open_kiosk_window(scene, args.lang, idle, args.windowed, requested)
    app.run()
    return 0


def open_kiosk_window(scene: Scene, lang: str = "zh-CN", idle: IdleSettings | None = None, windowed: bool = False,
                      size: tuple[int, int] | None = None) -> tuple[Any, KioskScreen, Any]:
    """Open the kiosk on the display: full screen at the display's own resolution, or ``windowed``
    at ``size`` fitted into the display (``display.window_plan``). Returns (base, screen, app);
    ``app.run()`` runs it, the staff chord ends it."""
    from twin_engine.app import TwinApp
    from twin_engine.display import open_window

    base, _ = open_window(size, fullscreen=not windowed, title="relic-twin kiosk")
    base.exitFunc = None
    screen = KioskScreen(base, scene, lang=lang, idle=idle, on_staff_exit=base.userExit)
    app = TwinApp(base)
    app.show(screen)
    return base, screen, app


def relic_id(scene: Scene, text: str) -> str:
    """The id of the scene's relic named ``text`` (its id, or its name in any language); ValueError otherwise."""
    for r in scene.relics:
        if text == r.id or text in r.name.values():
            return r.id
    raise ConfigError(f"no relic {text!r} in {scene.id} (ids: {', '.join(r.id for r in scene.relics)}) / 场景中无此文物")


def _kiosk_headless(base: Any, scene: Scene, lang: str, idle: IdleSettings, relic: str | None, out: Path,
                    seconds: float, every: float, log: Any) -> int:
    """Run the kiosk offscreen for ``seconds``: the gallery (or ``relic``), a PNG every ``every`` s and last.png."""
    from twin_engine.app import TwinApp, grab_frame, write_png

    screen = KioskScreen(base, scene, lang=lang, idle=idle)
    app = TwinApp(base)
    app.show(screen)
    screen.show_gallery()
    if relic is not None:
        screen.select_relic(relic)
    out.mkdir(parents=True, exist_ok=True)
    print(f"writing frames to 帧输出至 {out.resolve()}", file=log)
    started = time.monotonic()
    next_frame, frames = started, 0
    while True:
        base.taskMgr.step()
        now = time.monotonic()
        if now - started >= seconds:
            break
        if now >= next_frame:
            base.graphicsEngine.renderFrame()
            path = write_png(grab_frame(base), out / f"frame_{frames:04d}.png")
            print(f"  {path}", file=log)
            frames, next_frame = frames + 1, now + every
        time.sleep(0.02)
    base.graphicsEngine.renderFrame()
    write_png(grab_frame(base), out / "last.png")
    print(f"  {out / 'last.png'}\n{frames + 1} frames written / 已写入帧", file=log)
    app.close()
    return 0


def render_kiosk_png(scene_dir: str | Path, out_png: str | Path, relic: str | None = None, annotation: str | None = None,
                     lang: str = "zh-CN", size: tuple[int, int] = (1920, 1080), base: Any = None) -> Path:
    """Render one kiosk frame offscreen to ``out_png``: the gallery, or ``relic`` with ``annotation`` open.

    Creates an offscreen ShowBase of ``size`` unless ``base`` is given (only one may exist per process).
    """
    from simulation.scene import load_scene
    from twin_engine.app import make_base

    scene = load_scene(scene_dir)
    base = base or make_base(offscreen=True, size=size)
    t = [1000.0]
    screen = KioskScreen(base, scene, lang=lang, clock=lambda: t[0])
    screen.enter()
    try:
        screen.show_gallery()
        if relic is not None:
            screen.select_relic(relic)
            ids = [a.id for a in screen.scene.relic(relic).annotations]
            if annotation is not None:
                screen.open_annotation(ids.index(annotation))
                t[0] += FLY_S + 0.1
        screen.tick(t[0])
        for _ in range(2):
            base.graphicsEngine.renderFrame()
        out = Path(out_png)
        out.parent.mkdir(parents=True, exist_ok=True)
        from panda3d.core import Filename

        base.win.saveScreenshot(Filename.from_os_specific(str(out)))
    finally:
        screen.exit()
    return out


def kiosk_fps(seconds: float | None = None, size: tuple[int, int] = (1920, 1080), frames: int | None = None,
              base: Any = None) -> float:
    """Frames per second of the kiosk viewer with a 50k-face relic (see ``kiosk_bench.measure_kiosk``).

    ``seconds`` sizes the run at about 10 frames a second of budget when ``frames`` is not given.
    """
    from twin_engine.kiosk_bench import measure_kiosk

    n = frames or max(30, int(10 * (seconds or 6)))
    return float(measure_kiosk(size[0], size[1], frames=n, base=base)["fps"])
