"""Sites the hub does not hold: their readings are held, listed, and stored once the site is registered.

The hub's workers subscribe ``relic-hub/<site>/#`` for the sites of ``hub --sites`` only
(:mod:`bridge.hub.workers`), so a museum whose bridge reports before an admin registered it would
deliver into no subscription and be lost without a word. The registrar is the catch-all: a durable
(MQTT 5, fixed client id, session expiry) subscription to ``relic-hub/#`` in ``hub ingest``.

- A message of a registered site is acknowledged and dropped: its worker has it.
- A message of any other site goes to quarantine, raw, with the reason "site X is not registered
  on this hub", and is counted in ``hub_unregistered`` (site, first and last seen, messages, last
  topic), listed at ``GET /api/hub/unregistered`` for the hub's admins.
- To register a site, an admin puts its folder under ``--sites`` and restarts ``hub ingest``. Its
  worker subscribes, and the registrar then releases what waited: each quarantined message of the
  site is decoded like any hub message and stored (:func:`release`), and ``released`` counts them.
- Between the hub going down and the new worker subscribing, a site's messages are queued only in
  the registrar's session. So after each start, until a marker it publishes itself comes back
  through its own queue (``relic-hub//registrar/<nonce>``: no museum can write an empty site), the
  registrar stores every registered site's messages too; those its worker also got are duplicates
  of (site, hall, sensor, quantity, time), which the store skips. After the marker it drops them.

Not the broker's ACL alone: Mosquitto acknowledges a QoS 1 publish it refuses to an MQTT 3.1.1
bridge, so the museum would believe the hub had it. What it costs: every message reaches the
registrar as well as its worker; dropping one took 0.73 of the CPU a worker spends storing it
(``benchmarks/hub_registrar.py``: 72 against 99 CPU µs a message, load average 26). A hub whose
broker's password file holds accounts for registered museums alone may run ``hub ingest
--no-registrar``: another museum's bridge is then refused at sign-in and its broker keeps the
readings queued at home (store and forward) until it has an account.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import sqlmodel
from sqlalchemy import delete, select

from bridge.config import BrokerAddress
from bridge.errors import BrokerError
from bridge.hub.decode import HUB_ROOT, HubDecoder, split_hub_topic
from bridge.ingest.ingestor import Decoder, Ingestor, IngestSettings, Subscription
from bridge.readings import Decoded, Rejection
from bridge.store import Store
from bridge.store.epoch import to_us
from bridge.store.models import HubUnregistered, QuarantineRow

#: the registrar's catch-all filter, and its durable session's client id
CATCH_ALL = Subscription(f"{HUB_ROOT}/#")
CLIENT_ID = "relic-hub-registrar"
#: where the registrar's start marker is published (site '' : no museum's account can write there)
MARKER_PREFIX = f"{HUB_ROOT}//registrar/"
#: how every held message's reason begins (the release finds them by it)
REASON_PREFIX = "site not registered on this hub"


def unregistered_reason(site: str) -> str:
    return (f"{REASON_PREFIX}: {site[:64]!r}; an admin adds its folder to the hub's --sites and restarts "
            f"hub ingest, then these readings are stored | 场馆 {site[:64]} 未在汇聚中心登记: 管理员将其文件夹加入 "
            f"--sites 并重启 hub ingest 后, 这些读数即入库")


class Registrar:
    """The catch-all decoder (a :data:`bridge.ingest.ingestor.Decoder`) and its tally.

    registered : the site ids the hub's workers subscribe
    decode : how a registered site's message is decoded before the marker (the workers' HubDecoder)
    """

    def __init__(self, registered: set[str], decode: Decoder, nonce: str | None = None) -> None:
        self.registered = set(registered)
        self._decode = decode
        self.nonce = nonce or uuid.uuid4().hex
        self.marker_seen = threading.Event()
        self._pending: dict[str, tuple[str, datetime, datetime, int]] = {}  # this batch's, until committed

    @property
    def marker_topic(self) -> str:
        return MARKER_PREFIX + self.nonce

    def __call__(self, fmt: str | None, topic: str, payload: bytes, received_at: datetime,
                 sensor_hint: str | None = None) -> Decoded:
        if topic.startswith(MARKER_PREFIX):
            if topic == self.marker_topic:
                self.marker_seen.set()
            return Decoded()  # an older run's marker, or ours: nothing to keep
        split = split_hub_topic(topic)
        site = split[0] if split else ""
        if site in self.registered:
            if self.marker_seen.is_set():
                return Decoded()  # the site's worker has it
            return self._decode(fmt, topic, payload, received_at, sensor_hint)  # queued before its worker was
        if split is None:
            reason = f"not a hub topic ({HUB_ROOT}/<site>/<topic>) | 不是汇聚主题"
            return Decoded(rejections=[Rejection(topic, payload, received_at, reason)])
        _, first, last, n = self._pending.get(site, (topic, received_at, received_at, 0))
        self._pending[site] = (topic, min(first, received_at), max(last, received_at), n + 1)
        return Decoded(rejections=[Rejection(topic, payload, received_at, unregistered_reason(site))])

    def after_commit(self, store: Store) -> None:
        """Count the held messages of the batch just committed (called by the ingest's writer thread)."""
        pending, self._pending = self._pending, {}
        if pending:
            note_unregistered(store, pending)


def note_unregistered(store: Store, seen: Mapping[str, tuple[str, datetime, datetime, int]]) -> None:
    """Add ``{site: (last topic, first seen, last seen, messages)}`` to the ``hub_unregistered`` tally."""
    with store.session() as s:
        for site, (topic, first, last, n) in seen.items():
            row = s.get(HubUnregistered, site[:64])
            if row is None:
                row = HubUnregistered(site=site[:64], first_seen_us=to_us(first), last_seen_us=to_us(last))
            row.topic = topic[:512]
            row.first_seen_us = min(row.first_seen_us, to_us(first))
            row.last_seen_us = max(row.last_seen_us, to_us(last))
            row.messages += n
            row.registered_at_us = None  # held again (e.g. its folder was taken away)
            s.add(row)
        s.commit()


def unregistered(store: Store, include_registered: bool = False) -> list[HubUnregistered]:
    """The sites heard but not held, newest heard first (with ``include_registered``, those released too)."""
    with store.session() as s:
        stmt = sqlmodel.select(HubUnregistered).order_by(sqlmodel.col(HubUnregistered.last_seen_us).desc(),
                                                         sqlmodel.col(HubUnregistered.site))
        if not include_registered:
            stmt = stmt.where(sqlmodel.col(HubUnregistered.registered_at_us).is_(None))
        return list(s.exec(stmt))


def release(store: Store, site: str, decode: HubDecoder, chunk: int = 1000,
            clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    """Store the held messages of ``site`` (now registered), decoded as its worker decodes; returns how many.

    Each chunk's readings (and whatever the decoder now rejects, with its own reason) are committed
    before its held rows are deleted, so a crash in between repeats a chunk: its readings are then
    duplicates the store skips.
    """
    q = QuarantineRow.__table__  # type: ignore[attr-defined]
    prefix = f"{HUB_ROOT}/{site}/"
    done = 0
    while True:
        stmt = (select(q.c.id, q.c.source, q.c.payload, q.c.received_at_us)
                .where(q.c.reason.startswith(REASON_PREFIX, autoescape=True),
                       q.c.source.startswith(prefix, autoescape=True))
                .order_by(q.c.id).limit(chunk))
        with store.transaction() as conn:
            rows = list(conn.execute(stmt))
        if not rows:
            break
        readings, rejections = [], []
        for row in rows:
            at = datetime.fromtimestamp(row.received_at_us / 1e6, UTC)
            decoded = decode(None, row.source, bytes(row.payload), at, None)
            readings += decoded.readings
            rejections += decoded.rejections
        store.write_batch(readings, rejections)
        with store.transaction() as conn:
            conn.execute(delete(q).where(q.c.id.in_([r.id for r in rows])))
        done += len(rows)
    with store.session() as s:
        row = s.get(HubUnregistered, site)
        if row is not None:
            row.released += done
            row.registered_at_us = to_us(clock())
            s.add(row)
            s.commit()
    return done


def release_registered(store: Store, sites: Mapping[str, object], decode: HubDecoder) -> dict[str, int]:
    """Release every registered site that was held (``hub_unregistered`` rows not yet registered)."""
    return {row.site: release(store, row.site, decode) for row in unregistered(store) if row.site in sites}


def publish_marker(broker: BrokerAddress, topic: str, timeout_s: float = 30.0) -> None:
    """Publish the registrar's start marker at QoS 1 and wait for the broker's acknowledgement."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{CLIENT_ID}-marker-{uuid.uuid4().hex[:8]}")
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    try:
        client.connect(broker.host, broker.port)
    except OSError as exc:
        raise BrokerError(f"cannot connect to {broker.url} | 无法连接代理: {exc}") from exc
    client.loop_start()
    try:
        info = client.publish(topic, b"", qos=1)
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            raise BrokerError(f"the registrar's marker was not acknowledged by {broker.url} | 标记消息未确认")
    finally:
        client.disconnect()
        client.loop_stop()


def start_registrar(store: Store, broker: BrokerAddress, sites: Mapping[str, Any], *, marker: bool = True,
                    client_id: str = CLIENT_ID, settings: IngestSettings | None = None,
                    timeout_s: float = 60.0) -> tuple[Ingestor, Registrar, dict[str, int]]:
    """Release what waited for the sites now registered, then hold every other site's messages.

    Call once every worker has subscribed (``hub ingest`` waits for them all). ``marker`` False (a
    worker failed to subscribe): the registrar keeps storing registered sites' messages itself.
    Returns the running ingest, the registrar, and {site: messages released}.
    """
    from bridge.hub.workers import HUB_INGEST

    decode = HubDecoder({k: v for k, v in sites.items() if v is not None})  # type: ignore[misc]  # a site without scenes: native topics
    released = release_registered(store, sites, decode)
    registrar = Registrar(set(sites), decode)
    ingestor = Ingestor(store, broker, [CATCH_ALL], decoder=registrar, client_id=client_id,
                        settings=settings or HUB_INGEST, after_commit=lambda: registrar.after_commit(store))
    ingestor.start(timeout_s=timeout_s)
    if marker:
        try:
            publish_marker(broker, registrar.marker_topic)
        except BrokerError:
            ingestor.stop()
            raise
    return ingestor, registrar, released
