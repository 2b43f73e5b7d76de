"""Load on the live feed: many websocket clients while readings arrive at a steady rate.

The service (real uvicorn, the API's ``/api/live``) runs in this process; the clients run in
other processes (``python -m tests.feed_load clients ...``) so that they do not share the
server's interpreter. Readings enter the twin's state as the ingestor delivers them: in batches,
one per ``batch_s`` (the ingestor's linger, 50 ms). Each reading's value is its sequence number
and its time is when it was handed to the twin, so every client can check that it saw every
reading once and in order, and how long each took from hand-over to arrival.

Used by ``tests/test_api_feed.py`` (short) and ``benchmarks/feed.py`` (longer, prints p99).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class FeedLoad:
    clients: int
    readings: int            # sent
    complete: int            # clients that received every reading
    in_order: int            # clients that received them in order
    p50_ms: float
    p99_ms: float
    max_ms: float
    rate_per_s: float        # achieved input rate


def run_feed_load(tmp: Path, clients: int = 200, rate_per_s: float = 1000.0, seconds: float = 3.0,
                  batch_s: float = 0.05, processes: int = 2) -> FeedLoad:
    """``processes`` client processes share the clients: one Python process parsing 4 000 frames/s
    is itself the bottleneck on this machine and would measure its own queue, not the server's."""
    from bridge.api import ApiSettings, create_app
    from bridge.api.auth import hash_password
    from bridge.api.server import ThreadedServer
    from bridge.readings import Reading
    from bridge.store import Store
    from bridge.store import service_queries as q
    from bridge.twin.live import TwinState
    from simulation.scene import load_scene
    from tests.fixtures_api import FAST, PASSWORD, SECRET

    scene = load_scene(ROOT / "scenes" / "demo_hall")
    tmp.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir=tmp)
    state = TwinState(scene)
    settings = ApiSettings(data_dir=tmp, secret=SECRET, rate_per_s=10_000, burst=10_000, login_per_min=10_000,
                           password_hasher=FAST)
    app = create_app(store, settings, scene=scene, state=state)
    q.add_user(store, "staff", "staff", hash_password(PASSWORD, FAST))
    sensors = [s.id for s in scene.sensors_for("temperature")]
    per_batch = max(1, round(rate_per_s * batch_s))
    batches = max(1, round(seconds / batch_s))
    total = per_batch * batches
    try:
        with ThreadedServer(app) as srv:
            import httpx

            token = httpx.post(srv.url + "/api/auth/token", json={"username": "staff", "password": PASSWORD}).json()
            shares = [clients // processes + (i < clients % processes) for i in range(processes)]
            procs = [subprocess.Popen([sys.executable, "-m", "tests.feed_load", "clients", srv.ws_url + "/api/live",
                                       token["access_token"], str(n), str(total)], cwd=ROOT,
                                      stdout=subprocess.PIPE, text=True) for n in shares if n]
            for proc in procs:
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "ready":
                    raise RuntimeError("feed clients did not connect")
            seq = 0
            start = time.perf_counter()
            for b in range(batches):
                now = datetime.now(UTC)
                batch = []
                for i in range(per_batch):
                    batch.append(Reading(sensors[seq % len(sensors)], "temperature", now + timedelta(microseconds=i),
                                         float(seq), "°C"))
                    seq += 1
                state.update(batch)
                delay = start + (b + 1) * batch_s - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            elapsed = time.perf_counter() - start
            results = [json.loads(proc.communicate(timeout=120)[0].strip().splitlines()[-1]) for proc in procs]
    finally:
        store.close()
    import numpy as np

    lat = np.concatenate([np.asarray(r["latencies_ms"], dtype=float) for r in results]) if results else np.zeros(1)
    lat = lat if lat.size else np.zeros(1)
    return FeedLoad(clients=clients, readings=total, complete=sum(r["complete"] for r in results),
                    in_order=sum(r["in_order"] for r in results), p50_ms=float(np.percentile(lat, 50)),
                    p99_ms=float(np.percentile(lat, 99)), max_ms=float(lat.max()), rate_per_s=total / elapsed)


# --- the client process -----------------------------------------------------------------------


async def _clients(url: str, token: str, n: int, expected: int) -> dict[str, object]:
    import numpy as np
    import websockets

    latencies: list[list[float]] = [[] for _ in range(n)]
    seen: list[list[float]] = [[] for _ in range(n)]
    connections = []
    for _ in range(n):
        ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=2**24,
                                         open_timeout=60)
        await ws.recv()  # the snapshot
        connections.append(ws)
    print("ready", flush=True)

    async def read(i: int, ws: object) -> None:
        try:
            async with asyncio.timeout(60):
                while len(seen[i]) < expected:
                    frame = await ws.recv()  # type: ignore[attr-defined]
                    arrived = time.time()
                    for line in frame.splitlines():  # one message, or several when behind (NDJSON)
                        readings = json.loads(line)["readings"]
                        if readings:  # one batch, handed over at once: its first reading's time is the batch's
                            seen[i].extend(r["value"] for r in readings)
                            t = datetime.fromisoformat(readings[0]["time"].replace("Z", "+00:00")).timestamp()
                            latencies[i].append(arrived - t)
        except (TimeoutError, websockets.ConnectionClosed):
            pass

    await asyncio.gather(*(read(i, ws) for i, ws in enumerate(connections)))
    for ws in connections:
        await ws.close()
    lat = np.concatenate([np.asarray(x) for x in latencies if x]) * 1000.0 if any(latencies) else np.zeros(0)
    want = list(map(float, range(expected)))
    return {"complete": sum(sorted(s) == want for s in seen), "in_order": sum(s == want for s in seen),
            "latencies_ms": [round(float(x), 2) for x in lat]}


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "clients":
    res = asyncio.run(_clients(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    print(json.dumps(res), flush=True)
