"""Actuator commands and their echoes, one convention per device family (beside the sensor
decoders of :mod:`bridge.sensors`; pure, no paho).

A command is a small dict: ``{"on": bool}`` for switches (smart plugs under a dehumidifier,
humidifier or heater), ``{"level": 0..1}`` for a dimmable light or a blind (0 closed, 1 open),
``{"mode": str, "setpoint": °C}`` for an air conditioner. :func:`encode` turns it into MQTT
(topic, payload) messages; :func:`decode` reads a device's state message back into the same
keys, or None when the topic is not this device's state topic.

Conventions (topic = the actuator's ``topic`` in the scene):

===============  ==========================================  ==========================================
convention       command                                     state echoed
===============  ==========================================  ==========================================
zigbee2mqtt      ``<topic>/set`` ``{"state": "ON"}``          ``<topic>`` ``{"state": "ON", ...}``
                 (``brightness`` 0-254; ``position`` 0-100)  (Zigbee2MQTT docs, "MQTT topics and messages")
tasmota          ``cmnd/<topic>/POWER`` ``ON``                ``stat/<topic>/POWER`` ``ON`` or
                 (``Dimmer`` 0-100)                          ``stat/<topic>/RESULT`` ``{"POWER": "ON"}``
shelly_gen1      ``shellies/<topic>/relay/0/command`` ``on``  ``shellies/<topic>/relay/0`` ``on``
shelly_gen2      ``<topic>/rpc`` ``Switch.Set`` (JSON-RPC)    ``<topic>/status/switch:0`` ``{"output": true}``
                                                             or ``<topic>/events/rpc`` NotifyStatus
ha               ``<topic>/set`` ``ON`` (MQTT switch);        ``<topic>/state`` ``ON``;
                 climate: ``<topic>/mode/set``,               ``<topic>/mode/state``,
                 ``<topic>/temperature/set``                  ``<topic>/temperature/state``
native           ``<topic>/set`` ``{"on": true}`` (any keys)  ``<topic>/state`` the same keys
===============  ==========================================  ==========================================
"""

from __future__ import annotations

import json
from typing import Any

Message = tuple[str, bytes]
Command = dict[str, Any]

CONVENTIONS = ("zigbee2mqtt", "tasmota", "shelly_gen1", "shelly_gen2", "ha", "native")
AC_MODES = ("off", "heat", "cool", "dry", "fan_only", "auto")  # Home Assistant climate modes
RPC_SOURCE = "relic-twin"  # the ``src`` of Shelly Gen2 RPC requests (replies go to <src>/rpc)


class ConventionError(ValueError):
    """A command this convention cannot carry, or a state payload that cannot be read."""


def _onoff(on: bool) -> str:
    return "ON" if on else "OFF"


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def state_topics(convention: str, topic: str) -> tuple[str, ...]:
    """MQTT topics on which a device of ``convention`` at ``topic`` reports its state."""
    return {
        "zigbee2mqtt": (topic,),
        "tasmota": (f"stat/{topic}/POWER", f"stat/{topic}/RESULT"),
        "shelly_gen1": (f"shellies/{topic}/relay/0",),
        "shelly_gen2": (f"{topic}/status/switch:0", f"{topic}/events/rpc"),
        "ha": (f"{topic}/state", f"{topic}/mode/state", f"{topic}/temperature/state"),
        "native": (f"{topic}/state",),
    }[_known(convention)]


def _known(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ConventionError(f"unknown actuator convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    return convention


def encode(convention: str, topic: str, command: Command, request_id: int = 1) -> list[Message]:
    """MQTT messages that make a device of ``convention`` at ``topic`` do ``command``."""
    _known(convention)
    keys = set(command)
    if not keys or keys - {"on", "level", "mode", "setpoint"}:
        raise ConventionError(f"a command is on, level, or mode/setpoint; got {sorted(keys)}")
    if "level" in command and not 0.0 <= float(command["level"]) <= 1.0:
        raise ConventionError(f"level must be within 0..1, got {command['level']!r}")
    if "mode" in command and command["mode"] not in AC_MODES:
        raise ConventionError(f"mode must be one of {', '.join(AC_MODES)}, got {command['mode']!r}")
    if convention == "native":
        return [(f"{topic}/set", _json(command))]
    if convention == "zigbee2mqtt":
        out: dict[str, Any] = {}
        if "on" in command:
            out["state"] = _onoff(bool(command["on"]))
        if "level" in command:
            out["brightness"] = round(254 * float(command["level"]))
        _only(convention, keys, {"on", "level"})
        return [(f"{topic}/set", _json(out))]
    if convention == "tasmota":
        _only(convention, keys, {"on", "level"})
        msgs = []
        if "on" in command:
            msgs.append((f"cmnd/{topic}/POWER", _onoff(bool(command["on"])).encode()))
        if "level" in command:
            msgs.append((f"cmnd/{topic}/Dimmer", str(round(100 * float(command["level"]))).encode()))
        return msgs
    if convention == "shelly_gen1":
        _only(convention, keys, {"on"})
        return [(f"shellies/{topic}/relay/0/command", b"on" if command["on"] else b"off")]
    if convention == "shelly_gen2":
        _only(convention, keys, {"on"})
        req = {"id": request_id, "src": RPC_SOURCE, "method": "Switch.Set", "params": {"id": 0, "on": bool(command["on"])}}
        return [(f"{topic}/rpc", _json(req))]
    # Home Assistant MQTT switch / climate entity
    msgs = []
    if "on" in command:
        msgs.append((f"{topic}/set", _onoff(bool(command["on"])).encode()))
    if "mode" in command:
        msgs.append((f"{topic}/mode/set", str(command["mode"]).encode()))
    if "setpoint" in command:
        msgs.append((f"{topic}/temperature/set", f"{float(command['setpoint']):.1f}".encode()))
    _only(convention, keys, {"on", "mode", "setpoint"})
    return msgs


def _only(convention: str, keys: set[str], allowed: set[str]) -> None:
    if keys - allowed:
        raise ConventionError(f"{convention} cannot carry {', '.join(sorted(keys - allowed))}")


def _parse_onoff(text: str) -> bool:
    t = text.strip().upper()
    if t in ("ON", "1", "TRUE"):
        return True
    if t in ("OFF", "0", "FALSE"):
        return False
    raise ConventionError(f"expected ON or OFF, got {text[:40]!r}")


def _obj(payload: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConventionError(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ConventionError("expected a JSON object")
    return obj


def decode(convention: str, topic: str, msg_topic: str, payload: bytes) -> Command | None:
    """The state a device reports: the command keys it confirms ({} when the message carries no
    state, e.g. a Zigbee2MQTT sensor-only update), or None when ``msg_topic`` is not its state topic.
    Raises :class:`ConventionError` for an unreadable payload."""
    if msg_topic not in state_topics(convention, topic):
        return None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConventionError("not UTF-8") from exc
    if convention == "native":
        obj = _obj(payload)
        return {k: obj[k] for k in ("on", "level", "mode", "setpoint") if k in obj}
    if convention == "zigbee2mqtt":
        obj = _obj(payload)
        out: Command = {}
        if "state" in obj:
            out["on"] = _parse_onoff(str(obj["state"]))
        if "brightness" in obj:
            out["level"] = round(float(obj["brightness"]) / 254.0, 3)
        return out
    if convention == "tasmota":
        if msg_topic.endswith("/POWER"):
            return {"on": _parse_onoff(text)}
        obj = _obj(payload)
        out = {}
        if "POWER" in obj:
            out["on"] = _parse_onoff(str(obj["POWER"]))
        if "Dimmer" in obj:
            out["level"] = round(float(obj["Dimmer"]) / 100.0, 3)
        return out
    if convention == "shelly_gen1":
        return {"on": _parse_onoff(text)}
    if convention == "shelly_gen2":
        obj = _obj(payload)
        if msg_topic.endswith("/events/rpc"):
            sw = obj.get("params", {}).get("switch:0", {}) if obj.get("method") == "NotifyStatus" else {}
            return {"on": bool(sw["output"])} if "output" in sw else {}
        return {"on": bool(obj["output"])} if "output" in obj else {}
    if msg_topic.endswith("/mode/state"):
        mode = text.strip()
        if mode not in AC_MODES:
            raise ConventionError(f"unknown climate mode {mode[:20]!r}")
        return {"mode": mode}
    if msg_topic.endswith("/temperature/state"):
        try:
            return {"setpoint": float(text)}
        except ValueError as exc:
            raise ConventionError(f"not a temperature: {text[:20]!r}") from exc
    return {"on": _parse_onoff(text)}


def confirms(command: Command, state: Command) -> bool:
    """Whether a decoded ``state`` shows every key of ``command`` done (levels to 2 %)."""
    for k, v in command.items():
        if k not in state:
            return False
        if k in ("level", "setpoint"):
            if abs(float(state[k]) - float(v)) > (0.02 if k == "level" else 0.25):
                return False
        elif state[k] != v:
            return False
    return True
