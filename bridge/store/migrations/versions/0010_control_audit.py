"""The climate-control audit trail as a table (it was JSON lines, ``<data>/control/<hall>-audit.jsonl``).

Every recommendation, command, echo, effect, alert, policy change and override of a hall's
machines, with who or what decided and why. Old JSON-lines files are moved in by
:func:`bridge.control.audit.import_json_lines` when the hall's control starts.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("site", AutoString(length=64), nullable=False, server_default=""),
        sa.Column("hall", AutoString(length=64), nullable=False, server_default=""),
        sa.Column("kind", AutoString(length=32), nullable=False),
        sa.Column("actuator", AutoString(length=128), nullable=False),
        sa.Column("who", AutoString(length=64), nullable=False),
        sa.Column("why", AutoString(), nullable=False),
        sa.Column("before", AutoString(), nullable=False),
        sa.Column("after", AutoString(), nullable=False),
        sa.Column("echo", AutoString(), nullable=True),
        sa.Column("effect", AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_control_audit_place_time", "control_audit", ["site", "hall", "at_us"])


def downgrade() -> None:
    op.drop_index("ix_control_audit_place_time", table_name="control_audit")
    op.drop_table("control_audit")
