"""Shelly sensors, Gen1 and Gen2+ (Plus, Pro, Gen3, Gen4).

Gen1 (Shelly API docs, "Shelly H&T" / "Shelly Door/Window 2" MQTT section):
one text value per topic ``shellies/<id>/sensor/<name>``, e.g.
``shellies/shellyht-6FAD12/sensor/temperature`` -> ``21.50``; temperature in
the unit set on the device (``temperature_units``, °C by default; the topic
does not say which, so °C is assumed: keep the device on °C),
humidity %, lux lx, tilt °, battery %; ``shellies/<id>/online`` is
``true``/``false``.

Gen2+ (Shelly API docs, "Gen2+ MQTT", "Notifications"): ``<id>/events/rpc``
carries JSON-RPC notifications::

    {"src":"shellyhtg3-84fce63ad204","dst":"shellyhtg3-84fce63ad204/events",
     "method":"NotifyStatus","params":{"ts":1700000000.12,
     "temperature:0":{"id":0,"tC":21.5,"tF":70.7}}}

with components ``temperature:N`` (tC), ``humidity:N`` (rh),
``illuminance:N`` (lux), ``devicepower:N`` (battery.percent). ``params.ts``
is epoch seconds. ``<id>/online`` is ``true``/``false``. With "Generic status
update over MQTT" on, each component also comes alone on
``<prefix>/status/<component>`` (``shellyht-livingroom/status/temperature:0`` ->
``{"id":0,"tC":20.1,"tF":68.3}``, as logged in JHNUL/home-server-apps), read at
the time it is received. A ``devicepower`` on external power reports no battery.
"""

from __future__ import annotations

import re
from datetime import datetime

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, check_sensor, why

GEN1_KEYS: dict[str, tuple[str, str]] = {
    "temperature": ("temperature", "°C"),
    "humidity": ("relative_humidity", "%RH"),
    "lux": ("illuminance", "lx"),
    "tilt": ("tilt", "°"),
}
GEN1_STATUS = frozenset({"battery", "ext_power", "error", "act_reasons", "state",
                         "vibration", "illumination", "flood"})
# Gen2 component type -> (field, quantity, unit)
GEN2_KEYS: dict[str, tuple[str, str, str]] = {
    "temperature": ("tC", "temperature", "°C"),
    "humidity": ("rh", "relative_humidity", "%RH"),
    "illuminance": ("lux", "illuminance", "lx"),
}
GEN2_METHODS = ("NotifyStatus", "NotifyFullStatus")
# <prefix>/status/<component>: "Generic status update over MQTT" (status_ntf), one component per topic
_STATUS_COMPONENT = re.compile(r"^(temperature|humidity|illuminance|devicepower):\d+$")


def split_topic(topic: str) -> tuple[str, str, str] | None:
    """(generation, device id, rest) for a Shelly topic; None otherwise."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == "shellies" and parts[2] == "sensor" and parts[1]:
        return "gen1", parts[1], parts[3]
    if len(parts) == 3 and parts[0] == "shellies" and parts[2] == "online" and parts[1]:
        return "gen1", parts[1], "online"
    if len(parts) == 3 and parts[1:] == ["events", "rpc"] and parts[0]:
        return "gen2", parts[0], "rpc"
    if len(parts) == 2 and parts[1] == "online" and parts[0].lower().startswith("shelly"):
        return "gen2", parts[0], "online"
    if len(parts) == 3 and parts[1] == "status" and parts[0] and _STATUS_COMPONENT.match(parts[2]):
        return "gen2", parts[0], parts[2]
    return None


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings or status from one Shelly Gen1 or Gen2 message."""
    parts = split_topic(topic)
    msg = Message(topic, payload, received_at, strings=parts is not None and parts[0] == "gen1")
    try:
        if parts is None:
            raise DecodeError(why("bad_topic", topic=topic[:80], fmt="shelly",
                                  pattern="shellies/<id>/sensor/<name> | <id>/events/rpc"))
        gen, device, rest = parts
        device = msg.sensor = check_sensor(device)
        if rest == "online":
            text = msg.text().strip()
            if text not in ("true", "false"):
                raise DecodeError(why("bad_field", key="online", what="must be true or false",
                                      what_zh="应为 true 或 false"))
            msg.status["availability"] = "online" if text == "true" else "offline"
        elif gen == "gen1":
            _gen1(msg, device, rest)
        elif rest == "rpc":
            _gen2(msg, device)
        else:
            _gen2_component(msg, device, rest)
    except DecodeError as exc:
        msg.reject(str(exc))
    return msg.finish()


def _gen1(msg: Message, device: str, name: str) -> None:
    text = msg.text().strip()
    if name in GEN1_KEYS:
        quantity, unit = GEN1_KEYS[name]
        msg.add(device, quantity, text, unit, msg.received_at, key=name)
    elif name in GEN1_STATUS:
        msg.status[name] = text
    else:
        msg.status["ignored"] = [name]


def _gen2(msg: Message, device: str) -> None:
    data = msg.json_object()
    method = data.get("method")
    params = data.get("params")
    if method not in GEN2_METHODS:
        msg.status["ignored"] = [str(method)[:60]]
        return
    if not isinstance(params, dict):
        raise DecodeError(why("bad_field", key="params", what="must be an object",
                              what_zh="必须是对象"))
    src = data.get("src")
    sensor = msg.sensor = check_sensor(src) if src is not None else device
    time = msg.time(params.get("ts"))
    if time is None:
        return
    ignored = []
    for comp, body in params.items():
        kind, _, index = comp.partition(":")
        if comp == "ts":
            continue
        if kind in GEN2_KEYS and isinstance(body, dict):
            field, quantity, unit = GEN2_KEYS[kind]
            if body.get(field) is not None:
                name = sensor if index in ("", "0") else f"{sensor}:{index}"
                msg.add(name, quantity, body[field], unit, time, key=f"{comp}.{field}")
            ignored += [f"{comp}.{k}"[:60] for k in body if k not in (field, "id", "tF", "errors")]
        elif kind == "devicepower" and isinstance(body, dict):
            _power(msg, body)
        elif kind == "wifi" and isinstance(body, dict) and "rssi" in body:
            msg.status["rssi"] = body["rssi"]
        else:
            ignored.append(comp[:60])
    if ignored:
        msg.status["ignored"] = ignored


def _power(msg: Message, body: dict[str, object]) -> None:
    """Battery status of a ``devicepower`` component. On USB power (``external.present``)
    the battery reads 0 % (a Plus H&T posted in enesbcs/Shelly_MQTT pull request 99: ``"V":0.43,
    "percent":0``): that is no battery to replace, so no battery figure is reported."""
    external = body.get("external")
    if isinstance(external, dict) and external.get("present") is True:
        msg.status["external_power"] = True
        return
    battery = body.get("battery")
    if isinstance(battery, dict) and "percent" in battery:
        msg.status["battery"] = battery["percent"]


def _gen2_component(msg: Message, device: str, comp: str) -> None:
    """One component's status on ``<prefix>/status/<comp>`` (no time in it: received time)."""
    body = msg.json_object()
    kind, _, index = comp.partition(":")
    if kind == "devicepower":
        _power(msg, body)
        return
    field, quantity, unit = GEN2_KEYS[kind]
    if body.get(field) is None:
        raise DecodeError(why("no_quantity", keys=f"{comp} without {field}"))
    name = device if index in ("", "0") else f"{device}:{index}"
    msg.add(name, quantity, body[field], unit, msg.received_at, key=f"{comp}.{field}")
