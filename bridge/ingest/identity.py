"""Device identity: a reading belongs to the device of its topic.

The broker's ACL lets each device write only its own topics, so the topic is the one thing a
device cannot lie about; a payload can name any sensor. :class:`DeviceIdentity` holds, from
the scene, which sensors each device may speak for (itself, plus the ``gateway_for`` list of a
gateway) and which sensors exist at all (the scene's, plus those adopted since). Its
:meth:`~DeviceIdentity.check` runs on each decoded message before anything is stored:

- a reading naming another sensor than its topic's device (and not one of its gateway's
  sensors) goes to quarantine: "sensor does not match topic";
- a reading from a sensor the scene does not know goes to quarantine as an *unknown device*
  and is counted in :attr:`DeviceIdentity.unknown` by its place (site, hall, sensor: sensor ids
  are unique only within a hall), listed at ``/api/devices/unknown?hall=``, where
  an admin or curator adopts it: from then on its readings are stored), the way Zigbee2MQTT
  and Home Assistant discovery hold a new device until a person accepts it.

Pure: no I/O; the ingest path writes the counts (:func:`bridge.store.service_queries.note_unknown_devices`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bridge.readings import Decoded, Rejection
from bridge.sensors import native

#: where an unknown device was heard: (site, hall, sensor)
Place = tuple[str, str, str]


class SceneSensor(Protocol):
    """What identity needs of a scene sensor (``simulation.scene.Sensor``)."""

    id: str
    gateway_for: tuple[str, ...]


def mismatch_reason(sensor: str, device: str) -> str:
    return (f"sensor does not match topic: a reading names {sensor[:64]!r} on the topic of {device[:64]!r} | "
            f"传感器与主题不符: 设备 {device[:64]} 的主题上出现了传感器 {sensor[:64]} 的读数")


def unknown_reason(sensor: str) -> str:
    return (f"unknown device {sensor[:64]!r}: not in the scene; an admin or curator may adopt it | "
            f"未知设备 {sensor[:64]}: 不在场景中, 管理员或策展人可将其纳入")


def device_of(topic: str, subscribed_sensor: str | None) -> str | None:
    """The device a message's topic belongs to: the scene's sensor of that topic, else the native topic's."""
    return subscribed_sensor or native.sensor_from_topic(topic)


@dataclass
class DeviceIdentity:
    """Who may speak for whom, and who exists.

    speaks_for : device id -> the sensor ids its topic may carry (itself and its gateway list)
    known : every sensor whose readings are stored (scene and adopted)
    unknown : (site, hall, sensor) -> (last topic, last seen, messages) heard since the last
        :meth:`take_unknown` (the place each reading was stamped with)
    """

    speaks_for: dict[str, frozenset[str]]
    known: set[str]
    unknown: dict[Place, tuple[str, datetime, int]] = field(default_factory=dict)
    hall: str = ""  # the hall of readings stamped with none (a one-hall twin's scene)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_scene(cls, sensors: Iterable[SceneSensor], adopted: Iterable[str] = (), hall: str = "") -> DeviceIdentity:
        sensors = list(sensors)
        speaks = {s.id: frozenset((s.id, *s.gateway_for)) for s in sensors}
        return cls(speaks, {s.id for s in sensors} | set(adopted), hall=hall)

    def adopt(self, sensor: str) -> None:
        """Accept ``sensor``'s readings from now on."""
        with self._lock:
            self.known.add(sensor)
            for key in [k for k in self.unknown if k[2] == sensor]:
                del self.unknown[key]

    def check(self, device: str | None, topic: str, payload: bytes, received_at: datetime,
              decoded: Decoded) -> Decoded:
        """``decoded`` with the readings ``device`` may not give moved to its rejections.

        device : the device of the message's topic (:func:`device_of`); None when the topic
            names none (then only the known-sensor check applies)
        """
        readings = decoded.readings
        allowed = self.speaks_for.get(device, frozenset((device,))) if device is not None else None
        known = self.known
        if all((allowed is None or r.sensor in allowed) and r.sensor in known for r in readings):
            return decoded
        kept = []
        refused: dict[str, str] = {}  # sensor -> reason, one rejection per offending sensor
        unknown: set[Place] = set()
        for r in readings:
            if allowed is not None and r.sensor not in allowed:
                refused.setdefault(r.sensor, mismatch_reason(r.sensor, device or ""))
            elif r.sensor not in known:
                refused.setdefault(r.sensor, unknown_reason(r.sensor))
                unknown.add((r.site, r.hall or self.hall, r.sensor))
            else:
                kept.append(r)
        if unknown:
            with self._lock:
                for key in unknown:
                    _, _, n = self.unknown.get(key, (topic, received_at, 0))
                    self.unknown[key] = (topic, received_at, n + 1)
        rejections = [Rejection(topic, payload, received_at, why) for why in refused.values()]
        return Decoded(readings=kept, rejections=decoded.rejections + rejections, status=decoded.status)

    def take_unknown(self) -> dict[Place, tuple[str, datetime, int]]:
        """The unknown devices heard since the last call, by place (and forget them)."""
        with self._lock:
            out, self.unknown = self.unknown, {}
        return out


@dataclass
class HallIdentities:
    """A site's device identity: one :class:`DeviceIdentity` per hall, since halls may share sensor ids.

    A message's readings are checked by the rules of the hall they were stamped with (its topic's or
    its subscription's): hall_b's ``S09`` is unknown even when hall_a has an ``S09``. Readings of a
    hall the site does not hold keep the hall-less rules of :meth:`DeviceIdentity.check` with no
    known sensor: quarantined as unknown. Unknown devices are tallied by (site, hall, sensor), as
    the store's ``unknown_device`` rows are keyed: hall_a's S01 and hall_b's S01 are two rows.
    """

    halls: dict[str, DeviceIdentity]

    def check(self, device: str | None, topic: str, payload: bytes, received_at: datetime,
              decoded: Decoded) -> Decoded:
        """``decoded`` with the readings their hall's rules refuse moved to its rejections."""
        if not decoded.readings:
            return decoded
        by_hall: dict[str, list] = {}
        for r in decoded.readings:
            by_hall.setdefault(r.hall, []).append(r)
        out = Decoded(readings=[], rejections=list(decoded.rejections), status=decoded.status)
        for hall, readings in by_hall.items():
            ident = self.halls.get(hall) or self._stranger
            part = ident.check(device, topic, payload, received_at, Decoded(readings=readings))
            out.readings += part.readings
            out.rejections += part.rejections
        return out

    def __post_init__(self) -> None:
        self._stranger = DeviceIdentity({}, set())  # the rules for a hall the site does not hold

    def adopt(self, sensor: str, halls: Iterable[str] | None = None) -> None:
        """Accept ``sensor``'s readings from now on, in ``halls`` (default: every hall)."""
        for hall in self.halls if halls is None else halls:
            if hall in self.halls:
                self.halls[hall].adopt(sensor)

    def take_unknown(self) -> dict[Place, tuple[str, datetime, int]]:
        """The unknown devices every hall heard since the last call, by (site, hall, sensor)."""
        out: dict[Place, tuple[str, datetime, int]] = {}
        for ident in (*self.halls.values(), self._stranger):
            out.update(ident.take_unknown())  # a place is one hall's (or the stranger's) alone
        return out
