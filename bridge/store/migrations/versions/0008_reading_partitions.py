"""PostgreSQL: ``reading`` partitioned by month of ``time_us`` (declarative partitioning).

A hub stores many museums' readings; one partition per calendar month (UTC),
named ``reading_pYYYYMM``, lets old months be rolled up, detached or dropped
whole (``ALTER TABLE reading DETACH PARTITION reading_p202401``) instead of
deleted row by row, and keeps each month's indexes small. The store creates
the partition of a month before its first reading is written
(:meth:`bridge.store.Store.write_batch`). Every stored reading is kept
(copied into its month's partition). The primary key becomes (id, time_us):
PostgreSQL requires every unique key of a partitioned table to hold the
partition key. SQLite is unchanged.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = "id, site, hall, sensor, quantity, time_us, value, unit, quality, reason, raw_value"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from bridge.store.partitions import create_month_partitions, months_between

    op.execute("ALTER SEQUENCE reading_id_seq OWNED BY NONE")  # kept when the old table goes
    op.execute("ALTER TABLE reading RENAME TO reading_unpartitioned")
    op.execute("ALTER TABLE reading_unpartitioned RENAME CONSTRAINT reading_pkey TO reading_unpartitioned_pkey")
    op.execute("ALTER TABLE reading_unpartitioned RENAME CONSTRAINT uq_reading_key TO uq_reading_unpartitioned_key")
    op.execute(
        "CREATE TABLE reading ("
        " id BIGINT NOT NULL DEFAULT nextval('reading_id_seq'),"
        " site VARCHAR(64) NOT NULL DEFAULT '', hall VARCHAR(64) NOT NULL DEFAULT '',"
        " sensor VARCHAR(128) NOT NULL, quantity VARCHAR(64) NOT NULL, time_us BIGINT NOT NULL,"
        " value DOUBLE PRECISION NOT NULL, unit VARCHAR(32) NOT NULL, quality VARCHAR(32) NOT NULL,"
        " reason VARCHAR NOT NULL, raw_value DOUBLE PRECISION,"
        " CONSTRAINT reading_pkey PRIMARY KEY (id, time_us),"
        " CONSTRAINT uq_reading_key UNIQUE (site, hall, sensor, quantity, time_us)"
        ") PARTITION BY RANGE (time_us)")
    op.execute("ALTER SEQUENCE reading_id_seq OWNED BY reading.id")
    lo, hi = bind.exec_driver_sql("SELECT min(time_us), max(time_us) FROM reading_unpartitioned").one()
    if lo is not None:
        create_month_partitions(bind, months_between(lo, hi))
    op.execute(f"INSERT INTO reading ({COLUMNS}) SELECT {COLUMNS} FROM reading_unpartitioned")
    op.execute("DROP TABLE reading_unpartitioned")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER SEQUENCE reading_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE reading RENAME TO reading_partitioned")
    op.execute("ALTER TABLE reading_partitioned RENAME CONSTRAINT reading_pkey TO reading_partitioned_pkey")
    op.execute("ALTER TABLE reading_partitioned RENAME CONSTRAINT uq_reading_key TO uq_reading_partitioned_key")
    op.execute(
        "CREATE TABLE reading (id BIGINT NOT NULL DEFAULT nextval('reading_id_seq') PRIMARY KEY,"
        " site VARCHAR(64) NOT NULL DEFAULT '', hall VARCHAR(64) NOT NULL DEFAULT '',"
        " sensor VARCHAR(128) NOT NULL, quantity VARCHAR(64) NOT NULL, time_us BIGINT NOT NULL,"
        " value DOUBLE PRECISION NOT NULL, unit VARCHAR(32) NOT NULL, quality VARCHAR(32) NOT NULL,"
        " reason VARCHAR NOT NULL, raw_value DOUBLE PRECISION,"
        " CONSTRAINT uq_reading_key UNIQUE (site, hall, sensor, quantity, time_us))")
    op.execute("ALTER SEQUENCE reading_id_seq OWNED BY reading.id")
    op.execute(f"INSERT INTO reading ({COLUMNS}) SELECT {COLUMNS} FROM reading_partitioned")
    op.execute("DROP TABLE reading_partitioned CASCADE")
