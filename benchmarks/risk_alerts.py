"""Risk and alert cost on real logger data, against bare threshold checks of the same data.

Reads the "Anonymous Library" sample (MIT; ../shared/data/anonymous-library-archive,
see its SOURCE.md): the display case (15 min, about 3 months, T/RH/lux) and four archive
stores (about a year). Prints, for each, the time of our model and of its anchor, measured in
the same run, and their ratio:

1. alert engine: every case reading (T, RH, lux) through ``AlertEngine.update`` against
   the paper profile; anchor: the same loop computing only each observation's deviation;
2. risk per relic: ``assess_relic`` (bands, 24 h change, light dose, PI/TWPI, EMC, mould)
   on a year of each archive store; anchor: numpy "is it outside the band" on the same arrays.

Also prints the conservation metrics of the real stores (TWPI, ASHRAE class, EN 15757
share inside) for the record. Exits 0 with a message when the data folder is missing.
"""

from __future__ import annotations

import csv
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.advice import load_advice  # noqa: E402
from simulation.alerts import AlertEngine, AlertSettings, Target, band_observations  # noqa: E402
from simulation.ashrae_classes import ashrae_class  # noqa: E402
from simulation.en15757 import EN15757Settings, historical_band  # noqa: E402
from simulation.materials import load_profiles  # noqa: E402
from simulation.preservation_index import time_weighted_preservation_index  # noqa: E402
from simulation.risk import assess_relic  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous-library-archive" / "sample_data.csv"


def _load():
    by: dict[str, dict[str, list]] = {}
    with DATA.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            d = by.setdefault(r["location"], {"t": [], "temp": [], "rh": [], "lux": []})
            d["t"].append(datetime.fromisoformat(r["datetime"].replace("Z", "+00:00")).timestamp())
            d["temp"].append(float(r["temp"]))
            d["rh"].append(float(r["RH"]))
            d["lux"].append(float(r["lux"]) if r["lux"] not in ("", "NA") else np.nan)
    return {k: {c: np.array(v) for c, v in d.items()} for k, d in by.items()}


def _best(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    if not DATA.exists():
        print(f"data not found: {DATA} (benchmark needs ../shared/data); skipping")
        return 0
    data = _load()
    profiles = load_profiles(ROOT / "scenes" / "materials.toml")
    paper = profiles["paper"]
    case = data["Case 1"]
    relic = Target("relic", "paper")
    n = case["t"].size
    obs_stream = [
        [o for q, v in (("temperature", case["temp"][i]), ("relative_humidity", case["rh"][i]),
                        ("illuminance", case["lux"][i]))
         for o in band_observations(relic, q, float(v), paper.band(q), "S1")]
        for i in range(n)
    ]
    n_obs = sum(len(o) for o in obs_stream)
    advice = load_advice(ROOT / "scenes" / "advice.toml")
    counts = {}

    def engine_run():
        e = AlertEngine(AlertSettings(escalate_unacked_s=1e12), advice)
        ev = []
        for i in range(n):
            ev += e.update(float(case["t"][i]), obs_stream[i])
        counts["raised"] = sum(x.kind == "raised" for x in ev)
        counts["cleared"] = sum(x.kind == "cleared" for x in ev)

    def anchor_loop():
        s = 0.0
        for i in range(n):
            for o in obs_stream[i]:
                s += o.deviation > 0
        return s

    t_engine, t_anchor = _best(engine_run), _best(anchor_loop)
    print(f"alert engine, display case: {n} readings, {n_obs} observations, "
          f"{counts['raised']} raised / {counts['cleared']} cleared")
    print(f"  engine {1e6 * t_engine / n_obs:.2f} us/observation; anchor (deviation only) "
          f"{1e6 * t_anchor / n_obs:.2f} us/observation; ratio {t_engine / t_anchor:.1f}")

    # many series, each batch one sensor's reading (as the ingest hands them over): the engine's
    # clock must cost what changed, not every series it knows (real case values, round-robin)
    sensors = 500
    targets = [Target("relic", f"r{k}") for k in range(sensors)]
    batches = [[o for q, v in (("temperature", case["temp"][i % n]), ("relative_humidity", case["rh"][i % n]),
                               ("illuminance", case["lux"][i % n]))
                for o in band_observations(targets[i % sensors], q, float(v), paper.band(q), f"S{i % sensors}")]
               for i in range(4 * sensors)]
    n_many = sum(len(b) for b in batches)

    def engine_many():
        e = AlertEngine(AlertSettings(escalate_unacked_s=1e12), advice)
        for i, b in enumerate(batches):
            e.update(case["t"][0] + 60.0 * i / sensors, b)  # each sensor once a minute

    def anchor_many():
        s = 0.0
        for b in batches:
            for o in b:
                s += o.deviation > 0
        return s

    t_many, t_many_anchor = _best(engine_many, 1), _best(anchor_many, 1)
    print(f"alert engine, {sensors} sensors x 3 quantities, one sensor's reading a batch: {len(batches)} batches, "
          f"{n_many} observations")
    print(f"  engine {1e6 * t_many / len(batches):.1f} us/batch; anchor (deviation only) "
          f"{1e6 * t_many_anchor / len(batches):.2f} us/batch; ratio {t_many / t_many_anchor:.1f}")

    print("risk per relic, a year of each archive store (paper profile):")
    for name in ("Archive A", "Archive B", "Archive C", "Archive D"):
        d = data[name]
        series = {"temperature": (d["t"], d["temp"]), "relative_humidity": (d["t"], d["rh"])}
        band = paper.band("relative_humidity")

        def model(series=series, name=name):
            return assess_relic(name, paper, series)

        def anchor(d=d, band=band):
            return np.count_nonzero((d["rh"] < band.low) | (d["rh"] > band.high))

        t_m, t_a = _best(model), _best(anchor)
        r = model()
        twpi = time_weighted_preservation_index(d["t"], d["temp"], d["rh"])
        cls = ashrae_class(d["t"], d["temp"], d["rh"]) or "none"
        inside = historical_band(d["t"], d["rh"], EN15757Settings(seasonal_clip=None)).fraction_inside
        print(f"  {name}: {d['t'].size} samples, level {r.level.label('en')}, TWPI {twpi:.0f} a, "
              f"ASHRAE {cls}, EN 15757 inside {100 * inside:.0f}%; "
              f"model {1e3 * t_m:.2f} ms, anchor {1e3 * t_a:.3f} ms, ratio {t_m / t_a:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
