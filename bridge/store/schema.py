"""Schema migrations: bring any older database up to the current tables.

Alembic scripts live in ``bridge/store/migrations/versions``; each upgrade
keeps existing rows. :func:`upgrade` runs on every :meth:`Store.open`, so
a newer relic-twin upgrades an older data file in place.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged scripts (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database of ``engine`` to ``revision`` (default: newest)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # one migrator at a time when several processes open the store at once
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7262741)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
