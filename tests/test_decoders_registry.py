"""Sensor registry: scene vs discovered sensors, freshness, duplicates, battery and link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bridge.readings import Decoded, Reading
from bridge.sensors import decode
from bridge.sensors.registry import Freshness, Registry

T0 = datetime(2026, 11, 25, 14, tzinfo=UTC)


@dataclass
class SceneSensor:
    id: str
    power: str = "mains"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _reading(sensor: str, quantity: str, t: datetime, value: float = 20.0) -> Decoded:
    return Decoded(readings=[Reading(sensor, quantity, t, value, "°C")])


def test_scene_sensors_are_assigned_and_others_held_unassigned() -> None:
    reg = Registry([SceneSensor("S01"), SceneSensor("S02", "battery")], clock=Clock())
    assert reg.unassigned() == []
    reg.observe(_reading("zb_attic", "temperature", T0))
    reg.observe(_reading("S01", "temperature", T0))
    assert reg.unassigned() == ["zb_attic"]
    assert reg.get("S01").assigned and not reg.get("zb_attic").assigned
    reg.assign("zb_attic", power="battery")
    assert reg.unassigned() == [] and reg.get("zb_attic").power == "battery"
    assert "S02" in reg and reg.get("nobody") is None


def test_freshness_defaults_follow_zigbee2mqtt_availability() -> None:
    f = Freshness()
    assert f.period("mains") == timedelta(minutes=10)
    assert f.period("battery") == timedelta(minutes=1500)


def test_stale_after_the_period_per_power_and_quantity() -> None:
    clock = Clock()
    reg = Registry([SceneSensor("M"), SceneSensor("B", "battery")], clock=clock)
    reg.observe(Decoded(readings=[Reading("M", "temperature", T0, 20.0, "°C"),
                                  Reading("M", "co2", T0 - timedelta(minutes=9), 500.0, "ppm")]))
    reg.observe(_reading("B", "temperature", T0))
    assert reg.is_fresh("M", "temperature") and reg.is_fresh("B", "temperature")
    assert not reg.is_fresh("M", "relative_humidity")  # never reported
    clock.now = T0 + timedelta(minutes=2)
    assert reg.stale() == [("M", "co2")]  # 11 min old
    clock.now = T0 + timedelta(minutes=10)
    assert reg.is_fresh("M", "temperature")  # exactly the period: still fresh
    clock.now = T0 + timedelta(minutes=10, seconds=1)
    assert reg.stale() == [("M", "co2"), ("M", "temperature")]
    clock.now = T0 + timedelta(hours=25, seconds=1)
    assert ("B", "temperature") in reg.stale()
    reg.observe(_reading("M", "temperature", clock.now))
    assert reg.is_fresh("M", "temperature") and not reg.is_fresh("M", "co2")


def test_configurable_periods() -> None:
    clock = Clock()
    reg = Registry([SceneSensor("M")], freshness=Freshness(mains=timedelta(minutes=1)), clock=clock)
    reg.observe(_reading("M", "temperature", T0))
    clock.now = T0 + timedelta(seconds=61)
    assert reg.stale() == [("M", "temperature")]


def test_duplicated_and_reordered_messages() -> None:
    reg = Registry(clock=Clock())
    t1, t2 = T0, T0 + timedelta(minutes=1)
    assert reg.observe(_reading("S", "temperature", t2, 21.0)) == ["new"]
    assert reg.observe(_reading("S", "temperature", t2, 21.0)) == ["duplicate"]
    assert reg.observe(_reading("S", "temperature", t1, 20.0)) == ["older"]
    assert reg.get("S").latest["temperature"] == (t2, 21.0)  # the older value does not win
    assert reg.observe(_reading("S", "temperature", t2, 21.5)) == ["older"]  # same time, new value


def test_battery_link_quality_and_availability_are_kept() -> None:
    reg = Registry(clock=Clock())
    payload = b'{"battery": 87, "linkquality": 96, "temperature": 21.5, "humidity": 50}'
    reg.observe(decode("zigbee2mqtt", "zigbee2mqtt/th1", payload, T0))
    state = reg.get("th1")
    assert (state.battery, state.linkquality) == (87, 96)
    avail = decode("zigbee2mqtt", "zigbee2mqtt/th1/availability", b'{"state":"offline"}', T0)
    reg.observe(avail, sensor="th1")
    assert reg.get("th1").availability == "offline"
    reg.observe(decode("shelly", "shellies/ht9/sensor/battery", b"64", T0), sensor="ht9")
    assert reg.get("ht9").battery == "64" and reg.unassigned() == ["ht9", "th1"]


def test_home_assistant_discovery_learns_sensors() -> None:
    reg = Registry(clock=Clock())
    config = (b'{"device_class": "humidity", "state_topic": "museum/c2/rh", "unit_of_measurement": "%",'
              b' "unique_id": "c2_rh", "device": {"identifiers": ["case2"]}}')
    topic = "homeassistant/sensor/case2/rh/config"
    reg.observe(decode("ha_discovery", topic, config, T0))
    assert reg.unassigned() == ["case2"]
    [found] = reg.ha_state_sensors("museum/c2/rh")
    assert (found.sensor, found.quantity, found.unit) == ("case2", "relative_humidity", "%")
    reg.observe(decode("ha_discovery", topic, config, T0))  # retained config again: no duplicate
    assert len(reg.ha_state_sensors("museum/c2/rh")) == 1
    reg.forget(topic)
    assert reg.ha_state_sensors("museum/c2/rh") == [] and reg.get("case2").discovered == []


def test_registry_decodes_what_discovery_taught_it() -> None:
    reg = Registry([SceneSensor("case2")], clock=Clock())
    config = (b'{"device_class": "temperature", "state_topic": "museum/c2/state", "unit_of_measurement": "\xc2\xb0F",'
              b' "value_template": "{{ value_json.t }}", "device": {"identifiers": ["case2"]}}')
    topic = "homeassistant/sensor/case2/t/config"
    assert reg.decode(None, topic, config, T0).status["discovered"].sensor == "case2"
    d = reg.decode(None, "museum/c2/state", b'{"t": 70.7}', T0)
    assert [(r.sensor, r.quantity, round(r.value, 3)) for r in d.readings] == [("case2", "temperature", 21.5)]
    assert reg.is_fresh("case2", "temperature") and reg.unassigned() == []
    bad = reg.decode(None, "museum/c2/state", b'{"t": "hot"}', T0)
    assert bad.readings == [] and "not a number" in bad.rejections[0].reason
    reg.decode(None, topic, b"", T0)  # removed
    assert "matches no known" in reg.decode(None, "museum/c2/state", b'{"t": 70}', T0).rejections[0].reason


def test_registry_decode_keeps_status_of_status_only_messages() -> None:
    reg = Registry(clock=Clock())
    reg.decode(None, "tele/tasmota_9/LWT", b"Offline", T0)
    reg.decode(None, "shellies/shellyht-1/sensor/battery", b"71", T0)
    reg.decode(None, "zigbee2mqtt/th2/availability", b"online", T0)
    assert reg.get("tasmota_9").availability == "offline"
    assert reg.get("shellyht-1").battery == "71"
    assert reg.get("th2").availability == "online"
    assert reg.unassigned() == ["shellyht-1", "tasmota_9", "th2"]
