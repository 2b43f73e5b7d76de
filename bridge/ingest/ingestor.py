"""MQTT ingest: subscribe at QoS 1, decode, store in batches, acknowledge after the commit.

The guarantee: a message is acknowledged to the broker only after the
readings (or the rejection) it became are committed to the database. A
crash at any point therefore loses nothing that was acknowledged; what was
received but not yet committed is redelivered by the broker, because

- the session is persistent (MQTT 3.1.1 ``clean_session=False``, or MQTT 5
  ``clean_start=False`` with a session expiry), so the broker keeps the
  subscription and queues messages while the bridge is away;
- acknowledgement is manual (paho ``manual_ack``): ``on_message`` only
  queues the message; the writer thread decodes a batch, commits it with
  :meth:`bridge.store.Store.write_batch`, then calls ``client.ack(mid, qos)``
  for each of its messages, in the order they arrived;
- a redelivered message that had been committed already is a duplicate of
  (site, hall, sensor, quantity, time) and the store skips it.

Every reading is stamped with its hall before it is stored: the hall its
topic names (``relic-twin/<hall>/<sensor>``), else its subscription's
``hall`` (vendor topics such as ``zigbee2mqtt/<device>`` name none); and
with its subscription's ``site`` (a hub's).

Batches form by group commit: the writer takes whatever arrives within
``linger_s`` of the first message, up to ``batch_size`` messages, commits
it and acks it; under load batches grow, when idle a lone message is
committed after ``linger_s``. The broker must allow
that many unacknowledged messages in flight (Mosquitto:
``max_inflight_messages``; MQTT 5: the receive maximum we send).

Run standalone::

    python -m bridge.ingest.ingestor --broker mqtt://127.0.0.1:1883 --db sqlite:///data/relic-twin.sqlite \\
        --topic 'relic-twin/#'
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.exc import DBAPIError, OperationalError

from bridge.config import BrokerAddress
from bridge.errors import BrokerError, StorageError
from bridge.ingest.calibration import Calibrations
from bridge.ingest.identity import DeviceIdentity, HallIdentities, device_of
from bridge.ingest.store_process import StoreProcess
from bridge.mqtt import bulk_read
from bridge.readings import Decoded, Reading, Rejection, in_hall
from bridge.sensors.native import hall_from_topic
from bridge.store import Store
from bridge.store.service_queries import note_unknown_devices

log = logging.getLogger(__name__)

#: decode(fmt, topic, payload, received_at, sensor_hint) -> Decoded (bridge.sensors.decode)
Decoder = Callable[[str | None, str, bytes, datetime, str | None], Decoded]
#: called with the readings newly stored by each committed batch
OnStored = Callable[[list[Reading]], None]
#: governance applied to each batch before it is stored: readings -> (kept readings, rejections)
Govern = Callable[[list[Reading]], tuple[list[Reading], list[Rejection]]]


@dataclass(frozen=True)
class Subscription:
    """One MQTT topic filter, with the payload convention and sensor id its messages carry.

    format : a name in ``bridge.sensors.FORMATS``, or None to detect it from the topic
    sensor : sensor id to use when neither topic nor payload names one
    hall : the hall of its readings when the topic names none
    site : the site of its readings ('' on a museum's own box)
    """

    topic: str
    format: str | None = None
    sensor: str | None = None
    hall: str = ""
    site: str = ""


def ack_all(client: mqtt.Client, mids: list[int]) -> None:
    """PUBACK every QoS 1 message ``mids`` with one socket write.

    paho's ``client.ack`` queues one 4-byte PUBACK per message and wakes its network thread with
    a socket write each time, and that thread then sends each packet with its own ``send``: two
    system calls per message, about a fifth of the writer thread's time per message when profiled.
    A PUBACK has a fixed form (0x40, remaining length 2, the packet id; valid in MQTT 3.1.1 and,
    with the success reason omitted, in 5), so the batch's acknowledgements go out as one
    concatenated packet through paho's own queue: the same order, the same socket, and dropped on
    a reconnect exactly like single acks. Falls back to ``client.ack`` per message when paho's
    queue is not there (another paho version).
    """
    queue_packet = getattr(client, "_packet_queue", None)
    if queue_packet is None or not hasattr(client, "_out_packet") or len(mids) < 2:
        for mid in mids:
            client.ack(mid, 1)
        return
    queue_packet(PUBACK_COMMAND, b"".join(struct.pack("!BBH", PUBACK_COMMAND, 2, mid) for mid in mids), 0, 0)


#: MQTT control packet type PUBACK (MQTT 3.1.1 and 5, section 3.4), in the first byte's high nibble
PUBACK_COMMAND = 0x40


@dataclass(frozen=True)
class IngestSettings:
    """How the ingestor talks to the broker and batches its writes.

    batch_size : most messages committed in one transaction
    linger_s : how long to wait for more messages before committing a batch
        smaller than ``batch_size`` (0: commit whatever has arrived at once).
        50 ms is unseen by a twin that updates every second, and lets
        batches of hundreds form under load (one fsync each, not one per message)
    protocol : 4 (MQTT 3.1.1, persistent session via clean_session=False) or 5
    session_expiry_s : MQTT 5 session expiry; how long the broker keeps our
        queue while we are away (one week)
    receive_maximum : MQTT 5 receive maximum: unacknowledged messages in flight
    retry_s : first wait before retrying a batch the database refused for a
        transient reason (doubles up to ``retry_max_s``)
    store_process : decode and commit in a process of its own
        (:mod:`bridge.ingest.store_process`), so that receiving and storing run on two cores;
        for the plain ingest only (no govern, calibrations, identity, decoder or on_status hooks)
    """

    batch_size: int = 1000
    linger_s: float = 0.05
    qos: int = 1
    keepalive_s: int = 30
    protocol: int = 4
    session_expiry_s: int = 7 * 24 * 3600
    receive_maximum: int = 1000
    reconnect_min_s: float = 1
    reconnect_max_s: float = 10
    retry_s: float = 0.2
    retry_max_s: float = 10.0
    store_process: bool = False


@dataclass
class IngestStats:
    """Running counts (read them, do not write them)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejections: int = 0
    batches: int = 0
    acked: int = 0
    connects: int = 0


@dataclass(slots=True)
class _Pending:
    """One received message waiting for its batch commit (decoded by the writer)."""

    mid: int
    qos: int
    generation: int
    topic: str
    payload: bytes
    received_at: datetime
    subscription: Subscription | None
    hall: str = ""
    site: str = ""
    decoded: Decoded | None = None


_TOPIC_CACHE_MAX = 10_000
_LINGER_STEP_S = 0.005  # how often a lingering writer looks whether its batch is full


def _transient(exc: BaseException) -> bool:
    """True when a storage failure may pass by retrying (connection lost, database locked)."""
    cause = exc.__cause__ or exc
    if isinstance(cause, OperationalError):
        return True
    return isinstance(cause, DBAPIError) and bool(cause.connection_invalidated)


def _default_decoder() -> Decoder:
    from bridge.sensors import decode

    return decode


@dataclass
class Ingestor:
    """Subscribes, decodes, stores in batches and acknowledges after each commit.

    store : where readings and rejections go
    broker : the broker's address (``BrokerAddress``, or ``(host, port)``)
    subscriptions : topic filters with their payload conventions
    on_stored : called (in the writer thread) with the readings newly stored by each batch
    on_status : called (in the writer thread) with (sensor, status) for each message that carried
        device status (battery %, link quality, availability) naming its sensor; ``status["hall"]``
        names the hall when the message's topic or subscription does
    client_id : fixed id: the broker keys the persistent session on it
    decoder : ``bridge.sensors.decode`` unless given
    govern : optional check applied to each batch's readings before the commit
        (e.g. unit unification and range checks of ``bridge.ingest.governance``);
        what it rejects goes to quarantine in the same transaction
    clock : the arrival time stamped on each message (UTC)
    calibrations : per-sensor offsets and gains applied after governance (the raw value is kept)
    identity : who may speak for whom (:class:`bridge.ingest.identity.DeviceIdentity`): readings a
        message's device may not give, and readings of sensors the scene does not know, go to
        quarantine; unknown devices are counted in the store for a person to adopt
    after_commit : called (in the writer thread) after each batch is committed and acknowledged
        (the hub's registrar counts the messages it held: :mod:`bridge.hub.registrar`)
    """

    store: Store
    broker: BrokerAddress | tuple[str, int]
    subscriptions: Sequence[Subscription]
    on_stored: OnStored | None = None
    on_status: Callable[[str, Mapping[str, object]], None] | None = None
    client_id: str = "relic-twin-bridge"
    settings: IngestSettings = field(default_factory=IngestSettings)
    decoder: Decoder | None = None
    govern: Govern | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
    calibrations: Calibrations | None = None
    identity: DeviceIdentity | HallIdentities | None = None
    after_commit: Callable[[], None] | None = None
    stats: IngestStats = field(default_factory=IngestStats, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.broker, tuple):
            self.broker = BrokerAddress(self.broker[0], int(self.broker[1]))
        self._decode = self.decoder or _default_decoder()
        # the MQTT thread appends, the writer pops from the left (both atomic in
        # CPython); the writer sleeps on _wake only when it found nothing, so a
        # message costs no lock and no notify while the writer is busy
        self._queue: deque[_Pending] = deque()
        self._wake = threading.Event()
        self._idle = False  # the writer is (about to be) waiting on _wake
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._unsubscribed = threading.Condition()
        self._unsubacks: set[int] = set()  # message ids of the UNSUBACKs received
        self._generation = 0
        # received (MQTT thread only) minus done (writer only): what is not yet committed and acknowledged
        self._received = 0
        self._done = 0
        self._writer: threading.Thread | None = None
        self._exact = {s.topic: s for s in self.subscriptions if "+" not in s.topic and "#" not in s.topic}
        # topic -> (first matching subscription, the hall and site of its readings)
        self._by_topic: dict[str, tuple[Subscription | None, str, str]] = {}
        self._client = self._make_client()
        self._store_proc: StoreProcess | None = None
        self._sub_index = {id(s): i for i, s in enumerate(self.subscriptions)}
        hooks = (self.govern, self.calibrations, self.identity, self.decoder, self.on_status, self.after_commit)
        if self.settings.store_process:
            if any(h is not None for h in hooks):
                raise ValueError("store_process is for the plain ingest: its hooks would run in another process | "
                                 "独立入库进程只用于无钩子的入库")
            # started here, not in start(): a spawned interpreter takes a second or more to import
            self._store_proc = StoreProcess(self.store.engine.url.render_as_string(hide_password=False),
                                            self.store.hall, self.subscriptions,
                                            replace(self.settings, store_process=False))

    # ------------------------------------------------------------------ MQTT

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        protocol = mqtt.MQTTv5 if s.protocol == 5 else mqtt.MQTTv311
        kwargs: dict[str, Any] = {"client_id": self.client_id, "protocol": protocol}
        if protocol == mqtt.MQTTv311:
            kwargs["clean_session"] = False
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs)
        client.manual_ack_set(True)
        client.reconnect_delay_set(s.reconnect_min_s, s.reconnect_max_s)
        assert isinstance(self.broker, BrokerAddress)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        client.on_unsubscribe = self._on_unsubscribe
        return client

    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason_code: Any, _props: Any) -> None:
        if reason_code.is_failure:
            log.warning("broker refused connection: %s | 代理拒绝连接", reason_code)
            return
        self._generation += 1
        self.stats.connects += 1
        bulk_read.install(client, self._on_publish)  # many packets per wake-up, PUBLISH parsed without paho
        topics = [(s.topic, self.settings.qos) for s in self.subscriptions]
        if topics:
            client.subscribe(topics)
        if flags.session_present:
            # the broker kept our session and its subscriptions: queued messages
            # may arrive before the SUBACK, so do not wait for it
            self._subscribed.set()

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reason_codes: Any, _props: Any) -> None:
        failed = [rc for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("broker refused subscription: %s | 代理拒绝订阅", failed)
            return
        self._subscribed.set()

    def _on_unsubscribe(self, _client: mqtt.Client, _userdata: Any, mid: int, *_rest: Any) -> None:
        with self._unsubscribed:
            self._unsubacks.add(mid)
            self._unsubscribed.notify_all()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason_code: Any, _props: Any) -> None:
        if not self._stopping.is_set():
            log.warning("disconnected from broker (%s), reconnecting | 与代理断开, 正在重连", reason_code)

    def _subscription_for(self, topic: str) -> tuple[Subscription | None, str, str]:
        try:
            return self._by_topic[topic]
        except KeyError:
            pass
        sub = self._exact.get(topic)
        if sub is None:
            sub = next((s for s in self.subscriptions if mqtt.topic_matches_sub(s.topic, topic)), None)
        if len(self._by_topic) >= _TOPIC_CACHE_MAX:  # topics are per sensor: bounded, but be safe
            self._by_topic.clear()
        found = (sub, hall_from_topic(topic) or (sub.hall if sub else ""), sub.site if sub else "")
        self._by_topic[topic] = found
        return found

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        payload = msg.payload
        self._on_publish(msg.mid, msg.qos, msg.topic, payload if type(payload) is bytes else bytes(payload))

    def _on_publish(self, mid: int, qos: int, topic: str, payload: bytes) -> None:
        """One received message (from paho's on_message, or parsed by :mod:`bridge.mqtt.bulk_read`)."""
        received_at = self.clock()
        self.stats.received += 1
        self._received += 1
        # decoding is left to the writer: this thread only reads the socket, so
        # its system calls overlap the writer's decoding and storing
        self._queue.append(_Pending(mid, qos, self._generation, topic, payload, received_at,
                                    *self._subscription_for(topic)))
        if self._idle:  # the writer waits for a first message: wake it (once)
            self._idle = False
            self._wake.set()

    # ------------------------------------------------------------------ writer

    def _wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for the queue to hold a message; True when it does."""
        if self._queue:
            return True
        self._wake.clear()
        self._idle = True
        try:
            # an append after clear() and before this check finds _idle set and sets _wake
            return bool(self._queue) or (self._wake.wait(timeout) and bool(self._queue))
        finally:
            self._idle = False

    def _take_batch(self) -> list[_Pending]:
        """Group commit: the first message, and what arrives within ``linger_s`` of it (``batch_size`` at most).

        While lingering the writer sleeps in short steps rather than waking for
        every message: a wake per message costs the MQTT thread a notify and
        both threads a hand-over of the interpreter lock.
        """
        if not self._wait(0.1):
            return []
        queue_ = self._queue
        size = self.settings.batch_size
        batch = [queue_.popleft()]
        deadline = time.monotonic() + self.settings.linger_s
        while True:
            while queue_ and len(batch) < size:
                batch.append(queue_.popleft())
            if len(batch) >= size:
                break
            wait = deadline - time.monotonic()
            if wait <= 0:
                break
            time.sleep(min(wait, _LINGER_STEP_S))
        return batch

    def _decode_pending(self, batch: list[_Pending]) -> None:
        """Decode each message of the batch not decoded yet (a decoder failure becomes a rejection)."""
        decode = self._decode
        for p in batch:
            if p.decoded is not None:
                continue
            sub = p.subscription
            try:
                if sub is None:
                    p.decoded = decode(None, p.topic, p.payload, p.received_at, None)
                else:
                    p.decoded = decode(sub.format, p.topic, p.payload, p.received_at, sub.sensor)
            except Exception as exc:  # a decoder bug must not lose the message: quarantine it
                reason = f"decoder failed: {exc!r} | 解码器出错"
                p.decoded = Decoded(rejections=[Rejection(p.topic, p.payload, p.received_at, reason)])
            if p.hall or p.site:
                p.decoded.readings = in_hall(p.decoded.readings, p.hall, p.site)
            if self.identity is not None:
                device = device_of(p.topic, sub.sensor if sub is not None else None)
                p.decoded = self.identity.check(device, p.topic, p.payload, p.received_at, p.decoded)

    def _prepare(self, batch: list[_Pending]) -> tuple[list[Reading], list[Rejection]]:
        self._decode_pending(batch)
        readings = [r for p in batch for r in p.decoded.readings]  # type: ignore[union-attr]
        rejections = [j for p in batch for j in p.decoded.rejections]  # type: ignore[union-attr]
        if self.govern is not None and readings:
            readings, refused = self.govern(readings)
            rejections += refused
        if self.calibrations is not None and readings:
            readings = self.calibrations.apply(readings)
        return readings, rejections

    def _write(self, batch: list[_Pending]) -> list[Reading] | None:
        """Commit a batch; None when stopping before it could be committed (then it is not acked)."""
        if self._store_proc is not None:
            return self._write_there(batch)
        readings, rejections = self._prepare(batch)
        wait = self.settings.retry_s
        while True:
            try:
                result = self.store.write_batch(readings, rejections)
                break
            except StorageError as exc:
                if not _transient(exc):
                    return self._write_one_by_one(batch)
                log.warning("database busy or away, retrying in %.1f s: %s | 数据库暂不可用, 稍后重试", wait, exc)
                if self._stopping.wait(wait):
                    return None
                wait = min(wait * 2, self.settings.retry_max_s)
        self.stats.stored += len(result.stored)
        self.stats.duplicates += result.duplicates
        self.stats.rejections += result.rejections
        return result.stored

    def _write_there(self, batch: list[_Pending]) -> list[Reading] | None:
        """Commit a batch in the store process; None when it is gone (then the batch is not acked)."""
        assert self._store_proc is not None
        items = [(self._sub_index.get(id(p.subscription), -1), p.topic, p.payload, p.received_at, p.hall, p.site)
                 for p in batch]
        answer = self._store_proc.write(items, self.on_stored is not None)
        if answer is None:
            return None
        stored, n, duplicates, rejections = answer
        self.stats.stored += n
        self.stats.duplicates += duplicates
        self.stats.rejections += rejections
        return stored or []

    def _write_one_by_one(self, batch: list[_Pending]) -> list[Reading] | None:
        """After a batch the database refused for its content: each message alone; refused ones to quarantine."""
        stored: list[Reading] = []
        for p in batch:
            try:
                result = self.store.write_batch(*self._prepare([p]))
            except StorageError as exc:
                if _transient(exc):
                    return None if self._stopping.is_set() else self._write_one_by_one(batch)
                now = self.clock()
                reason = f"database refused the readings: {exc.__cause__ or exc} | 数据库拒绝写入"
                payload = repr(p.decoded.readings).encode()
                result = self.store.write_batch([], [Rejection(f"mqtt mid {p.mid}", payload, now, reason)])
            stored += result.stored
            self.stats.stored += len(result.stored)
            self.stats.duplicates += result.duplicates
            self.stats.rejections += result.rejections
        return stored

    def _ack(self, batch: list[_Pending]) -> None:
        # a message from before a reconnect is redelivered by the broker; ack that copy instead
        current = [p for p in batch if p.qos > 0 and p.generation == self._generation]
        ack_all(self._client, [p.mid for p in current if p.qos == 1])
        for p in current:
            if p.qos != 1:
                self._client.ack(p.mid, p.qos)
        self.stats.acked += len(current)

    def _note_unknown(self) -> None:
        """Count the unknown devices of the batch just committed (their messages are in quarantine)."""
        unknown = self.identity.take_unknown() if self.identity is not None else None
        if unknown:
            try:
                note_unknown_devices(self.store, unknown)
            except StorageError:  # the rejections are stored; only the tally is late
                log.warning("could not count unknown devices %s | 未知设备计数失败", sorted(unknown))

    def _run_writer(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                if self._stopping.is_set():
                    return
                continue
            stored = self._write(batch)
            if stored is None:
                return
            self._ack(batch)
            self._note_unknown()
            if self.after_commit is not None:
                try:
                    self.after_commit()
                except Exception:  # a tally's trouble must not stop the ingest (the messages are stored)
                    log.exception("after_commit callback failed | 提交后回调出错")
            self.stats.batches += 1
            self._done += len(batch)
            if stored and self.on_stored is not None:
                try:
                    self.on_stored(stored)
                except Exception:  # the twin's trouble must not stop the ingest
                    log.exception("on_stored callback failed | 回调出错")
            if self.on_status is not None:
                self._report_status(batch)

    def _report_status(self, batch: list[_Pending]) -> None:
        assert self.on_status is not None
        for p in batch:
            status = p.decoded.status if p.decoded is not None else None
            sensor = status.get("sensor") if status else None
            if isinstance(sensor, str):
                if p.hall and "hall" not in status:  # type: ignore[operator]
                    status = {**status, "hall": p.hall}  # type: ignore[dict-item]
                try:
                    self.on_status(sensor, status)  # type: ignore[arg-type]
                except Exception:  # the twin's trouble must not stop the ingest
                    log.exception("on_status callback failed | 回调出错")

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout_s: float = 10.0) -> Ingestor:
        """Connect, subscribe and start writing; returns once subscribed.

        Raises BrokerError when the subscription is not confirmed within
        ``timeout_s`` (the ingestor is stopped again).
        """
        assert isinstance(self.broker, BrokerAddress)
        props = None
        if self.settings.protocol == 5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.settings.session_expiry_s
            props.ReceiveMaximum = self.settings.receive_maximum
        try:
            if self.settings.protocol == 5:
                self._client.connect_async(
                    self.broker.host,
                    self.broker.port,
                    keepalive=self.settings.keepalive_s,
                    clean_start=False,
                    properties=props,
                )
            else:
                self._client.connect_async(self.broker.host, self.broker.port, keepalive=self.settings.keepalive_s)
        except (OSError, ValueError) as exc:
            raise BrokerError(f"cannot connect to {self.broker.url} | 无法连接代理: {exc}") from exc
        # the writer starts once the connection is under way (a refused address leaves no thread behind),
        # before the network loop can hand it a message
        self._writer = threading.Thread(target=self._run_writer, name="ingest-writer", daemon=True)
        self._writer.start()
        self._client.loop_start()
        if self.subscriptions and not self._subscribed.wait(timeout_s):
            self.stop()
            raise BrokerError(f"no subscription confirmed by {self.broker.url} within {timeout_s:g} s | 订阅未确认")
        return self

    def unsubscribe(self, topics: Sequence[str], timeout_s: float = 10.0) -> bool:
        """Drop filters the persistent session holds (from an earlier plan); True once the broker confirmed."""
        if not topics:
            return True
        result, mid = self._client.unsubscribe(list(topics))
        if result != mqtt.MQTT_ERR_SUCCESS:
            return False
        with self._unsubscribed:  # the UNSUBACK may come before this thread looks
            return self._unsubscribed.wait_for(lambda: mid in self._unsubacks, timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Commit and acknowledge what has arrived, then disconnect (unacknowledged messages stay queued)."""
        self._stopping.set()
        if self._writer is not None:
            self._writer.join(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()
        if self._store_proc is not None:
            self._store_proc.stop(timeout_s)
            self._store_proc = None

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every message received so far is committed and acknowledged; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._received == self._done:
                return True
            time.sleep(0.02)
        return False


# ---------------------------------------------------------------------- command line
