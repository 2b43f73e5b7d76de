"""Hotspot visibility and picking as functions over arrays.

A hotspot is anchored by a surface point and its outward normal. Its
marker fades as the surface turns away from the camera and cannot be
picked once it faces away, so a visitor never opens a note about the far
side of the relic through the relic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

TOUCH_TARGET_PX = 44.0
"""Smallest touch target (Apple HIG and WCAG 2.5.5 "Target Size": 44 x 44 CSS px)."""

FADE_START = 0.35  # cos of the angle between normal and view ray where fading starts (~70 deg)
PICKABLE_ALPHA = 0.25  # markers fainter than this are drawn but do not take taps


def facing(positions: NDArray[np.float64], normals: NDArray[np.float64], eye: NDArray[np.float64]) -> NDArray[np.float64]:
    """cos of the angle between each normal and the direction to the eye, (n,) in [-1, 1].

    positions, normals : (n, 3) in the same frame as ``eye`` (3,).
    """
    to_eye = np.asarray(eye, float)[None, :] - np.asarray(positions, float)
    to_eye /= np.maximum(np.linalg.norm(to_eye, axis=1, keepdims=True), 1e-12)
    n = np.asarray(normals, float)
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return np.einsum("ij,ij->i", n, to_eye)


def marker_alpha(cos_facing: NDArray[np.float64]) -> NDArray[np.float64]:
    """Marker opacity (n,): 1 when facing the camera, 0 from edge-on onwards."""
    return np.clip(np.asarray(cos_facing, float) / FADE_START, 0.0, 1.0)


def pick(tap_px: tuple[float, float], screen_px: NDArray[np.float64], alpha: NDArray[np.float64],
         radius_px: float = TOUCH_TARGET_PX / 2) -> int | None:
    """Index of the pickable hotspot nearest a tap within ``radius_px``, or None.

    screen_px : (n, 2) projected marker centres in pixels (NaN where behind the camera).
    """
    if len(screen_px) == 0:
        return None
    d = np.hypot(screen_px[:, 0] - tap_px[0], screen_px[:, 1] - tap_px[1])
    d = np.where(np.isfinite(d) & (np.asarray(alpha) >= PICKABLE_ALPHA), d, np.inf)
    i = int(np.argmin(d))
    return i if d[i] <= radius_px else None
