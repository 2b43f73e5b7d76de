"""Fuzz: 100 000+ generated payloads through every decoder; nothing escapes, nothing is lost.

Hypothesis generates it all: JSON values and raw bytes (~2 100 examples), and
the bulk, 1 000 examples of 100 payloads each made by a mutation generator that
hypothesis seeds (its ``randoms()``); ``derandomize`` keeps every run the same.
Every result must satisfy :func:`check`: each rejection carries its source,
its raw payload and a bilingual reason; each reading is a finite value of a
known quantity, in its canonical unit and physical range, at a plausible UTC
time; and a message that gives neither carries status (so nothing is dropped
without trace).
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.readings import Decoded
from bridge.sensors import FORMATS, decode, ha_discovery
from bridge.sensors.encode import ENCODABLE, encode
from bridge.sensors.message import EARLIEST, MAX_AHEAD
from simulation.quantities import QUANTITIES

NOW = datetime(2026, 11, 25, 14, 0, 5, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "data" / "payloads"
TOPICS = {
    "native": ["relic-twin/h/S1", "relic-twin/h/", "relic-twin//S1"],
    "senml": ["relic-twin/h/S1/senml"],
    "zigbee2mqtt": ["zigbee2mqtt/S1", "zigbee2mqtt/S1/availability", "zigbee2mqtt/bridge/state"],
    "tasmota": ["tele/S1/SENSOR", "tele/S1/LWT", "tele/S1/STATE"],
    "shelly": ["S1/events/rpc", "shellies/S1/sensor/temperature", "shellies/S1/sensor/lux",
               "shellies/S1/online"],
    "ttn": ["v3/app@ttn/devices/S1/up"],
    "ha_discovery": ["homeassistant/sensor/S1/t/config", "homeassistant/binary_sensor/S1/config"],
}
KEYS = sorted({"temperature", "humidity", "illuminance", "illuminance_lux", "co2", "voc", "pm25", "pm10",
               "angle_x", "battery", "linkquality", "last_seen", "time", "sensor", "units", "Time", "SHT3X",
               "Temperature", "TempUnit", "VEML6070", "UvPower", "method", "params", "ts",
               "temperature:0", "tC", "rh", "uplink_message", "decoded_payload", "received_at",
               "end_device_ids", "device_id", "bn", "bt", "bu", "bv", "n", "u", "v", "t",
               "device_class", "state_topic", "value_template", "unit_of_measurement", "src"}
              | set(QUANTITIES))
TRICKY = [None, True, False, 0, -1, 1e308, -1e308, 2**70, 21.5, 1795615200, 1795615200000,
          "21.5", "NaN", "", "°F", "ppb", "mW/cm2", "2026-11-25T14:00:00Z", "2026-11-25T14:00:00",
          "9999-12-31T23:59:59+14:00", "online", "NotifyStatus", "{{ value_json.t }}", "\u0000", "\ud7ff",
          [], {}, [1, 2], {"tC": 21}]


def check(fmt: str, topic: str, payload: bytes, d: Decoded) -> None:
    """The invariants every decode result keeps."""
    for r in d.rejections:
        assert r.source == topic and r.payload == payload and r.received_at == NOW
        assert isinstance(r.reason, str) and " | " in r.reason and len(r.reason) < 2000
    for r in d.readings:
        q = QUANTITIES[r.quantity]
        assert r.unit == q.unit and isinstance(r.value, float)
        assert math.isfinite(r.value) and q.contains(r.value), r
        assert r.time.utcoffset() == timedelta(0) and EARLIEST <= r.time <= NOW + MAX_AHEAD
        assert isinstance(r.sensor, str) and r.sensor and len(r.sensor) <= 128
    assert d.readings or d.rejections or d.status, (fmt, topic, payload[:200])


def run(fmt: str, topic: str, payload: bytes) -> Decoded:
    d = decode(fmt, topic, payload, NOW)
    check(fmt, topic, payload, d)
    found = d.status.get("discovered")
    if isinstance(found, ha_discovery.Discovered):
        state = ha_discovery.decode_state(found, found.state_topic, payload, NOW)
        check(fmt, found.state_topic, payload, state)
    return d


# ---------------------------------------------------------------- hypothesis
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
    | st.sampled_from(TRICKY[:20]) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(fmt=st.sampled_from(FORMATS), value=json_values, topic_index=st.integers(0, 3))
def test_hypothesis_json(fmt: str, value: object, topic_index: int) -> None:
    topics = TOPICS[fmt]
    payload = json.dumps(value, allow_nan=True).encode()
    run(fmt, topics[topic_index % len(topics)], payload)


@settings(max_examples=1800, deadline=None, derandomize=True)
@given(fmt=st.sampled_from(FORMATS), payload=st.binary(max_size=200), topic_index=st.integers(0, 3))
def test_hypothesis_bytes(fmt: str, payload: bytes, topic_index: int) -> None:
    topics = TOPICS[fmt]
    run(fmt, topics[topic_index % len(topics)], payload)


# ---------------------------------------------------------------- seeded bulk
def _seeds() -> list[tuple[str, str, bytes]]:
    """Valid messages to mutate: every fixture plus encoder output for every format."""
    out = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        body = spec.get("payload_text")
        payload = body.encode() if body is not None else json.dumps(spec["payload"]).encode()
        out.append((path.parent.name, spec["topic"], payload))
    from bridge.readings import Reading
    for fmt, quantities in ENCODABLE.items():
        readings = [Reading("S1", q, NOW - timedelta(minutes=5), (QUANTITIES[q].low + QUANTITIES[q].high) / 2,
                            QUANTITIES[q].unit) for q in sorted(quantities)]
        for topic, payload in encode(fmt, "S1", readings):
            out.append((fmt, topic, payload))
    return out


TOKENS = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"null", b"true", b'"21.5"', b"-0", b"1" * 400,
          b'"\\ud800"', b"[]", b"{}", b'"\xff"', b"\x00", b'"9999-01-01T00:00:00Z"', b'"2026-11-25T14:00"',
          b"0", b"-273.16", b"1795615200000", b'"\xc2\xb5g/m\xc2\xb3"', b"[[[[[[[[", b"}}}}", b",", b":"]


def mutate(rng: random.Random, payload: bytes) -> bytes:
    """One random edit: truncate, flip, insert a token, replace a number, duplicate, splice."""
    kind = rng.randrange(8)
    n = len(payload)
    i = rng.randrange(n + 1)
    if kind == 0:
        return payload[:i]
    if kind == 1 and n:
        b = bytearray(payload)
        b[rng.randrange(n)] = rng.randrange(256)
        return bytes(b)
    if kind == 2:
        return payload[:i] + rng.choice(TOKENS) + payload[i:]
    if kind == 3:  # replace the next number with a token
        j = next((k for k in range(i, n) if payload[k:k + 1].isdigit()), None)
        if j is not None:
            k = j
            while k < n and payload[k:k + 1] in b"0123456789.eE+-":
                k += 1
            return payload[:j] + rng.choice(TOKENS) + payload[k:]
        return payload
    if kind == 4:
        return payload[:i] + payload[i:] + payload[i:]
    if kind == 5 and n:
        j = rng.randrange(n)
        return payload[:min(i, j)] + payload[max(i, j):]
    if kind == 6:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    return payload.replace(b"Z", b"", 1) if rng.random() < 0.5 else payload.replace(b'"', b"'", 1)


def test_hypothesis_mutations_100k() -> None:
    """Hypothesis drives the mutation generator: 1 000 examples x 100 payloads, each mutated from a
    valid message of every format. The Random it hands over is a real one it seeds (fast; a failure
    reproduces from its seed, printed by hypothesis), not one it shrinks draw by draw (25x slower)."""
    seeds = _seeds()
    counts = {"payloads": 0, "readings": 0, "rejections": 0}

    @settings(max_examples=1000, deadline=None, derandomize=True, database=None)
    @given(rng=st.randoms(use_true_random=True))
    def hundred(rng: random.Random) -> None:
        for _ in range(100):
            fmt, topic, payload = rng.choice(seeds)
            for _ in range(rng.choice((1, 1, 2, 3))):
                payload = mutate(rng, payload)
            if rng.random() < 0.05:  # the wrong decoder for the topic, or an odd topic
                fmt = rng.choice(FORMATS)
                topic = rng.choice(TOPICS[fmt] + ["", "/", "a/b/c/d/e/f", "relic-twin/h/S1/x"])
            d = run(fmt, topic, payload)
            counts["payloads"] += 1
            counts["readings"] += len(d.readings)
            counts["rejections"] += len(d.rejections)

    hundred()
    assert counts["payloads"] >= 100_000
    # the mix exercised both paths heavily
    assert counts["readings"] > 20_000 and counts["rejections"] > 40_000, counts
