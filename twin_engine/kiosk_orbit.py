"""The kiosk's orbit camera as plain numbers: yaw, pitch, distance around a target.

Limits keep the relic on screen: the distance stays between a near and a
far multiple of the relic's size, the pitch between slightly below the
horizon and nearly overhead. A saved annotation view (eye, target) maps to
the same state, so "fly to a hotspot" is an interpolation of states.
Angles are degrees; yaw 0 looks along +y (the relic's front faces -y).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class OrbitLimits:
    """Bounds of the orbit; distances in multiples of the relic's radius ``size`` (m)."""

    size: float
    near: float = 1.2
    far: float = 6.0
    pitch_min: float = -15.0
    pitch_max: float = 80.0
    degrees_per_px: float = 0.3  # a 1200 px swipe turns the relic once


@dataclass(frozen=True)
class Orbit:
    """Camera at ``distance`` m from ``target`` (3,) m, turned by yaw/pitch (degrees)."""

    target: tuple[float, float, float]
    yaw: float
    pitch: float
    distance: float

    def eye(self) -> NDArray[np.float64]:
        """Camera position (3,) m."""
        y, p = math.radians(self.yaw), math.radians(self.pitch)
        d = np.array([math.sin(y) * math.cos(p), -math.cos(y) * math.cos(p), math.sin(p)])
        return np.asarray(self.target) + self.distance * d


def home(target: tuple[float, float, float], limits: OrbitLimits) -> Orbit:
    """The reset view: in front of the relic, a little above, the whole relic in frame
    (with the kiosk's 40 degree vertical field of view, 3.4 radii leaves a margin of about 25 %)."""
    return Orbit(target, yaw=0.0, pitch=12.0, distance=limits.size * 3.4)


def clamp(o: Orbit, limits: OrbitLimits) -> Orbit:
    """``o`` with pitch and distance pulled inside ``limits``; yaw wrapped to (-180, 180]."""
    yaw = (o.yaw + 180.0) % 360.0 - 180.0
    pitch = min(max(o.pitch, limits.pitch_min), limits.pitch_max)
    dist = min(max(o.distance, limits.near * limits.size), limits.far * limits.size)
    return replace(o, yaw=yaw, pitch=pitch, distance=dist)


def drag(o: Orbit, dx_px: float, dy_px: float, limits: OrbitLimits) -> Orbit:
    """Turn by a finger/mouse drag of (dx, dy) px; dragging right turns the relic right."""
    k = limits.degrees_per_px
    return clamp(replace(o, yaw=o.yaw - dx_px * k, pitch=o.pitch + dy_px * k), limits)


def zoom(o: Orbit, factor: float, limits: OrbitLimits) -> Orbit:
    """Pinch or scroll: ``factor`` > 1 comes closer (distance / factor)."""
    return clamp(replace(o, distance=o.distance / max(factor, 1e-3)), limits)


MIN_PINCH_PX = 20.0
"""Two touches closer than this (px) are too close to measure a spread from: no zoom."""

Point = tuple[float, float]


def pinch_factor(before: Sequence[Point], after: Sequence[Point]) -> float:
    """Zoom factor of a two-finger pinch between two frames: the ratio of the fingers' spread.

    ``before`` and ``after`` are the touch points (x, y) px of the previous and
    this frame, the same fingers in the same order. Fingers moving apart give
    a factor > 1 (come closer), together < 1. Fewer than two touches in either
    frame, or a spread under :data:`MIN_PINCH_PX`, gives 1 (no zoom).
    """
    if len(before) < 2 or len(after) < 2:
        return 1.0
    d0 = math.dist(before[0], before[1])
    d1 = math.dist(after[0], after[1])
    if d0 < MIN_PINCH_PX or d1 < MIN_PINCH_PX:
        return 1.0
    return d1 / d0


def pinch(o: Orbit, before: Sequence[Point], after: Sequence[Point], limits: OrbitLimits) -> Orbit:
    """``o`` zoomed by the pinch from ``before`` to ``after`` (see :func:`pinch_factor`), within limits."""
    f = pinch_factor(before, after)
    return o if f == 1.0 else zoom(o, f, limits)


def from_view(eye: NDArray[np.float64], target: NDArray[np.float64], limits: OrbitLimits) -> Orbit:
    """The orbit state looking from ``eye`` at ``target`` (both (3,) m), within limits."""
    d = np.asarray(eye, float) - np.asarray(target, float)
    dist = float(np.linalg.norm(d)) or limits.size * 2.8
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, d[2] / dist))))
    yaw = math.degrees(math.atan2(d[0], -d[1]))
    t = tuple(float(v) for v in target)
    return clamp(Orbit((t[0], t[1], t[2]), yaw, pitch, dist), limits)


def lerp(a: Orbit, b: Orbit, f: float) -> Orbit:
    """State a fraction ``f`` in [0, 1] of the way from ``a`` to ``b`` (shortest yaw, eased)."""
    f = min(max(f, 0.0), 1.0)
    e = f * f * (3 - 2 * f)
    dyaw = (b.yaw - a.yaw + 180.0) % 360.0 - 180.0
    ta, tb = np.asarray(a.target), np.asarray(b.target)
    t = ta + (tb - ta) * e
    return Orbit((float(t[0]), float(t[1]), float(t[2])), a.yaw + dyaw * e, a.pitch + (b.pitch - a.pitch) * e,
                 a.distance + (b.distance - a.distance) * e)
