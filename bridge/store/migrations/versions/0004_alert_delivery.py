"""Alerts from the live engine (key, cause, target, advice) and the notifications sent for them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:  # batch: SQLite cannot ALTER most things in place
        batch.add_column(sa.Column("key", AutoString(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("cause", AutoString(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("target_kind", AutoString(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("target_id", AutoString(length=128), nullable=False, server_default=""))
        batch.add_column(sa.Column("advice_zh", AutoString(), nullable=False, server_default=""))
        batch.add_column(sa.Column("advice_en", AutoString(), nullable=False, server_default=""))
        batch.create_index("ix_alert_key", ["key"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("channel", AutoString(length=32), nullable=False),
        sa.Column("address", AutoString(length=500), nullable=False),
        sa.Column("tier", AutoString(length=32), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("sent_at_us", sa.BigInteger(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_alert_id", "notification", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_notification_alert_id", table_name="notification")
    op.drop_table("notification")
    with op.batch_alter_table("alert") as batch:
        batch.drop_index("ix_alert_key")
        for name in ("advice_en", "advice_zh", "target_id", "target_kind", "cause", "key"):
            batch.drop_column(name)
