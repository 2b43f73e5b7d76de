"""Column headers -> (quantity, unit): ``"Temperature (C)"``, ``"T/°C"``, ``"...(%RH)"``.

A header names its quantity by keyword and its unit in trailing
parentheses or after a slash. Columns that describe settings rather than
measurements (setpoints, alarm bands, cumulative doses, row numbers) map to
nothing, even when their unit is a measurement unit (miniClima's
``set/%`` is a humidity *setpoint*, not a humidity).
"""

from __future__ import annotations

import re

from bridge.sensors import units
from simulation.quantities import QUANTITIES

# Keywords (lower case, matched as substrings of the name part) -> quantity.
# Checked in order: "colour temperature" must win over "temperature",
# "dew point" must map to nothing (a derived temperature, not the air's).
KEYWORDS: tuple[tuple[str, str | None], ...] = (
    ("dew", None),
    ("colour temp", "colour_temperature"),
    ("color temp", "colour_temperature"),
    ("cct", "colour_temperature"),
    ("temp", "temperature"),
    ("humid", "relative_humidity"),
    ("illumin", "illuminance"),
    ("lux", "illuminance"),
    ("light", "illuminance"),
    ("uv", "uv"),
    ("co2", "co2"),
    ("co₂", "co2"),
    ("carbon dioxide", "co2"),
    ("so2", "so2"),
    ("nox", "nox"),
    ("pm2.5", "pm2_5"),
    ("pm2_5", "pm2_5"),
    ("pm25", "pm2_5"),
    ("pm10", "pm10"),
    ("voc", "voc"),
    ("vibration", "vibration"),
    ("accel", "vibration"),
    ("tilt", "tilt"),
    ("strain", "strain"),
)

# Whole-name tokens that name a quantity on their own.
TOKENS: dict[str, str] = {"t": "temperature", "rh": "relative_humidity", "e": "illuminance"}

# Words that mark a column as a setting or a derived total, never a measurement.
NOT_MEASURED = ("set", "alarm", "limit", "threshold", "cumulative", "min", "max", "diff", "no.")

_TRAILING_PARENS = re.compile(r"^(.*?)\s*[(\[]([^()\[\]]*(?:\([^()]*\))?[^()\[\]]*)[)\]]\s*$")


def clean_unit(unit: str) -> str:
    """Unit text as written, repaired: a mangled degree sign (U+FFFD, from a
    Latin-1 0xB0 once decoded as UTF-8) becomes ``°``; ``RH(%)`` becomes ``%RH``."""
    u = unit.strip().replace("\ufffd", "°")
    return "%RH" if u.replace(" ", "").lower() in ("rh(%)", "%r.h.", "%rh") else u


def is_unit_of(quantity: str, unit: str) -> bool:
    """True when ``unit`` converts to the canonical unit of ``quantity``."""
    u = clean_unit(unit)
    if quantity == "uv" and units.is_irradiance(u):
        return True
    try:
        units.to_canonical(quantity, 1.0, u)
    except KeyError:
        return False
    return True


def quantity_for_unit(unit: str) -> str | None:
    """The one quantity whose units include ``unit``; ``None`` when none or several."""
    found = [q for q in QUANTITIES if is_unit_of(q, unit)]
    return found[0] if len(found) == 1 else None


def is_known_unit(unit: str) -> bool:
    """True when ``unit`` is a unit of some quantity."""
    return bool(unit.strip()) and any(is_unit_of(q, unit) for q in QUANTITIES)


def split_header(header: str) -> tuple[str, str | None]:
    """Name part and unit part of a column header.

    ``"Temperature (C)"`` -> ``("Temperature", "C")``;
    ``"Humidity (RH(%))"`` -> ``("Humidity", "RH(%)")``; ``"T/°C"`` -> ``("T", "°C")``.
    """
    h = header.strip().strip('"').strip()
    m = _TRAILING_PARENS.match(h)
    if m and is_known_unit(m.group(2)):
        return m.group(1).strip(), clean_unit(m.group(2))
    if "/" in h:
        name, _, unit = h.rpartition("/")
        if is_known_unit(unit):
            return name.strip(), clean_unit(unit)
    return h, None


def quantity_for_name(name: str) -> str | None:
    """Quantity a column name refers to, or ``None`` (unknown or a setting)."""
    n = name.strip().lower()
    if n in TOKENS:
        return TOKENS[n]
    words = re.split(r"[\s_\[\]()/.-]+", n)
    if any(w in NOT_MEASURED or w.startswith(("setpoint", "alarm")) for w in words):
        return None
    for key, quantity in KEYWORDS:
        if key in n:
            return quantity
    return None


def parse_header(header: str) -> tuple[str | None, str | None]:
    """(quantity, unit as written) of one column header; ``(None, None)`` if not a measurement.

    When the name is empty or says nothing, a unit that belongs to one
    quantity only decides (``"(%RH)"`` -> relative humidity).
    """
    name, unit = split_header(header)
    quantity = quantity_for_name(name)
    if quantity is None and unit is not None and not name.strip():
        quantity = quantity_for_unit(unit)
    if quantity is None:
        return None, None
    if unit is not None and not is_unit_of(quantity, unit):
        return quantity, None
    return quantity, unit
