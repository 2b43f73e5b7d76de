"""A scene's control problem: which relics the hall's air serves, their bands, the machines, the
controller's reduced model, and (for the demo) the 2-D plant.

Relics in a case that holds its own RH (``rh_setpoint``: silica gel or a case conditioner) are the
case's business, not the hall machines': they are left out of the objective. The zones of one
hall share their air, so every machine not in a case serves one space, the hall.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from simulation import climate
from simulation.control import hall_model as hm
from simulation.control import humidistat, mpc
from simulation.control.devices import Device, device
from simulation.materials import load_profiles
from simulation.scene import Relic, Scene

HALL = ""  # the space id of the hall's shared air


def served_relics(scene: Scene) -> list[Relic]:
    """Relics whose RH the hall machines decide (not in a conditioned case, with an RH band)."""
    profiles = load_profiles()
    conditioned = {c.id for c in scene.cases if c.rh_setpoint is not None}
    return [r for r in scene.relics if r.case not in conditioned and r.profile in profiles
            and profiles[r.profile].band("relative_humidity") is not None]


def bands(relics: list[Relic]) -> mpc.Bands:
    """The RH bands of ``relics`` (scenes/materials.toml); an open side becomes 0 or 100 %RH."""
    profiles = load_profiles()
    b = [profiles[r.profile].band("relative_humidity") for r in relics]
    return mpc.Bands(np.array([x.low if x.low is not None else 0.0 for x in b]),
                     np.array([x.high if x.high is not None else 100.0 for x in b]),
                     np.array([x.max_change_24h if x.max_change_24h is not None else 10.0 for x in b]))


def devices(scene: Scene) -> list[Device]:
    """The scene's switch actuators as model devices (space: their case, else the hall)."""
    return [device(a.id, a.kind, a.case or HALL, a.capacity_g_h, a.power_w) for a in scene.actuators if a.switch]


def geometry(scene: Scene, relics: list[Relic]) -> climate.HallGeometry:
    """The hall for the climate model with ``relics`` as its probes."""
    g = climate.geometry_from_scene(scene)
    keep = {r.id for r in relics}
    return replace(g, probes=tuple(p for p in g.probes if p.id in keep))


def settings(scene: Scene) -> climate.ClimateSettings:
    """The scene's climate settings under its calibrated parameters; RH is left to the machines
    (the air handler heats and cools only)."""
    _, fitted = calibration_check(scene)
    return replace(climate.settings_from_mapping(scene.climate, fitted), hvac_latent_kg_h=0.0)


def twin_controller_parts(scene: Scene) -> tuple[hm.LumpedHall, list[Device], mpc.Bands, humidistat.Setpoints]:
    """(reduced model, devices, bands, fallback set points) of the hall's controller."""
    relics = served_relics(scene)
    b = bands(relics)
    lo, hi = float(np.max(b.low)), float(np.min(b.high))
    if lo >= hi:  # the relics' bands do not overlap: the humidistat aims at the middle of the spread
        lo, hi = min(lo, hi) - 2.0, max(lo, hi) + 2.0
    return hm.lumped(geometry(scene, relics), settings(scene)), devices(scene), b, humidistat.Setpoints.for_band(lo, hi)


def calibration_check(scene: Scene) -> tuple[bool | None, dict[str, float]]:
    """(passed, fitted parameters) of the hall's ``calibration.json``: None when the hall was never
    calibrated, False when the held-back figures fail ASHRAE Guideline 14 (no model in auto)."""
    from bridge.twin.whatif import calibrated_parameters, calibration_figures

    cal = calibration_figures(scene.root)
    if cal is None:
        return None, {}
    figures = cal.get("figures", cal)
    passed = all(bool(figures.get(q, {}).get("passes")) for q in ("temperature", "relative_humidity"))
    return passed, calibrated_parameters(cal)
