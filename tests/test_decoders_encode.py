"""encode() is the inverse of decode(): readings survive a trip through every convention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.readings import Reading
from bridge.sensors import FORMATS, decode, detect_format, ha_discovery
from bridge.sensors.encode import ENCODABLE, encode
from simulation.quantities import NAMES, QUANTITIES

NOW = datetime(2026, 11, 25, 14, 0, 5, tzinfo=UTC)
KEEPS_TIME = {"native", "senml", "zigbee2mqtt", "shelly", "ttn"}


def _value(q: str) -> st.SearchStrategy[float]:
    lo, hi = QUANTITIES[q].low, QUANTITIES[q].high
    margin = (hi - lo) * 1e-6
    return st.floats(lo + margin, hi - margin, allow_nan=False, allow_infinity=False)


@st.composite
def _readings(draw: st.DrawFn, fmt: str) -> list[Reading]:
    quantities = draw(st.lists(st.sampled_from(sorted(ENCODABLE[fmt])), min_size=1, unique=True))
    times = draw(st.lists(st.integers(0, 20 * 86400), min_size=1, max_size=3, unique=True))
    out = []
    for offset in times:
        t = NOW - timedelta(seconds=offset)
        out += [Reading("S7", q, t, draw(_value(q)), QUANTITIES[q].unit) for q in quantities]
    return out


def decode_all(messages: list[tuple[str, bytes]], received_at: datetime) -> list[Reading]:
    """Decode what encode() wrote, learning Home Assistant configs on the way."""
    learnt: dict[str, list[ha_discovery.Discovered]] = {}
    readings: list[Reading] = []
    for topic, payload in messages:
        fmt = detect_format(topic)
        if fmt is None:
            for found in learnt[topic]:
                d = ha_discovery.decode_state(found, topic, payload, received_at)
                assert d.rejections == []
                readings += d.readings
            continue
        d = decode(fmt, topic, payload, received_at)
        assert d.rejections == [], d.rejections
        if "discovered" in d.status:
            found = d.status["discovered"]
            learnt.setdefault(found.state_topic, []).append(found)
        readings += d.readings
    return readings


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_round_trip(fmt: str, data: st.DataObject) -> None:
    sent = data.draw(_readings(fmt))
    got = decode_all(encode(fmt, "S7", sent), NOW)
    assert len(got) == len(sent)
    key = (lambda r: (r.time, r.quantity)) if fmt in KEEPS_TIME else (lambda r: r.quantity)
    if fmt not in KEEPS_TIME:  # one state per time, all stamped on arrival: compare the last
        last = sent[-1].time
        sent = [r for r in sent if r.time == last]
        got = got[-len(sent):]
        assert {r.time for r in got} == {NOW}
    for s, g in zip(sorted(sent, key=key), sorted(got, key=key), strict=True):
        assert g.sensor == "S7" and g.quantity == s.quantity and g.unit == s.unit
        assert g.value == pytest.approx(s.value, rel=1e-9, abs=1e-9)
        if fmt in KEEPS_TIME:
            assert abs(g.time - s.time) <= timedelta(milliseconds=1)


def test_every_quantity_has_a_vendor_or_own_encoding() -> None:
    assert set(ENCODABLE["native"]) == set(NAMES) == set(ENCODABLE["senml"])
    assert {"temperature", "relative_humidity"} <= set.intersection(*map(set, ENCODABLE.values()))


def test_encode_refuses_what_a_format_cannot_carry() -> None:
    r = Reading("S7", "strain", NOW, 5.0, "µε")
    with pytest.raises(ValueError, match="zigbee2mqtt cannot carry strain"):
        encode("zigbee2mqtt", "S7", [r])
    with pytest.raises(ValueError, match="unknown format"):
        encode("modbus", "S7", [r])


def test_encoded_payloads_follow_the_conventions() -> None:
    r = [Reading("S7", "voc", NOW, 450.0, "µg/m³"), Reading("S7", "temperature", NOW, 21.0, "°C")]
    topic, payload = encode("tasmota", "tasmota_S7", r)[0]
    assert topic == "tele/tasmota_S7/SENSOR"
    assert b'"SGP30": {"TVOC": 100.0' in payload  # 450 µg/m³ = 100 ppb (Mølhave, 4.5 per ppb)
    topic, payload = encode("zigbee2mqtt", "S7", r)[0]
    assert topic == "zigbee2mqtt/S7" and b'"voc": 450.0' in payload  # µg/m³ in Z2M exposes
    (ctopic, config), (stopic, state) = encode("ha_discovery", "S7", r[:1])
    assert ctopic == "homeassistant/sensor/S7/voc/config" and b'"volatile_organic_compounds"' in config
    readings_f = encode("native", "S7", [Reading("S7", "temperature", NOW, 70.7, "°F")])
    assert decode("native", *readings_f[0], NOW).readings[0].value == pytest.approx(21.5)
