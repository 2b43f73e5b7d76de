"""Shared fixtures. Each area keeps its fixtures in its own module, imported here."""

from conftest_engine import engine_base  # noqa: F401
from fixtures_broker import mosquitto_broker  # noqa: F401
from fixtures_browser import chromium, exhibit_dir  # noqa: F401
from fixtures_db import database_url, pg_server_url  # noqa: F401
from skip_guard import (  # noqa: F401  (hooks: skipped told from passed; skips fail in CI)
    pytest_collectreport,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
