"""Colour maps and legend ranges per quantity.

``colours(quantity, values)`` turns an array of values in the quantity's
unit into RGB in [0, 1]; NaN (no data) becomes :data:`NO_DATA` grey.

The anchor colours are sampled from matplotlib's ``viridis`` (sequential,
perceptually uniform, readable by colour-blind viewers; van der Walt and
Smith 2015, CC0) and ``coolwarm`` (diverging, Moreland 2009, "Diverging
Color Maps for Scientific Visualization", ISVC) and interpolated linearly.

The legend ranges are display choices, not limits: each spans the values a
museum hall plausibly shows so that the interesting band (the usual targets
of ASHRAE Handbook - HVAC Applications 2019, ch. 24, "Museums, Galleries,
Archives and Libraries": 15-25 °C, 35-65 %RH; CIE 157:2004 for light; the
pollutant levels of Tétreault 2003, CCI) sits mid-scale. Material limits
come from the profiles, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

NO_DATA = (0.55, 0.55, 0.57)
"""Grey for cells and markers without a fresh value."""
NO_DATA_DARK = (0.40, 0.40, 0.42)
"""The darker stripe of the hatching over a stale sensor's area."""

VIRIDIS = np.array([
    (0.267, 0.005, 0.329), (0.283, 0.141, 0.458), (0.254, 0.265, 0.530), (0.207, 0.372, 0.553),
    (0.164, 0.471, 0.558), (0.128, 0.567, 0.551), (0.135, 0.659, 0.518), (0.267, 0.749, 0.441),
    (0.478, 0.821, 0.318), (0.741, 0.873, 0.150), (0.993, 0.906, 0.144),
])
COOLWARM = np.array([
    (0.230, 0.299, 0.754), (0.341, 0.444, 0.867), (0.472, 0.584, 0.948), (0.607, 0.707, 0.992),
    (0.737, 0.803, 0.993), (0.866, 0.865, 0.865), (0.950, 0.788, 0.700), (0.969, 0.676, 0.552),
    (0.938, 0.537, 0.414), (0.859, 0.374, 0.292), (0.706, 0.016, 0.150),
])
# Humidity: dry (brown) to wet (blue), BrBG-like (ColorBrewer, Brewer 2003, Apache-2.0).
DRY_WET = np.array([
    (0.549, 0.318, 0.039), (0.749, 0.506, 0.176), (0.875, 0.761, 0.490), (0.965, 0.910, 0.765),
    (0.780, 0.918, 0.898), (0.502, 0.804, 0.757), (0.208, 0.592, 0.561), (0.004, 0.400, 0.369),
])


@dataclass(frozen=True)
class Scale:
    """A quantity's legend: ``low``..``high`` in its unit, a palette, tick step."""

    low: float
    high: float
    palette: str = "viridis"
    step: float = 0.0  # 0: five evenly spaced ticks

    def ticks(self) -> list[float]:
        """Tick values for the legend, low and high included."""
        if self.step > 0:
            n = int(round((self.high - self.low) / self.step))
            return [self.low + i * self.step for i in range(n + 1)]
        return list(np.linspace(self.low, self.high, 5))


SCALES: dict[str, Scale] = {
    "temperature": Scale(10.0, 30.0, "coolwarm", 5.0),
    "relative_humidity": Scale(20.0, 80.0, "dry_wet", 10.0),
    "illuminance": Scale(0.0, 500.0, "viridis", 100.0),
    "uv": Scale(0.0, 150.0, "viridis", 25.0),
    "colour_temperature": Scale(2000.0, 6500.0, "coolwarm_r", 1500.0),
    "co2": Scale(400.0, 2000.0, "viridis", 400.0),
    "so2": Scale(0.0, 50.0, "viridis", 10.0),
    "nox": Scale(0.0, 100.0, "viridis", 25.0),
    "pm2_5": Scale(0.0, 75.0, "viridis", 15.0),
    "pm10": Scale(0.0, 150.0, "viridis", 30.0),
    "voc": Scale(0.0, 1000.0, "viridis", 250.0),
    "vibration": Scale(0.0, 0.5, "viridis", 0.1),
    "tilt": Scale(-2.0, 2.0, "coolwarm", 1.0),
    "strain": Scale(-500.0, 500.0, "coolwarm", 250.0),
}


def scale_for(quantity: str) -> Scale:
    """The legend of ``quantity`` (a plain 0..1 viridis for unknown names)."""
    return SCALES.get(quantity, Scale(0.0, 1.0))


def palette(name: str) -> NDArray[np.float64]:
    """(n, 3) anchor colours of a palette; a ``_r`` suffix reverses it."""
    base = {"viridis": VIRIDIS, "coolwarm": COOLWARM, "dry_wet": DRY_WET}[name.removesuffix("_r")]
    return base[::-1] if name.endswith("_r") else base


def normalise(quantity: str, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Values mapped onto 0..1 over the quantity's legend, clipped; NaN stays NaN."""
    s = scale_for(quantity)
    return np.clip((np.asarray(values, dtype=float) - s.low) / (s.high - s.low), 0.0, 1.0)


def ramp(name: str, t: NDArray[np.float64]) -> NDArray[np.float64]:
    """RGB (..., 3) in [0, 1] of palette ``name`` at positions ``t`` (...) in [0, 1]."""
    anchors = palette(name)
    pos = np.nan_to_num(np.asarray(t, dtype=float)) * (len(anchors) - 1)
    i = np.clip(np.floor(pos).astype(int), 0, len(anchors) - 2)
    f = (pos - i)[..., None]
    return anchors[i] * (1.0 - f) + anchors[i + 1] * f


LUT_SIZE = 1024
"""Entries of the colour tables :func:`colours` looks up (steps of 1/1023 of the legend)."""
_LUTS: dict[str, NDArray[np.float32]] = {}


def lut(name: str) -> NDArray[np.float32]:
    """(LUT_SIZE, 3) colour table of palette ``name``; cached."""
    if name not in _LUTS:
        _LUTS[name] = ramp(name, np.linspace(0.0, 1.0, LUT_SIZE)).astype(np.float32)
    return _LUTS[name]


def colours(quantity: str, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """RGB (..., 3) float32 in [0, 1] for ``values`` (...) in the quantity's unit; NaN -> grey."""
    t = normalise(quantity, values)
    nan = np.isnan(t)
    idx = np.where(nan, 0.0, t * (LUT_SIZE - 1) + 0.5).astype(np.intp)
    rgb = lut(scale_for(quantity).palette)[idx]
    rgb[nan] = NO_DATA
    return rgb


def colour(quantity: str, value: float | None) -> tuple[float, float, float]:
    """One RGB for one value (None or NaN -> grey)."""
    if value is None:
        return NO_DATA
    r, g, b = colours(quantity, np.array([value]))[0]
    return float(r), float(g), float(b)
