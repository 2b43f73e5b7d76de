"""The one offscreen Panda3D app of a test session (Panda3D allows one ShowBase per process)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@pytest.fixture(scope="session")
def engine_base() -> Iterator[object]:
    """An offscreen ShowBase of 640 x 360 pixels, shared by every engine test."""
    from twin_engine.app import make_base

    base = make_base(offscreen=True, size=(640, 360))
    yield base
    base.destroy()


@contextmanager
def fixed_frame_clock(base, fps: float = 30.0) -> Iterator[float]:  # noqa: ANN001 - a ShowBase
    """Within the block every ``taskMgr.step()`` is one frame of exactly ``1 / fps`` seconds.

    The real frame clock counts the wall time since the last frame, which in a test includes
    fixture set-up and, on a loaded machine, seconds of waiting for the CPU: a test that asserts
    what a frame does must not depend on how long the machine took. Yields the frame's seconds.
    """
    from panda3d.core import ClockObject

    clock = base.clock
    mode = clock.getMode()
    clock.setMode(ClockObject.MForced)
    clock.setFrameRate(fps)
    try:
        yield 1.0 / fps
    finally:
        clock.setMode(mode)
