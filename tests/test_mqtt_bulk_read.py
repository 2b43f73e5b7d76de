"""bridge/mqtt/bulk_read.py: paho reads many packets per wake-up, plain PUBLISH packets are parsed
without paho, and nothing else changes: every other packet, a packet split across reads, MQTT 5
properties and QoS 2 go to paho in order; with a real Mosquitto every message is stored once."""

from __future__ import annotations

import json
import struct
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.mqtt.bulk_read import BufferedSocket


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, b = divmod(n, 128)
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


def publish_packet(topic: str, payload: bytes, qos: int, mid: int, v5: bool, props: bytes = b"") -> bytes:
    t = topic.encode()
    body = struct.pack("!H", len(t)) + t + (struct.pack("!H", mid) if qos else b"")
    if v5:
        body += _varint(len(props)) + props
    body += payload
    return bytes([0x30 | (qos << 1)]) + _varint(len(body)) + body


class _Chunks:
    """A socket whose recv hands out prepared chunks, then raises BlockingIOError."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    def recv(self, _n: int) -> bytes:
        if not self.chunks:
            raise BlockingIOError
        return self.chunks.pop(0)


def test_a_plain_publish_is_taken_whole_and_anything_else_is_left_in_place() -> None:
    plain = publish_packet("relic-hub/a/relic-twin/h/S01", b'{"temperature":20}', 1, 7, v5=True)
    with_props = publish_packet("t", b"x", 1, 8, v5=True, props=b"\x26\x00\x01k\x00\x01v")  # a user property
    qos2 = publish_packet("t", b"x", 2, 9, v5=True)
    suback = b"\x90\x03\x00\x01\x01"
    sock = BufferedSocket(_Chunks([plain + with_props + qos2 + suback]))
    assert sock.take_publish(True) is None  # nothing buffered yet: the first read is paho's
    assert sock.recv(1) == plain[:1]  # paho's read fills the buffer
    sock._pos = 0  # noqa: SLF001 (back to the packet's start, as if paho had not read)
    assert sock.take_publish(True) == (7, 1, "relic-hub/a/relic-twin/h/S01", b'{"temperature":20}')
    for packet in (with_props, qos2, suback):  # each left whole for paho, in order
        assert sock.take_publish(True) is None
        assert sock.recv(len(packet)) == packet
    assert sock.pending() == 0


@settings(deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
                          st.binary(max_size=300), st.integers(0, 1), st.integers(1, 65535), st.booleans()),
                min_size=1, max_size=20),
       st.booleans(), st.integers(1, 97))
def test_split_anywhere_every_packet_comes_out_once_in_order(messages, v5: bool, cut: int) -> None:
    """However the bytes arrive, the fast path and paho's reads together give each packet once, in order."""
    packets = [publish_packet(t, p, q, m, v5, b"\x23\x00\x05" if props and v5 else b"")
               for t, p, q, m, props in messages]
    stream = b"".join(packets)
    sock = BufferedSocket(_Chunks([stream[i:i + cut] for i in range(0, len(stream), cut)]))
    got: list[object] = []
    for (topic, payload, qos, mid, _props), packet in zip(messages, packets, strict=True):
        taken = sock.take_publish(v5)
        if taken is not None:
            got.append(taken)
            continue
        raw = b""  # paho's way: read what it needs, as many recv calls as it takes
        while len(raw) < len(packet):
            raw += sock.recv(len(packet) - len(raw))
        assert raw == packet
        got.append((mid if qos else 0, qos, topic, payload))
    assert got == [(m if q else 0, q, t, p) for t, p, q, m, _ in messages]
    assert sock.pending() == 0


def test_an_ingest_over_mqtt5_stores_plain_and_property_carrying_messages_once(tmp_path, mosquitto_broker) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from bridge.hub.decode import HubDecoder, hub_topic
    from bridge.hub.workers import HUB_INGEST, worker_subscriptions
    from bridge.ingest.ingestor import Ingestor
    from bridge.store import Store

    store = Store.open(url=f"sqlite:///{tmp_path / 'hub.sqlite'}")
    worker = Ingestor(store, (mosquitto_broker.host, mosquitto_broker.port), worker_subscriptions({"m": 1}, 0, 1),
                      decoder=HubDecoder(), client_id="bulk-w", settings=HUB_INGEST).start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bulk-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(5000)
    pub.connect(mosquitto_broker.host, mosquitto_broker.port)
    pub.loop_start()
    n = 3000
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = ("origin", "museum")
    try:
        infos = []
        for k in range(n):  # every 7th with a property (paho's path), every 5th at QoS 0, between plain ones
            payload = json.dumps({"time": 1767225600 + k, "temperature": 20.0}).encode()
            infos.append(pub.publish(hub_topic("m", f"relic-twin/h/S{k % 10}"), payload, qos=0 if k % 5 == 0 else 1,
                                     properties=props if k % 7 == 0 else None))
        for info in infos:
            info.wait_for_publish(30)
        deadline = time.monotonic() + 60
        while store.count_readings() < n and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.drain(10)
        assert store.count_readings() == n
        assert worker.stats.received == n and worker.stats.duplicates == 0
    finally:
        pub.loop_stop()
        pub.disconnect()
        worker.stop()
        store.close()
