"""Wiring a scene to risk and alerts: which sensor stands for which relic, and the roll-up tree.

- :func:`representative_sensor`: the sensor that stands for a relic on a
  quantity: a sensor in the relic's own case; else a sensor in its zone
  outside any case (room light and air reach into the case); for air quality
  only, any sensor outside a case in the hall (pollutants mix through the
  hall). The nearest one wins.
- :func:`alert_settings`: the roll-up tree relic -> case -> zone -> hall and
  sensor -> case/zone, display names in Chinese and English, and the door
  nearest each target (named in the advice texts).
- :func:`reading_observations`: one reading -> the observations of every
  relic that sensor stands for, ready for :meth:`AlertEngine.update`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from simulation.alerts import AlertSettings, Observation, Target, band_observations
from simulation.materials import MaterialProfile
from simulation.quantities import QUANTITIES
from simulation.scene import Relic, Scene, Sensor


def representative_sensor(scene: Scene, relic: Relic, quantity: str) -> Sensor | None:
    """The sensor that stands for ``relic`` on ``quantity`` (see the module docstring), or None."""
    measuring = [s for s in scene.sensors if quantity in s.quantities]
    tiers = [
        [s for s in measuring if relic.case is not None and s.case == relic.case],
        [s for s in measuring if s.case is None and s.zone == relic.zone],
    ]
    if quantity in QUANTITIES and QUANTITIES[quantity].category == "air":
        tiers.append([s for s in measuring if s.case is None])
    for candidates in tiers:
        if candidates:
            return min(candidates, key=lambda s: float(np.linalg.norm(s.position[:2] - relic.position[:2])))
    return None


def relic_sources(scene: Scene, profiles: Mapping[str, MaterialProfile]) -> dict[tuple[str, str], str]:
    """(relic id, quantity) -> sensor id, for every quantity the relic's profile limits."""
    out: dict[tuple[str, str], str] = {}
    for relic in scene.relics:
        profile = profiles.get(relic.profile)
        if profile is None:
            continue
        for quantity in profile.bands:
            sensor = representative_sensor(scene, relic, quantity)
            if sensor is not None:
                out[(relic.id, quantity)] = sensor.id
    return out


def reading_observations(scene: Scene, profiles: Mapping[str, MaterialProfile], sensor_id: str,
                         quantity: str, value: float,
                         sources: Mapping[tuple[str, str], str] | None = None) -> list[Observation]:
    """Observations for one reading: the band checks of every relic ``sensor_id`` stands for.

    sources : the result of :func:`relic_sources` (computed when not given; pass it when
    calling per reading). Each observation names the sensor, so the engine watches it.
    """
    src = relic_sources(scene, profiles) if sources is None else sources
    out: list[Observation] = []
    for (relic_id, q), sid in src.items():
        if q != quantity or sid != sensor_id:
            continue
        band = profiles[scene.relic(relic_id).profile].band(quantity)
        if band is not None:
            out += band_observations(Target("relic", relic_id), quantity, value, band, sensor_id)
    return out


def alert_settings(scene: Scene, base: AlertSettings | None = None) -> AlertSettings:
    """``base`` (default settings) with the scene's roll-up tree, names and nearest doors."""
    hall = Target("hall", scene.id)
    parents: dict[Target, Target] = {}
    labels: dict[Target, dict[str, str]] = {hall: _names(scene.name, scene.id)}
    positions: dict[Target, np.ndarray] = {}
    for z in scene.zones:
        t = Target("zone", z.id)
        parents[t] = hall
        labels[t] = _names(z.name, z.id)
        positions[t] = z.polygon.mean(axis=0)
    for c in scene.cases:
        t = Target("case", c.id)
        parents[t] = Target("zone", c.zone)
        labels[t] = _names(c.name, c.id)
        positions[t] = c.position[:2]
    for r in scene.relics:
        t = Target("relic", r.id)
        parents[t] = Target("case", r.case) if r.case else Target("zone", r.zone)
        labels[t] = _names(r.name, r.id)
        positions[t] = r.position[:2]
    for s in scene.sensors:
        t = Target("sensor", s.id)
        parents[t] = Target("case", s.case) if s.case else Target("zone", s.zone)
        labels[t] = {"zh": s.id, "en": s.id}
        positions[t] = s.position[:2]
    near: dict[Target, dict[str, str]] = {}
    if scene.doors:
        for t, xy in positions.items():
            d = min(scene.doors, key=lambda d: float(np.linalg.norm((d.a + d.b) / 2 - xy)))
            near[t] = {"zh": f"门（{d.id}）", "en": d.id if "door" in d.id.lower() else f"door {d.id}"}
    b = base or AlertSettings()
    return replace(b, parents={**b.parents, **parents}, labels={**b.labels, **labels}, near={**b.near, **near},
                   timezone=scene.timezone)


def _names(text: Mapping[str, str], fallback: str) -> dict[str, str]:
    zh = text.get("zh-CN") or text.get("zh") or fallback
    return {"zh": zh, "en": text.get("en") or fallback}
