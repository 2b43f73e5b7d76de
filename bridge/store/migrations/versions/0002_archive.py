"""Hourly aggregates, places, sensors, relic archive, records, alerts, users, files.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material_profile",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("name_zh", AutoString(), nullable=False),
        sa.Column("name_en", AutoString(), nullable=False),
        sa.Column("limits_json", AutoString(), nullable=False),
        sa.Column("source", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reading_hourly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sensor", AutoString(length=128), nullable=False),
        sa.Column("quantity", AutoString(length=64), nullable=False),
        sa.Column("hour_us", sa.BigInteger(), nullable=False),
        sa.Column("unit", AutoString(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sensor", "quantity", "hour_us", name="uq_hourly_key"),
    )
    op.create_table(
        "role",
        sa.Column("id", AutoString(length=32), nullable=False),
        sa.Column("name_zh", AutoString(), nullable=False),
        sa.Column("name_en", AutoString(), nullable=False),
        sa.Column("permissions", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "site",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("name_zh", AutoString(), nullable=False),
        sa.Column("name_en", AutoString(), nullable=False),
        sa.Column("address", AutoString(), nullable=False),
        sa.Column("timezone", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "hall",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("site_id", AutoString(), nullable=True),
        sa.Column("name_zh", AutoString(), nullable=False),
        sa.Column("name_en", AutoString(), nullable=False),
        sa.Column("scene", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", AutoString(length=64), nullable=False),
        sa.Column("display_name", AutoString(), nullable=False),
        sa.Column("password_hash", AutoString(), nullable=False),
        sa.Column("role_id", AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["role.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "zone",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("hall_id", AutoString(), nullable=True),
        sa.Column("name_zh", AutoString(), nullable=False),
        sa.Column("name_en", AutoString(), nullable=False),
        sa.Column("kind", AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"],
            ["hall.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "relic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue_number", AutoString(length=64), nullable=False),
        sa.Column("name_zh", AutoString(), nullable=False),
        sa.Column("name_en", AutoString(), nullable=False),
        sa.Column("era", AutoString(), nullable=False),
        sa.Column("material", AutoString(), nullable=False),
        sa.Column("material_profile_id", AutoString(), nullable=True),
        sa.Column("zone_id", AutoString(), nullable=True),
        sa.Column("height_mm", sa.Float(), nullable=True),
        sa.Column("width_mm", sa.Float(), nullable=True),
        sa.Column("depth_mm", sa.Float(), nullable=True),
        sa.Column("weight_g", sa.Float(), nullable=True),
        sa.Column("provenance", AutoString(), nullable=False),
        sa.Column("condition", AutoString(), nullable=False),
        sa.Column("description_zh", AutoString(), nullable=False),
        sa.Column("description_en", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_profile_id"],
            ["material_profile.id"],
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("catalogue_number"),
    )
    op.create_table(
        "sensor",
        sa.Column("id", AutoString(length=128), nullable=False),
        sa.Column("zone_id", AutoString(), nullable=True),
        sa.Column("model", AutoString(), nullable=False),
        sa.Column("protocol", AutoString(length=32), nullable=False),
        sa.Column("quantities", AutoString(), nullable=False),
        sa.Column("x_m", sa.Float(), nullable=True),
        sa.Column("y_m", sa.Float(), nullable=True),
        sa.Column("z_m", sa.Float(), nullable=True),
        sa.Column("installed_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raised_at_us", sa.BigInteger(), nullable=False),
        sa.Column("tier", AutoString(length=32), nullable=False),
        sa.Column("sensor", AutoString(), nullable=False),
        sa.Column("quantity", AutoString(), nullable=False),
        sa.Column("relic_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", AutoString(), nullable=True),
        sa.Column("message_zh", AutoString(), nullable=False),
        sa.Column("message_en", AutoString(), nullable=False),
        sa.Column("cleared_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["relic_id"],
            ["relic.id"],
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_raised_at_us"), ["raised_at_us"], unique=False)
    op.create_table(
        "preservation_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relic_id", sa.Integer(), nullable=False),
        sa.Column("kind", AutoString(length=32), nullable=False),
        sa.Column("what", AutoString(), nullable=False),
        sa.Column("who", AutoString(), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_us", sa.BigInteger(), nullable=True),
        sa.Column("counterparty", AutoString(), nullable=False),
        sa.Column("notes", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["relic_id"],
            ["relic.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("preservation_record", schema=None) as batch_op:
        batch_op.create_index("ix_preservation_relic_time", ["relic_id", "started_at_us"], unique=False)
    op.create_table(
        "alert_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("acked_at_us", sa.BigInteger(), nullable=False),
        sa.Column("note", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_ack", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_ack_alert_id"), ["alert_id"], unique=False)
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", AutoString(length=64), nullable=False),
        sa.Column("media_type", AutoString(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("location", AutoString(), nullable=False),
        sa.Column("relic_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["preservation_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["relic_id"],
            ["relic.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_file_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_table("stored_file")
    op.drop_table("alert_ack")
    op.drop_table("preservation_record")
    op.drop_table("alert")
    op.drop_table("sensor")
    op.drop_table("relic")
    op.drop_table("zone")
    op.drop_table("user")
    op.drop_table("hall")
    op.drop_table("site")
    op.drop_table("role")
    op.drop_table("reading_hourly")
    op.drop_table("material_profile")
