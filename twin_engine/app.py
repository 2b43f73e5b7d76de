"""The thin Panda3D shell: make a ShowBase, run one per-frame task, switch screens.

A screen is an object with ``enter()``, ``exit()``, ``update(dt)`` and
``act(action)`` that owns its node roots (``monitor.MonitorScreen`` is one).
:class:`TwinApp` binds the screen's key table (``keys.py``) to ``act`` and
calls ``update`` once per frame; nothing else lives here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from direct.showbase.ShowBase import ShowBase
from panda3d.core import Filename, PNMImage, WindowProperties, loadPrcFileData


class Screen(Protocol):
    keys: Mapping[str, str]

    def enter(self) -> None: ...

    def exit(self) -> None: ...

    def update(self, dt: float) -> None: ...

    def act(self, action: str) -> None: ...


def make_base(offscreen: bool = False, size: tuple[int, int] = (1280, 720), title: str = "relic-twin",
              software: bool = False, multisample: bool | None = None) -> ShowBase:
    """A ShowBase with a window (or, ``offscreen``, an offscreen buffer) of ``size`` pixels.

    Offscreen uses EGL headless GL (Mesa llvmpipe on a machine without a GPU)
    and falls back to Panda3D's software renderer. ``software`` asks Mesa
    for llvmpipe even where a GPU exists (for comparable benchmarks).
    ``multisample`` (4x anti-aliasing) defaults to on, off with ``software``
    (it roughly halves llvmpipe's frame rate).
    Only one ShowBase can live in a process.
    """
    lines = [
        f"win-size {size[0]} {size[1]}",
        f"window-title {title}",
        "audio-library-name null",
        "sync-video false",
        "print-pipe-types false",  # ShowBase lists every graphics pipe on start: noise to a user
        "notify-level-device fatal",
        "notify-level-egldisplay error",
        "model-cache-dir",
        "textures-power-2 none",
    ]
    if multisample is None:
        multisample = not software
    lines += ["framebuffer-multisample true", "multisamples 4"] if multisample else ["framebuffer-multisample false"]
    if offscreen:
        lines += ["window-type offscreen", "load-display p3headlessgl", "aux-display p3tinydisplay"]
    if software:
        os.environ.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")
    loadPrcFileData("relic-twin", "\n".join(lines))
    try:
        base = ShowBase(windowType="offscreen" if offscreen else None)
    except Exception as exc:  # Panda3D raises a bare Exception("Could not open window.")
        from bridge.errors import ConfigError

        where = "offscreen (OpenGL/EGL)" if offscreen else f"a window (DISPLAY={os.environ.get('DISPLAY', '')!r})"
        raise ConfigError(f"could not open {where}: {exc} | 无法打开窗口或离屏渲染; without a display use --headless "
                          "where the command has it / 无显示器时请使用 --headless") from exc
    base.disableMouse()
    base.setBackgroundColor(0.13, 0.14, 0.16, 1)
    return base


class TwinApp:
    """Runs one screen at a time inside ``base``."""

    def __init__(self, base: ShowBase):
        self.base = base
        self.screen: Screen | None = None
        self._bound: list[str] = []
        base.taskMgr.add(self._frame, "relic-twin-frame")

    def show(self, screen: Screen) -> None:
        """Leave the current screen (it cleans up) and enter ``screen``."""
        if self.screen is not None:
            self.screen.exit()
        for event in self._bound:
            self.base.ignore(event)
        self._bound = []
        self.screen = screen
        screen.enter()
        for event, action in screen.keys.items():
            self.base.accept(event, self._act, [action])
            self._bound.append(event)

    def _act(self, action: str) -> None:
        if action == "toggle_fullscreen":
            toggle_fullscreen(self.base)
        elif self.screen is not None:
            self.screen.act(action)

    def _frame(self, task):  # noqa: ANN001 - Panda3D task
        if self.screen is not None:
            self.screen.update(self.base.clock.getDt())
        return task.cont

    def close(self) -> None:
        """Leave the current screen and stop the frame task (the base lives on)."""
        if self.screen is not None:
            self.screen.exit()
            self.screen = None
        for event in self._bound:
            self.base.ignore(event)
        self._bound = []
        self.base.taskMgr.remove("relic-twin-frame")

    def run(self) -> None:
        self.base.run()


def attach_feed(base: ShowBase, screen: Any, drain: Callable[[], Iterable[Mapping[str, Any]]],
                name: str = "relic-twin-feed") -> str:
    """Each frame, hand the messages ``drain()`` returns (live-feed dicts) to
    ``screen.apply``; returns the task's name (``base.taskMgr.remove`` it to stop)."""

    def pump(task: Any) -> Any:
        for msg in drain():
            screen.apply(msg)
        return task.cont

    base.taskMgr.add(pump, name, sort=-10)
    return name


def run_monitor(scene: Any, drain: Callable[[], Iterable[Mapping[str, Any]]], lang: str = "en",
                size: tuple[int, int] = (1280, 720), fullscreen: bool = False,
                on_acknowledge: Callable[[str], None] | None = None,
                on_replay_request: Callable[[str], None] | None = None) -> int:
    """Open a window with the live monitor of ``scene`` fed by ``drain`` and run
    until it is closed (for ``relic-twin monitor`` and the interactive demo).

    on_acknowledge(alert_id) / on_replay_request(iso_time): the service hooks;
    a replay answer goes back through ``screen.show_state_at``.
    """
    from twin_engine.monitor import MonitorScreen

    base = make_base(offscreen=False, size=size, title="relic-twin monitor")
    screen = MonitorScreen(base, scene, lang=lang)
    screen.on_acknowledge = on_acknowledge
    screen.on_replay_request = on_replay_request
    screen.on_quit = base.userExit  # Esc twice
    app = TwinApp(base)
    app.show(screen)
    attach_feed(base, screen, drain)
    if fullscreen:
        toggle_fullscreen(base)
    app.run()
    return 0


def run_frames(base: ShowBase, tick: Callable[[float], None], save: Callable[[Path], None], headless: bool,
               seconds: float | None, every: float, out: Path, name: str,
               before_last: Callable[[], None] | None = None) -> int:
    """The frame loop of the monitors: ``tick(now)`` each frame (now: ``time.monotonic()``).

    In a window it runs until closed, or for ``seconds``. Headless it runs for ``seconds`` (or for ever),
    saving ``out/frame_NNNN.png`` every ``every`` seconds (the first after at most 3 s), then calls
    ``before_last`` and saves ``out/last.png``.
    """
    started = time.monotonic()
    state = {"next_frame": started + min(every, 3.0), "frames": 0}
    if headless:
        out.mkdir(parents=True, exist_ok=True)
        print(f"writing frames to 帧输出至 {out.resolve()}")

    def pump(task: Any) -> Any:
        now = time.monotonic()
        tick(now)
        if headless and now >= state["next_frame"]:
            save(out / f"frame_{state['frames']:04d}.png")
            state["frames"] += 1
            state["next_frame"] = now + every
        if seconds is not None and now - started >= seconds and not headless:
            base.userExit()
        return task.cont

    base.taskMgr.add(pump, name)
    if not headless:
        base.run()
        return 0
    while seconds is None or time.monotonic() - started < seconds:
        base.taskMgr.step()
        time.sleep(0.02)
    if before_last is not None:
        before_last()
    save(out / "last.png")
    print(f"  {out / 'last.png'}")
    return 0


def grab_frame(base: ShowBase) -> PNMImage:
    """The window's last rendered frame as an image (row 0 at the top)."""
    image = PNMImage()
    if not base.win.getScreenshot(image):
        raise RuntimeError("could not read back the frame")
    return image


def write_png(image: PNMImage, path: str | Path) -> Path:
    """Write ``image`` to ``path`` (PNG), making its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.write(Filename.fromOsSpecific(str(path))):
        raise OSError(f"could not write {path}")
    return path


def toggle_fullscreen(base: ShowBase) -> None:
    """Switch a real window between windowed and full screen (no-op offscreen)."""
    win = base.win
    if win is None or not hasattr(win, "getProperties") or base.windowType != "onscreen":
        return
    props = WindowProperties()
    props.setFullscreen(not win.getProperties().getFullscreen())
    win.requestProperties(props)
