"""Alembic environment: runs on the connection the store hands over.

The store calls :func:`bridge.store.schema.upgrade`, which puts an open
SQLAlchemy connection in ``config.attributes["connection"]``; there is no
alembic.ini and nothing is read from the environment here.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from bridge.store import models  # noqa: F401  (registers the tables)

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
