"""Payload decoding speed: payloads decoded per second, for each convention.

Anchor, measured in the same run on the same payloads: ``json.loads`` alone
(the least any decoder of a JSON convention must do; the text payloads of
Shelly Gen1 and availability topics are anchored on decode + strip). The ratio decode/anchor says
what the checks, unit conversion and record building cost on top of parsing.

Payloads: what ``bridge.sensors.encode`` writes for a sensor reporting every
quantity its convention carries (one message per time), plus the captured
fixtures under tests/data/payloads. Uses only the repository; no
../shared data.

    .venv/bin/python benchmarks/decode.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.readings import Reading  # noqa: E402
from bridge.sensors import FORMATS, decode  # noqa: E402
from bridge.sensors.encode import ENCODABLE, encode  # noqa: E402
from simulation.quantities import QUANTITIES  # noqa: E402

NOW = datetime(2026, 11, 25, 14, 0, 5, tzinfo=UTC)


def payloads(fmt: str) -> list[tuple[str, bytes]]:
    """Encoder output for 10 times plus this format's fixtures."""
    out: list[tuple[str, bytes]] = []
    for k in range(10):
        t = NOW - timedelta(minutes=k)
        readings = [Reading("S1", q, t, (QUANTITIES[q].low + QUANTITIES[q].high) / 3, QUANTITIES[q].unit)
                    for q in sorted(ENCODABLE[fmt])]
        out += [m for m in encode(fmt, "S1", readings) if fmt != "ha_discovery" or "/config" in m[0]]
    for path in sorted((ROOT / "tests" / "data" / "payloads" / fmt).glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        text = spec.get("payload_text")
        out.append((spec["topic"], text.encode() if text is not None else json.dumps(spec["payload"]).encode()))
    return out


def rate(fn, items: list[tuple[str, bytes]], seconds: float) -> float:  # noqa: ANN001
    """Items processed per second by ``fn(topic, payload)`` over about ``seconds``."""
    n, start = 0, time.perf_counter()
    while True:
        for topic, payload in items:
            fn(topic, payload)
        n += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def anchor(topic: str, payload: bytes) -> object:
    """json.loads, or for the text payloads of Shelly Gen1 / LWT / availability a decode and strip."""
    if payload[:1] in (b"{", b"["):
        return json.loads(payload)
    return payload.decode().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    print(f"{'format':<14}{'payloads':>9}{'readings':>9}{'decode/s':>11}{'readings/s':>12}"
          f"{'anchor/s':>11}{'decode/anchor':>15}")
    for fmt in FORMATS:
        items = payloads(fmt)
        n_readings = sum(len(decode(fmt, t, p, NOW).readings) for t, p in items)
        base = rate(anchor, items, args.seconds)
        got = rate(lambda topic, payload, f=fmt: decode(f, topic, payload, NOW), items, args.seconds)
        print(f"{fmt:<14}{len(items):>9}{n_readings:>9}{got:>11,.0f}{got * n_readings / len(items):>12,.0f}"
              f"{base:>11,.0f}{got / base:>15.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
