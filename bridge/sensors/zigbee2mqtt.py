"""Zigbee2MQTT device state messages and availability, 1.x and 2.x.

Topics (Zigbee2MQTT docs, "MQTT topics and messages"):

- ``zigbee2mqtt/<friendly_name>``: a JSON object of exposed properties, e.g.
  ``{"battery":100,"humidity":58.3,"linkquality":87,"temperature":21.5,"voltage":3005}``;
- ``zigbee2mqtt/<friendly_name>/availability``: ``online``/``offline`` (legacy
  1.x text) or ``{"state":"online"}`` (1.33+ and 2.x);
- ``zigbee2mqtt/bridge/...``: the bridge itself, not a sensor (status only).

1.x publishes ``illuminance`` as a raw value and ``illuminance_lux`` in lx;
2.0 ("breaking changes" note, 2024-12) dropped ``illuminance_lux`` and made
``illuminance`` lx. So ``illuminance`` counts only when ``illuminance_lux`` is absent.

Units are those of the converters' exposes (zigbee-herdsman-converters
``lib/exposes.ts``): temperature °C, humidity %, illuminance lx, co2 ppm,
voc µg/m³, pm25/pm10 µg/m³, angle_x/y/z ° (Aqara DJT11LM vibration sensor).
The scene's tilt is ``angle_x`` (the x axis against the horizontal plane);
``angle_y``/``angle_z``, the vibration flag and ``strength`` are kept as status.
``formaldehyd`` (mg/m³) is one compound, not TVOC, so it is ignored; ``tilt``
there is a true/false event, not an angle, and ``eco2`` an estimate, both status.
"""

from __future__ import annotations

from datetime import datetime

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, add_table, check_sensor, why

ROOT = "zigbee2mqtt"

KEYS: dict[str, tuple[str, str]] = {
    "temperature": ("temperature", "°C"),
    "humidity": ("relative_humidity", "%RH"),
    "illuminance_lux": ("illuminance", "lx"),
    "illuminance": ("illuminance", "lx"),
    "co2": ("co2", "ppm"),
    "voc": ("voc", "µg/m³"),
    "pm25": ("pm2_5", "µg/m³"),
    "pm10": ("pm10", "µg/m³"),
    "angle_x": ("tilt", "°"),
}
STATUS_KEYS = frozenset({
    "tilt", "illuminance_raw", "eco2", "battery", "linkquality", "voltage", "battery_low", "vibration", "strength",
    "angle_y", "angle_z", "device_temperature", "power_outage_count", "last_seen",
})


def split_topic(topic: str) -> tuple[str, str] | None:
    """(friendly_name, suffix) of a Zigbee2MQTT topic; suffix '' or 'availability'."""
    if not topic.startswith(ROOT + "/"):
        return None
    rest = topic[len(ROOT) + 1:]
    if rest.endswith("/availability"):
        return rest[: -len("/availability")], "availability"
    return rest, ""


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings, availability and battery/link status from one Zigbee2MQTT message."""
    msg = Message(topic, payload, received_at)
    parts = split_topic(topic)
    try:
        if parts is None:
            raise DecodeError(why("bad_topic", topic=topic[:80], fmt="zigbee2mqtt",
                                  pattern="zigbee2mqtt/<friendly_name>[/availability]"))
        name, suffix = parts
        if name == "bridge" or name.startswith("bridge/"):
            msg.status["bridge"] = name
            return msg.finish()
        if name.endswith(("/set", "/get")):
            msg.status["command"] = name
            return msg.finish()
        sensor = msg.sensor = check_sensor(name or sensor_hint)
        if suffix == "availability":
            msg.status["availability"] = _availability(msg)
            return msg.finish()
        data = msg.json_object()
    except DecodeError as exc:
        msg.reject(str(exc))
        return msg.finish()
    time = msg.time(data.get("last_seen"))
    if time is None:
        return msg.finish()
    if "illuminance_lux" in data:  # 1.x: "illuminance" is the raw register value
        data = {k: v for k, v in data.items() if k != "illuminance"}
        msg.status["illuminance_raw"] = True
    ignored = add_table(msg, sensor, data, KEYS, time, STATUS_KEYS)
    if ignored:
        msg.status["ignored"] = ignored
    return msg.finish()


def _availability(msg: Message) -> str:
    text = msg.text().strip()
    if text in ("online", "offline"):
        return text
    data = msg.json_object()
    state = data.get("state")
    if state not in ("online", "offline"):
        raise DecodeError(why("bad_field", key="state", what="must be 'online' or 'offline'",
                              what_zh="应为 'online' 或 'offline'"))
    return str(state)

