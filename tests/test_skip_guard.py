"""The skip guard: make test names each skip; in CI a skip for a missing service or package fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SUITE = '''
import pytest

def test_runs():
    assert 1 + 1 == 2

def test_needs_the_broker():
    pytest.skip("mosquitto binary not installed")

def test_needs_outside_data():
    pytest.skip("needs ../shared/data/somewhere (licence: none stated)")

@pytest.mark.xfail(reason="known", strict=False)
def test_known_flaky():
    assert False
'''


def run(tmp_path: Path, body: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text("from skip_guard import *  # noqa: F403\n")
    (tmp_path / "test_sample.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(HERE)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # a bare pytest starts in 1 s, not 20 s of plugins
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_skips_are_listed_apart_from_passes_and_pass_outside_ci(tmp_path: Path) -> None:
    r = run(tmp_path, SUITE, None)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 2 skipped (1 for a missing service or package, 1 for absent ../shared data)" in r.stdout
    assert "SKIPPED test_sample.py::test_needs_the_broker: mosquitto binary not installed" in r.stdout
    assert "failing the run" not in r.stdout


def test_in_ci_a_skip_for_a_missing_service_fails_the_run(tmp_path: Path) -> None:
    r = run(tmp_path, SUITE, "true")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "CI: 1 test(s) skipped for a missing service or package; failing the run" in r.stdout
    # absent ../shared data alone does not fail it, nor does an xfail
    only_data = SUITE.replace('pytest.skip("mosquitto binary not installed")', "pass")
    r = run(tmp_path, only_data, "true")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed, 1 skipped (0 for a missing service or package, 1 for absent ../shared data)" in r.stdout


def test_a_module_skipped_at_collection_counts_too(tmp_path: Path) -> None:
    r = run(tmp_path, 'import pytest\npytest.skip("no PostgreSQL", allow_module_level=True)\n', "1")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no PostgreSQL" in r.stdout
