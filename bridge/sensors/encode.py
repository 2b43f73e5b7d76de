"""The inverse of the decoders: readings -> MQTT messages in every convention.

The virtual fleet uses this to publish the same readings as each kind of
device would, so every decoder is exercised end to end. Values are written
in the unit the convention uses (ppb for a Zigbee2MQTT ``voc``, say).

Conventions that carry no measurement time (Tasmota's ``Time`` is a local
time without a zone, Home Assistant states carry none) lose it: their
decoders stamp the time of arrival.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from types import MappingProxyType

from bridge.readings import Reading
from bridge.sensors import ha_discovery, native, shelly, tasmota, ttn, units, zigbee2mqtt
from simulation.quantities import NAMES, QUANTITIES

Message = tuple[str, bytes]

_SENML_UNITS = {"temperature": "Cel", "relative_humidity": "%RH", "illuminance": "lx",
                "colour_temperature": "K", "co2": "ppm", "so2": "ug/m3", "nox": "ug/m3",
                "pm2_5": "ug/m3", "pm10": "ug/m3", "voc": "ug/m3", "vibration": "m/s2",
                "tilt": "deg"}
# Tasmota driver that reports each quantity in the messages we write.
_TASMOTA = {"temperature": ("SHT3X", "Temperature"), "relative_humidity": ("SHT3X", "Humidity"),
            "illuminance": ("TCS34725", "Illuminance"),
            "colour_temperature": ("TCS34725", "ColorTemp"),
            "co2": ("SCD40", "CarbonDioxide"), "voc": ("SGP30", "TVOC"),
            "pm2_5": ("SDS0X1", "PM2.5"), "pm10": ("SDS0X1", "PM10")}


def _inverse(table: dict[str, tuple[str, str]], skip: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for key, (quantity, unit) in table.items():
        if key not in skip:
            out.setdefault(quantity, (key, unit))
    return out


_Z2M = _inverse(zigbee2mqtt.KEYS, skip=("illuminance_lux",))
_TTN = _inverse(ttn.KEYS)
_HA_CLASSES = {q: c for c, q in reversed(ha_discovery.DEVICE_CLASSES.items())}

ENCODABLE = MappingProxyType({
    "native": frozenset(NAMES),
    "senml": frozenset(NAMES),
    "zigbee2mqtt": frozenset(_Z2M),
    "tasmota": frozenset(_TASMOTA),
    "shelly": frozenset(q for _, q, _ in shelly.GEN2_KEYS.values()),
    "ttn": frozenset(_TTN),
    "ha_discovery": frozenset(_HA_CLASSES),
})
"""Format -> the quantities it can carry."""


def encode(fmt: str, sensor_id: str, readings: Sequence[Reading], hall: str = "hall"
           ) -> list[Message]:
    """MQTT (topic, payload) messages carrying ``readings`` the way ``fmt`` devices do.

    readings : in canonical units (``Reading.unit`` as in the quantity table)
    hall : the hall level of native and SenML topics
    One message per distinct reading time (Shelly Gen2: per time; HA: a config
    per quantity then one state per time). ValueError for a quantity the
    format cannot carry (see :data:`ENCODABLE`) or an unknown format.
    """
    if fmt not in ENCODABLE:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(ENCODABLE)}")
    extra = {r.quantity for r in readings} - ENCODABLE[fmt]
    if extra:
        raise ValueError(f"{fmt} cannot carry {', '.join(sorted(extra))}")
    if fmt == "native":
        return native.encode(sensor_id, readings, hall)
    out: list[Message] = []
    if fmt == "ha_discovery":
        out += _ha_configs(sensor_id, readings)
    for time, group in _by_time(readings).items():
        out.append(_ENCODERS[fmt](sensor_id, time, group, hall))
    return out


def _by_time(readings: Sequence[Reading]) -> dict[datetime, dict[str, float]]:
    out: dict[datetime, dict[str, float]] = {}
    for r in readings:
        value = r.value if r.unit == QUANTITIES[r.quantity].unit else \
            units.to_canonical(r.quantity, r.value, r.unit)
        out.setdefault(r.time, {})[r.quantity] = value
    return out


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _senml(sensor: str, t: datetime, values: dict[str, float], hall: str) -> Message:
    pack: list[dict[str, object]] = []
    for i, (q, v) in enumerate(values.items()):
        rec: dict[str, object] = {"n": q, "v": v}
        rec["u"] = _SENML_UNITS.get(q, QUANTITIES[q].unit)
        if i == 0:
            rec = {"bn": f"{sensor}:", "bt": t.timestamp(), **rec}
        pack.append(rec)
    return f"relic-twin/{hall}/{sensor}/senml", _json(pack)


def _z2m(sensor: str, t: datetime, values: dict[str, float], hall: str) -> Message:
    body: dict[str, object] = {}
    for q, v in values.items():
        key, unit = _Z2M[q]
        body[key] = units.from_canonical(q, v, unit)
    body.update({"linkquality": 120, "last_seen": _iso(t)})
    return f"{zigbee2mqtt.ROOT}/{sensor}", _json(body)


def _tasmota(sensor: str, t: datetime, values: dict[str, float], hall: str) -> Message:
    body: dict[str, object] = {"Time": t.replace(tzinfo=None).isoformat(timespec="seconds")}
    for q, v in values.items():
        driver, field = _TASMOTA[q]
        unit = "°C" if q == "temperature" else tasmota.KEYS[field][1]
        body.setdefault(driver, {})[field] = units.from_canonical(q, v, unit)  # type: ignore[index]
    body["TempUnit"] = "C"
    return f"tele/{sensor}/SENSOR", _json(body)


def _shelly(sensor: str, t: datetime, values: dict[str, float], hall: str) -> Message:
    params: dict[str, object] = {"ts": t.timestamp()}
    fields = {q: (kind, f) for kind, (f, q, _) in shelly.GEN2_KEYS.items()}
    for q, v in values.items():
        kind, field = fields[q]
        params[f"{kind}:0"] = {"id": 0, field: v}
    body = {"src": sensor, "dst": f"{sensor}/events", "method": "NotifyStatus", "params": params}
    return f"{sensor}/events/rpc", _json(body)


def _ttn(sensor: str, t: datetime, values: dict[str, float], hall: str) -> Message:
    decoded = {}
    for q, v in values.items():
        key, unit = _TTN[q]
        decoded[key] = units.from_canonical(q, v, unit)
    body = {"end_device_ids": {"device_id": sensor, "application_ids": {"application_id": hall}},
            "received_at": _iso(t),
            "uplink_message": {"f_port": 2, "decoded_payload": decoded,
                               "rx_metadata": [{"gateway_ids": {"gateway_id": "virtual"},
                                                "rssi": -70, "snr": 9.0}],
                               "received_at": _iso(t)}}
    return f"v3/{hall}@ttn/devices/{sensor}/up", _json(body)


def ha_state_topic(sensor: str) -> str:
    """The state topic the fleet uses for a Home Assistant sensor."""
    return f"relic-twin-ha/{sensor}/state"


def _ha_configs(sensor: str, readings: Sequence[Reading]) -> list[Message]:
    out = []
    for q in dict.fromkeys(r.quantity for r in readings):
        found = ha_discovery.Discovered(sensor, q, ha_state_topic(sensor),
                                        QUANTITIES[q].unit, (q,),
                                        f"homeassistant/sensor/{sensor}/{q}/config", q)
        out.append((found.config_topic, ha_discovery.encode_config(found)))
    return out


def _ha_state(sensor: str, t: datetime, values: dict[str, float], hall: str) -> Message:
    return ha_state_topic(sensor), _json(values)


_ENCODERS = {"senml": _senml, "zigbee2mqtt": _z2m, "tasmota": _tasmota, "shelly": _shelly,
             "ttn": _ttn, "ha_discovery": _ha_state}
