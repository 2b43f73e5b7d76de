"""Which sensors exist, which are placed, and which have gone quiet.

Sensors come from two places: the scene (placed, ``assigned``) and the wire
(any decoded message or Home Assistant discovery config from a sensor the
scene does not name: held as *unassigned* until a person places it).

Freshness is kept per sensor *and* quantity: a reading is stale once no new
value has arrived for longer than the sensor's period. The defaults follow
Zigbee2MQTT's device-availability defaults (zigbee2mqtt.io, "Device
availability"): active, mains-powered devices must check in every 10 min,
passive (sleepy, battery) devices every 25 h (1500 min), since they may
report only on change plus a daily heartbeat.

Pure: no I/O; the clock is injected, so a test moves time by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from bridge.readings import Decoded, Reading
from bridge.sensors import decode as decode_message
from bridge.sensors import ha_discovery
from bridge.sensors.ha_discovery import Discovered

Outcome = Literal["new", "duplicate", "older"]


@dataclass(frozen=True)
class Freshness:
    """How long a quantity stays fresh without a new reading.

    mains : mains-powered devices (Zigbee2MQTT ``availability.active.timeout``, 10 min)
    battery : sleepy battery devices (Zigbee2MQTT ``availability.passive.timeout``, 1500 min)
    """

    mains: timedelta = timedelta(minutes=10)
    battery: timedelta = timedelta(hours=25)

    def period(self, power: str) -> timedelta:
        """The stale-after period for a ``power`` of ``"mains"`` or ``"battery"``."""
        return self.battery if power == "battery" else self.mains


class SceneSensor(Protocol):
    """What the registry needs of a scene sensor (``simulation.scene.Sensor``)."""

    id: str
    power: str


@dataclass
class SensorState:
    """What is known about one sensor.

    latest : quantity -> (measurement time, canonical value) of the newest reading
    last_seen : when any message from it last arrived (UTC)
    battery : % (or as the device reports it), None if never reported
    linkquality : Zigbee LQI 0-255, None if never reported
    rssi : dBm (Wi-Fi, LoRaWAN), None if never reported
    availability : "online"/"offline" as last announced, None if never
    discovered : Home Assistant configs learnt for it
    """

    sensor: str
    assigned: bool
    power: str = "mains"
    latest: dict[str, tuple[datetime, float]] = field(default_factory=dict)
    last_seen: datetime | None = None
    battery: object = None
    linkquality: object = None
    rssi: object = None
    availability: str | None = None
    discovered: list[Discovered] = field(default_factory=list)


class Registry:
    """Known and discovered sensors, their freshness, battery and link quality.

    known : the scene's sensors (``id`` and ``power``)
    freshness : stale-after periods
    clock : returns the current timezone-aware time (default: the system clock)
    """

    def __init__(self, known: Iterable[SceneSensor] = (), freshness: Freshness = Freshness(),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.freshness = freshness
        self.clock = clock
        self._sensors: dict[str, SensorState] = {
            s.id: SensorState(s.id, assigned=True, power=s.power or "mains") for s in known}
        self._ha_topics: dict[str, list[Discovered]] = {}

    # -- lookup ------------------------------------------------------------------
    def __contains__(self, sensor: str) -> bool:
        return sensor in self._sensors

    def get(self, sensor: str) -> SensorState | None:
        """The state of ``sensor``, None if never heard of."""
        return self._sensors.get(sensor)

    def unassigned(self) -> list[str]:
        """Sensors seen on the wire but not placed in the scene, sorted."""
        return sorted(s for s, st in self._sensors.items() if not st.assigned)

    def assign(self, sensor: str, power: str = "mains") -> None:
        """Mark ``sensor`` as placed (the scene now names it)."""
        state = self._state(sensor)
        state.assigned = True
        state.power = power

    def _state(self, sensor: str) -> SensorState:
        if sensor not in self._sensors:
            self._sensors[sensor] = SensorState(sensor, assigned=False)
        return self._sensors[sensor]

    # -- updates -----------------------------------------------------------------
    def observe(self, decoded: Decoded, sensor: str | None = None) -> list[Outcome]:
        """Take in one decoded message; one outcome per reading, in order.

        "new": newer than anything held for that sensor and quantity;
        "duplicate": same time and value as held (a re-delivered message);
        "older": at or before the held time otherwise (a reordered message).
        Status (battery, linkquality, rssi, availability, discovered) updates
        ``sensor`` or, if None, the sensor of the message's readings.
        """
        now = self.clock()
        outcomes = [self._reading(r, now) for r in decoded.readings]
        named = decoded.status.get("sensor")
        target = sensor or (named if isinstance(named, str) else None) or \
            (decoded.readings[0].sensor if decoded.readings else None)
        found = decoded.status.get("discovered")
        if isinstance(found, Discovered):
            self.learn(found)
        if target is not None and any(k in decoded.status for k in
                                      ("battery", "linkquality", "rssi", "availability")):
            state = self._state(target)
            state.last_seen = now
            for key in ("battery", "linkquality", "rssi"):
                if key in decoded.status:
                    setattr(state, key, decoded.status[key])
            if "availability" in decoded.status:
                state.availability = str(decoded.status["availability"])
        return outcomes

    def _reading(self, r: Reading, now: datetime) -> Outcome:
        state = self._state(r.sensor)
        state.last_seen = now
        held = state.latest.get(r.quantity)
        if held is not None and r.time <= held[0]:
            return "duplicate" if (r.time, r.value) == held else "older"
        state.latest[r.quantity] = (r.time, r.value)
        return "new"

    def learn(self, found: Discovered) -> None:
        """Keep a Home Assistant discovery config; its sensor is unassigned if new."""
        state = self._state(found.sensor)
        state.discovered = [d for d in state.discovered if d.config_topic != found.config_topic]
        state.discovered.append(found)
        for topic, items in self._ha_topics.items():
            self._ha_topics[topic] = [d for d in items if d.config_topic != found.config_topic]
        self._ha_topics.setdefault(found.state_topic, []).append(found)

    def forget(self, config_topic: str) -> None:
        """Drop a discovery config (its empty retained message arrived)."""
        for topic in list(self._ha_topics):
            self._ha_topics[topic] = [d for d in self._ha_topics[topic]
                                      if d.config_topic != config_topic]
        for state in self._sensors.values():
            state.discovered = [d for d in state.discovered if d.config_topic != config_topic]

    def ha_state_sensors(self, topic: str) -> list[Discovered]:
        """The discovered sensors whose values arrive on ``topic``."""
        return list(self._ha_topics.get(topic, ()))

    def decode(self, fmt: str | None, topic: str, payload: bytes, received_at: datetime,
               sensor_hint: str | None = None) -> Decoded:
        """Decode one message and take it in: ``bridge.sensors.decode`` plus memory.

        Same signature as :func:`bridge.sensors.decode`, so it can stand in as the
        ingestor's decoder. On top it decodes the state topics of sensors learnt
        from Home Assistant discovery (``fmt`` None or ``"ha_state"``), forgets a
        removed config, and :meth:`observe` s the result. Not thread-safe: call it
        from one thread (the MQTT loop).
        """
        learnt = self._ha_topics.get(topic)
        if learnt and fmt in (None, "ha_state"):
            out = Decoded()
            for found in learnt:
                d = ha_discovery.decode_state(found, topic, payload, received_at)
                out.readings += d.readings
                out.rejections += d.rejections
            self.observe(out)
            return out
        decoded = decode_message(fmt, topic, payload, received_at, sensor_hint)
        if "removed" in decoded.status:
            self.forget(topic)
        self.observe(decoded, sensor_hint if not decoded.readings else None)
        return decoded

    # -- freshness ---------------------------------------------------------------
    def is_fresh(self, sensor: str, quantity: str) -> bool:
        """True when ``sensor`` gave ``quantity`` within its stale-after period."""
        state = self._sensors.get(sensor)
        held = state.latest.get(quantity) if state else None
        if state is None or held is None:
            return False
        return self.clock() - held[0] <= self.freshness.period(state.power)

    def stale(self) -> list[tuple[str, str]]:
        """(sensor, quantity) pairs once seen and now stale, sorted."""
        return sorted((s, q) for s, st in self._sensors.items() for q in st.latest
                      if not self.is_fresh(s, q))
