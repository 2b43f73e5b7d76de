"""Live feed latency: 200 websocket clients on the API's /api/live while readings arrive at 1 000/s.

Prints p50/p99/max latency from hand-over to the twin (the moment the ingestor's committed batch
reaches the live state) to arrival at a client, and how many clients got every reading in order.
Target: p99 under 100 ms. Anchor in the same run: one client alone, the floor of the path
(serialisation, loopback, the client's parse); the ratio shows what 200 clients cost.

The clients run in two other processes on the same machine (one Python process cannot parse
4 000 frames/s and would measure its own backlog), so on 2 cores they compete with the server
for CPU: the figure is pessimistic for a deployment where the monitors are other machines.

    .venv/bin/python benchmarks/feed.py [--clients 200] [--rate 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.feed_load import run_feed_load  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--rate", type=float, default=1000.0, help="readings per second")
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        one = run_feed_load(Path(d) / "one", clients=1, rate_per_s=a.rate, seconds=a.seconds)
    with tempfile.TemporaryDirectory() as d:
        many = run_feed_load(Path(d) / "many", clients=a.clients, rate_per_s=a.rate, seconds=a.seconds)
    for name, r in (("1 client (anchor)", one), (f"{a.clients} clients", many)):
        print(f"{name:>18}: {r.readings} readings at {r.rate_per_s:.0f}/s; every reading in order: "
              f"{r.in_order}/{r.clients}; latency p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, max {r.max_ms:.1f} ms")
    print(f"p99 ratio {a.clients} clients / 1 client: {many.p99_ms / max(one.p99_ms, 1e-9):.1f}x; "
          f"target p99 < 100 ms: {'met' if many.p99_ms < 100 else 'NOT met'}")
    return 0 if many.in_order == many.clients else 1


if __name__ == "__main__":
    raise SystemExit(main())
