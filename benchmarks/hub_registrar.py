"""What the hub's registrar (the catch-all for museums not in ``--sites``) costs, against a worker.

Every message forwarded to the hub reaches two subscribers: its site's worker, which decodes and
stores it, and the registrar, which drops it (a registered site) or holds it in quarantine (an
unregistered one): :mod:`bridge.hub.registrar`. Each runs in its own process on one Mosquitto and
one fresh PostgreSQL database; a publisher offers N readings of a registered site as fast as the
broker takes them, then M of an unregistered one. Printed: CPU µs per message (user + system, of
the process, from ``getrusage``: hardly moved by the machine's load) of the worker storing (the
anchor), the registrar dropping and the registrar holding; the ratios to the anchor; and the wall
time each took to finish. The load average is printed too.

    .venv/bin/python benchmarks/hub_registrar.py [--n 30000] [--m 10000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.config import BrokerAddress  # noqa: E402
from bridge.hub.decode import HubDecoder, hub_topic  # noqa: E402
from bridge.hub.workers import HUB_INGEST, worker_subscriptions  # noqa: E402
from bridge.ingest.ingestor import Ingestor  # noqa: E402
from bridge.mqtt.broker import start_mosquitto  # noqa: E402
from bridge.store import Store  # noqa: E402

T0 = 1767225600


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def messages(site: str, n: int) -> list[tuple[str, bytes]]:
    return [(hub_topic(site, f"relic-twin/hall_1/S{k % 50:02d}"),
             json.dumps({"time": T0 + k // 50 * 60, "temperature": 20.0 + k % 7 / 10}).encode()) for k in range(n)]


def run_worker(port: int, db: str, want: int, ready: mp.Event, out: mp.Queue) -> None:
    store = Store.open(url=db)
    ing = Ingestor(store, BrokerAddress("127.0.0.1", port), worker_subscriptions({"museum_a": 1}, 0, 1),
                   decoder=HubDecoder(), client_id="bench-worker", settings=HUB_INGEST).start(timeout_s=60)
    ready.set()
    _measure(ing, want, "worker", out)
    ing.stop()
    store.close()


def run_registrar(port: int, db: str, want: int, ready: mp.Event, out: mp.Queue) -> None:
    from bridge.hub.registrar import start_registrar

    store = Store.open(url=db)
    ing, reg, _ = start_registrar(store, BrokerAddress("127.0.0.1", port), {"museum_a": None})
    reg.marker_seen.wait(30)
    base = ing.stats.acked  # the marker
    ready.set()
    _measure(ing, want, "registrar", out, base)
    ing.stop()
    store.close()


def _measure(ing: Ingestor, want: int, name: str, out: mp.Queue, base: int = 0) -> None:
    """CPU and wall seconds from the first message to the ``want``-th acknowledged (in two parts for the registrar)."""
    while ing.stats.received <= base:
        time.sleep(0.001)
    cpu0, t0 = cpu_s(), time.monotonic()
    marks = []
    for goal in ([want] if name == "worker" else [want, want + int(os.environ.get("BENCH_M", "0"))]):
        while ing.stats.acked - base < goal:
            time.sleep(0.005)
        marks.append((cpu_s() - cpu0, time.monotonic() - t0))
    out.put((name, marks))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=30_000, help="readings of a registered site")
    p.add_argument("--m", type=int, default=10_000, help="readings of an unregistered site after them")
    args = p.parse_args()
    os.environ["BENCH_M"] = str(args.m)
    import psycopg

    admin = os.environ.get("RELIC_TWIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    libpq = "postgresql://" + admin.split("://", 1)[1]
    name = f"relic_registrar_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    db = "postgresql+psycopg://" + libpq.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
    broker = start_mosquitto(extra_conf="max_inflight_messages 2000\nmax_queued_messages 500000\n")
    try:
        Store.open(url=db).close()
        ctx = mp.get_context("spawn")
        out: mp.Queue = ctx.Queue()
        ready = [ctx.Event(), ctx.Event()]
        procs = [ctx.Process(target=run_worker, args=(broker.address.port, db, args.n, ready[0], out)),
                 ctx.Process(target=run_registrar, args=(broker.address.port, db, args.n, ready[1], out))]
        for proc in procs:
            proc.start()
        for r, proc in zip(ready, procs, strict=True):
            while not r.wait(1.0):
                if not proc.is_alive():
                    raise SystemExit(f"{proc.name} failed to start")
        import paho.mqtt.client as mqtt

        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub")
        pub.max_inflight_messages_set(2000)
        pub.connect("127.0.0.1", broker.address.port)
        pub.loop_start()
        t_pub = time.monotonic()
        for topic, payload in messages("museum_a", args.n) + messages("museum_x", args.m):
            pub.publish(topic, payload, qos=1)
        got = dict(out.get(timeout=900) for _ in procs)
        pub_s = time.monotonic() - t_pub
        pub.loop_stop()
        pub.disconnect()
        for proc in procs:
            proc.join(60)
        (w_cpu, w_wall), = got["worker"]
        (r_cpu, r_wall), (rh_cpu, rh_wall) = got["registrar"]
        rh_cpu, rh_wall = rh_cpu - r_cpu, rh_wall - r_wall
        with Store.open(url=db) as store:
            stored, held = store.count_readings(site="museum_a"), store.count_quarantine()
        per = lambda s, n: 1e6 * s / max(n, 1)  # noqa: E731
        print(f"load average {os.getloadavg()[0]:.1f}; published {args.n + args.m} in {pub_s:.1f} s")
        print(f"worker storing {stored}/{args.n}:      {per(w_cpu, args.n):7.0f} CPU µs/msg, {w_wall:6.1f} s (anchor)")
        print(f"registrar dropping {args.n}:        {per(r_cpu, args.n):7.0f} CPU µs/msg, {r_wall:6.1f} s, "
              f"ratio to anchor {r_cpu / w_cpu:.2f}")
        print(f"registrar holding {held}/{args.m}:   {per(rh_cpu, args.m):7.0f} CPU µs/msg, {rh_wall:6.1f} s, "
              f"ratio to anchor (per msg) {per(rh_cpu, args.m) / per(w_cpu, args.n):.2f}")
    finally:
        broker.stop()
        with psycopg.connect(libpq, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
