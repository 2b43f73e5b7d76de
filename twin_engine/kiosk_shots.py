"""Every kiosk screen at one window size, driven offscreen: for the layout tests and the screenshots.

:func:`kiosk_states` walks a :class:`KioskScreen` through attract, gallery,
viewer, a note, a tour stop and the idle warning, yielding after each so the
caller can read the text bounds (``layout.text_bounds``) or save a frame.
:func:`resize_offscreen` turns the one offscreen buffer of a process into a
window of another size (Panda3D allows one ShowBase per process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SCREEN_SIZES: tuple[tuple[int, int], ...] = ((1280, 720), (1366, 768), (1920, 1080), (3840, 2160), (1080, 1920))
"""The kiosk sizes museums have: HD, the common 1366x768 panel, full HD, 4K and full HD portrait."""


def resize_offscreen(base: Any, size: tuple[int, int]) -> None:
    """Make ``base``'s offscreen buffer ``size`` px and the 2-D corners follow its aspect."""
    base.win.setSize(int(size[0]), int(size[1]))
    base.adjustWindowAspectRatio(size[0] / size[1])


def kiosk_states(screen: Any, clock: Callable[[], float], advance: Callable[[float], None],
                 tour_relic: str = "ding", note_relic: str = "vase") -> Iterator[str]:
    """Drive ``screen`` (entered) through each state, yielding its name while it is shown.

    ``advance(seconds)`` moves the screen's injected clock forward."""
    from twin_engine.kiosk import FLY_S

    screen.show_attract()
    screen.tick()
    yield "attract"
    screen.show_gallery()
    screen.tick()
    yield "gallery"
    screen.select_relic(note_relic)
    screen.tick()
    yield "viewer"
    screen.open_annotation(0)
    advance(FLY_S + 0.1)
    screen.tick()
    yield "note"
    screen.select_relic(tour_relic)
    screen.start_tour()
    advance(FLY_S + 0.1)
    screen.tick()
    yield "tour"
    screen.touring = False
    screen.selected = None
    screen._draw_static()
    advance(screen.idle.settings.idle_s + 1.0)
    screen.tick()
    yield "idle_warning"
    screen.idle.touch(clock())
    screen.tick()


def save_frame(base: Any, path: Path, width: int = 640) -> Path:
    """Render ``base`` and write a PNG ``width`` px wide (kept small for the repository)."""
    from panda3d.core import PNMImage

    from twin_engine.app import grab_frame, write_png

    base.graphicsEngine.renderFrame()
    base.graphicsEngine.renderFrame()
    full = grab_frame(base)
    small = PNMImage(width, max(1, round(full.getYSize() * width / full.getXSize())))
    small.gaussianFilterFrom(1.0, full)
    return write_png(small, path)
