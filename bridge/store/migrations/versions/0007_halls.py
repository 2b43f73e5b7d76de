"""Halls and sites in a reading's identity: sensor ids are unique only within a hall.

``reading``, ``reading_latest`` and ``reading_hourly`` gain ``site`` and
``hall``; their keys become (site, hall, sensor, quantity, time). Every row
already stored is kept and assigned to the hall of the scene it was stored
for (``legacy_hall``: the scene of the program opening the store, see
:func:`bridge.store.schema.upgrade`), on site '' (the museum's own box).
Alerts gain the same two columns; the sensor archive is keyed on
(hall_id, id); a user gains ``site`` (a hub's users see one site each).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlmodel.sql.sqltypes import AutoString

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: The hall of scenes/demo_hall, the scene every program used when none was named.
DEFAULT_LEGACY_HALL = "demo_hall"


def _legacy_hall() -> str:
    hall = context.config.attributes.get("legacy_hall") if context.config is not None else None
    return str(hall or DEFAULT_LEGACY_HALL)


def _place_columns(batch) -> None:  # type: ignore[no-untyped-def]
    batch.add_column(sa.Column("site", AutoString(length=64), nullable=False, server_default=""))
    batch.add_column(sa.Column("hall", AutoString(length=64), nullable=False, server_default=""))


def upgrade() -> None:
    hall = _legacy_hall()
    with op.batch_alter_table("reading") as batch:
        _place_columns(batch)
        batch.drop_constraint("uq_reading_key", type_="unique")
        batch.create_unique_constraint("uq_reading_key", ["site", "hall", "sensor", "quantity", "time_us"])
    with op.batch_alter_table("reading_hourly") as batch:
        _place_columns(batch)
        batch.drop_constraint("uq_hourly_key", type_="unique")
        batch.create_unique_constraint("uq_hourly_key", ["site", "hall", "sensor", "quantity", "hour_us"])
    with op.batch_alter_table("alert") as batch:
        _place_columns(batch)
    # the newest reading per series: rebuilt on the new key (a small table, one row per series)
    op.drop_table("reading_latest")
    op.create_table(
        "reading_latest",
        sa.Column("site", AutoString(length=64), nullable=False, server_default=""),
        sa.Column("hall", AutoString(length=64), nullable=False, server_default=""),
        sa.Column("sensor", AutoString(length=128), nullable=False),
        sa.Column("quantity", AutoString(length=64), nullable=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", AutoString(length=32), nullable=False),
        sa.Column("quality", AutoString(length=32), nullable=False),
        sa.Column("reason", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("site", "hall", "sensor", "quantity"),
    )
    with op.batch_alter_table("sensor") as batch:
        batch.add_column(sa.Column("hall_id", AutoString(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("user") as batch:  # a hub's users are scoped to one site ('' = every site)
        batch.add_column(sa.Column("site", AutoString(length=64), nullable=False, server_default=""))
    bind = op.get_bind()
    params = {"hall": hall}
    for table in ("reading", "reading_hourly", "alert", "sensor"):
        column = "hall_id" if table == "sensor" else "hall"
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :hall"), params)
    _sensor_key(["hall_id", "id"])
    op.execute(
        "INSERT INTO reading_latest (site, hall, sensor, quantity, time_us, value, unit, quality, reason) "
        "SELECT r.site, r.hall, r.sensor, r.quantity, r.time_us, r.value, r.unit, r.quality, r.reason "
        "FROM reading r JOIN (SELECT site, hall, sensor, quantity, max(time_us) AS t FROM reading "
        "GROUP BY site, hall, sensor, quantity) m ON r.site = m.site AND r.hall = m.hall "
        "AND r.sensor = m.sensor AND r.quantity = m.quantity AND r.time_us = m.t"
    )


def _sensor_key(columns: list[str]) -> None:
    """Rebuild ``sensor`` with primary key ``columns`` (no table refers to it; same on both engines)."""
    with_hall = "hall_id" in columns
    cols = [
        *([sa.Column("hall_id", AutoString(length=64), nullable=False, server_default="")] if with_hall else []),
        sa.Column("id", AutoString(length=128), nullable=False),
        sa.Column("zone_id", AutoString(), nullable=True),
        sa.Column("model", AutoString(), nullable=False),
        sa.Column("protocol", AutoString(length=32), nullable=False),
        sa.Column("quantities", AutoString(), nullable=False),
        sa.Column("x_m", sa.Float(), nullable=True),
        sa.Column("y_m", sa.Float(), nullable=True),
        sa.Column("z_m", sa.Float(), nullable=True),
        sa.Column("installed_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"]),
        sa.PrimaryKeyConstraint(*columns),
    ]
    op.create_table("sensor_new", *cols)
    names = ", ".join(c.name for c in cols if isinstance(c, sa.Column))
    op.execute(f"INSERT INTO sensor_new ({names}) SELECT {names} FROM sensor")
    op.drop_table("sensor")
    op.rename_table("sensor_new", "sensor")


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("site")
    op.drop_table("reading_latest")
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
    _sensor_key(["id"])
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("hall")
        batch.drop_column("site")
    with op.batch_alter_table("reading_hourly") as batch:
        batch.drop_constraint("uq_hourly_key", type_="unique")
        batch.create_unique_constraint("uq_hourly_key", ["sensor", "quantity", "hour_us"])
        batch.drop_column("hall")
        batch.drop_column("site")
    with op.batch_alter_table("reading") as batch:
        batch.drop_constraint("uq_reading_key", type_="unique")
        batch.create_unique_constraint("uq_reading_key", ["sensor", "quantity", "time_us"])
        batch.drop_column("hall")
        batch.drop_column("site")
