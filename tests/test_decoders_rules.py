"""Decoders one rule at a time, each against a written expectation: the exact readings, status and
reason a message gives (the reasons are what a person reads in quarantine, in both languages).

test_decoders.py checks captured payloads and one contract for every convention; this file pins the
rules behind them that a plausible slip would break without failing there (found by mutation
testing: ``make mutation MUTATION_ARGS=decoders``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.readings import Decoded
from bridge.sensors import decode, senml, units
from bridge.sensors.message import chinese, english, why

NOW = datetime(2026, 11, 25, 14, 0, 5, tzinfo=UTC)


def _reasons(d: Decoded) -> list[str]:
    return [r.reason for r in d.rejections]


def _values(d: Decoded) -> list[tuple[str, str, float, str]]:
    return [(r.sensor, r.quantity, r.value, r.unit) for r in d.readings]


# ---------------------------------------------------------------------- reasons in two languages


def test_the_halves_of_a_reason() -> None:
    reason = why("empty")
    assert reason == "payload is empty | 报文为空"
    assert english(reason) == "payload is empty" and chinese(reason) == "报文为空"
    assert english("no separator") == chinese("no separator") == "no separator"


@given(st.text(min_size=1, max_size=20))
def test_the_halves_hold_for_any_key_text(key: str) -> None:
    """A key sent as text such as 'a | b' still splits at the separator between the languages."""
    reason = why("unknown_key", key=key, known="temperature")
    assert english(reason) == f"key {key!r} is not a quantity name (known: temperature)"
    assert chinese(reason) == f"键 {key!r} 不是已知的量（已知：temperature）"


# ---------------------------------------------------------------------- units


def test_uv_accepts_irradiance_units_besides_uv_content() -> None:
    uv = units.known_units("uv")
    assert uv[:3] == ("µw/lm", "uw/lm", "mw/lm") and set(units.IRRADIANCE_TO_UW_M2) <= set(uv)
    assert units.known_units("temperature") == ("°c", "c", "degc", "cel", "celsius", "°f", "f", "degf",
                                                "fahrenheit", "k", "kelvin")
    assert not set(units.IRRADIANCE_TO_UW_M2) & set(units.known_units("illuminance"))


# ---------------------------------------------------------------------- zigbee2mqtt availability


@pytest.mark.parametrize(("payload", "state"), [
    (b"online", "online"), (b"offline", "offline"), (b" offline\n", "offline"),
    (b'{"state": "online"}', "online"), (b'{"state": "offline"}', "offline"),
])
def test_zigbee2mqtt_availability_states(payload: bytes, state: str) -> None:
    d = decode("zigbee2mqtt", "zigbee2mqtt/case_3/availability", payload, NOW)
    assert d.readings == [] and d.rejections == []
    assert d.status == {"availability": state, "sensor": "case_3"}


@pytest.mark.parametrize("payload", [b'{"state": "ONLINE"}', b'{"state": "maybe"}', b'{"state": true}', b"{}"])
def test_zigbee2mqtt_availability_other_states_are_rejected(payload: bytes) -> None:
    d = decode("zigbee2mqtt", "zigbee2mqtt/case_3/availability", payload, NOW)
    assert d.readings == [] and d.status == {}
    assert _reasons(d) == ["state: must be 'online' or 'offline' | state：应为 'online' 或 'offline'"]


# ---------------------------------------------------------------------- SenML (RFC 8428)

SENML = "relic-twin/h/S9/senml"


def _senml(payload: str, topic: str = SENML, hint: str | None = None) -> Decoded:
    return decode("senml", topic, payload.encode(), NOW, hint)


def _zh(en: str, zh: str) -> str:
    return f"{en} | {zh}"


def test_senml_fields_of_the_wrong_type_name_their_record() -> None:
    d = _senml('[{"bn": "S1:", "n": "temperature", "v": 21}, {"bn": 5}, {"bu": 5}, {"bt": "1795615200"},'
               ' {"n": 5, "v": 1}, 7]')
    assert _values(d) == [("S1", "temperature", 21.0, "°C")]
    assert _reasons(d) == [
        "record 1.bn: must be a string | record 1.bn：必须是字符串",
        "record 2.bu: must be a string | record 2.bu：必须是字符串",
        "record 3.bt: the number is sent as the string '1795615200'; send a JSON number"
        " | record 3.bt：数值以字符串 '1795615200' 发送，应发送 JSON 数值",
        "record 4.n: must be a string | record 4.n：必须是字符串",
        "record 5: is not an object | record 5：不是对象",
    ]


def test_senml_base_fields_carry_to_later_records() -> None:
    """RFC 8428 §4.6: bn, bt, bu and bv hold until changed; a record of base fields only gives no reading."""
    d = _senml('[{"bn": "S1:", "bt": 1795615200}, {"n": "temperature", "v": 21}, {"v": 21},'
               ' {"n": "temperature", "vs": "warm"}]')
    assert [(r.sensor, r.quantity, r.time, r.value) for r in d.readings] == [
        ("S1", "temperature", datetime(2026, 11, 25, 14, tzinfo=UTC), 21.0)]
    assert [english(r) for r in _reasons(d)] == [
        f"key 'S1:' is not a quantity name (known: {', '.join(senml.NAMES)})",
        "record 3 (S1:temperature): has no numeric value v"]
    assert chinese(_reasons(d)[1]) == "record 3 (S1:temperature)：没有数值 v"
    d = _senml('[{"bn": "S1/", "bu": "K", "n": "temperature", "v": 294.15},'
               ' {"bn": "", "n": "relative_humidity", "u": "%RH", "bv": 10, "v": 30, "t": -5},'
               ' {"n": "rh", "u": "%RH", "v": 1}]')
    assert d.rejections == []
    assert [(r.sensor, r.quantity, r.time, r.value) for r in d.readings] == [
        ("S1", "temperature", NOW, pytest.approx(21.0)),  # the base unit K; the separator '/' is dropped
        ("S9", "relative_humidity", NOW - timedelta(seconds=5), 40.0),  # no base name: the topic's sensor
        ("S9", "relative_humidity", NOW, 11.0)]  # the base value still applies
    (reason,) = _reasons(_senml('[{"bu": "K"}, {"bn": "S1:", "n": "relative_humidity", "v": 40}]'))
    assert english(reason) == ("record 1 (S1:relative_humidity): unit 'K' is not known for relative_humidity"
                               " (known: %rh, %, rh, percent, /)")


def test_senml_name_is_the_device_when_the_unit_names_the_quantity() -> None:
    """RFC 8428 §5.1.1: {"n": "urn:dev:...", "u": "Cel"}; the trailing separator is not part of the id."""
    d = _senml('[{"n": "urn:dev:ow:10e2073a01080063:", "u": "Cel", "v": 23.1}, {"n": "dev-7/", "u": "%RH", "v": 40},'
               ' {"n": "temperature", "v": 21}]', topic="nowhere")
    assert _values(d) == [("urn:dev:ow:10e2073a01080063", "temperature", 23.1, "°C"),
                          ("dev-7", "relative_humidity", 40.0, "%RH")]
    assert _reasons(d) == [_zh("topic 'nowhere' does not match the senml pattern relic-twin/<hall>/<sensor_id>/senml",
                               "主题 'nowhere' 不符合 senml 格式 relic-twin/<hall>/<sensor_id>/senml")]
    long_topic = "x/" * 50
    (reason,) = _reasons(_senml('[{"n": "temperature", "v": 21}]', topic=long_topic))
    assert english(reason) == f"topic {long_topic[:80]!r} does not match the senml pattern " \
                              "relic-twin/<hall>/<sensor_id>/senml"


def test_senml_sensor_from_the_topic_else_the_hint() -> None:
    assert _values(_senml('[{"n": "temperature", "v": 21}]', topic="nowhere", hint="S7")) == [
        ("S7", "temperature", 21.0, "°C")]
    assert _values(_senml('[{"n": "temperature", "v": 21}]', hint="S7")) == [("S9", "temperature", 21.0, "°C")]
    assert senml.sensor_from_topic("relic-twin/h/S1/senml") == "S1"
    for topic in ("relic-twin//S1/senml", "relic-twin/h//senml", "relic-twin/h/S1/json", "other/h/S1/senml",
                  "relic-twin/h/S1"):
        assert senml.sensor_from_topic(topic) is None, topic


def test_senml_unknown_name_is_cut_to_60_characters() -> None:
    name = "frobnicate-the-relic-humidity-sensor-reading-with-a-long-name"
    (reason,) = _reasons(_senml(f'[{{"bn": "S1:", "n": "{name}", "v": 1}}]'))
    key = f"S1:{name}"[:60]
    assert english(reason) == f"key {key!r} is not a quantity name (known: {', '.join(senml.NAMES)})"
    assert chinese(reason) == f"键 {key!r} 不是已知的量（已知：{', '.join(senml.NAMES)}）"
    assert ", ".join(senml.NAMES).startswith("temperature, relative_humidity, illuminance")


def test_senml_times_and_values_are_json_numbers() -> None:
    d = _senml('[{"bn": "S1:", "n": "temperature", "v": 21, "t": "5"}, {"n": "relative_humidity", "v": "21"},'
               ' {"n": "temperature", "v": 20, "t": 268435456}, {"n": "illuminance", "v": 1, "t": 268435455},'
               ' {"n": "temperature", "v": 150}]')
    assert d.readings == []
    assert _reasons(d) == [
        "record 0 (S1:temperature).t: the number is sent as the string '5'; send a JSON number"
        " | record 0 (S1:temperature).t：数值以字符串 '5' 发送，应发送 JSON 数值",
        "record 1 (S1:relative_humidity): the number is sent as the string '21'; send a JSON number"
        " | record 1 (S1:relative_humidity)：数值以字符串 '21' 发送，应发送 JSON 数值",
        # 2**28 s is the first absolute time (RFC 8428 §4.5.3): 1978, a clock never set
        "time 1978-07-04T21:24:16+00:00 is before 2000-01-01; the device clock is not set"
        " | 时间 1978-07-04T21:24:16+00:00 早于 2000-01-01；设备时钟未设置",
        # one second less is relative: 8.5 years after the message arrived
        "time 2035-05-29T11:24:20+00:00 is more than 1 day after the message arrived (2026-11-25T14:00:05+00:00)"
        " | 时间 2035-05-29T11:24:20+00:00 比报文到达时间（2026-11-25T14:00:05+00:00）晚一天以上",
        "record 4 (S1:temperature): 150 °C is outside the physical range of temperature (-40 to 85 °C)"
        " | record 4 (S1:temperature)：150 °C 超出 temperature 的物理范围（-40 至 85 °C）",
    ]


def test_senml_pack_must_be_an_array() -> None:
    assert _reasons(_senml('{"n": 1}')) == [
        "payload is a JSON dict (SenML wants an array), expected an object"
        " | 报文是 JSON dict (SenML wants an array)，应为对象"]
