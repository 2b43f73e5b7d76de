"""The hall's machines in the scene document: ``[[actuators]]``.

Each actuator names what it is (``kind``), the zone or case it serves, where it stands, what it
can do for the models (``capacity_g_h``, ``power_w``), how it speaks (``convention`` and
``topic``, see ``bridge/control/conventions.py``), the state it goes to when the sensors it
depends on cannot be trusted (``safe_state``), the control ``policy`` it starts with, and how long
it may take to echo a command (``echo_timeout_s``)::

    [[actuators]]
    id = "dh1"
    kind = "dehumidifier"
    name = { "zh-CN" = "1号除湿机", en = "Dehumidifier 1" }
    zone = "painting"
    position = [12.0, 9.0, 0.0]
    convention = "zigbee2mqtt"
    topic = "zigbee2mqtt/plug_dh1"
    capacity_g_h = 500
    power_w = 320
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

KINDS = ("dehumidifier", "humidifier", "heater", "air_conditioner", "light", "blind")
"""What an actuator may be. Switches: dehumidifier, humidifier, heater; levels: light, blind;
mode + setpoint: air_conditioner."""

CONVENTIONS = ("zigbee2mqtt", "tasmota", "shelly_gen1", "shelly_gen2", "ha", "native")
"""Command conventions: the names of ``bridge.control.conventions.CONVENTIONS`` (a test keeps
the two equal; ``simulation`` may not import ``bridge``)."""

POLICIES = ("off", "advise", "auto")
"""off: manual only; advise: recommendations staff apply with one click; auto: applied within
the limits a curator approved."""

DEFAULT_ECHO_TIMEOUT_S = 30.0  # s: a mains smart plug echoes within a second or two; Zigbee retries take ~10 s


@dataclass(frozen=True)
class Actuator:
    """One machine in the hall (see the module docstring for the keys)."""

    id: str
    kind: str
    name: Mapping[str, str]
    zone: str
    position: NDArray[np.float64]
    convention: str
    topic: str
    case: str | None = None
    capacity_g_h: float | None = None
    power_w: float | None = None
    safe_state: str = "off"
    policy: str = "advise"
    echo_timeout_s: float = DEFAULT_ECHO_TIMEOUT_S

    @property
    def space(self) -> str:
        """The space it serves: its case id, else its zone id."""
        return self.case or self.zone

    @property
    def switch(self) -> bool:
        """True for on/off machines (the ones the moisture controller drives)."""
        return self.kind in ("dehumidifier", "humidifier", "heater")


def parse_actuators(items: Any, file: Path, zones: set[str], cases: set[str],
                    inside: Any = None) -> tuple[tuple[Actuator, ...], list[str]]:
    """Validate ``[[actuators]]`` tables; (actuators, errors as ``file: key: expected ...``).

    inside : optional callable(xy) -> bool, the floor test for positions."""
    errors: list[str] = []

    def err(key: str, expected: str) -> None:
        errors.append(f"{file}: {key}: expected {expected}")

    if items is None:
        return (), errors
    if not isinstance(items, list) or not all(isinstance(t, dict) for t in items):
        err("actuators", "an array of tables ([[actuators]])")
        return (), errors
    out: list[Actuator] = []
    seen: set[str] = set()
    for i, t in enumerate(items):
        key = f"actuators[{i}]"
        aid = t.get("id")
        if not isinstance(aid, str) or not aid:
            err(f"{key}.id", "a non-empty string")
            aid = ""
        elif aid in seen:
            err(f"{key}.id", f"unique id (duplicate {aid!r})")
        seen.add(aid)
        kind = t.get("kind")
        if kind not in KINDS:
            err(f"{key}.kind", f"one of {', '.join(KINDS)}, got {kind!r}")
        conv = t.get("convention", "native")
        if conv not in CONVENTIONS:
            err(f"{key}.convention", f"one of {', '.join(CONVENTIONS)}, got {conv!r}")
        topic = t.get("topic")
        if not isinstance(topic, str) or not topic or any(c in topic for c in "#+"):
            err(f"{key}.topic", "an MQTT topic without wildcards")
        zone = t.get("zone")
        if zone not in zones:
            err(f"{key}.zone", f"the id of a zone ({', '.join(sorted(zones))}), got {zone!r}")
        case = t.get("case")
        if case is not None and case not in cases:
            err(f"{key}.case", f"the id of a case ({', '.join(sorted(cases)) or 'none defined'}), got {case!r}")
        name = t.get("name", {})
        if not isinstance(name, dict) or not all(isinstance(name.get(lang), str) and name.get(lang) for lang in ("zh-CN", "en")):
            err(f"{key}.name", "a table with zh-CN and en texts")
            name = {}
        pos = t.get("position")
        if not (isinstance(pos, list) and len(pos) in (2, 3) and all(isinstance(x, int | float) for x in pos)):
            err(f"{key}.position", "[x, y] or [x, y, z] in metres")
            pos = [0.0, 0.0, 0.0]
        elif inside is not None and not inside(np.asarray(pos[:2], float)):
            err(f"{key}.position", f"a point on the hall floor, got {pos}")
        nums: dict[str, float | None] = {}
        for k, hi in (("capacity_g_h", 1e5), ("power_w", 1e6), ("echo_timeout_s", 3600.0)):
            v = t.get(k)
            if v is not None and not (isinstance(v, int | float) and 0 <= v <= hi and math.isfinite(v)):
                err(f"{key}.{k}", f"a number in 0..{hi:g}, got {v!r}")
                v = None
            nums[k] = float(v) if v is not None else None
        safe = t.get("safe_state", "off")
        if safe not in ("off", "on"):
            err(f"{key}.safe_state", f"'off' or 'on', got {safe!r}")
        policy = t.get("policy", "advise")
        if policy not in POLICIES:
            err(f"{key}.policy", f"one of {', '.join(POLICIES)}, got {policy!r}")
        unknown = set(t) - {"id", "kind", "name", "zone", "case", "position", "convention", "topic", "capacity_g_h",
                            "power_w", "safe_state", "policy", "echo_timeout_s"}
        if unknown:
            err(f"{key}", f"known keys only (unknown: {', '.join(sorted(unknown))})")
        p = np.zeros(3)
        p[: len(pos)] = np.asarray(pos, float)
        out.append(Actuator(
            id=aid, kind=str(kind), name=dict(name), zone=str(zone), position=p, convention=str(conv),
            topic=str(topic), case=case, capacity_g_h=nums["capacity_g_h"], power_w=nums["power_w"],
            safe_state=str(safe), policy=str(policy),
            echo_timeout_s=nums["echo_timeout_s"] if nums["echo_timeout_s"] is not None else DEFAULT_ECHO_TIMEOUT_S,
        ))
    return tuple(out), errors


def devices_for(actuators: Sequence[Actuator]) -> list[Any]:
    """The moisture and heat machines as :class:`simulation.control.devices.Device` (switches only)."""
    from simulation.control.devices import device

    return [device(a.id, a.kind, a.space, a.capacity_g_h, a.power_w) for a in actuators if a.switch]
