"""Skipped tests told apart from passed ones; in CI a skip for a missing service or package fails the run.

``make test`` ends with a section naming every skipped test and its reason, split into those that
need a service or package (PostgreSQL, Mosquitto, Chromium, poppler, ...: ``make`` installs them)
and those that need data outside the repository (``../shared``, which a clean clone lacks).

With ``CI`` set to true (``.ci/run`` sets it), a skip of the first kind fails the run: there the
services and packages are installed, so such a skip means a test that protects a relic did not run.
Imported by ``tests/conftest.py``, whose namespace pytest reads the hooks from.
"""

from __future__ import annotations

import os

import pytest

#: a skip reason naming this is about data that lives outside the repository (allowed in CI)
OUTSIDE_DATA = "../shared"

_SKIPS: list[tuple[str, str]] = []


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    lr = report.longrepr
    text = str(lr[2]) if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
    return text.removeprefix("Skipped: ")


def required_skips() -> list[tuple[str, str]]:
    """Skips for a missing service or package: (test id, reason)."""
    return [s for s in _SKIPS if OUTSIDE_DATA not in s[1]]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPS.append((report.nodeid, _reason(report)))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _SKIPS.append((report.nodeid, _reason(report)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if in_ci() and required_skips() and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    tr = terminalreporter
    passed = len(tr.stats.get("passed", []))
    required = required_skips()
    optional = [s for s in _SKIPS if OUTSIDE_DATA in s[1]]
    tr.section("passed and skipped")
    for title, group in (("skipped, a service or package is missing (make installs it)", required),
                         ("skipped, data outside the repository (../shared) is absent", optional)):
        if group:
            tr.write_line(f"{title}:")
            for nodeid, why in group:
                tr.write_line(f"  SKIPPED {nodeid}: {why}")
    tr.write_line(f"{passed} passed, {len(_SKIPS)} skipped ({len(required)} for a missing service or package, "
                  f"{len(optional)} for absent ../shared data)")
    if in_ci() and required:
        tr.write_line(f"CI: {len(required)} test(s) skipped for a missing service or package; "
                      "failing the run (these are installed in CI)", red=True, bold=True)
