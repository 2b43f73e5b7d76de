"""Trust: a token stamp per user (revocation), the audit log, unknown devices.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("token_stamp", AutoString(length=32), nullable=False, server_default=""))
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", AutoString(length=64), nullable=False),
        sa.Column("action", AutoString(length=64), nullable=False),
        sa.Column("target", AutoString(length=200), nullable=False),
        sa.Column("address", AutoString(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_at_us", "audit_event", ["at_us"])
    op.create_table(
        "unknown_device",
        sa.Column("sensor", AutoString(length=128), nullable=False),
        sa.Column("topic", AutoString(length=512), nullable=False),
        sa.Column("first_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("adopted_zone", AutoString(length=64), nullable=True),
        sa.Column("adopted_by", AutoString(length=64), nullable=False),
        sa.Column("adopted_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("sensor"),
    )


def downgrade() -> None:
    op.drop_table("unknown_device")
    op.drop_index("ix_audit_event_at_us", table_name="audit_event")
    op.drop_table("audit_event")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("token_stamp")
