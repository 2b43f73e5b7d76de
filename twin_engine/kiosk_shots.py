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


DOC_SHOTS = (("gallery", "zh-CN"), ("note", "en"), ("tour", "zh-CN"))
"""The kiosk screens kept in docs/screenshots for each size (state, language)."""


def save_kiosk_shots(base: Any, scene: Any, out: Path, sizes: tuple[tuple[int, int], ...] = SCREEN_SIZES,
                     shots: tuple[tuple[str, str], ...] = DOC_SHOTS) -> list[Path]:
    """Write ``kiosk_<W>x<H>_<state>_<lang>.png`` for each size and shot into ``out``; returns the paths."""
    from twin_engine.kiosk import KioskScreen

    t = [1000.0]

    def advance(s: float) -> None:
        t[0] += s

    written = []
    for size in sizes:
        resize_offscreen(base, size)
        for lang in sorted({lang for _, lang in shots}):
            screen = KioskScreen(base, scene, lang=lang, clock=lambda: t[0])
            screen.enter()
            try:
                for state in kiosk_states(screen, lambda: t[0], advance):
                    if (state, lang) in shots:
                        name = f"kiosk_{size[0]}x{size[1]}_{state}_{lang.split('-')[0]}.png"
                        written.append(save_frame(base, out / name, 640 if size[0] >= size[1] else 360))
            finally:
                screen.exit()
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m twin_engine.kiosk_shots [OUT]``: the kiosk at every size into OUT (docs/screenshots)."""
    import sys

    from simulation.paths import scenes_dir
    from simulation.scene import load_scene
    from twin_engine.app import make_base

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/screenshots")
    base = make_base(offscreen=True, size=SCREEN_SIZES[0])
    for path in save_kiosk_shots(base, load_scene(scenes_dir() / "demo_hall"), out):
        print(path)
    base.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
