"""What-if scenario files: TOML -> frozen dataclasses, schedules and outdoor weather.

A scenario lives in ``scenes/<hall>/scenarios/<name>.toml``::

    [scenario]
    id = "hvac_failure_summer"
    title = { "zh-CN" = "...", en = "..." }
    scene = ".."                       # hall folder, relative to this file (default: "..")
    start = 2026-07-15T12:00:00+08:00  # timezone-aware; stored as UTC
    duration_h = 24
    dt_s = 60                          # optional: time step, cell size, output spacing
    cell_m = 0.25
    record_every_min = 10
    snapshot_every_min = 30

    [initial]                          # uniform start, overridden per zone
    temperature = 21.0
    relative_humidity = 50.0
    zones = { bronze = [20.5, 45.0] }  # zone id -> [°C, %RH]

    [outdoor]                          # constant + daily cycle, or a series
    temperature = 31.0                 # °C, daily mean
    relative_humidity = 60.0           # %RH at the mean temperature
    daily_amplitude = 4.0              # K; T = mean + amp cos(2 pi (h - peak_hour) / 24), local h
    peak_hour = 15                     # vapour density held constant over the day, so RH swings
    wind_m_s = 2.0
    # series = { hour = [...], temperature = [...], relative_humidity = [...] } (h since start)

    [climate]                          # overrides of the hall's [climate] table
    hvac_setpoint_c = 21.0

    [[events]]                         # schedules, each active on [start_h, end_h)
    kind = "hvac_off"                  # hvac_off | open | visitors | lights | dehumidifier_off
    start_h = 2.0
    end_h = 24.0
    # target = "door2" (open, dehumidifier_off); people = 80, zone = "bronze" (visitors)
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.climate import Forcing
from simulation.psychrometrics import rh_from_vapour_density, vapour_density

EVENT_KINDS = ("hvac_off", "open", "visitors", "lights", "dehumidifier_off")


class ScenarioError(ValueError):
    """A scenario file is invalid; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Event:
    """One scheduled change, active for ``start_s <= t < end_s`` (s since the scenario start)."""

    kind: str
    start_s: float
    end_s: float
    target: str | None = None
    people: float = 0.0
    zone: str | None = None


@dataclass(frozen=True)
class Outdoor:
    """Outdoor weather: a series (``hours`` (m,) h since start) or a daily cycle around a mean."""

    temperature: float = 20.0
    relative_humidity: float = 60.0
    daily_amplitude: float = 0.0
    peak_hour: float = 15.0
    wind_m_s: float = 2.0
    hours: NDArray[np.float64] | None = None
    series_t: NDArray[np.float64] | None = None
    series_rh: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario; times in seconds since ``start`` (UTC)."""

    id: str
    title: Mapping[str, str]
    path: Path
    scene_path: Path
    start: datetime
    duration_s: float
    utc_offset_h: float = 0.0
    dt_s: float = 60.0
    cell_m: float = 0.25
    record_every_s: float = 600.0
    snapshot_every_s: float = 1800.0
    initial_t: float = 20.0
    initial_rh: float = 50.0
    initial_zones: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    outdoor: Outdoor = field(default_factory=Outdoor)
    climate: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; :class:`ScenarioError` lists every problem."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([f"{p}: file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: not valid TOML: {exc}"]) from None
    return parse_scenario(doc, p)


def parse_scenario(doc: Mapping[str, Any], path: Path) -> Scenario:
    """Validate a parsed scenario document (see :func:`load_scenario`)."""
    errors: list[str] = []

    def err(key: str, expected: str) -> None:
        errors.append(f"{path}: {key}: expected {expected}")

    def num(t: Mapping[str, Any], key: str, default: float | None, low: float = -math.inf, high: float = math.inf) -> float:
        v = t.get(key.rsplit(".", 1)[-1], default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            err(key, "a number" if v is None else f"a number, got {v!r}")
            return float("nan")
        if not low <= v <= high:
            err(key, f"a number in [{low}, {high}], got {v}")
        return float(v)

    sc = doc.get("scenario")
    if not isinstance(sc, dict):
        raise ScenarioError([f"{path}: scenario: expected a table"])
    sid = sc.get("id", path.stem)
    title = sc.get("title")
    if not isinstance(title, dict) or not all(isinstance(title.get(k), str) for k in ("zh-CN", "en")):
        err("scenario.title", "a text table with zh-CN and en")
        title = {"zh-CN": str(sid), "en": str(sid)}
    start = sc.get("start")
    if not isinstance(start, datetime) or start.tzinfo is None:
        err("scenario.start", f"a timezone-aware date-time (e.g. 2026-07-15T12:00:00+08:00), got {start!r}")
        start = datetime(2026, 1, 1, tzinfo=UTC)
    duration_s = num(sc, "scenario.duration_h", None, 0.01, 24 * 60) * 3600.0
    dt_s = num(sc, "scenario.dt_s", 60.0, 1.0, 3600.0)
    init = doc.get("initial", {})
    zones: dict[str, tuple[float, float]] = {}
    for zid, val in dict(init.get("zones", {})).items():
        if not (isinstance(val, list) and len(val) == 2 and all(isinstance(x, (int, float)) for x in val)):
            err(f"initial.zones.{zid}", "[temperature °C, relative humidity %RH]")
            continue
        zones[str(zid)] = (float(val[0]), float(val[1]))
    out = doc.get("outdoor", {})
    outdoor = Outdoor(
        temperature=num(out, "outdoor.temperature", 20.0, -50, 60),
        relative_humidity=num(out, "outdoor.relative_humidity", 60.0, 0, 100),
        daily_amplitude=num(out, "outdoor.daily_amplitude", 0.0, 0, 30),
        peak_hour=num(out, "outdoor.peak_hour", 15.0, 0, 24),
        wind_m_s=num(out, "outdoor.wind_m_s", 2.0, 0, 60),
    )
    series = out.get("series")
    if series is not None:
        try:
            h, t, rh = (np.asarray(series[k], dtype=float) for k in ("hour", "temperature", "relative_humidity"))
            if not (len(h) == len(t) == len(rh) >= 2) or np.any(np.diff(h) <= 0):
                raise ValueError
            outdoor = Outdoor(wind_m_s=outdoor.wind_m_s, hours=h, series_t=t, series_rh=rh)
        except (KeyError, TypeError, ValueError):
            err("outdoor.series", "hour, temperature, relative_humidity: equal-length lists (>= 2), hours increasing")
    events: list[Event] = []
    for i, e in enumerate(doc.get("events", [])):
        kind = e.get("kind")
        if kind not in EVENT_KINDS:
            err(f"events[{i}].kind", f"one of {', '.join(EVENT_KINDS)}, got {kind!r}")
            continue
        s0 = num(e, f"events[{i}].start_h", 0.0, 0.0)
        s1 = num(e, f"events[{i}].end_h", duration_s / 3600.0, 0.0)
        if kind in ("open", "dehumidifier_off") and not isinstance(e.get("target"), str):
            err(f"events[{i}].target", "the id of a door, window or dehumidifier")
        people = num(e, f"events[{i}].people", 0.0, 0.0) if kind == "visitors" else 0.0
        events.append(Event(kind=kind, start_s=s0 * 3600.0, end_s=s1 * 3600.0, target=e.get("target"),
                            people=people, zone=e.get("zone")))
    climate = doc.get("climate", {})
    if not isinstance(climate, dict):
        err("climate", "a table")
        climate = {}
    if errors:
        raise ScenarioError(errors)
    return Scenario(
        id=str(sid), title={str(k): str(v) for k, v in title.items()}, path=path,
        scene_path=(path.parent / str(sc.get("scene", ".."))).resolve(),
        start=start.astimezone(UTC), duration_s=duration_s, dt_s=dt_s,
        utc_offset_h=start.utcoffset().total_seconds() / 3600.0,  # type: ignore[union-attr]
        cell_m=num(sc, "scenario.cell_m", 0.25, 0.02, 2.0),
        record_every_s=num(sc, "scenario.record_every_min", 10.0, 0.0) * 60.0,
        snapshot_every_s=num(sc, "scenario.snapshot_every_min", 30.0, 0.0) * 60.0,
        initial_t=num(init, "initial.temperature", 20.0, -30, 60),
        initial_rh=num(init, "initial.relative_humidity", 50.0, 0, 100),
        initial_zones=zones, outdoor=outdoor, climate=climate, events=tuple(events),
    )


def outdoor_at(outdoor: Outdoor, t_s: float, start: datetime) -> tuple[float, float]:
    """Outdoor (T °C, RH %RH) at ``t_s`` s after ``start`` (timezone-aware, in the hall's local time).

    A series is interpolated linearly (held at its ends). A daily cycle keeps the vapour
    density of (mean T, mean RH) so that RH falls as T rises, as it does outdoors.
    """
    if outdoor.hours is not None and outdoor.series_t is not None and outdoor.series_rh is not None:
        h = t_s / 3600.0
        return float(np.interp(h, outdoor.hours, outdoor.series_t)), float(np.interp(h, outdoor.hours, outdoor.series_rh))
    if outdoor.daily_amplitude == 0.0:
        return outdoor.temperature, outdoor.relative_humidity
    local_h = (start.hour + start.minute / 60.0 + t_s / 3600.0) % 24.0  # start is in local time
    t = outdoor.temperature + outdoor.daily_amplitude * math.cos(2 * math.pi * (local_h - outdoor.peak_hour) / 24.0)
    w = vapour_density(outdoor.temperature, outdoor.relative_humidity)
    return t, float(np.clip(rh_from_vapour_density(t, w), 0.0, 100.0))


def forcing_function(scenario: Scenario) -> Callable[[float], Forcing]:
    """``f(t_s) -> Forcing`` for the scenario's weather and events (t_s s since start).

    The daily cycle runs on the hall's local time: the UTC offset written in ``start``.
    """
    start_local = scenario.start.astimezone(timezone(timedelta(hours=scenario.utc_offset_h)))
    events = scenario.events
    wind = scenario.outdoor.wind_m_s

    def at(t_s: float) -> Forcing:
        t_out, rh_out = outdoor_at(scenario.outdoor, t_s, start_local)
        active = [e for e in events if e.start_s <= t_s < e.end_s]
        return Forcing(
            t_out_c=t_out, rh_out=rh_out, wind_m_s=wind,
            hvac_on=not any(e.kind == "hvac_off" for e in active),
            open_ids=frozenset(e.target for e in active if e.kind == "open" and e.target),
            people=tuple((e.zone, e.people) for e in active if e.kind == "visitors"),
            lights_on=any(e.kind == "lights" for e in active),
            dehumidifiers_off=frozenset(e.target for e in active if e.kind == "dehumidifier_off" and e.target),
        )

    return at



def build_run(scenario: Scenario, scene: Any, *, cell_m: float | None = None, engine: str = "cached",
              solver: Any = None, initial: Mapping[str, tuple[float, float]] | None = None):
    """Model, start state and forcing of ``scenario`` on ``scene`` (a :class:`simulation.scene.Scene`).

    The hall's ``[climate]`` table is overridden by the scenario's. ``initial`` {zone id: (T, RH)}
    {zone or probe (relic) id: (T, RH)} (e.g. the stored state of the hall) overrides the
    scenario's initial zones; see :func:`simulation.climate.initial_state`.
    Returns (HallModel, ClimateState, forcing function).
    """
    from simulation import climate

    settings = climate.settings_from_mapping(dict(getattr(scene, "climate", {}) or {}), scenario.climate)
    model = climate.build_model(climate.geometry_from_scene(scene), settings, cell_m=cell_m or scenario.cell_m,
                                dt_s=scenario.dt_s, engine=engine, solver=solver)
    zones = {**scenario.initial_zones, **(initial or {})}
    state = climate.initial_state(model, scenario.initial_t, scenario.initial_rh, zones)
    return model, state, forcing_function(scenario)
