"""Per-sensor calibration (offset and gain per quantity, who set it and when) and each reading's raw value.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensor_calibration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sensor", AutoString(length=128), nullable=False),
        sa.Column("quantity", AutoString(length=64), nullable=False),
        sa.Column("offset", sa.Float(), nullable=False),
        sa.Column("gain", sa.Float(), nullable=False),
        sa.Column("set_at_us", sa.BigInteger(), nullable=False),
        sa.Column("set_by", AutoString(length=64), nullable=False),
        sa.Column("note", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sensor_calibration_key", "sensor_calibration", ["sensor", "quantity", "set_at_us"])
    with op.batch_alter_table("reading") as batch:  # nullable: no rewrite of existing rows on PostgreSQL
        batch.add_column(sa.Column("raw_value", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reading") as batch:
        batch.drop_column("raw_value")
    op.drop_index("ix_sensor_calibration_key", table_name="sensor_calibration")
    op.drop_table("sensor_calibration")
