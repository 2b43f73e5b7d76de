"""``start_site``: every hall of a site in one process.

One broker connection and one ingest (every hall's subscriptions, each
reading stamped with its hall), one store, one alert service over the
halls' engines with roll-up relic -> case -> zone -> hall -> site, one
live state and feed for the whole site (each reading and alert names its
``hall``; clients filter with ``?hall=``). ``relic-twin serve --site DIR``
runs it and serves the API over it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from bridge.alerts.alerting import AlertService, derived_state_path
from bridge.alerts.dissemination import Disseminator, NotifySettings
from bridge.alerts.prealarm import Prealarms
from bridge.config import Settings
from bridge.ingest.calibration import Calibrations
from bridge.ingest.identity import DeviceIdentity, HallIdentities
from bridge.ingest.ingestor import Ingestor
from bridge.ingest.live_governance import PersistentGovernor, state_path
from bridge.mqtt.broker import BrokerHandle
from bridge.readings import Reading
from bridge.sensors.fleet import FleetSettings, VirtualFleet
from bridge.site.model import Site
from bridge.store import Store
from bridge.store.service_queries import adopted_devices
from bridge.twin.live import LiveFeed, TwinState, iso
from bridge.twin.runtime import (
    _alert_publisher,
    alert_clock,
    feed_on,
    freshness_for,
    open_broker,
    sensor_ages,
    stop_ingest,
    subscriptions_for,
)
from simulation.alerts import Target
from simulation.risk import Level

log = logging.getLogger("relic_twin.site")

TIERS = {Level.GREEN: "green", Level.YELLOW: "yellow", Level.RED: "red"}


def _tag(hall: str, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Engine events of ``hall`` as site events: ``hall`` set, the id qualified (``hall:id``)."""
    return [{**e, "hall": hall, "id": f"{hall}:{e['id']}"} for e in events]


class SiteAlerts:
    """The site's alert service: one engine per hall behind one front, events tagged with their hall.

    Alert ids are ``<hall>:<engine id>`` (unique across the site). :meth:`rollup` carries each
    engine's relic -> case -> zone -> hall roll-up one level further, to the site.
    """

    def __init__(self, site: Site, clock: Callable[[], datetime], data_dir: Path | None = None) -> None:
        self.site = site
        self.halls = {h.id: AlertService(h.scene, clock=clock, state_file=None if data_dir is None
                                         else derived_state_path(data_dir, h.id, site.id)) for h in site.halls}

    def on_readings(self, readings: Sequence[Reading]) -> list[dict[str, Any]]:
        by_hall: dict[str, list[Reading]] = defaultdict(list)
        for r in readings:
            by_hall[r.hall].append(r)
        out: list[dict[str, Any]] = []
        for hall, rs in by_hall.items():
            service = self.halls.get(hall)
            if service is not None:  # a hall the site does not hold has no engine (its readings are stored)
                out += _tag(hall, service.on_readings(rs))
        return out

    def observe(self, hall: str, observations: list[Any]) -> list[dict[str, Any]]:
        return _tag(hall, self.halls[hall].observe(observations))

    def on_status(self, sensor: str, status: Mapping[str, object]) -> list[dict[str, Any]]:
        """A device's status (battery): judged by the engine of the hall it names."""
        hall = str(status.get("hall", ""))
        service = self.halls.get(hall)
        return _tag(hall, service.on_status(sensor, status)) if service is not None else []

    def calibration_ages(self, store: Store) -> list[dict[str, Any]]:
        """``calibration_due`` per hall: days since each of its sensors was last calibrated in that hall."""
        out: list[dict[str, Any]] = []
        for hall, service in self.halls.items():
            out += _tag(hall, service.calibration_ages(sensor_ages(store, hall, service.clock())))
        return out

    def tick(self) -> list[dict[str, Any]]:
        return [e for hall, s in self.halls.items() for e in _tag(hall, s.tick())]

    def split(self, alert_id: str) -> tuple[str, str]:
        """(hall, engine id) of a site alert id; KeyError when no hall of the site matches."""
        for hall in self.halls:
            if alert_id.startswith(hall + ":"):
                return hall, alert_id[len(hall) + 1:]
        raise KeyError(alert_id)

    def acknowledge(self, alert_id: str, who: str) -> list[dict[str, Any]]:
        hall, inner = self.split(alert_id)
        return _tag(hall, self.halls[hall].acknowledge(inner, who))

    def active(self) -> list[dict[str, Any]]:
        return [e for hall, s in self.halls.items() for e in _tag(hall, s.active())]

    def rollup(self) -> dict[str, Any]:
        """Worst active tier of the site, of each hall, and of each target in it::

            {"site": "red", "halls": {"hall_a": {"tier": "red", "targets": {"relic:ding": "red", ...}}}}
        """
        halls: dict[str, Any] = {}
        worst = Level.GREEN
        for hall, service in self.halls.items():
            with service._lock:
                levels: dict[Target, Level] = service.engine.rollup()
            tier = max(levels.values(), default=Level.GREEN)
            worst = max(worst, tier)
            halls[hall] = {"tier": TIERS[tier],
                           "targets": {f"{t.kind}:{t.id}": TIERS[v] for t, v in sorted(levels.items(),
                                                                                 key=lambda kv: str(kv[0]))}}
        return {"site": TIERS[worst], "halls": halls}


class SiteState:
    """The live state of every hall as one: what :class:`LiveFeed` and the API's live hub read.

    ``zone_of`` maps (hall, sensor) -> zone; readings and alerts in snapshots and deltas name their hall.
    """

    def __init__(self, site: Site, states: dict[str, TwinState], clock: Callable[[], datetime]) -> None:
        self.site = site
        self.halls = states
        self.clock = clock
        self.zone_of = {(h, s.id): s.zone for h, st in states.items() for s in st.scene.sensors}

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> None:
        for st in self.halls.values():
            st.subscribe(listener)

    def update(self, readings: Iterable[Reading], alerts: Sequence[dict[str, Any]] = ()) -> None:
        by_hall: dict[str, list[Reading]] = defaultdict(list)
        for r in readings:
            by_hall[r.hall].append(r)
        events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for a in alerts:
            events[a.get("hall", "")].append(a)
        for hall, st in self.halls.items():
            if by_hall.get(hall) or events.get(hall):
                st.update(by_hall.get(hall, []), alerts=events.get(hall, []))

    def latest(self) -> list[Reading]:
        return [r for st in self.halls.values() for r in st.latest()]

    def is_stale(self, r: Reading, now: datetime) -> bool:
        st = self.halls.get(r.hall)
        return st.is_stale(r, now) if st is not None else True

    def snapshot(self) -> dict[str, Any]:
        snaps = [st.snapshot() for st in self.halls.values()]
        return {"type": "snapshot", "site": self.site.id, "hall": "", "halls": list(self.halls),
                "time": iso(self.clock()), "readings": [r for s in snaps for r in s["readings"]],
                "alerts": [a for s in snaps for a in s["alerts"]],
                "control": [{**c, "hall": h} for h, s in zip(self.halls, snaps, strict=True) for c in s["control"]]}


@dataclass
class SiteRuntime:
    """Everything :func:`start_site` started; ``stop()`` ends it all, in reverse order."""

    site: Site
    broker: BrokerHandle
    store: Store
    states: dict[str, TwinState]
    state: SiteState
    feed: LiveFeed
    ingestor: Ingestor
    alerts: SiteAlerts
    dissemination: dict[str, Disseminator]
    fleets: list[VirtualFleet] = field(default_factory=list)
    _clients: list[mqtt.Client] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _controls: dict[str, Any] = field(default_factory=dict)  # hall -> bridge.control.service.ControlService

    @property
    def controls(self) -> dict[str, Any]:
        """hall -> its control runtime (``bridge.control.runtime.ControlRuntime``), halls with machines only."""
        return {h: svc.runtime for h, svc in self._controls.items()}

    @property
    def scene(self) -> None:  # the API's single-hall view: a site has no one scene
        return None

    def emit(self, events: list[dict[str, Any]]) -> None:
        """Alert events out: to the live feed, and stored, retained and sent by each hall's dissemination."""
        if not events:
            return
        self.state.update([], alerts=events)
        by_hall: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in events:
            by_hall[e["hall"]].append(e)
        for hall, es in by_hall.items():
            self.dissemination[hall].on_events(es)

    def adopt_device(self, hall: str, sensor: str) -> None:
        """Accept the readings of ``sensor`` of ``hall`` (adopted by a person into one of its zones) from now on."""
        if isinstance(self.ingestor.identity, HallIdentities):
            self.ingestor.identity.adopt(sensor, [hall])

    def acknowledge(self, alert_id: str, who: str) -> bool:
        try:
            self.emit(self.alerts.acknowledge(alert_id, who))
        except KeyError:
            return False
        return True

    def stop(self) -> None:
        self._stop.set()
        for svc in self._controls.values():
            svc.stop()
        for t in self._threads:
            t.join(5)
        for client in self._clients:
            client.loop_stop()
            client.disconnect()
        for d in self.dissemination.values():
            d.stop()
        stop_ingest(self.ingestor, self.feed, self.store, self.broker)
        for svc in self.alerts.halls.values():  # the derived causes' windows, after the last batch
            svc.save()


def site_identity(site: Site, adopted: Mapping[tuple[str, str], str]) -> HallIdentities:
    """Each hall's device identity from its scene, with the devices adopted into it (``{(hall, sensor): zone}``)."""
    return HallIdentities({h.id: DeviceIdentity.from_scene(h.scene.sensors, [s for hall, s in adopted if hall == h.id],
                                                           hall=h.id)
                           for h in site.halls})


def start_site(site: Site, settings: Settings, *, fleet: FleetSettings | None = None, feed_port: int | None = 0,
               workdir: Path | None = None, alert_tick_s: float = 5.0, notify: NotifySettings | None = None,
               clock: Callable[[], datetime] | None = None, on_status: Callable[[str], None] = print,
               control_tick_s: float | None = None) -> SiteRuntime:
    """Start every hall of ``site`` in this process: one broker, store, ingest, alert service and feed.
    ``alert_tick_s`` and ``control_tick_s``: seconds between the alert clock's and the control loops' ticks
    (None: the control loop's own, ``bridge.control.service.TICK_S``)."""
    broker = open_broker(settings, workdir, on_status)
    try:
        return _start_site(site, settings, broker, fleet, feed_port, alert_tick_s, notify, clock, on_status,
                           control_tick_s)
    except BaseException:
        broker.stop()  # a half-started site leaves no broker behind (the rest are threads of this process)
        raise


def _start_site(site: Site, settings: Settings, broker: BrokerHandle, fleet: FleetSettings | None,
                feed_port: int | None, alert_tick_s: float, notify: NotifySettings | None,
                clock: Callable[[], datetime] | None, on_status: Callable[[str], None],
                control_tick_s: float | None = None) -> SiteRuntime:
    first = site.halls[0].id
    store = Store.open(settings.database_url, data_dir=settings.data_dir, hall=first)
    on_status(f"database 数据库: {store.url}; site 场馆 {site.id}: {', '.join(site.hall_ids)}")
    clock = clock or (lambda: datetime.now(UTC))
    fleets: list[VirtualFleet] = []
    clients: list[mqtt.Client] = []
    fleet_client: mqtt.Client | None = None
    if fleet is not None:
        fleet_client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"relic-twin-fleet-{site.id}")
        fleet_client.max_inflight_messages_set(1000)

        def publish(topic: str, payload: bytes) -> None:
            assert fleet_client is not None
            fleet_client.publish(topic, payload, qos=1)

        fleets = [VirtualFleet(h.scene, publish, fleet) for h in site.halls]
        clock = fleets[0].replay_time
    states = {h.id: TwinState(h.scene, clock=clock, freshness=freshness_for(fleet)) for h in site.halls}
    state = SiteState(site, states, clock)
    feed = feed_on(state, feed_port, on_status)  # type: ignore[arg-type]
    on_status(f"live feed 实时数据: {feed.url} (?hall=HALL to narrow it)")
    alerts = SiteAlerts(site, clock, settings.data_dir)
    alert_client = _alert_publisher(broker.address, site.id)
    clients.append(alert_client)

    def publish_retained(topic: str, payload: bytes, retain: bool) -> None:
        alert_client.publish(topic, payload, qos=1, retain=retain)

    dissemination = {h.id: Disseminator(store, h.id, publish_retained, notify or NotifySettings(), clock=clock)
                     for h in site.halls}

    def on_stored(readings: list[Reading]) -> None:
        events = alerts.on_readings(readings)
        state.update(readings, alerts=events)
        by_hall: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in events:
            by_hall[e["hall"]].append(e)
        for hall, es in by_hall.items():
            dissemination[hall].on_events(es)

    subs = [s for h in site.halls for s in subscriptions_for(h.scene, fleet.format if fleet else None)]
    def on_device_status(sensor: str, status: Mapping[str, object]) -> None:  # battery -> battery_low alerts
        events = alerts.on_status(sensor, status)
        if events:
            rt.emit(events)

    ingestor = Ingestor(store, broker.address, subs, on_stored=on_stored, client_id=f"relic-twin-site-{site.id}",
                        clock=clock, govern=PersistentGovernor(state_path(settings.data_dir, first, site.id)),
                        on_status=on_device_status, calibrations=Calibrations(store),
                        identity=site_identity(site, adopted_devices(store)))
    rt = SiteRuntime(site, broker, store, states, state, feed, ingestor, alerts, dissemination, fleets, clients)
    ingestor.start()
    for h in site.halls:  # each hall's machines: its own control loop (bridge/control/service.py)
        if h.scene.actuators:
            from bridge.control.service import TICK_S, start_for_hall

            rt._controls[h.id] = start_for_hall(
                h.scene, states[h.id], store, broker.address, settings.data_dir, clock,
                lambda events, hall=h.id: rt.emit(_tag(hall, events)), f"relic-twin-control-{site.id}-{h.id}",
                outdoor=os.environ.get("RELIC_TWIN_OUTDOOR_SENSOR"), tick_s=control_tick_s or TICK_S)
            on_status(f"control 环境控制 {h.id}: {len(h.scene.actuators)} actuators, {rt._controls[h.id].why}")
    prealarms = {h.id: Prealarms(store, h.scene, alerts.halls[h.id].profiles, clock) for h in site.halls}

    rt._threads.append(alert_clock(rt._stop, alert_tick_s, rt.emit, alerts.tick, lambda: alerts.calibration_ages(store),
                                   {h: (p, lambda obs, hall=h: alerts.observe(hall, obs)) for h, p in prealarms.items()},
                                   list(dissemination.values())))
    if fleet_client is not None:
        fleet_client.connect(broker.address.host, broker.address.port)
        fleet_client.loop_start()
        clients.append(fleet_client)
        for f in fleets:
            t = threading.Thread(target=f.run, args=(rt._stop,), name=f"fleet-{f.scene.id}", daemon=True)
            t.start()
            rt._threads.append(t)
        on_status(f"virtual fleet 虚拟传感器: {sum(len(h.scene.sensors) for h in site.halls)} sensors in "
                  f"{len(site.halls)} halls, x{fleet.speed:g} speed")
    return rt
