"""Tasmota telemetry: ``tele/<topic>/SENSOR`` and ``tele/<topic>/LWT``.

The topic follows the device's FullTopic: ``%prefix%/%topic%/`` by default, but
``%topic%/%prefix%/`` (``<topic>/tele/SENSOR``) and no prefix at all
(``<topic>/SENSOR``, seen in a user's log, arendst/Tasmota issue 4202) are met too.

SENSOR payloads (Tasmota docs, "Sensors" and "MQTT"; HATasmota ``sensor.py``)
nest one object per attached sensor, named by driver::

    {"Time":"2021-01-01T00:00:00","SHT3X":{"Temperature":21.4,"Humidity":45.1,
     "DewPoint":9.1},"TempUnit":"C"}

``Time`` is the device's *local* time without a zone, so it cannot be placed
on the UTC axis: readings take the time the message was received (as
HATasmota does). ``TempUnit`` ("C"/"F") applies to every temperature.
When two drivers report the same quantity (two DS18B20, say) each becomes
its own sensor ``<topic>/<driver>``; otherwise the sensor is ``<topic>``.
``LWT`` is ``Online``/``Offline`` and becomes the availability status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, check_sensor, why

# driver field -> (quantity, unit); temperature unit is replaced by TempUnit.
KEYS: dict[str, tuple[str, str]] = {
    "Temperature": ("temperature", "°C"),
    "Humidity": ("relative_humidity", "%RH"),
    "Illuminance": ("illuminance", "lx"),       # BH1750, TSL2561, TCS34725, APDS9960
    "ColorTemp": ("colour_temperature", "K"),   # TCS34725
    "CarbonDioxide": ("co2", "ppm"),             # MH-Z19B, SCD30, SCD40, SenseAir
    "eCO2": ("co2", "ppm"),                      # SGP30, CCS811, ENS160 (equivalent CO2)
    "TVOC": ("voc", "ppb"),                      # SGP30, CCS811, ENS160 report ppb
    "PM2.5": ("pm2_5", "µg/m³"),                 # SDS0X1, PMS5003 (atmospheric)
    "PM10": ("pm10", "µg/m³"),
    "UvPower": ("uv", "W/m2"),                   # VEML6070, needs Illuminance too
}
# eCO2 is an estimate from VOCs; a real CarbonDioxide in the same driver wins.
TOP_LEVEL_SKIP = frozenset({"Time", "TempUnit", "PressureUnit", "SpeedUnit", "WeightUnit"})
# The ESP chip's own temperature (SetOption146) is not the room's: kept as status.
CHIP_DRIVERS = frozenset({"ESP32", "ESP8266"})


KINDS = ("SENSOR", "LWT", "STATE")
"""The telemetry kinds read; the last topic level, in capitals as Tasmota writes them."""


def split_topic(topic: str) -> tuple[str, str] | None:
    """(device topic, kind) for ``tele/<topic>/<kind>`` (FullTopic ``%prefix%/%topic%/``, the
    default) or ``<topic>/tele/<kind>`` (``%topic%/%prefix%/``); None otherwise."""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[0] == "tele" and all(parts[1:]):
        return "/".join(parts[1:-1]), parts[-1]
    if len(parts) >= 3 and parts[-2] == "tele" and parts[-1] in KINDS and all(parts):
        return "/".join(parts[:-2]), parts[-1]
    return None


def split_any_topic(topic: str) -> tuple[str, str] | None:
    """:func:`split_topic`, or ``<topic>/<KIND>`` for a FullTopic without ``%prefix%``
    (``kidsbedmain/SENSOR``, as logged in arendst/Tasmota issue 4202). Too loose to detect
    the convention by, so only for a sensor the scene names as ``format = "tasmota"``."""
    found = split_topic(topic)
    if found is None:
        head, _, kind = topic.rpartition("/")
        if head and kind in KINDS and all(head.split("/")):
            return head, kind
    return found


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings from a SENSOR message, availability from an LWT message."""
    msg = Message(topic, payload, received_at)
    parts = split_any_topic(topic)
    try:
        if parts is None:
            raise DecodeError(why("bad_topic", topic=topic[:80], fmt="tasmota",
                                  pattern="tele/<topic>/SENSOR | <topic>/tele/SENSOR"))
        device, kind = parts
        device = msg.sensor = check_sensor(device)
        if kind == "LWT":
            text = msg.text().strip()
            if text not in ("Online", "Offline"):
                raise DecodeError(why("bad_field", key="LWT", what="must be Online or Offline",
                                      what_zh="应为 Online 或 Offline"))
            msg.status["availability"] = text.lower()
            return msg.finish()
        if kind == "STATE":
            state = msg.json_object()
            wifi = state.get("Wifi")
            if isinstance(wifi, dict) and "Signal" in wifi:
                msg.status["rssi"] = wifi["Signal"]
            return msg.finish()
        if kind != "SENSOR":
            msg.status["ignored"] = [kind]
            return msg.finish()
        data = msg.json_object()
    except DecodeError as exc:
        msg.reject(str(exc))
        return msg.finish()
    _sensor_fields(msg, device, data)
    return msg.finish()


def _sensor_fields(msg: Message, device: str, data: dict[str, Any]) -> None:
    temp_unit = "°" + str(data.get("TempUnit", "C"))
    drivers = {k: v for k, v in data.items() if isinstance(v, dict) and k not in TOP_LEVEL_SKIP
               and k not in CHIP_DRIVERS}
    for chip in CHIP_DRIVERS & data.keys():
        if isinstance(data[chip], dict) and "Temperature" in data[chip]:
            msg.status["chip_temperature"] = data[chip]["Temperature"]
    counts: dict[str, int] = {}
    for fields in drivers.values():
        for q in {KEYS[f][0] for f in _fields(fields)}:
            counts[q] = counts.get(q, 0) + 1
    ignored = [k for k, v in data.items()
               if k not in TOP_LEVEL_SKIP and k not in CHIP_DRIVERS and not isinstance(v, dict)]
    for driver, fields in drivers.items():
        for field in fields:
            if field not in KEYS:
                ignored.append(f"{driver}.{field}")
        for field in _fields(fields):
            quantity, unit = KEYS[field]
            sensor = device if counts[quantity] == 1 else f"{device}/{driver}"
            unit = temp_unit if quantity == "temperature" else unit
            msg.add(sensor, quantity, fields[field], unit, msg.received_at, key=f"{driver}.{field}")
    if ignored:
        msg.status["ignored"] = ignored


def _fields(fields: dict[str, Any]) -> list[str]:
    known = [f for f in fields if f in KEYS and fields[f] is not None]
    if "CarbonDioxide" in known and "eCO2" in known:
        known.remove("eCO2")
    return known
