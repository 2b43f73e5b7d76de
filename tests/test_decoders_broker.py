"""End to end: every convention through a real Mosquitto, encoded by encode(), decoded by decode().

Uses the shared ``mosquitto_broker`` fixture (tests/fixtures_broker.py): a
real broker on a free port, killed after the test; skipped without mosquitto.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as paho
from test_decoders_encode import decode_all

from bridge.readings import Reading
from bridge.sensors import FORMATS
from bridge.sensors.encode import ENCODABLE, encode
from simulation.quantities import QUANTITIES


class Collector:
    """Subscribes to everything and keeps (topic, payload) in arrival order."""

    def __init__(self, host: str, port: int) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="decoder-test-sub")
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.on_subscribe = lambda *_a: self.subscribed.set()
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe("#", qos=1)
        assert self.subscribed.wait(10)

    def wait(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        _close(self.client)


def _close(client: paho.Client) -> None:
    """Disconnect, stop the loop, and close paho's wake-up socket pair (paho 2.2 leaves it
    open until garbage collection, which pytest -W error reports as a ResourceWarning)."""
    client.disconnect()
    client.loop_stop()
    reset = getattr(client, "_reset_sockets", None)
    if reset is not None:
        reset()


def test_every_format_round_trips_through_mosquitto(mosquitto_broker) -> None:  # noqa: ANN001
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    sent: dict[str, list[Reading]] = {}
    outgoing: list[tuple[str, bytes]] = []
    for i, fmt in enumerate(FORMATS):
        sensor = f"rt{i}"
        sent[fmt] = [Reading(sensor, q, t, round(QUANTITIES[q].low + (QUANTITIES[q].high - QUANTITIES[q].low) * 0.3, 3),
                             QUANTITIES[q].unit) for q in sorted(ENCODABLE[fmt])]
        outgoing += encode(fmt, sensor, sent[fmt], hall="demo_hall")
    sub = Collector(mosquitto_broker.host, mosquitto_broker.port)
    pub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="decoder-test-pub")
    pub.connect(mosquitto_broker.host, mosquitto_broker.port)
    pub.loop_start()
    try:
        for topic, payload in outgoing:
            pub.publish(topic, payload, qos=1).wait_for_publish(10)
        sub.wait(len(outgoing))
    finally:
        _close(pub)
        sub.close()
    assert sorted(sub.messages) == sorted(outgoing)
    readings = decode_all(sub.messages, datetime.now(UTC))
    for fmt, expected in sent.items():
        got = {(r.quantity, round(r.value, 6)) for r in readings if r.sensor == expected[0].sensor}
        assert got == {(r.quantity, round(r.value, 6)) for r in expected}, fmt
