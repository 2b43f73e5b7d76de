"""The provincial hub: ingest workers, each on a durable subscription to its share of the sites, storing into PostgreSQL.

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
Mosquitto -> ``relic-hub/<site>/#`` (each worker's durable share of the sites,
:mod:`bridge.hub.workers`) -> worker (decode, govern nothing, store: PostgreSQL,
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # mqtt_raw (after the project: benchmarks/simulation.py is no package)

from mqtt_raw import RawPublisher  # noqa: E402

from bridge.config import BrokerAddress  # noqa: E402
from bridge.hub.decode import HubDecoder, hub_topic  # noqa: E402
from bridge.hub.workers import HUB_INGEST, tune_worker_gc, worker_subscriptions  # noqa: E402
from bridge.ingest.ingestor import Ingestor  # noqa: E402
from bridge.mqtt.broker import start_mosquitto  # noqa: E402
from bridge.store import Store  # noqa: E402

SITES, HALLS_PER_SITE, SENSORS = 10, 10, 50
PERIOD_S = 60.0 / 100.0  # one reading a minute, 100x faster
SLOTS = 30  # sensors' phases: each sensor publishes in one of SLOTS slots of the period (they are not in step)
BACKLOG_MIN = 24 * 60  # 24 h of one-minute readings per sensor
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _ready_then_go(ready: mp.Value, go: mp.Value) -> float:
    """Count this publisher ready (connected, topics built), wait for the start time and return it."""
    with ready.get_lock():
        ready.value += 1
    while go.value == 0:
        time.sleep(0.005)
    return go.value


def start_publishers(procs: list, ready: mp.Value, go: mp.Value, lead_s: float = 0.3) -> float:
    """Start publisher processes; once all are connected, set and return their common start time."""
    ready.value, go.value = 0, 0.0
    for p in procs:
        p.start()
    deadline = time.time() + 180
    while ready.value < len(procs) and time.time() < deadline:
        time.sleep(0.02)
    go.value = t = time.time() + lead_s
    return t


def steady_publisher(port: int, sites: list[int], halls: int, seconds: float, ready: mp.Value, go: mp.Value,
                     out: mp.Queue) -> None:
    """Each sensor of ``sites`` publishes every PERIOD_S, stamped with the wall clock, for ``seconds``.

    One PUBLISH per reading (QoS 1, as a museum's bridge forwards it); the sensors are spread over
    SLOTS phases of the period, and each slot's messages go out in one write."""
    pub = RawPublisher("127.0.0.1", port, f"bench-steady-{os.getpid()}")
    topics = [RawPublisher.topic(hub_topic(f"site{s:02d}", f"relic-twin/hall{h:02d}/S{i:02d}"))
              for s in sites for h in range(halls) for i in range(SENSORS)]
    slots = [[(t, 18 + k % 7) for k, t in enumerate(topics) if k % SLOTS == j] for j in range(SLOTS)]
    step = PERIOD_S / SLOTS
    late = 0
    k = 0
    start_at = _ready_then_go(ready, go)
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = time.process_time()
    while True:
        due = start_at + k * step
        if due >= start_at + seconds:
            break
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        elif wait < -step:
            late += 1
        now = time.time()
        pub.publish_many([(t, b'{"time":%.6f,"temperature":%d}' % (now, v)) for t, v in slots[k % SLOTS]])
        k += 1
    pub.wait_acked(120)
    cpu = time.process_time() - cpu0
    pub.close()
    out.put(("steady", pub.acked, late, cpu))


def backlog_publisher(port: int, sites: list[int], t0: float, ready: mp.Value, go: mp.Value, out: mp.Queue,
                      minutes: int = BACKLOG_MIN) -> None:
    """Each site of ``sites``: one hall of 50 sensors, 24 h of one-minute readings, as fast as accepted."""
    pub = RawPublisher("127.0.0.1", port, f"bench-backlog-{os.getpid()}")
    start_at = _ready_then_go(ready, go)
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = time.process_time()
    for s in sites:
        topics = [RawPublisher.topic(hub_topic(f"museum{s:02d}", f"relic-twin/store1/S{i:02d}")) for i in range(SENSORS)]
        for m0 in range(0, minutes, 20):
            pub.publish_many([(t, b'{"time":%d,"relative_humidity":%d}' % (t0 + 60.0 * m, 45 + i % 9))
                              for m in range(m0, min(minutes, m0 + 20)) for i, t in enumerate(topics)])
    pub.wait_acked(300)
    cpu = time.process_time() - cpu0
    pub.close()
    out.put(("backlog", pub.acked, 0, cpu))


def site_weights(halls: int) -> dict[str, int]:
    """Every site of both phases, by weight (sensors): the steady sites and the backlog museums."""
    return {**{f"site{s:02d}": halls * SENSORS for s in range(SITES)},
            **{f"museum{s:02d}": SENSORS for s in range(SITES)}}


def worker(index: int, n_workers: int, halls: int, port: int, db: str, stop: mp.Event, steady_until: mp.Value,
           stored: mp.Value, ready: mp.Value, out: mp.Queue, protocol: int = 5) -> None:
    """One hub ingest worker; lags (ms) of the readings it commits during the steady phase."""
    lags: list[np.ndarray] = []

    def on_stored(readings: list) -> None:
        now = time.time()
        with stored.get_lock():
            stored.value += len(readings)
        if now <= steady_until.value:
            lags.append(np.array([(now - r.time.timestamp()) * 1000.0 for r in readings], dtype=np.float32))

    store = Store.open(url=db)
    ing = Ingestor(store, BrokerAddress("127.0.0.1", port),
                   worker_subscriptions(site_weights(halls), index, n_workers), decoder=HubDecoder(),
                   on_stored=on_stored, client_id=f"bench-hub-worker-{index}",
                   settings=replace(HUB_INGEST, protocol=protocol)).start(60)
    tune_worker_gc()
    with ready.get_lock():
        ready.value += 1
    stop.wait()
    ing.drain(30)
    ing.stop()
    store.close()
    out.put(("lags", index, np.concatenate(lags) if lags else np.zeros(0, dtype=np.float32), ing.stats.stored))


def count(db: str) -> int:
    with Store.open(url=db, migrate=False) as s:
        return s.count_readings()


def pg_pids(db: str) -> tuple[list[int], list[int]]:
    """(the backends of ``db``, PostgreSQL's shared writers: WAL writer, checkpointer, background writer)."""
    import psycopg

    name = db.rsplit("/", 1)[1]
    libpq = "postgresql://" + db.split("://", 1)[1]
    with psycopg.connect(libpq, autocommit=True) as c:
        rows = c.execute("SELECT pid, datname, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()").fetchall()
    mine = [pid for pid, dat, kind in rows if dat == name and kind == "client backend"]
    shared = [pid for pid, _, kind in rows if kind in ("walwriter", "checkpointer", "background writer")]
    return mine, shared


class CpuMeter:
    """CPU seconds of named groups of processes between two samples."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.t0 = {g: sum(cpu_s(p) for p in pids) for g, pids in groups.items()}

    def used(self) -> dict[str, float]:
        return {g: sum(cpu_s(p) for p in pids) - self.t0[g] for g, pids in self.groups.items()}


def settle(stored: mp.Value, want: int, phase: str, quiet_s: float = 20.0, limit_s: float = 900.0) -> tuple[int, float]:
    """Wait until ``want`` readings are stored, or none more for ``quiet_s``; (count, time of the last growth).

    Counted by the workers as they commit (a ``count(*)`` of a table of millions each second
    would itself load PostgreSQL); the rate is taken up to the last commit."""
    last_n, last_t = -1, time.time()
    deadline = last_t + limit_s
    while True:
        n = stored.value
        if n != last_n:
            last_n, last_t = n, time.time()
        if n >= want or time.time() - last_t > quiet_s or time.time() > deadline:
            return n, last_t
        print(f"  {phase}: {n}/{want} stored", file=sys.stderr, flush=True)
        time.sleep(1)


def per_reading_us(used: dict[str, float], n: int) -> dict[str, float]:
    return {g: 1e6 * s / max(1, n) for g, s in used.items()}


def run(n_workers: int, minutes: float, db: str, protocol: int = 5, backlog_min: int = BACKLOG_MIN,
        halls: int = HALLS_PER_SITE, profile: str | None = None) -> dict[str, object]:
    # the hub broker as ``broker-config`` writes it: persistence saved every 60 s (start_mosquitto's
    # test default of every second serialises every queued message each second)
    broker = start_mosquitto(extra_conf="max_inflight_messages 2000\nautosave_interval 60\n")
    port = broker.address.port
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    stop = ctx.Event()
    steady_until = ctx.Value("d", float("inf"))
    stored = ctx.Value("q", 0)
    ready = ctx.Value("i", 0)
    workers = [ctx.Process(target=worker, args=(i, n_workers, halls, port, db, stop, steady_until, stored, ready,
                                                out, protocol))
               for i in range(n_workers)]
    for w in workers:
        w.start()
    deadline = time.time() + 180
    while ready.value < n_workers and time.time() < deadline:  # each worker connected and subscribed
        time.sleep(0.1)
    spy = None
    if profile:
        import subprocess

        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-o", profile, "-f", "raw",
                                "-r", "200", "--nonblocking", "--threads", "-p", str(workers[0].pid)],
                               stdout=subprocess.DEVNULL, stderr=open(profile + ".log", "w"))  # noqa: SIM115
    try:
        seconds = minutes * 60.0
        mine, shared = pg_pids(db)
        groups = {"workers": [w.pid for w in workers], "broker": [broker.process.pid], "postgres": mine,
                  "pg shared writers": shared}
        pub_ready, go = ctx.Value("i", 0), ctx.Value("d", 0.0)
        pubs = [ctx.Process(target=steady_publisher,
                            args=(port, list(range(k, SITES, 2)), halls, seconds, pub_ready, go, out))
                for k in range(2)]
        start_at = start_publishers(pubs, pub_ready, go)
        meter = CpuMeter(groups)
        for p in pubs:
            p.join()
        steady_until.value = time.time()
        answers = [out.get() for _ in pubs]
        offered = expected = sum(a[1] for a in answers)
        late = sum(a[2] for a in answers)
        steady_n, drained_steady = settle(stored, expected, "steady")
        cpu_steady = {"publishers": sum(a[3] for a in answers), **meter.used()}
        held = steady_n / max(1e-9, drained_steady - start_at)
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its samples and ends
            spy.wait(30)
        # backlog: 10 sites reconnect at once
        before = stored.value
        t_back = time.time() - 2 * 86400
        bpubs = [ctx.Process(target=backlog_publisher,
                             args=(port, list(range(k, SITES, 5)), t_back, pub_ready, go, out, backlog_min))
                 for k in range(5)]
        expected_b = SITES * backlog_min * SENSORS
        t1 = start_publishers(bpubs, pub_ready, go)
        meter = CpuMeter(groups)
        while any(p.is_alive() for p in bpubs):
            print(f"  backlog: {stored.value - before}/{expected_b} after {time.time() - t1:.0f} s", file=sys.stderr,
                  flush=True)
            time.sleep(2)
        answers = [out.get() for _ in bpubs]
        acked_b = sum(a[1] for a in answers)  # what the broker took
        n, last = settle(stored, before + acked_b, "backlog")
        cpu_backlog = {"publishers": sum(a[3] for a in answers), **meter.used()}
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
    in_db = count(db)
    lag = np.concatenate(lags) if lags else np.zeros(1)
    return {"offered_per_s": offered / seconds, "held_per_s": held, "stored": steady_n,
            "expected": expected, "late_slots": late,
            "p50_s": float(np.percentile(lag, 50)) / 1000, "p99_s": float(np.percentile(lag, 99)) / 1000,
            "backlog": stored_b, "backlog_expected": acked_b or expected_b, "drain_s": drain_s,
            "drain_per_s": stored_b / drain_s, "per_worker": per_worker, "in_db": in_db,
            "cpu_steady_us": per_reading_us(cpu_steady, steady_n), "cpu_backlog_us": per_reading_us(cpu_backlog, stored_b),
            "cpu_steady_cores": {g: s / seconds for g, s in cpu_steady.items()}}


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


def dropped(r: dict) -> str:
    """Readings the broker took and no worker got: the hub broker's queue per worker is bounded
    (``max_queued_messages``), and a worker that falls that far behind loses the rest."""
    lost = int(r["expected"]) - int(r["stored"])
    return f"; {lost} dropped by the broker's queue limit" if lost > 0 else ""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=5.0, help="steady phase length (issue: 5)")
    p.add_argument("--backlog-hours", type=float, default=24.0,
                   help="hours of backlog per site (issue: 24 = 720 000 readings); less on a crowded machine")
    p.add_argument("--workers-only", type=int, default=None, help="run only this worker count (no anchor)")
    p.add_argument("--protocol", type=int, choices=(4, 5), default=5,
                   help="workers' MQTT version")
    p.add_argument("--halls-per-site", type=int, default=HALLS_PER_SITE,
                   help="halls of 50 sensors per site, 10 sites (issue: 10 = 8 300 readings/s; 1 = 833/s to profile)")
    p.add_argument("--profile", default=None, help="py-spy the first worker through the steady phase into this file")
    args = p.parse_args()
    admin = os.environ.get("RELIC_TWIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    results = {}
    for n in ([args.workers_only] if args.workers_only else [2, 1]):
        db, drop = fresh_db(admin)
        try:
            Store.open(url=db).close()  # migrate (partitioned reading) before the workers race to
            results[n] = r = run(n, args.minutes, db, args.protocol, round(args.backlog_hours * 60),
                                 args.halls_per_site, args.profile if n == 2 or args.workers_only else None)
        finally:
            drop()
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"workers={n} (load average {load}): offered {r['offered_per_s']:.0f}/s, held {r['held_per_s']:.0f} readings/s "
              f"({r['stored']}/{r['expected']} stored{dropped(r)}), lag publish->commit p50 {r['p50_s']:.3f} s, "
              f"p99 {r['p99_s']:.3f} s; backlog {r['backlog']}/{r['backlog_expected']} drained in "
              f"{r['drain_s']:.1f} s ({r['drain_per_s']:.0f}/s); per worker {r['per_worker']}; {r['in_db']} in the database; "
              f"{r['late_slots']} publisher slots late", flush=True)
        for phase in ("steady", "backlog"):
            print(f"  CPU µs a reading stored, {phase}: " + ", ".join(f"{g} {us:.1f}" for g, us in r[f"cpu_{phase}_us"].items()),
                  flush=True)
        print("  cores busy, steady: " + ", ".join(f"{g} {c:.2f}" for g, c in r["cpu_steady_cores"].items()), flush=True)
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
