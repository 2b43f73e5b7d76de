"""Time to write the monthly report: one hall of 20 sensors (target under 30 s), and a site of 5 halls.

The demo hall's scene with 8 more T/RH/lux sensors (20 in all) and its 7 relics; one month
(October 2021) of the real "Case 1" display-case series (``assets/series``, MIT: T, RH, lux at
15 min) replayed for every sensor with a per-sensor phase and offset, plus constant
readings for the other quantities each sensor measures, stored in SQLite. The site is the
same hall five times over (sensor ids prefixed per hall), in one database.

Prints, measured in the same run: the anchor (reading every series of the hall's month from
the store), the hall's report (figures, charts, PDF, CSV, XLSX) and its ratio to the anchor,
and the site's report and its ratio to the hall's.

    .venv/bin/python benchmarks/report.py
"""

from __future__ import annotations

import csv
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.readings import Reading  # noqa: E402
from bridge.reports import build_report, write_report  # noqa: E402
from bridge.store import Store  # noqa: E402
from simulation.materials import load_profiles  # noqa: E402
from simulation.quantities import QUANTITIES  # noqa: E402
from simulation.scene import Scene, load_scene  # noqa: E402

START = datetime(2021, 10, 1, tzinfo=UTC)
END = datetime(2021, 11, 1, tzinfo=UTC)
SERIES = ROOT / "assets" / "series" / "anonymous_library_case1.csv"
EXTRA = [  # (id, zone, case or None, x, y) of the 8 added sensors: T, RH, lux
    ("S13", "bronze", None, 1.0, 11.0), ("S14", "bronze", None, 9.0, 7.0), ("S15", "painting", None, 11.0, 11.0),
    ("S16", "painting", None, 19.0, 11.0), ("S17", "sculpture", None, 1.0, 5.0), ("S18", "sculpture", None, 5.0, 1.0),
    ("S19", "lacquer", None, 11.0, 1.0), ("S20", "lacquer", None, 19.0, 5.0),
]


def hall_toml(prefix: str, hall_id: str) -> str:
    """The demo hall's scene with 20 sensors, every sensor id and topic prefixed."""
    text = (ROOT / "scenes" / "demo_hall" / "scene.toml").read_text(encoding="utf-8")
    text = text.replace('id = "demo_hall"', f'id = "{hall_id}"', 1)
    text = re.sub(r'(\n\[\[sensors\]\]\nid = ")S', rf"\g<1>{prefix}S", text)
    text = re.sub(r'topic = "([^"]*)"', lambda m: f'topic = "{prefix}{m.group(1)}"', text)
    extra = "".join(
        f'\n[[sensors]]\nid = "{prefix}{sid}"\nzone = "{zone}"\nposition = [{x}, {y}, 1.5]\n'
        f'quantities = ["temperature", "relative_humidity", "illuminance"]\ntopic = "{prefix}rt/{sid}"\n'
        for sid, zone, _, x, y in EXTRA)
    return text.replace("\n# --- relics", extra + "\n# --- relics", 1)


def make_scene(folder: Path, prefix: str, hall_id: str) -> Scene:
    d = folder / hall_id
    d.mkdir(parents=True)
    (d / "scene.toml").write_text(hall_toml(prefix, hall_id), encoding="utf-8")
    return load_scene(d, assets_dir=ROOT / "assets")


def case1() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t, tc, rh, lux = [], [], [], []
    with SERIES.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if "2021-10-01" <= r["time_utc"] < "2021-11-01":
                t.append(datetime.fromisoformat(r["time_utc"].replace("Z", "+00:00")))
                tc.append(float(r["temperature_c"]))
                rh.append(float(r["rh_percent"]))
                lux.append(float(r["illuminance_lx"] or 0.0))
    return np.array(t), np.array(tc), np.array(rh), np.array(lux)


def fill(store: Store, scene: Scene) -> int:
    t, tc, rh, lux = case1()
    rows = []
    for k, sensor in enumerate(scene.sensors):
        shift = (k * 7) % len(t)
        for q in sensor.quantities:
            base = {"temperature": tc + 0.3 * (k % 5), "relative_humidity": rh - 2.0 * (k % 4),
                    "illuminance": lux * (1 + 0.1 * (k % 3))}.get(q)
            if base is None:
                qt = QUANTITIES[q]
                base = np.full(t.size, qt.low + 0.01 * (qt.high - qt.low))
            v = np.roll(base, shift)
            rows += [Reading(sensor.id, q, ti, float(vi), QUANTITIES[q].unit, hall=scene.id)
                     for ti, vi in zip(t, v, strict=True)]
    store.add_readings(rows)
    return len(rows)


def read_all(store: Store, scene: Scene) -> int:
    n = 0
    for s in scene.sensors:
        for q in s.quantities:
            n += len(store.series(s.id, q, START, END))
    return n


def main() -> int:
    profiles = load_profiles()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store.open(f"sqlite:///{root / 'bench.sqlite'}")
        halls = [make_scene(root / "scenes", f"H{i}-", f"hall{i}") for i in range(1, 6)]
        n = sum(fill(store, h) for h in halls)
        print(f"stored {n} readings: 5 halls x {len(halls[0].sensors)} sensors, one month at 15 min")
        t0 = time.perf_counter()
        read = read_all(store, halls[0])
        anchor = time.perf_counter() - t0
        print(f"anchor: read the hall's month from the store ({read} readings): {anchor:.2f} s")
        t0 = time.perf_counter()
        write_report(build_report(store, halls[:1], profiles, START, END), root / "out" / "hall.pdf", "both")
        hall_s = time.perf_counter() - t0
        print(f"one hall, 20 sensors, one month: {hall_s:.1f} s (target < 30 s); ratio to the anchor: "
              f"{hall_s / anchor:.1f}x")
        t0 = time.perf_counter()
        write_report(build_report(store, halls, profiles, START, END), root / "out" / "site.pdf", "both")
        site_s = time.perf_counter() - t0
        print(f"site of 5 halls: {site_s:.1f} s; ratio to one hall: {site_s / hall_s:.2f}x")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
