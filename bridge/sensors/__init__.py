"""Sensor payload decoders, one per device convention, behind one small API.

>>> from datetime import datetime, timezone
>>> d = decode("native", "relic-twin/hall/S01", b'{"temperature": 21.3}',
...            datetime(2026, 11, 25, 14, tzinfo=timezone.utc))
>>> d.readings[0].quantity, d.readings[0].value, d.readings[0].unit
('temperature', 21.3, '°C')

``decode`` never raises for bad input: everything it cannot use comes back as
a :class:`~bridge.readings.Rejection` with a reason (English | 中文).
relic-twin's own conventions (native, SenML) reject unknown keys; the vendor
conventions list keys that are valid there but carry no relic-twin quantity
(``action``, ``voltage``, ``sys``...) in ``status["ignored"]`` instead, so
quarantine holds only what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bridge.readings import Decoded
from bridge.sensors import ha_discovery, native, senml, shelly, tasmota, ttn, zigbee2mqtt
from bridge.sensors.message import Message, why

__all__ = ["FORMATS", "decode", "detect_format"]

Decoder = Callable[[str, bytes, datetime, "str | None"], Decoded]

_DECODERS: dict[str, Decoder] = {
    "native": native.decode,
    "senml": senml.decode,
    "zigbee2mqtt": zigbee2mqtt.decode,
    "tasmota": tasmota.decode,
    "shelly": shelly.decode,
    "ttn": ttn.decode,
    "ha_discovery": ha_discovery.decode,
}

FORMATS: tuple[str, ...] = tuple(_DECODERS)
"""Names of the supported conventions, for ``decode(fmt, ...)``."""


def detect_format(topic: str) -> str | None:
    """The convention a topic belongs to, None when no convention matches."""
    checks = (
        ("ha_discovery", ha_discovery.split_topic),
        ("ttn", ttn.split_topic),
        ("zigbee2mqtt", zigbee2mqtt.split_topic),
        ("tasmota", tasmota.split_topic),
        ("shelly", shelly.split_topic),
        ("senml", senml.sensor_from_topic),
        ("native", native.sensor_from_topic),
    )
    for fmt, matches in checks:
        if matches(topic) is not None:
            return fmt
    return None


def decode(fmt: str | None, topic: str, payload: bytes, received_at: datetime,
           sensor_hint: str | None = None) -> Decoded:
    """Decode one MQTT message.

    fmt : one of :data:`FORMATS`, or None to detect it from the topic
    topic : the MQTT topic
    payload : raw bytes as received
    received_at : timezone-aware instant of arrival
    sensor_hint : sensor id to use when neither topic nor payload names one
    """
    fmt = fmt or detect_format(topic)
    decoder = _DECODERS.get(fmt) if fmt else None
    if decoder is None:
        msg = Message(topic, payload, received_at)
        msg.reject(why("unknown_format", fmt=fmt, known=", ".join(FORMATS)) if fmt
                   else why("unknown_topic", topic=topic[:80]))
        return msg.finish()
    return decoder(topic, payload, received_at, sensor_hint)
