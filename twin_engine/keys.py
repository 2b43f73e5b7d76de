"""Keys and mouse buttons -> named actions, one table per screen.

Screens act on the names (``MonitorScreen.act("next_quantity")``); the app
binds the keys. Change a binding here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping

CAMERA_KEYS: Mapping[str, str] = {
    "0": "view_overview",
    "1": "view_zone_1",
    "2": "view_zone_2",
    "3": "view_zone_3",
    "4": "view_zone_4",
    "arrow_left": "orbit_left",
    "arrow_right": "orbit_right",
    "arrow_up": "orbit_up",
    "arrow_down": "orbit_down",
    "=": "zoom_in",
    "+": "zoom_in",
    "-": "zoom_out",
    "wheel_up": "zoom_in",
    "wheel_down": "zoom_out",
}
"""Views and camera moves, the same on every screen over the hall."""

MONITOR_KEYS: Mapping[str, str] = {
    "q": "next_quantity",
    "e": "previous_quantity",
    "t": "show_temperature",
    "h": "show_humidity",
    **CAMERA_KEYS,
    "l": "toggle_language",
    "a": "acknowledge_top",
    "p": "apply_advice",
    "o": "hold_machines",
    "f": "toggle_fullscreen",
    "[": "replay_back",
    "]": "replay_forward",
    "j": "replay_alert",
    "end": "show_live",
    "escape": "back",
    "wheel_up": "wheel_up",  # over the alert list: scroll it; elsewhere: zoom
    "wheel_down": "wheel_down",
    "page_down": "alerts_down",
    "page_up": "alerts_up",
    "mouse1": "select_or_orbit_start",
    "mouse1-up": "orbit_end",
    "mouse3": "pan_start",
    "mouse3-up": "pan_end",
    "mouse2": "pan_start",
    "mouse2-up": "pan_end",
}
"""The staff monitor's bindings (Panda3D event names)."""

APP_KEYS: Mapping[str, str] = {
    "f": "toggle_fullscreen",
}
"""Bindings the app shell handles itself."""

SITE_KEYS: Mapping[str, str] = {
    "tab": "next_hall",
    "shift-tab": "previous_hall",
    "home": "site_overview",
    "l": "toggle_language",
    "f": "toggle_fullscreen",
    "mouse1": "select_or_orbit_start",
}
"""The site overview's bindings, and the hall switcher's over a hall's monitor (``site_overview.py``)."""
