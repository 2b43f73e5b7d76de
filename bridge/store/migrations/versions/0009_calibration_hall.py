"""The hall of a sensor calibration: sensor ids are unique only within a hall (migration 0007).

Existing calibrations get '' (any hall: what they meant before halls existed).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sensor_calibration") as batch:
        batch.add_column(sa.Column("hall", AutoString(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sensor_calibration") as batch:
        batch.drop_column("hall")
