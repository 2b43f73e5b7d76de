"""Unit aliases seen on the wire, and their conversion to canonical units.

The canonical unit of each quantity is the one in :mod:`simulation.quantities`
(named there and nowhere else). This module only knows how the units devices
*send* map onto it: ``canonical = value * scale + offset``.

Sources of the constants:

- °F and K to °C: ISO 80000-5:2019 (t/°C = T/K - 273.15; t/°F = 9/5 t/°C + 32).
- 1 foot-candle = 10.763 910 lx: NIST SP 811 (2008), appendix B.9.
- standard gravity g_n = 9.806 65 m/s²: 3rd CGPM (1901), NIST SP 811.
- ppb -> µg/m³: ideal gas, µg/m³ = ppb × M / V_m with V_m = 24.45 L/mol at
  25 °C and 1013.25 hPa (US EPA, "Air quality conversion", 40 CFR 50 reference
  conditions; WHO air quality guidelines 2021 use the same 25 °C convention).
  Molar masses (IUPAC 2021 standard atomic weights): SO2 64.066, NO2 46.006 g/mol;
  NOx is expressed as NO2 (EU Directive 2008/50/EC, art. 2(23)).
  TVOC in ppb uses the Mølhave indoor reference mixture, mean M = 110 g/mol
  (Mølhave et al. 1997, Indoor Air 7:225; Sensirion SGP30 application note
  "TVOC ppb to µg/m³": 1 ppb ≈ 4.5 µg/m³).
- UV content (µW/lm) = UV irradiance (µW/m²) / illuminance (lm/m²): CIE 157:2004;
  an irradiance alone cannot be converted, see :func:`uv_content`.
- SenML unit names: RFC 8428 §12.1 (``Cel``, ``%RH``, ``lx``, ``K``, ``m/s2``,
  ``deg``, ``/``) and RFC 8798 (``ppm``, ``ug/m3``, ``hPa``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from simulation.quantities import QUANTITIES

STANDARD_GRAVITY = 9.80665  # m/s², 3rd CGPM 1901
MOLAR_VOLUME_25C = 24.45  # L/mol at 25 °C, 1013.25 hPa (US EPA convention)
STANDARD_PRESSURE_HPA = 1013.25
MOLAR_MASS = MappingProxyType({"so2": 64.066, "nox": 46.006, "voc": 110.0})  # g/mol, see above
_PPB_TO_UGM3 = {q: m / MOLAR_VOLUME_25C for q, m in MOLAR_MASS.items()}

# quantity -> {normalised alias: (scale, offset)}; aliases are compared after _norm().
_ALIASES: dict[str, dict[str, tuple[float, float]]] = {
    "temperature": {
        "°c": (1, 0), "c": (1, 0), "degc": (1, 0), "cel": (1, 0), "celsius": (1, 0),
        "°f": (5 / 9, -160 / 9), "f": (5 / 9, -160 / 9), "degf": (5 / 9, -160 / 9),
        "fahrenheit": (5 / 9, -160 / 9),
        "k": (1, -273.15), "kelvin": (1, -273.15),
    },
    "relative_humidity": {
        "%rh": (1, 0), "%": (1, 0), "rh": (1, 0), "percent": (1, 0), "/": (100, 0),
    },
    "illuminance": {
        "lx": (1, 0), "lux": (1, 0), "klx": (1000, 0), "fc": (10.76391, 0),
        "footcandle": (10.76391, 0),
    },
    "uv": {"µw/lm": (1, 0), "uw/lm": (1, 0), "mw/lm": (1000, 0)},
    "colour_temperature": {"k": (1, 0), "kelvin": (1, 0)},
    "co2": {"ppm": (1, 0), "ppmv": (1, 0), "ppb": (0.001, 0)},
    "so2": {},
    "nox": {},
    "pm2_5": {},
    "pm10": {},
    "voc": {},
    "vibration": {
        "m/s2": (1, 0), "mm/s2": (0.001, 0), "g": (STANDARD_GRAVITY, 0),
        "mg": (STANDARD_GRAVITY / 1000, 0),
    },
    "tilt": {"°": (1, 0), "deg": (1, 0), "degree": (1, 0), "degrees": (1, 0),
             "rad": (57.29577951308232, 0)},
    "strain": {"µε": (1, 0), "ue": (1, 0), "µstrain": (1, 0), "ustrain": (1, 0),
               "microstrain": (1, 0), "ε": (1e6, 0), "strain": (1e6, 0)},
}
for _q in ("so2", "nox", "pm2_5", "pm10", "voc"):
    _ALIASES[_q].update({"µg/m3": (1, 0), "ug/m3": (1, 0), "mg/m3": (1000, 0)})
for _q, _k in _PPB_TO_UGM3.items():
    _ALIASES[_q].update({"ppb": (_k, 0), "ppm": (_k * 1000, 0)})

# UV irradiance units -> factor to µW/m² (needs illuminance to become µW/lm).
IRRADIANCE_TO_UW_M2: Mapping[str, float] = MappingProxyType({
    "mw/cm2": 1e7, "µw/cm2": 1e4, "uw/cm2": 1e4, "w/m2": 1e6, "mw/m2": 1e3, "µw/m2": 1.0,
    "uw/m2": 1.0,
})


def _norm(unit: str) -> str:
    """Lower-case, no spaces, micro sign for Greek mu, plain digits for superscripts."""
    u = unit.strip().lower().replace(" ", "")
    for a, b in (("μ", "µ"), ("³", "3"), ("²", "2"), ("^", ""), ("**", ""), ("º", "°"),
                 ("˚", "°"), ("℃", "°c"), ("℉", "°f")):
        u = u.replace(a, b)
    return u


# the canonical symbol itself is always accepted
for _q, _quantity in QUANTITIES.items():
    _ALIASES[_q].setdefault(_norm(_quantity.unit), (1, 0))
ALIASES: Mapping[str, Mapping[str, tuple[float, float]]] = MappingProxyType(
    {q: MappingProxyType(a) for q, a in _ALIASES.items()}
)


def known_units(quantity: str) -> tuple[str, ...]:
    """Normalised unit aliases accepted for ``quantity``."""
    extra = tuple(IRRADIANCE_TO_UW_M2) if quantity == "uv" else ()
    return tuple(ALIASES[quantity]) + extra


def is_irradiance(unit: str) -> bool:
    """True when ``unit`` is a UV irradiance (W/m², mW/cm², ...), not a UV content."""
    return _norm(unit) in IRRADIANCE_TO_UW_M2


def to_canonical(quantity: str, value: float, unit: str | None) -> float:
    """``value`` in ``unit`` converted to the canonical unit of ``quantity``.

    ``unit`` None or '' means the value is already canonical.
    Raises ``KeyError`` for a unit not known for the quantity.
    """
    if not unit:
        return value
    scale, offset = ALIASES[quantity][_norm(unit)]
    return value * scale + offset


def from_canonical(quantity: str, value: float, unit: str) -> float:
    """Inverse of :func:`to_canonical`: canonical ``value`` expressed in ``unit``."""
    scale, offset = ALIASES[quantity][_norm(unit)]
    return (value - offset) / scale


def uv_content(irradiance: float, unit: str, illuminance_lx: float) -> float:
    """UV content in µW/lm from a UV irradiance and the illuminance measured with it.

    irradiance : UV irradiance in ``unit`` (mW/cm², W/m², µW/cm², ...)
    illuminance_lx : illuminance in lx (lm/m²), > 0
    CIE 157:2004: UV content = E_UV / E_v.
    """
    return irradiance * IRRADIANCE_TO_UW_M2[_norm(unit)] / illuminance_lx


def ppb_to_ugm3(ppb: float, molar_mass: float, temperature_c: float = 25.0,
                pressure_hpa: float = STANDARD_PRESSURE_HPA) -> float:
    """Gas mixing ratio in ppb to mass concentration in µg/m³ (ideal gas).

    molar_mass : g/mol; temperature_c : °C; pressure_hpa : hPa.
    At 25 °C, 1013.25 hPa the molar volume is 24.45 L/mol (R = 8.314 462 J/(mol K), CODATA 2018).
    """
    molar_volume = 8.314462618 * (temperature_c + 273.15) / (pressure_hpa * 100.0) * 1000.0
    return ppb * molar_mass / molar_volume
