"""The one offscreen Panda3D app of a test session (Panda3D allows one ShowBase per process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def engine_base() -> Iterator[object]:
    """An offscreen ShowBase of 640 x 360 pixels, shared by every engine test."""
    from twin_engine.app import make_base

    base = make_base(offscreen=True, size=(640, 360))
    yield base
    base.destroy()
