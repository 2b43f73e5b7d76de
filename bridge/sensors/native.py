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
from datetime import datetime

from bridge.errors import DecodeError
from bridge.readings import Decoded, Reading
from bridge.sensors.message import KNOWN_QUANTITIES, Message, check_sensor, to_float, why
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


def decode(topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Readings (canonical units) and rejections from one native message."""
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
