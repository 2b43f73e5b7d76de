"""Alerts out, by urgency: stored, retained on MQTT, and sent to people (webhook, e-mail).

The live alert engine (:mod:`bridge.alerts.alerting`) emits events as feed dictionaries; a
:class:`Disseminator` takes the same list and

* **stores** every alert (one ``alert`` row per engine alert, found again by its ``key``;
  tier, message and advice kept current; ``cleared_at`` set when it clears), every
  acknowledgement (``alert_ack``) and every notification sent or failed (``notification``);
* **retains** on MQTT the state of each target that has or had alerts:
  ``relic-twin/<hall>/alerts/<target kind>/<target id>`` holds a JSON document with its worst
  tier (``green`` once everything clears) and its active alerts, published with the retain flag at
  QoS 1, so a panel or a building system that connects later sees the current state at once;
* **notifies** configured channels: red alerts (raised, escalated, reminded) at once, one message
  each; yellow ones gathered and sent as one digest every ``yellow_digest_s`` (15 min by default),
  so a slow drift wakes nobody at night but a leak does. Sending happens on a worker thread: a
  slow mail server never holds up the ingest path.

Channels are configured by environment (see :func:`notify_settings_from_env`)::

    RELIC_TWIN_WEBHOOKS=https://chat.example/hook,https://other/hook     JSON POST per message
    RELIC_TWIN_SMTP_URL=smtp://user:pass@mail.example:587               (smtps:// for TLS at once;
                                                                          smtp:// uses STARTTLS when offered)
    RELIC_TWIN_ALERT_EMAILS=conservator@museum.example,guard@museum.example
    RELIC_TWIN_EMAIL_FROM=relic-twin@museum.example
    RELIC_TWIN_YELLOW_DIGEST_MIN=15
"""

from __future__ import annotations

import json
import logging
import queue
import smtplib
import ssl
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlmodel import col, select

from bridge.config import ConfigError
from bridge.store import Store
from bridge.store.epoch import to_us
from bridge.store.models import Alert, AlertAck, Notification, User
from simulation.hall_time import local_label

log = logging.getLogger("relic_twin.dissemination")

Publish = Callable[[str, bytes, bool], None]  # topic, payload, retain
TIER_ORDER = {"green": 0, "yellow": 1, "red": 2}
NOTIFY_KINDS = ("raised", "escalated", "reminder")


@dataclass(frozen=True)
class NotifySettings:
    """Where alert messages go. Nothing configured: alerts are stored and retained on MQTT only."""

    webhooks: tuple[str, ...] = ()
    smtp_url: str | None = None
    emails: tuple[str, ...] = ()
    email_from: str = "relic-twin@localhost"
    yellow_digest_s: float = 15 * 60.0
    timeout_s: float = 10.0

    @property
    def channels(self) -> list[tuple[str, str]]:
        out = [("webhook", u) for u in self.webhooks]
        if self.smtp_url:
            out += [("email", a) for a in self.emails]
        return out


def notify_settings_from_env(env: Mapping[str, str]) -> NotifySettings:
    """Read the channels; ConfigError naming the variable when a value is malformed."""
    hooks = tuple(u.strip() for u in env.get("RELIC_TWIN_WEBHOOKS", "").split(",") if u.strip())
    for u in hooks:
        if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname:
            raise ConfigError(f"RELIC_TWIN_WEBHOOKS: expected http(s)://host/path, got {u!r}"
                              " | 回调地址应为 http(s)://主机/路径")
    smtp = env.get("RELIC_TWIN_SMTP_URL") or None
    if smtp and (urlsplit(smtp).scheme not in ("smtp", "smtps") or not urlsplit(smtp).hostname):
        raise ConfigError(f"RELIC_TWIN_SMTP_URL: expected smtp://[user:pass@]host[:port] or smtps://..., got {smtp!r}"
                          " | 邮件服务器地址格式错误")
    emails = tuple(a.strip() for a in env.get("RELIC_TWIN_ALERT_EMAILS", "").split(",") if a.strip())
    if any("@" not in a or any(c in a for c in "\r\n<>") for a in emails):
        raise ConfigError("RELIC_TWIN_ALERT_EMAILS: expected comma-separated e-mail addresses | 邮箱地址格式错误")
    if smtp and not emails:
        raise ConfigError("RELIC_TWIN_SMTP_URL is set but RELIC_TWIN_ALERT_EMAILS is empty | 未设置收件人")
    try:
        digest = float(env.get("RELIC_TWIN_YELLOW_DIGEST_MIN", "15")) * 60.0
    except ValueError:
        raise ConfigError("RELIC_TWIN_YELLOW_DIGEST_MIN: expected minutes | 应为分钟数") from None
    if not 0 <= digest <= 24 * 3600:
        raise ConfigError("RELIC_TWIN_YELLOW_DIGEST_MIN: expected 0 to 1440 minutes | 应为0至1440分钟")
    return NotifySettings(hooks, smtp, emails, env.get("RELIC_TWIN_EMAIL_FROM", "relic-twin@localhost"), digest)


# --- messages ---------------------------------------------------------------------------------


def subject_of(alerts: Sequence[Mapping[str, Any]]) -> str:
    """One line naming the worst tier and the first alert, both languages."""
    worst = max(alerts, key=lambda a: TIER_ORDER.get(a["tier"], 0))
    tag = {"red": "红色告警 RED", "yellow": "黄色预警 YELLOW"}.get(worst["tier"], worst["tier"])
    more = f" (+{len(alerts) - 1})" if len(alerts) > 1 else ""
    return f"[relic-twin] {tag}: {worst['message']['zh-CN']} / {worst['message']['en']}{more}"


def text_of(alerts: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for a in alerts:
        when = local_label(str(a.get("at", "")), str(a.get("timezone") or "UTC"))  # to the minute, no raw ISO
        lines += [f"{a['tier'].upper()}  {a['target']['kind']} {a['target']['id']}  {when}",
                  f"  {a['message']['zh-CN']}", f"  {a['message']['en']}",
                  f"  建议: {a['advice']['zh-CN']}", f"  Advice: {a['advice']['en']}", ""]
    return "\n".join(lines)


def send_webhook(url: str, alerts: Sequence[Mapping[str, Any]], timeout_s: float) -> None:
    body = json.dumps({"subject": subject_of(alerts), "alerts": list(alerts)}, ensure_ascii=False).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json; charset=utf-8",
                                            "User-Agent": "relic-twin"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout_s) as r:  # noqa: S310 (scheme checked in settings)
        if not 200 <= r.status < 300:
            raise OSError(f"HTTP {r.status}")


def send_email(smtp_url: str, sender: str, to: str, alerts: Sequence[Mapping[str, Any]], timeout_s: float) -> None:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject_of(alerts), sender, to
    msg.set_content(text_of(alerts))
    smtp_send(smtp_url, msg, timeout_s)


def smtp_send(smtp_url: str, msg: EmailMessage, timeout_s: float) -> None:
    """Send ``msg`` through the server at ``smtp://`` (STARTTLS when offered) or ``smtps://``."""
    u = urlsplit(smtp_url)
    ctx = ssl.create_default_context()
    if u.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(u.hostname or "", u.port or 465, timeout=timeout_s, context=ctx)
    else:
        client = smtplib.SMTP(u.hostname or "", u.port or 25, timeout=timeout_s)
    with client:
        client.ehlo()
        if u.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ctx)
            client.ehlo()
        if u.username:
            client.login(unquote(u.username), unquote(u.password or ""))
        client.send_message(msg)


# --- the disseminator -------------------------------------------------------------------------


@dataclass
class _Outgoing:
    channel: str
    address: str
    tier: str
    alerts: list[dict[str, Any]]
    alert_id: int | None  # None for a digest of several


@dataclass
class Disseminator:
    """Stores, retains and sends the alert events of one hall (see the module docstring)."""

    store: Store
    hall: str
    publish: Publish | None = None
    settings: NotifySettings = field(default_factory=NotifySettings)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    senders: Mapping[str, Callable[[str, Sequence[Mapping[str, Any]]], None]] | None = None
    site: str = ""  # stored with each alert (a hub's site id; '' on a museum's own box)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._yellow: list[dict[str, Any]] = []
        self._last_digest = self.clock()
        self._out: queue.Queue[_Outgoing | threading.Event] = queue.Queue()
        self._worker = threading.Thread(target=self._send_loop, name="alert-notify", daemon=True)
        self._worker.start()
        if self.senders is None:
            s = self.settings
            self.senders = {"webhook": lambda a, al: send_webhook(a, al, s.timeout_s),
                            "email": lambda a, al: send_email(s.smtp_url or "", s.email_from, a, al, s.timeout_s)}

    def topic(self, target_kind: str, target_id: str) -> str:
        return f"relic-twin/{self.hall}/alerts/{target_kind}/{target_id}"

    def on_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Take the engine's events (feed dictionaries, in order)."""
        if not events:
            return
        with self._lock:
            rows = self._persist(events)
            changed = set()
            for e in events:
                key = (e["target"]["kind"], e["target"]["id"])
                active = self._targets.setdefault(key, {})
                if e["cleared"]:
                    active.pop(e["id"], None)
                else:
                    active[e["id"]] = e
                changed.add(key)
                if e["kind"] in NOTIFY_KINDS:
                    if e["tier"] == "red":
                        self._enqueue([e], "red", rows.get(e["id"]))
                    elif e["tier"] == "yellow":
                        self._yellow.append(e)
            for key in sorted(changed):
                self._retain(key)
            self._maybe_digest()

    def tick(self) -> None:
        """Send the yellow digest when it is due (the alert clock calls this)."""
        with self._lock:
            self._maybe_digest()

    def flush(self, timeout_s: float = 30.0) -> None:
        """Send the pending digest now and wait until everything queued has been sent (tests, shutdown)."""
        with self._lock:
            self._maybe_digest(force=True)
        done = threading.Event()
        self._out.put(done)  # the worker sets it once everything before it has been sent
        done.wait(timeout_s)

    def stop(self) -> None:
        self.flush(timeout_s=self.settings.timeout_s * 2)

    # --- internals ----------------------------------------------------------------------------

    def _maybe_digest(self, force: bool = False) -> None:
        now = self.clock()
        if not self._yellow or not (force or (now - self._last_digest).total_seconds() >= self.settings.yellow_digest_s):
            return
        batch, self._yellow = self._yellow, []
        self._last_digest = now
        self._enqueue(batch, "yellow", None if len(batch) > 1 else self._row_id(batch[0]["id"]))

    def _enqueue(self, alerts: list[dict[str, Any]], tier: str, alert_id: int | None) -> None:
        for channel, address in self.settings.channels:
            self._out.put(_Outgoing(channel, address, tier, alerts, alert_id))

    def _send_loop(self) -> None:
        while True:
            item = self._out.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            ok, error = True, ""
            try:
                assert self.senders is not None
                self.senders[item.channel](item.address, item.alerts)
            except Exception as exc:  # noqa: BLE001 (any failure is recorded, none stops the worker)
                ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
                log.warning("alert notification to %s failed: %s", item.address, error)
            try:
                with self.store.session() as s:
                    s.add(Notification(alert_id=item.alert_id, channel=item.channel, address=item.address,
                                       tier=item.tier, subject=subject_of(item.alerts),
                                       sent_at_us=to_us(self.clock()), ok=ok, error=error))
                    s.commit()
            except Exception:  # noqa: BLE001
                log.exception("could not record a notification")

    def _retain(self, key: tuple[str, str]) -> None:
        if self.publish is None:
            return
        active = sorted(self._targets.get(key, {}).values(), key=lambda a: (-TIER_ORDER.get(a["tier"], 0), a["id"]))
        doc = {"hall": self.hall, "target": {"kind": key[0], "id": key[1]},
               "tier": active[0]["tier"] if active else "green", "at": self.clock().isoformat(),
               "alerts": [{k: a[k] for k in ("id", "tier", "cause", "value", "limit", "unit", "started_at",
                                             "message", "advice", "acknowledged")} for a in active]}
        try:
            self.publish(self.topic(*key), json.dumps(doc, ensure_ascii=False).encode(), True)
        except Exception:  # noqa: BLE001 (the broker being away must not stop alerting)
            log.exception("could not publish alert state")

    def _row_id(self, key: str) -> int | None:
        with self.store.session() as s:
            row = s.exec(select(Alert).where(Alert.key == key).order_by(col(Alert.id).desc())).first()
            return row.id if row else None

    def _persist(self, events: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Upsert one row per engine alert; acknowledgements once per person. Returns key -> row id."""
        ids: dict[str, int] = {}
        with self.store.session() as s:
            for e in events:
                row = s.exec(select(Alert).where(Alert.key == e["id"], col(Alert.cleared_at_us).is_(None))
                             .order_by(col(Alert.id).desc())).first()
                if row is None:
                    if e["cleared"] or e["kind"] == "acknowledged":
                        continue  # nothing open to change (raised before this store knew it)
                    row = Alert(key=e["id"], raised_at_us=to_us(_parse(e["started_at"])), hall=self.hall,
                                site=self.site)
                row.tier = e["tier"]
                row.cause = e["cause"]
                row.target_kind, row.target_id = e["target"]["kind"], e["target"]["id"]
                row.sensor = e["target"]["id"] if e["target"]["kind"] == "sensor" else row.sensor
                if not e["cleared"]:  # a replay to while it was open shows what it said then, not "[cleared] ..."
                    text = e.get("summary") or e["message"]
                    row.message_zh, row.message_en = text["zh-CN"], text["en"]
                row.advice_zh, row.advice_en = e["advice"]["zh-CN"], e["advice"]["en"]
                if e["cleared"]:
                    row.cleared_at_us = to_us(_parse(e["at"]))
                s.add(row)
                s.flush()
                assert row.id is not None
                ids[e["id"]] = row.id
                if e["kind"] == "acknowledged" and e.get("acknowledged_by"):
                    user = s.exec(select(User).where(User.username == e["acknowledged_by"])).first()
                    uid = user.id if user else None
                    done = s.exec(select(AlertAck).where(AlertAck.alert_id == row.id, AlertAck.user_id == uid)).first()
                    if done is None:
                        s.add(AlertAck(alert_id=row.id, user_id=uid, acked_at_us=to_us(_parse(e["at"])),
                                       note="" if user else f"by {e['acknowledged_by']}"))
            s.commit()
        return ids


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
