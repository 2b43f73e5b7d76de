"""Inactivity timer of the kiosk: active -> warning with a countdown -> back to the attract loop.

Times are seconds of an injected monotonic clock. Any touch during the
warning dismisses it. The countdown is at least 20 s so a visitor who
stepped back to read a label can return (issue 9).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_COUNTDOWN_S = 20.0


@dataclass(frozen=True)
class IdleSettings:
    """idle_s: quiet time before the warning; countdown_s: warning length (>= 20 s)."""

    idle_s: float = 90.0
    countdown_s: float = 25.0

    def __post_init__(self) -> None:
        if self.countdown_s < MIN_COUNTDOWN_S:
            raise ValueError(f"countdown_s must be at least {MIN_COUNTDOWN_S} s, got {self.countdown_s}")


class IdleTimer:
    """Tracks the last touch; :meth:`state` says ``active``, ``warning`` or ``expired``."""

    def __init__(self, settings: IdleSettings, now: float):
        self.settings = settings
        self.last_touch = now

    def touch(self, now: float) -> None:
        self.last_touch = now

    def quiet_s(self, now: float) -> float:
        return max(0.0, now - self.last_touch)

    def state(self, now: float) -> str:
        q = self.quiet_s(now)
        if q < self.settings.idle_s:
            return "active"
        if q < self.settings.idle_s + self.settings.countdown_s:
            return "warning"
        return "expired"

    def seconds_left(self, now: float) -> int:
        """Whole seconds of the countdown still to run (shown in the warning)."""
        left = self.settings.idle_s + self.settings.countdown_s - self.quiet_s(now)
        return max(0, int(left + 0.999))
