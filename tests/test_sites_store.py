"""Halls in the data model: a reading's identity includes its hall (and site), and the migration
to it keeps every stored reading, tested on a copy of a populated database on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixtures_broker import Publisher
from sqlalchemy import text

from bridge.cli.import_file import import_main
from bridge.errors import ConfigError
from bridge.ingest.ingestor import Ingestor, IngestSettings, Subscription
from bridge.readings import Reading
from bridge.sensors.native import hall_from_topic
from bridge.site.halls import DEFAULT_HALL, resolve_hall
from bridge.store import Store
from bridge.store import schema as store_schema
from bridge.store.epoch import to_us
from bridge.store.store import make_engine

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _populate_0004(url: str) -> dict[str, int]:
    """A database as the release before halls left it: readings, hourly aggregates, alerts, sensors."""
    engine = make_engine(url)
    store_schema.upgrade(engine, "0004")
    rows = [{"s": f"S{i % 3}", "q": q, "t": to_us(T0) + i * 600_000_000, "v": 20.0 + i % 7}
            for i in range(300) for q in ("temperature", "relative_humidity")]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO reading (sensor, quantity, time_us, value, unit, quality, reason) "
                          "VALUES (:s, :q, :t, :v, 'x', 'ok', '')"), rows)
        conn.execute(text("INSERT INTO reading_latest (sensor, quantity, time_us, value, unit, quality, reason) "
                          "SELECT sensor, quantity, max(time_us), 0, 'x', 'ok', '' FROM reading "
                          "GROUP BY sensor, quantity"))
        conn.execute(text("INSERT INTO reading_hourly (sensor, quantity, hour_us, unit, count, flagged, mean) "
                          "VALUES ('S0', 'temperature', :h, '°C', 6, 0, 19.5)"), [{"h": to_us(T0) - 3_600_000_000}])
        conn.execute(text("INSERT INTO alert (raised_at_us, tier, sensor, quantity, message_zh, message_en, key, "
                          "cause, target_kind, target_id, advice_zh, advice_en) VALUES "
                          "(:t, 'warning', 'S0', 'temperature', '', '', 'k', '', 'relic', 'ding', '', '')"),
                     [{"t": to_us(T0)}])
        conn.execute(text("INSERT INTO sensor (id, model, protocol, quantities) VALUES ('S0', '', 'native', '')"))
    engine.dispose()
    return {"reading": len(rows), "reading_hourly": 1, "alert": 1, "sensor": 1, "reading_latest": 6}


def _copy(url: str, tmp_path: Path) -> str:
    """A copy of the database at ``url``: the file copied (SQLite), or a database made from it as template."""
    if url.startswith("sqlite"):
        src = Path(url.removeprefix("sqlite:///"))
        dst = tmp_path / "copy.sqlite"
        shutil.copy(src, dst)
        return f"sqlite:///{dst}"
    import psycopg

    base, name = url.rsplit("/", 1)
    copy = f"{name}_copy"
    admin = "postgresql://" + base.split("://", 1)[1] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return f"{base}/{copy}"


def _drop_copy(url: str) -> None:
    if url.startswith("postgresql"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect("postgresql://" + base.split("://", 1)[1] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_keeps_every_reading_in_the_hall_of_its_scene(database_url: str, tmp_path: Path) -> None:
    counts = _populate_0004(database_url)
    copy = _copy(database_url, tmp_path)
    try:
        with Store.open(url=copy, hall="gallery_1") as store:
            assert store_schema.current_revision(store.engine) == store_schema.head_revision()
            with store.engine.connect() as conn:
                for table, n in counts.items():
                    column = "hall_id" if table == "sensor" else "hall"
                    got = dict(conn.execute(text(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}")).all())
                    assert got == {"gallery_1": n}, table
                assert conn.execute(text("SELECT count(*) FROM reading WHERE site <> ''")).scalar_one() == 0
            assert store.halls() == ["gallery_1"]
            # the rebuilt latest table is the newest stored reading of each series
            latest = {(r.hall, r.sensor, r.quantity): r.time for r in store.latest()}
            assert latest[("gallery_1", "S2", "temperature")] == T0 + timedelta(seconds=299 * 600)  # i = 299 is S2
            assert len(latest) == 6
            # the series read the same as before, by hall or without one
            a = store.series("S1", "temperature", T0, T0 + timedelta(days=3), hall="gallery_1")
            b = store.series("S1", "temperature", T0, T0 + timedelta(days=3))
            assert len(a) == len(b) == 100 and (a.values == b.values).all()
            assert len(store.series("S1", "temperature", T0, T0 + timedelta(days=3), hall="gallery_2")) == 0
            # a second hall may now have a sensor S1 of its own
            new = [Reading("S1", "temperature", T0, 30.0, "°C", hall="gallery_2")]
            assert store.add_readings(new) == 1 and store.add_readings(new) == 0
            assert store.count_readings("S1", "temperature", hall="gallery_1") == 100
            assert store.count_readings("S1", "temperature", hall="gallery_2") == 1
        # the original database is untouched by the copy's migration
        original = make_engine(database_url)
        assert store_schema.current_revision(original) == "0004"
        original.dispose()
    finally:
        _drop_copy(copy)


def test_same_sensor_names_in_two_halls_and_two_sites_never_mix(database_url: str) -> None:
    places = [("", "hall_a"), ("", "hall_b"), ("museum_b", "hall_a")]
    with Store.open(url=database_url) as store:
        for k, (site, hall) in enumerate(places):
            rs = [Reading("S01", "temperature", T0 + timedelta(minutes=i), 10.0 * (k + 1), "°C", hall=hall, site=site)
                  for i in range(5)]
            assert store.add_readings(rs) == 5
            assert store.add_readings(rs) == 0  # a redelivery: the same identity
        assert store.count_readings() == 15
        for k, (site, hall) in enumerate(places):
            s = store.series("S01", "temperature", T0, T0 + timedelta(hours=1), hall=hall, site=site)
            assert list(s.values) == [10.0 * (k + 1)] * 5
            (latest,) = store.latest(hall=hall, site=site)
            assert (latest.hall, latest.site, latest.value) == (hall, site, 10.0 * (k + 1))
        assert store.halls() == ["hall_a", "hall_b"] and store.halls(site="museum_b") == ["hall_a"]
        result = store.roll_up(T0 + timedelta(hours=2))
        assert result.hours == 3 and store.count_hourly() == 3


def test_native_topics_name_their_hall() -> None:
    assert hall_from_topic("relic-twin/storeroom_1/S07") == "storeroom_1"
    assert hall_from_topic("relic-twin/hall_b/S08/senml") == "hall_b"
    assert hall_from_topic("relic-twin/S01") == "" and hall_from_topic("zigbee2mqtt/S02") == ""
    assert hall_from_topic("relic-twin/+/S01") == ""


def test_hall_may_be_left_out_only_where_the_site_has_one() -> None:
    assert resolve_hall("b", ["a"]) == "b"
    assert resolve_hall(None, ["a", ""]) == "a"
    assert resolve_hall(None, []) == DEFAULT_HALL
    with pytest.raises(ConfigError, match="several halls"):
        resolve_hall(None, ["a", "b"])


def test_ingest_keeps_twenty_halls_of_the_same_sensor_names(mosquitto_broker, tmp_path: Path) -> None:
    """The issue's measurement: 20 halls each with sensors S00-S09; every reading is stored (none is a 'duplicate')."""
    store = Store.open(url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    subs = [Subscription("relic-twin/#"), Subscription("zigbee2mqtt/#", format="zigbee2mqtt", hall="storeroom")]
    ingestor = Ingestor(store, (mosquitto_broker.host, mosquitto_broker.port), subs, client_id="halls-test",
                        settings=IngestSettings(linger_s=0.01)).start()
    pub = Publisher(mosquitto_broker.host, mosquitto_broker.port, client_id="halls-pub")
    try:
        t0 = 1767225600
        msgs = [(f"relic-twin/hall_{h:02d}/S{s:02d}", json.dumps({"time": t0, "temperature": 15.0 + h}).encode())
                for h in range(20) for s in range(10)]
        msgs.append(("zigbee2mqtt/S00", json.dumps({"temperature": 5.0, "humidity": 40}).encode()))
        pub.publish(msgs)
        assert pub.wait_acked(len(msgs), 30)
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while store.count_readings() < 202 and datetime.now(UTC) < deadline:
            ingestor.drain(1)
        assert store.count_readings() == 200 + 2
        assert ingestor.stats.duplicates == 0
        assert len(store.halls()) == 21
        (r,) = store.latest(["S03"], hall="hall_07")
        assert r.value == 22.0
        assert {x.quantity for x in store.latest(hall="storeroom")} == {"temperature", "relative_humidity"}
    finally:
        pub.close()
        ingestor.stop()
        store.close()


def test_import_takes_the_hall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "log.csv"
    f.write_text("time,temperature\n" + "".join(f"2025-03-01T{h:02d}:00:00Z,{20 + h / 10}\n" for h in range(12)))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert import_main([str(f), "--hall", "hall_a", "--sensor", "L1", "--db", db, "--impute", "none"]) == 0
    assert import_main([str(f), "--hall", "storeroom", "--sensor", "L1", "--db", db, "--impute", "none"]) == 0
    assert "hall 展厅 storeroom, sensor 传感器 L1: stored 12 new readings" in capsys.readouterr().out
    assert import_main([str(f), "--sensor", "L1", "--db", db]) == 2  # two halls now: which one?
    assert "give --hall (one of hall_a, storeroom)" in capsys.readouterr().err
    with Store.open(url=db) as store:
        assert store.count_readings("L1", hall="hall_a") == store.count_readings("L1", hall="storeroom") == 12
