"""Latest reading per (sensor, quantity), filled from the readings already stored.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_latest",
        sa.Column("sensor", AutoString(length=128), nullable=False),
        sa.Column("quantity", AutoString(length=64), nullable=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", AutoString(length=32), nullable=False),
        sa.Column("quality", AutoString(length=32), nullable=False),
        sa.Column("reason", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("sensor", "quantity"),
    )
    # existing data: the newest stored reading of every series
    op.execute(
        "INSERT INTO reading_latest (sensor, quantity, time_us, value, unit, quality, reason) "
        "SELECT r.sensor, r.quantity, r.time_us, r.value, r.unit, r.quality, r.reason FROM reading r "
        "JOIN (SELECT sensor, quantity, max(time_us) AS t FROM reading GROUP BY sensor, quantity) m "
        "ON r.sensor = m.sensor AND r.quantity = m.quantity AND r.time_us = m.t"
    )


def downgrade() -> None:
    op.drop_table("reading_latest")
