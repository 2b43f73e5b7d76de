"""Home Assistant MQTT discovery: learn sensors without configuration.

A device announces each sensor once, retained, on
``homeassistant/sensor/[<node_id>/]<object_id>/config`` (HA docs, "MQTT
Discovery")::

    {"device_class":"temperature","state_topic":"homeassistant/sensor/bedroom/state",
     "unit_of_measurement":"°C","value_template":"{{ value_json.temperature }}",
     "unique_id":"temp01ae","device":{"identifiers":["bedroom01ae"],"name":"Bedroom"}}

Abbreviated keys (``stat_t``, ``unit_of_meas``, ``val_tpl``, ``dev_cla``,
``uniq_id``, ``dev``) and the ``~`` base topic are expanded as HA does.
An empty payload removes the sensor. :func:`decode` turns a config into
``status["discovered"]`` (a :class:`Discovered`); the registry keeps it, and
:func:`decode_state` reads the values later published on its state topic.

Only the common template forms are understood: ``{{ value }}``,
``{{ value_json.a.b }}``, ``{{ value_json['a'] }}``, optionally followed by
``| float`` / ``| round(n)`` / ``| float(0)`` (no Jinja engine is run).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, check_sensor, why

ROOT = "homeassistant"
# HA sensor device_class -> quantity (HA docs, "Sensor entity", device classes)
DEVICE_CLASSES: dict[str, str] = {
    "temperature": "temperature",
    "humidity": "relative_humidity",
    "illuminance": "illuminance",
    "carbon_dioxide": "co2",
    "sulphur_dioxide": "so2",
    "nitrogen_dioxide": "nox",
    "pm25": "pm2_5",
    "pm10": "pm10",
    "volatile_organic_compounds": "voc",
    "volatile_organic_compounds_parts": "voc",
}
ABBREVIATIONS = {"stat_t": "state_topic", "unit_of_meas": "unit_of_measurement",
                 "val_tpl": "value_template", "dev_cla": "device_class",
                 "uniq_id": "unique_id", "dev": "device", "obj_id": "object_id",
                 "avty_t": "availability_topic", "name": "name"}
_TEMPLATE = re.compile(
    r"^\{\{\s*(value_json((?:\.\w+|\[\s*'[^']*'\s*\]|\[\s*\"[^\"]*\"\s*\])*)|value)"
    r"\s*(?:\|\s*(?:float|int|round)(?:\(\s*\d*\s*\))?\s*)*\}\}$")
_PATH = re.compile(r"\.(\w+)|\[\s*['\"]([^'\"]*)['\"]\s*\]")


@dataclass(frozen=True)
class Discovered:
    """A sensor learnt from a discovery config.

    sensor : its device's id (first of device.identifiers, else unique_id, else
        [node_id/]object_id), so the entities of one device make one sensor
    quantity : canonical quantity name
    state_topic : where its values arrive
    unit : unit_of_measurement as announced
    path : keys into the JSON state, () for a plain value
    config_topic : where it was announced
    name : its human name, '' if none
    """

    sensor: str
    quantity: str
    state_topic: str
    unit: str | None
    path: tuple[str, ...]
    config_topic: str
    name: str = ""


def split_topic(topic: str) -> tuple[str, str] | None:
    """(component, object path) of a discovery config topic; None otherwise."""
    parts = topic.split("/")
    if len(parts) in (4, 5) and parts[0] == ROOT and parts[-1] == "config" and all(parts):
        return parts[1], "/".join(parts[2:-1])
    return None


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """``status["discovered"]`` from a config, ``status["removed"]`` from an empty one."""
    msg = Message(topic, payload, received_at)
    parts = split_topic(topic)
    try:
        if parts is None:
            raise DecodeError(why("bad_topic", topic=topic[:80], fmt="ha_discovery",
                                  pattern="homeassistant/sensor/[<node_id>/]<object_id>/config"))
        component, object_path = parts
        if not payload:
            msg.status["removed"] = topic
            return msg.finish()
        if component != "sensor":
            msg.status["ignored"] = [component]
            return msg.finish()
        config = _expand(msg.json_object())
        found = _discovered(topic, object_path, config)
        if found is None:
            msg.status["ignored"] = [str(config.get("device_class"))[:60]]
        else:
            msg.status["discovered"] = found
    except DecodeError as exc:
        msg.reject(str(exc))
    return msg.finish()


def _expand(config: dict[str, Any]) -> dict[str, Any]:
    out = {ABBREVIATIONS.get(k, k): v for k, v in config.items()}
    base = out.get("~")
    if isinstance(base, str):
        for k, v in out.items():
            if k.endswith("_topic") and isinstance(v, str):
                out[k] = v.replace("~", base) if v.startswith("~") or v.endswith("~") else v
    return out


def _discovered(topic: str, object_path: str, config: dict[str, Any]) -> Discovered | None:
    quantity = DEVICE_CLASSES.get(str(config.get("device_class")))
    if quantity is None:
        return None
    state_topic = config.get("state_topic")
    if not isinstance(state_topic, str) or not state_topic or "#" in state_topic or "+" in state_topic:
        raise DecodeError(why("bad_field", key="state_topic", what="missing or not a topic",
                              what_zh="缺失或不是主题"))
    template = config.get("value_template", "{{ value }}")
    match = _TEMPLATE.match(str(template).strip())
    if match is None:
        raise DecodeError(why("bad_field", key="value_template",
                              what=f"{str(template)[:60]!r} is beyond the templates understood",
                              what_zh=f"{str(template)[:60]!r} 超出可理解的模板"))
    path = tuple(a or b for a, b in _PATH.findall(match.group(2) or ""))
    unit = config.get("unit_of_measurement")
    device = config.get("device")
    ids = device.get("identifiers") if isinstance(device, dict) else None
    if isinstance(ids, str):
        ids = [ids]
    first = ids[0] if isinstance(ids, list) and ids and isinstance(ids[0], str) else None
    sensor = check_sensor(first or config.get("unique_id") or object_path)
    name = config.get("name")
    return Discovered(sensor, quantity, state_topic, None if unit is None else str(unit), path,
                      topic, name if isinstance(name, str) else "")


def decode_state(found: Discovered, topic: str, payload: bytes,
                 received_at: datetime) -> Decoded:
    """The reading carried by one state message of a discovered sensor."""
    msg = Message(topic, payload, received_at, strings=True)
    try:
        if found.path:
            value: Any = msg.json()
            for key in found.path:
                if not isinstance(value, dict) or key not in value:
                    raise DecodeError(why("bad_field", key=".".join(found.path),
                                          what="not found in the state", what_zh="状态中没有该键"))
                value = value[key]
        else:
            value = msg.text().strip()
    except DecodeError as exc:
        msg.reject(str(exc))
        return msg.finish()
    msg.add(found.sensor, found.quantity, value, found.unit, msg.received_at,
            key=found.name or found.sensor)
    return msg.finish()


def encode_config(found: Discovered) -> bytes:
    """The discovery config announcing ``found`` (inverse of :func:`decode`)."""
    inverse = {q: c for c, q in reversed(DEVICE_CLASSES.items())}
    body: dict[str, Any] = {"device_class": inverse[found.quantity], "state_topic": found.state_topic,
                            "unique_id": f"{found.sensor}_{found.quantity}",
                            "device": {"identifiers": [found.sensor], "name": found.sensor},
                            "name": found.name or found.quantity}
    if found.unit:
        body["unit_of_measurement"] = found.unit
    if found.path:
        body["value_template"] = "{{ value_json" + "".join(f".{k}" for k in found.path) + " }}"
    return json.dumps(body, ensure_ascii=False).encode()
