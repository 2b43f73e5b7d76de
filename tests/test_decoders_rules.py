"""Decoders one rule at a time, each against a written expectation: the exact readings, status and
reason a message gives (the reasons are what a person reads in quarantine, in both languages).

test_decoders.py checks captured payloads and one contract for every convention; this file pins the
rules behind them that a plausible slip would break without failing there (found by mutation
testing: ``make mutation MUTATION_ARGS=decoders``).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import DecodeError
from bridge.readings import Decoded, Reading
from bridge.sensors import decode, ha_discovery, native, senml, tasmota, units, zigbee2mqtt
from bridge.sensors.message import Message, chinese, english, parse_time, why

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
    # the reason names what was sent and what a pack is, in JSON's words (not Python's "dict")
    assert _reasons(_senml('{"n": 1}')) == [
        "payload is a JSON object, expected a JSON array | 报文是 JSON 对象，应为 JSON 数组"]


@pytest.mark.parametrize(("payload", "en", "zh"), [
    ("[1]", "array", "数组"), ('"21"', "string", "字符串"), ("21", "number", "数值"), ("2.5", "number", "数值"),
    ("true", "boolean", "布尔值"), ("null", "null", "空值 null"), ('{"n": 1}', "object", "对象")])
def test_a_payload_of_the_wrong_json_kind_is_named_in_json_words(payload: str, en: str, zh: str) -> None:
    if en != "array":
        assert _reasons(_senml(payload)) == [f"payload is a JSON {en}, expected a JSON array | 报文是 JSON {zh}，应为 JSON 数组"]
    if en != "object":
        assert _reasons(_native(payload.encode())) == [
            f"payload is a JSON {en}, expected a JSON object | 报文是 JSON {zh}，应为 JSON 对象"]


# ---------------------------------------------------------------------- The Things Stack v3 uplinks


def _ttn(payload: str, topic: str = "v3/museum@ttn/devices/d1/up") -> Decoded:
    return decode("ttn", topic, payload.encode(), NOW)


def test_ttn_device_id_of_the_payload_wins_over_the_topic() -> None:
    d = _ttn('{"end_device_ids": {"device_id": "eui-70b3d57ed005d8e3"}, "uplink_message": {'
             '"received_at": "2026-11-25T14:00:00.912Z", "decoded_payload": {"Temperature": "21.30", "humidity": 44.9,'
             ' "BatV": 3.05, "frob": 1}, "rx_metadata": [{"rssi": -71}, {"rssi": true}, {"rssi": "-50"}, 7,'
             ' {"rssi": -60}]}}', topic="v3/museum@ttn/devices/topic-dev/up")
    when = datetime(2026, 11, 25, 14, 0, 0, 912000, tzinfo=UTC)
    assert [(r.sensor, r.quantity, r.time, r.value) for r in d.readings] == [
        ("eui-70b3d57ed005d8e3", "temperature", when, 21.3),  # a formatter's toFixed() string, key in any case
        ("eui-70b3d57ed005d8e3", "relative_humidity", when, 44.9)]
    # the best gateway's RSSI, of the numbers only
    assert d.status == {"rssi": -60, "BatV": 3.05, "ignored": ["decoded_payload.frob"],
                        "sensor": "eui-70b3d57ed005d8e3"}
    d = _ttn('{"end_device_ids": {"dev_eui": "70B3D57ED005D8E3"}, "received_at": "2026-11-25T13:59:00Z",'
             ' "uplink_message": {"decoded_payload": {"temp": 20}, "rx_metadata": {"rssi": -70}}}')
    assert [(r.sensor, r.time) for r in d.readings] == [("d1", datetime(2026, 11, 25, 13, 59, tzinfo=UTC))]
    assert d.status == {} and d.rejections == []  # no device_id: the topic's; rx_metadata not a list: no RSSI


def test_ttn_sensecap_messages_by_measurement_id() -> None:
    d = _ttn('{"uplink_message": {"decoded_payload": {"err": 0, "valid": true, "messages": ['
             '[{"measurementId": "4097", "measurementValue": 18}, {"measurementId": 4098, "measurementValue": "55"}],'
             ' {"measurementId": "4099", "measurementValue": null}, {"x": 1}, 5,'
             ' {"measurementId": "4100", "measurementValue": 3}, {"measurementId": "4097", "measurementValue": 150}]}}}')
    assert _values(d) == [("d1", "temperature", 18.0, "°C"), ("d1", "relative_humidity", 55.0, "%RH")]
    assert d.status == {"ignored": ["decoded_payload.err", "decoded_payload.valid", "messages.4099", "messages.4100"],
                        "sensor": "d1"}
    assert _reasons(d) == ["messages.4097: 150 °C is outside the physical range of temperature (-40 to 85 °C)"
                           " | messages.4097：150 °C 超出 temperature 的物理范围（-40 至 85 °C）"]


def test_ttn_normalized_payload_air() -> None:
    d = _ttn('{"uplink_message": {"normalized_payload": [{"air": {"temperature": 21, "pressure": 1000}}, 5,'
             ' {"air": {"relativeHumidity": 40}}]}}')
    assert _values(d) == [("d1", "temperature", 21.0, "°C"), ("d1", "relative_humidity", 40.0, "%RH")]
    assert d.status == {"ignored": ["normalized_payload.air.pressure"], "sensor": "d1"} and d.rejections == []


def test_ttn_other_messages_and_bad_ones() -> None:
    join = _ttn("{}", topic="v3/museum@ttn/devices/d1/join")
    assert join.status == {"ignored": ["join"]} and join.readings == join.rejections == []
    d = _ttn("{}", topic="v3/museum/devices")
    assert _reasons(d) == ["topic 'v3/museum/devices' does not match the ttn pattern "
                           "v3/<app>@<tenant>/devices/<device>/up | 主题 'v3/museum/devices' 不符合 ttn 格式 "
                           "v3/<app>@<tenant>/devices/<device>/up"]
    assert d.rejections[0].source == "v3/museum/devices" and d.rejections[0].payload == b"{}"
    long_topic = "v3/" + "x" * 100
    assert english(_reasons(_ttn("{}", topic=long_topic))[0]).startswith(f"topic {long_topic[:80]!r} does not")
    assert _reasons(_ttn('{"uplink_message": 5}')) == [
        "uplink_message: missing or not an object | uplink_message：缺失或不是对象"]
    assert _reasons(_ttn('{"uplink_message": {"f_port": 2}}')) == [
        "message holds no known quantity (keys: no decoded_payload: set a payload formatter)"
        " | 报文不含任何已知的量（键：no decoded_payload: set a payload formatter）"]


def test_ttn_an_uplink_giving_nothing_is_rejected_with_its_keys() -> None:
    d = _ttn('{"uplink_message": {"decoded_payload": {"frob": 1}}}')
    assert _reasons(d) == ["message holds no known quantity (keys: decoded_payload.frob)"
                           " | 报文不含任何已知的量（键：decoded_payload.frob）"]
    assert _reasons(_ttn('{"uplink_message": {"decoded_payload": {}}}')) == [
        "message holds no known quantity (keys: none) | 报文不含任何已知的量（键：none）"]
    many = ", ".join(f'"k{i:03d}": 1' for i in range(40))
    (reason,) = _reasons(_ttn(f'{{"uplink_message": {{"decoded_payload": {{{many}}}}}}}'))
    keys = ", ".join(f"decoded_payload.k{i:03d}" for i in range(40))[:120]
    assert english(reason) == f"message holds no known quantity (keys: {keys})"
    battery_only = _ttn('{"uplink_message": {"decoded_payload": {"BatV": 3.0}}}')  # status is something
    assert battery_only.rejections == [] and battery_only.status == {"BatV": 3.0, "sensor": "d1"}


# ---------------------------------------------------------------------- Shelly Gen1 and Gen2


def _shelly(topic: str, payload: str) -> Decoded:
    return decode("shelly", topic, payload.encode(), NOW)


def test_shelly_gen1_topics() -> None:
    d = _shelly("shellies/ht-1/sensor/humidity", "101")
    assert d.readings == [] and _reasons(d) == [
        "humidity: 101 %RH is outside the physical range of relative_humidity (0 to 100 %RH)"
        " | humidity：101 %RH 超出 relative_humidity 的物理范围（0 至 100 %RH）"]  # named as the topic names it
    assert d.rejections[0].source == "shellies/ht-1/sensor/humidity"
    assert _shelly("shellies/ht-1/sensor/frob", "x").status == {"ignored": ["frob"], "sensor": "ht-1"}
    assert _shelly("shellies/ht-1/sensor/battery", " 95 ").status == {"battery": "95", "sensor": "ht-1"}
    assert _shelly("shellies/ht-1/online", "false").status == {"availability": "offline", "sensor": "ht-1"}
    assert _shelly("shellies/ht-1/online", "true").status == {"availability": "online", "sensor": "ht-1"}
    assert _reasons(_shelly("shellies/ht-1/online", "False")) == [
        "online: must be true or false | online：应为 true 或 false"]


def test_shelly_bad_topic_reason_holds_the_separator_in_its_pattern() -> None:
    (reason,) = _reasons(_shelly("nowhere/x", "1"))
    assert english(reason) == ("topic 'nowhere/x' does not match the shelly pattern "
                               "shellies/<id>/sensor/<name> | <id>/events/rpc")
    assert chinese(reason) == "主题 'nowhere/x' 不符合 shelly 格式 shellies/<id>/sensor/<name> | <id>/events/rpc"
    long_topic = "n" * 100
    assert english(_reasons(_shelly(long_topic, "1"))[0]).startswith(f"topic {long_topic[:80]!r} does not")


def test_shelly_gen2_notify_status_components() -> None:
    long_key, long_comp = "k" * 70, "c" * 70
    d = _shelly("shellyplusht-1/events/rpc", '{"src": "shellyplusht-a8032ab", "method": "NotifyStatus", "params": {'
                '"ts": 1795615200.5, "temperature:0": {"id": 0, "tC": 21.5, "tF": 70.7, "errors": [], "x": 1,'
                f' "{long_key}": 2}}, "humidity:1": {{"id": 1, "rh": 45}}, "illuminance": {{"lux": 120}},'
                ' "temperature:2": {"tC": 150}, "devicepower:0": {"battery": {"V": 3.1, "percent": 80},'
                ' "external": {"present": false}}, "wifi": {"rssi": -60}, "sys": {"rssi": 5},'
                f' "illuminance:0": {{"lux": null}}, "{long_comp}": 1}}}}')
    when = datetime(2026, 11, 25, 14, 0, 0, 500000, tzinfo=UTC)
    assert [(r.sensor, r.quantity, r.time, r.value) for r in d.readings] == [
        ("shellyplusht-a8032ab", "temperature", when, 21.5),  # the src names the device; index 0 is the device
        ("shellyplusht-a8032ab:1", "relative_humidity", when, 45.0),
        ("shellyplusht-a8032ab", "illuminance", when, 120.0)]  # no index: the device
    assert _reasons(d) == ["temperature:2.tC: 150 °C is outside the physical range of temperature (-40 to 85 °C)"
                           " | temperature:2.tC：150 °C 超出 temperature 的物理范围（-40 至 85 °C）"]
    assert d.status == {"battery": 80, "rssi": -60, "sensor": "shellyplusht-a8032ab",
                        "ignored": ["temperature:0.x", f"temperature:0.{long_key}"[:60], "sys", long_comp[:60]]}


def test_shelly_gen2_other_methods_and_bad_params() -> None:
    d = _shelly("shellyplusht-1/events/rpc", '{"method": "NotifyFullStatus", "params": {"wifi": "down",'
                                             ' "temperature:0": {"tC": 20}}}')
    assert _values(d) == [("shellyplusht-1", "temperature", 20.0, "°C")]  # no src: the topic's device
    assert d.status == {"ignored": ["wifi"], "sensor": "shellyplusht-1"}
    method = "Notify" + "x" * 70
    assert _shelly("shellyplusht-1/events/rpc", f'{{"method": "{method}"}}').status == {
        "ignored": [method[:60]], "sensor": "shellyplusht-1"}
    assert _reasons(_shelly("shellyplusht-1/events/rpc", '{"method": "NotifyStatus", "params": [1]}')) == [
        "params: must be an object | params：必须是对象"]


def test_shelly_gen2_status_topics() -> None:
    assert _shelly("shellyplusht-1/status/devicepower:0", '{"battery": {"percent": 55}}').status == {
        "battery": 55, "sensor": "shellyplusht-1"}
    assert _reasons(_shelly("shellyplusht-1/status/devicepower:0", '{"battery": 5}')) == [
        "message holds no known quantity (keys: none) | 报文不含任何已知的量（键：none）"]
    assert _reasons(_shelly("shellyplusht-1/status/temperature:1", '{"tC": 150}')) == [
        "temperature:1.tC: 150 °C is outside the physical range of temperature (-40 to 85 °C)"
        " | temperature:1.tC：150 °C 超出 temperature 的物理范围（-40 至 85 °C）"]
    assert _values(_shelly("shellyplusht-1/status/humidity:1", '{"rh": 40}')) == [
        ("shellyplusht-1:1", "relative_humidity", 40.0, "%RH")]
    assert _values(_shelly("shellyplusht-1/status/temperature:0", '{"tC": 21}')) == [
        ("shellyplusht-1", "temperature", 21.0, "°C")]
    assert _reasons(_shelly("shellyplusht-1/status/humidity:0", '{"id": 0}')) == [
        "message holds no known quantity (keys: humidity:0 without rh) | 报文不含任何已知的量（键：humidity:0 without rh）"]


# ---------------------------------------------------------------------- Tasmota


def _tasmota(topic: str, payload: str) -> Decoded:
    return decode("tasmota", topic, payload.encode(), NOW)


def test_tasmota_sensor_fields_units_chip_and_ignored() -> None:
    d = _tasmota("tele/t/SENSOR", '{"Time": "2021-01-01T00:00:00", "TempUnit": "F", "SHT3X": {"Temperature": 70.7,'
                                  ' "Humidity": 101, "DewPoint": 9}, "BH1750": {"Illuminance": 50},'
                                  ' "ESP32": {"Temperature": 50}, "ESP8266": 5, "Extra": 3, "PressureUnit": "hPa"}')
    assert [(r.sensor, r.quantity, r.time, r.value) for r in d.readings] == [
        ("t", "temperature", NOW, pytest.approx(21.5)), ("t", "illuminance", NOW, 50.0)]  # 70.7 °F; local Time unused
    assert _reasons(d) == ["SHT3X.Humidity: 101 %RH is outside the physical range of relative_humidity (0 to 100 %RH)"
                           " | SHT3X.Humidity：101 %RH 超出 relative_humidity 的物理范围（0 至 100 %RH）"]
    assert d.status == {"chip_temperature": 50, "ignored": ["Extra", "SHT3X.DewPoint"], "sensor": "t"}


def test_tasmota_lwt_state_and_other_kinds() -> None:
    assert _tasmota("tele/t/LWT", "Offline").status == {"availability": "offline", "sensor": "t"}
    assert _tasmota("tele/t/LWT", "Online").status == {"availability": "online", "sensor": "t"}
    assert _reasons(_tasmota("tele/t/LWT", "offline")) == ["LWT: must be Online or Offline | LWT：应为 Online 或 Offline"]
    assert _reasons(_tasmota("tele/t/STATE", '{"Wifi": 5}')) == [
        "message holds no known quantity (keys: none) | 报文不含任何已知的量（键：none）"]
    assert _tasmota("tele/t/INFO1", "{}").status == {"ignored": ["INFO1"], "sensor": "t"}
    d = _tasmota("nowhere", "{}")
    assert _reasons(d) == ["topic 'nowhere' does not match the tasmota pattern tele/<topic>/SENSOR | "
                           "<topic>/tele/SENSOR | 主题 'nowhere' 不符合 tasmota 格式 tele/<topic>/SENSOR | "
                           "<topic>/tele/SENSOR"]
    assert d.rejections[0].source == "nowhere"
    long_topic = "n" * 100
    assert english(_reasons(_tasmota(long_topic, "{}"))[0]).startswith(f"topic {long_topic[:80]!r} does not")


@pytest.mark.parametrize(("topic", "parts"), [
    ("kidsbedmain/SENSOR", ("kidsbedmain", "SENSOR")), ("a/b/SENSOR", ("a/b", "SENSOR")),
    ("a/b/LWT", ("a/b", "LWT")), ("a//SENSOR", None), ("/SENSOR", None), ("a/b/OTHER", None), ("a/OTHER", None),
    ("tele/a/b/SENSOR", ("a/b", "SENSOR")),
])
def test_tasmota_topics_without_prefix(topic: str, parts: tuple[str, str] | None) -> None:
    assert tasmota.split_any_topic(topic) == parts


# ---------------------------------------------------------------------- Home Assistant MQTT discovery

CONFIG = "homeassistant/sensor/node/obj/config"


def _found(config: str, topic: str = CONFIG) -> ha_discovery.Discovered:
    d = decode("ha_discovery", topic, config.encode(), NOW)
    assert d.rejections == [], _reasons(d)
    return d.status["discovered"]


def test_ha_discovery_config_with_abbreviations_and_base_topic() -> None:
    found = _found('{"~": "home/dev1", "dev_cla": "temperature", "stat_t": "~/state", "unit_of_meas": "°F",'
                   ' "val_tpl": "{{ value_json.t | float }}", "uniq_id": "uid", "name": "Case 3 air",'
                   ' "dev": {"identifiers": "dev-1"}}')
    assert found == ha_discovery.Discovered("dev-1", "temperature", "home/dev1/state", "°F", ("t",), CONFIG,
                                            "Case 3 air")
    # '~' expands at either end of a *_topic value only; a base that is not text expands nothing
    assert _found('{"~": "base", "device_class": "humidity", "state_topic": "prefix/~", "unique_id": "~uid"}') == \
        ha_discovery.Discovered("~uid", "relative_humidity", "prefix/base", None, (), CONFIG, "")
    assert _found('{"~": "base", "device_class": "humidity", "state_topic": "a/~/b"}').state_topic == "a/~/b"
    assert _found('{"~": 5, "device_class": "humidity", "state_topic": "~/x"}').state_topic == "~/x"


@pytest.mark.parametrize(("device", "sensor"), [
    ('{"identifiers": ["dev-1", "dev-2"]}', "dev-1"), ('{"identifiers": "dev-1"}', "dev-1"),
    ('{"identifiers": []}', "u1"), ('{"identifiers": [5]}', "u1"), ('{"name": "x"}', "u1"), ("5", "u1"),
])
def test_ha_discovery_sensor_is_the_device_else_the_unique_id(device: str, sensor: str) -> None:
    found = _found(f'{{"device_class": "humidity", "state_topic": "s", "unique_id": "u1", "name": 5,'
                   f' "device": {device}}}')
    assert (found.sensor, found.name) == (sensor, "")
    assert _found('{"device_class": "humidity", "state_topic": "s"}').sensor == "node/obj"  # else the object path


@pytest.mark.parametrize("state_topic", ['"a/#"', '"a/+/b"', '""', "5", "null"])
def test_ha_discovery_state_topic_must_be_one_topic(state_topic: str) -> None:
    d = decode("ha_discovery", CONFIG, f'{{"device_class": "humidity", "state_topic": {state_topic}}}'.encode(), NOW)
    assert _reasons(d) == ["state_topic: missing or not a topic | state_topic：缺失或不是主题"]


def test_ha_discovery_other_configs() -> None:
    template = "{{ value_json.t * 2 }} and a very long template text that goes on and on"
    d = decode("ha_discovery", CONFIG, ('{"device_class": "humidity", "state_topic": "s", "value_template": "'
                                        + template + '"}').encode(), NOW)
    assert _reasons(d) == [f"value_template: {template[:60]!r} is beyond the templates understood"
                           f" | value_template：{template[:60]!r} 超出可理解的模板"]
    assert decode("ha_discovery", "homeassistant/binary_sensor/obj/config", b"{}", NOW).status == {
        "ignored": ["binary_sensor"]}
    dc = "frobnicate_" * 7
    assert decode("ha_discovery", CONFIG, f'{{"device_class": "{dc}"}}'.encode(), NOW).status == {
        "ignored": [dc[:60]]}
    d = decode("ha_discovery", "nowhere", b"{}", NOW)
    assert _reasons(d) == ["topic 'nowhere' does not match the ha_discovery pattern "
                           "homeassistant/sensor/[<node_id>/]<object_id>/config | 主题 'nowhere' 不符合 "
                           "ha_discovery 格式 homeassistant/sensor/[<node_id>/]<object_id>/config"]
    assert d.rejections[0].source == "nowhere"
    long_topic = "n" * 100
    (reason,) = _reasons(decode("ha_discovery", long_topic, b"{}", NOW))
    assert english(reason).startswith(f"topic {long_topic[:80]!r} does not")


def test_ha_discovery_state_values() -> None:
    named = ha_discovery.Discovered("dev-1", "temperature", "s/t", "°F", ("a", "b"), CONFIG, "Case 3 air")
    d = ha_discovery.decode_state(named, "s/t", b'{"a": {"b": "70.7"}}', NOW)
    assert [(r.sensor, r.quantity, r.value) for r in d.readings] == [("dev-1", "temperature", pytest.approx(21.5))]
    d = ha_discovery.decode_state(named, "s/t", b'{"a": {"c": 1}}', NOW)
    assert _reasons(d) == ["a.b: not found in the state | a.b：状态中没有该键"] and d.rejections[0].source == "s/t"
    d = ha_discovery.decode_state(named, "s/t", b'{"a": {"b": 200}}', NOW)  # 200 °F: 93.3 °C
    assert english(_reasons(d)[0]).startswith("Case 3 air: 93.3333 °C is outside")  # named by its name
    plain = ha_discovery.Discovered("dev-1", "relative_humidity", "s/h", None, (), CONFIG)
    assert english(_reasons(ha_discovery.decode_state(plain, "s/h", b"101", NOW))[0]).startswith(
        "dev-1: 101 %RH is outside")  # else by its sensor


# ---------------------------------------------------------------------- the hall a native topic names


@pytest.mark.parametrize(("topic", "hall"), [
    ("relic-twin/hall_b/S01", "hall_b"), ("relic-twin/hall_b/S01/senml", "hall_b"),
    ("relic-twin/hall_b/S01/json", ""), ("relic-twin/hall_b", ""), ("relic-twin/hall_b/S01/senml/x", ""),
    ("relic-twin//S01", ""), ("relic-twin/hall_b/", ""), ("relic-twin/hall_b//senml", ""), ("zigbee2mqtt/a/b", ""),
    ("other/hall_b/S01", ""), ("relic-twin/h+/S01", ""), ("relic-twin/h#/S01", ""),
    ("relic-twin/" + "h" * 64 + "/S01", "h" * 64), ("relic-twin/" + "h" * 65 + "/S01", ""),
    ("relic-twin/a/S01", "a"),  # one character is a hall
])
def test_hall_from_topic(topic: str, hall: str) -> None:
    assert native.hall_from_topic(topic) == hall


# ---------------------------------------------------------------------- shared checks (message.py)


def _native(payload: str | bytes, topic: str = "relic-twin/h/S1", hint: str | None = None) -> Decoded:
    return decode("native", topic, payload if isinstance(payload, bytes) else payload.encode(), NOW, hint)


def test_epoch_milliseconds_start_above_1e11() -> None:
    """1e11 s (year 5138) is still seconds, and too far ahead; above it the figure is milliseconds."""
    assert _reasons(_native('{"time": 100000000000, "temperature": 21}')) == [
        "time 5138-11-16T09:46:40+00:00 is more than 1 day after the message arrived (2026-11-25T14:00:05+00:00)"
        " | 时间 5138-11-16T09:46:40+00:00 比报文到达时间（2026-11-25T14:00:05+00:00）晚一天以上"]
    assert _native('{"time": 1795615200001, "temperature": 21}').readings[0].time == \
        datetime(2026, 11, 25, 14, 0, 0, 1000, tzinfo=UTC)


@pytest.mark.parametrize(("time", "ok"), [
    ('"2026-11-26T14:00:05Z"', True), ('"2026-11-26T14:00:06Z"', False),  # exactly one day ahead is allowed
    ('"2000-01-01T00:00:00Z"', True), ('"1999-12-31T23:59:59Z"', False),  # 2000-01-01 itself is allowed
    ('"2000-01-01T08:00:00+08:00"', True),
])
def test_time_limits_are_inclusive(time: str, ok: bool) -> None:
    for payload in (f'{{"time": {time}, "temperature": 21}}', f'{{"time": {time}, "temperature": 21, "battery": 5}}'):
        d = _native(payload)  # the second one takes the full path (status keys)
        assert (len(d.readings) == 1 and d.rejections == []) is ok, _reasons(d)


def test_long_values_are_cut_in_reasons() -> None:
    text = "2026-11-25T14:00:00+08:00 with a very long tail that keeps going on and on"
    assert _reasons(_native(f'{{"time": "{text}", "temperature": 21}}')) == [
        f"time {text[:59] + '…'!r} is neither ISO 8601 nor epoch seconds"
        f" | 时间 {text[:59] + '…'!r} 既不是 ISO 8601 也不是纪元秒"]
    assert english(_reasons(_native('{"temperature": 1' + "0" * 400 + "}"))[0]) == \
        "temperature: a huge integer is not a finite number"
    assert english(_reasons(_native('{"time": 1' + "0" * 400 + ', "temperature": 1}'))[0]) == \
        f"time {'1' + '0' * 38 + '…'!r} is neither ISO 8601 nor epoch seconds"


def test_sensor_ids() -> None:
    assert _native('{"sensor": "  S2 ", "temperature": 21}').readings[0].sensor == "S2"
    longest = "s" * 128
    assert _native(f'{{"sensor": "{longest}", "temperature": 21}}').readings[0].sensor == longest
    (reason,) = _reasons(_native(f'{{"sensor": "{longest}s", "temperature": 21}}'))
    shown = repr(longest + "s")[:39] + "…"
    assert english(reason) == f"sensor id {shown!r} is not a non-empty string of at most 128 characters"
    assert english(_reasons(_native('{"sensor": "  ", "temperature": 21}'))[0]) == \
        "sensor id \"'  '\" is not a non-empty string of at most 128 characters"


def test_payload_text_checks() -> None:
    assert _values(_native(b'\xef\xbb\xbf{"temperature": 21}')) == [("S1", "temperature", 21.0, "°C")]  # a BOM
    assert _reasons(_native(b'{"temperature": \xff}')) == [
        "payload is not UTF-8 text (bad byte at 16) | 报文不是 UTF-8 文本（第 16 字节无效）"]
    assert _reasons(_native(b"[1]")) == ["payload is a JSON array, expected a JSON object | 报文是 JSON 数组，应为 JSON 对象"]
    err = "Expecting property name enclosed in double quotes: line 1 c…"  # the parser's words, cut to 60
    assert _reasons(_native(b"{")) == [f"payload is not valid JSON ({err}) | 报文不是有效的 JSON（{err}）"]
    assert english(_reasons(_native(b"x" * 65537))[0]) == "payload is 65537 bytes, more than the 65536-byte limit"
    at_limit = b'{"temperature": 21, "pad": "' + b"x" * (65536 - 30) + b'"}'
    assert len(at_limit) == 65536
    assert _reasons(_native(at_limit))[0].startswith("key 'pad'")  # 65 536 bytes is still read
    assert _reasons(_native(at_limit[:-2] + b'x"}')) == [
        "payload is 65537 bytes, more than the 65536-byte limit | 报文 65537 字节，超过 65536 字节上限"]
    assert _reasons(_native('{"sensor": "S1", "temperature": 21, "temperature": 22}')) == [
        "key 'temperature' appears more than once in one object | 键 'temperature' 在同一对象中出现多次"]
    assert _reasons(_native(b'X{"temperature": 21}')) == [  # only a byte-order mark may come first
        "payload is not valid JSON (Expecting value: line 1 column 1 (char 0))"
        " | 报文不是有效的 JSON（Expecting value: line 1 column 1 (char 0)）"]
    assert _reasons(_native(b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}")) == [
        "payload is not valid JSON (nested too deeply) | 报文不是有效的 JSON（嵌套过深）"]


class _NoOffset(tzinfo):
    """A zone that knows no offset: a datetime with it is naive (Python's datetime docs)."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None


@pytest.mark.parametrize("received_at", [datetime(2026, 11, 25, 14), datetime(2026, 11, 25, 14, tzinfo=_NoOffset())])
def test_a_message_needs_an_aware_arrival_time(received_at: datetime) -> None:
    with pytest.raises(ValueError, match="^received_at must be timezone-aware$"):
        Message("relic-twin/h/S1", b"{}", received_at)


def test_values_and_units() -> None:
    assert _reasons(_native('{"temperature": null}')) == ["temperature: None is not a number | temperature：None 不是数值"]
    assert _reasons(_native('{"temperature": [1]}')) == ["temperature: '[1]' is not a number | temperature：'[1]' 不是数值"]
    assert _reasons(_native('{"temperature": "warm"}')) == [
        "temperature: 'warm' is not a number | temperature：'warm' 不是数值"]
    assert _reasons(_native('{"temperature": 21, "units": {"temperature": 5}}')) == [
        "temperature: unit '5' is not known for temperature (known: °c, c, degc, cel, celsius, °f, f, degf, fahrenheit,"
        " k, kelvin) | temperature：单位 '5' 不适用于 temperature（已知：°c, c, degc, cel, celsius, °f, f, degf,"
        " fahrenheit, k, kelvin）"]
    assert _values(_native('{"temperature": -40, "relative_humidity": 100}')) == [
        ("S1", "temperature", -40.0, "°C"), ("S1", "relative_humidity", 100.0, "%RH")]  # the limits are in range


def test_uv_irradiance_is_paired_with_the_illuminance_of_its_sensor_and_time() -> None:
    d = decode("tasmota", "tele/t/SENSOR", b'{"BH1750": {"Illuminance": 200}, "VEML6070": {"UvPower": 0.0045}}', NOW)
    assert _values(d) == [("t", "illuminance", 200.0, "lx"), ("t", "uv", pytest.approx(22.5), "µW/lm")]
    d = decode("tasmota", "tele/t/SENSOR", b'{"BH1750": {"Illuminance": 0}, "VEML6070": {"UvPower": 0.0045}}', NOW)
    assert _reasons(d) == ["VEML6070.UvPower: UV irradiance in W/m2 needs an illuminance in the same message to give"
                           " µW/lm | VEML6070.UvPower：以 W/m2 表示的紫外辐照度需要同一报文中的照度才能换算为 µW/lm"]
    d = _native('{"uv": 0.0045, "illuminance": 150, "units": {"uv": "W/m2"}}')
    assert _values(d) == [("S1", "illuminance", 150.0, "lx"), ("S1", "uv", pytest.approx(30.0), "µW/lm")]
    d = _native('{"uv": 1, "illuminance": 1, "units": {"uv": "W/m2"}}')  # 1e6 µW/lm: outside the range
    assert english(_reasons(d)[0]).startswith("uv: 1e+06 µW/lm is outside the physical range of uv")


def test_a_uv_irradiance_alone_is_known_but_needs_its_illuminance() -> None:
    """It was also rejected as 'no known quantity' (keys: uv, units) before the UV was paired."""
    assert _reasons(_native('{"uv": 0.0045, "units": {"uv": "W/m2"}}')) == [
        "uv: UV irradiance in W/m2 needs an illuminance in the same message to give µW/lm"
        " | uv：以 W/m2 表示的紫外辐照度需要同一报文中的照度才能换算为 µW/lm"]


def test_nothing_known_names_the_keys() -> None:
    d = decode("zigbee2mqtt", "zigbee2mqtt/x", b"{}", NOW)
    assert _reasons(d) == ["message holds no known quantity (keys: none) | 报文不含任何已知的量（键：none）"]
    assert _reasons(_native("{}")) == ["message holds no known quantity (keys: none) | 报文不含任何已知的量（键：none）"]
    assert _reasons(_native('{"sensor": "S1", "time": null}')) == [
        "message holds no known quantity (keys: sensor, time) | 报文不含任何已知的量（键：sensor, time）"]


# ---------------------------------------------------------------------- the native fast path


FAST_TAKES = [
    ('{"time": 1795615200, "temperature": 20.5}', None),
    ('{"time": 1795615200000, "temperature": 20}', None),
    ('{"time": "2026-11-25T22:00:00+08:00", "co2": 420, "relative_humidity": 0}', None),
    ('{"time": "2026-11-26T14:00:05Z", "temperature": -40}', None),  # exactly one day ahead; the low limit
    ('{"time": "2000-01-01T00:00:00Z", "temperature": 85}', None),  # the earliest time; the high limit
    ('{"temperature": 20.5}', None), ('{"time": null, "temperature": 20.5}', None),
    ('{"sensor": " S09 ", "temperature": 1}', None),
]


@pytest.mark.parametrize(("payload", "hint"), [*FAST_TAKES, ('{"temperature": 1}', "HINT")])
def test_the_fast_path_takes_each_well_formed_message(payload: str, hint: str | None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    topic = "elsewhere/x" if hint else "relic-twin/h/S01"
    fast = native._decode_fast(topic, payload.encode(), NOW, hint)
    with monkeypatch.context() as m:
        m.setattr(native, "_decode_fast", lambda *_: None)
        full = native.decode(topic, payload.encode(), NOW, hint)
    assert fast is not None and fast == full and full.rejections == []
    assert all(type(r.value) is float for r in fast.readings)


@pytest.mark.parametrize(("topic", "payload", "hint"), [
    ("relic-twin/h/S01", '{"time": "2026-11-26T14:00:06Z", "temperature": 1}', None),
    ("relic-twin/h/S01", '{"time": "1999-12-31T23:59:59Z", "temperature": 1}', None),
    ("relic-twin/h/S01", '{"temperature": 1, "units": {}}', None),
    ("relic-twin/h/S01", '{"temperature": 1, "battery": 5}', None),
    ("relic-twin/h/S01", '{"temperature": 85.0001}', None), ("relic-twin/h/S01", '{"temperature": -40.0001}', None),
    ("relic-twin/h/S01", '{"temperature": true}', None), ("relic-twin/h/S01", '{"temperature": "1"}', None),
    ("relic-twin/h/S01", '{"sensor": "S01"}', None), ("relic-twin/h/S01", '{"frob": 1}', None),
    ("relic-twin/h/S01", ' {"temperature": 1}', None), ("relic-twin/h/S01", '[{"temperature": 1}]', None),
    ("relic-twin/h/ ", '{"temperature": 1}', "HINT"), ("elsewhere/x", '{"temperature": 1}', None),
    ("elsewhere/x", '{"temperature": 1}', ""), ("relic-twin/h/S01", '{"sensor": 5, "temperature": 1}', None),
    ("relic-twin/h/S01", '{"time": "noon", "temperature": 1}', None),
])
def test_the_fast_path_steps_aside_for_anything_else(topic: str, payload: str, hint: str | None) -> None:
    assert native._decode_fast(topic, payload.encode(), NOW, hint) is None
    assert native._decode_fast(topic, b'{"temperature": 1}' + b" " * 65536, NOW, hint) is None  # too large


def test_the_common_message_is_decoded_without_a_message_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """decode() takes the fast path first (the ingest's throughput rests on it): no Message is built."""
    def no_message(*_args: object, **_kw: object) -> None:
        raise AssertionError("the full path was taken")

    monkeypatch.setattr(native, "Message", no_message)
    assert _values(_native('{"temperature": 20.5}', topic="relic-twin/h/S01")) == [("S01", "temperature", 20.5, "°C")]
    assert _values(_native('{"temperature": 20.5}', topic="elsewhere/x", hint="HINT")) == [
        ("HINT", "temperature", 20.5, "°C")]
    for _ in range(2):  # the topic's sensor is cached: the second message takes the same path
        assert native._decode_fast("relic-twin/h/S02", b'{"temperature": 1}', NOW, None) is not None


def test_native_without_a_sensor_anywhere() -> None:
    d = _native('{"temperature": 1}', topic="nowhere")
    assert _reasons(d) == ["topic 'nowhere' does not match the native pattern relic-twin/<hall>/<sensor_id>"
                           " | 主题 'nowhere' 不符合 native 格式 relic-twin/<hall>/<sensor_id>"]
    assert (d.rejections[0].source, d.rejections[0].payload, d.rejections[0].received_at) == (
        "nowhere", b'{"temperature": 1}', NOW)
    long_topic = "n" * 100
    assert english(_reasons(_native('{"temperature": 1}', topic=long_topic))[0]).startswith(
        f"topic {long_topic[:80]!r} does not")


@pytest.mark.parametrize(("length", "shown"), [(60, None), (61, 59)])
def test_values_up_to_60_characters_are_shown_whole(length: int, shown: int | None) -> None:
    text = "x" * length
    value = text if shown is None else text[:shown] + "…"
    assert english(_reasons(_native(f'{{"time": "{text}", "temperature": 21}}'))[0]) == \
        f"time {value!r} is neither ISO 8601 nor epoch seconds"


def test_encoders_write_the_documented_forms() -> None:
    t = datetime(2026, 11, 25, 14, tzinfo=UTC)
    readings = [Reading("S7", "temperature", t, 70.7, "°F"), Reading("S7", "relative_humidity", t, 45.0, "%RH")]
    assert native.encode("S7", readings) == [(
        "relic-twin/hall/S7", '{"sensor": "S7", "time": "2026-11-25T14:00:00Z", "temperature": 70.7,'
        ' "relative_humidity": 45.0, "units": {"temperature": "°F"}}'.encode())]
    found = ha_discovery.Discovered("S7", "temperature", "s/S7", "°F", ("a", "b"), "c", "")
    assert ha_discovery.encode_config(found) == (
        '{"device_class": "temperature", "state_topic": "s/S7", "unique_id": "S7_temperature",'
        ' "device": {"identifiers": ["S7"], "name": "S7"}, "name": "temperature", "unit_of_measurement": "°F",'
        ' "value_template": "{{ value_json.a.b }}"}').encode()
    named = ha_discovery.Discovered("S7", "relative_humidity", "s/S7", None, (), "c", "Case 3 air")
    assert ha_discovery.encode_config(named) == (
        b'{"device_class": "humidity", "state_topic": "s/S7", "unique_id": "S7_relative_humidity",'
        b' "device": {"identifiers": ["S7"], "name": "S7"}, "name": "Case 3 air"}')


def test_native_strict_keys_units_and_status() -> None:
    key = "f" * 70
    known = "temperature, relative_humidity, illuminance, uv, colour_temperature, co2, so2, nox, pm2_5, pm10, voc, " \
            "vibration, tilt, strain"
    d = _native(f'{{"temperature": 21, "{key}": 1, "battery": "80", "units": {{"{key}": "x"}}}}')
    assert _values(d) == [("S1", "temperature", 21.0, "°C")] and d.status == {}
    assert _reasons(d) == [
        f"key {'units.' + key[:54]!r} is not a quantity name (known: {known})"
        f" | 键 {'units.' + key[:54]!r} 不是已知的量（已知：{known}）",
        f"key {key[:60]!r} is not a quantity name (known: {known}) | 键 {key[:60]!r} 不是已知的量（已知：{known}）",
        "battery: the number is sent as the string '80'; send a JSON number"
        " | battery：数值以字符串 '80' 发送，应发送 JSON 数值"]
    assert _reasons(_native('{"temperature": 21, "units": ["K"]}')) == ["units: must be an object | units：必须是对象"]


def test_readings_are_on_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        for payload in ('{"temperature": 21}', '{"temperature": 21, "battery": 5}'):  # fast and full path
            (r,) = _native(payload).readings
            assert r.time == NOW and r.time.tzinfo is UTC
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_fast_path_takes_a_payload_of_exactly_the_limit() -> None:
    body = b'{"temperature": 21}'
    payload = body[:-1] + b" " * (65536 - len(body)) + b"}"
    assert len(payload) == 65536
    assert _values(native._decode_fast("relic-twin/h/S1", payload, NOW, None)) == [("S1", "temperature", 21.0, "°C")]


def test_zigbee2mqtt_bridge_commands_and_bad_topics() -> None:
    def z2m(topic: str, payload: bytes = b"{}", hint: str | None = None) -> Decoded:
        return decode("zigbee2mqtt", topic, payload, NOW, hint)

    assert z2m("zigbee2mqtt/bridge").status == {"bridge": "bridge"}
    assert z2m("zigbee2mqtt/lamp/set").status == {"command": "lamp/set"}
    assert z2m("zigbee2mqtt/lamp/get").status == {"command": "lamp/get"}
    assert _values(z2m("zigbee2mqtt/", b'{"temperature": 20}', hint="HINT")) == [("HINT", "temperature", 20.0, "°C")]
    d = z2m("nowhere")
    assert _reasons(d) == ["topic 'nowhere' does not match the zigbee2mqtt pattern zigbee2mqtt/<friendly_name>"
                           "[/availability] | 主题 'nowhere' 不符合 zigbee2mqtt 格式 zigbee2mqtt/<friendly_name>"
                           "[/availability]"]
    assert d.rejections[0].source == "nowhere"
    long_topic = "n" * 100
    assert english(_reasons(z2m(long_topic))[0]).startswith(f"topic {long_topic[:80]!r} does not")


@pytest.mark.parametrize(("topic", "parts"), [
    ("shellies/ht-1/sensor/temperature", ("gen1", "ht-1", "temperature")), ("shellies//sensor/temperature", None),
    ("shellies/ht-1/online", ("gen1", "ht-1", "online")), ("shellies//online", None),
    ("shelly-1/events/rpc", ("gen2", "shelly-1", "rpc")), ("/events/rpc", None),
    ("shellyplus-1/online", ("gen2", "shellyplus-1", "online")), ("plug-1/online", None),
    ("shellyplus-1/status/temperature:0", ("gen2", "shellyplus-1", "temperature:0")),
    ("/status/temperature:0", None), ("shellyplus-1/status/frob:0", None),
])
def test_shelly_topics(topic: str, parts: tuple[str, str, str] | None) -> None:
    from bridge.sensors import shelly

    assert shelly.split_topic(topic) == parts


@pytest.mark.parametrize(("topic", "parts"), [
    ("tele/a/b/SENSOR", ("a/b", "SENSOR")), ("tele//SENSOR", None), ("tele/a/", None), ("tele/SENSOR", None),
    ("a/b/tele/SENSOR", ("a/b", "SENSOR")), ("x/tele/LWT", ("x", "LWT")), ("/tele/SENSOR", None),
    ("a/tele/OTHER", None),
])
def test_tasmota_topics(topic: str, parts: tuple[str, str] | None) -> None:
    assert tasmota.split_topic(topic) == parts


def test_native_topics() -> None:
    assert native.sensor_from_topic("relic-twin/h/S1") == "S1"
    for topic in ("relic-twin//S1", "relic-twin/h/", "relic-twin/h/S1/x", "other/h/S1"):
        assert native.sensor_from_topic(topic) is None, topic


def test_times_that_are_no_time() -> None:
    assert _reasons(_native('{"time": true, "temperature": 21}')) == [
        "time True is neither ISO 8601 nor epoch seconds | 时间 True 既不是 ISO 8601 也不是纪元秒"]
    # 1e20 is taken as milliseconds: 1e17 s, beyond any date
    assert _reasons(_native('{"time": 100000000000000000000, "temperature": 21}')) == [
        "time '100000000000000000000' is neither ISO 8601 nor epoch seconds"
        " | 时间 '100000000000000000000' 既不是 ISO 8601 也不是纪元秒"]
    (reason,) = _reasons(_native('{"time": "1999-12-31T23:59:59Z", "temperature": 21}'))
    assert reason == ("time 1999-12-31T23:59:59+00:00 is before 2000-01-01; the device clock is not set"
                      " | 时间 1999-12-31T23:59:59+00:00 早于 2000-01-01；设备时钟未设置")


def test_vendor_keys_are_named_with_their_place_in_reasons() -> None:
    d = _ttn('{"uplink_message": {"decoded_payload": {"temperature": 150}}}')
    assert _reasons(d) == ["decoded_payload.temperature: 150 °C is outside the physical range of temperature"
                           " (-40 to 85 °C) | decoded_payload.temperature：150 °C 超出 temperature 的物理范围（-40 至 85 °C）"]


def test_epoch_numbers_above_1e11_are_milliseconds() -> None:
    # 1e11 s is year 5138: up to it a number is seconds, above it milliseconds (ESPHome, Tasmota, TTN)
    assert parse_time(100_000_000_001) == datetime(1973, 3, 3, 9, 46, 40, 1000, tzinfo=UTC)
    assert parse_time(-100_000_000_001) == datetime(1966, 10, 31, 14, 13, 19, 999000, tzinfo=UTC)
    assert parse_time(100_000_000_000) == datetime(5138, 11, 16, 9, 46, 40, tzinfo=UTC)


@settings(deadline=None)  # a shared, loaded machine: no per-example time limit
@given(st.integers(946_684_800, 10**11))  # from 2000-01-01 to year 5138 in seconds
def test_an_epoch_time_in_seconds_and_in_milliseconds_is_one_instant(seconds: int) -> None:
    assert parse_time(seconds * 1000) == parse_time(seconds) == datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize("digits", [51, 400])  # 1e47 s is past year 9999; 1e400 is no float at all
def test_a_huge_epoch_number_is_named_in_40_characters(digits: int) -> None:
    shown = "1" + "0" * 38 + "…"
    with pytest.raises(DecodeError) as exc:
        parse_time(10 ** (digits - 1))
    assert str(exc.value) == (f"time '{shown}' is neither ISO 8601 nor epoch seconds"
                              f" | 时间 '{shown}' 既不是 ISO 8601 也不是纪元秒")


def test_iso_times_need_a_zone_and_z_is_one_in_either_case() -> None:
    z = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert parse_time("2026-11-25T14:00:00Z") == parse_time(" 2026-11-25T14:00:00z ") == z  # RFC 3339 §5.6
    assert parse_time("2026-11-25T22:00:00+08:00") == z
    assert _reasons(_native('{"time": "2026-11-25T14:00:00", "temperature": 21}')) == [
        "time '2026-11-25T14:00:00' has no time zone; add Z or an offset such as +08:00"
        " | 时间 '2026-11-25T14:00:00' 没有时区；请加 Z 或 +08:00 之类的偏移"]
    for text in ("2026-11-25Z", "2026-11-25z", "Z"):  # a zone with no time of day is no ISO 8601 time
        assert _reasons(_native(json.dumps({"time": text, "temperature": 21}))) == [
            f"time {text!r} is neither ISO 8601 nor epoch seconds | 时间 {text!r} 既不是 ISO 8601 也不是纪元秒"]


def test_times_are_utc_whatever_the_machine_zone() -> None:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "CST-8"  # POSIX form of UTC+8 (Beijing): needs no zone database
    time.tzset()
    try:
        got = parse_time("2026-11-25T22:00:00+08:00")
        reading = _native('{"time": "2026-11-25T22:00:00+08:00", "temperature": 21}').readings[0]
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()
    assert got.isoformat() == reading.time.isoformat() == "2026-11-25T14:00:00+00:00"


@pytest.mark.parametrize(("raw", "shown"), [
    ("[2026]", "[2026]"), ('{"s": 1}', "{'s': 1}"), ("[" + "1, " * 40 + "1]", "[" + "1, " * 19 + "1…")])
def test_a_time_of_another_json_kind_is_named(raw: str, shown: str) -> None:
    assert _reasons(_native(f'{{"time": {raw}, "temperature": 21}}')) == [
        f"time {shown!r} is neither ISO 8601 nor epoch seconds | 时间 {shown!r} 既不是 ISO 8601 也不是纪元秒"]


def test_a_second_value_at_the_same_time_names_its_record() -> None:
    d = _senml('[{"bn": "S1:", "n": "temperature", "v": 21}, {"n": "temperature", "v": 22}]')
    assert _values(d) == [("S1", "temperature", 21.0, "°C")]
    assert _reasons(d) == [
        "record 1 (S1:temperature): a second value of temperature for S1 at the same time in one message"
        " | record 1 (S1:temperature)：同一报文中 S1 在同一时刻的 temperature 出现第二个值"]


def test_zigbee2mqtt_topics() -> None:
    assert zigbee2mqtt.split_topic("zigbee2mqtt/case-1") == ("case-1", "")
    assert zigbee2mqtt.split_topic("zigbee2mqtt/case-1/availability") == ("case-1", "availability")
    assert zigbee2mqtt.split_topic("zigbee/case-1") is None


# ---------------------------------------------------------------------- SenML versions and must-understand fields


@pytest.mark.parametrize(("bver", "used"), [
    (1, True), (10, True), (10.0, True), (11, False), (0, False), (-1, False), (1.5, False), ('"10"', False),
    ('"x"', False), ("null", False), ("true", False), ("[10]", False)])
def test_senml_packs_of_version_1_to_10_are_read(bver: object, used: bool) -> None:
    d = _senml(f'[{{"bver": {bver}, "bn": "S1:", "n": "temperature", "v": 21}}]')
    if used:
        assert (_values(d), _reasons(d)) == ([("S1", "temperature", 21.0, "°C")], [])
    else:
        v = repr(json.loads(str(bver)))
        assert (_values(d), _reasons(d)) == ([], [
            f"record 0.bver: SenML version {v}: this decoder reads version 10 and below (RFC 8428 §4.4); pack not used"
            f" | record 0.bver：SenML 版本 {v}：本解码器只读 10 及以下版本，整包不用"])


def test_senml_a_record_not_an_object_does_not_hide_a_later_version() -> None:
    d = _senml('[5, {"bver": 11, "bn": "S1:", "n": "temperature", "v": 21}]')
    assert _values(d) == [] and len(_reasons(d)) == 1 and "record 1.bver" in _reasons(d)[0]


def test_senml_a_must_understand_field_stops_the_pack() -> None:
    key = "x" * 70 + "_"
    d = _senml(f'[{{"bn": "S1:", "n": "temperature", "v": 21}}, {{"{key}": 1}}]')
    shown = "record 1." + "x" * 51  # cut to 60 characters
    assert (_values(d), _reasons(d)) == ([], [
        f"{shown}: a must-understand field this decoder does not know (RFC 8428 §4.4); pack not used"
        f" | {shown}：必须理解的字段，本解码器不认识，整包不用"])


# ---------------------------------------------------------------------- KPN ThingsML measurement indices


def test_thingsml_index_names_quantity_and_unit_and_an_explicit_unit_wins() -> None:
    d = _senml('[{"bn": "S1:", "i_": -24, "v": 21.5}, {"i_": -23, "v": 40}, {"i_": -4, "v": 50},'
               ' {"i_": 2, "v": 420}, {"bn": "S2:", "i_": -24, "u": "K", "v": 294.65}]')
    assert _reasons(d) == []
    assert _values(d) == [("S1", "temperature", 21.5, "°C"), ("S1", "relative_humidity", 40.0, "%RH"),
                          ("S1", "illuminance", 50.0, "lx"), ("S1", "co2", 420.0, "ppm"),
                          ("S2", "temperature", pytest.approx(21.5), "°C")]


def test_thingsml_a_name_wins_over_an_index() -> None:
    d = _senml('[{"bn": "S1:", "n": "temperature", "i_": -23, "v": 21}]')
    assert (_values(d), _reasons(d)) == ([("S1", "temperature", 21.0, "°C")], [])


@pytest.mark.parametrize("index", ["7", "-24.0", "true", '"-24"', "[-24]", "null"])
def test_thingsml_an_unknown_index_is_named(index: str) -> None:
    v = repr(json.loads(index))
    assert _reasons(_senml(f'[{{"bn": "S1:", "i_": {index}, "v": 21}}]')) == [
        f"record 0.i_: ThingsML index {v} is not one of our quantities"
        " (known: -24 temperature, -23 relative_humidity, -4 illuminance, 2 co2)"
        f" | record 0.i_：ThingsML 序号 {v} 不是已知的量"]


def test_thingsml_reasons_name_the_index() -> None:
    assert _reasons(_senml('[{"bn": "S1:", "i_": -24, "v": 150}, {"i_": -23}]')) == [
        "record 0 (S1:i_=-24): 150 °C is outside the physical range of temperature (-40 to 85 °C)"
        " | record 0 (S1:i_=-24)：150 °C 超出 temperature 的物理范围（-40 至 85 °C）",
        "record 1 (S1:i_=-23): has no numeric value v | record 1 (S1:i_=-23)：没有数值 v"]


def test_senml_sensor_names_keep_their_letters() -> None:
    # only the separators ':' and '/' at the end of a base name are cut, whatever letters come before them
    d = _senml('[{"bn": "BOX:/", "n": "temperature", "v": 21}, {"bn": "", "n": "XBOX", "u": "Cel", "v": 22}]')
    assert _values(d) == [("BOX", "temperature", 21.0, "°C"), ("XBOX", "temperature", 22.0, "°C")]


# ---------------------------------------------------------------------- values and units a message cannot use

KNOWN_TEMPERATURE_UNITS = "°c, c, degc, cel, celsius, °f, f, degf, fahrenheit, k, kelvin"


def test_numbers_sent_as_text_that_are_no_finite_number_are_named() -> None:
    d = _ttn('{"uplink_message": {"decoded_payload": {"Temperature": "abc", "humidity": "nan"}}}')
    assert _reasons(d) == [
        "decoded_payload.Temperature: 'abc' is not a number | decoded_payload.Temperature：'abc' 不是数值",
        "decoded_payload.humidity: nan is not a finite number | decoded_payload.humidity：nan 不是有限数值"]


def test_an_unknown_unit_is_named_in_20_characters_with_the_known_ones() -> None:
    d = _senml('[{"bn": "S1:", "n": "temperature", "u": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "v": 21}]')
    shown = "'[1, 2, 3, 4, 5, 6, …'"  # a unit that is no text: its repr, cut to 20
    assert _reasons(d) == [
        f"record 0 (S1:temperature): unit {shown} is not known for temperature (known: {KNOWN_TEMPERATURE_UNITS})"
        f" | record 0 (S1:temperature)：单位 {shown} 不适用于 temperature（已知：{KNOWN_TEMPERATURE_UNITS}）"]
    d = _native('{"temperature": 21, "units": {"temperature": "degrees of warmth felt"}}')
    shown = "'degrees of warmth f…'"
    assert _reasons(d) == [
        f"temperature: unit {shown} is not known for temperature (known: {KNOWN_TEMPERATURE_UNITS})"
        f" | temperature：单位 {shown} 不适用于 temperature（已知：{KNOWN_TEMPERATURE_UNITS}）"]


def test_message_add_says_whether_it_kept_the_value() -> None:
    msg = Message("t", b"", NOW)
    assert msg.add("S1", "temperature", 21.0, "°C", NOW) is True
    assert msg.add("S1", "uv", 0.5, "W/m2", NOW) is True  # an irradiance waits for the illuminance
    assert msg.add("S1", "temperature", 21.0, "furlongs", NOW) is False
    assert msg.add("S1", "temperature", 21.0, None, NOW) is False  # a second value at the same time
    assert len(msg.readings) == 1 and len(msg.rejections) == 2


@pytest.mark.parametrize(("topic", "parts"), [
    ("v3/app@ttn/devices/d1/up", ("app@ttn", "d1", "up")), ("v3/app/devices/d1/up/extra", ("app", "d1", "up/extra")),
    ("v3//devices/d1/up", None), ("v3/app/devices//up", None), ("v3/app/devices/d1", None),
    ("v2/app/devices/d1/up", None), ("v3/app/things/d1/up", None)])
def test_ttn_topics(topic: str, parts: tuple[str, str, str] | None) -> None:
    from bridge.sensors import ttn

    assert ttn.split_topic(topic) == parts


@pytest.mark.parametrize(("topic", "parts"), [
    ("homeassistant/sensor/node/obj/config", ("sensor", "node/obj")), ("homeassistant/sensor/obj/config", ("sensor", "obj")),
    ("zigbee2mqtt/sensor/obj/config", None), ("homeassistant/sensor/obj/state", None),
    ("homeassistant/sensor//config", None), ("homeassistant/config", None)])
def test_ha_discovery_topics(topic: str, parts: tuple[str, str] | None) -> None:
    assert ha_discovery.split_topic(topic) == parts


# ---------------------------------------------------------------------- UV irradiance needs the illuminance beside it


def test_uv_irradiance_is_divided_by_the_illuminance_of_its_sensor_and_time() -> None:
    # CIE 157:2004: 0.1 W/m² = 100 000 µW/m², over 50 lx is 2000 µW/lm; the temperature beside it is no illuminance
    d = _native('{"temperature": 21, "illuminance": 50, "uv": 0.1, "units": {"uv": "W/m2"}}')
    assert _reasons(d) == []
    assert _values(d) == [("S1", "temperature", 21.0, "°C"), ("S1", "illuminance", 50.0, "lx"),
                          ("S1", "uv", pytest.approx(2000.0), "µW/lm")]
    # an illuminance a minute earlier, or of another sensor, is not the light this UV was measured in
    d = _senml('[{"bn": "S1:", "n": "illuminance", "v": 50, "t": -60}, {"n": "uv", "u": "W/m2", "v": 0.1},'
               ' {"bn": "S2:", "n": "illuminance", "v": 80}]')
    assert _values(d) == [("S1", "illuminance", 50.0, "lx"), ("S2", "illuminance", 80.0, "lx")]
    assert _reasons(d) == [
        "record 1 (S1:uv): UV irradiance in W/m2 needs an illuminance in the same message to give µW/lm"
        " | record 1 (S1:uv)：以 W/m2 表示的紫外辐照度需要同一报文中的照度才能换算为 µW/lm"]
