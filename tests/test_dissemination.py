"""Alerts out by urgency: stored with their acknowledgements, retained on a real Mosquitto, and sent
to a real local webhook receiver and SMTP server — red at once, yellow in one digest."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from sqlmodel import select

from bridge.alerts.dissemination import Disseminator, NotifySettings, notify_settings_from_env
from bridge.api.auth import PERMISSIONS
from bridge.config import ConfigError
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.models import Alert, AlertAck, Notification

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def ev(kind: str, tier: str, target: tuple[str, str] = ("relic", "silk_painting"), n: int = 1,
       at: datetime = T0, by: str | None = None) -> dict[str, Any]:
    """An alert event as bridge.alerts.alerting.event_json makes it."""
    kind_id = f"{target[0]}:{target[1]}:illuminance_high:{n}"
    return {"id": kind_id, "kind": kind, "tier": tier, "target": {"kind": target[0], "id": target[1]},
            "cause": "illuminance_high", "value": 300.0, "limit": 50.0, "unit": "lx",
            "started_at": T0.isoformat(), "at": at.isoformat(),
            "message": {"zh-CN": "丝绢画照度过高", "en": "illuminance too high on the silk painting"},
            "advice": {"zh-CN": "关闭展柜灯", "en": "switch off the case lights"},
            "acknowledged": by is not None, "acknowledged_by": by, "cleared": kind == "cleared"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(data_dir=tmp_path) as s:
        yield s


def rows(store: Store, model: type) -> list[Any]:
    with store.session() as s:
        return list(s.exec(select(model)))


def test_alerts_acknowledgements_and_clears_are_stored_once(store: Store):
    q.ensure_roles(store, {r: ",".join(sorted(p)) for r, p in PERMISSIONS.items()})
    q.add_user(store, "staff", "staff", "not-a-real-hash")
    d = Disseminator(store, "demo_hall")
    d.on_events([ev("raised", "yellow")])
    d.on_events([ev("escalated", "red", at=T0 + timedelta(minutes=30))])
    d.on_events([ev("acknowledged", "red", by="staff", at=T0 + timedelta(minutes=31))])
    d.on_events([ev("acknowledged", "red", by="staff", at=T0 + timedelta(minutes=32))])  # the same person again
    d.on_events([ev("cleared", "red", at=T0 + timedelta(hours=2))])
    d.on_events([ev("raised", "yellow", n=1, at=T0 + timedelta(hours=3))])  # a new episode, same key
    d.stop()
    alerts = sorted(rows(store, Alert), key=lambda a: a.id)
    acks = rows(store, AlertAck)
    assert len(alerts) == 2
    first = alerts[0]
    assert (first.tier, first.target_kind, first.target_id, first.cause) == ("red", "relic", "silk_painting",
                                                                               "illuminance_high")
    assert first.advice_zh == "关闭展柜灯" and first.cleared_at_us is not None
    assert alerts[1].cleared_at_us is None and alerts[1].tier == "yellow"
    assert len(acks) == 1 and acks[0].alert_id == first.id and acks[0].user_id is not None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_red_goes_out_at_once_and_yellow_in_one_digest(store: Store):
    sent: list[tuple[str, list[str]]] = []
    clock = Clock()

    def webhook(address: str, alerts: Any) -> None:
        sent.append((address, [a["id"] for a in alerts]))

    def broken(address: str, alerts: Any) -> None:
        raise OSError("mail server down")

    settings = NotifySettings(webhooks=("http://hooks.example/a",), smtp_url="smtp://mail.example",
                              emails=("conservator@museum.example",), yellow_digest_s=900)
    d = Disseminator(store, "demo_hall", settings=settings, clock=clock, senders={"webhook": webhook, "email": broken})
    d.on_events([ev("raised", "red", ("case", "C1"))])
    for i, minute in enumerate((1, 2, 3)):
        clock.now = T0 + timedelta(minutes=minute)
        d.on_events([ev("raised", "yellow", ("zone", f"Z{i}"))])
    d.on_events([ev("cleared", "yellow", ("zone", "Z0"))])  # clearing sends nothing
    deadline = time.monotonic() + 5
    while len(sent) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent == [("http://hooks.example/a", ["case:C1:illuminance_high:1"])]  # red, alone, at once
    clock.now = T0 + timedelta(minutes=10)
    d.tick()
    time.sleep(0.1)
    assert len(sent) == 1  # the digest is not due yet
    clock.now = T0 + timedelta(minutes=15)
    d.tick()
    d.flush()
    assert sent[1] == ("http://hooks.example/a", [f"zone:Z{i}:illuminance_high:1" for i in range(3)])
    assert len(sent) == 2
    notes = rows(store, Notification)
    assert len(notes) == 4  # 2 messages x 2 channels, each recorded
    failed = [n for n in notes if not n.ok]
    assert {n.channel for n in failed} == {"email"} and all("mail server down" in n.error for n in failed)
    digest = next(n for n in notes if n.tier == "yellow" and n.channel == "webhook")
    assert digest.alert_id is None and "黄色预警 YELLOW" in digest.subject and "(+2)" in digest.subject


# --- real channels ----------------------------------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"type": self.headers["Content-Type"], "json": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to receive a message: EHLO, MAIL, RCPT, DATA, QUIT."""

    messages: list[bytes] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif cmd == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                type(self).messages.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif cmd == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_webhook_and_email_reach_real_servers(store: Store):
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    for server in (hook, smtp):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = notify_settings_from_env({
            "RELIC_TWIN_WEBHOOKS": f"http://127.0.0.1:{hook.server_port}/alerts",
            "RELIC_TWIN_SMTP_URL": f"smtp://127.0.0.1:{smtp.server_address[1]}",
            "RELIC_TWIN_ALERT_EMAILS": "conservator@museum.example",
            "RELIC_TWIN_EMAIL_FROM": "twin@museum.example"})
        d = Disseminator(store, "demo_hall", settings=settings)
        d.on_events([ev("raised", "red")])
        d.flush()
    finally:
        for server in (hook, smtp):
            server.shutdown()
            server.server_close()
    assert len(_Hook.received) == 1 and _Hook.received[0]["type"].startswith("application/json")
    payload = _Hook.received[0]["json"]
    assert payload["alerts"][0]["advice"]["en"] == "switch off the case lights" and "红色告警" in payload["subject"]
    assert len(_Smtp.messages) == 1
    msg = email.message_from_bytes(_Smtp.messages[0], policy=email.policy.default)
    assert msg["To"] == "conservator@museum.example" and "RED" in msg["Subject"] and "丝绢画" in msg["Subject"]
    body = msg.get_content()
    assert "建议: 关闭展柜灯" in body and "Advice: switch off the case lights" in body
    assert all(n.ok for n in rows(store, Notification))


def test_bad_channel_settings_are_refused_with_the_variable_named():
    for env, name in (({"RELIC_TWIN_WEBHOOKS": "ftp://x/y"}, "RELIC_TWIN_WEBHOOKS"),
                      ({"RELIC_TWIN_SMTP_URL": "mail.example"}, "RELIC_TWIN_SMTP_URL"),
                      ({"RELIC_TWIN_SMTP_URL": "smtp://mail.example"}, "RELIC_TWIN_ALERT_EMAILS"),
                      ({"RELIC_TWIN_ALERT_EMAILS": "a@b\r\nBcc: evil@x"}, "RELIC_TWIN_ALERT_EMAILS"),
                      ({"RELIC_TWIN_YELLOW_DIGEST_MIN": "soon"}, "RELIC_TWIN_YELLOW_DIGEST_MIN")):
        with pytest.raises(ConfigError, match=name):
            notify_settings_from_env(env)
    assert notify_settings_from_env({}).channels == []


def test_retained_state_per_target_on_a_real_broker(store: Store, mosquitto_broker):
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="alerts-test")
    pub.connect(mosquitto_broker.host, mosquitto_broker.port)
    pub.loop_start()

    def publish(topic: str, payload: bytes, retain: bool) -> None:
        pub.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def retained(topic: str) -> dict[str, Any]:
        """What a client that connects now is told at once."""
        got: list[bytes] = []
        sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        sub.on_message = lambda c, u, m: got.append(m.payload) if m.retain else None
        sub.connect(mosquitto_broker.host, mosquitto_broker.port)
        sub.subscribe(topic, qos=1)
        sub.loop_start()
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        sub.loop_stop()
        sub.disconnect()
        assert got, f"nothing retained on {topic}"
        return json.loads(got[-1])

    d = Disseminator(store, "demo_hall", publish=publish)
    topic = "relic-twin/demo_hall/alerts/relic/silk_painting"
    d.on_events([ev("raised", "yellow"), ev("raised", "red", n=2)])
    state = retained(topic)
    assert state["tier"] == "red" and [a["tier"] for a in state["alerts"]] == ["red", "yellow"]
    d.on_events([ev("cleared", "red", n=2)])
    assert retained(topic)["tier"] == "yellow"
    d.on_events([ev("cleared", "yellow")])
    state = retained(topic)
    assert state["tier"] == "green" and state["alerts"] == []
    d.stop()
    pub.loop_stop()
    pub.disconnect()
