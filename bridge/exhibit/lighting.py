"""The viewer's lighting: a small studio environment baked into each relic page.

model-viewer lights a model from an environment map. Without one it builds its
"neutral" room itself: a 256-px cube rendered and blurred on the GPU, then
prefiltered again for the material. On a phone's GPU that is quick; in software
WebGL (SwiftShader, as in the tests and on machines without a GPU) it is most of
the time to the first frame: 9–25 s measured here (benchmarks/exhibit.py), against
about 1–3 s with the map below, whose 64 x 32 pixels prefilter at a 16-px cube.

The map is an equirectangular studio in grey (8-bit PNG, a data URI, because a
browser refuses a ``file://`` image to WebGL): a ceiling brighter than the floor,
a key light at the viewer's upper right and a fill behind the left shoulder, the
arrangement of model-viewer's own neutral room (three area lights over a grey
floor, ``EnvironmentScene('neutral')`` in its source). Eight bits cannot hold the
room's bright lights, so :data:`EXPOSURE` lifts the result back to its brightness
(set by comparing screenshots of the laurana bust and the ding under both).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

ENV_WIDTH_PX, ENV_HEIGHT_PX = 64, 32
EXPOSURE = 1.2
"""model-viewer's ``exposure`` with this map (1.0 with its own neutral room)."""
SHADOW_INTENSITY = 0.6
"""The soft floor shadow, added after the first frame (its depth pass and blur would delay it)."""


@dataclass(frozen=True)
class Light:
    """A soft round light on the environment sphere: direction (radians), angular radius, added brightness."""

    azimuth: float  # around the vertical axis, 0 towards the viewer's front, + to the right
    elevation: float  # above the horizon
    radius: float
    gain: float


STUDIO = (Light(0.6, 0.6, 0.5, 0.6), Light(-2.4, 0.4, 0.6, 0.3))
"""Key light (front right, high) and fill (behind left, lower)."""
CEILING, FLOOR = 1.0, 0.55
"""Brightness straight up and straight down; in between it follows the sine of the elevation."""


def studio_environment(width: int = ENV_WIDTH_PX, height: int = ENV_HEIGHT_PX,
                       lights: tuple[Light, ...] = STUDIO) -> NDArray[np.uint8]:
    """(height, width, 3) uint8 equirectangular map: row 0 is straight up, column 0 is azimuth -pi."""
    elevation = (0.5 - (np.arange(height) + 0.5) / height) * np.pi
    azimuth = ((np.arange(width) + 0.5) / width - 0.5) * 2 * np.pi
    az, el = np.meshgrid(azimuth, elevation)
    light = FLOOR + (CEILING - FLOOR) * (np.sin(el) + 1) / 2
    for s in lights:
        cos_angle = np.sin(el) * np.sin(s.elevation) + np.cos(el) * np.cos(s.elevation) * np.cos(az - s.azimuth)
        light = light + s.gain * np.exp(-(np.arccos(np.clip(cos_angle, -1, 1)) / s.radius) ** 2)
    grey = np.round(np.clip(light, 0, 1) * 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


@lru_cache(maxsize=1)
def environment_data_uri() -> str:
    """The studio map as a ``data:image/png;base64,…`` URI (about 1 kB) for ``environment-image``."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(studio_environment()).save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
