"""Mutation testing of the core: mutmut over each core module against its own fast tests.

    python tools/mutation.py                      # every module, in the order below
    python tools/mutation.py risk alerts          # only these (the others keep their last result)
    python tools/mutation.py --budget-min 20 ...  # stop a module after 20 min (reported as partial)
    python tools/mutation.py --rerun decoders     # after adding tests: the last run's survivors again
    python tools/mutation.py --rerun --unexplained calibration  # only those no rule explains as equivalent

Each module runs alone in ``.mutation/<name>/`` (ignored by git): links to the project's folders and
a copy of ``pyproject.toml`` with a ``[tool.mutmut]`` table naming the module's files and its tests,
so mutmut (https://mutmut.readthedocs.io) mutates only that module and runs only those tests (and of
those, per mutant, only the ones that reach the mutated function). mutmut keeps its results there,
which ``--keep`` reuses (only after a change of the module itself: mutmut's cache does not notice changed
tests, so by default each run starts afresh). Runs under ``nice -n 19``: the machine is shared.

Results go to ``docs/mutation/<module>.json`` (one file per module, kept across runs) and are written out
as ``docs/mutation.txt``, whose last line is ``core mutation score: NN %``:

    score = (killed + timeout) / (mutants - equivalent)

A mutant that survives, or that no selected test reaches ("no tests"), counts against the score
unless a rule in ``tools/equivalent_mutants/<module>.py`` gives the reason it cannot change behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from equivalent_mutants import EQUIVALENT

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
RESULTS = ROOT / "docs" / "mutation"  # one <module>.json each: runs of different modules do not clash
REPORT = ROOT / "docs" / "mutation.txt"
LINKS = ("simulation", "bridge", "twin_engine", "tests", "scenes", "assets")


@dataclass(frozen=True)
class Module:
    name: str
    files: tuple[str, ...]
    tests: tuple[str, ...]


# The core, small pure modules first; each with the fast tests that exercise it (not the whole suite).
MODULES: tuple[Module, ...] = (
    Module("psychrometrics", ("simulation/psychrometrics.py",), ("tests/test_psychrometrics.py", "tests/test_metrics.py")),
    Module("preservation_index", ("simulation/preservation_index.py",), ("tests/test_metrics.py",)),
    Module("risk", ("simulation/risk.py",), ("tests/test_risk.py",)),
    Module("alerts", ("simulation/alerts.py",), ("tests/test_alerts.py",)),
    Module("auth", ("bridge/api/auth.py",), ("tests/test_auth.py",)),
    Module("governance", ("bridge/ingest/governance.py",), ("tests/test_governance.py",)),
    Module("cleaning", ("simulation/cleaning.py",), ("tests/test_cleaning.py", "tests/test_cleaning_rules.py")),
    Module("decoders", tuple(f"bridge/sensors/{m}.py" for m in (
        "native", "message", "senml", "zigbee2mqtt", "tasmota", "shelly", "ttn", "ha_discovery", "units")),
        ("tests/test_decoders.py", "tests/test_decoders_fast.py", "tests/test_decoders_rules.py",
         "tests/test_decoders_encode.py")),
    # the role checks one rule at a time in process (test_api_roles.py's real server takes 30 s a mutant)
    Module("api_roles", ("bridge/api/context.py",), ("tests/test_api_context.py",)),
    # the ingestor on SQLite only: its PostgreSQL twins of the same broker test add a database per mutant
    # (created and dropped, ~5 s under load) and reach no other line of the ingestor
    Module("ingestor", ("bridge/ingest/ingestor.py",),
           ("tests/test_ingest.py", "tests/test_ingest_rules.py", "-m", "not postgres")),
    # calibration: not the 7-day real-house fit and the 3-day synthetic one (10 s a mutant); the magnitudes
    # file fits one-cell rooms on 1-2.5 day records instead
    Module("calibration", ("simulation/calibration.py",),
           ("tests/test_calibration_magnitudes.py",
            "tests/test_record_fidelity.py::test_the_default_well_mixed_room_has_the_floors_area_and_wall_length",
            "tests/test_record_fidelity.py::test_a_given_cell_size_grids_the_real_floor",
            "tests/test_climate_calibration.py::test_hourly_metrics_follow_guideline_14_definitions",
            "tests/test_climate_calibration.py::test_fit_refuses_unknown_parameters")),
    Module("forecast", ("simulation/forecast.py",),
           ("tests/test_forecast_rules.py", "tests/test_forecast.py", "tests/test_forecast_real.py",
            "tests/test_forecast_limits.py")),
    Module("climate", ("simulation/climate.py",),
           ("tests/test_climate_magnitudes.py", "tests/test_climate.py",
            "tests/test_record_fidelity.py::test_a_heating_only_plant_never_cools_and_winds_up_no_integral")),
)

# Surviving mutants that cannot change behaviour: one file per module in tools/equivalent_mutants/.

COUNTED = ("killed", "timeout", "survived", "no_tests", "suspicious", "segfault", "skipped")


def _pyproject(m: Module) -> str:
    base = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    cfg = {
        "source_paths": ["simulation", "bridge"],
        "only_mutate": list(m.files),
        "pytest_add_cli_args_test_selection": list(m.tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x"],
        "also_copy": ["scenes", "assets", "twin_engine"],
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
    return base + "\n".join(lines) + "\n"


def prepare(m: Module) -> Path:
    d = WORK / m.name
    d.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        link = d / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    text = _pyproject(m)
    tomllib.loads(text)  # fail here, not inside mutmut
    if not (d / "pyproject.toml").exists() or (d / "pyproject.toml").read_text(encoding="utf-8") != text:
        (d / "pyproject.toml").write_text(text, encoding="utf-8")
    return d


def run_module(m: Module, budget_s: float | None, children: int, keep: bool = False,
               again: list[str] | None = None) -> dict:
    """Run mutmut over one module.

    keep : reuse mutmut's cached results (it tests only the mutants without one, e.g. of changed functions)
    again : with the cache, test only these mutants again (the last run's survivors, after new tests)
    """
    d = prepare(m)
    if not keep and not again:  # mutmut's cache does not notice changed tests: start afresh unless asked not to
        shutil.rmtree(d / "mutants", ignore_errors=True)
    if again:  # which tests reach which function: measured anew, or a new test is never run against a survivor
        (d / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    t0 = time.monotonic()
    cmd = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *(again or [])]
    with open(d / "run.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=d, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=budget_s)
            stopped = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            stopped = True
    elapsed = time.monotonic() - t0
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=d, capture_output=True, text=True)
    stats_file = d / "mutants" / "mutmut-cicd-stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    survivors, statuses = _survivors(d)
    counts = {k: int(stats.get(k, 0)) for k in COUNTED}
    return {
        "files": list(m.files), "tests": list(m.tests), "total": int(stats.get("total", 0)), **counts,
        "survivors": survivors, "seconds": round(elapsed), "stopped": stopped or proc.returncode not in (0, None),
        "returncode": proc.returncode, "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "_statuses": statuses,
    }


_SURVIVORS = """
import json
from mutmut.__main__ import SourceFileMutationData, status_by_exit_code, walk_mutatable_files
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
statuses = {}
for path in walk_mutatable_files():
    m = SourceFileMutationData(path=path)
    m.load()
    for k, v in m.exit_code_by_key.items():
        status = status_by_exit_code[v]
        if status in ("survived", "no tests", "suspicious"):
            diff = get_diff_for_mutant(k, path=m.path).splitlines()
            out[k] = {"status": status, "diff": [x for x in diff if x[:1] in "-+" and x[:3] not in ("---", "+++")]}
        statuses[k] = status
print(json.dumps({"survivors": out, "statuses": statuses}))
"""


def _survivors(d: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """The run in ``d``: surviving mutants (name -> {status, diff lines}) and every mutant's status."""
    r = subprocess.run([sys.executable, "-c", _SURVIVORS], cwd=d, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"reading mutmut's results failed: {r.stderr[-2000:]}")
    out = json.loads(r.stdout)
    return out["survivors"], out["statuses"]


_KEY = {"killed": "killed", "timeout": "timeout", "segfault": "segfault", "survived": "survived",
        "no tests": "no_tests", "suspicious": "suspicious", "skipped": "skipped"}


def merge_rerun(last: dict, run: dict, statuses: dict[str, str]) -> dict:
    """The last full result with its survivors' new verdicts from a rerun of only those mutants.

    A survivor the rerun did not check (interrupted, or renamed because the source changed) keeps its old
    verdict, so a rerun never needs mutmut's cache of the first run.
    """
    out = {**last, "survivors": dict(last["survivors"])}
    for name, old in last["survivors"].items():
        new = statuses.get(name, "not checked")
        if new not in _KEY or _KEY[new] == _KEY[old["status"]]:
            continue
        out[_KEY[old["status"]]] -= 1
        out[_KEY[new]] += 1
        if name in run["survivors"]:
            out["survivors"][name] = run["survivors"][name]
        else:
            del out["survivors"][name]
    out.update(seconds=last["seconds"] + run["seconds"], reruns=last.get("reruns", 0) + 1, at=run["at"],
               tests=run["tests"], stopped=last["stopped"])
    return out


def equivalent(module: str, diff: list[str], mutant: str = "") -> str | None:
    """The reason a survivor's change cannot alter behaviour, or None.

    An entry's module may name one function as ``module/function`` (for a line that is common).
    """
    removed = [x[1:].strip() for x in diff if x.startswith("-")]
    added = [x[1:].strip() for x in diff if x.startswith("+")]
    if not removed or not added:
        return None
    r, n = "\n".join(removed), "\n".join(added)  # a change that mutmut shows over several lines: joined by \n
    for modules, old, new, why in EQUIVALENT:
        if not any(m.partition("/")[0] == module and (not m.partition("/")[2] or
                                                      f"{m.partition('/')[2]}__mutmut_" in mutant) for m in modules):
            continue
        for a in re.finditer(old, r):
            for b in re.finditer(new, n):
                if a.groupdict() == b.groupdict() and r[: a.start()] + r[a.end():] == n[: b.start()] + n[b.end():]:
                    return why
    return None


def score(name: str, r: dict) -> tuple[int, int, int]:
    """(detected, counted, equivalent) of one module's result."""
    equivalent_n = sum(1 for k, s in r["survivors"].items() if equivalent(name, s["diff"], k))
    detected = r["killed"] + r["timeout"] + r["segfault"]
    return detected, r["total"] - equivalent_n, equivalent_n


def write_report(results: dict) -> str:
    out = ["Mutation testing of the core (make mutation; tools/mutation.py, mutmut).",
           "score = (killed + timeout) / (mutants - equivalent); survivors and mutants no selected test",
           "reaches ('no tests') count against it. Each module runs against its own fast tests only.", ""]
    det = cnt = 0
    not_run = []
    for m in MODULES:
        r = results.get(m.name)
        if r is None:
            not_run.append(m.name)
            continue
        d, c, eq = score(m.name, r)
        checked = sum(r[k] for k in COUNTED)
        partial = checked < r["total"]  # a run stopped by its budget after its last mutant is whole
        c -= r["total"] - checked  # a partial run's unchecked mutants are left out, and said so below
        pct = 100.0 * d / c if c else 0.0
        out.append(f"{m.name:<20} {pct:5.1f} %  killed {d} of {c}"
                   f" (survived {r['survived']}, no tests {r['no_tests']}, equivalent {eq},"
                   f" suspicious {r['suspicious']}){'  PARTIAL: ' + str(checked) + ' of ' + str(r['total']) + ' checked' if partial else ''}")
        out.append(f"{'':<20} {', '.join(r['files'])}  <-  {', '.join(r['tests'])}  ({r['seconds']} s, {r['at']})")
        for name, sv in sorted(r["survivors"].items()):
            why = equivalent(m.name, sv["diff"], name)
            out.append(f"{'':<22}{sv['status']}: {name.rpartition('.')[2]}" + (f"  [equivalent: {why}]" if why else ""))
            out.extend(f"{'':<26}{line}" for line in sv["diff"])
        det += d
        cnt += c
    if not_run:
        out.append("")
        out.append(f"not run yet (no result, not in the score): {', '.join(not_run)}")
        out.append(f"  run them with: make mutation MUTATION_ARGS=\"{' '.join(not_run)}\"")
    out.append("")
    out.append(f"core mutation score: {100.0 * det / cnt if cnt else 0.0:.0f} %")
    text = "\n".join(out) + "\n"
    REPORT.write_text(text, encoding="utf-8")
    return text


def load_results() -> dict:
    """Every module's latest result, from ``docs/mutation/<module>.json``."""
    return {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in sorted(RESULTS.glob("*.json"))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("modules", nargs="*", help=f"of: {', '.join(m.name for m in MODULES)} (default: all)")
    p.add_argument("--budget-min", type=float, default=None, help="stop a module after this many minutes")
    p.add_argument("--children", type=int, default=2, help="mutants tested at once (default 2)")
    p.add_argument("--keep", action="store_true", help="reuse mutmut's cached results (source changes only)")
    p.add_argument("--rerun", action="store_true",
                   help="test again only the last result's survivors, against the tests as they are now, and "
                        "merge their new verdicts into it (no cache needed; a survivor whose source line changed "
                        "keeps its old verdict: the module then needs a full run)")
    p.add_argument("--unexplained", action="store_true",
                   help="with --rerun: only the survivors that no rule explains as equivalent (those would "
                        "survive again: they keep their verdict, and a slow module's rerun takes minutes less)")
    p.add_argument("--report-only", action="store_true", help="rewrite docs/mutation.txt from docs/mutation/*.json")
    a = p.parse_args(argv)
    by_name = {m.name: m for m in MODULES}
    unknown = [n for n in a.modules if n not in by_name]
    if unknown:
        p.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    results = load_results()
    if not a.report_only:
        for name in a.modules or list(by_name):
            m = by_name[name]
            print(f"== {name}: {', '.join(m.files)} <- {', '.join(m.tests)}", flush=True)
            last = results.get(name)
            again = sorted(k for k, sv in last["survivors"].items()
                           if not (a.unexplained and equivalent(name, sv["diff"], k))) if a.rerun and last else None
            if again == []:  # nothing left to test again (an empty list would make mutmut run every mutant)
                print(f"   {name}: every survivor is explained", flush=True)
                continue
            result = run_module(m, a.budget_min * 60 if a.budget_min else None, a.children, a.keep or a.rerun, again)
            statuses = result.pop("_statuses")
            if again:
                result = merge_rerun(last, result, statuses)
            elif a.keep and last:  # the time is the whole module's: the first run's and the later ones'
                result["seconds"] += last["seconds"]
                result["reruns"] = last.get("reruns", 0) + 1
            RESULTS.mkdir(parents=True, exist_ok=True)
            (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            results = load_results()  # with the other modules' latest, which another run may have written meanwhile
            d, c, _ = score(name, results[name])
            c -= results[name]["total"] - sum(results[name][k] for k in COUNTED)  # unchecked: left out
            print(f"   {name}: {100.0 * d / c if c else 0:.1f} % ({d} of {c} checked) in {results[name]['seconds']} s",
                  flush=True)
    print(write_report(results), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
