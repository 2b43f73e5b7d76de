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

RFC 8428 §4.4 versions and extensions: a pack whose ``bver`` is not an integer or is above
:data:`SENML_VERSION` (10, this RFC's) is rejected whole, as is a pack with a field ending in
``_`` ("must understand") other than ``i_``. ``i_`` is KPN ThingsML's measurement index, a
SenML extension that KPN's ThingsML libraries emit in place of ``n`` and ``u`` (an ESP8266
capture in ``tests/data/payloads/senml/``): :data:`THINGSML_INDEX` maps the indices of our
quantities, with the unit the index implies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bridge.errors import DecodeError
from bridge.readings import Decoded
from bridge.sensors.message import Message, check_sensor, parse_time, to_float, why, wrong_json
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

NAMES.update({"co2concentration": "co2"})  # KPN ThingsML's name (senml_enums.h SENML_NAME_CO2_CONCENTRATION)

SENML_VERSION = 10
"""The SenML version this decoder reads (RFC 8428 §4.4: ``bver`` defaults to 10)."""

# KPN ThingsML measurement indices (``i_``) of our quantities and the unit each implies: the
# ThingsMLMeasurementIndex enum of github.com/kpn-iot/thingsml-c-library src/senml/senml_enums.h.
THINGSML_INDEX: dict[int, tuple[str, str]] = {-24: ("temperature", "Cel"), -23: ("relative_humidity", "%RH"),
                                              -4: ("illuminance", "lx"), 2: ("co2", "ppm")}

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
            raise DecodeError(wrong_json(pack, list))  # a SenML pack is an array (RFC 8428 §4)
        if not pack:
            raise DecodeError(why("empty"))
        _check_pack(pack)
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


def _check_pack(pack: list[Any]) -> None:
    """RFC 8428 §4.4: a pack of a later version, or with a must-understand field (``..._``) this
    decoder does not understand, is not used at all."""
    for i, rec in enumerate(pack):
        if not isinstance(rec, dict):
            continue
        if "bver" in rec:
            v = rec["bver"]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or not 0 < v <= SENML_VERSION:
                raise DecodeError(why("bad_field", key=f"record {i}.bver",
                                      what=f"SenML version {v!r}: this decoder reads version {SENML_VERSION} "
                                           f"and below (RFC 8428 §4.4); pack not used",
                                      what_zh=f"SenML 版本 {v!r}：本解码器只读 {SENML_VERSION} 及以下版本，整包不用"))
        for key in rec:
            if isinstance(key, str) and key.endswith("_") and key != "i_":
                raise DecodeError(why("bad_field", key=f"record {i}.{key}"[:60],
                                      what="a must-understand field this decoder does not know (RFC 8428 §4.4); "
                                           "pack not used",
                                      what_zh="必须理解的字段，本解码器不认识，整包不用"))


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
    if "v" not in rec and "n" not in rec and "i_" not in rec:
        return  # a base-only record
    unit = rec.get("u", base["bu"])
    quantity = NAMES.get(name.lower())
    if "i_" in rec and "n" not in rec:  # KPN ThingsML: the index names the measurement and its unit
        index = rec["i_"]
        if isinstance(index, bool) or not isinstance(index, int) or index not in THINGSML_INDEX:
            raise DecodeError(why("bad_field", key=f"record {i}.i_",
                                  what=f"ThingsML index {index!r} is not one of our quantities "
                                       f"(known: {', '.join(f'{k} {q}' for k, (q, _) in THINGSML_INDEX.items())})",
                                  what_zh=f"ThingsML 序号 {index!r} 不是已知的量"))
        quantity, implied = THINGSML_INDEX[index]
        unit = rec.get("u", implied)
        name = f"i_={index}"
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
