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

# Every header alias in one table: (alias, how it matches, quantity or None, unit it implies, source).
# "name": the whole column name (unit part removed, lower case) is the alias; "part": the alias
# occurs in the name. Checked in order, so "colour temperature" wins over "temperature" and
# "dew point" maps to nothing (a derived temperature, not the air's). A unit implied by the alias
# is used when the header gives none (a header that is only "°C" is a temperature in °C).
ALIASES: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("t", "name", "temperature", None, "Trend BMS exports (tests/data/loggers)"),
    ("temp", "name", "temperature", None, "anonymous-library-archive sample_data.csv (temp)"),
    ("celsius", "name", "temperature", "°C", "Lascar EasyLog export: Celsius(°C)"),
    ("fahrenheit", "name", "temperature", "°F", "Lascar EasyLog export: Fahrenheit(°F)"),
    ("°c", "name", "temperature", "°C", "issue 21 (a header that is only a unit)"),
    ("degc", "name", "temperature", "°C", "issue 21"),
    ("°f", "name", "temperature", "°F", "issue 21"),
    ("rh", "name", "relative_humidity", None, "anonymous-library-archive sample_data.csv (RH)"),
    ("relh", "name", "relative_humidity", None, "issue 21 (RelH in a real room record)"),
    ("rel h", "name", "relative_humidity", None, "issue 21"),
    ("rel hum", "name", "relative_humidity", None, "issue 21"),
    ("hum", "name", "relative_humidity", None, "issue 21"),
    ("%rh", "name", "relative_humidity", "%RH", "issue 21 (a header that is only a unit)"),
    ("rh%", "name", "relative_humidity", "%RH", "issue 21"),
    ("e", "name", "illuminance", None, "EN 12464-1 symbol for illuminance"),
    ("lx", "name", "illuminance", "lx", "issue 21"),
    ("lux", "name", "illuminance", "lx", "anonymous-library-archive sample_data.csv (lux)"),
    ("uv", "name", "uv", None, "anonymous-library-archive sample_data.csv (UV)"),
    ("ppm", "name", "co2", "ppm", "issue 21 (a header that is only a unit)"),
    ("lights", "name", None, None, "Candanedo house: energy used by the lights, Wh (not illuminance)"),
    ("dew", "part", None, None, "Lascar EasyLog export: Dew Point(°C); Candanedo Tdewpoint"),
    ("ratio", "part", None, None, "uci-occupancy HumidityRatio (kg/kg, derived from T and RH)"),
    ("absolute", "part", None, None, "EasyLog export: Absolute Humidity(g/m^3)"),
    ("mixing", "part", None, None, "mixing ratio (g/kg), not a relative humidity"),
    ("colour temp", "part", "colour_temperature", None, "Meaco light loggers"),
    ("color temp", "part", "colour_temperature", None, "US spelling"),
    ("cct", "part", "colour_temperature", None, "correlated colour temperature (CIE 15)"),
    ("temp", "part", "temperature", None, "uci-occupancy Temperature; Temperature_C"),
    ("humid", "part", "relative_humidity", None, "uci-occupancy Humidity; EasyLog Humidity(%rh)"),
    ("illumin", "part", "illuminance", None, "T&D exports (Illuminance)"),
    ("lux", "part", "illuminance", None, "Meaco light loggers"),
    ("light", "part", "illuminance", None, "uci-occupancy Light"),
    ("uv", "part", "uv", None, "T&D, Meaco UV columns"),
    ("co2", "part", "co2", None, "uci-occupancy CO2"),
    ("co₂", "part", "co2", None, "subscript spelling"),
    ("carbon dioxide", "part", "co2", None, "spelled out"),
    ("so2", "part", "so2", None, "pollutant loggers"),
    ("nox", "part", "nox", None, "pollutant loggers"),
    ("pm2.5", "part", "pm2_5", None, "particle counters"),
    ("pm2_5", "part", "pm2_5", None, "particle counters"),
    ("pm25", "part", "pm2_5", None, "particle counters"),
    ("pm10", "part", "pm10", None, "particle counters"),
    ("voc", "part", "voc", None, "air-quality sensors (TVOC)"),
    ("vibration", "part", "vibration", None, "vibration loggers"),
    ("accel", "part", "vibration", None, "accelerometers"),
    ("tilt", "part", "tilt", None, "tilt meters"),
    ("strain", "part", "strain", None, "strain gauges"),
    ("温度", "part", "temperature", None, "Chinese logger software (温度)"),
    ("湿度", "part", "relative_humidity", None, "Chinese logger software (湿度)"),
    ("照度", "part", "illuminance", None, "Chinese logger software (照度)"),
    ("紫外", "part", "uv", None, "Chinese logger software (紫外)"),
)

# Words that mark a column as a setting or a derived total, never a measurement.
NOT_MEASURED = ("set", "alarm", "limit", "threshold", "cumulative", "min", "max", "diff", "no.")

# A unit written after the name with "_" or a space ("Temperature_C", "Humidity pct", "Light lux").
_SUFFIX = re.compile(r"^(.*?[^_\s])[_\s]+([^_\s]+)$")
_SUFFIX_UNITS = {"pct": "%", "percent": "%", "degc": "°C", "degf": "°F"}

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


def _alias(name: str) -> tuple[str | None, str | None] | None:
    """(quantity, implied unit) of a column name by :data:`ALIASES`; None when nothing matches."""
    n = " ".join(name.strip().lower().replace("_", " ").split())
    for alias, how, quantity, unit, _source in ALIASES:
        if how == "name" and n == alias:
            return quantity, unit
    words = re.split(r"[\s_\[\]()/.-]+", n)
    if any(w in NOT_MEASURED or w.startswith(("setpoint", "alarm")) for w in words):
        return None, None
    for alias, how, quantity, unit, _source in ALIASES:
        if how == "part" and alias in n:
            return quantity, unit
    return None


def quantity_for_name(name: str) -> str | None:
    """Quantity a column name refers to, or ``None`` (unknown or a setting)."""
    found = _alias(name)
    return found[0] if found else None


def parse_header(header: str) -> tuple[str | None, str | None]:
    """(quantity, unit as written) of one column header; ``(None, None)`` if not a measurement.

    When the name is empty or says nothing, a unit that belongs to one
    quantity only decides (``"(%RH)"`` -> relative humidity). A unit may
    also follow the name after ``_`` or a space (``Temperature_C``); with
    no unit at all, the one the alias implies (``°C``, ``%RH``) or None.
    """
    name, unit = split_header(header)
    m = _SUFFIX.match(name.strip()) if unit is None else None
    if m:
        suffix = _SUFFIX_UNITS.get(m.group(2).lower(), m.group(2))
        head = _alias(m.group(1))
        if head and head[0] and is_unit_of(head[0], suffix):
            return head[0], clean_unit(suffix)
    found = _alias(name)
    if found is None and unit is not None and not name.strip():
        q = quantity_for_unit(unit)
        found = (q, None) if q else None
    if found is None or found[0] is None:
        return None, None
    quantity: str = found[0]
    implied = found[1]
    if unit is None:
        return quantity, implied
    if not is_unit_of(quantity, unit):
        return quantity, None
    return quantity, unit
