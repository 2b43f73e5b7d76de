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


def upgrade(engine: Engine, revision: str = "head", legacy_hall: str | None = None) -> None:
    """Migrate the database of ``engine`` to ``revision`` (default: newest).

    legacy_hall : the hall (scene id) that readings stored before halls existed
        (migration 0007) belong to; None: ``demo_hall``, the default scene's
    """
    cfg = alembic_config()
    cfg.attributes["legacy_hall"] = legacy_hall
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # one migrator at a time when several processes open the store at once
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7262741)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def head_revision() -> str:
    """The newest revision of the packaged scripts."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
