"""relic-twin's own JSON convention.

Topic ``relic-twin/<hall>/<sensor_id>``; payload a UTF-8 JSON object::

    {"sensor": "S01", "time": "2026-11-25T14:00:00Z",
     "temperature": 21.3, "relative_humidity": 48.2,
     "units": {"temperature": "°C"}}

- ``sensor`` optional (else the topic's last level, else ``sensor_hint``);
- ``time`` optional: ISO 8601 with a zone, or epoch seconds (else received_at);
- ``units`` optional: quantity -> unit (default the canonical unit);
- ``battery`` (%) and ``linkquality`` (0-255) optional, kept as status;
- every other key must be a canonical quantity name with a JSON number.

This is our own format, so it is strict: numbers sent as strings and unknown
keys are rejected, each with its reason, while the good fields still count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from bridge.errors import DecodeError
from bridge.readings import Decoded, Reading
from bridge.sensors.message import (
    _JSON,
    EARLIEST,
    KNOWN_QUANTITIES,
    MAX_AHEAD,
    MAX_PAYLOAD_BYTES,
    Message,
    check_sensor,
    parse_time,
    to_float,
    why,
)
from simulation.quantities import QUANTITIES

TOPIC_ROOT = "relic-twin"
TOPIC_PATTERN = "relic-twin/<hall>/<sensor_id>"
META_KEYS = ("sensor", "time", "units")
STATUS_KEYS = ("battery", "linkquality")


def sensor_from_topic(topic: str) -> str | None:
    """The sensor id of a native topic, None when the topic is not native."""
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == TOPIC_ROOT and parts[1] and parts[2]:
        return parts[2]
    return None


HALL_MAX = 64  # characters; the store's hall column


def hall_from_topic(topic: str) -> str:
    """The hall a relic-twin topic names (``relic-twin/<hall>/<sensor>[/senml]``); '' for any other topic.

    >>> hall_from_topic("relic-twin/hall_b/S01"), hall_from_topic("zigbee2mqtt/case-1")
    ('hall_b', '')
    """
    parts = topic.split("/")
    if len(parts) in (3, 4) and parts[0] == TOPIC_ROOT and parts[2] and (len(parts) == 3 or parts[3] == "senml"):
        hall = parts[1]
        if 0 < len(hall) <= HALL_MAX and "+" not in hall and "#" not in hall:
            return hall
    return ""


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings (canonical units) and rejections from one native message."""
    fast = _decode_fast(topic, payload, received_at, sensor_hint)
    if fast is not None:
        return fast
    msg = Message(topic, payload, received_at)
    try:
        data = msg.json_object()
        sensor = msg.sensor = _sensor(data, topic, sensor_hint)
        unit_map = data.get("units", {})
        if not isinstance(unit_map, dict):
            raise DecodeError(why("bad_field", key="units", what="must be an object",
                                  what_zh="必须是对象"))
    except DecodeError as exc:
        msg.reject(str(exc))
        return msg.finish()
    for key in unit_map:
        if key not in QUANTITIES:
            msg.reject(why("unknown_key", key=f"units.{key}"[:60], known=KNOWN_QUANTITIES))
    time = msg.time(data.get("time"))
    if time is None:
        return msg.finish()
    for key, raw in data.items():
        if key in META_KEYS:
            continue
        if key in STATUS_KEYS:
            try:
                msg.status[key] = to_float(key, raw, strings=False)
            except DecodeError as exc:
                msg.reject(str(exc))
        elif key in QUANTITIES:
            unit = unit_map.get(key)
            msg.add(sensor, key, raw, None if unit is None else str(unit), time)
        else:
            msg.reject(why("unknown_key", key=key[:60], known=KNOWN_QUANTITIES))
    msg.nothing_known(data.keys())
    return msg.finish()


#: quantity -> (canonical unit, low, high) for the fast path
_RANGES = {name: (q.unit, q.low, q.high) for name, q in QUANTITIES.items()}
_TOPIC_SENSORS: dict[str, str | None] = {}  # topic -> checked sensor id (None: not native, '': bad)
_TOPIC_CACHE_MAX = 10_000


def _decode_fast(topic: str, payload: bytes, received_at: datetime,
                 sensor_hint: str | None) -> Decoded | None:
    """The common well-formed message, decoded without a :class:`Message`; None for anything else.

    Takes only payloads every check of the full path would pass unchanged:
    a JSON object (no repeated key) of ``time`` and/or ``sensor`` and
    canonical quantities whose values are finite JSON numbers inside their
    physical range, with no ``units`` and no status keys, and a time that
    parses and is plausible. Everything else (including every message that
    would give a rejection) returns None and goes through the full path,
    so results and reasons are the same either way.
    """
    if len(payload) > MAX_PAYLOAD_BYTES or payload[:1] != b"{":
        return None
    try:
        data = _JSON.decode(payload.decode("utf-8"))
        received = received_at.astimezone(UTC)
        if received_at.utcoffset() is None or "units" in data:
            return None
        if "sensor" in data:
            sensor = check_sensor(data["sensor"])
        else:
            sensor = _topic_sensor(topic)
            if sensor is None:
                if not sensor_hint:
                    return None
                sensor = check_sensor(sensor_hint)
            elif not sensor:  # the topic names a sensor, a bad one: rejected by the full path
                return None
        raw_time = data.get("time")
        if raw_time is None:
            time = received
        else:
            time = parse_time(raw_time)
            if time - received > MAX_AHEAD or time < EARLIEST:
                return None
        readings = []
        for key, raw in data.items():
            spec = _RANGES.get(key)
            if spec is None:
                if key in META_KEYS:
                    continue
                return None
            kind = type(raw)
            if kind is not float and kind is not int:  # bool, str, null...: the full path says why
                return None
            value = float(raw)
            unit, low, high = spec
            if not low <= value <= high:  # also false for NaN; infinities are out of range too
                return None
            readings.append(Reading(sensor, key, time, value, unit))
    except (ValueError, OverflowError, TypeError, RecursionError, DecodeError):  # the full path says why
        return None
    if not readings:
        return None
    return Decoded(readings, [], {})


def _topic_sensor(topic: str) -> str | None:
    """``check_sensor(sensor_from_topic(topic))``, cached; None when the topic names no sensor, '' when a bad one."""
    try:
        return _TOPIC_SENSORS[topic]
    except KeyError:
        pass
    sensor = sensor_from_topic(topic)
    if sensor is not None:
        try:
            sensor = check_sensor(sensor)
        except DecodeError:
            sensor = ""
    if len(_TOPIC_SENSORS) >= _TOPIC_CACHE_MAX:
        _TOPIC_SENSORS.clear()
    _TOPIC_SENSORS[topic] = sensor
    return sensor


def _sensor(data: dict[str, object], topic: str, hint: str | None) -> str:
    if "sensor" in data:
        return check_sensor(data["sensor"])
    from_topic = sensor_from_topic(topic)
    if from_topic is not None:
        return check_sensor(from_topic)
    if hint:
        return check_sensor(hint)
    raise DecodeError(why("bad_topic", topic=topic[:80], fmt="native", pattern=TOPIC_PATTERN))


def encode(sensor_id: str, readings: Sequence[Reading], hall: str = "hall"
           ) -> list[tuple[str, bytes]]:
    """One native message per distinct reading time, values in the readings' units."""
    by_time: dict[datetime, list[Reading]] = {}
    for r in readings:
        by_time.setdefault(r.time, []).append(r)
    out = []
    for time, group in by_time.items():
        body: dict[str, object] = {"sensor": sensor_id,
                                   "time": time.isoformat().replace("+00:00", "Z")}
        units = {r.quantity: r.unit for r in group if r.unit != QUANTITIES[r.quantity].unit}
        for r in group:
            body[r.quantity] = r.value
        if units:
            body["units"] = units
        out.append((f"{TOPIC_ROOT}/{hall}/{sensor_id}",
                    json.dumps(body, ensure_ascii=False).encode("utf-8")))
    return out
