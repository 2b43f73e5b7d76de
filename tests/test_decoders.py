"""Decoders: captured fixtures, one shared contract for every convention, units."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.readings import Decoded
from bridge.sensors import FORMATS, decode, detect_format, ha_discovery, units
from bridge.sensors.message import MAX_PAYLOAD_BYTES, chinese, english
from simulation.quantities import NAMES, QUANTITIES

FIXTURES = Path(__file__).parent / "data" / "payloads"
ALL = sorted(FIXTURES.glob("*/*.json"))
NOW = datetime(2026, 11, 25, 14, 0, 5, tzinfo=UTC)


def _payload(spec: dict) -> bytes:
    if "payload_text" in spec:
        return spec["payload_text"].encode("utf-8")
    return json.dumps(spec["payload"], ensure_ascii=False).encode("utf-8")


def _when(spec: dict) -> datetime:
    return datetime.fromisoformat(spec["received_at"].replace("Z", "+00:00"))


def _check(decoded: Decoded, expect: dict) -> None:
    got = sorted((r.sensor, r.quantity, r.value) for r in decoded.readings)
    want = sorted((r["sensor"], r["quantity"], r["value"]) for r in expect["readings"])
    assert [g[:2] for g in got] == [w[:2] for w in want]
    for g, w in zip(got, want, strict=True):
        assert g[2] == pytest.approx(w[2], rel=1e-4, abs=1e-9), g
    for r in decoded.readings:
        assert r.unit == QUANTITIES[r.quantity].unit
        assert r.time.tzinfo is not None and r.time.utcoffset() == timedelta(0)
    reasons = [x.reason for x in decoded.rejections]
    assert len(reasons) == len(expect["rejections"]), reasons
    for fragment in expect["rejections"]:
        assert any(fragment in r for r in reasons), (fragment, reasons)
    for key, value in expect.get("status", {}).items():
        got_status = decoded.status[key]
        if isinstance(value, dict):
            for k, v in value.items():
                assert getattr(got_status, k) == v
        else:
            assert got_status == value


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{p.stem}" for p in ALL])
def test_fixture(path: Path) -> None:
    spec = json.loads(path.read_text(encoding="utf-8"))
    fmt = path.parent.name
    assert spec["device"] and spec["firmware"] and spec["source"]
    # a topic only the scene's format names (a Tasmota FullTopic without prefix) is not detected
    assert detect_format(spec["topic"]) == (None if spec.get("format_from") == "scene" else fmt)
    decoded = decode(fmt, spec["topic"], _payload(spec), _when(spec))
    _check(decoded, spec["expect"])
    if "state" in spec:
        found = decoded.status["discovered"]
        state = spec["state"]
        _check(ha_discovery.decode_state(found, state["topic"], _payload(state), _when(spec)),
               state["expect"])


def test_fixture_times_follow_the_payload() -> None:
    spec = json.loads((FIXTURES / "native" / "all_quantities.json").read_text(encoding="utf-8"))
    d = decode("native", spec["topic"], _payload(spec), _when(spec))
    assert {r.time for r in d.readings} == {datetime(2026, 11, 25, 14, tzinfo=UTC)}
    spec = json.loads((FIXTURES / "senml" / "case_pack_base_values.json").read_text())
    d = decode("senml", spec["topic"], _payload(spec), _when(spec))
    temps = sorted(r.time for r in d.readings if r.quantity == "temperature")
    assert temps[1] - temps[0] == timedelta(seconds=60)


def test_every_quantity_comes_from_a_fixture() -> None:
    produced: dict[str, set[str]] = {q: set() for q in NAMES}
    for path in ALL:
        spec = json.loads(path.read_text(encoding="utf-8"))
        for r in spec["expect"]["readings"] + spec.get("state", {}).get("expect", {}).get("readings", []):
            produced[r["quantity"]].add(path.parent.name)
    assert [q for q, fmts in produced.items() if not fmts] == []
    # and most of them from a vendor convention, not only our own
    vendor = [q for q, fmts in produced.items() if fmts - {"native", "senml"}]
    assert len(vendor) >= 9, vendor


def test_every_format_has_fixtures() -> None:
    assert {p.parent.name for p in ALL} == set(FORMATS)


def test_every_vendor_convention_has_a_captured_payload() -> None:
    # captured = published by a real device or the vendor's own software, with where it was found;
    # native is our own convention; SenML's is an ESP8266's serial output (KPN ThingsML)
    captured = {p.parent.name for p in ALL if json.loads(p.read_text(encoding="utf-8")).get("captured")}
    assert captured == set(FORMATS) - {"native"}


SENML_TOPIC = "relic-twin/demo_hall/S01/senml"


def test_senml_thingsml_index_names_the_quantity_and_its_unit() -> None:
    # KPN ThingsML's i_ replaces n and u: -23 is humidity in %RH, 2 is CO2 in ppm; an index that
    # is not one of ours is a clear rejection, not "key ''"
    d = decode("senml", SENML_TOPIC, b'[{"bt": 1795615200, "i_": -23, "v": 48.5}, {"i_": 2, "v": 612, "t": 10},'
               b' {"i_": 6, "v": 3.6}]', NOW)
    assert sorted((r.quantity, r.value, r.unit) for r in d.readings) == [("co2", 612.0, "ppm"),
                                                                         ("relative_humidity", 48.5, "%RH")]
    assert {r.time for r in d.readings} == {datetime(2026, 11, 25, 14, tzinfo=UTC), datetime(2026, 11, 25, 14, 0, 10,
                                                                                             tzinfo=UTC)}
    assert len(d.rejections) == 1 and "ThingsML index 6 is not one of our quantities" in d.rejections[0].reason
    assert chinese(d.rejections[0].reason)


@pytest.mark.parametrize("bver", ["11", "10.5", "\"10\"", "0", "true"])
def test_senml_later_version_is_not_used(bver: str) -> None:
    # RFC 8428 §4.4: a pack of a version above the reader's is not used at all
    d = decode("senml", SENML_TOPIC, f'[{{"bver": {bver}, "n": "temperature", "u": "Cel", "v": 20}}]'.encode(), NOW)
    assert d.readings == [] and len(d.rejections) == 1
    assert "reads version 10 and below (RFC 8428 §4.4); pack not used" in english(d.rejections[0].reason)


def test_senml_version_10_and_below_is_read() -> None:
    for bver in (5, 10):
        d = decode("senml", SENML_TOPIC, f'[{{"bver": {bver}, "n": "temperature", "u": "Cel", "v": 20}}]'.encode(), NOW)
        assert [(r.quantity, r.value) for r in d.readings] == [("temperature", 20.0)] and not d.rejections


def test_senml_must_understand_field_rejects_the_whole_pack() -> None:
    # RFC 8428 §4.4: a field ending in "_" must be understood; one that is not stops the pack (both records)
    d = decode("senml", SENML_TOPIC, b'[{"n": "temperature", "u": "Cel", "v": 20}, {"n": "humidity", "u": "%RH",'
               b' "v": 50, "ut_": 600}]', NOW)
    assert d.readings == [] and len(d.rejections) == 1
    assert "record 1.ut_: a must-understand field" in english(d.rejections[0].reason)


def test_shelly_on_usb_power_reports_no_battery() -> None:
    spec = json.loads((FIXTURES / "shelly" / "captured_plus_ht_usb_power.json").read_text(encoding="utf-8"))
    d = decode("shelly", spec["topic"], _payload(spec), _when(spec))
    assert "battery" not in d.status and d.status["external_power"] is True  # 0 % there is no battery to change


def test_ttn_uplink_with_nothing_known_is_rejected_not_dropped() -> None:
    payload = json.dumps({"end_device_ids": {"device_id": "d1"}, "received_at": "2026-11-25T14:00:00Z",
                          "uplink_message": {"decoded_payload": {"Device Status": {"Sensor Fault": "No"}}}})
    d = decode("ttn", "v3/app@ttn/devices/d1/up", payload.encode(), NOW)
    assert d.readings == [] and len(d.rejections) == 1 and "Device Status" in d.rejections[0].reason


# --------------------------------------------------------------------------- contract
# Per convention: a topic and a payload template with one temperature field.
# {v}: the value text, {k}: the key, {t}: the time field text.
CONTRACT = {
    "native": ("relic-twin/h/S1", '{{"sensor": "S1", {t} "{k}": {v}}}', "temperature",
               '"time": "{iso}",'),
    "senml": ("relic-twin/h/S1/senml", '[{{"bn": "S1:", {t} "n": "{k}", "u": "Cel", "v": {v}}}]',
              "temperature", '"bt": {epoch},'),
    "zigbee2mqtt": ("zigbee2mqtt/S1", '{{"linkquality": 90, {t} "{k}": {v}}}', "temperature",
                    '"last_seen": "{iso}",'),
    "tasmota": ("tele/S1/SENSOR", '{{"Time": "2026-11-25T15:00:00", "SHT3X": {{"{k}": {v}}}}}',
                "Temperature", None),
    "shelly": ("S1/events/rpc", '{{"src": "S1", "method": "NotifyStatus", "params": {{{t} '
               '"temperature:0": {{"id": 0, "{k}": {v}}}}}}}', "tC", '"ts": {epoch},'),
    "ttn": ("v3/app@ttn/devices/S1/up", '{{"end_device_ids": {{"device_id": "S1"}}, "uplink_message": '
            '{{{t} "decoded_payload": {{"{k}": {v}}}}}}}', "temperature", '"received_at": "{iso}",'),
    "ha_discovery": ("homeassistant/sensor/S1/t/config",
                     '{{"device_class": "temperature", "state_topic": "s/S1", "unique_id": "S1", '
                     '"value_template": "{{{{ value_json.{k} }}}}", "unit_of_measurement": {v}}}',
                     "temperature", None),
}


def _msg(fmt: str, value: str = "21.5", key: str | None = None, time: datetime | None = None) -> tuple[str, bytes]:
    topic, template, default_key, time_field = CONTRACT[fmt]
    t = ""
    if time is not None and time_field:
        t = time_field.format(iso=time.isoformat(), epoch=time.timestamp())
    return topic, template.format(v=value, k=key or default_key, t=t).encode("utf-8")


def _run(fmt: str, payload: bytes, topic: str | None = None) -> Decoded:
    return decode(fmt, topic or CONTRACT[fmt][0], payload, NOW)


def _good(fmt: str, d: Decoded) -> None:
    if fmt == "ha_discovery":
        assert isinstance(d.status["discovered"], ha_discovery.Discovered)
    else:
        assert [(r.quantity, r.value) for r in d.readings] == [("temperature", 21.5)]
    assert d.rejections == []


def _rejected(d: Decoded, fragment: str) -> None:
    assert d.readings == []
    assert d.rejections, "expected a rejection"
    assert any(fragment in r.reason for r in d.rejections), [r.reason for r in d.rejections]
    for r in d.rejections:
        assert r.received_at == NOW and r.reason and " | " in r.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_good_message(fmt: str) -> None:
    value = '"°C"' if fmt == "ha_discovery" else "21.5"
    _good(fmt, _run(fmt, _msg(fmt, value)[1]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_malformed(fmt: str) -> None:
    payload = _msg(fmt, '"°C"' if fmt == "ha_discovery" else "21.5")[1]
    for cut in (1, len(payload) // 2, len(payload) - 1):
        _rejected(_run(fmt, payload[:cut]), "not valid JSON")
    _rejected(_run(fmt, b"\xff\xfe\x00garbage"), "not UTF-8")
    d = _run(fmt, payload[:5] + b"\xc3" + payload[5:])
    assert d.readings == [] and d.rejections


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_empty(fmt: str) -> None:
    d = _run(fmt, b"")
    if fmt == "ha_discovery":  # an empty retained config removes the sensor (HA docs)
        assert d.status["removed"] == CONTRACT[fmt][0] and d.rejections == []
    else:
        _rejected(d, "empty")
    _rejected(_run(fmt, b"   \n"), "empty")


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_unknown_key(fmt: str) -> None:
    if fmt == "ha_discovery":
        d = _run(fmt, b'{"device_class": "frobnicate", "state_topic": "s/x"}')
        assert d.readings == [] and "discovered" not in d.status and d.status["ignored"] == ["frobnicate"]
        return
    d = _run(fmt, _msg(fmt, key="frobnicate")[1])
    assert d.readings == []
    mentioned = [r.reason for r in d.rejections] + [str(d.status.get("ignored", ""))]
    assert any("frobnicate" in m for m in mentioned), mentioned
    if fmt in ("native", "senml"):  # our own conventions are strict
        _rejected(d, "frobnicate")


DUPLICATES = {
    "native": b'{"temperature": 21.5, "temperature": 22.0}',
    "senml": b'[{"bn": "S1:", "n": "temperature", "v": 21.5, "v": 22.0}]',
    "zigbee2mqtt": b'{"temperature": 21.5, "temperature": 22.0}',
    "tasmota": b'{"SHT3X": {"Temperature": 21.5, "Temperature": 22.0}}',
    "shelly": b'{"src": "S1", "method": "NotifyStatus", "params": {"temperature:0": {"tC": 21.5, "tC": 22}}}',
    "ttn": b'{"uplink_message": {"decoded_payload": {"temperature": 21.5, "temperature": 22}}}',
    "ha_discovery": b'{"device_class": "temperature", "device_class": "humidity", "state_topic": "s"}',
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_duplicate_key(fmt: str) -> None:
    _rejected(_run(fmt, DUPLICATES[fmt]), "more than once")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "ha_discovery"])
def test_contract_out_of_range_and_not_finite(fmt: str) -> None:
    _rejected(_run(fmt, _msg(fmt, "150")[1]), "outside the physical range of temperature (-40 to 85")
    _rejected(_run(fmt, _msg(fmt, "-300")[1]), "outside the physical range")
    _rejected(_run(fmt, _msg(fmt, "NaN")[1]), "not a finite number")
    _rejected(_run(fmt, _msg(fmt, "Infinity")[1]), "not a finite number")
    _rejected(_run(fmt, _msg(fmt, "1e999")[1]), "not a finite number")
    _rejected(_run(fmt, _msg(fmt, "true")[1]), "not a number")
    _rejected(_run(fmt, _msg(fmt, '"warm"')[1]), "not a number")
    _rejected(_run(fmt, _msg(fmt, "[21.5]")[1]), "not a number")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "ha_discovery"])
def test_contract_number_as_string(fmt: str) -> None:
    d = _run(fmt, _msg(fmt, '"21.5"')[1])
    if fmt == "ttn":  # payload formatters often return toFixed() strings
        _good(fmt, d)
    else:
        _rejected(d, "sent as the string '21.5'")


TIMED = [f for f in FORMATS if CONTRACT[f][3]]


@pytest.mark.parametrize("fmt", TIMED)
def test_contract_timestamps(fmt: str) -> None:
    ok = _run(fmt, _msg(fmt, time=NOW - timedelta(hours=3))[1])
    assert [r.time for r in ok.readings] == [NOW - timedelta(hours=3)]
    _good(fmt, _run(fmt, _msg(fmt, time=NOW + timedelta(hours=23))[1]))
    _rejected(_run(fmt, _msg(fmt, time=NOW + timedelta(days=1, minutes=1))[1]), "more than 1 day after")
    _rejected(_run(fmt, _msg(fmt, time=datetime(1999, 12, 31, 23, tzinfo=UTC))[1]), "before 2000-01-01")


def test_native_units_object() -> None:
    d = _run("native", b'{"temperature": 294.15, "units": {"temperature": "K", "co3": "ppm"}}')
    assert [r.value for r in d.readings] == [pytest.approx(21.0)]
    _rejected(Decoded(rejections=d.rejections), "units.co3")
    _rejected(_run("native", b'{"temperature": 21, "units": ["K"]}'), "units: must be an object")
    _rejected(_run("native", b'{"temperature": 21, "units": {"temperature": "furlong"}}'), "unit 'furlong'")


def test_timestamp_forms() -> None:
    def native(t: str) -> Decoded:
        return _run("native", f'{{"time": {t}, "temperature": 21.5}}'.encode())
    assert native('"2026-11-25T22:00:00+08:00"').readings[0].time == datetime(2026, 11, 25, 14, tzinfo=UTC)
    assert native('"2026-11-25T14:00:00z"').readings[0].time == datetime(2026, 11, 25, 14, tzinfo=UTC)
    assert native("1795615200").readings[0].time == datetime(2026, 11, 25, 14, tzinfo=UTC)
    assert native("1795615200000").readings[0].time == datetime(2026, 11, 25, 14, tzinfo=UTC)  # ms
    _rejected(native('"2026-11-25T14:00:00"'), "has no time zone")
    _rejected(native('"yesterday"'), "neither ISO 8601 nor epoch")
    _rejected(native("1e300"), "neither ISO 8601 nor epoch")
    assert native("null").readings[0].time == NOW  # null is "not given", as Zigbee2MQTT sends it
    _rejected(native("true"), "neither ISO 8601 nor epoch")
    _rejected(native("0"), "before 2000-01-01")


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_one_megabyte(fmt: str) -> None:
    payload = b'{"temperature": 21.5, "pad": "' + b"x" * 1_000_000 + b'"}'
    _rejected(_run(fmt, payload), f"more than the {MAX_PAYLOAD_BYTES}-byte limit")
    _rejected(_run(fmt, b"[" * 50_000 + b"]" * 50_000), "more than")
    _rejected(_run(fmt, b"[" * 30_000 + b"]" * 30_000), "nested too deeply")


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_pure_and_repeatable(fmt: str) -> None:
    """The same message gives the same, known result every time, whatever was decoded in between."""
    sent = NOW - timedelta(minutes=1)
    payload = _msg(fmt, '"°C"' if fmt == "ha_discovery" else "21.5", time=sent)[1]
    other = _msg(fmt, '"°C"' if fmt == "ha_discovery" else "19.0", key="t2" if fmt == "ha_discovery" else None,
                 time=NOW - timedelta(hours=2))[1]
    # the time is the payload's where the convention carries one in this message, else received_at
    when = sent if CONTRACT[fmt][3] else NOW
    first, between, again = _run(fmt, payload), _run(fmt, other), _run(fmt, payload)
    assert first.rejections == between.rejections == again.rejections == []
    if fmt == "ha_discovery":
        for d in (first, again):
            f = d.status["discovered"]
            assert (f.sensor, f.quantity, f.unit, f.state_topic, f.path) == (
                "S1", "temperature", "°C", "s/S1", ("temperature",))
        assert between.status["discovered"].path == ("t2",)
    else:
        for d in (first, again):
            assert [(r.sensor, r.quantity, r.value, r.unit, r.time) for r in d.readings] == [
                ("S1", "temperature", 21.5, "°C", when)]
        assert [r.value for r in between.readings] == [19.0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_wrong_topic(fmt: str) -> None:
    payload = _msg(fmt)[1]
    if fmt == "native":  # a payload naming its sensor needs no topic
        assert decode(fmt, "nowhere", payload, NOW).readings[0].sensor == "S1"
        assert decode(fmt, "nowhere", b'{"temperature": 1}', NOW, sensor_hint="S7").readings[0].sensor == "S7"
        payload = b'{"temperature": 21.5}'
    if fmt == "senml":
        payload = b'[{"n": "temperature", "v": 21.5}]'
    _rejected(decode(fmt, "nowhere", payload, NOW), "does not match the")


def test_unknown_topic_and_format() -> None:
    _rejected(decode(None, "office/coffee/level", b"{}", NOW), "matches no known sensor convention")
    _rejected(decode("modbus", "relic-twin/h/S1", b"{}", NOW), "format 'modbus' is not one of")
    with pytest.raises(ValueError, match="timezone-aware"):
        decode("native", "relic-twin/h/S1", b"{}", datetime(2026, 1, 1))


def test_reasons_are_bilingual() -> None:
    d = _run("native", b'{"temperature": 150}')
    reason = d.rejections[0].reason
    assert english(reason).startswith("temperature: 150 °C is outside")
    assert "超出" in chinese(reason) and "物理范围" in chinese(reason)


@pytest.mark.parametrize(("topic", "fmt"), [
    ("relic-twin/demo_hall/S01", "native"), ("relic-twin/demo_hall/S01/senml", "senml"),
    ("zigbee2mqtt/case/th", "zigbee2mqtt"), ("zigbee2mqtt/th/availability", "zigbee2mqtt"),
    ("tele/tasmota_1/SENSOR", "tasmota"), ("tele/tasmota_1/LWT", "tasmota"),
    ("shellies/shellyht-1/sensor/temperature", "shelly"), ("shellyhtg3-1/events/rpc", "shelly"),
    ("shellyplusht-1/online", "shelly"), ("v3/app@ttn/devices/dev/up", "ttn"),
    ("homeassistant/sensor/node/obj/config", "ha_discovery"), ("homeassistant/sensor/obj/config", "ha_discovery"),
    ("relic-twin/demo_hall", None), ("random/topic", None), ("", None),
])
def test_detect_format(topic: str, fmt: str | None) -> None:
    assert detect_format(topic) == fmt


# --------------------------------------------------------------------------- conventions
def test_zigbee2mqtt_v1_raw_illuminance_is_not_lux() -> None:
    d = _run("zigbee2mqtt", b'{"illuminance": 17500, "illuminance_lux": 56}')
    assert [(r.quantity, r.value) for r in d.readings] == [("illuminance", 56)]


def test_zigbee2mqtt_bridge_and_null_values() -> None:
    d = decode("zigbee2mqtt", "zigbee2mqtt/bridge/state", b'{"state":"online"}', NOW)
    assert d.readings == [] and d.rejections == [] and d.status == {"bridge": "bridge/state"}
    d = _run("zigbee2mqtt", b'{"temperature": null, "humidity": 40, "action": "single"}')
    assert [r.quantity for r in d.readings] == ["relative_humidity"] and d.status["ignored"] == ["action"]
    _rejected(decode("zigbee2mqtt", "zigbee2mqtt/x/availability", b'{"state": "maybe"}', NOW), "online")


def test_tasmota_uv_needs_illuminance() -> None:
    d = _run("tasmota", b'{"VEML6070": {"UvPower": 0.0045}}')
    _rejected(d, "needs an illuminance in the same message")
    d = _run("tasmota", b'{"BH1750": {"Illuminance": 0}, "VEML6070": {"UvPower": 0.0045}}')
    assert [r.quantity for r in d.readings] == ["illuminance"] and d.rejections


def test_tasmota_unknown_temp_unit_and_lwt() -> None:
    _rejected(_run("tasmota", b'{"SHT3X": {"Temperature": 21.5}, "TempUnit": "X"}'), "unit '\u00b0X' is not known")
    _rejected(decode("tasmota", "tele/t/LWT", b"Maybe", NOW), "Online or Offline")
    d = decode("tasmota", "tele/t/STATE", b'{"Wifi": {"RSSI": 80, "Signal": -60}}', NOW)
    assert d.status == {"rssi": -60, "sensor": "t"}


def test_shelly_gen1_text_values() -> None:
    d = decode("shelly", "shellies/shellyht-1/sensor/temperature", b" 21.5\n", NOW)
    assert [(r.sensor, r.value) for r in d.readings] == [("shellyht-1", 21.5)]
    _rejected(decode("shelly", "shellies/shellyht-1/sensor/humidity", b"n/a", NOW), "not a number")
    _rejected(decode("shelly", "shellies/shellyht-1/sensor/humidity", b"101", NOW), "outside")
    _rejected(decode("shelly", "shellies/shellyht-1/online", b"yes", NOW), "true or false")


def test_shelly_gen2_other_methods_are_ignored() -> None:
    d = _run("shelly", b'{"src": "S1", "method": "NotifyEvent", "params": {"ts": 1795615200, "events": []}}')
    assert d.readings == [] and d.rejections == [] and d.status["ignored"] == ["NotifyEvent"]


def test_ttn_without_formatter_is_quarantined() -> None:
    d = _run("ttn", b'{"end_device_ids": {"device_id": "S1"}, "uplink_message": {"frm_payload": "AQI="}}')
    _rejected(d, "payload formatter")
    _rejected(_run("ttn", b'{"end_device_ids": {"device_id": "S1"}}'), "uplink_message")


def test_senml_rules() -> None:
    # relative times (RFC 8428 §4.5.3) count from received_at
    d = _run("senml", b'[{"bn": "S1:", "n": "temperature", "u": "Cel", "v": 21.5, "t": -30}]')
    assert d.readings[0].time == NOW - timedelta(seconds=30)
    # base value and base unit
    d = _run("senml", b'[{"bn": "S1:", "bu": "Cel", "bv": 20, "n": "temperature", "v": 1.5}]')
    assert d.readings[0].value == 21.5
    # string and boolean values are not numbers
    _rejected(_run("senml", b'[{"bn": "S1:", "n": "temperature", "vs": "warm"}]'), "no numeric value")
    _rejected(_run("senml", b'[{"bn": "S1:", "n": "temperature", "u": 5, "v": 21}]'), "is not known")
    _rejected(_run("senml", b'{"n": "temperature", "v": 21}'), "payload is a JSON object, expected a JSON array")
    _rejected(_run("senml", b"[]"), "empty")
    d = _run("senml", b'[{"bn": "S1:", "n": "temperature", "v": 21}, 7]')
    assert len(d.readings) == 1 and "record 1" in d.rejections[0].reason


def test_ha_discovery_templates() -> None:
    def found(template: str) -> ha_discovery.Discovered:
        body = {"device_class": "temperature", "state_topic": "s/t", "unique_id": "u",
                "value_template": template}
        return _run("ha_discovery", json.dumps(body).encode()).status["discovered"]
    assert found("{{ value_json.a.b }}").path == ("a", "b")
    assert found("{{ value_json['t'] | float | round(1) }}").path == ("t",)
    assert found("{{ value }}").path == ()
    _rejected(_run("ha_discovery", b'{"device_class": "temperature", "state_topic": "s", '
                                   b'"value_template": "{{ value_json.t * 2 }}"}'), "beyond the templates")
    _rejected(_run("ha_discovery", b'{"device_class": "temperature"}'), "state_topic")
    f = found("{{ value_json.a.b }}")
    _rejected(ha_discovery.decode_state(f, "s/t", b'{"a": {}}', NOW), "not found")
    assert ha_discovery.decode_state(f, "s/t", b'{"a": {"b": "21.5"}}', NOW).readings[0].value == 21.5


# --------------------------------------------------------------------------- units
@pytest.mark.parametrize(("quantity", "value", "unit", "expected"), [
    ("temperature", 32.0, "°F", 0.0),          # ISO 80000-5
    ("temperature", 212.0, "degF", 100.0),
    ("temperature", 293.15, "K", 20.0),
    ("temperature", 20.0, "Cel", 20.0),        # RFC 8428
    ("temperature", 20.0, "℃", 20.0),
    ("relative_humidity", 0.45, "/", 45.0),
    ("illuminance", 10.0, "fc", 107.6391),     # NIST SP 811
    ("illuminance", 1.2, "klx", 1200.0),
    ("uv", 0.075, "mW/lm", 75.0),
    ("co2", 400_000.0, "ppb", 400.0),
    ("so2", 1.0, "ppb", 64.066 / 24.45),       # 2.620 µg/m³ at 25 °C
    ("nox", 1.0, "ppb", 46.006 / 24.45),       # 1.882, as NO2
    ("voc", 1.0, "ppb", 110.0 / 24.45),        # Mølhave mixture, ≈ 4.5
    ("pm2_5", 12.0, "μg/m³", 12.0),            # Greek mu
    ("pm10", 0.02, "mg/m3", 20.0),
    ("vibration", 1.0, "g", 9.80665),          # CGPM 1901
    ("vibration", 10.0, "mg", 0.0980665),
    ("tilt", math.pi / 4, "rad", 45.0),
    ("strain", 1e-4, "strain", 100.0),
    # how devices and people spell the same units: signs that look alike, exponents, spaces
    ("vibration", 2.0, "m/s^2", 2.0), ("vibration", 2.0, "m/s**2", 2.0), ("vibration", 2.0, "m/s²", 2.0),
    ("temperature", 20.0, "ºC", 20.0),          # masculine ordinal for the degree sign
    ("temperature", 20.0, "˚C", 20.0),          # ring above
    ("temperature", 212.0, "℉", 100.0),         # the one-character degree Fahrenheit
    ("temperature", 20.0, "deg C", 20.0), ("temperature", 68.0, " ° F ", 20.0),
])
def test_unit_conversion(quantity: str, value: float, unit: str, expected: float) -> None:
    assert units.to_canonical(quantity, value, unit) == pytest.approx(expected, rel=1e-6)
    assert units.from_canonical(quantity, expected, unit) == pytest.approx(value, rel=1e-6)


_ALIAS_PAIRS = sorted((q, unit) for q, aliases in units.ALIASES.items() for unit in aliases)


@settings(max_examples=100, deadline=None)
@given(pair=st.sampled_from(_ALIAS_PAIRS), high=st.booleans(), inward=st.one_of(st.just(0.0), st.floats(1e-9, 1.0)),
       outward=st.floats(1e-9, 1.0))
def test_unit_conversion_at_the_range_limits(pair: tuple[str, str], high: bool, inward: float, outward: float) -> None:
    """A value sent in any accepted unit is kept when its canonical value lies in the physical range, the
    limits included, and rejected just beyond them, with the limits in the canonical unit."""
    quantity, unit = pair
    q = QUANTITIES[quantity]
    span, limit, sign = q.high - q.low, (q.high if high else q.low), (-1 if high else 1)
    inside = limit + sign * inward * span
    sent = units.from_canonical(quantity, inside, unit)
    d = decode("native", "relic-twin/h/S1", json.dumps({quantity: sent, "units": {quantity: unit}}).encode(), NOW)
    assert d.rejections == [], (sent, d.rejections)
    assert [(r.quantity, r.unit) for r in d.readings] == [(quantity, q.unit)]
    assert d.readings[0].value == pytest.approx(inside, rel=1e-12, abs=1e-9 * span)
    beyond = limit - sign * outward * span
    sent = units.from_canonical(quantity, beyond, unit)
    d = decode("native", "relic-twin/h/S1", json.dumps({quantity: sent, "units": {quantity: unit}}).encode(), NOW)
    assert d.readings == [] and len(d.rejections) == 1
    assert english(d.rejections[0].reason).endswith(
        f"is outside the physical range of {quantity} ({q.low:g} to {q.high:g} {q.unit})")


def test_unit_tables() -> None:
    for name, q in QUANTITIES.items():
        assert units.to_canonical(name, 1.5, q.unit) == 1.5
        assert units.to_canonical(name, 1.5, None) == 1.5
    with pytest.raises(KeyError):
        units.to_canonical("relative_humidity", 1.0, "K")
    with pytest.raises(KeyError):
        units.to_canonical("so2", 1.0, "°C")
    assert units.ppb_to_ugm3(1.0, 64.066) == pytest.approx(64.066 / 24.45, rel=1e-3)
    assert units.ppb_to_ugm3(1.0, 64.066, temperature_c=20.0) == pytest.approx(64.066 / 24.04, rel=1e-3)
    assert units.uv_content(1.0, "mW/cm2", 200.0) == pytest.approx(50_000.0)   # 10 W/m² over 200 lx
    assert units.uv_content(0.0045, "W/m2", 150.0) == pytest.approx(30.0)


def test_decoders_are_pure() -> None:
    """No MQTT client, database or network import anywhere in bridge/sensors (STYLE.md)."""
    import ast

    package = Path(__file__).resolve().parents[1] / "bridge" / "sensors"
    banned = {"paho", "sqlmodel", "sqlalchemy", "socket", "websockets", "httpx", "panda3d", "requests"}
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not {n.split(".")[0] for n in names} & banned, (path.name, names)
