"""The reactive humidistat: the rule most small museums run, kept as fallback and baseline.

A dehumidifier switches on when the RH it reads rises above ``on_above`` and off when it falls
below ``on_above - differential``; a humidifier the mirror image. Appliance humidistats switch
with a differential of about 3-5 %RH (typical appliance data; the climate model's
``DEHUMIDIFIER_BAND_RH`` = 5 is the same fact as a proportional band); the set points sit a
margin inside the band of the most demanding relic of the space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulation.control.devices import Device

DIFFERENTIAL_RH = 4.0  # %RH between switching on and off (appliance humidistats: 3-5)
MARGIN_RH = 2.0  # %RH inside the band edge where a device switches on


@dataclass(frozen=True)
class Setpoints:
    """Humidistat set points of one space, %RH: the dehumidifier switches on above ``dry_on``
    (off below dry_on - differential); the humidifier on below ``wet_on`` (off above wet_on + differential)."""

    dry_on: float
    wet_on: float
    differential: float = DIFFERENTIAL_RH

    @staticmethod
    def for_band(low: float, high: float, margin: float = MARGIN_RH, differential: float = DIFFERENTIAL_RH
                 ) -> Setpoints:
        """Set points a margin inside [low, high] %RH (the intersection of the relics' bands)."""
        return Setpoints(dry_on=high - margin, wet_on=low + margin, differential=differential)


def decide(devices: Sequence[Device], current: Sequence[bool], rh: float, sp: Setpoints) -> list[bool]:
    """Next on/off of each device from the space's RH ``rh`` %RH and their state now.

    Heaters and other kinds keep their state (the humidistat does not drive them)."""
    out = []
    for d, on in zip(devices, current, strict=True):
        if d.kind == "dehumidifier":
            on = rh > sp.dry_on or (on and rh > sp.dry_on - sp.differential)
        elif d.kind == "humidifier":
            on = rh < sp.wet_on or (on and rh < sp.wet_on + sp.differential)
        out.append(bool(on))
    return out
