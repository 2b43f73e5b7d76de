"""schemathesis over the service's OpenAPI document: how many server errors (5xx) it finds.

Every phase (examples, coverage, fuzzing, stateful), positive and negative data, at least 200
examples per operation, against a real uvicorn with a real SQLite store, signed in as admin so
every route is reached past its role check. Prints the operations and cases tried, the count of
server errors (the figure: it should be 0) and, as the anchor, the share of cases the service
answered with a 4xx (refused at the edge), with the time taken. ``tests/test_api_fuzz.py`` runs
the same with a dozen examples per operation in the suite.

    .venv/bin/python benchmarks/api_fuzz.py [--examples 200] [--seed 20261207]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tests.fixtures_api import serve  # noqa: E402

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


def run(data_dir: Path, examples: int, seed: int) -> tuple[Counter[str], Counter[int], int, str]:
    """(failures by check, responses by status class, operations, schemathesis's summary tail)."""
    report = data_dir / "events.ndjson"
    gen = serve(data_dir / "api")
    api = next(gen)
    try:
        done = subprocess.run(
            [str(SCHEMATHESIS), "run", api.url + "/api/openapi.json", "-H", f"Authorization: Bearer {api.tokens['admin']}",
             "--phases", "examples,coverage,fuzzing,stateful", "--mode", "all", "--max-examples", str(examples),
             "--checks", "not_a_server_error", "--continue-on-failure", "--workers", "1", "--seed", str(seed),
             "--generation-database", "none", "--report", "ndjson", "--report-ndjson-path", str(report)],
            capture_output=True, text=True, timeout=3600)
    finally:
        gen.close()
    failures: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for line in report.read_text().splitlines() if report.exists() else []:
        event = json.loads(line)
        for kind, body in event.items():
            if kind != "ScenarioFinished":
                continue
            for case in (body.get("recorder") or {}).get("interactions", {}).values():
                status = ((case.get("response") or {}).get("status_code"))
                if status:
                    statuses[status // 100] += 1
            for check in (body.get("recorder") or {}).get("checks", {}).values():
                for c in check:
                    if c.get("status") == "FAILURE":
                        failures[c.get("name", "?")] += 1
    tested = re.search(r"Tested: (\d+)", done.stdout)
    return failures, statuses, int(tested.group(1)) if tested else 0, (done.stdout + done.stderr)[-3000:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200, help="examples per operation (at least)")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--show", action="store_true", help="print schemathesis's own summary")
    a = ap.parse_args()
    if SCHEMATHESIS is None:
        print("schemathesis not installed (pip install -e '.[dev]') / 未安装 schemathesis", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        failures, statuses, operations, tail = run(Path(d), a.examples, a.seed)
    took = time.monotonic() - t0
    cases = sum(statuses.values())
    if a.show or not cases:
        print(tail)
    print(f"operations {operations}, cases {cases} ({a.examples} examples per operation, every phase, "
          f"positive and negative), {took:.0f} s")
    print(f"server errors (5xx): {statuses.get(5, 0)}; failed not_a_server_error checks: "
          f"{failures.get('not_a_server_error', 0)}")
    print(f"answered 2xx {statuses.get(2, 0)}, 4xx {statuses.get(4, 0)} "
          f"(refused at the edge: {statuses.get(4, 0) / max(cases, 1):.1%} of cases)")
    return 0 if cases and not statuses.get(5) else 1


if __name__ == "__main__":
    raise SystemExit(main())
