"""Schema: migrations keep existing data; the archive tables work on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from bridge.store import Store
from bridge.store import schema as store_schema
from bridge.store.epoch import to_us
from bridge.store.models import (
    Alert,
    AlertAck,
    Hall,
    MaterialProfile,
    PreservationRecord,
    Relic,
    Role,
    Sensor,
    Site,
    User,
    Zone,
)
from bridge.store.store import make_engine

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def test_upgrade_from_the_first_revision_keeps_readings(database_url: str) -> None:
    engine = make_engine(database_url)
    store_schema.upgrade(engine, "0001")  # a database made by the first release
    assert store_schema.current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reading (sensor, quantity, time_us, value, unit, quality, reason) "
                "VALUES ('a', 'temperature', :t, :v, '°C', 'ok', '')"
            ),
            [{"t": to_us(T0), "v": 21.5}, {"t": to_us(T0) - 10**6, "v": 19.0}],
        )
        assert "relic" not in inspect(conn).get_table_names()
    engine.dispose()
    with Store.open(url=database_url) as store:  # upgrades to head
        assert store_schema.current_revision(store.engine) == store_schema.head_revision()
        (latest,) = store.latest()  # filled from the old readings by migration 0003
        assert (latest.sensor, latest.value, latest.time) == ("a", 21.5, T0)
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """No model change without a migration: the migrated schema has every model column."""
    with Store.open(url=database_url) as store, store.engine.connect() as conn:
        insp = inspect(conn)
        for name, table in SQLModel.metadata.tables.items():
            assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}, name


def test_archive_round_trip(database_url: str) -> None:
    with Store.open(url=database_url) as store, store.session() as s:
        # no ORM relationships are declared, so parents are flushed before children
        for row in [
            Site(id="gzm", name_zh="广州博物馆", name_en="Guangzhou Museum"),
            Hall(id="demo_hall", site_id="gzm", name_zh="青铜器厅", name_en="Bronze hall", scene="demo_hall"),
            Zone(id="case-1", hall_id="demo_hall", name_zh="一号展柜", name_en="Case 1", kind="case"),
            Sensor(id="S01", zone_id="case-1", quantities="temperature,relative_humidity", x_m=1.0),
            MaterialProfile(
                id="bronze", name_zh="青铜", name_en="bronze", limits_json='{"relative_humidity": [0, 40]}'
            ),
            Role(id="conservator", name_zh="保护人员", name_en="conservator", permissions="alerts.ack"),
        ]:
            s.add(row)
            s.flush()
        s.commit()
        relic = Relic(
            catalogue_number="GZ-0001",
            name_zh="青铜鼎",
            name_en="bronze ding",
            era="Western Zhou",
            material="bronze",
            material_profile_id="bronze",
            zone_id="case-1",
            height_mm=310.0,
            provenance="excavated 1956",
            condition="stable, pale green patina",
        )
        user = User(username="li", display_name="李工", role_id="conservator", created_at_us=to_us(T0))
        s.add(relic)
        s.add(user)
        s.commit()
        s.add(
            PreservationRecord(
                relic_id=relic.id, kind="inspection", what="chloride check", who="li", started_at_us=to_us(T0)
            )
        )
        s.add(
            PreservationRecord(
                relic_id=relic.id,
                kind="loan",
                what="to provincial museum",
                who="registrar",
                started_at_us=to_us(T0) + 1,
                counterparty="Hubei Provincial Museum",
            )
        )
        alert = Alert(
            raised_at_us=to_us(T0),
            tier="warning",
            sensor="S01",
            quantity="relative_humidity",
            relic_id=relic.id,
            zone_id="case-1",
            message_zh="湿度偏高",
            message_en="RH high",
        )
        s.add(alert)
        s.commit()
        s.add(AlertAck(alert_id=alert.id, user_id=user.id, acked_at_us=to_us(T0) + 60, note="dehumidifier on"))
        s.commit()

        records = s.exec(select(PreservationRecord).where(PreservationRecord.relic_id == relic.id)).all()
        assert sorted(r.kind for r in records) == ["inspection", "loan"]
        ack = s.exec(select(AlertAck)).one()
        assert (ack.alert_id, ack.user_id, ack.note) == (alert.id, user.id, "dehumidifier on")
        got = s.exec(select(Relic).where(Relic.catalogue_number == "GZ-0001")).one()
        assert (got.name_zh, got.height_mm, got.zone_id) == ("青铜鼎", 310.0, "case-1")
