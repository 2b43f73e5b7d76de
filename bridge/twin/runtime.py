"""Wires the headless twin together: broker, store, ingest, live state, feed, fleet.

``start_twin`` is what ``relic-twin demo`` (and ``serve``) run; tests use it
too, against a broker they start. ``TwinRuntime.stop`` stops what it started,
in reverse order, so no acknowledged reading is lost on the way down.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from bridge.alerts.alerting import AlertService, derived_state_path
from bridge.alerts.dissemination import Disseminator, NotifySettings
from bridge.alerts.prealarm import Prealarms
from bridge.config import BrokerAddress, Settings
from bridge.errors import ConfigError
from bridge.ingest.calibration import Calibrations, list_calibrations
from bridge.ingest.identity import DeviceIdentity
from bridge.ingest.ingestor import Ingestor, Subscription
from bridge.ingest.live_governance import PersistentGovernor, state_path
from bridge.mqtt.broker import BrokerHandle, ensure_broker
from bridge.mqtt.client_ids import client_id, installation_id
from bridge.readings import Reading
from bridge.sensors import native
from bridge.sensors.fleet import FleetSettings, VirtualFleet, topics_for
from bridge.sensors.registry import Freshness
from bridge.store import Store
from bridge.store.service_queries import adopted_devices
from bridge.twin.live import LOCAL_FEED_PORT, LiveFeed, TwinState
from simulation.scene import Scene

log = logging.getLogger("relic_twin.runtime")

CALIBRATION_CHECK_S = 3600.0
"""How often the alert clock checks which sensors are due for calibration, s."""


@dataclass
class TwinRuntime:
    """Everything ``start_twin`` started; ``stop()`` ends it all."""

    scene: Scene
    broker: BrokerHandle
    store: Store
    state: TwinState
    feed: LiveFeed
    ingestor: Ingestor
    alerts: AlertService
    dissemination: Disseminator
    fleet: VirtualFleet | None = None
    _fleet_client: mqtt.Client | None = None
    _alert_client: mqtt.Client | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    control: Any = None  # bridge.control.runtime.ControlRuntime when the scene has [[actuators]]
    _control_service: Any = None
    virtual_hall: Any = None  # bridge.control.virtual_hall.VirtualHall: the fleet's plant (the demo)

    def emit(self, events: list[dict[str, Any]]) -> None:
        """Alert events out: to the live feed, and stored, retained and sent (dissemination)."""
        if events:
            self.state.update([], alerts=events)
            self.dissemination.on_events(events)

    def adopt_device(self, hall: str, sensor: str) -> None:
        """Accept the readings of ``sensor`` of ``hall`` (an unknown device a person adopted) from now on."""
        if self.ingestor.identity is not None and hall == self.scene.id:
            self.ingestor.identity.adopt(sensor)

    def acknowledge(self, alert_id: str, who: str) -> bool:
        """A person has seen alert ``alert_id`` (the engine's id); False when it is no longer active."""
        try:
            self.emit(self.alerts.acknowledge(alert_id, who))
        except KeyError:
            return False
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._control_service is not None:
            self._control_service.stop()
        if self.virtual_hall is not None:
            self.virtual_hall.close()
        for t in self._threads:
            t.join(5)
        for client in (self._fleet_client, self._alert_client):
            if client is not None:
                client.loop_stop()
                client.disconnect()
        self.dissemination.stop()
        stop_ingest(self.ingestor, self.feed, self.store, self.broker)
        self.alerts.save()  # the derived causes' windows, after the last batch was stored and judged


def sensor_ages(store: Store, hall: str, now: datetime) -> dict[str, float]:
    """Days since each sensor of ``hall`` was last calibrated (a sensor is as due as its most due quantity)."""
    ages: dict[str, float] = {}
    for c in list_calibrations(store, hall=hall):
        ages[c.sensor] = max(ages.get(c.sensor, 0.0), (now - c.set_at).total_seconds() / 86400.0)
    return ages


def alert_clock(stop: threading.Event, every_s: float, emit: Callable[[list[dict[str, Any]]], None],
                tick: Callable[[], list[dict[str, Any]]], calibration_due: Callable[[], list[dict[str, Any]]],
                prealarms: Mapping[str, tuple[Prealarms, Callable[[list[Any]], list[dict[str, Any]]]]],
                disseminations: Sequence[Disseminator]) -> threading.Thread:
    """Start the alert clock of a hall or a site: escalation and reminders every ``every_s`` (with or
    without readings), calibration due dates hourly, forecast pre-alarms (``name -> (prealarms, observe)``),
    and the dissemination's retries; until ``stop`` is set."""

    def run() -> None:
        checked = float("-inf")
        while not stop.wait(every_s):
            emit(tick())
            if time.monotonic() - checked >= CALIBRATION_CHECK_S:  # sensors due for calibration
                checked = time.monotonic()
                emit(calibration_due())
            for name, (p, observe) in prealarms.items():
                try:
                    observations = p.due()
                except Exception:  # noqa: BLE001 (a failed forecast must not stop the alert clock)
                    log.exception("forecast pre-alarms failed for %s", name)
                    observations = None
                if observations is not None:
                    emit(observe(observations))
            for d in disseminations:
                d.tick()

    thread = threading.Thread(target=run, name="alert-clock", daemon=True)
    thread.start()
    return thread


def stop_ingest(ingestor: Ingestor, feed: LiveFeed, store: Store, broker: BrokerHandle) -> None:
    """The last of a runtime's stop, in order: ingest (committing what arrived, keeping what the live
    rules learnt), feed, store, broker."""
    ingestor.stop()
    if isinstance(ingestor.govern, PersistentGovernor):  # what the last batches taught it
        ingestor.govern.save()
    feed.stop()
    store.close()
    broker.stop()


def subscriptions_for(scene: Scene, fleet_format: str | None = None) -> list[Subscription]:
    """One MQTT subscription per sensor topic, with its payload format and sensor id.

    With ``fleet_format``, the topics the virtual fleet uses when it publishes every
    sensor in that convention (quantities it cannot carry go in native JSON). Last, the hall's
    native wildcard ``relic-twin/<hall>/+`` (no sensor: the topic names it), so that a device the
    scene does not know is heard, quarantined and listed as an unknown device.
    """
    if fleet_format is None:
        subs = [Subscription(topic=s.topic, format=s.format, sensor=s.id, hall=scene.id) for s in scene.sensors]
    else:
        subs = [Subscription(topic=t, format=None, sensor=s.id, hall=scene.id)
                for s in scene.sensors for t in topics_for(fleet_format, s, scene.id)]
    return [*subs, Subscription(topic=f"{native.TOPIC_ROOT}/{scene.id}/+", format="native", hall=scene.id)]


def _alert_publisher(address: BrokerAddress, client_name: str) -> mqtt.Client:
    """A paho client for the retained alert state (its own connection: the ingestor's is for reading)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_name)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.connect_async(address.host, address.port)
    client.loop_start()
    return client


def start_twin(scene: Scene, settings: Settings, *, fleet: FleetSettings | None = None,
               feed_port: int | None = 0, workdir: Path | None = None, alert_tick_s: float = 5.0,
               notify: NotifySettings | None = None, clock: Callable[[], datetime] | None = None,
               on_status: Callable[[str], None] = print) -> TwinRuntime:
    """Start the headless twin for ``scene``; with ``fleet`` settings, the virtual fleet too.

    clock : "now" for freshness and the alert clock (default: the wall clock, or the fleet's
        replay time); tests pass their own to move time by hand.
    """
    started: list[Callable[[], object]] = []  # what to stop, newest first, when start-up fails half way
    try:
        return _start(scene, settings, fleet, feed_port, workdir, alert_tick_s, notify, clock, on_status, started)
    except BaseException:
        for stop in reversed(started):
            try:
                stop()
            except Exception:  # noqa: BLE001 (the start-up error is the one to report)
                log.exception("stopping after a failed start")
        raise


def open_broker(settings: Settings, workdir: Path | None, on_status: Callable[[str], None]) -> BrokerHandle:
    """The settings' broker; a private local one only when none was configured, and it says so."""
    broker = ensure_broker(settings.broker, workdir=workdir, configured=settings.broker_configured)
    if broker.kind == "external":
        on_status(f"broker 消息代理: {broker.url}")
    else:
        on_status(f"broker 消息代理: no broker answers at {settings.broker.url} and none is configured: started "
                  f"{broker.kind} at {broker.url}, ending with this command / 未配置消息代理，已启动本地代理")
    return broker


def feed_on(state: TwinState, port: int | None, on_status: Callable[[str], None]) -> LiveFeed:
    """The live feed on ``port`` (0: any free one); None: the usual local port, else a free one."""
    if port is not None:
        return LiveFeed(state, port=port).start()
    try:
        return LiveFeed(state, port=LOCAL_FEED_PORT).start()
    except ConfigError:
        feed = LiveFeed(state, port=0).start()
        on_status(f"port {LOCAL_FEED_PORT} is in use (another relic-twin?): the local feed is at {feed.url} "
                  f"(relic-twin monitor --url {feed.url}) / 端口 {LOCAL_FEED_PORT} 已被占用，实时推送改用 {feed.url}")
        return feed


def freshness_for(fleet: FleetSettings | None) -> Freshness:
    """Stale-after periods on the replay clock: at ``--speed 3600`` a fleet round every second is an
    hour of replay apart, so a reading is stale only after three of its rounds (never sooner than
    the wall-clock periods of :class:`Freshness`)."""
    base = Freshness()
    if fleet is None:
        return base
    rounds = timedelta(seconds=3 * fleet.interval_s * fleet.speed)
    return Freshness(mains=max(base.mains, rounds), battery=max(base.battery, rounds))


def _start(scene: Scene, settings: Settings, fleet: FleetSettings | None, feed_port: int | None, workdir: Path | None,
           alert_tick_s: float, notify: NotifySettings | None, clock: Callable[[], datetime] | None,
           on_status: Callable[[str], None], started: list[Callable[[], object]]) -> TwinRuntime:
    broker = open_broker(settings, workdir, on_status)
    started.append(broker.stop)
    store = Store.open(settings.database_url, data_dir=settings.data_dir, hall=scene.id)
    started.append(store.close)
    on_status(f"database 数据库: {store.url}")
    say = on_status  # the name is reused below for battery status
    installation = installation_id(settings.data_dir)  # our client ids: stable here, unique between installations
    fleet_obj: VirtualFleet | None = None
    virtual_hall: Any = None
    if clock is None:
        clock = lambda: datetime.now(UTC)  # noqa: E731
    client: mqtt.Client | None = None
    if fleet is not None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id(installation, "fleet", scene.id))
        client.max_inflight_messages_set(1000)

        def publish(topic: str, payload: bytes) -> None:
            assert client is not None
            client.publish(topic, payload, qos=1)

        fleet_obj = VirtualFleet(scene, publish, fleet)
        clock = fleet_obj.replay_time  # staleness is judged on the replay clock
        if fleet.plant and scene.actuators:  # the hall answers back: T/RH from its climate model and machines
            from bridge.control.virtual_hall import VirtualHall
            from bridge.control.weather import outdoor

            weather = outdoor(fleet.weather, fleet_obj.replay_time().timestamp())
            virtual_hall = VirtualHall(scene, broker.address.host, broker.address.port, weather)
            started.append(virtual_hall.close)
            fleet_obj.air = virtual_hall.air
            on_status(f"virtual hall 虚拟展厅: the 2-D climate model under {weather.where}, "
                      f"machines as virtual plugs: {', '.join(virtual_hall.plugs)}")
    state = TwinState(scene, clock=clock, freshness=freshness_for(fleet))
    feed = feed_on(state, feed_port, on_status)
    started.append(feed.stop)
    on_status(f"live feed 实时数据: {feed.url}")
    alerts = AlertService(scene, clock=clock, state_file=derived_state_path(settings.data_dir, scene.id))
    alert_client = _alert_publisher(broker.address, client_id(installation, "alerts", scene.id))
    started.append(alert_client.loop_stop)

    def publish_retained(topic: str, payload: bytes, retain: bool) -> None:
        alert_client.publish(topic, payload, qos=1, retain=retain)

    dissemination = Disseminator(store, scene.id, publish_retained, notify or NotifySettings(), clock=clock)

    def on_stored(readings: list[Reading]) -> None:
        events = alerts.on_readings(readings)
        state.update(readings, alerts=events)
        dissemination.on_events(events)

    # live readings are unified, range-checked and flagged by the live rules before they are stored:
    # flagged ones are kept, and kept out of the alerts and models; the rules' state outlives a restart
    def on_device_status(sensor: str, status: Mapping[str, object]) -> None:  # battery levels -> battery_low alerts
        events = alerts.on_status(sensor, status)
        if events:
            state.update([], alerts=events)
            dissemination.on_events(events)

    ingestor = Ingestor(store, broker.address, subscriptions_for(scene, fleet.format if fleet else None),
                        on_stored=on_stored, on_status=on_device_status, calibrations=Calibrations(store),
                        client_id=client_id(installation, "ingest", scene.id), clock=clock,
                        govern=PersistentGovernor(state_path(settings.data_dir, scene.id)),
                        identity=DeviceIdentity.from_scene(
                            scene.sensors, [s for h, s in adopted_devices(store) if h == scene.id], hall=scene.id))
    started.append(dissemination.stop)
    ingestor.start()
    started.append(ingestor.stop)
    rt = TwinRuntime(scene, broker, store, state, feed, ingestor, alerts, dissemination, fleet_obj, client,
                     alert_client)
    rt.virtual_hall = virtual_hall
    started[:] = [rt.stop]  # from here on, the runtime stops everything it holds

    if scene.actuators:  # the hall's machines: the control loop (bridge/control/service.py)
        from bridge.control.service import start_for_hall

        svc = start_for_hall(scene, state, store, broker.address, settings.data_dir, clock, rt.emit,
                             client_id(installation, "control", scene.id),
                             outdoor=os.environ.get("RELIC_TWIN_OUTDOOR_SENSOR"),
                             weather=virtual_hall.outdoor if virtual_hall is not None else None)
        rt.control, rt._control_service = svc.runtime, svc
        say(f"control 环境控制: {len(scene.actuators)} actuators, {svc.why}")

    prealarms = Prealarms(store, scene, alerts.profiles, clock)
    rt._threads.append(alert_clock(rt._stop, alert_tick_s, rt.emit, alerts.tick,
                                   lambda: alerts.calibration_ages(sensor_ages(store, scene.id, clock())),
                                   {scene.id: (prealarms, alerts.observe)}, [dissemination]))
    if fleet_obj is not None and client is not None:
        client.connect(broker.address.host, broker.address.port)
        client.loop_start()
        t = threading.Thread(target=fleet_obj.run, args=(rt._stop,), name="fleet", daemon=True)
        t.start()
        rt._threads.append(t)
        on_status(f"virtual fleet 虚拟传感器: {len(scene.sensors)} sensors, x{fleet.speed:g} speed")
    return rt
