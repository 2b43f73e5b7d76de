"""An orbit camera with smooth transitions: target, heading, pitch, distance.

The rig keeps a *goal* view and eases the shown view towards it each frame
(exponential smoothing with time constant ``tau_s``), so presets, zooms and
keyboard orbits glide instead of jumping. ``snap()`` jumps at once (tests,
screenshots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from panda3d.core import NodePath, Point3


@dataclass(frozen=True)
class View:
    """Where the camera looks: ``target`` (x, y, z) m, ``heading`` deg (0 = from
    the south looking north, 90 = from the west looking east), ``pitch`` deg (negative = looking down), ``distance`` m."""

    target: tuple[float, float, float]
    heading: float
    pitch: float
    distance: float

    def eye(self) -> Point3:
        """Camera position, m, hall frame."""
        h, p = math.radians(self.heading), math.radians(self.pitch)
        ground = math.cos(p) * self.distance  # horizontal distance; forward = (sin h, cos h)
        x = self.target[0] - math.sin(h) * ground
        y = self.target[1] - math.cos(h) * ground
        z = self.target[2] - math.sin(p) * self.distance
        return Point3(x, y, z)


def lerp_view(a: View, b: View, f: float) -> View:
    """``a`` moved the fraction ``f`` (0..1) of the way to ``b``; heading takes the short way."""
    dh = (b.heading - a.heading + 180.0) % 360.0 - 180.0
    return View(
        target=tuple(x + (y - x) * f for x, y in zip(a.target, b.target, strict=True)),  # type: ignore[arg-type]
        heading=a.heading + dh * f,
        pitch=a.pitch + (b.pitch - a.pitch) * f,
        distance=a.distance * (b.distance / a.distance) ** f,
    )


class CameraRig:
    """Drives ``camera`` (a NodePath) towards a goal view."""

    MIN_PITCH, MAX_PITCH = -89.0, -5.0
    MIN_DISTANCE, MAX_DISTANCE = 1.0, 80.0

    def __init__(self, camera: NodePath, view: View, tau_s: float = 0.25):
        self.camera = camera
        self.view = view
        self.goal = view
        self.tau_s = tau_s
        self.apply()

    def go(self, view: View) -> None:
        """Glide to ``view``."""
        self.goal = replace(view, pitch=min(self.MAX_PITCH, max(self.MIN_PITCH, view.pitch)),
                            distance=min(self.MAX_DISTANCE, max(self.MIN_DISTANCE, view.distance)))

    def snap(self) -> None:
        """Jump to the goal now."""
        self.view = self.goal
        self.apply()

    def orbit(self, d_heading: float, d_pitch: float) -> None:
        g = self.goal
        self.go(replace(g, heading=g.heading + d_heading, pitch=g.pitch + d_pitch))

    def zoom(self, factor: float) -> None:
        self.go(replace(self.goal, distance=self.goal.distance * factor))

    def pan(self, right_m: float, forward_m: float) -> None:
        """Move the target along the ground, relative to the view direction."""
        g = self.goal
        h = math.radians(g.heading)
        dx = math.cos(h) * right_m + math.sin(h) * forward_m
        dy = -math.sin(h) * right_m + math.cos(h) * forward_m
        self.go(replace(g, target=(g.target[0] + dx, g.target[1] + dy, g.target[2])))

    def update(self, dt: float) -> None:
        """Ease towards the goal by one frame of ``dt`` seconds."""
        if self.view == self.goal:
            return
        f = 1.0 - math.exp(-max(dt, 0.0) / self.tau_s)
        self.view = lerp_view(self.view, self.goal, f)
        if abs(self.view.distance - self.goal.distance) < 1e-3 and abs(self.view.heading - self.goal.heading) < 1e-2:
            self.view = self.goal
        self.apply()

    def apply(self) -> None:
        self.camera.setPos(self.view.eye())
        self.camera.lookAt(Point3(*self.view.target))
