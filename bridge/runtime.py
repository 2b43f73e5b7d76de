"""Wires the headless twin together: broker, store, ingest, live state, feed, fleet.

``start_twin`` is what ``relic-twin demo`` (and ``serve``) run; tests use it
too, against a broker they start. ``TwinRuntime.stop`` stops what it started,
in reverse order, so no acknowledged reading is lost on the way down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt

from bridge.broker import BrokerHandle, ensure_broker
from bridge.config import Settings
from bridge.fleet import FleetSettings, VirtualFleet
from bridge.ingest import Ingestor, Subscription
from bridge.live import LiveFeed, TwinState
from bridge.store import Store
from simulation.scene import Scene


@dataclass
class TwinRuntime:
    """Everything ``start_twin`` started; ``stop()`` ends it all."""

    scene: Scene
    broker: BrokerHandle
    store: Store
    state: TwinState
    feed: LiveFeed
    ingestor: Ingestor
    fleet: VirtualFleet | None = None
    _fleet_client: mqtt.Client | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(5)
        if self._fleet_client is not None:
            self._fleet_client.loop_stop()
            self._fleet_client.disconnect()
        self.ingestor.stop()
        self.feed.stop()
        self.store.close()
        self.broker.stop()


def subscriptions_for(scene: Scene) -> list[Subscription]:
    """One MQTT subscription per sensor topic, with its payload format and sensor id."""
    return [Subscription(topic=s.topic, format=s.format, sensor=s.id) for s in scene.sensors]


def start_twin(scene: Scene, settings: Settings, *, fleet: FleetSettings | None = None,
               feed_port: int = 0, workdir: Path | None = None,
               on_status: Callable[[str], None] = print) -> TwinRuntime:
    """Start the headless twin for ``scene``; with ``fleet`` settings, the virtual fleet too."""
    broker = ensure_broker(settings.broker, workdir=workdir)
    on_status(f"broker 消息代理: {broker.url} ({broker.kind})")
    store = Store.open(settings.database_url, data_dir=settings.data_dir)
    on_status(f"database 数据库: {store.url}")
    fleet_obj: VirtualFleet | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731
    client: mqtt.Client | None = None
    if fleet is not None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="relic-twin-fleet")
        client.max_inflight_messages_set(1000)

        def publish(topic: str, payload: bytes) -> None:
            assert client is not None
            client.publish(topic, payload, qos=1)

        fleet_obj = VirtualFleet(scene, publish, fleet)
        clock = fleet_obj.replay_time  # staleness is judged on the replay clock
    state = TwinState(scene, clock=clock)
    feed = LiveFeed(state, port=feed_port).start()
    on_status(f"live feed 实时数据: {feed.url}")
    ingestor = Ingestor(store, broker.address, subscriptions_for(scene), on_stored=state.update,
                        client_id=f"relic-twin-bridge-{scene.id}")
    ingestor.start()
    rt = TwinRuntime(scene, broker, store, state, feed, ingestor, fleet_obj, client)
    if fleet_obj is not None and client is not None:
        client.connect(broker.address.host, broker.address.port)
        client.loop_start()
        t = threading.Thread(target=fleet_obj.run, args=(rt._stop,), name="fleet", daemon=True)
        t.start()
        rt._threads.append(t)
        on_status(f"virtual fleet 虚拟传感器: {len(scene.sensors)} sensors, x{fleet.speed:g} speed")
    return rt
