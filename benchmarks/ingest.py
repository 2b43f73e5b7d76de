"""Readings per second through the ingest path: batched commits vs one commit per reading.

Path measured: broker -> paho (QoS 1, manual ack) -> native JSON decode ->
store commit (SQLite, WAL, synchronous=FULL; or the database given by
--db) -> PUBACK. The messages are published first and queued by the broker
for the ingestor's persistent session, so the clock times the ingest path
alone, not the publisher.

Anchors, measured in the same run, same broker and publisher: (a) a bare paho
subscriber (QoS 1, persistent session) that only counts the queued messages;
the ratio full path / bare subscriber is the figure issue 4 asks for (target
>= 0.8 and >= 10 000 readings/s with SQLite). Also the same ingestor with
batch_size=1 (one transaction and one fsync per reading), the store alone
(``Store.add_readings`` in batches of 1000 vs one reading per call), and the
p50/p99 latency from publish to commit with messages paced at --rate per second.

Synthetic data only (no ../shared needed). Starts its own Mosquitto on
a free port (or the embedded broker when Mosquitto is not installed).

    .venv/bin/python benchmarks/ingest.py [--n 20000] [--anchor-n 2000] [--db URL] [--repeat 5] [--store-process]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.config import BrokerAddress  # noqa: E402
from bridge.ingest.ingestor import Ingestor, IngestSettings, Subscription  # noqa: E402
from bridge.mqtt.broker import BrokerError, start_embedded, start_mosquitto  # noqa: E402
from bridge.readings import Reading  # noqa: E402
from bridge.store import Store  # noqa: E402

T0 = 1767225600  # 2026-01-01T00:00:00Z


def messages(n: int, offset: int, root: str = "bench") -> list[tuple[str, bytes]]:
    """n native messages, one distinct temperature reading each, 20 sensors, on ``relic-twin/<root>/...``."""
    return [
        (f"relic-twin/{root}/S{i % 20:02d}", json.dumps({"time": T0 + offset + i, "temperature": 20.0 + i % 7}).encode())
        for i in range(n)
    ]


def publish(address: BrokerAddress, msgs: list[tuple[str, bytes]]) -> None:
    acked = [0]
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.monotonic_ns()}")
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.on_publish = lambda *_: acked.__setitem__(0, acked[0] + 1)
    c.connect(address.host, address.port)
    c.loop_start()
    deadline = time.monotonic() + 300
    # windows of 1000: paho scans its whole outgoing queue on every PUBACK, so
    # queueing all n at once costs the publisher O(n^2) (untimed, but slow)
    for start in range(0, len(msgs), 1000):
        for topic, payload in msgs[start : start + 1000]:
            c.publish(topic, payload, qos=1)
        while acked[0] < min(len(msgs), start + 1000) and time.monotonic() < deadline:
            time.sleep(0.005)
    c.disconnect()
    c.loop_stop()


def ingest_rate(store: Store, address: BrokerAddress, n: int, offset: int, settings: IngestSettings, cid: str) -> float:
    """Readings/s for n queued messages through an ingestor with ``settings``."""
    subs = [Subscription("relic-twin/bench/#", "native")]
    once = replace(settings, store_process=False)
    Ingestor(store, address, subs, client_id=cid, settings=once).start().stop()  # persistent session
    publish(address, messages(n, offset))
    before = store.count_readings()
    ing = Ingestor(store, address, subs, client_id=cid, settings=settings)  # its store process started
    t = time.perf_counter()
    ing.start()
    last = time.monotonic()
    while ing.stats.stored + ing.stats.duplicates < n:  # counted after each commit
        time.sleep(0.002)
        if time.monotonic() - last > 5:
            last = time.monotonic()
            print(f"  ... {ing.stats.stored}/{n}", flush=True)
    elapsed = time.perf_counter() - t
    ing.stop()
    assert store.count_readings() == before + n, "readings lost or duplicated"
    return n / elapsed


def bare_rate(address: BrokerAddress, n: int, offset: int) -> float:
    """Messages/s received by a paho subscriber that only counts (same queued-session setup); a topic
    root of its own: the ingest's persistent session must not queue these for its next run."""
    return queued_drain_rate(address, messages(n, offset, "bare"), "relic-twin/bare/#", "bench-bare")


def queued_drain_rate(address: BrokerAddress, msgs: list[tuple[str, bytes]], topic: str, client_id: str) -> float:
    """Messages/s received by a paho subscriber that only counts: its persistent session subscribes to
    ``topic`` and leaves, ``msgs`` are queued for it, and it is timed draining them on reconnecting
    (the anchor of the ingest and live benchmarks: the broker and paho alone)."""
    got = [0]
    subscribed = threading.Event()

    def client() -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        c.on_message = lambda *_: got.__setitem__(0, got[0] + 1)
        c.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        c.on_subscribe = lambda *_: subscribed.set()
        return c

    c = client()
    c.connect(address.host, address.port)
    c.loop_start()
    if not subscribed.wait(30):  # subscribed: the session now queues for us
        raise RuntimeError(f"the broker did not acknowledge the subscription to {topic}")
    c.disconnect()
    c.loop_stop()
    publish(address, msgs)
    got[0] = 0
    c = client()
    t = time.perf_counter()
    c.connect(address.host, address.port)
    c.loop_start()
    deadline = time.monotonic() + 300
    while got[0] < len(msgs) and time.monotonic() < deadline:
        time.sleep(0.002)
    elapsed = time.perf_counter() - t
    c.disconnect()
    c.loop_stop()
    return len(msgs) / elapsed


def latency(store: Store, address: BrokerAddress, rate: float, seconds: float, offset: int) -> tuple[float, float]:
    """p50, p99 in ms from publish to commit, messages paced at ``rate`` per second."""
    n = int(rate * seconds)
    sent: dict[int, float] = {}
    done: dict[int, float] = {}

    def stored(rs: list[Reading]) -> None:
        now = time.perf_counter()
        done.update((int(r.time.timestamp()) - T0 - offset, now) for r in rs)

    ing = Ingestor(store, address, [Subscription("relic-twin/bench/#", "native")], on_stored=stored,
                   client_id="bench-latency").start()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-latency-pub")
    c.connect(address.host, address.port)
    c.loop_start()
    start = time.perf_counter()
    for i, (topic, payload) in enumerate(messages(n, offset)):
        while (wait := start + i / rate - time.perf_counter()) > 0:
            time.sleep(wait)
        sent[i] = time.perf_counter()
        c.publish(topic, payload, qos=1)
    while len(done) < n and time.perf_counter() - start < seconds + 30:
        time.sleep(0.01)
    c.disconnect()
    c.loop_stop()
    ing.stop()
    ms = sorted((done[i] - sent[i]) * 1000 for i in done)
    assert len(ms) == n, f"{n - len(ms)} readings not committed"
    return ms[len(ms) // 2], ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def store_rate(store: Store, n: int, batch: int, offset: int) -> float:
    base = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=offset)
    rows = [Reading("store-bench", "temperature", base + timedelta(seconds=i), 20.0, "°C") for i in range(n)]
    t = time.perf_counter()
    for i in range(0, n, batch):
        store.add_readings(rows[i : i + batch])
    return n / (time.perf_counter() - t)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=20000, help="messages through the batched ingestor")
    p.add_argument("--anchor-n", type=int, default=1000, help="messages through the one-commit-per-reading anchor")
    p.add_argument("--rate", type=float, default=1000.0, help="messages/s for the latency measurement")
    p.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    p.add_argument("--store-process", action="store_true",
                   help="decode and store in a process of its own (IngestSettings.store_process), not a thread")
    p.add_argument("--repeat", type=int, default=5,
                   help="pairs (full path, bare subscriber) measured alternately; the medians are reported")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="relic-twin-bench-ingest-"))
    try:
        broker = start_mosquitto(workdir=tmp / "broker")
    except BrokerError:
        broker = start_embedded()
    store = Store.open(url=args.db or f"sqlite:///{tmp / 'bench.sqlite'}")
    print(f"broker: {broker.kind} {broker.url}; database: {store.url}")
    try:
        # alternate the two, so that load from other processes on the machine hits both alike
        pairs = []
        plain = IngestSettings(store_process=args.store_process)
        for k in range(max(1, args.repeat)):
            b = ingest_rate(store, broker.address, args.n, k * args.n, plain, "bench-batched")
            a = bare_rate(broker.address, args.n, 2 * 10**7 + k * args.n)
            pairs.append((b, a))
            print(f"  run {k + 1}: full path {b:8.0f} readings/s, bare {a:8.0f} messages/s, ratio {b / a:.2f}")
        batched = statistics.median(b for b, _ in pairs)
        bare = statistics.median(a for _, a in pairs)
        ratio = statistics.median(b / a for b, a in pairs)
        where = "store process" if args.store_process else "writer thread"
        print(f"ingest, batched (batch_size {plain.batch_size}, {where}): {batched:10.0f} readings/s  "
              f"({args.n}, median of {len(pairs)})")
        print(f"bare paho subscriber, counting only:     {bare:10.0f} messages/s  ({args.n}, median of {len(pairs)})")
        print(f"ratio full path / bare subscriber: {ratio:.2f} (median of the pairs; target >= 0.8; "
              ">= 10000 readings/s)")
        p50, p99 = latency(store, broker.address, args.rate, 5.0, -(10**7))  # times in the past
        print(f"publish -> commit at {args.rate:.0f} readings/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        anchor = ingest_rate(
            store, broker.address, args.anchor_n, 10**7, IngestSettings(batch_size=1, linger_s=0.0), "bench-single"
        )
        print(f"ingest, one commit per reading (anchor):  {anchor:10.0f} readings/s  ({args.anchor_n})")
        print(f"ratio batched / anchor: {batched / anchor:.1f}x")
        s_batch = store_rate(store, 20000, 1000, 0)
        s_one = store_rate(store, 500, 1, 1)
        print(f"store alone: add_readings x1000 {s_batch:10.0f} /s, x1 {s_one:8.0f} /s, ratio {s_batch / s_one:.1f}x")
    finally:
        store.close()
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
