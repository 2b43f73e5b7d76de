"""The overlays' view data: what a screen hands its 2-D widgets (plain dataclasses, tier colours).

The staff monitor's widgets that draw them are in ``monitor_hud.py`` (laid out with
``layout.py``); the what-if player's in ``whatif_hud.py``. Nothing here imports from
``bridge/`` or ``simulation/``, or draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RGB = tuple[float, float, float]

TIER_COLOURS: dict[str, RGB] = {"red": (0.90, 0.16, 0.14), "yellow": (0.98, 0.78, 0.12)}


@dataclass(frozen=True)
class LegendData:
    """title : e.g. "Temperature (°C)"; colours : colour-bar samples, low to high;
    ticks : (position 0..1 along the bar, label); notes : (swatch RGB, text, hatched);
    method : the field model the floor is drawn with, under the title ('' for none)."""

    title: str
    colours: Sequence[RGB]
    ticks: Sequence[tuple[float, str]]
    notes: Sequence[tuple[RGB, str, bool]] = ()
    method: str = ""


@dataclass(frozen=True)
class AlertRow:
    """One line of the alert list."""

    id: str
    tier: str
    text: str
    acknowledged: bool = False


@dataclass(frozen=True)
class Series:
    """A time series for the panel chart: ``times`` in hours relative to now
    (negative = past), ``values``, optional band ``low``/``high`` (same length)."""

    times: Sequence[float]
    values: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None


@dataclass(frozen=True)
class PanelData:
    """The selection panel: title, subtitle, (label, value) lines, and an
    optional chart of history and forecast with the profile's limits."""

    title: str
    subtitle: str = ""
    lines: Sequence[tuple[str, str]] = ()
    history: Series | None = None
    forecast: Series | None = None
    limits: tuple[float, float] | None = None
    chart_title: str = ""
    empty_chart_text: str = ""


@dataclass(frozen=True)
class ReplayData:
    """The replay bar: ``hours`` back from now the slider shows (0 = live),
    ``span_h`` hours it spans, ``label`` the time shown, ``live`` whether live."""

    hours: float
    span_h: float
    label: str
    live: bool
