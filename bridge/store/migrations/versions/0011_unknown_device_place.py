"""Unknown devices keyed by their place: (site, hall, sensor), not the sensor alone.

Sensor ids are unique only within a hall (migration 0007), so under ``serve --site`` hall_a's
``S01`` and hall_b's ``S01`` were one row, and on a hub two museums' were too. Each existing row
is kept and placed by its last topic: ``relic-hub/<site>/relic-twin/<hall>/<sensor>`` (a hub's),
``relic-twin/<hall>/<sensor>`` (a museum's own), else the hall of the scene opening the store
(``legacy_hall``, as in 0007), on site ''.

Also the hub's tally of sites it does not hold (``hub_unregistered``): their forwarded messages
wait in quarantine until an admin registers the site (:mod:`bridge.hub.registrar`).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlmodel.sql.sqltypes import AutoString

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: The hall of scenes/demo_hall (0007's default for rows stored before halls existed).
DEFAULT_LEGACY_HALL = "demo_hall"


def _legacy_hall() -> str:
    hall = context.config.attributes.get("legacy_hall") if context.config is not None else None
    return str(hall or DEFAULT_LEGACY_HALL)


def place_of(topic: str, legacy_hall: str) -> tuple[str, str]:
    """(site, hall) an unknown device's last topic names; the legacy hall on site '' when it names none."""
    site = ""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[0] == "relic-hub" and parts[1]:
        site, parts = parts[1][:64], parts[2:]
    if len(parts) >= 3 and parts[0] == "relic-twin" and parts[1]:
        return site, parts[1][:64]
    return site, legacy_hall


def _columns(with_place: bool) -> list[sa.Column]:  # type: ignore[type-arg]
    place = [sa.Column("site", AutoString(length=64), nullable=False, server_default=""),
             sa.Column("hall", AutoString(length=64), nullable=False, server_default="")] if with_place else []
    return [
        *place,
        sa.Column("sensor", AutoString(length=128), nullable=False),
        sa.Column("topic", AutoString(length=512), nullable=False),
        sa.Column("first_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("adopted_zone", AutoString(length=64), nullable=True),
        sa.Column("adopted_by", AutoString(length=64), nullable=False),
        sa.Column("adopted_at_us", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    legacy = _legacy_hall()
    bind = op.get_bind()
    rows = [dict(r._mapping) for r in bind.execute(sa.text("SELECT * FROM unknown_device"))]
    op.create_table("unknown_device_new", *_columns(True), sa.PrimaryKeyConstraint("site", "hall", "sensor"))
    merged: dict[tuple[str, str, str], dict] = {}  # type: ignore[type-arg]
    for r in rows:
        site, hall = place_of(r["topic"] or "", legacy)
        merged[(site, hall, r["sensor"])] = {**r, "site": site, "hall": hall}
    if merged:
        table = sa.table("unknown_device_new", *(sa.column(c.name) for c in _columns(True)))
        op.bulk_insert(table, list(merged.values()))
    op.drop_table("unknown_device")
    op.rename_table("unknown_device_new", "unknown_device")
    op.create_table(
        "hub_unregistered",
        sa.Column("site", AutoString(length=64), nullable=False),
        sa.Column("topic", AutoString(length=512), nullable=False),
        sa.Column("first_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("registered_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("site"),
    )


def downgrade() -> None:
    op.drop_table("hub_unregistered")
    op.create_table("unknown_device_old", *_columns(False), sa.PrimaryKeyConstraint("sensor"))
    names = ", ".join(c.name for c in _columns(False))
    # one row per sensor again: the newest of a sensor's places
    op.execute(f"INSERT INTO unknown_device_old ({names}) SELECT {names} FROM unknown_device u WHERE NOT EXISTS "
               "(SELECT 1 FROM unknown_device v WHERE v.sensor = u.sensor AND (v.last_seen_us > u.last_seen_us "
               "OR (v.last_seen_us = u.last_seen_us AND (v.site || '/' || v.hall) > (u.site || '/' || u.hall))))")
    op.drop_table("unknown_device")
    op.rename_table("unknown_device_old", "unknown_device")
