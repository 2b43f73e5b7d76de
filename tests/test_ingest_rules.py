"""The ingestor one rule at a time (bridge/ingest/ingestor.py), each with a written expectation:
device status reported with its hall, the counts of a batch stored message by message, which storage
failures are retried, and unsubscribing through a real Mosquitto.

test_ingest.py holds the acknowledge-after-commit guarantees; this file pins the rules a plausible
slip would break without failing there (found by ``make mutation MUTATION_ARGS=ingestor``).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import test_ingest
from fixtures_broker import MosquittoBroker, Publisher, native_messages
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from test_ingest import NOW, FakeClient, RecordingStore, drained, message

from bridge.errors import StorageError
from bridge.ingest.ingestor import Ingestor, IngestSettings, Subscription, _transient
from bridge.readings import Reading
from bridge.store import Store

# test_ingest's fixtures: each test gets a copy of one migrated SQLite database
migrated, store = test_ingest.migrated, test_ingest.store


def _offline(store, events: list, subscriptions: list[Subscription], **kw) -> Ingestor:
    """An ingestor whose writer runs but whose MQTT client is test_ingest's recording stand-in."""
    ing = Ingestor(store, ("127.0.0.1", 1), subscriptions, clock=lambda: NOW, **kw)
    ing._client = FakeClient(events)  # type: ignore[assignment]
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    ing._writer.start()
    return ing


def _storage_error(cause: Exception) -> StorageError:
    err = StorageError("refused")
    err.__cause__ = cause
    return err


# ---------------------------------------------------------------------- device status


def test_device_status_is_reported_with_its_hall(store: Store) -> None:
    """Battery and link quality reach on_status with the sensor they belong to and the hall of the topic
    (or of the subscription); a message without status, or whose status names no sensor, reports nothing."""
    events: list = []
    seen: list[tuple[str, dict]] = []
    subs = [Subscription("relic-twin/#", "native"), Subscription("zigbee2mqtt/#", "zigbee2mqtt", hall="h1"),
            Subscription("tele/#", "tasmota")]
    ing = _offline(RecordingStore(store, events), events, subs, on_status=lambda s, st: seen.append((s, st)),
                   settings=IngestSettings(linger_s=0.2))
    ing._on_message(None, None, message(1, "relic-twin/h2/S01", {"time": 1795615200, "temperature": 20,
                                                                 "battery": 90}))
    ing._on_message(None, None, message(2, "zigbee2mqtt/case_1", {"temperature": 20, "linkquality": 87}))
    ing._on_message(None, None, message(3, "relic-twin/h2/S02", {"time": 1795615200, "temperature": 21}))
    ing._on_message(None, None, message(4, "tele/plug/LWT", b"Online"))
    assert drained(ing, 5)
    ing.stop()
    assert seen == [("S01", {"battery": 90.0, "sensor": "S01", "hall": "h2"}),
                    ("case_1", {"linkquality": 87, "sensor": "case_1", "hall": "h1"}),
                    ("plug", {"availability": "online", "sensor": "plug"})]  # no hall known: none added


def test_a_status_naming_its_hall_keeps_it_and_a_failing_callback_stops_nothing(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    events: list = []
    seen: list[tuple[str, dict]] = []

    def decoder(fmt, topic, payload, received_at, hint):
        from bridge.readings import Decoded
        status = {"sensor": topic.rsplit("/", 1)[-1], "hall": "own"} if payload == b"own" else \
            {"sensor": 7} if payload == b"number" else {"sensor": topic.rsplit("/", 1)[-1]}
        return Decoded(status=status)

    def on_status(sensor: str, status: dict) -> None:
        seen.append((sensor, status))
        if sensor == "S01":
            raise RuntimeError("the twin is busy")

    ing = _offline(RecordingStore(store, events), events, [Subscription("relic-twin/#")], decoder=decoder,
                   on_status=on_status, settings=IngestSettings(linger_s=0.2))
    for mid, (topic, payload) in enumerate([("relic-twin/h/S01", b"x"), ("relic-twin/h/S02", b"own"),
                                            ("relic-twin/h/S03", b"number")], start=1):
        ing._on_message(None, None, message(mid, topic, payload))
    assert drained(ing, 5)
    ing._on_message(None, None, message(9, "relic-twin/h/S04", b"x"))  # the next batch still runs
    assert drained(ing, 5)
    ing.stop()
    assert seen == [("S01", {"sensor": "S01", "hall": "h"}), ("S02", {"sensor": "S02", "hall": "own"}),
                    ("S04", {"sensor": "S04", "hall": "h"})]
    (failed,) = [r for r in caplog.records if r.name == "bridge.ingest.ingestor"]
    assert failed.getMessage() == "on_status callback failed | 回调出错" and failed.exc_info is not None
    assert [e for e in events if e[0] == "ack"] == [("ack", 1), ("ack", 2), ("ack", 3), ("ack", 9)]


# ---------------------------------------------------------------------- storing message by message


def test_message_by_message_counts_and_the_refused_payload(store: Store) -> None:
    """After a batch refused for its content, each message is stored alone: the counts add up over the
    messages, what each stored reaches on_stored, and the refused one is kept with its readings."""
    events: list = []
    refused = _storage_error(IntegrityError("INSERT", {}, Exception("CHECK constraint failed: value")))

    class RefusesSensorBad(RecordingStore):
        def write_batch(self, readings, rejections=()):
            if any(r.sensor == "BAD" for r in readings):
                raise refused
            return super().write_batch(readings, rejections)

    seen: list[Reading] = []
    rec = RefusesSensorBad(store, events)
    ing = _offline(rec, events, [Subscription("relic-twin/#", "native")], on_stored=seen.extend,
                   settings=IngestSettings(linger_s=0.3))
    store.write_batch([Reading("S02", "temperature", datetime(2026, 1, 1, tzinfo=UTC), 21.0, "°C", hall="h")])
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/BAD", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(3, "relic-twin/h/S02", {"time": 1767225600, "temperature": 21}))
    ing._on_message(None, None, message(4, "relic-twin/h/S03", b"{broken"))
    ing._on_message(None, None, message(5, "relic-twin/h/S04", {"time": 1767225600, "temperature": 22}))
    assert drained(ing, 5)
    ing.stop()
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.rejections) == (2, 1, 2)
    assert sorted(r.sensor for r in seen) == ["S01", "S04"]
    bad = [q for q in store.quarantine() if q.source == "mqtt mid 2"]
    assert len(bad) == 1
    assert bad[0].reason == f"database refused the readings: {refused.__cause__} | 数据库拒绝写入"
    assert bad[0].payload.startswith(b"[Reading(sensor='BAD', quantity='temperature'")


def test_a_transient_failure_while_storing_message_by_message_starts_them_again(store: Store) -> None:
    events: list = []
    refused = _storage_error(IntegrityError("INSERT", {}, Exception("constraint failed")))
    busy = _storage_error(OperationalError("INSERT", {}, Exception("database is locked")))

    class Flaky(RecordingStore):
        """Refuses the batch for its content, then is busy once, then stores."""

        def write_batch(self, readings, rejections=()):
            self.calls += 1
            if self.calls == 1:
                raise refused
            if self.calls == 2:
                raise busy
            result = self.store.write_batch(readings, rejections)
            self.events.append(("commit", len(readings), len(rejections)))
            return result

    ing = _offline(Flaky(store, events), events, [Subscription("relic-twin/#", "native")],
                   settings=IngestSettings(linger_s=0.2))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/S02", {"time": 1767225600, "temperature": 21}))
    assert drained(ing, 5)
    ing.stop()
    assert store.count_readings() == 2 and ing.stats.stored == 2
    assert [e for e in events if e[0] == "ack"] == [("ack", 1), ("ack", 2)]


def test_stopping_while_the_database_is_away_during_message_by_message_gives_up_at_once(store: Store) -> None:
    events: list = []
    refused = _storage_error(IntegrityError("INSERT", {}, Exception("constraint failed")))
    away = _storage_error(OperationalError("INSERT", {}, Exception("server closed the connection")))

    class Away(RecordingStore):
        def write_batch(self, readings, rejections=()):
            self.calls += 1
            if self.calls == 1:
                ing._stopping.set()  # stop() arrives while the batch is being written
                raise refused
            raise away

    rec = Away(store, events)
    ing = _offline(rec, events, [Subscription("relic-twin/#", "native")], settings=IngestSettings(linger_s=0.0))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    deadline = time.monotonic() + 5
    while rec.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    ing.stop()
    assert rec.calls == 2  # the batch, then the first message alone: no retry once stopping
    assert events == []  # nothing acked: the broker redelivers it


@pytest.mark.parametrize(("cause", "transient"), [
    (OperationalError("INSERT", {}, Exception("database is locked")), True),
    (DBAPIError("INSERT", {}, Exception("connection reset"), connection_invalidated=True), True),
    (DBAPIError("INSERT", {}, Exception("value too long")), False),
    (IntegrityError("INSERT", {}, Exception("constraint failed")), False),
])
def test_which_storage_failures_are_retried(cause: Exception, transient: bool) -> None:
    assert _transient(_storage_error(cause)) is transient
    assert _transient(cause) is transient  # also when raised bare
    assert _transient(StorageError("no cause")) is False


# ---------------------------------------------------------------------- unsubscribing, real broker


def test_unsubscribe_drops_a_filter_the_session_holds(mosquitto_broker: MosquittoBroker, store: Store) -> None:
    address = ("127.0.0.1", mosquitto_broker.port)
    subs = [Subscription("relic-twin/#", "native"), Subscription("marker/#", "native")]
    ing = Ingestor(store, address, subs, client_id="unsub").start()
    pub = Publisher(*address)
    try:
        assert ing.unsubscribe([]) is True  # nothing to drop
        assert ing.unsubscribe(["relic-twin/#"], timeout_s=10) is True
        pub.publish([*native_messages(5), ("marker/h/S01", b"{}")])  # in order: the marker comes last
        assert pub.wait_acked(6, 10)
        deadline = time.monotonic() + 10
        while ing.stats.received < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert drained(ing, 10)
        assert ing.stats.received == 1  # only the marker: the broker no longer sends what the filter matched
    finally:
        pub.close()
        ing.stop()


def test_after_commit_follows_each_committed_batch_and_its_failure_stops_nothing(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    events: list = []
    calls: list[int] = []

    def after_commit() -> None:
        calls.append(len([e for e in events if e[0] == "ack"]))  # what was acked when it ran
        if len(calls) == 1:
            raise RuntimeError("the tally is away")

    ing = _offline(RecordingStore(store, events), events, [Subscription("relic-twin/#", "native")],
                   after_commit=after_commit, settings=IngestSettings(linger_s=0.2))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/S02", {"time": 1767225600, "temperature": 21}))
    assert drained(ing, 5)
    ing._on_message(None, None, message(3, "relic-twin/h/S03", {"time": 1767225600, "temperature": 22}))
    assert drained(ing, 5)
    ing.stop()
    assert calls == [2, 3]  # once per batch, after its acks; the first one's failure did not stop the second
    (failed,) = [r for r in caplog.records if r.name == "bridge.ingest.ingestor"]
    assert failed.getMessage() == "after_commit callback failed | 提交后回调出错" and failed.exc_info is not None
    assert ing.stats.batches == 2 and store.count_readings() == 3
    with pytest.raises(ValueError) as refused:
        Ingestor(store, ("127.0.0.1", 1), [], after_commit=after_commit, settings=IngestSettings(store_process=True))
    assert str(refused.value) == ("store_process is for the plain ingest: its hooks would run in another process | "
                                  "独立入库进程只用于无钩子的入库")


class _SilentBroker:
    """A client stand-in whose UNSUBSCRIBE goes out (or not) but whose UNSUBACK never comes back."""

    def __init__(self, result: int) -> None:
        self.result = result
        self.sent: list[list[str]] = []

    def unsubscribe(self, topics: list[str]) -> tuple[int, int]:
        self.sent.append(topics)
        return self.result, 41


def test_unsubscribe_without_an_answer(store: Store) -> None:
    """Not sent (no connection): False at once; sent but never confirmed: False after timeout_s."""
    import paho.mqtt.client as mqtt

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")])
    ing._client = _SilentBroker(mqtt.MQTT_ERR_NO_CONN)  # type: ignore[assignment]
    assert ing.unsubscribe(["relic-twin/#"], timeout_s=5) is False
    ing._client = silent = _SilentBroker(mqtt.MQTT_ERR_SUCCESS)  # type: ignore[assignment]
    answer: list[bool] = []
    waiting = threading.Thread(target=lambda: answer.append(ing.unsubscribe(("relic-twin/#",), timeout_s=0.3)))
    t0 = time.monotonic()
    waiting.start()
    waiting.join(10)
    assert answer == [False] and 0.25 < time.monotonic() - t0 < 5
    assert silent.sent == [["relic-twin/#"]]
    ing._on_unsubscribe(None, None, 41)  # the UNSUBACK of message 41 arrives: now confirmed
    assert ing.unsubscribe(["relic-twin/#"], timeout_s=0.3) is True


def test_the_store_process_decodes_each_message_by_its_own_subscription(store: Store) -> None:
    """The store process gets each message's subscription by its index: a format the topic cannot tell
    (a Tasmota FullTopic without prefix), a sensor the topic does not name, or none (format detected)."""
    events: list = []
    seen: list[Reading] = []
    subs = [Subscription("kidsbedmain/#", "tasmota"), Subscription("lab/#", "native", sensor="S9")]
    west = Store(store.engine, hall="west")  # the hall of readings whose topic and subscription name none
    ing = Ingestor(west, ("127.0.0.1", 1), subs, on_stored=seen.extend, clock=lambda: NOW,
                   settings=IngestSettings(store_process=True, linger_s=0.3))
    ing._client = FakeClient(events)  # type: ignore[assignment]
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    ing._writer.start()
    try:
        ing._on_message(None, None, message(1, "kidsbedmain/SENSOR", {"SHT3X": {"Temperature": 21}}))
        ing._on_message(None, None, message(2, "lab/probe", {"temperature": 20}))
        ing._on_message(None, None, message(3, "tele/plug/SENSOR", {"SHT3X": {"Temperature": 19}}))  # none matches
        assert drained(ing, 30)
        assert sorted((r.sensor, r.value) for r in seen) == [("S9", 20.0), ("kidsbedmain", 21.0), ("plug", 19.0)]
        assert store.halls() == ["west"]
        import multiprocessing
        assert "ingest-store" in [p.name for p in multiprocessing.active_children()]  # committed there, not here
        assert store.quarantine() == [] and [e[1] for e in events if e[0] == "ack"] == [1, 2, 3]
        for first in (4, 6):  # two more batches: a redelivery and a bad payload each
            ing._on_message(None, None, message(first, "kidsbedmain/SENSOR", {"SHT3X": {"Temperature": 21}}))
            ing._on_message(None, None, message(first + 1, "lab/probe", b"{bad"))
            assert drained(ing, 30)
    finally:
        ing.stop()
    ing.stop()  # again (as after a failed start): nothing left to stop
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.rejections) == (3, 2, 2)


# ---------------------------------------------------------------------- acknowledgements and batches


class _AckClient(FakeClient):
    """Records each single ack with its QoS."""

    def ack(self, mid: int, qos: int) -> None:
        self.events.append(("ack", mid, qos))


def test_puback_packets_for_a_batch_go_out_as_one_write() -> None:
    """MQTT 3.1.1/5 section 3.4: PUBACK is 0x40, remaining length 2, the packet id (big-endian)."""
    import paho.mqtt.client as mqtt

    from bridge.ingest.ingestor import PUBACK_COMMAND, ack_all

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="acks")
    queued: list[tuple] = []
    client._packet_queue = lambda *args: queued.append(args)  # type: ignore[method-assign]
    singles: list[tuple[int, int]] = []
    client.ack = lambda mid, qos: singles.append((mid, qos))  # type: ignore[method-assign]
    ack_all(client, [1, 2, 258])
    assert PUBACK_COMMAND == 0x40
    assert queued == [(0x40, b"\x40\x02\x00\x01\x40\x02\x00\x02\x40\x02\x01\x02", 0, 0)] and singles == []
    ack_all(client, [7])  # one message: paho's own ack
    assert singles == [(7, 1)] and len(queued) == 1
    plain = FakeClient(events := [])  # no paho queue there: one ack each
    ack_all(plain, [3, 4])  # type: ignore[arg-type]
    assert events == [("ack", 3), ("ack", 4)]


def test_qos_0_is_not_acked_qos_2_is_acked_with_its_qos(store: Store) -> None:
    events: list = []
    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")], clock=lambda: NOW,
                   settings=IngestSettings(linger_s=0.3))
    ing._client = _AckClient(events)  # type: ignore[assignment]
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    ing._writer.start()
    for mid, qos in ((1, 0), (2, 2), (3, 1)):
        ing._on_message(None, None, message(mid, f"relic-twin/h/S0{mid}", {"time": 1767225600, "temperature": 20},
                                            qos=qos))
    assert drained(ing, 5)
    ing.stop()
    assert sorted(e for e in events if e[0] == "ack") == [("ack", 2, 2), ("ack", 3, 1)]
    assert ing.stats.acked == 2 and store.count_readings() == 3


def test_batches_hold_at_most_batch_size_messages(store: Store) -> None:
    events: list = []
    ing = Ingestor(RecordingStore(store, events), ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")],
                   clock=lambda: NOW, settings=IngestSettings(batch_size=2, linger_s=60))
    ing._client = FakeClient(events)  # type: ignore[assignment]
    for mid in range(1, 5):  # all queued before the writer starts
        ing._on_message(None, None, message(mid, f"relic-twin/h/S0{mid}", {"time": 1767225600, "temperature": 20}))
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    ing._writer.start()
    assert drained(ing, 10)  # a full batch is committed at once, not after linger_s
    ing.stop()
    assert [e for e in events if e[0] == "commit"] == [("commit", 2, 0), ("commit", 2, 0)]
    assert ing.stats.batches == 2 and ing.stats.acked == 4


def test_retries_wait_twice_as_long_each_time_up_to_the_cap(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    events: list = []
    busy = _storage_error(OperationalError("INSERT", {}, Exception("database is locked")))
    waits: list[float] = []

    class Recorded(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)  # type: ignore[arg-type]
            return super().wait(0)

    ing = _offline(RecordingStore(store, events, fail=5, error=busy), events, [Subscription("relic-twin/#", "native")],
                   settings=IngestSettings(retry_s=0.5, retry_max_s=3.0, linger_s=0.0))
    ing._stopping = Recorded()
    ing._on_message(None, None, message(7, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    assert drained(ing, 5)
    ing._stopping = threading.Event()
    ing.stop()
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert events == [("commit", 1, 0), ("ack", 7)]
    assert [r.getMessage() for r in caplog.records if r.name == "bridge.ingest.ingestor"] == [
        f"database busy or away, retrying in {w:.1f} s: refused | 数据库暂不可用, 稍后重试" for w in waits]


def test_topic_to_subscription(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first subscription whose filter matches (an exact one first), and the hall and site it gives."""
    from bridge.ingest import ingestor as module

    subs = [Subscription("zigbee2mqtt/#", "zigbee2mqtt", hall="h1", site="s1"),
            Subscription("zigbee2mqtt/case_1", "zigbee2mqtt", sensor="S07", hall="h2"),
            Subscription("relic-twin/#", "native", hall="h3")]
    ing = Ingestor(store, ("127.0.0.1", 1), subs)
    assert ing._subscription_for("zigbee2mqtt/case_1") == (subs[1], "h2", "")
    assert ing._subscription_for("zigbee2mqtt/case_2") == (subs[0], "h1", "s1")
    assert ing._subscription_for("relic-twin/hall_b/S01") == (subs[2], "hall_b", "")  # the topic names its hall
    assert ing._subscription_for("other/x") == (None, "", "")
    assert ing._subscription_for("zigbee2mqtt/case_1") == (subs[1], "h2", "")  # again, from the cache
    monkeypatch.setattr(module, "_TOPIC_CACHE_MAX", 5)
    assert len(ing._by_topic) == 4
    ing._subscription_for("zigbee2mqtt/case_3")
    assert len(ing._by_topic) == 5
    ing._subscription_for("zigbee2mqtt/case_4")  # full: emptied, then this one kept
    assert list(ing._by_topic) == ["zigbee2mqtt/case_4"]


# ---------------------------------------------------------------------- what a batch becomes


def test_a_batch_gets_its_calibrations_after_governance_and_keeps_both_kinds_of_rejection(store: Store) -> None:
    """Decoder rejections and governance refusals go to quarantine together; kept readings are calibrated
    (the raw value kept); a topic no subscription matches is decoded by its detected format."""
    from bridge.ingest.calibration import Calibrations, set_calibration
    from bridge.readings import Rejection

    set_calibration(store, "S01", "temperature", offset=0.5, at=datetime(2025, 1, 1, tzinfo=UTC))
    events: list = []

    def govern(readings):
        return [r for r in readings if r.value < 30], [Rejection(f"governance:{r.sensor}", b"", NOW, "too warm")
                                                      for r in readings if r.value >= 30]

    seen: list[Reading] = []
    ing = _offline(RecordingStore(store, events), events, [Subscription("zigbee2mqtt/#", "zigbee2mqtt")],
                   govern=govern, calibrations=Calibrations(store), on_stored=seen.extend,
                   settings=IngestSettings(linger_s=0.3))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/S02", {"time": 1767225600, "temperature": 35}))
    ing._on_message(None, None, message(3, "relic-twin/h/S03", b"{bad"))
    assert drained(ing, 5)
    ing.stop()
    assert events[0] == ("commit", 1, 2)
    assert [(r.sensor, r.hall, r.value, r.raw) for r in seen] == [("S01", "h", 20.5, 20.0)]
    assert sorted(q.reason for q in store.quarantine())[1] == "too warm"


# ---------------------------------------------------------------------- connecting and subscribing


class _Subscriber:
    """A client stand-in that records SUBSCRIBE requests (no socket yet for bulk_read to wrap)."""

    _sock = None

    def __init__(self) -> None:
        self.subscribed: list[list[tuple[str, int]]] = []

    def subscribe(self, topics: list[tuple[str, int]]) -> None:
        self.subscribed.append(topics)


class _Refused:
    is_failure = True

    def __str__(self) -> str:
        return "Not authorized"

    __repr__ = __str__  # the logged list of refused filters shows this


def test_on_connect_subscribes_at_qos_1_and_a_kept_session_needs_no_suback(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from types import SimpleNamespace as NS

    subs = [Subscription("relic-twin/#", "native"), Subscription("zigbee2mqtt/#", "zigbee2mqtt")]
    ing = Ingestor(store, ("127.0.0.1", 1), subs)
    client = _Subscriber()
    ing._on_connect(client, None, NS(session_present=False), _Refused(), None)  # refused
    assert client.subscribed == [] and ing.stats.connects == 0 and ing._generation == 0
    assert [r.getMessage() for r in caplog.records] == ["broker refused connection: Not authorized | 代理拒绝连接"]
    ing._on_connect(client, None, NS(session_present=False), NS(is_failure=False), None)
    assert client.subscribed == [[("relic-twin/#", 1), ("zigbee2mqtt/#", 1)]]
    assert (ing.stats.connects, ing._generation) == (1, 1) and not ing._subscribed.is_set()  # waits for SUBACK
    ing._on_subscribe(None, None, 1, [NS(is_failure=False), NS(is_failure=True)], None)
    assert not ing._subscribed.is_set()  # one filter refused
    ing._on_subscribe(None, None, 2, [NS(is_failure=False), NS(is_failure=False)], None)
    assert ing._subscribed.is_set()
    again = Ingestor(store, ("127.0.0.1", 1), subs)
    again._on_connect(client, None, NS(session_present=True), NS(is_failure=False), None)
    assert again._subscribed.is_set()  # the broker kept the session: queued messages may come first
    none = Ingestor(store, ("127.0.0.1", 1), [])
    none._on_connect(client, None, NS(session_present=False), NS(is_failure=False), None)
    assert len(client.subscribed) == 2  # nothing to subscribe to: no empty SUBSCRIBE


def test_drain_gives_up_after_its_timeout(store: Store) -> None:
    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")], clock=lambda: NOW)
    assert ing.drain(0.1) is True  # nothing received
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"temperature": 20}))  # no writer runs
    t0 = time.monotonic()
    assert ing.drain(0.3) is False
    assert 0.25 < time.monotonic() - t0 < 3


def test_identity_checks_each_reading_against_the_device_of_its_topic(store: Store) -> None:
    """The topic's device (the subscription's sensor, else the native topic's) may speak for itself and the
    sensors it is gateway for; others are quarantined, unknown sensors counted; site and hall stamped."""
    from types import SimpleNamespace as NS

    from bridge.ingest.identity import DeviceIdentity
    from bridge.store import service_queries as q

    identity = DeviceIdentity.from_scene([NS(id="S01", gateway_for=("S05",)), NS(id="S02", gateway_for=()),
                                          NS(id="S05", gateway_for=())])
    events: list = []
    seen: list[Reading] = []
    subs = [Subscription("relic-twin/#", "native", site="s1"), Subscription("zigbee2mqtt/case_1", "zigbee2mqtt",
                                                                            sensor="S02")]
    ing = _offline(store, events, subs, identity=identity, on_stored=seen.extend, settings=IngestSettings(linger_s=0.3))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"sensor": "S05", "temperature": 20}))
    ing._on_message(None, None, message(2, "relic-twin/h/S01", {"sensor": "S02", "temperature": 20}))
    ing._on_message(None, None, message(3, "zigbee2mqtt/case_1", {"temperature": 21}))
    ing._on_message(None, None, message(4, "tele/x/SENSOR", b"{}"))  # no subscription: no device
    ing._on_message(None, None, message(5, "relic-twin/h/S09", {"temperature": 22}))
    assert drained(ing, 5)
    ing.stop()
    assert [(r.sensor, r.hall, r.site) for r in seen] == [("S05", "h", "s1")]
    reasons = sorted(item.reason for item in store.quarantine())
    assert [r.split(" | ")[0] for r in reasons] == [
        "message holds no known quantity (keys: none)",  # the Tasmota message of no subscription
        "sensor does not match topic: a reading names 'S02' on the topic of 'S01'",
        "sensor does not match topic: a reading names 'case_1' on the topic of 'S02'",
        "unknown device 'S09': not in the scene; an admin or curator may adopt it"]
    assert [(d.site, d.hall, d.sensor) for d in q.list_unknown_devices(store, site=None)] == [("s1", "h", "S09")]
    (item,) = [i for i in store.quarantine() if "'S02' on the topic of 'S01'" in i.reason]
    assert (item.source, item.payload, item.received_at) == (
        "relic-twin/h/S01", b'{"sensor": "S02", "temperature": 20}', NOW)  # the message, kept whole


# ---------------------------------------------------------------------- what the broker sees and is told


def test_puback_edges_two_messages_the_highest_packet_id_and_a_paho_without_its_queue() -> None:
    """Two acks already go out as one write; packet ids run to 65535 (MQTT section 2.2.1, unsigned); a paho
    that has a packet queue but not the out-packet list it belongs to gets one ``ack`` per message."""
    import paho.mqtt.client as mqtt

    from bridge.ingest.ingestor import ack_all

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="acks")
    queued: list[tuple] = []
    client._packet_queue = lambda *args: queued.append(args)  # type: ignore[method-assign]
    ack_all(client, [5, 65535])
    assert queued == [(0x40, b"\x40\x02\x00\x05\x40\x02\xff\xff", 0, 0)]

    class QueueOnly(FakeClient):
        def _packet_queue(self, *args) -> None:
            queued.append(args)

    events: list = []
    ack_all(QueueOnly(events), [3, 4])  # type: ignore[arg-type]
    assert events == [("ack", 3), ("ack", 4)] and len(queued) == 1


def test_each_reconnect_counts_and_starts_a_new_generation(store: Store) -> None:
    """A message received before the latest reconnect is not acked (its copy is redelivered): the
    generation must grow with every connect, not only the first."""
    from types import SimpleNamespace as NS

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")])
    client = _Subscriber()
    for n in (1, 2, 3):
        ing._on_connect(client, None, NS(session_present=True), NS(is_failure=False), None)
        assert (ing.stats.connects, ing._generation) == (n, n)


def test_a_refused_subscription_and_a_lost_connection_are_logged_but_not_a_planned_stop(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from types import SimpleNamespace as NS

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")])
    caplog.set_level("WARNING", logger="bridge.ingest.ingestor")
    ing._on_subscribe(None, None, 1, [NS(is_failure=False), _Refused()], None)
    ing._on_disconnect(None, None, None, "Keep alive timeout", None)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "broker refused subscription: [Not authorized] | 代理拒绝订阅"),
        ("WARNING", "disconnected from broker (Keep alive timeout), reconnecting | 与代理断开, 正在重连")]
    caplog.clear()
    ing._stopping.set()  # stop() disconnects on purpose: nothing to warn about
    ing._on_disconnect(None, None, None, "Normal disconnection", None)
    assert caplog.records == []


def test_an_unknown_device_tally_that_fails_is_logged_and_its_message_still_stored(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from types import SimpleNamespace as NS

    from sqlalchemy import text

    from bridge.ingest.identity import DeviceIdentity

    with store.engine.begin() as conn:  # the tally's table is gone: counting fails, storing does not
        conn.execute(text("DROP TABLE unknown_device"))
    events: list = []
    ing = _offline(store, events, [Subscription("relic-twin/#", "native")],
                   identity=DeviceIdentity.from_scene([NS(id="S01", gateway_for=())]),
                   settings=IngestSettings(linger_s=0.0))
    ing._on_message(None, None, message(1, "relic-twin/h/S09", {"temperature": 22}))
    assert drained(ing, 5)
    ing._on_message(None, None, message(2, "relic-twin/h/S01", {"temperature": 21}))  # the writer goes on
    assert drained(ing, 5)
    ing.stop()
    assert [e for e in events if e[0] == "ack"] == [("ack", 1), ("ack", 2)]
    assert [q.source for q in store.quarantine()] == ["relic-twin/h/S09"] and store.count_readings() == 1
    assert [r.getMessage() for r in caplog.records if r.name == "bridge.ingest.ingestor"] == [
        "could not count unknown devices [('', 'h', 'S09')] | 未知设备计数失败"]


class _Recorded(threading.Event):
    """An event whose waits are recorded and return at once, as if their timeout had passed."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


def test_start_waits_ten_seconds_for_the_subscription_then_stops_and_says_so(store: Store) -> None:
    """No broker answers: start() waits ``timeout_s`` (10 s unless given) for the SUBACK, stops the ingestor
    and raises a bilingual BrokerError; with nothing to subscribe to it does not wait at all."""
    from bridge.errors import BrokerError

    quick = IngestSettings(reconnect_min_s=0.01, reconnect_max_s=0.01)  # stop() need not wait out a retry's pause
    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")], settings=quick)
    ing._subscribed = waited = _Recorded()
    with pytest.raises(BrokerError) as err:
        ing.start()
    assert str(err.value) == "no subscription confirmed by mqtt://127.0.0.1:1 within 10 s | 订阅未确认"
    assert waited.waits == [10.0] and ing._stopping.is_set()
    assert ing._writer is not None and not ing._writer.is_alive()
    none = Ingestor(store, ("127.0.0.1", 1), [], settings=quick)
    none._subscribed = waited = _Recorded()
    try:
        assert none.start() is none and waited.waits == []
    finally:
        none.stop()


def test_a_bad_connection_setting_is_a_bilingual_broker_error(store: Store) -> None:
    from bridge.errors import BrokerError

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")],
                   settings=IngestSettings(keepalive_s=-1))
    with pytest.raises(BrokerError) as err:
        ing.start()
    assert str(err.value) == "cannot connect to mqtt://127.0.0.1:1 | 无法连接代理: Keepalive must be >=0."
    assert ing._writer is None  # a start that failed leaves no writer thread behind (nothing to stop)


def test_unsubscribe_waits_ten_seconds_for_its_unsuback_unless_told(store: Store) -> None:
    import paho.mqtt.client as mqtt

    class Recorded(threading.Condition):
        waits: list[float | None] = []

        def wait_for(self, predicate, timeout=None):  # type: ignore[override]
            self.waits.append(timeout)
            return predicate()

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")])
    ing._client = _SilentBroker(mqtt.MQTT_ERR_SUCCESS)  # type: ignore[assignment]
    ing._unsubscribed = cond = Recorded()
    assert ing.unsubscribe(["relic-twin/#"]) is False
    assert cond.waits == [10.0]


def _read_packet(sock) -> tuple[int, bytes]:
    """One MQTT control packet: (first byte, body) (MQTT section 2.2: remaining length as a varint)."""
    def take(n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    first = take(1)[0]
    length = shift = 0
    while True:
        b = take(1)[0]
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return first, take(length)


def _connect_fields(body: bytes) -> dict:
    """The CONNECT packet's fields (MQTT 3.1.1 section 3.1, MQTT 5 section 3.1)."""
    def string(at: int) -> tuple[str, int]:
        n = int.from_bytes(body[at:at + 2], "big")
        return body[at + 2:at + 2 + n].decode(), at + 2 + n

    name, at = string(0)
    level, flags, keepalive = body[at], body[at + 1], int.from_bytes(body[at + 2:at + 4], "big")
    at += 4
    props: dict[int, int] = {}
    if level == 5:
        n = body[at]  # short enough for one varint byte here
        at += 1
        end = at + n
        while at < end:
            pid = body[at]
            size = {0x11: 4, 0x21: 2, 0x22: 2, 0x27: 4}[pid]
            props[pid] = int.from_bytes(body[at + 1:at + 1 + size], "big")
            at += 1 + size
    client_id, at = string(at)
    username = password = None
    if flags & 0x80:
        username, at = string(at)
    if flags & 0x40:
        password, at = string(at)
    return {"name": name, "level": level, "clean": bool(flags & 0x02), "keepalive": keepalive,
            "properties": props, "client_id": client_id, "username": username, "password": password}


@pytest.mark.parametrize("protocol", [4, 5], ids=["mqtt311", "mqtt5"])
def test_the_connect_asks_for_a_persistent_session_and_the_puback_follows_the_commit(
        store: Store, protocol: int) -> None:
    """What the broker is told, read on the wire: no clean session / clean start, so it keeps our queue while we
    are away (MQTT 5: for a week, with at most receive_maximum messages in flight), the keepalive of the settings,
    our fixed client id and the credentials of the broker's address; and a QoS 1 PUBLISH is acknowledged only
    after its reading is committed (MQTT 5: one with a property, which paho itself parses, would be acked by
    paho at once unless acknowledging is left to us); a plain PUBLISH takes bulk_read's fast path, not paho's."""
    import socket

    from bridge.config import BrokerAddress

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    log: list[tuple] = []
    props = b"" if protocol == 4 else b"\x02\x01\x01"  # property length 2: payload format indicator = 1 (UTF-8)

    def publish(mid: int, sensor: str) -> bytes:  # QoS 1 (MQTT section 3.3)
        topic, payload = f"relic-twin/h/{sensor}".encode(), b'{"time": 1767225600, "temperature": 20}'
        body = len(topic).to_bytes(2, "big") + topic + mid.to_bytes(2, "big") + props + payload
        assert len(body) < 128  # one byte of remaining length
        return bytes([0x32, len(body)]) + body

    acked = threading.Event()

    def broker() -> None:
        conn, _ = server.accept()
        with conn:
            log.append(_read_packet(conn))
            conn.sendall(b"\x20\x02\x01\x00" if protocol == 4 else b"\x20\x03\x01\x00\x00")  # session present
            try:
                while True:
                    first, body = _read_packet(conn)
                    if first == 0x82:  # its SUBSCRIBE: on_connect has run; two PUBLISH packets in one write
                        conn.sendall(publish(7, "S01") + publish(8, "S02"))
                    if first == 0x40:
                        log.append(("puback", int.from_bytes(body[:2], "big")))
                        if len(log) == 4:
                            acked.set()
            except (EOFError, OSError):
                pass

    thread = threading.Thread(target=broker, daemon=True)
    thread.start()
    address = BrokerAddress("127.0.0.1", server.getsockname()[1], username="bridge", password="pw")
    ing = Ingestor(RecordingStore(store, log), address, [Subscription("relic-twin/#", "native")],
                   client_id="museum-1", settings=IngestSettings(protocol=protocol))
    via_paho: list[int] = []

    def on_message(client, userdata, msg) -> None:  # paho's own (slower) path
        via_paho.append(msg.mid)
        ing._on_message(client, userdata, msg)

    ing._client.on_message = on_message
    try:
        assert ing.start(timeout_s=10) is ing
        assert ing._writer is not None and ing._writer.name == "ingest-writer"
        assert ing._writer.daemon  # a program that forgets stop() still exits
        assert acked.wait(10)
    finally:
        ing.stop()
        thread.join(10)
        server.close()
    (first, body), *rest = log
    assert first == 0x10
    assert _connect_fields(body) == {
        "name": "MQTT", "level": protocol, "clean": False, "keepalive": 30,
        "properties": {} if protocol == 4 else {0x11: 7 * 24 * 3600, 0x21: 1000},
        "client_id": "museum-1", "username": "bridge", "password": "pw"}
    assert rest == [("commit", 2, 0), ("puback", 7), ("puback", 8)]
    assert store.count_readings() == 2
    # paho reads the first packet of a chunk; bridge.mqtt.bulk_read parses a plain PUBLISH buffered behind it
    assert via_paho == ([7] if protocol == 4 else [7, 8])


def test_a_failing_on_stored_stops_nothing(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """The twin's trouble with a batch is logged; the batch stays stored and acked and the next one runs."""
    events: list = []
    calls: list[list[str]] = []

    def on_stored(readings: list[Reading]) -> None:
        calls.append([r.sensor for r in readings])
        if len(calls) == 1:
            raise RuntimeError("the twin is busy")

    ing = _offline(RecordingStore(store, events), events, [Subscription("relic-twin/#", "native")],
                   on_stored=on_stored, settings=IngestSettings(linger_s=0.0))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    assert drained(ing, 5)
    ing._on_message(None, None, message(2, "relic-twin/h/S02", {"time": 1767225600, "temperature": 21}))
    assert drained(ing, 5)
    ing.stop()
    assert calls == [["S01"], ["S02"]] and store.count_readings() == 2
    assert [e for e in events if e[0] == "ack"] == [("ack", 1), ("ack", 2)]
    (failed,) = [r for r in caplog.records if r.name == "bridge.ingest.ingestor"]
    assert failed.getMessage() == "on_stored callback failed | 回调出错" and failed.exc_info is not None


def test_a_message_arriving_while_its_batch_lingers_joins_it(store: Store) -> None:
    """Group commit: the writer takes the first message, then waits up to linger_s for more (here a second one
    sent only once the first was taken), and commits both together as soon as the batch is full."""
    events: list = []
    ing = _offline(RecordingStore(store, events), events, [Subscription("relic-twin/#", "native")],
                   settings=IngestSettings(linger_s=1.0, batch_size=2))
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    deadline = time.monotonic() + 5
    while ing._queue and time.monotonic() < deadline:  # the writer has taken it and lingers
        time.sleep(0.001)
    ing._on_message(None, None, message(2, "relic-twin/h/S02", {"time": 1767225600, "temperature": 21}))
    assert drained(ing, 5)
    ing.stop()
    assert events == [("commit", 2, 0), ("ack", 1), ("ack", 2)]


def test_stop_and_drain_wait_ten_seconds_unless_told(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """stop() gives the writer 10 s to commit what has arrived; drain() gives up after 10 s (here on a clock
    that moves one second a look, with no writer running)."""
    from types import SimpleNamespace

    from bridge.ingest import ingestor as module

    class Writer(threading.Thread):
        joins: list[float | None] = []

        def join(self, timeout: float | None = None) -> None:
            self.joins.append(timeout)

    class StoreProc:
        stops: list[float | None] = []

        def stop(self, timeout_s: float | None = None) -> None:
            self.stops.append(timeout_s)

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")], clock=lambda: NOW)
    ing.stop()  # never started: nothing to wait for
    ing._writer, ing._store_proc = writer, proc = Writer(), StoreProc()  # type: ignore[assignment]
    ing.stop()
    ing.stop()  # again: the store process is stopped once
    assert writer.joins == [10.0, 10.0] and proc.stops == [10.0]
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"temperature": 20}))  # never committed
    ticks = iter(range(1000))
    naps: list[float] = []
    clock = SimpleNamespace(monotonic=lambda: float(next(ticks)), sleep=naps.append)  # this module's only
    monkeypatch.setattr(module, "time", clock)
    assert ing.drain() is False
    assert next(ticks) == 11  # the deadline at 10, then looks at 1 .. 10
    assert naps == [0.02] * 9  # a look every 20 ms


def test_a_message_wakes_an_idle_writer_at_once(store: Store) -> None:
    """An idle writer waits on its wake event in 0.1 s steps (so that stop() is seen); a message that arrives
    meanwhile sets the event: the writer does not wait out its step, nor spin while idle."""
    waits: list[tuple[float | None, bool]] = []
    entered = threading.Event()

    class Wake(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            first = not entered.is_set()
            entered.set()
            woken = super().wait(30 if first else timeout)  # the first wait lasts until a message sets it
            waits.append((timeout, woken))
            return woken

    events: list = []
    ing = Ingestor(RecordingStore(store, events), ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")],
                   clock=lambda: NOW, settings=IngestSettings(linger_s=0.0))
    ing._client = FakeClient(events)  # type: ignore[assignment]
    ing._wake = Wake()
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    ing._writer.start()
    assert entered.wait(10)  # the writer found nothing and waits
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    assert drained(ing, 10)
    ing.stop()
    assert waits[0] == (0.1, True)  # woken by the message, not by the end of its step
    assert all(timeout == 0.1 for timeout, _ in waits)
    assert events == [("commit", 1, 0), ("ack", 1)]


def test_the_decoder_gets_bytes_though_paho_hands_over_a_bytearray(store: Store) -> None:
    """paho parses a PUBLISH out of its bytearray packet buffer; a Decoder is promised bytes (hashable, as a
    cache key or a dict key needs)."""
    kinds: list[type] = []

    def decoder(fmt, topic, payload, received_at, hint):
        kinds.append(type(payload))
        return Decoded()

    from bridge.readings import Decoded

    ing = Ingestor(store, ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")], decoder=decoder,
                   clock=lambda: NOW)
    m = message(1, "relic-twin/h/S01", b"{}")
    m.payload = bytearray(b'{"temperature": 20}')
    ing._on_message(None, None, m)
    ing._on_message(None, None, message(2, "relic-twin/h/S01", b"{}"))
    ing._decode_pending(list(ing._queue))
    assert kinds == [bytes, bytes]
    assert [p.payload for p in ing._queue] == [b'{"temperature": 20}', b"{}"]


def test_reconnects_back_off_no_longer_than_reconnect_max_s(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """A broker that drops the connection twelve times before it answers, and once after (a warning): paho doubles its pause after each
    failure from reconnect_min_s up to reconnect_max_s (here 0.01 s to 0.05 s: half a second in all; with
    paho's own 120 s cap it would be 40 s), so the ingestor is subscribed well within start()'s 10 s."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    dropped: list[int] = []

    def broker() -> None:
        while len(dropped) < 12:
            conn, _ = server.accept()
            conn.close()  # before any CONNACK: a failed attempt
            dropped.append(1)
        conn, _ = server.accept()
        with conn:
            _read_packet(conn)
            conn.sendall(b"\x20\x02\x01\x00")  # CONNACK, session present
            _read_packet(conn)  # its SUBSCRIBE; then the broker goes away

    thread = threading.Thread(target=broker, daemon=True)
    thread.start()
    ing = Ingestor(store, ("127.0.0.1", server.getsockname()[1]), [Subscription("relic-twin/#", "native")],
                   client_id="backoff", settings=IngestSettings(reconnect_min_s=0.01, reconnect_max_s=0.05))
    try:
        assert ing.start(timeout_s=10) is ing
        assert len(dropped) == 12 and ing.stats.connects == 1
        thread.join(10)  # the broker dropped the connection: said in the log, and paho reconnects
        deadline = time.monotonic() + 10
        while not [r for r in caplog.records if r.name == "bridge.ingest.ingestor"] and time.monotonic() < deadline:
            time.sleep(0.01)
        lost = [r.getMessage() for r in caplog.records if r.name == "bridge.ingest.ingestor"]
        assert lost and all(m.startswith("disconnected from broker (") and
                            m.endswith("), reconnecting | 与代理断开, 正在重连") for m in lost), lost
    finally:
        ing.stop()
        thread.join(10)
        server.close()


def _idle_writer(store: Store, events: list, wake: threading.Event) -> Ingestor:
    ing = Ingestor(RecordingStore(store, events), ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")],
                   clock=lambda: NOW, settings=IngestSettings(linger_s=0.0))
    ing._client = FakeClient(events)  # type: ignore[assignment]
    ing._wake = wake
    ing._writer = threading.Thread(target=ing._run_writer, daemon=True)
    return ing


def test_a_message_arriving_as_the_writer_goes_idle_is_taken_without_waiting(store: Store) -> None:
    """The MQTT thread appends just after the writer cleared its wake event and before it is marked idle (so
    nobody sets the event): the writer's look at the queue after marking itself idle finds the message."""
    events: list = []
    first = threading.Event()

    class Wake(threading.Event):
        def clear(self) -> None:
            super().clear()
            if not first.is_set():
                first.set()
                ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))

        def wait(self, timeout: float | None = None) -> bool:
            events.append(("wait", timeout))
            return super().wait(timeout)

    ing = _idle_writer(store, events, Wake())
    ing._writer.start()  # type: ignore[union-attr]
    assert drained(ing, 10)
    ing.stop()
    assert events[:3] == [("commit", 1, 0), ("ack", 1), ("wait", 0.1)]  # no wait before the commit


def test_a_message_that_wakes_the_writer_during_stop_is_committed(store: Store) -> None:
    """stop() commits what has arrived: a message that wakes the idle writer after stop began is still
    committed and acknowledged before the writer ends."""
    events: list = []
    entered = threading.Event()

    class Wake(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            if entered.is_set():
                return super().wait(timeout)
            entered.set()
            return super().wait(30)  # the first wait lasts until a message sets it

    ing = _idle_writer(store, events, Wake())
    ing._writer.start()  # type: ignore[union-attr]
    assert entered.wait(10)
    ing._stopping.set()  # stop() has begun
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    ing._writer.join(10)  # type: ignore[union-attr]
    assert not ing._writer.is_alive()  # type: ignore[union-attr]
    assert events == [("commit", 1, 0), ("ack", 1)]


def test_an_idle_writer_keeps_waiting_for_messages(store: Store) -> None:
    """A wait step that ends with nothing to do is followed by another: the writer ends only on stop()."""
    events: list = []
    idled = threading.Event()

    class Wake(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            if not idled.is_set():
                idled.set()
                return False  # a whole step passed without a message
            return super().wait(timeout)

    ing = _idle_writer(store, events, Wake())
    ing._writer.start()  # type: ignore[union-attr]
    assert idled.wait(10)
    ing._on_message(None, None, message(1, "relic-twin/h/S01", {"time": 1767225600, "temperature": 20}))
    assert drained(ing, 10)
    ing.stop()
    assert events == [("commit", 1, 0), ("ack", 1)]


def test_the_store_process_is_given_the_database_password() -> None:
    """The store process opens the database itself: it needs the URL with its password (SQLAlchemy renders a URL
    with the password hidden unless told not to). Its store connects on first use, so no server is needed here."""
    from sqlalchemy import create_engine

    url = "postgresql+psycopg://relic:s3cret@127.0.0.1:1/relic_twin"
    ing = Ingestor(Store(create_engine(url)), ("127.0.0.1", 1), [Subscription("relic-twin/#", "native")],
                   settings=IngestSettings(store_process=True))
    try:
        assert ing._store_proc is not None
        assert ing._store_proc.url == url
    finally:
        ing.stop()
