"""SenML JSON (RFC 8428) packs.

Topic ``relic-twin/<hall>/<sensor_id>/senml``; payload a JSON array of records::

    [{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320078429e+09,"bu":"Cel",
      "n":"temperature","v":23.1},
     {"n":"humidity","u":"%RH","v":45.2,"t":-5}]

Resolution follows RFC 8428 §4.6: base fields (bn, bt, bu, bv) apply to the
record that holds them and every later one until changed; name = bn + n;
time = bt + t, and a resolved time below 2**28 is relative to now (§4.5.3),
here received_at; unit = u or bu; value = bv + v. The record name after the
base name picks the quantity (:data:`NAMES`); the sensor is the base name
without its trailing ``:``/``/`` separator, else the topic's sensor. When the
name is the device itself (RFC 8428 §5.1.1, ``{"n":"urn:dev:ow:...","u":"Cel"}``)
without a base name, a unit that names one quantity (:data:`UNIT_QUANTITY`)
picks it.
Units are RFC 8428 §12.1 / RFC 8798 symbols (``Cel``, ``%RH``, ``lx``,
``ppm``, ``ug/m3``, ``m/s2``, ``K``, ``/``). SenML values must be numbers:
``vs``, ``vb`` and ``vd`` records are rejected for our quantities.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, check_sensor, parse_time, to_float, why
from simulation.quantities import QUANTITIES

SUFFIX = "senml"
RELATIVE_LIMIT = 2**28  # RFC 8428 §4.5.3: smaller times are relative to "now"

NAMES: dict[str, str] = {q: q for q in QUANTITIES}
NAMES.update({
    "temp": "temperature", "humidity": "relative_humidity", "rh": "relative_humidity",
    "lux": "illuminance", "light": "illuminance", "colour-temperature": "colour_temperature",
    "color-temperature": "colour_temperature", "pm2.5": "pm2_5", "pm25": "pm2_5",
    "tvoc": "voc", "no2": "nox", "acceleration": "vibration", "angle": "tilt",
})

# Units that name one quantity on their own (RFC 8428 §12.1, RFC 8798).
UNIT_QUANTITY: dict[str, str] = {"Cel": "temperature", "%RH": "relative_humidity",
                                 "lx": "illuminance", "ppm": "co2", "m/s2": "vibration"}


def sensor_from_topic(topic: str) -> str | None:
    """Sensor id of ``relic-twin/<hall>/<sensor>/senml``; None otherwise."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == "relic-twin" and parts[3] == SUFFIX and parts[1] and parts[2]:
        return parts[2]
    return None


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings from one SenML JSON pack."""
    msg = Message(topic, payload, received_at)
    try:
        pack = msg.json()
        if not isinstance(pack, list):
            raise DecodeError(why("not_object", kind=type(pack).__name__ + " (SenML wants an array)"))
        if not pack:
            raise DecodeError(why("empty"))
    except DecodeError as exc:
        msg.reject(str(exc))
        return msg.finish()
    base: dict[str, Any] = {"bn": "", "bt": 0.0, "bu": None, "bv": 0.0}
    default_sensor = sensor_from_topic(topic) or sensor_hint
    for i, record in enumerate(pack):
        try:
            if not isinstance(record, dict):
                raise DecodeError(why("bad_field", key=f"record {i}", what="is not an object",
                                      what_zh="不是对象"))
            _record(msg, i, record, base, default_sensor)
        except DecodeError as exc:
            msg.reject(str(exc))
    return msg.finish()


def _record(msg: Message, i: int, rec: dict[str, Any], base: dict[str, Any],
            default_sensor: str | None) -> None:
    for key in ("bn", "bu"):
        if key in rec:
            if not isinstance(rec[key], str):
                raise DecodeError(why("bad_field", key=f"record {i}.{key}",
                                      what="must be a string", what_zh="必须是字符串"))
            base[key] = rec[key]
    for key in ("bt", "bv"):
        if key in rec:
            base[key] = to_float(f"record {i}.{key}", rec[key], strings=False)
    name = rec.get("n", "")
    if not isinstance(name, str):
        raise DecodeError(why("bad_field", key=f"record {i}.n", what="must be a string",
                              what_zh="必须是字符串"))
    if "v" not in rec and "n" not in rec:
        return  # a base-only record
    unit = rec.get("u", base["bu"])
    quantity = NAMES.get(name.lower())
    key = f"record {i} ({base['bn']}{name})"
    sensor = base["bn"].rstrip(":/") or default_sensor
    if quantity is None and not base["bn"] and isinstance(unit, str) and unit in UNIT_QUANTITY:
        # RFC 8428 §5.1.1: the name is the device, the unit says what it measures
        quantity, sensor = UNIT_QUANTITY[unit], (base["bn"] + name).rstrip(":/")
    if quantity is None:
        raise DecodeError(why("unknown_key", key=f"{base['bn']}{name}"[:60],
                              known=", ".join(NAMES)))
    if "v" not in rec:
        raise DecodeError(why("bad_field", key=key, what="has no numeric value v",
                              what_zh="没有数值 v"))
    if not sensor:
        raise DecodeError(why("bad_topic", topic=msg.topic[:80], fmt="senml",
                              pattern="relic-twin/<hall>/<sensor_id>/senml"))
    sensor = check_sensor(sensor)
    t = base["bt"] + to_float(f"{key}.t", rec.get("t", 0.0), strings=False)
    if abs(t) < RELATIVE_LIMIT:
        time = msg.check_time(msg.received_at + timedelta(seconds=t))
    else:
        time = msg.check_time(parse_time(t))
    value = to_float(key, rec["v"], strings=False) + base["bv"]
    msg.add(sensor, quantity, value, unit, time, key=key)
