"""A scene's control problem: which relics the hall's air serves, their bands, the machines, the
controller's reduced model, and (for the demo) the 2-D plant.

Relics in a case that holds its own RH (``rh_setpoint``: silica gel or a case conditioner) are the
case's business, not the hall machines': they are left out of the objective. The zones of one
hall share their air, so every machine not in a case serves one space, the hall.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from simulation import climate
from simulation.control import hall_model as hm
from simulation.control import humidistat, mpc
from simulation.control.controller import AirConditioner, LightGroup, TwinController
from simulation.control.devices import Device, device
from simulation.materials import load_profiles
from simulation.scene import Relic, Scene

HALL = ""  # the space id of the hall's shared air
AC_RANGE_C = (18.0, 24.0)  # °C: set points the twin may choose where no relic says (EN 16242-style comfort
#                            and collection range; a curator narrows it through the relics' profiles)


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


def bands_with_temperature(relics: list[Relic]) -> mpc.Bands:
    """:func:`bands` with the relics' temperature bands (an open side: 0 or 40 °C)."""
    profiles = load_profiles()
    b = bands(relics)
    t = [profiles[r.profile].band("temperature") for r in relics]
    return replace(b, t_low=np.array([x.low if x is not None and x.low is not None else 0.0 for x in t]),
                   t_high=np.array([x.high if x is not None and x.high is not None else 40.0 for x in t]))


def air_conditioner(scene: Scene, relics: list[Relic]) -> AirConditioner | None:
    """The hall's air conditioner as the twin plans it: set points within the served relics'
    common temperature band (18-24 °C where they give none), or None without one."""
    ac = next((a for a in scene.actuators if a.kind == "air_conditioner" and a.case is None), None)
    if ac is None:
        return None
    b = bands_with_temperature(relics)
    lo = max(AC_RANGE_C[0], float(np.max(b.t_low))) if relics else AC_RANGE_C[0]
    hi = min(AC_RANGE_C[1], float(np.min(b.t_high))) if relics else AC_RANGE_C[1]
    return AirConditioner(ac.id, lo, hi) if lo <= hi else AirConditioner(ac.id, *AC_RANGE_C)


def light_groups(scene: Scene) -> list[LightGroup]:
    """One group per zone or case with a light or a blind: the most sensitive relic there sets
    the budget (``annual_exposure``) and the limit (``high``) of illuminance (scenes/materials.toml)."""
    profiles = load_profiles()
    out = []
    spaces = sorted({a.space for a in scene.actuators if a.kind in ("light", "blind")})
    for space in spaces:
        here = [r for r in scene.relics if r.case == space or (r.case is None and r.zone == space)]
        lux = [profiles[r.profile].band("illuminance") for r in here if r.profile in profiles]
        lux = [x for x in lux if x is not None]
        budget = min((x.annual_exposure for x in lux if x.annual_exposure is not None), default=None)
        limit = min((x.high for x in lux if x.high is not None), default=None)
        if budget is None or limit is None:
            continue  # nothing light-sensitive here: the lights are the staff's
        light = next((a.id for a in scene.actuators if a.kind == "light" and a.space == space), None)
        blind = next((a.id for a in scene.actuators if a.kind == "blind" and a.space == space), None)
        offset = datetime.now(ZoneInfo(scene.timezone)).utcoffset() or timedelta(0)
        out.append(LightGroup(space, light, blind, float(budget), float(limit),
                              utc_offset_h=offset.total_seconds() / 3600.0))
    return out


def twin_controller(scene: Scene) -> TwinController:
    """The hall's twin controller: its machines, air conditioner and light groups, planned."""
    model, devs, b, fallback = twin_controller_parts(scene)
    relics = served_relics(scene)
    ac = air_conditioner(scene, relics)
    return TwinController(model, devs, bands_with_temperature(relics) if ac is not None else b, fallback=fallback,
                          ac=ac, lights=light_groups(scene))


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
