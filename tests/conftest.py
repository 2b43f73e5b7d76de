"""Shared fixtures. Each area keeps its fixtures in its own module, imported here."""

from conftest_engine import engine_base  # noqa: F401
from fixtures_broker import mosquitto_broker  # noqa: F401
from fixtures_browser import chromium, exhibit_dir  # noqa: F401
from fixtures_db import database_url, pg_server_url  # noqa: F401
from hypothesis import settings
from skip_guard import (  # noqa: F401  (hooks: skipped told from passed; skips fail in CI)
    pytest_collectreport,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

# No wall-clock limit on an example: tests assert behaviours and numbers, and a loaded machine (two cores,
# mutation runs beside the suite) is not a failure. Each test still sets its own number of examples.
settings.register_profile("relic-twin", deadline=None)
settings.load_profile("relic-twin")
