"""The Things Network (The Things Stack v3) uplink messages.

Topic ``v3/<application id>@<tenant id>/devices/<device id>/up`` (TTS docs,
"MQTT Server"; TTN uses tenant ``ttn``). Payload (TTS docs, "Data formats",
uplink message)::

    {"end_device_ids":{"device_id":"eui-70b3d57ed005d8e3",
      "application_ids":{"application_id":"museum"},"dev_eui":"70B3D57ED005D8E3"},
     "received_at":"2026-11-25T14:00:01.134Z",
     "uplink_message":{"f_port":2,"frm_payload":"CQ8BwQ==",
      "decoded_payload":{"temperature":21.3,"humidity":44.9},
      "rx_metadata":[{"gateway_ids":{"gateway_id":"gw1"},"rssi":-71,"snr":9.2}],
      "received_at":"2026-11-25T14:00:00.912Z"}}

``decoded_payload`` is whatever the device's payload formatter returns, so
its keys are mapped by :data:`KEYS`, a table of the names used by the codecs
in the TTN Device Repository (Elsys ERS, Dragino LHT65, Milesight AM307/AM319,
Decentlab DL-*). ``normalized_payload`` (LoRaWAN Payload Codec API, TS013;
TTS 3.26+) is read too: ``air.temperature``, ``air.relativeHumidity``,
``air.lightIntensity``, ``air.co2``. Formatters often emit numbers as
strings (``toFixed``), so strings holding numbers are accepted here. Keys are
matched without case (``Temperature``); SenseCAP ``messages`` lists are read by
measurement id (:data:`SENSECAP_IDS`). An uplink from which nothing is read is
rejected with its keys, never dropped silently.
The time is the network server's ``uplink_message.received_at``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, add_table, check_sensor, why

KEYS: dict[str, tuple[str, str]] = {
    "temperature": ("temperature", "°C"), "TempC_SHT": ("temperature", "°C"),
    "temp": ("temperature", "°C"),
    "humidity": ("relative_humidity", "%RH"), "Hum_SHT": ("relative_humidity", "%RH"),
    "relativeHumidity": ("relative_humidity", "%RH"),
    "light": ("illuminance", "lx"), "lux": ("illuminance", "lx"),
    "illuminance": ("illuminance", "lx"),
    "co2": ("co2", "ppm"),
    "tvoc": ("voc", "µg/m³"),  # Milesight AM319 codec: µg/m³ (check yours: some send a 1-5 level)
    "pm2_5": ("pm2_5", "µg/m³"), "pm25": ("pm2_5", "µg/m³"), "pm10": ("pm10", "µg/m³"),
    "so2": ("so2", "ppb"), "no2": ("nox", "ppb"),
    "acceleration": ("vibration", "m/s2"), "tilt": ("tilt", "°"),
    "strain": ("strain", "µε"),
}
NORMALIZED_AIR: dict[str, tuple[str, str]] = {
    "temperature": ("temperature", "°C"),
    "relativeHumidity": ("relative_humidity", "%RH"),
    "lightIntensity": ("illuminance", "lx"),
    "co2": ("co2", "ppm"),
}
_LOWER = {k.lower(): k for k in KEYS}
"""Keys compared without case: the Ezurio RS26x codec writes ``Temperature`` (a webhook
capture in thingsboard/data-converters, VENDORS/Ezurio/RS26x/guide.md)."""
# SenseCAP codecs (Seeed, in the TTN Device Repository) return {"err":0,"valid":true,
# "messages":[{"measurementId":"4097","measurementValue":18,"type":"Air Temperature"}, ...]},
# sometimes as a list of lists (S2120 weather station; TheThingsNetwork/lorawan-devices PR 596).
SENSECAP_IDS: dict[str, tuple[str, str]] = {
    "4097": ("temperature", "°C"),        # "Air Temperature"
    "4098": ("relative_humidity", "%RH"),  # "Air Humidity"
    "4099": ("illuminance", "lx"),         # "Light Intensity"
}
# TempC_DS is the LHT65's optional external probe (another place than the
# sensor itself), kept as status rather than mixed with TempC_SHT.
STATUS_KEYS = frozenset({"battery", "BatV", "vdd", "battery_voltage", "TempC_DS"})


def split_topic(topic: str) -> tuple[str, str, str] | None:
    """(application, device, kind) for ``v3/<app>/devices/<dev>/<kind>``."""
    parts = topic.split("/")
    if len(parts) >= 5 and parts[0] == "v3" and parts[2] == "devices" and parts[1] and parts[3]:
        return parts[1], parts[3], "/".join(parts[4:])
    return None


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings from the decoded (or normalized) payload of one TTN v3 uplink."""
    msg = Message(topic, payload, received_at, strings=True)
    parts = split_topic(topic)
    try:
        if parts is None:
            raise DecodeError(why("bad_topic", topic=topic[:80], fmt="ttn",
                                  pattern="v3/<app>@<tenant>/devices/<device>/up"))
        _, device, kind = parts
        if kind != "up":
            msg.status["ignored"] = [kind]
            return msg.finish()
        data = msg.json_object()
        uplink = _object(data, "uplink_message")
        ids = data.get("end_device_ids")
        if isinstance(ids, dict) and "device_id" in ids:
            device = ids["device_id"]
        sensor = msg.sensor = check_sensor(device)
    except DecodeError as exc:
        msg.reject(str(exc))
        return msg.finish()
    time = msg.time(uplink.get("received_at", data.get("received_at")))
    if time is None:
        return msg.finish()
    _link(msg, uplink)
    ignored: list[str] = []
    decoded = uplink.get("decoded_payload")
    if isinstance(decoded, dict):
        table = {k: KEYS[_LOWER[k.lower()]] for k in decoded if isinstance(k, str) and k.lower() in _LOWER}
        rest = {k: v for k, v in decoded.items() if k != "messages"}
        ignored += add_table(msg, sensor, rest, table, time, STATUS_KEYS, prefix="decoded_payload.")
        if isinstance(decoded.get("messages"), list):
            ignored += _sensecap(msg, sensor, decoded["messages"], time)
    normalized = uplink.get("normalized_payload")
    if isinstance(normalized, list) and not msg.readings:
        for item in normalized:
            air = item.get("air") if isinstance(item, dict) else None
            if isinstance(air, dict):
                ignored += add_table(msg, sensor, air, NORMALIZED_AIR, time,
                                     prefix="normalized_payload.air.")
    if ignored:
        msg.status["ignored"] = ignored
    if not isinstance(decoded, dict) and not isinstance(normalized, list):
        msg.reject(why("no_quantity", keys="no decoded_payload: set a payload formatter"))
    elif not msg.readings and not msg.rejections and not STATUS_KEYS & set(decoded or {}):
        msg.reject(why("no_quantity", keys=", ".join(ignored)[:120] or "none"))  # never silently nothing
    return msg.finish()


def _sensecap(msg: Message, sensor: str, messages: list[Any], time: datetime) -> list[str]:
    """Readings from a SenseCAP ``messages`` list (flat or a list of lists); the ignored ids."""
    flat = [m for group in messages for m in (group if isinstance(group, list) else [group])]
    ignored = []
    for m in flat:
        if not isinstance(m, dict) or "measurementId" not in m:
            continue
        mid = str(m["measurementId"])
        if mid in SENSECAP_IDS and m.get("measurementValue") is not None:
            quantity, unit = SENSECAP_IDS[mid]
            msg.add(sensor, quantity, m["measurementValue"], unit, time, key=f"messages.{mid}")
        else:
            ignored.append(f"messages.{mid}")
    return ignored


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise DecodeError(why("bad_field", key=key, what="missing or not an object",
                              what_zh="缺失或不是对象"))
    return value


def _link(msg: Message, uplink: dict[str, Any]) -> None:
    rx = uplink.get("rx_metadata")
    if isinstance(rx, list) and rx and isinstance(rx[0], dict):
        rssi = [g.get("rssi") for g in rx if isinstance(g, dict)]
        numbers = [r for r in rssi if isinstance(r, (int, float)) and not isinstance(r, bool)]
        if numbers:
            msg.status["rssi"] = max(numbers)
