"""Ingest: acknowledge only after commit, batching, quarantine, redelivery, persistent sessions.

Most tests drive the ingestor's message handler directly with a recording
stand-in for the paho client (no network); the last ones use a real
Mosquitto and both database engines.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fixtures_broker import MosquittoBroker, Publisher, native_messages
from sqlalchemy.exc import IntegrityError, OperationalError

from bridge.errors import StorageError
from bridge.ingest.ingestor import Ingestor, IngestSettings, Subscription
from bridge.readings import Decoded, Reading, Rejection
from bridge.store import Store, WriteResult

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


class FakeClient:
    """Records acknowledgements into a shared event log."""

    def __init__(self, events: list) -> None:
        self.events = events

    def ack(self, mid: int, qos: int) -> None:
        self.events.append(("ack", mid))

    def disconnect(self) -> None:
        pass

    def loop_stop(self) -> None:
        pass


class RecordingStore:
    """Wraps a Store; logs each commit; can fail the first ``fail`` writes with ``error``."""

    def __init__(self, store: Store, events: list, fail: int = 0, error: Exception | None = None) -> None:
        self.store = store
        self.events = events
        self.fail = fail
        self.error = error
        self.calls = 0

    def write_batch(self, readings, rejections=()) -> WriteResult:
        self.calls += 1
        if self.calls <= self.fail:
            assert self.error is not None
            raise self.error
        result = self.store.write_batch(readings, rejections)
        self.events.append(("commit", len(readings), len(rejections)))
        return result


def message(mid: int, topic: str, payload: dict | bytes, qos: int = 1) -> mqtt.MQTTMessage:
    m = mqtt.MQTTMessage(mid=mid, topic=topic.encode())
    m.payload = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    m.qos = qos
    return m


def offline_ingestor(store, events: list, **kw) -> Ingestor:
    """An ingestor whose writer runs but whose MQTT client is the recording stand-in."""
    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")], clock=lambda: NOW, **kw)
    ing._client = FakeClient(events)  # type: ignore[assignment]
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    ing._writer.start()
    return ing


def drained(ing: Ingestor, timeout_s: float) -> bool:
    """``ing.drain(timeout_s)``, but False at once when the writer thread has died (a bug in it) rather than
    after the whole timeout: a broken writer fails its test quickly (mutation testing runs many such)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ing.drain(0.05):
            return True
        if ing._writer is not None and not ing._writer.is_alive():
            return False
    return False


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated SQLite database, copied for each test (migrating is most of a test's setup)."""
    path = tmp_path_factory.mktemp("ingest") / "template.sqlite"
    Store.open(url=f"sqlite:///{path}").close()
    return path


@pytest.fixture
def store(migrated: Path, tmp_path: Path):
    db = tmp_path / "db.sqlite"
    shutil.copyfile(migrated, db)
    s = Store.open(url=f"sqlite:///{db}", migrate=False)
    yield s
    s.close()


def test_ack_follows_the_commit_of_its_batch(store: Store) -> None:
    events: list = []
    ing = offline_ingestor(RecordingStore(store, events), events, settings=IngestSettings(linger_s=0.2))
    for mid in (11, 12, 13):
        ing._on_message(None, None, message(mid, "relic-twin/h/S01", {"time": 1767225600 + mid, "temperature": 20}))
    assert drained(ing, 5)
    ing.stop()
    assert events == [("commit", 3, 0), ("ack", 11), ("ack", 12), ("ack", 13)]
    assert store.count_readings() == 3
    assert (ing.stats.received, ing.stats.batches) == (3, 1)


def test_no_ack_while_the_database_refuses(store: Store) -> None:
    events: list = []
    busy = StorageError("locked")
    busy.__cause__ = OperationalError("INSERT", {}, Exception("database is locked"))
    rec = RecordingStore(store, events, fail=3, error=busy)
    ing = offline_ingestor(rec, events, settings=IngestSettings(retry_s=0.01, linger_s=0.0))
    ing._on_message(None, None, message(7, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    assert drained(ing, 5)
    ing.stop()
    assert rec.calls == 4  # three refusals, then the commit
    assert events == [("commit", 1, 0), ("ack", 7)]


def test_stopping_while_the_database_is_away_acks_nothing(store: Store) -> None:
    events: list = []
    away = StorageError("gone")
    away.__cause__ = OperationalError("INSERT", {}, Exception("server closed the connection"))
    ing = offline_ingestor(RecordingStore(store, events, fail=10**6, error=away), events)
    ing._on_message(None, None, message(7, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    assert not ing.drain(0.3)
    ing.stop()
    assert events == []  # not acked: the broker redelivers it to the next run


def test_a_refused_message_goes_to_quarantine_and_the_rest_are_stored(store: Store) -> None:
    events: list = []
    refused = StorageError("value too long")
    refused.__cause__ = IntegrityError("INSERT", {}, Exception("constraint failed"))

    class RefusesSensorBad(RecordingStore):
        def write_batch(self, readings, rejections=()):
            if any(r.sensor == "BAD" for r in readings):
                raise refused
            return super().write_batch(readings, rejections)

    ing = offline_ingestor(RefusesSensorBad(store, events), events, settings=IngestSettings(linger_s=0.2))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/BAD", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(3, "relic-twin/h/S02", {"time": 1767225600, "temperature": 21}))
    assert drained(ing, 5)
    ing.stop()
    assert store.count_readings() == 2
    (item,) = store.quarantine()
    assert item.source == "mqtt mid 2" and "database refused" in item.reason
    assert [e for e in events if e[0] == "ack"] == [("ack", 1), ("ack", 2), ("ack", 3)]


def test_rejections_are_quarantined_and_acked(store: Store) -> None:
    events: list = []
    ing = offline_ingestor(RecordingStore(store, events), events)
    ing._on_message(None, None, message(5, "relic-twin/h/S01", b"{not json"))
    assert drained(ing, 5)
    ing.stop()
    (item,) = store.quarantine()
    assert item.source == "relic-twin/h/S01"
    assert item.payload == b"{not json"
    assert item.received_at == NOW
    assert events[-1] == ("ack", 5)
    assert ing.stats.rejections == 1


def test_a_decoder_crash_is_quarantined_not_lost(store: Store) -> None:
    events: list = []

    def broken(*_args):
        raise KeyError("boom")

    ing = offline_ingestor(RecordingStore(store, events), events, decoder=broken)
    ing._on_message(None, None, message(5, "relic-twin/h/S01", b"{}"))
    assert drained(ing, 5)
    ing.stop()
    (item,) = store.quarantine()
    assert item.reason == "decoder failed: KeyError('boom') | 解码器出错"
    assert (item.source, item.payload, item.received_at) == ("relic-twin/h/S01", b"{}", NOW)
    assert events[-1] == ("ack", 5)


def test_redelivered_message_is_stored_once_and_reported_once(store: Store) -> None:
    events: list = []
    seen: list[Reading] = []
    ing = offline_ingestor(RecordingStore(store, events), events, on_stored=seen.extend)
    payload = {"time": 1767225600, "temperature": 20.5, "relative_humidity": 50}
    ing._on_message(None, None, message(1, "relic-twin/h/S01", payload))
    assert drained(ing, 5)
    ing._on_message(None, None, message(1, "relic-twin/h/S01", payload))  # broker redelivery (DUP)
    assert drained(ing, 5)
    ing.stop()
    assert store.count_readings() == 2
    assert sorted(r.quantity for r in seen) == ["relative_humidity", "temperature"]
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.acked) == (2, 2, 2)


def test_messages_received_before_a_reconnect_are_not_acked(store: Store) -> None:
    events: list = []
    ing = offline_ingestor(RecordingStore(store, events), events, settings=IngestSettings(linger_s=0.3))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._generation += 1  # the connection dropped and came back before the commit
    assert drained(ing, 5)
    ing.stop()
    assert store.count_readings() == 1
    assert [e for e in events if e[0] == "ack"] == []


def test_subscription_gives_format_and_sensor_hint(store: Store) -> None:
    calls: list = []

    def decoder(fmt, topic, payload, received_at, hint):
        calls.append((fmt, topic, hint, received_at))
        return Decoded(readings=[Reading(hint or "?", "temperature", NOW - timedelta(minutes=1), 20.0, "°C")])

    subs = [Subscription("zigbee2mqtt/case_1", "zigbee2mqtt", "S07"), Subscription("tele/#", None)]
    ing = Ingestor(store, ("127.0.0.1", 1), subs, decoder=decoder, clock=lambda: NOW)
    ing._on_message(None, None, message(1, "zigbee2mqtt/case_1", b"{}"))
    ing._on_message(None, None, message(2, "tele/plug/SENSOR", b"{}"))
    ing._on_message(None, None, message(3, "other/topic", b"{}"))
    assert calls == []  # the MQTT thread only queues; the writer decodes each batch
    ing._decode_pending(list(ing._queue))
    assert calls == [
        ("zigbee2mqtt", "zigbee2mqtt/case_1", "S07", NOW),
        (None, "tele/plug/SENSOR", None, NOW),
        (None, "other/topic", None, NOW),
    ]


# ---------------------------------------------------------------------- real broker


@pytest.mark.parametrize("protocol", [4, 5], ids=["mqtt311", "mqtt5"])
def test_messages_sent_while_the_bridge_is_away_are_stored(
    mosquitto_broker: MosquittoBroker, database_url: str, protocol: int
) -> None:
    n = 500
    address = ("127.0.0.1", mosquitto_broker.port)
    subs = [Subscription("relic-twin/#", "native")]
    settings = IngestSettings(protocol=protocol)
    client_id = f"away-{protocol}"
    with Store.open(url=database_url) as store:
        Ingestor(store, address, subs, client_id=client_id, settings=settings).start().stop()
        pub = Publisher(*address)
        pub.publish(native_messages(n))
        assert pub.wait_acked(n, 30)
        pub.close()
        seen: list[Reading] = []
        ing = Ingestor(store, address, subs, on_stored=seen.extend, client_id=client_id, settings=settings).start()
        try:
            deadline = threading.Event()
            for _ in range(200):
                if store.count_readings() >= n:
                    break
                deadline.wait(0.05)
            assert drained(ing, 10)
        finally:
            ing.stop()
        assert store.count_readings() == n
        assert len(seen) == n
        assert {r.sensor for r in seen} == {f"S{i:02d}" for i in range(10)}


def test_a_store_process_commits_before_the_ack_and_loses_nothing(mosquitto_broker: MosquittoBroker,
                                                                  store: Store) -> None:
    """IngestSettings.store_process: decoding and the commit in a process of their own, the ack after."""
    n = 300
    address = ("127.0.0.1", mosquitto_broker.port)
    subs = [Subscription("relic-twin/#", "native")]
    with pytest.raises(ValueError, match="plain ingest"):  # hooks live in this process: refused
        Ingestor(store, address, subs, govern=lambda rs: (rs, []), settings=IngestSettings(store_process=True))
    seen: list[Reading] = []
    ing = Ingestor(store, address, subs, on_stored=seen.extend, client_id="store-process",
                   settings=IngestSettings(store_process=True)).start()
    pub = Publisher(*address)
    try:
        pub.publish([*native_messages(n), ("relic-twin/h/S01", b"\xff\xfe")])
        assert pub.wait_acked(n + 1, 30)
        for _ in range(400):
            if ing.stats.received >= n + 1:
                break
            threading.Event().wait(0.05)
        assert drained(ing, 20)
    finally:
        pub.close()
        ing.stop()
    assert store.count_readings() == n and len(seen) == n
    assert ing.stats.stored == n and ing.stats.rejections == 1
    assert [q.source for q in store.quarantine()] == ["relic-twin/h/S01"]
    again = Ingestor(store, address, subs, client_id="store-process").start()
    pub = Publisher(*address)
    try:  # a message left unacked would be redelivered before a new one on its topic: none is
        pub.publish([("relic-twin/h/S01", b'{"time": 1767225600, "temperature": 30}')])
        for _ in range(400):
            if again.stats.stored >= 1:
                break
            threading.Event().wait(0.05)
        assert (again.stats.received, again.stats.stored) == (1, 1)
    finally:
        pub.close()
        again.stop()


def test_bad_payloads_through_the_broker_land_in_quarantine(mosquitto_broker: MosquittoBroker, store: Store) -> None:
    address = ("127.0.0.1", mosquitto_broker.port)
    ing = Ingestor(store, address, [Subscription("relic-twin/#", "native")], client_id="bad-payloads").start()
    pub = Publisher(*address)
    try:
        pub.publish([("relic-twin/h/S01", b"\xff\xfe"), ("relic-twin/h/S02", b'{"temperature": "warm"}')])
        pub.publish(native_messages(3))
        assert pub.wait_acked(5, 10)
        for _ in range(100):
            if ing.stats.received >= 5:
                break
            threading.Event().wait(0.05)
        assert drained(ing, 10)
    finally:
        pub.close()
        ing.stop()
    assert store.count_readings() == 3
    sources = sorted(i.source for i in store.quarantine())
    assert sources == ["relic-twin/h/S01", "relic-twin/h/S02"]


def test_govern_hook_filters_each_batch_before_the_commit(store: Store) -> None:
    events: list = []

    def govern(readings):
        keep = [r for r in readings if r.value < 22]
        refused = [
            Rejection(f"governance:{r.sensor}", b"", NOW, "above the site limit") for r in readings if r.value >= 22
        ]
        return keep, refused

    ing = offline_ingestor(RecordingStore(store, events), events, govern=govern, settings=IngestSettings(linger_s=0.2))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/S02", {"time": 1767225600, "temperature": 25}))
    assert drained(ing, 5)
    ing.stop()
    assert events[0] == ("commit", 1, 1)  # one transaction for both
    assert store.count_readings() == 1
    assert store.quarantine()[0].reason == "above the site limit"
    assert [e for e in events if e[0] == "ack"] == [("ack", 1), ("ack", 2)]


def test_command_line_ingestor_stops_cleanly_on_sigterm(mosquitto_broker: MosquittoBroker, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cmd = [sys.executable, "-m", "bridge.cli.ingest_worker", "--broker", f"mqtt://127.0.0.1:{mosquitto_broker.port}"]
    cmd += ["--db", db, "--format", "native", "--client-id", "cli-test", "--progress-s", "0.2"]
    log = tmp_path / "ingest.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parents[1], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "正在接收" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.05)
        pub = Publisher("127.0.0.1", mosquitto_broker.port)
        pub.publish(native_messages(200))
        assert pub.wait_acked(200, 20)
        pub.close()
        with Store.open(url=db) as s:
            while s.count_readings() < 200 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert s.count_readings() == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    assert "stopped 已停止: received 已接收 200  stored 已存储 200" in log.read_text()
