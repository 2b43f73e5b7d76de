"""The staff's live 3D monitor: one screen state over the hall.

:class:`MonitorScreen` owns two node roots (the 3-D hall under ``render``, the overlay on a
pixel canvas under ``render2d``: ``monitor_hud.py``, laid out afresh for the window's size) and
removes them in :meth:`exit`. Clicks go to the overlay's drawn buttons first
(:meth:`pointer_down`), then to the hall. It is fed plain dicts of the live feed
(``bridge/twin/live.py``)::

    {"type": "snapshot", "hall": ..., "time": ..., "readings": [...], "alerts": [...]}
    {"type": "delta", "time": ..., "readings": [...], "alerts": [...]}

a reading being ``{"sensor", "quantity", "time", "value", "unit",
"quality", "stale"}`` and an alert ``{"id", "tier", "target": {"kind",
"id"}, "cause", "message": {"zh-CN", "en"}, "summary": {"zh-CN", "en"}, "started_at",
"acknowledged"}`` (the list shows the summary: what, since when, peak, now, what clears it). Readings
with ``quality != "ok"``, ``stale`` true or a unit other than the
quantity's canonical one are left out of the field; their sensor's area is
hatched grey. Messages only mark the screen dirty; the per-frame
:meth:`update` recolours at most once per frame.

Hooks for the rest of the system: ``on_acknowledge(alert_id)`` (set by the
caller, called when staff acknowledge an alert), ``on_apply(actuator_id)`` (staff
apply a machine's standing recommendation: one key), ``on_override(actuator_id, command,
minutes)`` (staff hold every machine as it is for an hour: one key), :meth:`set_details` (the
panel's 24 h history, forecast, limits and risk from the REST service),
:meth:`show_state_at` (replay of a stored state) and :meth:`show_live`, ``on_quit`` (Esc twice).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import (
    CardMaker,
    CollisionHandlerQueue,
    CollisionNode,
    CollisionRay,
    CollisionTraverser,
    LineSegs,
    NodePath,
    PNMImage,
    Point2,
    Point3,
    TextNode,
    TransparencyAttrib,
)

from simulation.alerts import duration_label
from simulation.field_model import IDW_MODEL, FieldModel
from simulation.hall_time import local_label
from simulation.quantities import QUANTITIES
from simulation.scene import Scene
from simulation.scene_alerts import representative_sensor
from twin_engine import colormap, hud, label_layout, monitor_hud
from twin_engine.app import grab_frame, write_png
from twin_engine.camera import CameraRig, View
from twin_engine.field_view import FieldView, Reading
from twin_engine.hall import GLASS, PICK_MASK, PICK_TAG, HallNodes, build_hall, hall_radius, light_hall, zone_centre
from twin_engine.keys import MONITOR_KEYS
from twin_engine.layout import Canvas, Rect
from twin_engine.texts import pick, t

TIER_RANK = {"red": 2, "yellow": 1}
FIELD_METHODS = ("IDW", "kriging", "IDW + offsets", "kriging + offsets")
"""The field models the monitor can draw (:func:`simulation.field_model.loo_errors`' names)."""
ACTUATOR_COLOURS: dict[str, tuple[float, float, float]] = {  # a machine's body by what it is doing
    "dehumidifier": (0.15, 0.45, 1.0), "humidifier": (0.1, 0.8, 0.75), "heater": (1.0, 0.45, 0.1),
    "other": (0.95, 0.85, 0.2), "off": (0.42, 0.42, 0.45), "pending": (1.0, 0.7, 0.0),
    "alert": (0.9, 0.1, 0.1), "unknown": (0.3, 0.3, 0.32),
}
LABEL_SCALE = 0.3
"""Sensor label text height in the overview, m."""
SENSOR_LABEL_AT = Point3(0, 0, 0.26)
"""Where a sensor's value label belongs, above its holder, m."""
ACTUATOR_LABEL_AT = Point3(0, 0, 0.95)
"""Where a machine's label belongs, above its holder, m."""
BADGE_HALF_M = 0.33
"""Half the width of an alert badge's white ring (:func:`make_badge`), m at scale 1."""
REPLAY_SPAN_H = 168.0
"""How far back the replay slider reaches, hours (a week)."""
LEGEND_SAMPLES = 64
TOAST_S = 4.0
"""How long a passing note ("no alert to jump to", "press Esc again to quit") stays, s."""
QUIT_WINDOW_S = 3.0
"""A second Esc within this many seconds of the first quits (one Esc alone never does)."""


@dataclass(frozen=True)
class Details:
    """What the REST service knows about a relic or sensor, for the panel.

    history / forecast : :class:`hud.Series` (hours relative to now);
    limits : (low, high) of the profile for the shown quantity;
    lines : extra (label, value) rows, e.g. current risk and metrics;
    sensor : the sensor the history and forecast are of ('' when unknown).
    """

    quantity: str = "temperature"
    history: hud.Series | None = None
    forecast: hud.Series | None = None
    limits: tuple[float, float] | None = None
    lines: Sequence[tuple[str, str]] = ()
    sensor: str = ""


def reading_ok(r: Mapping[str, Any]) -> bool:
    """A reading the field may use: quality ok, not stale, canonical unit, finite value."""
    q = QUANTITIES.get(str(r.get("quantity")))
    value = r.get("value")
    return (
        q is not None
        and r.get("quality", "ok") == "ok"
        and not r.get("stale", False)
        and (r.get("unit") in (None, q.unit))
        and isinstance(value, (int, float))
        and math.isfinite(float(value))
    )


class MonitorScreen:
    """The live monitor of one hall inside ``base`` (a ShowBase, passed in)."""

    keys = MONITOR_KEYS

    def __init__(self, base: Any, scene: Scene, lang: str = "en", load_meshes: bool = True,
                 font: Any | None = None, step_m: float = 0.2):
        self.base = base
        self.scene = scene
        self.lang = lang
        self.font = font if font is not None else _default_font(base)
        self.quantities = [q for q in QUANTITIES if scene.sensors_for(q)]
        self.quantity = "temperature" if "temperature" in self.quantities else self.quantities[0]
        self.live: dict[tuple[str, str], dict[str, Any]] = {}
        self.replay: dict[tuple[str, str], dict[str, Any]] | None = None
        self.replay_time = ""
        self.alerts: dict[str, dict[str, Any]] = {}
        self.control: dict[str, dict[str, Any]] = {}  # actuator id -> its status (feed key "control")
        self.time = ""
        self.connection = ("connected", "")  # (status, reason) of the feed: see set_connection
        self.selection: tuple[str, str] | None = None
        self.details: dict[tuple[str, str], Details] = {}
        self.on_acknowledge: Callable[[str], None] | None = None
        self.on_apply: Callable[[str], None] | None = None
        self.on_override: Callable[[str, dict[str, Any], float], None] | None = None
        self.on_replay_request: Callable[[str], None] | None = None
        self.replay_span_h = REPLAY_SPAN_H
        self.replay_hours = 0.0
        self._replay_alerts: dict[str, dict[str, Any]] | None = None
        self._dirty = True
        self._drag: tuple[str, float, float, float, float] | None = None
        self._alerts_drawn = 0
        self.regions: monitor_hud.Regions | None = None
        base.camLens.setFilmOffset(0, 0)

        self.root = base.render.attachNewNode("monitor")
        light_hall(self.root)
        self.nodes: HallNodes = build_hall(scene, self.root, loader=base.loader, load_meshes=load_meshes)
        self.field = FieldView(scene, self.root, step_m=step_m)
        self.field_choices: dict[str, dict[str, Any]] = {}  # quantity -> bridge.twin.field_choice's answer
        self._labels = self._sensor_labels()
        self._actuator_labels = {aid: value_label(holder, f"label-{aid}", self.font, LABEL_SCALE, ACTUATOR_LABEL_AT)
                                 for aid, holder in self.nodes.actuators.items()}
        self.leaders = self.root.attachNewNode("label-leaders")  # from a thing to its label where that moved
        self.leaders.setLightOff(1)
        self.leaders.setDepthTest(False)
        self.leaders.setBin("fixed", 39)
        self._label_key: tuple = ()
        self.label_boxes: dict[str, Rect] = {}  # key -> where each shown 3-D label is drawn, window px
        self._actuator_state: dict[str, tuple] = {}
        self._markers = {sid: holder.find("marker") for sid, holder in self.nodes.sensors.items()}
        self._marker_state: dict[str, tuple] = {}
        self._hoods = {c.id: self.nodes.cases[c.id].find(f"case-{c.id}-glass") for c in scene.cases}
        self._hud_state: dict[str, Any] = {}
        self.badges = self.root.attachNewNode("badges")
        self.highlight = self.root.attachNewNode("selection")
        self.highlight.setLightOff(1)
        self.highlight.setBin("fixed", 30)
        self.canvas = Canvas(base.render2d, "monitor-hud", self.window_size(), self.font)
        self.title = monitor_hud.Header(self.canvas, "header")
        self.legend = monitor_hud.Legend(self.canvas, "legend")
        self.alert_list = monitor_hud.AlertList(self.canvas, "alerts")
        self.panel = monitor_hud.Panel(self.canvas, "panel")
        self.replay_bar = monitor_hud.Footer(self.canvas, "footer")
        self.alert_first = 0  # the first alert row shown (PgUp / PgDn scroll)
        self._toast: tuple[str, float] = ("", 0.0)  # (text key, until: time.monotonic())
        self._escape_at = -1e9
        self.on_quit: Callable[[], None] | None = None  # the app's exit (set by whoever runs the window)
        self._picker = self._make_picker()
        base.camLens.setFov(50)
        base.camLens.setNearFar(0.1, 300.0)
        self.rig = CameraRig(base.camera, self.overview())
        self._overview_distance = self.rig.view.distance
        self._label_k = 1.0
        self._label_grow = 1.0
        self.refresh()
        self.rig.go(self.overview())  # framed again now that the overlay's free area is known
        self.rig.snap()
        self._overview_distance = self.rig.view.distance
        self._label_grow = 1.0 / self._free_fraction()
        self._scale_labels()

    # --- lifecycle --------------------------------------------------------------

    def enter(self) -> None:
        self.base.accept("window-event", self._window_event)

    def _window_event(self, win: Any) -> None:
        """A resize, full screen or close: ShowBase's own handling (the aspect ratio, the exit on
        close), then the overlay is laid out again for the new size."""
        self.base.windowEvent(win)
        self._mark()

    def exit(self) -> None:
        """Remove every node this screen made."""
        self.base.accept("window-event", self.base.windowEvent)  # ShowBase's own handler back
        for widget in self._layers():
            widget.destroy()
        self.canvas.root.removeNode()
        self.root.clearLight()
        self.root.removeNode()

    destroy = exit

    def update(self, dt: float) -> None:
        """One frame: camera easing, mouse drags, recolour when dirty."""
        self._drag_update()
        self.rig.update(dt)
        self._scale_labels()
        self._place_labels()
        if self._toast[0] and time.monotonic() > self._toast[1]:
            self._toast = ("", 0.0)
            self._mark()
        if self._dirty:
            self.refresh()

    # --- feed -------------------------------------------------------------------

    def apply_snapshot(self, msg: Mapping[str, Any]) -> None:
        """Replace the live state with a snapshot message."""
        self.live = {}
        self.alerts = {}
        self.time = str(msg.get("time", ""))
        self._merge_readings(msg.get("readings", ()))
        self._merge_alerts(msg.get("alerts", ()))
        self.control = {str(c["id"]): dict(c) for c in msg.get("control", ()) if "id" in c}
        self._mark()

    def apply_delta(self, msg: Mapping[str, Any]) -> None:
        """Merge a delta message (newer readings win; alerts by id; ``cleared`` ones go)."""
        self.time = str(msg.get("time", self.time))
        self._merge_readings(msg.get("readings", ()))
        self._merge_alerts(msg.get("alerts", ()))
        if "control" in msg:
            self.control = {str(c["id"]): dict(c) for c in msg["control"] if "id" in c}
        self._mark()

    def set_connection(self, status: str, reason: str = "") -> None:
        """Where the feed stands: "connected", "connecting", "reconnecting", "unreachable" or
        "refused" (the sign-in was turned down), with the reason; shown under the title."""
        if (status, reason) != self.connection:
            self.connection = (status, reason)
            self._mark()

    def connection_line(self) -> tuple[str, str]:
        """The status line under the title and its tier ("green" | "yellow" | "red")."""
        lang = self.lang
        status, reason = self.connection
        if status != "connected":
            tier = "yellow" if status in ("connecting", "reconnecting") else "red"
            return f"● {t('conn_' + status, lang)}" + (f"  ({reason})" if reason else ""), tier
        readings = list(self.live.values())
        if not readings:
            return f"● {t('conn_connected', lang)}  |  {t('conn_waiting', lang)}", "yellow"
        times = [w for w in (parse_time(str(r.get("time", ""))) for r in readings) if w is not None]
        since = local_label(max(times), self.scene.timezone) if times else "—"
        if all(r.get("stale") for r in readings):
            return f"● {t('conn_connected', lang)}  |  {t('conn_no_data_since', lang).format(when=since)}", "red"
        return f"● {t('conn_connected', lang)}  |  {t('conn_latest', lang).format(when=since)}", "green"

    def apply(self, msg: Mapping[str, Any]) -> None:
        """Dispatch a feed message on its ``type``."""
        if msg.get("type") == "snapshot":
            self.apply_snapshot(msg)
        elif msg.get("type") == "delta":
            self.apply_delta(msg)

    def show_state_at(self, readings: Sequence[Mapping[str, Any]], time: str = "",
                      alerts: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Replay: show a stored state (readings, and alerts when given, in the
        feed's shape) instead of the live one, which keeps updating underneath;
        :meth:`show_live` returns. The caller (the lead's store wiring) calls
        this in answer to ``on_replay_request(time)``."""
        self.replay = {}
        self.replay_time = time
        for r in readings:
            self._merge_one(self.replay, r)
        self._replay_alerts = {str(a["id"]): dict(a) for a in alerts if "id" in a} if alerts is not None else None
        live, then = parse_time(self.time), parse_time(time)
        if live is not None and then is not None:
            self.replay_hours = max(0.0, (live - then).total_seconds() / 3600.0)
        self._mark()

    def show_live(self) -> None:
        """Leave replay and show the live state again."""
        self.replay = None
        self._replay_alerts = None
        self.replay_hours = 0.0
        self._mark()

    def request_replay(self, hours_back: float) -> str | None:
        """Ask (``on_replay_request``) for the hall's state ``hours_back`` hours
        before the live time, on the hour; 0 or less goes live. Returns the ISO time asked for."""
        hours_back = min(self.replay_span_h, float(hours_back))
        if hours_back <= 0:
            self.show_live()
            return None
        live = parse_time(self.time) or datetime.now(UTC)
        when = (live - timedelta(hours=hours_back)).replace(minute=0, second=0, microsecond=0)
        self.replay_hours = (live - when).total_seconds() / 3600.0
        iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._mark()
        if self.on_replay_request is not None:
            self.on_replay_request(iso)
        return iso

    def replay_alert(self, alert_id: str | None = None) -> str | None:
        """Jump to the moment an alert began (the top one when no id), selecting
        its relic or sensor; returns the ISO time asked for."""
        alerts = {str(a["id"]): a for a in self._shown_alerts()}
        alert = alerts.get(alert_id) if alert_id else next(iter(alerts.values()), None)
        if alert is None:
            return None
        target = alert.get("target") or {}
        if target.get("kind") in ("relic", "sensor"):
            self.select((str(target["kind"]), str(target.get("id"))))
        started = parse_time(str(alert.get("started_at") or alert.get("since") or ""))
        live = parse_time(self.time)
        if started is None or live is None:
            return None
        # the whole second at or after the start: rounding down would ask for the hall before the alert
        when = started if not started.microsecond else started.replace(microsecond=0) + timedelta(seconds=1)
        iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.replay_hours = max(0.0, (live - when).total_seconds() / 3600.0)
        self._mark()
        if self.on_replay_request is not None:
            self.on_replay_request(iso)
        return iso

    def set_field_choice(self, choice: Mapping[str, Any]) -> None:
        """Draw a quantity's floor with the field model chosen on the hall's history
        (:func:`bridge.twin.field_choice.field_choice`'s answer); a ``fallback`` answer keeps IDW and
        the legend says why."""
        quantity = str(choice.get("quantity"))
        if quantity not in QUANTITIES:
            return
        self.field_choices[quantity] = dict(choice)
        method = str(choice.get("method") or "IDW")
        if choice.get("fallback") or method not in FIELD_METHODS:
            model = IDW_MODEL
        else:
            model = FieldModel(method, {k: float(v) for k, v in (choice.get("settings") or {}).items()},
                               {str(k): float(v) for k, v in (choice.get("offsets") or {}).items()})
        self.field.set_model(quantity, model)
        self._mark()

    def field_line(self, quantity: str | None = None) -> str:
        """The legend's line naming the field model of ``quantity`` (default: the shown one), with its
        leave-one-out error beside IDW's, or why plain IDW is drawn."""
        quantity = quantity or self.quantity
        lang = self.lang
        choice = self.field_choices.get(quantity)
        model = self.field.model(quantity)
        name = t("field_kriging" if model.kriging else "field_IDW", lang)
        if model.offsets:
            name += t("field_offsets", lang)
        line = t("field_method", lang).format(name=name)
        if choice is None:
            return f"{line} · {t('field_pending', lang)}"
        if choice.get("fallback"):
            return f"{line} · {t('field_fallback', lang).format(why=pick(choice['fallback'], lang))}"
        rmse = choice.get("rmse") or {}
        q = QUANTITIES[quantity]
        if model.method in rmse and "IDW" in rmse:
            digits = q.precision + 1
            loo = t("field_loo", lang).format(rmse=f"{rmse[model.method]:.{digits}f} {q.unit}",
                                              idw=f"{rmse['IDW']:.{digits}f}")
            line += f" · {loo}"
        return line

    def set_details(self, kind: str, ident: str, details: Details) -> None:
        """Give the panel of relic/sensor ``ident`` its history, forecast, limits, risk."""
        self.details[(kind, ident)] = details
        if self.selection == (kind, ident):
            self._mark()

    def _merge_readings(self, readings: Sequence[Mapping[str, Any]]) -> None:
        for r in readings:
            self._merge_one(self.live, r)

    @staticmethod
    def _merge_one(store: dict[tuple[str, str], dict[str, Any]], r: Mapping[str, Any]) -> None:
        key = (str(r.get("sensor")), str(r.get("quantity")))
        old = store.get(key)
        if old is None or str(r.get("time", "")) >= str(old.get("time", "")):
            store[key] = dict(r)

    def _merge_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        for a in alerts:
            if "id" not in a:
                continue
            if a.get("cleared") or a.get("active") is False:
                self.alerts.pop(str(a["id"]), None)
            else:
                self.alerts[str(a["id"])] = dict(a)

    def _mark(self) -> None:
        self._dirty = True

    # --- actions ----------------------------------------------------------------

    def act(self, action: str) -> None:
        """Do the named action (see ``keys.MONITOR_KEYS``)."""
        rig = self.rig
        simple: dict[str, Callable[[], object]] = {
            "next_quantity": lambda: self.step_quantity(1),
            "previous_quantity": lambda: self.step_quantity(-1),
            "show_temperature": lambda: self.set_quantity("temperature"),
            "show_humidity": lambda: self.set_quantity("relative_humidity"),
            "view_overview": lambda: rig.go(self.overview()),
            "orbit_left": lambda: rig.orbit(-15, 0),
            "orbit_right": lambda: rig.orbit(15, 0),
            "orbit_up": lambda: rig.orbit(0, -8),
            "orbit_down": lambda: rig.orbit(0, 8),
            "zoom_in": lambda: rig.zoom(1 / 1.15),
            "zoom_out": lambda: rig.zoom(1.15),
            "wheel_up": lambda: self._wheel(-1),
            "wheel_down": lambda: self._wheel(1),
            "toggle_language": self.toggle_language,
            "acknowledge_top": self.acknowledge_top,
            "apply_advice": self.apply_advice,
            "hold_machines": self.hold_machines,
            "replay_back": lambda: self.request_replay(math.floor(self.replay_hours + 1e-6) + 1),
            "replay_forward": lambda: self.request_replay(math.ceil(self.replay_hours - 1e-6) - 1),
            "replay_alert": self.jump_to_alert,
            "show_live": self.show_live,
            "clear_selection": lambda: self.select(None),
            "back": self.back,
            "alerts_down": lambda: self.scroll_alerts(1),
            "alerts_up": lambda: self.scroll_alerts(-1),
            "select_or_orbit_start": lambda: self._drag_start("orbit"),
            "orbit_end": lambda: self._drag_end(click=True),
            "pan_start": lambda: self._drag_start("pan"),
            "pan_end": lambda: self._drag_end(click=False),
        }
        if action in simple:
            simple[action]()
        elif action.startswith("view_zone_"):
            i = int(action.rsplit("_", 1)[1]) - 1
            if 0 <= i < len(self.scene.zones):
                rig.go(self.zone_view(i))

    def back(self) -> None:
        """Esc: close the panel; else leave the replay; else, pressed twice within
        :data:`QUIT_WINDOW_S`, quit (``on_quit``) -- the first press says so in the footer."""
        now = time.monotonic()
        if self.selection is not None:
            self.select(None)
        elif self.replay is not None or self.replay_hours > 0:
            self.show_live()
        elif now - self._escape_at <= QUIT_WINDOW_S:
            if self.on_quit is not None:
                self.on_quit()
            return
        else:
            self._escape_at = now
            self.say("esc_again")
            return
        self._escape_at = -1e9

    def say(self, key: str) -> None:
        """Show the note ``texts[key]`` in the footer for :data:`TOAST_S` seconds."""
        self._toast = (key, time.monotonic() + TOAST_S)
        self._mark()

    def toast(self) -> str:
        """The note shown now, in the screen's language ('' when none)."""
        return t(self._toast[0], self.lang) if self._toast[0] else ""

    def jump_to_alert(self, alert_id: str | None = None) -> str | None:
        """J: replay the moment the top alert began; with no alert, say so."""
        if not self._shown_alerts():
            self.say("no_alert_to_jump")
            return None
        return self.replay_alert(alert_id)

    def _wheel(self, step: int) -> None:
        """The mouse wheel: over the alert list it scrolls the list a row, elsewhere it zooms."""
        mw = self.base.mouseWatcherNode
        box = self.alert_list.covers
        if mw is not None and mw.hasMouse() and box is not None and box.contains(*self.to_px(*mw.getMouse())):
            n = len(self._shown_alerts())
            self.alert_first = max(0, min(max(0, n - 1), self.alert_first + step))
            self._mark()
        else:
            self.rig.zoom(1.15 if step > 0 else 1 / 1.15)

    def scroll_alerts(self, step: int) -> None:
        """PgDn / PgUp: scroll the alert list by about a page."""
        n = len(self._shown_alerts())
        page = max(1, self._alerts_drawn)
        self.alert_first = max(0, min(max(0, n - 1), self.alert_first + step * page))
        self._mark()

    def set_quantity(self, quantity: str) -> None:
        if quantity in self.quantities:
            self.quantity = quantity
            self._mark()

    def step_quantity(self, step: int) -> None:
        i = self.quantities.index(self.quantity)
        self.set_quantity(self.quantities[(i + step) % len(self.quantities)])

    def toggle_language(self) -> None:
        self.lang = "en" if self.lang.startswith("zh") else "zh-CN"
        self._mark()

    def acknowledge_top(self) -> str | None:
        """Acknowledge the worst unacknowledged alert; returns its id."""
        rows = [a for a in self._shown_alerts() if not a.get("acknowledged")]
        return self.acknowledge(str(rows[0]["id"])) if rows else None

    def acknowledge(self, alert_id: str) -> str | None:
        """Mark an alert acknowledged here and tell ``on_acknowledge`` (the service)."""
        alert = self.alerts.get(alert_id)
        if alert is None or alert.get("acknowledged"):
            return None
        alert["acknowledged"] = True
        if self.on_acknowledge is not None:
            self.on_acknowledge(alert_id)
        self._mark()
        return alert_id

    def hold_machines(self, minutes: float = 60.0) -> list[str]:
        """Manual override (``on_override``): every machine heard from held as it is now for ``minutes``."""
        keys = {"air_conditioner": ("mode", "setpoint"), "light": ("level",), "blind": ("level",)}
        held = [(aid, cmd) for aid, st in self.control.items()
                if (cmd := {k: v for k, v in (st.get("state") or {}).items() if k in keys.get(st.get("kind"), ("on",))})]
        if self.on_override is not None:
            for aid, cmd in held:
                self.on_override(aid, cmd, minutes)
        return [aid for aid, _ in held]

    def apply_advice(self) -> str | None:
        """Apply the first machine's standing recommendation (``on_apply``); returns its id."""
        aid = next((k for k, st in self.control.items() if st.get("recommendation") is not None), None)
        if aid is not None and self.on_apply is not None:
            self.on_apply(aid)
            self.control[aid] = {**self.control[aid], "recommendation": None}
            self._mark()
        return aid

    # --- camera -----------------------------------------------------------------

    def overview(self) -> View:
        """The whole hall from the south, above, at an angle (lower and farther back over a
        scanned hall, whose equipment and walls stand up from the floor)."""
        x0, y0, x1, y1 = self.scene.bounds
        fit = hall_radius(self.scene) / math.tan(math.radians(0.5 * self.base.camLens.getFov()[0]))
        fit /= self._free_fraction()
        if self.nodes.scan is not None:
            return View(((x0 + x1) / 2, (y0 + y1) / 2 - 0.2, 0.9), 0.0, -40.0, 1.3 * fit)
        return View(((x0 + x1) / 2, (y0 + y1) / 2 - 0.5, 0.0), 0.0, -56.0, 1.06 * fit)

    def zone_view(self, i: int) -> View:
        zone = self.scene.zones[i]
        c = zone_centre(zone.polygon)
        span = float(np.ptp(zone.polygon, axis=0).max())
        return View((c[0], c[1], 0.3), 15.0, -50.0, 1.7 * span)

    # --- picking ----------------------------------------------------------------

    def _make_picker(self) -> tuple[CollisionTraverser, CollisionHandlerQueue, CollisionRay]:
        ray = CollisionRay()
        node = CollisionNode("monitor-pick-ray")
        node.addSolid(ray)
        node.setFromCollideMask(PICK_MASK)
        node.setIntoCollideMask(0)
        ray_np = self.base.camera.attachNewNode(node)
        self._ray_np = ray_np
        queue = CollisionHandlerQueue()
        trav = CollisionTraverser("monitor-pick")
        trav.addCollider(ray_np, queue)
        return trav, queue, ray

    def pick_at(self, x: float, y: float) -> tuple[str, str] | None:
        """What is under the screen point (x, y) in -1..1 film coordinates:
        ("relic", id), ("sensor", id), or None."""
        trav, queue, ray = self._picker
        ray.setFromLens(self.base.camNode, x, y)
        trav.traverse(self.root)
        if queue.getNumEntries() == 0:
            return None
        queue.sortEntries()
        for i in range(queue.getNumEntries()):
            tag = queue.getEntry(i).getIntoNodePath().getNetTag(PICK_TAG)
            if tag:
                kind, ident = tag.split(":", 1)
                return kind, ident
        return None

    def click(self, x: float, y: float) -> tuple[str, str] | None:
        """Select what is at film point (x, y) (or clear the selection)."""
        hit = self.pick_at(x, y)
        self.select(hit)
        return hit

    def select(self, target: tuple[str, str] | None) -> None:
        """Select a relic or sensor (outlined, its panel shown), or nothing."""
        self.selection = target
        self.highlight.node().removeAllChildren()
        holder = None
        if target is not None and target[0] == "relic":
            holder = self.nodes.relics.get(target[1])
        elif target is not None and target[1] in self._markers:
            holder = self._markers[target[1]]
        if holder is not None:
            bounds = holder.getTightBounds(self.root)
            if bounds:
                self.highlight.attachNewNode(outline_box(bounds[0], bounds[1], 0.06))
        self._mark()

    def project(self, point: tuple[float, float, float]) -> tuple[float, float] | None:
        """Film coordinates (-1..1) of a hall point, or None when off screen."""
        p = self.base.cam.getRelativePoint(self.base.render, Point3(*point))
        out = Point2()
        if not self.base.camLens.project(p, out):
            return None
        return float(out[0]), float(out[1])

    def _drag_start(self, mode: str) -> None:
        mw = self.base.mouseWatcherNode
        if mw is None or not mw.hasMouse():
            return
        m = mw.getMouse()
        if mode == "orbit" and self.pointer_down(*self.to_px(m[0], m[1])):
            return  # the overlay took it
        self._drag = (mode, m[0], m[1], m[0], m[1])

    # --- the overlay under the pointer: what is drawn is what is clicked ----------------------------

    def window_size(self) -> tuple[int, int]:
        win = self.base.win
        return (int(win.getXSize()), int(win.getYSize())) if win is not None else (1280, 720)

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        """Window pixels (origin top left) of film point (x, y) in -1..1."""
        w, h = self.window_size()
        return (x + 1) / 2 * w, (1 - y) / 2 * h

    def to_film(self, px: float, py: float) -> tuple[float, float]:
        w, h = self.window_size()
        return 2 * px / w - 1, 1 - 2 * py / h

    def pointer_down(self, px: float, py: float) -> bool:
        """A press at window pixel (px, py): a button, an alert row, the replay track or the close
        box act; anywhere else on the overlay's boxes is swallowed. False when it is for the hall."""
        if self._dirty:
            self.refresh()
        hit = monitor_hud.hit_at(self._layers(), px, py)
        if hit is not None:
            self._on_hit(hit, px)
            if hit.action == "replay_at":
                self._drag = ("slider", px, py, px, py)
            return True
        return monitor_hud.covered(self._layers(), px, py)

    def click_px(self, px: float, py: float) -> tuple[str, str] | None:
        """A whole click (press and release) at window pixel (px, py), as the mouse does it:
        the overlay first, else the hall (select what is there). Returns the selection."""
        if not self.pointer_down(px, py):
            self.click(*self.to_film(px, py))
        self._drag = None
        return self.selection

    def _on_hit(self, hit: monitor_hud.Hit, px: float) -> None:
        if hit.action == "ack":
            self.acknowledge(hit.arg)
        elif hit.action == "jump":
            self.replay_alert(hit.arg)
        elif hit.action == "close_panel":
            self.select(None)
        elif hit.action == "replay_at":
            self._slider_moved(self.replay_bar.hours_at(px))

    def _layers(self) -> list[Any]:
        return [self.legend, self.alert_list, self.panel, self.replay_bar, self.title]

    def _drag_update(self) -> None:
        mw = self.base.mouseWatcherNode
        if self._drag is None or mw is None or not mw.hasMouse():
            return
        mode, x0, y0, lx, ly = self._drag
        m = mw.getMouse()
        dx, dy = m[0] - lx, m[1] - ly
        if mode == "slider":
            px, _ = self.to_px(m[0], m[1])
            if abs(px - lx) >= 1:
                self._slider_moved(self.replay_bar.hours_at(px))
            self._drag = (mode, x0, y0, px, ly)
            return
        if mode == "orbit":
            self.rig.orbit(dx * 120, dy * 60)
        else:
            self.rig.pan(-dx * self.rig.goal.distance * 0.5, -dy * self.rig.goal.distance * 0.5)
        self.rig.snap()
        self._drag = (mode, x0, y0, m[0], m[1])

    def _drag_end(self, click: bool) -> None:
        drag, self._drag = self._drag, None
        if drag is None or not click or drag[0] == "slider":
            return
        _, x0, y0, x1, y1 = drag
        if math.hypot(x1 - x0, y1 - y0) < 0.01:
            self.click(x0, y0)

    # --- drawing ----------------------------------------------------------------

    def _scale_labels(self) -> None:
        """Keep sensor labels and badges about the same size on screen as the camera zooms."""
        # the overview stands back as far as the overlay narrows the view: labels grow to match
        k = min(1.0, max(0.25, self.rig.view.distance / self._overview_distance)) * self._label_grow
        if abs(k - self._label_k) < 1e-3:
            return
        self._label_k = k
        for sid in self._labels:
            self.nodes.sensors[sid].find(f"label-{sid}").setScale(LABEL_SCALE * k)
        for aid, holder in self.nodes.actuators.items():
            holder.find(f"label-{aid}").setScale(LABEL_SCALE * k)
        self.badges.setScale(1.0)
        for badge in self.badges.getChildren():
            badge.setScale(k)

    def _label_items(self) -> list[tuple[str, NodePath, Point3]]:
        """(key, label node, anchor in the hall frame) of every 3-D label with text, in placement
        priority: the selected sensor's value, the other sensors' values, then the machines'."""
        items = []
        for sid in self._labels:
            holder = self.nodes.sensors[sid]
            items.append((f"sensor:{sid}", holder.find(f"label-{sid}"), self.root.getRelativePoint(holder, SENSOR_LABEL_AT)))
        for aid, holder in self.nodes.actuators.items():
            items.append((f"actuator:{aid}", holder.find(f"label-{aid}"),
                          self.root.getRelativePoint(holder, ACTUATOR_LABEL_AT)))
        if self.selection is not None:
            first = f"{self.selection[0]}:{self.selection[1]}"
            items.sort(key=lambda it: it[0] != first)
        return [it for it in items if not it[1].isEmpty() and it[1].node().getText()]

    def _place_labels(self) -> None:
        """Declutter the 3-D labels in screen space (:func:`twin_engine.label_layout.place`): each
        billboard moves in the camera's plane to a free place near its thing, with a leader line when
        it moved; one that has none is hidden. Redone only when the view, the texts or the overlay change."""
        cam, lens, render = self.base.cam, self.base.camLens, self.base.render
        items = self._label_items()
        covers = tuple((c.x, c.y, c.w, c.h) for c in (layer.covers for layer in self._layers()) if c is not None)
        mat = cam.getMat(render)
        key = (tuple(round(mat.getCell(i, j), 4) for i in range(4) for j in range(3)), tuple(lens.getFilmOffset()), self.window_size(), covers, round(self._label_k, 4),
               tuple((k, n.node().getText()) for k, n, _ in items), self.selection,
               tuple(str(b.getTag("badge")) for b in self.badges.getChildren()))
        if key == self._label_key:
            return
        self._label_key = key
        boxes, frames = [], {}
        for k, label, anchor in items:
            frame = self._label_frame(label, anchor)
            if frame is None:
                label.hide()
                continue
            frames[k] = frame
            boxes.append(label_layout.LabelBox(k, frame[0]))
        w, h = self.window_size()
        placed = label_layout.place(boxes, [Rect(*c) for c in covers] + self.badge_boxes(),
                                    Rect(0.0, 0.0, float(w), float(h)))
        segs = LineSegs("label-leaders")
        segs.setColor(0.92, 0.92, 0.95, 0.85)
        segs.setThickness(1.5)
        leaders = 0
        self.label_boxes = {}
        for k, label, _ in items:
            if k not in frames:
                continue
            rect, cam_p, px_per_m, lift_m = frames[k]
            offset = placed.get(k)
            if offset is None:
                label.hide()
                continue
            label.show()
            dx, dy = offset
            bottom = Point3(cam_p[0] + dx / px_per_m, cam_p[1], cam_p[2] - dy / px_per_m)  # the card's bottom centre
            label.setPos(render, render.getRelativePoint(cam, Point3(bottom[0], bottom[1], bottom[2] + lift_m)))
            self.label_boxes[k] = Rect(rect.x + dx, rect.y + dy, rect.w, rect.h)
            if math.hypot(dx, dy) > 0.5 * rect.h:
                segs.moveTo(render.getRelativePoint(cam, cam_p))
                segs.drawTo(render.getRelativePoint(cam, bottom))
                leaders += 1
        self.leaders.node().removeAllChildren()
        if leaders:
            self.leaders.attachNewNode(segs.create())

    def badge_boxes(self) -> list[Rect]:
        """Window-px squares of the alert badges drawn now (the labels keep clear of them)."""
        out = []
        for badge in self.badges.getChildren():
            frame = self._screen_square(self.root.getRelativePoint(self.badges, badge.getPos()), BADGE_HALF_M * badge.getSx())
            if frame is not None:
                out.append(frame)
        return out

    def _screen_square(self, centre: Point3, half_m: float) -> Rect | None:
        """The window-px square of a billboard ``2 * half_m`` m wide centred on hall point ``centre``."""
        cam, lens = self.base.cam, self.base.camLens
        p = cam.getRelativePoint(self.root, centre)
        a, b = Point2(), Point2()
        if p[1] <= lens.getNear() or not lens.project(p, a) or not lens.project(Point3(p[0], p[1], p[2] + 1.0), b):
            return None
        w, h = self.window_size()
        r = abs(b[1] - a[1]) / 2 * h * half_m
        x, y = (a[0] + 1) / 2 * w, (1 - a[1]) / 2 * h
        return Rect(x - r, y - r, 2 * r, 2 * r)

    def _label_frame(self, label: NodePath, anchor: Point3) -> tuple[Rect, Point3, float, float] | None:
        """(window-px rectangle of the label's card where it belongs: its bottom on the anchor, so that
        a second line grows up, not over the thing; the anchor in camera space; px per metre at its
        depth; how far the text's origin sits above the card's bottom, m) or None off screen."""
        cam, lens = self.base.cam, self.base.camLens
        p = cam.getRelativePoint(self.base.render, anchor)
        a, b = Point2(), Point2()
        if p[1] <= lens.getNear() or not lens.project(p, a) or not lens.project(Point3(p[0], p[1], p[2] + 1.0), b):
            return None
        w, h = self.window_size()
        px_per_m = abs(b[1] - a[1]) / 2 * h
        if px_per_m <= 0:
            return None
        node = label.node()
        left, right, bottom, top = node.getCardActual()
        scale = label.getSx(self.base.render)
        x, y = (a[0] + 1) / 2 * w, (1 - a[1]) / 2 * h
        height = (top - bottom) * scale * px_per_m
        rect = Rect(x + left * scale * px_per_m, y - height, (right - left) * scale * px_per_m, height)
        return rect, p, px_per_m, -bottom * scale

    def _sensor_labels(self) -> dict[str, TextNode]:
        return {
            sid: value_label(holder, f"label-{sid}", self.font, LABEL_SCALE, SENSOR_LABEL_AT)
            for sid, holder in self.nodes.sensors.items()
        }

    def shown_readings(self) -> dict[tuple[str, str], dict[str, Any]]:
        return self.replay if self.replay is not None else self.live

    def _shown_alerts(self) -> list[dict[str, Any]]:
        src = self._replay_alerts if self.replay is not None else None
        alerts = list((src if src is not None else self.alerts).values())
        alerts.sort(key=lambda a: (bool(a.get("acknowledged")), -TIER_RANK.get(str(a.get("tier")), 0), str(a.get("id"))))
        return alerts

    def field_readings(self, quantity: str) -> dict[str, Reading]:
        """Sensor id -> (value, fresh) for ``quantity`` from the shown state."""
        out = {}
        for (sid, q), r in self.shown_readings().items():
            if q == quantity:
                value = r.get("value")
                ok = reading_ok(r)
                out[sid] = Reading(float(value) if ok else float("nan"), ok)
        return out

    def refresh(self) -> None:
        """Recolour the field, markers, cases, badges and redraw the overlay."""
        self._dirty = False
        values = self.field_readings(self.quantity)
        self.field.show(self.quantity, values)
        self._colour_markers(values)
        self._colour_cases(values)
        self._colour_actuators()
        self._draw_badges()
        self._draw_hud()

    def _colour_markers(self, values: Mapping[str, Reading]) -> None:
        q = QUANTITIES[self.quantity]
        ids = [s.id for s in self.scene.sensors]
        rgb = colormap.colours(self.quantity, np.array([values[i].value if i in values else np.nan for i in ids]))
        for s, colour in zip(self.scene.sensors, rgb, strict=True):
            marker = self._markers[s.id]
            label = self._labels[s.id]
            if self.quantity not in s.quantities:
                state: tuple = ("absent",)
            else:
                r = values.get(s.id)
                state = ("none",) if r is None else ("stale",) if not r.fresh else ("ok", round(r.value, q.precision))
            if self._marker_state.get(s.id) == state:
                continue
            self._marker_state[s.id] = state
            if state[0] == "absent":
                marker.setColor(0.25, 0.25, 0.28, 1)
                marker.setScale(0.6)
                label.setText("")
                continue
            marker.setScale(1.0)
            marker.setColor(*(colormap.NO_DATA if state[0] != "ok" else colour), 1)
            label.setText({"none": "—", "stale": "?"}.get(state[0]) or f"{state[1]:.{q.precision}f}")

    def actuator_look(self, ident: str) -> tuple[tuple[float, float, float], str]:
        """(colour, label) of a machine: running in its kind's colour, off grey, a command not yet
        echoed amber, an alert on it red; the label says what it does and since when it runs."""
        st = self.control.get(ident)
        a = next(x for x in self.scene.actuators if x.id == ident)
        name = pick(a.name, self.lang) if a.name else ident
        alerting = any((x.get("target") or {}).get("kind") == "actuator" and (x.get("target") or {}).get("id") == ident
                       for x in self._shown_alerts())
        if st is None:
            return ACTUATOR_COLOURS["unknown"], f"{name}: {t('actuator_unknown', self.lang)}"
        on = bool((st.get("state") or {}).get("on", False))
        colour = ACTUATOR_COLOURS.get(a.kind, ACTUATOR_COLOURS["other"]) if on else ACTUATOR_COLOURS["off"]
        word = t("actuator_on" if on else "actuator_off", self.lang)
        if st.get("pending") is not None:
            colour, word = ACTUATOR_COLOURS["pending"], t("actuator_pending", self.lang)
        if alerting:
            colour, word = ACTUATOR_COLOURS["alert"], word + " !"
        if st.get("recommendation") is not None:
            word += " · " + t("actuator_advice", self.lang)
        return colour, f"{name}: {word}"

    def _colour_actuators(self) -> None:
        for aid, holder in self.nodes.actuators.items():
            colour, text = self.actuator_look(aid)
            if self._actuator_state.get(aid) == (colour, text):
                continue
            self._actuator_state[aid] = (colour, text)
            holder.find("body").setColor(*colour, 1)
            self._actuator_labels[aid].setText(text.replace(": ", "\n", 1))  # two short lines, not one long one

    def _colour_cases(self, values: Mapping[str, Reading]) -> None:
        """Tint each case's glass with its own sensor's value (the case climate)."""
        for case in self.scene.cases:
            hood = self._hoods[case.id]
            inside = [values[s.id] for s in self.scene.sensors if s.case == case.id and s.id in values]
            fresh = [r.value for r in inside if r.fresh]
            if fresh:
                rgb = colormap.colour(self.quantity, float(np.mean(fresh)))
                hood.setColor(*rgb, 0.42)
            elif inside:
                hood.setColor(*colormap.NO_DATA, 0.5)
            else:
                hood.setColor(*GLASS)

    def badge_targets(self) -> dict[tuple[str, str], tuple[str, int]]:
        """(kind, id) -> (worst tier, count) of the unacknowledged shown alerts, rolled up per target."""
        out: dict[tuple[str, str], tuple[str, int]] = {}
        for a in self._shown_alerts():
            if a.get("acknowledged"):
                continue
            target = a.get("target") or {}
            key = (str(target.get("kind", "hall")), str(target.get("id", "")))
            tier = str(a.get("tier", "yellow"))
            old_tier, n = out.get(key, (tier, 0))
            worst = tier if TIER_RANK.get(tier, 0) > TIER_RANK.get(old_tier, 0) else old_tier
            out[key] = (worst, n + 1)
        return out

    def badge_anchor(self, kind: str, ident: str) -> Point3 | None:
        """Where the badge of a target floats, hall frame (m)."""
        if kind == "relic" and ident in self.nodes.relic_tops:
            return self.nodes.relic_tops[ident] + Point3(0, 0, 0.45)
        if kind == "case":
            for c in self.scene.cases:
                if c.id == ident:
                    return Point3(float(c.position[0]), float(c.position[1]), float(c.position[2] + c.size[2]) + 0.45)
        if kind == "actuator" and ident in self.nodes.actuators:
            return self.nodes.actuators[ident].getPos(self.root) + Point3(0, 0, 1.3)
        if kind == "sensor" and ident in self.nodes.sensors:
            return self.nodes.sensors[ident].getPos(self.root) + Point3(0, 0, 0.55)
        if kind == "zone":
            for z in self.scene.zones:
                if z.id == ident:
                    c = zone_centre(z.polygon)
                    return Point3(c[0], c[1], 2.6)
        return None

    def _draw_badges(self) -> None:
        targets = self.badge_targets()
        if self._hud_state.get("badges") == targets:
            return
        self._hud_state["badges"] = targets
        for child in self.badges.getChildren():
            child.removeNode()
        for (kind, ident), (tier, count) in targets.items():
            pos = self.badge_anchor(kind, ident)
            if pos is None:
                continue
            badge = make_badge(self.badges, tier, count, self.font)
            badge.setPos(pos)
            badge.setScale(self._label_k)
            badge.setTag("badge", f"{kind}:{ident}:{tier}")

    def _draw_hud(self) -> None:
        """Lay the overlay out for the window's size (regions from measured text) and redraw
        each part whose data or place changed."""
        lang = self.lang
        size = self.window_size()
        if size != (self.canvas.metrics.width, self.canvas.metrics.height):
            self.canvas.resize(size)
            self._hud_state = {k: v for k, v in self._hud_state.items() if k == "badges"}
        m = self.canvas.metrics
        q = QUANTITIES[self.quantity]
        tz = self.scene.timezone
        mode = (f"{t('replay', lang)} {local_label(self.replay_time, tz)}" if self.replay is not None
                else f"{t('live', lang)} {local_label(self.time, tz)}")
        title = f"{pick(self.scene.name, lang)}  |  {q.label(lang)} ({q.unit})  |  {mode}"
        status, tier = self.connection_line()
        rows = self.alert_rows()
        connected = self.connection[0] == "connected"
        words = monitor_hud.AlertTexts(t("alerts", lang), t("no_alerts" if connected else "alerts_unknown", lang),
                                       t("acknowledged", lang), t("ack_button", lang), t("ack_hint", lang),
                                       t("more_rows", lang))
        label = (f"{t('replay', lang)} {local_label(self.replay_time, tz)}  ({t('hours_ago', lang).format(h=f'{self.replay_hours:.0f}')})"
                 if self.replay is not None else f"{t('live', lang)}  |  {t('replay_hint', lang)}")
        replay = hud.ReplayData(self.replay_hours, self.replay_span_h, label, self.replay is None)
        legend = legend_data(self.quantity, lang, self.field_line())
        panel = self.panel_data()
        toast = self.toast()
        header_h = monitor_hud.header_height(self.canvas, m.width, title, t("help", lang), status)
        footer_h = monitor_hud.footer_height(self.canvas, toast)
        regions = monitor_hud.regions(m, header_h, footer_h, monitor_hud.legend_width(self.canvas, legend),
                                      panel is not None, 0.0)
        alerts_h = self.alert_list.rows_height(regions.alerts.w, rows, words)
        panel_h = self.panel.wanted_height(regions.panel.w, panel) if panel is not None and regions.panel else 0.0
        regions = monitor_hud.regions(m, header_h, footer_h, regions.legend.w, panel is not None, alerts_h, panel_h)
        self.regions = regions
        self._centre_lens(regions)
        self._show_if_changed("title", self.title.show, regions.header, title, t("help", lang), status, tier)
        self._show_if_changed("replay", self.replay_bar.show, regions.footer, replay, toast)
        self._show_if_changed("legend", self.legend.show, regions.legend, legend)
        self.alert_first = min(self.alert_first, max(0, len(rows) - 1))
        if self._hud_state.get("alerts") != (regions.alerts, rows, words, self.alert_first):
            self._hud_state["alerts"] = (regions.alerts, rows, words, self.alert_first)
            self._alerts_drawn = self.alert_list.show(regions.alerts, rows, words, self.alert_first)
        if panel is None or regions.panel is None:
            if self._hud_state.get("panel") is not None:
                self.panel.clear()
            self._hud_state["panel"] = None
        else:
            chart_words = monitor_hud.ChartTexts(t("axis_past", lang), t("axis_now", lang), t("axis_ahead", lang),
                                                 t("limit_word", lang), t("more_rows", lang), "×")
            box = monitor_hud.place_panel(regions.panel, self.panel.wanted_height(regions.panel.w, panel), m.portrait)
            self._show_if_changed("panel", self.panel.show, box, panel, chart_words, self._chart_min_span())

    def free_area(self) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) window px of the hall's view that the overlay leaves free (None before the
        first layout): between the legend and the alert column (the window's edge when the list is
        short and no panel is open), the header and the footer; in portrait right of the legend,
        between the alerts and the panel."""
        r = self.regions
        if r is None:
            return None
        m = self.canvas.metrics
        if m.portrait:
            bottom = r.panel.y if r.panel is not None else r.footer.y
            return r.legend.right, r.alerts.bottom, float(m.width), bottom
        tall = r.panel is not None or r.alerts.h > 0.5 * (r.footer.y - r.header.bottom)
        right = r.alerts.x if tall else float(m.width)  # a short alert list leaves the hall the width
        return r.legend.right, r.header.bottom, right, r.footer.y

    def _centre_lens(self, regions: monitor_hud.Regions) -> None:
        """Shift the lens (film offset) so the middle of the view is the middle of the free area:
        the hall is framed where the overlay leaves it room, not under the alert column."""
        area = self.free_area()
        if area is None:
            return
        w, h = self.canvas.metrics.width, self.canvas.metrics.height
        cx, cy = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
        lens = self.base.camLens
        film = lens.getFilmSize()
        offset = (-(cx - w / 2) / w * film[0], (cy - h / 2) / h * film[1])
        if (round(offset[0], 5), round(offset[1], 5)) != tuple(round(v, 5) for v in lens.getFilmOffset()):
            lens.setFilmOffset(*offset)

    def _free_fraction(self) -> float:
        """The free area's share of the window's width or height, whichever is smaller (1 before layout)."""
        area = self.free_area()
        if area is None:
            return 1.0
        m = self.canvas.metrics
        return max(0.4, min((area[2] - area[0]) / m.width, (area[3] - area[1]) / m.height * 1.4, 1.0))

    def alert_rows(self) -> tuple[hud.AlertRow, ...]:
        """The shown alerts as the list's rows, worst first: the alert's summary and how long it
        has been open at the shown moment (``· open 2 h 5 min``)."""
        lang = self.lang
        now = parse_time(self.replay_time if self.replay is not None else self.time)
        rows = []
        for a in self._shown_alerts():
            text = pick(a.get("summary") or a.get("message") or {"en": str(a.get("cause", ""))}, lang)
            began = parse_time(str(a.get("started_at") or ""))
            if now is not None and began is not None and now >= began:
                text += "  · " + t("open_for", lang).format(d=duration_label((now - began).total_seconds(), lang))
            rows.append(hud.AlertRow(str(a["id"]), str(a.get("tier", "yellow")), text, bool(a.get("acknowledged"))))
        return tuple(rows)

    def _chart_min_span(self) -> float:
        """The chart's smallest value span: ten steps of the shown precision (1 °C, 1 %RH, 10 lx)."""
        details = self.details.get(self.selection) if self.selection else None
        q = QUANTITIES.get(details.quantity if details else self.quantity)
        return 10.0 ** (1 - q.precision) if q else 1.0

    def _slider_moved(self, hours_back: float) -> None:
        hours = float(round(hours_back))
        if hours != round(self.replay_hours):
            self.request_replay(hours)

    def _show_if_changed(self, key: str, show: Callable[..., None], *args: Any) -> None:
        """Rebuild a widget only when its view data changed (text is costly to lay out)."""
        if self._hud_state.get(key) != args:
            self._hud_state[key] = args
            show(*args)

    def legend_title(self) -> str:
        """The legend's heading for the shown quantity, e.g. "Temperature (°C)"."""
        return legend_data(self.quantity, self.lang).title

    def panel_data(self) -> hud.PanelData | None:
        """The selection panel's view data (None when nothing is selected)."""
        if self.selection is None:
            return None
        kind, ident = self.selection
        lang = self.lang
        details = self.details.get((kind, ident), Details(quantity=self.quantity))
        lines: list[tuple[str, str]] = []
        if kind == "relic":
            relic = self.scene.relic(ident)
            title = pick(relic.name, lang)
            subtitle = " | ".join(x for x in (pick(relic.material, lang), pick(relic.era, lang) if relic.era else "") if x)
            zone = next((z for z in self.scene.zones if z.id == relic.zone), None)
            if zone:
                lines.append((t("zone", lang), pick(zone.name, lang)))
            if relic.stand_in:  # a full-width row: in the value column the note ran past the panel
                lines.append((f"{t('mesh', lang)}: {t('stand_in', lang)}", ""))
            lines += self._relic_value_lines(relic, ("temperature", "relative_humidity", self.quantity))
        else:
            sensor = self.scene.sensor(ident)
            title = f"{t('sensor', lang)} {ident}"
            zone = next((z for z in self.scene.zones if z.id == sensor.zone), None)
            subtitle = pick(zone.name, lang) if zone else ""
            lines += self._value_lines([sensor], sensor.quantities)
        lines += list(details.lines)
        q = QUANTITIES.get(details.quantity)
        of = f" · {details.sensor}" if details.sensor else ""
        chart = f"{q.label(lang) if q else ''} ({q.unit if q else ''}){of} | {t('history_24h', lang)} / {t('forecast', lang)}"
        return hud.PanelData(title=title, subtitle=subtitle, lines=lines, history=details.history,
                             forecast=details.forecast, limits=details.limits, chart_title=chart,
                             empty_chart_text=t("no_history", lang))

    def _relic_value_lines(self, relic: Any, quantities: Sequence[str]) -> list[tuple[str, str]]:
        """The value now of each quantity at the sensor that stands for the relic (the one its
        alerts, risk, range and chart use: :func:`simulation.scene_alerts.representative_sensor`)."""
        lines = []
        for qn in dict.fromkeys(quantities):
            sensor = representative_sensor(self.scene, relic, qn)
            if sensor is None:
                lines.append((QUANTITIES[qn].label(self.lang), t("no_sensor", self.lang)))
            else:
                lines += self._value_lines([sensor], [qn])
        return lines

    def _value_lines(self, sensors: Sequence[Any], quantities: Sequence[str]) -> list[tuple[str, str]]:
        lines = []
        shown = self.shown_readings()
        for s in sensors:
            for qn in dict.fromkeys(quantities):
                if qn not in s.quantities:
                    continue
                q = QUANTITIES[qn]
                r = shown.get((s.id, qn))
                if r is None:
                    text = t("no_data", self.lang)
                else:
                    text = q.format(float(r["value"])) if isinstance(r.get("value"), (int, float)) else "—"
                    if r.get("stale"):
                        text += f" ({t('stale_tag', self.lang)})"
                    elif not reading_ok(r):
                        text += f" ({t('flagged_tag', self.lang)})"
                lines.append((f"{q.label(self.lang)} · {s.id}", text))
        return lines

    # --- output -----------------------------------------------------------------

    def render_frame(self) -> None:
        """Bring everything up to date and render (twice, so buffers settle)."""
        if self._dirty:
            self.refresh()
        self.rig.apply()
        self._scale_labels()
        self._place_labels()
        self.base.graphicsEngine.renderFrame()
        self.base.graphicsEngine.renderFrame()

    def screenshot(self) -> PNMImage:
        """The current frame as an image (row 0 at the top)."""
        self.render_frame()
        return grab_frame(self.base)

    def save_png(self, path: str | Path) -> Path:
        """Render the current state and write it to ``path`` (PNG)."""
        return write_png(self.screenshot(), path)


@functools.lru_cache(maxsize=64)
def legend_data(quantity: str, lang: str, method: str = "") -> hud.LegendData:
    """The legend of ``quantity`` in ``lang``: bar colours, ticks in units, swatches, and the line
    ``method`` naming the field model."""
    q = QUANTITIES[quantity]
    scale = colormap.scale_for(quantity)
    samples = colormap.ramp(scale.palette, np.linspace(0.0, 1.0, LEGEND_SAMPLES))
    ticks = [((v - scale.low) / (scale.high - scale.low), f"{v:.{max(0, q.precision - 1) if abs(scale.high) >= 10 else q.precision}f}")
             for v in scale.ticks()]
    notes = [(colormap.NO_DATA, t("stale", lang), True), (colormap.NO_DATA, t("uncertain", lang), False)]
    return hud.LegendData(
        title=f"{q.label(lang)} ({q.unit})",
        colours=[tuple(float(c) for c in rgb) for rgb in samples],
        ticks=ticks,
        notes=notes,
        method=method,
    )


def outline_box(lo: Point3, hi: Point3, margin: float) -> Any:
    """A yellow wire box around ``lo``..``hi`` (m) grown by ``margin`` (m): the selection mark."""
    segs = LineSegs("selection-box")
    segs.setColor(1.0, 0.85, 0.1, 1.0)
    segs.setThickness(2.5)
    x0, y0, z0 = lo[0] - margin, lo[1] - margin, max(0.0, lo[2] - margin)
    x1, y1, z1 = hi[0] + margin, hi[1] + margin, hi[2] + margin
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
    for z in (z0, z1):
        segs.moveTo(x0, y0, z)
        for x, y in corners[1:]:
            segs.drawTo(x, y, z)
    for x, y in corners[:4]:
        segs.moveTo(x, y, z0)
        segs.drawTo(x, y, z1)
    return segs.create()


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (naive = UTC), or None."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def value_label(
    parent: NodePath, name: str, font: Any | None, scale: float, pos: Point3, card_alpha: float = 0.7
) -> TextNode:
    """A billboard text on a dark card above a sensor or relic, seen through walls; returns its TextNode."""
    node = TextNode(name)
    node.setAlign(TextNode.ACenter)
    node.setTextColor(1, 1, 1, 1)
    node.setCardColor(0.05, 0.05, 0.07, card_alpha)
    node.setCardAsMargin(0.15, 0.15, 0.05, 0.05)
    node.setCardDecal(True)
    if font is not None:
        node.setFont(font)
    label = parent.attachNewNode(node)
    label.setPos(pos)
    label.setScale(scale)
    label.setBillboardPointEye()
    label.setLightOff(1)
    label.setDepthTest(False)
    label.setDepthWrite(False)
    label.setBin("fixed", 40)
    return node


def make_badge(parent: NodePath, tier: str, count: int, font: Any | None = None) -> NodePath:
    """A billboard disc-like badge in the tier's colour with "!" or the count, seen through walls."""
    badge = parent.attachNewNode("badge")
    rgb = hud.TIER_COLOURS.get(tier, (0.6, 0.6, 0.6))
    cm = CardMaker("badge-card")
    cm.setFrame(-0.28, 0.28, -0.28, 0.28)
    card = badge.attachNewNode(cm.generate())
    card.setColor(*rgb, 1)
    ring = CardMaker("badge-ring")
    ring.setFrame(-BADGE_HALF_M, BADGE_HALF_M, -BADGE_HALF_M, BADGE_HALF_M)
    back = badge.attachNewNode(ring.generate())
    back.setColor(1, 1, 1, 1)
    back.setBin("fixed", 50)
    card.setBin("fixed", 51)
    text = TextNode("badge-text")
    text.setText("!" if count == 1 else str(count))
    text.setAlign(TextNode.ACenter)
    text.setTextColor(0.05, 0.05, 0.05, 1)
    if font is not None:
        text.setFont(font)
    label = badge.attachNewNode(text)
    label.setScale(0.4)
    label.setPos(0, 0, -0.14)
    label.setBin("fixed", 52)
    badge.setBillboardPointEye()
    badge.setLightOff(1)
    badge.setDepthTest(False)
    badge.setDepthWrite(False)
    badge.setTransparency(TransparencyAttrib.MNone)
    return badge


def _default_font(base: Any) -> Any | None:
    """The project's CJK font when ``twin_engine.fonts`` provides one, else Panda3D's default."""
    try:
        from twin_engine import fonts
    except ImportError:
        return None
    for name in ("load_font", "cjk_font", "font"):
        fn = getattr(fonts, name, None)
        if callable(fn):
            try:
                return fn(base.loader)
            except TypeError:
                return fn()
            except (OSError, RuntimeError):
                return None
    return None
