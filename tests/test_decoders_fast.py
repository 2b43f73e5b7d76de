"""The native decoder's fast path gives exactly what the full path gives, or steps aside; both give
what each payload says (the expectations below are written from the payloads, not from a decoder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bridge.sensors import native
from bridge.sensors.message import MAX_PAYLOAD_BYTES

NOW = datetime(2026, 11, 25, 14, 0, 5, tzinfo=UTC)
T = 1764079200  # 2025-11-25T14:00:00Z

CASES: list[tuple[str, bytes, str | None]] = [
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": 20.5}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T * 1000, "temperature": 20}).encode(), None),  # ms, int value
    ("relic-twin/h/S01", json.dumps({"time": "2025-11-25T14:00:00Z", "temperature": 20.5,
                                     "relative_humidity": 48.2, "illuminance": 50}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": "2025-11-25T22:00:00+08:00", "co2": 420}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"temperature": 20.5}).encode(), None),  # time: received_at
    ("relic-twin/h/S01", json.dumps({"time": None, "temperature": 20.5}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"sensor": " S09 ", "time": T, "temperature": 1}).encode(), None),
    ("elsewhere/S01", json.dumps({"time": T, "temperature": 20.5}).encode(), "HINT"),
    ("elsewhere/S01", json.dumps({"time": T, "temperature": 20.5}).encode(), None),
    ("relic-twin/h/ ", json.dumps({"time": T, "temperature": 20.5}).encode(), "HINT"),  # bad topic sensor
    ("relic-twin/h/S01", json.dumps({"sensor": "", "time": T, "temperature": 20.5}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"sensor": 5, "time": T, "temperature": 20.5}).encode(), None),
    ("relic-twin/h/S01", b'{"time": 1764079200, "temperature": 20.5, "temperature": 21}', None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": True}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": "20.5"}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": None}).encode(), None),
    ("relic-twin/h/S01", b'{"time": 1764079200, "temperature": NaN}', None),
    ("relic-twin/h/S01", b'{"time": 1764079200, "temperature": Infinity}', None),
    ("relic-twin/h/S01", b'{"time": 1764079200, "temperature": 1e999}', None),
    ("relic-twin/h/S01", b'{"time": 1764079200, "temperature": 1' + b"0" * 400 + b"}", None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": 900}).encode(), None),  # out of range
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": 20, "battery": 80}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": 68, "units": {"temperature": "°F"}}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": 20, "colour": 3}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T}).encode(), None),
    ("relic-twin/h/S01", json.dumps({}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T + 3 * 86400, "temperature": 20}).encode(), None),  # future
    ("relic-twin/h/S01", json.dumps({"time": 5, "temperature": 20}).encode(), None),  # 1970
    ("relic-twin/h/S01", json.dumps({"time": "2025-11-25T14:00:00", "temperature": 20}).encode(), None),  # naive
    ("relic-twin/h/S01", json.dumps({"time": "yesterday", "temperature": 20}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": True, "temperature": 20}).encode(), None),
    ("relic-twin/h/S01", json.dumps({"time": T, "temperature": {"v": 1}}).encode(), None),
    ("relic-twin/h/S01", b'{"time": 1764079200, "temperature": 20', None),  # not JSON
    ("relic-twin/h/S01", b"\xef\xbb\xbf" + json.dumps({"time": T, "temperature": 20}).encode(), None),  # BOM
    ("relic-twin/h/S01", b" " + json.dumps({"time": T, "temperature": 20}).encode(), None),
    ("relic-twin/h/S01", b'{"temperature": 20, "t\xff": 1}', None),  # not UTF-8
    ("relic-twin/h/S01", b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}", None),  # nested too deeply, too large
    ("relic-twin/h/S01", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", None),
    ("relic-twin/h/S01", b"[1, 2]", None),
    ("relic-twin/h/S01", b"", None),
    ("relic-twin/h/S01", b"{" + b" " * MAX_PAYLOAD_BYTES + b'"temperature": 20}', None),
]


TP = "2025-11-25T14:00:00+00:00"  # the payloads' time
TR = "2026-11-25T14:00:05+00:00"  # received_at: a payload without a time
# per case of CASES: the readings (sensor, quantity, value, unit, time) or a fragment of the one rejection
EXPECTED: list[list[tuple[str, str, float, str, str]] | str] = [
    [("S01", "temperature", 20.5, "°C", TP)],
    [("S01", "temperature", 20.0, "°C", TP)],
    [("S01", "temperature", 20.5, "°C", TP), ("S01", "relative_humidity", 48.2, "%RH", TP),
     ("S01", "illuminance", 50.0, "lx", TP)],
    [("S01", "co2", 420.0, "ppm", TP)],
    [("S01", "temperature", 20.5, "°C", TR)],
    [("S01", "temperature", 20.5, "°C", TR)],
    [("S09", "temperature", 1.0, "°C", TP)],
    [("HINT", "temperature", 20.5, "°C", TP)],
    "does not match the native pattern",
    "is not a non-empty string",
    "is not a non-empty string",
    "is not a non-empty string",
    "appears more than once",
    "True is not a number",
    "sent as the string '20.5'",
    "None is not a number",
    "nan is not a finite number",
    "inf is not a finite number",
    "inf is not a finite number",
    "a huge integer is not a finite number",
    "outside the physical range",
    [("S01", "temperature", 20.0, "°C", TP)],
    [("S01", "temperature", 20.0, "°C", TP)],  # 68 °F
    [("S01", "temperature", 20.0, "°C", TP)],  # and a rejection for "colour", checked below
    "holds no known quantity",
    "holds no known quantity",
    [("S01", "temperature", 20.0, "°C", "2025-11-28T14:00:00+00:00")],
    "before 2000-01-01",
    "has no time zone",
    "neither ISO 8601 nor epoch seconds",
    "neither ISO 8601 nor epoch seconds",
    "is not a number",
    "not valid JSON",
    [("S01", "temperature", 20.0, "°C", TP)],
    [("S01", "temperature", 20.0, "°C", TP)],
    "not UTF-8",
    "more than the 65536-byte limit",
    "nested too deeply",
    "expected a JSON object",
    "payload is empty",
    "more than the 65536-byte limit",
]


@pytest.mark.parametrize(("case", "expected"), list(zip(CASES, EXPECTED, strict=True)))
def test_both_paths_give_what_the_payload_says(case: tuple[str, bytes, str | None], expected,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    topic, payload, hint = case
    fast = native.decode(topic, payload, NOW, hint)
    with monkeypatch.context() as m:
        m.setattr(native, "_decode_fast", lambda *_: None)
        full = native.decode(topic, payload, NOW, hint)
    for d in (fast, full):
        got = [(r.sensor, r.quantity, r.value, r.unit, r.time.isoformat()) for r in d.readings]
        if isinstance(expected, str):
            assert got == [] and len(d.rejections) == 1 and expected in d.rejections[0].reason, d.rejections
            assert " | " in d.rejections[0].reason  # both languages
        else:
            assert got == expected
            assert all(type(r.value) is float for r in d.readings)
            assert len(d.rejections) == (1 if b'"colour"' in payload else 0), d.rejections
            assert d.status == ({"battery": 80.0, "sensor": "S01"} if b'"battery"' in payload else {})


@pytest.mark.parametrize(("topic", "payload", "hint"), CASES)
def test_fast_path_agrees_with_the_full_path(topic: str, payload: bytes, hint: str | None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fast = native.decode(topic, payload, NOW, hint)
    with monkeypatch.context() as m:
        m.setattr(native, "_decode_fast", lambda *_: None)
        full = native.decode(topic, payload, NOW, hint)
    assert fast == full


def test_fast_path_takes_the_common_message() -> None:
    payload = json.dumps({"time": T, "temperature": 20.5, "relative_humidity": 48}).encode()
    d = native._decode_fast("relic-twin/h/S01", payload, NOW, None)
    assert d is not None
    assert [(r.sensor, r.quantity, r.value, r.unit) for r in d.readings] == [
        ("S01", "temperature", 20.5, "°C"), ("S01", "relative_humidity", 48.0, "%RH")]
    assert all(type(r.value) is float for r in d.readings)
    assert d.rejections == [] and d.status == {}


def test_naive_received_at_still_raises() -> None:
    with pytest.raises(ValueError):
        native.decode("relic-twin/h/S01", b'{"temperature": 20}', datetime(2026, 11, 25, 14))


def test_topic_sensor_cache_gives_the_checked_sensor_of_the_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path looks a topic's sensor up once (from an empty cache here, as in a fresh ingestor):
    the topic's sensor, checked (stripped), wins over a hint, the first time and from the cache."""
    monkeypatch.setattr(native, "_TOPIC_SENSORS", {})
    payload = json.dumps({"time": T, "temperature": 20.5}).encode()
    for _ in range(2):
        fast = native._decode_fast("relic-twin/h/ S01 ", payload, NOW, "HINT")
        assert fast is not None  # the common message takes the fast path
        assert [(r.sensor, r.value) for r in fast.readings] == [("S01", 20.5)]
        d = native.decode("relic-twin/h/ S01 ", payload, NOW, "HINT")
        assert [(r.sensor, r.value) for r in d.readings] == [("S01", 20.5)] and d.rejections == []


def test_topic_sensor_cache_a_bad_topic_sensor_is_rejected_not_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_TOPIC_SENSORS", {})
    topic = "relic-twin/h/" + "S" * 129  # more than 128 characters: no sensor id
    payload = json.dumps({"time": T, "temperature": 20.5}).encode()
    for hint in (None, "HINT", None, "HINT"):  # the first time and from the cache
        d = native.decode(topic, payload, NOW, hint)
        assert d.readings == [] and len(d.rejections) == 1
        assert d.rejections[0].reason.startswith("sensor id \"'SSSSS"), d.rejections
