"""Screen-space placement of the hall's 3-D labels: no two overlap, none under the overlay.

The monitor's sensor values and machine states are billboards above their things. Seen from the
overview, a long machine label can cross a sensor's value. :func:`place` takes each label's
projected anchor and its drawn size in window pixels, in priority order, and gives each the first
offset from a short list of candidates (where it belongs, then stacked above, then beside) at
which it overlaps no label placed before it, no box of the overlay and stays in the window; a
label with no free place is left out (``None``) and its thing still shows its colour. The monitor
moves each billboard by its offset in the camera's plane and draws a leader line from the thing
to a label that moved (``monitor.MonitorScreen._place_labels``).

Pure: plain numbers and :class:`twin_engine.layout.Rect`, no Panda3D.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twin_engine.layout import Rect

__all__ = ["LabelBox", "candidates", "place"]

GAP_PX = 3.0
"""Clear pixels kept between two labels (display choice)."""
MAX_SHIFT_ROWS = 3
"""How many label heights a label may climb above its thing before it is left out."""


@dataclass(frozen=True)
class LabelBox:
    """One label: ``key``, and its drawn rectangle (window px) where it belongs."""

    key: str
    rect: Rect


def candidates(rect: Rect, gap: float = GAP_PX) -> list[tuple[float, float]]:
    """Offsets (dx, dy) px to try, nearest first: in place, stacked above (up to
    :data:`MAX_SHIFT_ROWS` rows), then beside on either side at the first two heights. Never below:
    a label there would cover its own thing."""
    step = rect.h + gap
    rows = [-k * step for k in range(MAX_SHIFT_ROWS + 1)]
    side = rect.w / 2 + gap
    out = [(0.0, dy) for dy in rows]
    out += [(dx, dy) for dy in rows[:2] for dx in (side, -side)]
    return out


def _free(r: Rect, taken: Sequence[Rect], window: Rect, gap: float) -> bool:
    if r.x < window.x or r.y < window.y or r.right > window.right or r.bottom > window.bottom:
        return False
    grown = Rect(r.x - gap / 2, r.y - gap / 2, r.w + gap, r.h + gap)
    return all(grown.intersection(o) <= 0.0 for o in taken)


def place(labels: Sequence[LabelBox], obstacles: Sequence[Rect], window: Rect,
          gap: float = GAP_PX) -> dict[str, tuple[float, float] | None]:
    """Greedy placement in the given (priority) order: key -> offset (dx, dy) px from where the label
    belongs, or None when no candidate is free."""
    taken: list[Rect] = list(obstacles)
    out: dict[str, tuple[float, float] | None] = {}
    for label in labels:
        out[label.key] = None
        for dx, dy in candidates(label.rect, gap):
            r = Rect(label.rect.x + dx, label.rect.y + dy, label.rect.w, label.rect.h)
            if _free(r, taken, window, gap):
                out[label.key] = (dx, dy)
                taken.append(r)
                break
    return out
