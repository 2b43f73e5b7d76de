"""The whole live path as ``serve`` runs it, against a bare QoS 1 subscriber, and its cost per reading
with an hour and with a week of history behind it.

Path measured (``bridge.twin.runtime.start_twin``, nothing left out): broker -> paho (QoS 1, manual
ack) -> decode -> identity -> live governance -> calibrations -> store commit (SQLite, WAL) -> PUBACK
-> alert engine (relic limits, 24 h change, light dose, mould, condensation) -> twin state -> the
live feed, with one websocket client reading it (in another process). The scene is the demo hall
with 50 native sensors of 5 quantities each (250 series). The messages are queued by the broker
while the twin's ingest is disconnected, then the clock runs from its reconnect until every reading
is committed and has reached the feed client.

Anchor, measured in the same run on the same broker: a bare paho subscriber (QoS 1, persistent
session) that only counts the same messages, queued the same way; pairs alternate so that load
from other processes hits both alike. Targets (issue 22): the whole path >= 0.5x the bare
subscriber; process CPU per reading with 7 days of history no more than 1.2x that with 1 hour
(the history stored, and run through the twin's governance and alert engine beforehand, at
10-minute cadence); ``relic-twin serve --fleet --speed 1`` (the demo hall's 12 sensors in real
time) under 2 % of one core, measured from /proc over ``--demo-seconds`` after a warm-up, with
the idle service (no fleet) as its anchor.

Synthetic data only (no ../shared needed). Starts its own Mosquitto on a free port.

    .venv/bin/python benchmarks/live.py [--rounds 40] [--repeat 3] [--demo-seconds 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest import publish, queued_drain_rate  # noqa: E402
from bridge.config import BrokerAddress, Settings  # noqa: E402
from bridge.mqtt.broker import start_mosquitto  # noqa: E402
from bridge.readings import Reading  # noqa: E402
from bridge.twin.runtime import TwinRuntime, start_twin  # noqa: E402
from simulation.paths import scenes_dir  # noqa: E402
from simulation.quantities import QUANTITIES  # noqa: E402
from simulation.scene import Scene, parse_scene, scene_file  # noqa: E402

QUANTITY_LEVELS = {"temperature": (20.0, 0.2), "relative_humidity": (50.0, 1.0), "illuminance": (45.0, 2.0),
                   "uv": (10.0, 1.0), "co2": (500.0, 15.0)}
"""The 5 quantities of each sensor: level and noise, canonical units (inside every relic's band)."""


LIVE_BACK_S = 4 * 3600.0
"""The measured readings start this long before now, a minute apart (the history ends there)."""


def bench_scene(hall: str, sensors: int = 50) -> Scene:
    """The demo hall, called ``hall``, with ``sensors`` native sensors of 5 quantities, placed as its own
    12 are (no actuators)."""
    file = scene_file(scenes_dir() / "demo_hall")
    doc = tomllib.loads(file.read_text(encoding="utf-8"))
    doc["hall"]["id"] = hall
    own = doc["sensors"]
    doc["sensors"] = [{**{k: own[i % len(own)][k] for k in ("zone", "position", "case") if k in own[i % len(own)]},
                       "id": f"B{i:02d}", "quantities": list(QUANTITY_LEVELS), "format": "native",
                       "topic": f"relic-twin/{hall}/B{i:02d}"} for i in range(sensors)]
    doc.pop("actuators", None)  # the control loop needs the hall's own sensors; it is not the ingest path
    return parse_scene(doc, file)


def rounds_of(scene: Scene, start_s: float, n: int, step_s: float, seed: int) -> list[list[Reading]]:
    """``n`` rounds of one reading per sensor and quantity, ``step_s`` apart from ``start_s``."""
    keys = [(s.id, q) for s in scene.sensors for q in QUANTITY_LEVELS]
    level = np.array([QUANTITY_LEVELS[q][0] for _, q in keys])
    noise = np.array([QUANTITY_LEVELS[q][1] for _, q in keys])
    values = np.round(level + noise * np.random.default_rng(seed).standard_normal((n, len(keys))), 2)
    return [[Reading(s, q, datetime.fromtimestamp(start_s + i * step_s, UTC), float(v), QUANTITIES[q].unit,
                     hall=scene.id) for (s, q), v in zip(keys, row, strict=True)] for i, row in enumerate(values.tolist())]


def messages_of(rounds: list[list[Reading]]) -> list[tuple[str, bytes]]:
    """One native message per reading (``relic-twin/<hall>/<sensor>``)."""
    return [(f"relic-twin/{r.hall}/{r.sensor}", json.dumps({"time": r.time.timestamp(), r.quantity: r.value}).encode())
            for rs in rounds for r in rs]


def run_history(rt: TwinRuntime, rounds: list[list[Reading]]) -> None:
    """Store ``rounds`` as history and run them through the twin's own governance, alerts and state."""
    govern = rt.ingestor.govern
    assert govern is not None
    for k in range(0, len(rounds), 12):
        readings = [r for rs in rounds[k:k + 12] for r in rs]
        governed, refused = govern(readings)
        rt.store.write_batch(governed, refused)
        rt.state.update(governed, alerts=rt.alerts.on_readings(governed))


def feed_client(url: str, count: Any, ready: Any) -> None:
    """Count the readings the live feed sends (runs in its own process)."""
    from websockets.asyncio.client import connect

    async def listen() -> None:
        async with connect(url, max_size=2**24) as ws:
            await ws.recv()  # the snapshot
            ready.set()
            async for msg in ws:
                n = len(json.loads(msg)["readings"])
                with count.get_lock():
                    count.value += n

    asyncio.run(listen())


class Twin:
    """One running twin with its history, its feed client, and a pausable ingest connection."""

    def __init__(self, scene: Scene, address: BrokerAddress, workdir: Path, history_h: float, now_s: float) -> None:
        settings = Settings(broker_url=address.url, broker_configured=True,
                            database_url=f"sqlite:///{workdir / 'twin.sqlite'}", data_dir=workdir)
        self.scene = scene
        self.rt = start_twin(scene, settings, feed_port=0, on_status=lambda s: None)
        n = int(history_h * 6)
        t = time.perf_counter()
        run_history(self.rt, rounds_of(scene, now_s - n * 600.0 - LIVE_BACK_S, n, 600.0, seed=int(history_h)))
        self.history_s = time.perf_counter() - t
        self.history_h = history_h
        self.next_s = now_s - LIVE_BACK_S + 60.0
        ctx = mp.get_context("spawn")
        self.count = ctx.Value("l", 0)
        ready = ctx.Event()
        self.client = ctx.Process(target=feed_client, args=(self.rt.feed.url, self.count, ready), daemon=True)
        self.client.start()
        if not ready.wait(60):
            raise RuntimeError("the feed client did not connect")

    def pause(self) -> None:
        c = self.rt.ingestor._client  # the ingest's own paho client: away, its session queues for it
        c.disconnect()
        c.loop_stop()

    def drain(self, address: BrokerAddress, rounds: int) -> tuple[float, float]:
        """Queue ``rounds`` rounds while the ingest is away, then (readings/s, CPU s per reading) to drain them."""
        batch = rounds_of(self.scene, self.next_s, rounds, 60.0, seed=rounds + int(self.next_s) % 1000)
        self.next_s += rounds * 60.0
        msgs = messages_of(batch)
        n = len(msgs)
        self.pause()
        publish(address, msgs)
        stats = self.rt.ingestor.stats
        stored0 = stats.stored
        with self.count.get_lock():
            self.count.value = 0
        t0, c0 = time.perf_counter(), time.process_time()
        c = self.rt.ingestor._client
        c.reconnect()
        c.loop_start()
        deadline = time.monotonic() + 600
        while (stats.stored - stored0 < n or self.count.value < n) and time.monotonic() < deadline:
            time.sleep(0.002)
        t1, c1 = time.perf_counter(), time.process_time()
        if stats.stored - stored0 != n or self.count.value < n:
            raise RuntimeError(f"{n} readings sent, {stats.stored - stored0} stored, {self.count.value} fed")
        return n / (t1 - t0), (c1 - c0) / n

    def stop(self) -> None:
        self.client.kill()
        self.rt.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_cpu_pct(address: BrokerAddress, workdir: Path, fleet: bool, seconds: float, warmup_s: float = 20.0) -> float:
    """CPU share (% of one core) of ``relic-twin serve`` [--fleet --speed 1] over ``seconds`` after ``warmup_s``."""
    exe = Path(sys.executable).with_name("relic-twin")
    cmd = [str(exe), "serve", "--data-dir", str(workdir), "--broker", address.url, "--port", str(_free_port()),
           "--feed-port", "0", *(["--fleet", "--speed", "1"] if fleet else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # up when the API says where it is
            if "API" in line or proc.poll() is not None:
                break
        time.sleep(warmup_s)
        if proc.poll() is not None:
            raise RuntimeError(f"relic-twin serve ended: {proc.returncode}")
        c0, t0 = _cpu_s(proc.pid), time.perf_counter()
        time.sleep(seconds)
        c1, t1 = _cpu_s(proc.pid), time.perf_counter()
        return 100.0 * (c1 - c0) / (t1 - t0)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sensors", type=int, default=50, help="native sensors of 5 quantities each")
    p.add_argument("--rounds", type=int, default=40, help="rounds (one reading per series) per measured drain")
    p.add_argument("--repeat", type=int, default=3, help="alternating (1 h, 7 d, bare) triples; medians reported")
    p.add_argument("--week-h", type=float, default=7 * 24.0, help="the long history, hours")
    p.add_argument("--demo-seconds", type=float, default=120.0, help="how long the demo's CPU share is measured")
    p.add_argument("--idle-seconds", type=float, default=30.0, help="the same for the idle service (anchor); 0: skip")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="relic-twin-bench-live-"))
    broker = start_mosquitto(workdir=tmp / "broker")
    scene = bench_scene("bench_bare", args.sensors)  # each twin and the bare subscriber: a hall of its own
    print(f"broker: {broker.kind} {broker.url}; scene: the demo hall with {len(scene.sensors)} sensors x "
          f"{len(QUANTITY_LEVELS)} quantities; load average {os.getloadavg()[0]:.2f} (2-core machine, shared)")
    twins: list[Twin] = []
    try:
        now_s = time.time()
        for hours in (1.0, args.week_h):
            twins.append(Twin(bench_scene(f"bench_{hours:g}h", args.sensors), broker.address, tmp / f"twin-{hours:g}h",
                              hours, now_s))
            tw = twins[-1]
            print(f"  history {hours:g} h: {int(hours * 6) * len(scene.sensors) * len(QUANTITY_LEVELS)} readings "
                  f"stored and run through governance and alerts in {tw.history_s:.1f} s")
        hour, week = twins
        rows = []
        for k in range(max(1, args.repeat)):
            rate_h, cpu_h = hour.drain(broker.address, args.rounds)
            rate_w, cpu_w = week.drain(broker.address, args.rounds)
            msgs = messages_of(rounds_of(scene, now_s + 10**6 * (k + 1), args.rounds, 60.0, seed=k))
            bare = queued_drain_rate(broker.address, msgs, f"relic-twin/{scene.id}/#", "bench-live-bare")
            rows.append((rate_h, cpu_h, rate_w, cpu_w, bare))
            print(f"  run {k + 1}: whole path {rate_h:7.0f} readings/s (1 h), {rate_w:7.0f} ({args.week_h / 24:g} d); bare {bare:7.0f} "
                  f"messages/s; CPU {cpu_h * 1e6:6.0f} us/reading (1 h), {cpu_w * 1e6:6.0f} ({args.week_h / 24:g} d); "
                  f"load {os.getloadavg()[0]:.2f}")
        n = args.rounds * len(scene.sensors) * len(QUANTITY_LEVELS)
        rate = statistics.median(r[0] for r in rows)
        ratio = statistics.median(r[0] / r[4] for r in rows)
        cpu_h = statistics.median(r[1] for r in rows)
        cpu_w = statistics.median(r[3] for r in rows)
        history_ratio = statistics.median(r[3] / r[1] for r in rows)
        print(f"whole live path: {rate:8.0f} readings/s ({n} a run, median of {len(rows)}); bare subscriber "
              f"{statistics.median(r[4] for r in rows):8.0f} messages/s; ratio {ratio:.2f} (target >= 0.5)")
        print(f"CPU per reading: {cpu_h * 1e6:.0f} us with 1 h of history, {cpu_w * 1e6:.0f} us with "
              f"{args.week_h / 24:g} d; ratio {history_ratio:.2f} (target < 1.2)")
    finally:
        for tw in twins:
            tw.stop()
    try:
        idle = (serve_cpu_pct(broker.address, tmp / "idle", False, args.idle_seconds)
                if args.idle_seconds > 0 else float("nan"))
        demo = serve_cpu_pct(broker.address, tmp / "demo", True, args.demo_seconds)
        print(f"relic-twin serve --fleet --speed 1: {demo:.2f} % of a core over {args.demo_seconds:g} s "
              f"(idle, no fleet: {idle:.2f} % over {args.idle_seconds:g} s; target < 2 %); "
              f"load {os.getloadavg()[0]:.2f}")
    finally:
        broker.stop()
    print(f"live: ratio={ratio:.2f} history_ratio={history_ratio:.2f} demo_cpu_pct={demo:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
