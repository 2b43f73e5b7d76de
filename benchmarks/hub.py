"""The provincial hub: ingest workers on an MQTT 5 shared subscription storing into PostgreSQL.

Two phases, run with two ingest workers and again with one (the anchor; ratio two/one):

1. steady load: 100 halls x 50 sensors (10 sites of 10 halls), each reading once a minute,
   replayed 100x faster than real time: each sensor publishes every 0.6 s, about 8 300
   readings/s offered, for --minutes (the issue's figure: 5). Printed: readings/s held
   (stored per second of the phase), lag from publish to commit p50/p99 (each reading's
   ``time`` is the wall clock at publish; the worker subtracts it when the commit returns);
2. backlog: 10 sites reconnecting at once, each with 24 h of 50 sensors at one reading a
   minute (72 000 each, 720 000 in all), published as fast as the hub broker takes them
   (what a bridge flushing its queue does). Printed: the time from the first backlog message
   to the last one committed.

Each reading goes museum topic -> ``relic-hub/<site>/relic-twin/<hall>/<sensor>`` -> hub
Mosquitto -> ``relic-hub/<site>/#`` (each worker's durable share of the sites) -> worker (decode, govern nothing, store: PostgreSQL,
partitioned by month) -> PUBACK. Publishers run in their own processes. Targets (issue 16):
steady load held with p99 lag < 2 s; backlog drained in < 3 min.

    .venv/bin/python benchmarks/hub.py [--minutes 5] [--workers-only 2] [--db postgresql://...]

Starts its own Mosquitto and a fresh PostgreSQL database (dropped afterwards) on the server of
$RELIC_TWIN_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.config import BrokerAddress  # noqa: E402
from bridge.hub.decode import HubDecoder, hub_topic  # noqa: E402
from bridge.hub.workers import HUB_INGEST, worker_subscriptions  # noqa: E402
from bridge.ingest.ingestor import Ingestor  # noqa: E402
from bridge.mqtt.broker import start_mosquitto  # noqa: E402
from bridge.store import Store  # noqa: E402

SITES, HALLS_PER_SITE, SENSORS = 10, 10, 50
PERIOD_S = 60.0 / 100.0  # one reading a minute, 100x faster
BACKLOG_MIN = 24 * 60  # 24 h of one-minute readings per sensor


def _client(port: int, name: str) -> mqtt.Client:
    """A QoS 1 publisher; ``c.acked[0]`` counts the PUBACKs (what the broker took: what was offered)."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv311, clean_session=False)
    c.acked = [0]  # type: ignore[attr-defined]
    c.on_publish = lambda *_: c.acked.__setitem__(0, c.acked[0] + 1)  # type: ignore[attr-defined]
    c.max_inflight_messages_set(2000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port, keepalive=300)
    c.loop_start()
    return c


def steady_publisher(port: int, sites: list[int], seconds: float, start_at: float, out: mp.Queue) -> None:
    """Each sensor of ``sites`` publishes every PERIOD_S, stamped with the wall clock, for ``seconds``."""
    c = _client(port, f"bench-steady-{os.getpid()}")
    topics = [hub_topic(f"site{s:02d}", f"relic-twin/hall{h:02d}/S{i:02d}")
              for s in sites for h in range(HALLS_PER_SITE) for i in range(SENSORS)]
    sent, late = 0, 0
    time.sleep(max(0.0, start_at - time.time()))
    r = 0
    while True:
        due = start_at + r * PERIOD_S
        if due >= start_at + seconds:
            break
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        else:
            late += 1
        for k, topic in enumerate(topics):
            c.publish(topic, b'{"time":%.6f,"temperature":%.1f}' % (time.time(), 18 + k % 7), qos=1)
        sent += len(topics)
        r += 1
    while c.want_write() or c._out_messages:  # noqa: SLF001 (wait for the PUBACKs of what was sent)
        time.sleep(0.05)
        if time.time() > start_at + seconds + 120:
            break
    c.loop_stop()
    c.disconnect()
    out.put(("steady", c.acked[0], late))  # type: ignore[attr-defined]


def backlog_publisher(port: int, sites: list[int], t0: float, out: mp.Queue, minutes: int = BACKLOG_MIN) -> None:
    """Each site of ``sites``: one hall of 50 sensors, 24 h of one-minute readings, as fast as accepted."""
    c = _client(port, f"bench-backlog-{os.getpid()}")
    sent = 0
    for s in sites:
        for m in range(minutes):
            stamp = t0 + 60.0 * m
            for i in range(SENSORS):
                c.publish(hub_topic(f"museum{s:02d}", f"relic-twin/store1/S{i:02d}"),
                          b'{"time":%d,"relative_humidity":%.1f}' % (stamp, 45 + i % 9), qos=1)
                sent += 1
            while len(c._out_messages) > 20_000:  # noqa: SLF001 (bounded: paho keeps what is unacked)
                time.sleep(0.002)
    while c._out_messages:  # noqa: SLF001
        time.sleep(0.05)
    c.loop_stop()
    c.disconnect()
    out.put(("backlog", c.acked[0], 0))  # type: ignore[attr-defined]


#: every site of both phases, by weight (sensors): the steady sites and the backlog museums
SITE_WEIGHTS = {**{f"site{s:02d}": HALLS_PER_SITE * SENSORS for s in range(SITES)},
                **{f"museum{s:02d}": SENSORS for s in range(SITES)}}


def worker(index: int, n_workers: int, port: int, db: str, stop: mp.Event, steady_until: mp.Value, out: mp.Queue,
           protocol: int = 5) -> None:
    """One hub ingest worker; lags (ms) of the readings it commits during the steady phase."""
    lags: list[np.ndarray] = []

    def on_stored(readings: list) -> None:
        now = time.time()
        if now <= steady_until.value:
            lags.append(np.array([(now - r.time.timestamp()) * 1000.0 for r in readings], dtype=np.float32))

    store = Store.open(url=db)
    ing = Ingestor(store, BrokerAddress("127.0.0.1", port), worker_subscriptions(SITE_WEIGHTS, index, n_workers),
                   decoder=HubDecoder(),
                   on_stored=on_stored, client_id=f"bench-hub-worker-{index}",
                   settings=replace(HUB_INGEST, protocol=protocol)).start(60)
    stop.wait()
    ing.drain(30)
    ing.stop()
    store.close()
    out.put(("lags", index, np.concatenate(lags) if lags else np.zeros(0, dtype=np.float32), ing.stats.stored))


def count(db: str) -> int:
    with Store.open(url=db, migrate=False) as s:
        return s.count_readings()


def settle(db: str, want: int, phase: str, quiet_s: float = 20.0, limit_s: float = 900.0) -> tuple[int, float]:
    """Wait until ``want`` readings are stored, or none more for ``quiet_s``; (count, time of the last growth).

    The publishers count PUBACKs with paho's callback, which can count a message twice across a
    reconnect on a crowded machine, so "everything acknowledged stored" is checked, not waited for
    forever; the rate is taken up to the last commit, not to when the waiting stopped."""
    last_n, last_t = -1, time.time()
    deadline = last_t + limit_s
    while True:
        n = count(db)
        if n != last_n:
            last_n, last_t = n, time.time()
        if n >= want or time.time() - last_t > quiet_s or time.time() > deadline:
            return n, last_t
        print(f"  {phase}: {n}/{want} stored", file=sys.stderr, flush=True)
        time.sleep(1)


def run(n_workers: int, minutes: float, db: str, protocol: int = 5, backlog_min: int = BACKLOG_MIN) -> dict[str, float]:
    broker = start_mosquitto(extra_conf="max_inflight_messages 2000\n")
    port = broker.address.port
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    stop = ctx.Event()
    steady_until = ctx.Value("d", float("inf"))
    workers = [ctx.Process(target=worker, args=(i, n_workers, port, db, stop, steady_until, out, protocol))
               for i in range(n_workers)]
    for w in workers:
        w.start()
    time.sleep(3.0)  # subscribed
    try:
        seconds = minutes * 60.0
        start_at = time.time() + 1.0
        before = count(db)
        pubs = [ctx.Process(target=steady_publisher, args=(port, list(range(k, SITES, 2)), seconds, start_at, out))
                for k in range(2)]
        for p in pubs:
            p.start()
        for p in pubs:
            p.join()
        steady_until.value = time.time()
        offered = expected = sum(out.get()[1] for _ in pubs)
        n, drained_steady = settle(db, before + expected, "steady")
        stored = n - before
        held = stored / max(1e-9, drained_steady - start_at)
        # backlog: 10 sites reconnect at once
        before = count(db)
        t_back = time.time() - 2 * 86400
        bpubs = [ctx.Process(target=backlog_publisher, args=(port, list(range(k, SITES, 5)), t_back, out, backlog_min))
                 for k in range(5)]
        t1 = time.time()
        for p in bpubs:
            p.start()
        expected_b = SITES * backlog_min * SENSORS
        while any(p.is_alive() for p in bpubs):
            print(f"  backlog: {count(db) - before}/{expected_b} after {time.time() - t1:.0f} s", file=sys.stderr,
                  flush=True)
            time.sleep(2)
        acked_b = sum(out.get()[1] for _ in bpubs)  # what the broker took
        n, last = settle(db, before + acked_b, "backlog")
        drain_s = last - t1
        stored_b = n - before
        for p in bpubs:
            p.join()
    finally:
        stop.set()
    lags, per_worker = [], []
    for _ in workers:
        msg = out.get()
        lags.append(msg[2])
        per_worker.append(msg[3])
    for w in workers:
        w.join(60)
    broker.stop()
    lag = np.concatenate(lags) if lags else np.zeros(1)
    return {"offered_per_s": offered / seconds, "held_per_s": held, "stored": stored, "expected": expected,
            "p50_s": float(np.percentile(lag, 50)) / 1000, "p99_s": float(np.percentile(lag, 99)) / 1000,
            "backlog": stored_b, "backlog_expected": acked_b or expected_b, "drain_s": drain_s,
            "drain_per_s": stored_b / drain_s, "per_worker": per_worker}


def fresh_db(admin: str) -> tuple[str, callable]:
    import psycopg

    name = f"relic_hub_bench_{uuid.uuid4().hex[:8]}"
    libpq = "postgresql://" + admin.split("://", 1)[1]
    with psycopg.connect(libpq, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(libpq, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = "postgresql+psycopg://" + admin.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
    return url, drop


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=5.0, help="steady phase length (issue: 5)")
    p.add_argument("--backlog-hours", type=float, default=24.0,
                   help="hours of backlog per site (issue: 24 = 720 000 readings); less on a crowded machine")
    p.add_argument("--workers-only", type=int, default=None, help="run only this worker count (no anchor)")
    p.add_argument("--protocol", type=int, choices=(4, 5), default=5,
                   help="workers' MQTT version")
    args = p.parse_args()
    admin = os.environ.get("RELIC_TWIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    results = {}
    for n in ([args.workers_only] if args.workers_only else [2, 1]):
        db, drop = fresh_db(admin)
        try:
            Store.open(url=db).close()  # migrate (partitioned reading) before the workers race to
            results[n] = r = run(n, args.minutes, db, args.protocol, round(args.backlog_hours * 60))
        finally:
            drop()
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"workers={n} (load average {load}): offered {r['offered_per_s']:.0f}/s, held {r['held_per_s']:.0f} readings/s "
              f"({r['stored']}/{r['expected']} stored), lag publish->commit p50 {r['p50_s']:.3f} s, "
              f"p99 {r['p99_s']:.3f} s; backlog {r['backlog']}/{r['backlog_expected']} drained in "
              f"{r['drain_s']:.1f} s ({r['drain_per_s']:.0f}/s); per worker {r['per_worker']}", flush=True)
    if 1 in results and 2 in results:
        a, b = results[2], results[1]
        print(f"ratio two/one: held {a['held_per_s'] / b['held_per_s']:.2f}, p99 lag {a['p99_s'] / b['p99_s']:.2f}, "
              f"backlog drain rate {a['drain_per_s'] / b['drain_per_s']:.2f}")
        full = SITES * BACKLOG_MIN * SENSORS
        print(f"targets: p99 < 2 s: {a['p99_s']:.2f} s; drain of {full} < 180 s: {a['drain_s']:.0f} s for "
              f"{a['backlog']} (at {a['drain_per_s']:.0f}/s, {full} would take {full / a['drain_per_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
