"""The quantity table: the 13 indicators of the system's Table 1, in one place.

Every layer (decoders, governance, storage, models, display) reads the
canonical name, unit, physical range and display precision of a quantity
from :data:`QUANTITIES` and from nowhere else.

The physical range is the range a working sensor can report at all; a
value outside it is physically impossible (or a broken sensor) and is
quarantined, not merely flagged. Conservation limits are *not* here: they
belong to material profiles (``scenes/materials.toml``).

Units follow SI or the conservation field's convention:

- temperature in °C, relative humidity in %RH (Magnus/WMO convention);
- illuminance in lx; UV as the UV content of light in µW/lm (CIE 157:2004);
- colour temperature (correlated) in K;
- CO2 in ppm; SO2, NOx, PM2.5, PM10 and TVOC in µg/m³ (Tétreault 2003,
  "Airborne Pollutants in Museums, Galleries and Archives", CCI, gives
  limits in µg/m³);
- vibration as peak acceleration in m/s² (Table 1 names "vibration
  acceleration"; cheap MEMS accelerometers report it);
- tilt in degrees; strain in microstrain (µε).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Quantity:
    """One measured indicator.

    name : canonical key used everywhere (``"relative_humidity"``)
    unit : canonical unit symbol (``"%RH"``)
    low, high : physical range a working sensor can report, in ``unit``
    precision : decimals shown to a user
    zh, en : display names
    category : Table 1 category (``climate``, ``light``, ``air``, ``mechanical``)
    """

    name: str
    unit: str
    low: float
    high: float
    precision: int
    zh: str
    en: str
    category: str

    def label(self, lang: str = "en") -> str:
        """Display name in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang.startswith("zh") else self.en

    def contains(self, value: float) -> bool:
        """True when ``value`` lies in the physical range (inclusive)."""
        return self.low <= value <= self.high

    def format(self, value: float) -> str:
        """``value`` rounded to the display precision, with its unit."""
        return f"{value:.{self.precision}f} {self.unit}"


_TABLE = (
    # name, unit, low, high, precision, zh, en, category
    ("temperature", "°C", -40.0, 85.0, 1, "温度", "Temperature", "climate"),
    ("relative_humidity", "%RH", 0.0, 100.0, 1, "相对湿度", "Relative humidity", "climate"),
    ("illuminance", "lx", 0.0, 200_000.0, 0, "照度", "Illuminance", "light"),
    ("uv", "µW/lm", 0.0, 10_000.0, 0, "紫外线", "UV", "light"),
    ("colour_temperature", "K", 1_000.0, 25_000.0, 0, "色温", "Colour temperature", "light"),
    ("co2", "ppm", 0.0, 40_000.0, 0, "二氧化碳", "CO₂", "air"),
    ("so2", "µg/m³", 0.0, 50_000.0, 1, "二氧化硫", "SO₂", "air"),
    ("nox", "µg/m³", 0.0, 50_000.0, 1, "氮氧化物", "NOₓ", "air"),
    ("pm2_5", "µg/m³", 0.0, 2_000.0, 0, "PM2.5", "PM2.5", "air"),
    ("pm10", "µg/m³", 0.0, 2_000.0, 0, "PM10", "PM10", "air"),
    ("voc", "µg/m³", 0.0, 100_000.0, 0, "挥发性有机物", "VOCs", "air"),
    ("vibration", "m/s²", 0.0, 160.0, 3, "振动加速度", "Vibration acceleration", "mechanical"),
    ("tilt", "°", -90.0, 90.0, 2, "倾角", "Tilt angle", "mechanical"),
    ("strain", "µε", -10_000.0, 10_000.0, 0, "微应变", "Microstrain", "mechanical"),
)

QUANTITIES: Mapping[str, Quantity] = MappingProxyType(
    {row[0]: Quantity(*row) for row in _TABLE}
)
"""Canonical name -> :class:`Quantity`, in Table 1 order."""

NAMES: tuple[str, ...] = tuple(QUANTITIES)


def get(name: str) -> Quantity:
    """The quantity called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return QUANTITIES[name]
    except KeyError:
        raise KeyError(f"unknown quantity {name!r}; known: {', '.join(NAMES)}") from None
