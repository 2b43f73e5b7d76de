"""The window a full-screen program opens: the display's own resolution, or a window that fits it.

A kiosk is 1366x768, 1920x1080, 4K or portrait; asking X11 for a full-screen
mode the display does not have fails ("no supported display resolutions at
1920 x 1080") and leaves a window of another size. So full screen always asks
for the display's own size, and a window is made no larger than the display
and placed inside it. The screens lay themselves out for whatever size they
get (``layout.py``), so a request that still falls back stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_WINDOW = (1280, 720)
"""A window's size when none is asked for."""
HEADLESS_SIZE = (1920, 1080)
"""Frames rendered offscreen when no size is asked for."""
WINDOW_SHARE = 0.9
"""A window larger than the display is shrunk (keeping its aspect) to this share of the display."""
CONNECT_TRIES = 6
CONNECT_BACKOFF_S = 0.1
"""An X server with no client left resets itself (Xvfb, a bare ``xinit`` kiosk session) and refuses
connections until it is back (tens of ms, more on a loaded machine): the first connection is tried
this often, this long apart, doubling (3.1 s in all), where ``DISPLAY`` names an X display."""


@dataclass(frozen=True)
class WindowPlan:
    """What to ask the window system for: size (px), top-left origin (px, None: let it choose), full screen."""

    size: tuple[int, int]
    origin: tuple[int, int] | None
    fullscreen: bool


def connect_display(tries: int = CONNECT_TRIES, backoff_s: float = CONNECT_BACKOFF_S) -> Any:
    """Panda3D's default graphics pipe: a connection to the display, tried again while the display
    refuses it (an X server resetting after its last client left); the last pipe tried (invalid
    when it never answered) or None when there is no pipe at all."""
    import os
    import time

    from panda3d.core import GraphicsPipeSelection

    pipe = None
    for k in range(max(1, tries) if os.environ.get("DISPLAY") else 1):
        pipe = GraphicsPipeSelection.getGlobalPtr().makeDefaultPipe()
        if pipe is None or pipe.isValid():
            return pipe
        if k < tries - 1:
            time.sleep(backoff_s * 2**k)
    return pipe


def open_window(requested: tuple[int, int] | None, fullscreen: bool, title: str) -> tuple[Any, WindowPlan]:
    """A ShowBase with an on-screen window planned by :func:`window_plan` for this display.

    The connection that read the display's size stays open until the window is: were it closed first,
    an X server with no other client would reset in between and refuse the window ("Could not open
    window"; tests/test_kiosk_window.py on a loaded machine)."""
    from twin_engine.app import make_base

    pipe = connect_display()
    plan = window_plan(display_size(pipe), requested, fullscreen)
    base = make_base(offscreen=False, size=plan.size, title=title)
    open_plan(base, plan)
    del pipe  # the window's own connection keeps the server up from here
    return base, plan


def display_size(pipe: Any = None) -> tuple[int, int] | None:
    """The display's resolution (px) as Panda3D's default graphics pipe reports it; None when unknown."""
    if pipe is None:
        pipe = connect_display()
    if pipe is None or not pipe.isValid():
        return None
    w, h = int(pipe.getDisplayWidth()), int(pipe.getDisplayHeight())
    return (w, h) if w > 0 and h > 0 else None


def window_plan(display: tuple[int, int] | None, requested: tuple[int, int] | None, fullscreen: bool) -> WindowPlan:
    """The window to open on ``display`` (None: unknown) for a ``requested`` size (None: none asked for).

    Full screen takes the display's own size (the requested one only when the display is unknown);
    a window takes the requested size (default :data:`DEFAULT_WINDOW`), shrunk to fit the display
    and centred on it."""
    if fullscreen:
        return WindowPlan(display or requested or HEADLESS_SIZE, (0, 0) if display else None, True)
    w, h = requested or DEFAULT_WINDOW
    if display is None:
        return WindowPlan((w, h), None, False)
    dw, dh = display
    k = min(1.0, dw * WINDOW_SHARE / w, dh * WINDOW_SHARE / h) if (w > dw or h > dh) else 1.0
    w, h = max(1, int(w * k)), max(1, int(h * k))
    return WindowPlan((w, h), ((dw - w) // 2, (dh - h) // 2), False)


def parse_size(text: str) -> tuple[int, int]:
    """``"1366x768"`` -> (1366, 768); ValueError for anything else (or a side under 200 px)."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2:
        raise ValueError(text)
    w, h = (int(v) for v in parts)
    if w < 200 or h < 200 or w > 16384 or h > 16384:
        raise ValueError(text)
    return w, h


def open_plan(base: Any, plan: WindowPlan) -> None:
    """Ask ``base``'s window for ``plan`` (after it opened at ``plan.size``): full screen and origin."""
    from panda3d.core import WindowProperties

    if base.win is None or base.windowType != "onscreen":
        return
    props = WindowProperties()
    if plan.fullscreen:
        props.setFullscreen(True)
        props.setSize(*plan.size)
    if plan.origin is not None:
        props.setOrigin(*plan.origin)
    props.setCursorHidden(False)
    base.win.requestProperties(props)
