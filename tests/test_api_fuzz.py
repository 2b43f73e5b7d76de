"""schemathesis against the service's own OpenAPI document: no server error (5xx) on any endpoint.

The run is schemathesis' default one (every phase: coverage, fuzzing, stateful; positive and
negative data) with fewer examples per operation so that the suite stays quick; the full default
run (about 4 000 cases, 4-5 min here) is ``python -m tests.test_api_fuzz`` and passed with no
failure when last run. It goes through the schemathesis command line in a subprocess, against a
real uvicorn, signed in as admin so that every route is reached past its role check.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures_api import serve

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


def run_schemathesis(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert SCHEMATHESIS is not None, "schemathesis is a [dev] dependency: pip install -e '.[dev]'"
    gen = serve(data_dir)
    api = next(gen)
    try:
        return subprocess.run(
            [str(SCHEMATHESIS), "run", api.url + "/api/openapi.json", "-H", f"Authorization: Bearer {api.tokens['admin']}",
             "--checks", "not_a_server_error", "--workers", "1", "--seed", "20261201", "--generation-database", "none",
             *extra], capture_output=True, text=True, timeout=900)
    finally:
        gen.close()


@pytest.mark.slow
def test_no_server_error_on_any_operation(tmp_path):
    r = run_schemathesis(tmp_path, "--max-examples", "12")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    selected, total = map(int, re.search(r"(\d+) selected / (\d+) total", r.stdout).groups())
    assert selected == total >= 30  # every operation of the document was tried
    tested = re.search(r"Tested: (\d+)", r.stdout)
    assert tested and int(tested.group(1)) == total


if __name__ == "__main__":  # the full default run
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        result = run_schemathesis(Path(d))
    print(result.stdout, result.stderr)
    raise SystemExit(result.returncode)
