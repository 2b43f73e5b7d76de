"""Database fixtures: every storage test runs against SQLite and PostgreSQL.

``database_url`` is parametrised over ``sqlite`` (a file in the test's tmp
dir) and ``postgresql`` (a database created once per test session on the
server named by ``RELIC_TWIN_TEST_PG``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, and emptied
before each test). PostgreSQL tests skip cleanly when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _libpq(url: str) -> str:
    """SQLAlchemy URL -> libpq URL (drop the +driver)."""
    return "postgresql://" + url.split("://", 1)[1]


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    import psycopg

    admin = os.environ.get("RELIC_TWIN_TEST_PG", PG_ADMIN_DEFAULT)
    if admin.startswith("postgresql://"):
        admin = "postgresql+psycopg://" + admin.removeprefix("postgresql://")
    name = f"relic_twin_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        conn = psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {admin}: {exc}")
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_pg(url: str) -> None:
    """Drop every table of the database at ``url`` (a fresh public schema)."""
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=3) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """URL of an empty database: SQLite file in tmp_path, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'relic-twin.sqlite'}"
    url = request.getfixturevalue("pg_server_url")
    empty_pg(url)
    return url
