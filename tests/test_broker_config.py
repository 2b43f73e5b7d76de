"""``relic-twin broker-config`` against a real Mosquitto: TLS, one password per device, ACLs.

The configuration is generated with ``--make-certs`` into a tmp folder and a
real ``mosquitto -c`` is started with it, unchanged, on a free port. paho-mqtt
clients then prove what the files promise: the generated PBKDF2 hashes are
accepted, a device writes its own topics and nothing else, a wrong password
and a plain (non-TLS) connection are refused.
"""

from __future__ import annotations

import csv
import getpass
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fixtures_broker import free_port, mosquitto_binary

from bridge.cli.broker_config import broker_config_main
from bridge.mqtt.broker_config import (
    BRIDGE_USER,
    check_mosquitto_hash,
    device_topics,
    make_certs,
    mosquitto_hash,
    queue_limit,
)
from simulation.paths import scenes_dir
from simulation.scene import load_scene

SCENE = scenes_dir() / "demo_hall"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def read_credentials(out: Path) -> dict[str, tuple[str, str]]:
    """username -> (password, topic) from device-credentials.csv."""
    with open(out / "device-credentials.csv", newline="") as fh:
        return {row["username"]: (row["password"], row["topic"]) for row in csv.DictReader(fh)}


# ---------------------------------------------------------------------- without a broker


def test_hash_format_matches_mosquitto_passwd(tmp_path: Path) -> None:
    """Our hash has mosquitto_passwd's layout, and both sides verify each other's hashes."""
    ours = mosquitto_hash("s3cret-pw")
    _, seven, iters, salt, digest = ours.split("$")
    assert (seven, iters, len(salt), len(digest)) == ("7", "101", 16, 88)  # 12 B salt, 64 B key
    assert check_mosquitto_hash(ours, "s3cret-pw")
    assert not check_mosquitto_hash(ours, "s3cret-pW")
    if not Path(MOSQUITTO_PASSWD).exists():
        pytest.skip("mosquitto_passwd not installed")
    pwfile = tmp_path / "pw"
    pwfile.write_text("")
    subprocess.run([MOSQUITTO_PASSWD, "-b", str(pwfile), "dev", "s3cret-pw"], check=True, capture_output=True)
    theirs = pwfile.read_text().strip().split(":", 1)[1]
    assert theirs.startswith("$7$101$")
    assert check_mosquitto_hash(theirs, "s3cret-pw")
    assert not check_mosquitto_hash(theirs, "wrong")
    # same salt -> byte-identical hash
    import base64

    salt_b = base64.b64decode(theirs.split("$")[3])
    assert mosquitto_hash("s3cret-pw", salt=salt_b) == theirs


def test_device_topics_follow_each_convention() -> None:
    assert device_topics("relic-twin/demo_hall/S01", "native", "S01") == ["relic-twin/demo_hall/S01"]
    assert device_topics("zigbee2mqtt/S02", "zigbee2mqtt", "S02") == ["zigbee2mqtt/S02", "zigbee2mqtt/S02/availability"]
    assert device_topics("tele/S05/SENSOR", "tasmota", "S05") == ["tele/S05/SENSOR", "tele/S05/+"]
    assert device_topics("S09/events/rpc", "shelly", "S09") == ["S09/events/rpc", "S09/online", "S09/status/+"]
    assert device_topics("S05/tele/SENSOR", "tasmota", "S05") == ["S05/tele/SENSOR", "S05/tele/+"]
    assert device_topics("S05/SENSOR", "tasmota", "S05") == ["S05/SENSOR", "S05/+"]
    assert device_topics("shellies/ht-1/sensor/temperature", "shelly", "S13") == [
        "shellies/ht-1/sensor/temperature", "shellies/ht-1/sensor/+", "shellies/ht-1/online"]
    assert device_topics("v3/demo_hall@ttn/devices/S07/up", "ttn", "S07") == ["v3/demo_hall@ttn/devices/S07/up"]


def test_files_cover_every_sensor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert_dir = tmp_path / "certs"
    made = make_certs(cert_dir, ["localhost"])
    out = tmp_path / "conf"
    rc = broker_config_main(["--scene", str(SCENE), "--out", str(out), "--port", "18883",
                             "--cafile", str(made.ca), "--certfile", str(made.cert), "--keyfile", str(made.key)])
    assert rc == 0, capsys.readouterr().err
    scene = load_scene(SCENE)
    creds = read_credentials(out)
    assert set(creds) == {s.id for s in scene.sensors} | {BRIDGE_USER}
    assert len({pw for pw, _ in creds.values()}) == len(creds)  # all different
    assert all(len(pw) >= 32 for pw, _ in creds.values())
    hashes = dict(line.split(":", 1) for line in (out / "passwd").read_text().splitlines())
    service = dict(line.split(":", 1) for line in (out / "passwd-service").read_text().splitlines())
    assert set(hashes) == set(creds) - {BRIDGE_USER} and set(service) == {BRIDGE_USER}  # apart: see below
    assert all(check_mosquitto_hash({**hashes, **service}[u], pw) for u, (pw, _) in creds.items())
    for name in ("device-credentials.csv", "passwd", "passwd-service", "bridge.env"):
        assert (out / name).stat().st_mode & 0o777 == 0o600
    acl = (out / "acl").read_text()
    for s in scene.sensors:
        assert f"user {s.id}\ntopic write {s.topic}\n" in acl
        assert creds[s.id][1] == s.topic
    assert BRIDGE_USER not in acl
    assert f"user {BRIDGE_USER}\ntopic read #\ntopic write relic-twin/demo_hall/alerts/#" in (out / "acl-service").read_text()
    conf = (out / "mosquitto.conf").read_text()
    # two listeners: devices (client id forced to the user name) and the service (its account only)
    device_part, service_part = conf.split("listener 18884")
    for line in ("per_listener_settings true", "listener 18883", "allow_anonymous false", f"password_file {out}/passwd",
                 f"acl_file {out}/acl", "use_username_as_clientid true", f"cafile {made.ca}", f"certfile {made.cert}",
                 f"keyfile {made.key}", "tls_version tlsv1.2"):
        assert line in device_part.splitlines(), line
    for line in ("allow_anonymous false", f"password_file {out}/passwd-service", f"acl_file {out}/acl-service",
                 "tls_version tlsv1.2", "persistence true"):
        assert line in service_part.splitlines(), line
    assert "use_username_as_clientid true" not in service_part
    assert ":18884\n" in (out / "bridge.env").read_text()
    # the sessions' queues hold a week of every sensor at one message a minute, at least 200 000
    assert f"max_queued_messages {max(200_000, len(scene.sensors) * 1440 * 7)}" in conf.splitlines()
    # a second run would silently change every device's password: refused without --force
    again = ["--scene", str(SCENE), "--out", str(out), "--make-certs"]
    assert broker_config_main(again) == 2
    assert "--force" in capsys.readouterr().err
    assert read_credentials(out) == creds


def test_bad_input_is_refused_with_exit_1_a_missing_option_with_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert broker_config_main(["--scene", str(SCENE), "--out", str(tmp_path / "a")]) == 2  # no certificates
    err = capsys.readouterr().err
    assert "--make-certs" in err and "证书" in err
    assert broker_config_main(["--scene", str(tmp_path / "nowhere"), "--out", str(tmp_path / "b"),
                               "--make-certs"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert broker_config_main(["--scene", str(SCENE), "--out", str(tmp_path / "c"), "--cafile", "x",
                               "--certfile", "y", "--keyfile", "z"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "c" / "passwd").exists()


def test_cryptography_certificates_verify(tmp_path: Path) -> None:
    made = make_certs(tmp_path, ["localhost", "127.0.0.1"], engine="cryptography")
    ctx = ssl.create_default_context(cafile=str(made.ca))
    ctx.load_cert_chain(made.cert, made.key)  # the key belongs to the certificate
    assert made.key.stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------------- against a real Mosquitto


@dataclass
class SecureBroker:
    out: Path
    port: int
    service_port: int
    creds: dict[str, tuple[str, str]]
    ca: Path
    proc: subprocess.Popen[bytes]
    log: Path
    host: str = "127.0.0.1"


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto binary not installed")
    out = tmp_path_factory.mktemp("broker") / "conf"
    port, service_port = free_port(), free_port()
    rc = broker_config_main(["--scene", str(SCENE), "--out", str(out), "--port", str(port), "--bind", "127.0.0.1",
                             "--service-port", str(service_port),
                             "--make-certs", "--host", "127.0.0.1", "--host", "localhost",
                             # started as root, mosquitto would drop to user "mosquitto", who cannot read 0600 files
                             "--user", getpass.getuser()])
    assert rc == 0
    log = out / "mosquitto.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([binary, "-c", str(out / "mosquitto.conf")], stdout=fh, stderr=subprocess.STDOUT)
    broker = SecureBroker(out, port, service_port, read_credentials(out), out / "certs" / "ca.crt", proc, log)
    deadline = time.monotonic() + 10
    while True:
        if proc.poll() is not None:
            pytest.fail(f"mosquitto exited {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"mosquitto did not listen: {log.read_text(errors='replace')}")
            time.sleep(0.05)
    try:
        yield broker
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Client:
    """A paho 2.x client over TLS, recording what happens to it."""

    client: object
    connected: threading.Event = field(default_factory=threading.Event)
    connack: list[object] = field(default_factory=list)
    subscribed: threading.Event = field(default_factory=threading.Event)
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    got: threading.Condition = field(default_factory=threading.Condition)
    pubacks: dict[int, object] = field(default_factory=dict)

    def wait_for(self, topic: str, payload: bytes, timeout: float = 5.0) -> bool:
        with self.got:
            return self.got.wait_for(lambda: (topic, payload) in self.messages, timeout)

    def close(self) -> None:
        c = self.client
        c.disconnect()  # type: ignore[attr-defined]
        c.loop_stop()  # type: ignore[attr-defined]
        # paho closes its wake-up socket pair only in __del__; our callbacks keep the client in a
        # reference cycle, so the sockets could be collected first and warn (ResourceWarning)
        c._reset_sockets()  # type: ignore[attr-defined]


def connect(broker: SecureBroker, user: str | None, password: str | None, *, tls: bool = True,
            v5: bool = True, wait: float = 5.0, service: bool = False, client_id: str | None = None) -> Client:
    """A client of ``broker``'s device listener, or with ``service`` of its service listener."""
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"t-{user}-{time.monotonic_ns()}",
                    protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
    rec = Client(c)
    if user is not None:
        c.username_pw_set(user, password)
    if tls:
        c.tls_set(ca_certs=str(broker.ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)

    def on_connect(_c, _u, _flags, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        rec.connack.append(reason_code)
        rec.connected.set()

    def on_subscribe(*_a: object) -> None:
        rec.subscribed.set()

    def on_message(_c, _u, msg) -> None:  # type: ignore[no-untyped-def]
        with rec.got:
            rec.messages.append((msg.topic, bytes(msg.payload)))
            rec.got.notify_all()

    def on_publish(_c, _u, mid, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        rec.pubacks[mid] = reason_code

    c.on_connect, c.on_subscribe, c.on_message, c.on_publish = on_connect, on_subscribe, on_message, on_publish
    c.reconnect_delay_set(5, 5)  # a refused client must not retry within the test
    # connect_async before loop_start: connect() then loop_start() leaks paho's first wake-up socket pair
    c.connect_async(broker.host, broker.service_port if service else broker.port, keepalive=10)
    c.loop_start()
    rec.connected.wait(wait)
    return rec


def ok(rec: Client) -> bool:
    return bool(rec.connack) and not rec.connack[0].is_failure  # type: ignore[attr-defined]


@pytest.fixture
def bridge_sub(secure_broker: SecureBroker) -> Iterator[Client]:
    """The bridge's account, subscribed to every topic."""
    sub = connect(secure_broker, BRIDGE_USER, secure_broker.creds[BRIDGE_USER][0], service=True)
    assert ok(sub), (sub.connack, secure_broker.log.read_text(errors="replace"))
    sub.client.subscribe("#", qos=1)  # type: ignore[attr-defined]
    assert sub.subscribed.wait(5)
    yield sub
    sub.close()


def test_device_publishes_its_own_topic(secure_broker: SecureBroker, bridge_sub: Client) -> None:
    """The generated PBKDF2 hash is accepted and a device's own topics reach the bridge."""
    pw, topic = secure_broker.creds["S01"]
    dev = connect(secure_broker, "S01", pw)
    try:
        assert ok(dev), (dev.connack, secure_broker.log.read_text(errors="replace"))
        info = dev.client.publish(topic, b'{"temperature": 21.5}', qos=1)  # type: ignore[attr-defined]
        info.wait_for_publish(5)
        assert bridge_sub.wait_for(topic, b'{"temperature": 21.5}')
        assert not dev.pubacks[info.mid].is_failure  # type: ignore[attr-defined]
    finally:
        dev.close()
    # a companion topic of its convention: Zigbee2MQTT availability for S02 (an MQTT 3.1.1 device)
    pw2, topic2 = secure_broker.creds["S02"]
    z2m = connect(secure_broker, "S02", pw2, v5=False)
    try:
        assert ok(z2m)
        z2m.client.publish(f"{topic2}/availability", b'{"state":"online"}', qos=0)  # type: ignore[attr-defined]
        assert bridge_sub.wait_for(f"{topic2}/availability", b'{"state":"online"}')
    finally:
        z2m.close()


def test_device_cannot_publish_on_another_devices_topic(secure_broker: SecureBroker, bridge_sub: Client) -> None:
    pw, own = secure_broker.creds["S01"]
    other = secure_broker.creds["S02"][1]
    dev = connect(secure_broker, "S01", pw)
    try:
        assert ok(dev)
        forged1 = dev.client.publish(other, b"forged-qos1", qos=1)  # type: ignore[attr-defined]
        dev.client.publish(other, b"forged-qos0", qos=0)  # type: ignore[attr-defined]
        dev.client.publish("relic-twin/demo_hall/alerts/x", b"forged-alert", qos=0)  # type: ignore[attr-defined]
        forged1.wait_for_publish(5)
        # MQTT 5 lets Mosquitto (2.0+) say why: PUBACK "Not authorized" (0x87); QoS 0 is dropped silently
        code = dev.pubacks.get(forged1.mid)
        assert code is not None and code.value == 0x87, code  # type: ignore[attr-defined]
        # a marker on its own topic, sent after the forgeries, arrives: they had every chance to
        marker = dev.client.publish(own, b"marker", qos=1)  # type: ignore[attr-defined]
        marker.wait_for_publish(5)
        assert bridge_sub.wait_for(own, b"marker")
        time.sleep(1.0)
        assert [m for m in bridge_sub.messages if m[1].startswith(b"forged")] == []
    finally:
        dev.close()


def test_wrong_password_is_refused(secure_broker: SecureBroker) -> None:
    pw, _ = secure_broker.creds["S01"]
    for user, password in (("S01", pw + "x"), ("S01", secure_broker.creds["S02"][0]), ("nobody", pw), (None, None)):
        rec = connect(secure_broker, user, password)
        try:
            assert rec.connected.is_set(), "the broker answered the CONNECT"
            assert rec.connack[0].is_failure, (user, rec.connack)  # type: ignore[attr-defined]
            assert rec.connack[0].value in (0x86, 0x87), rec.connack  # bad user name or password / not authorized
        finally:
            rec.close()


def test_plain_connection_to_tls_port_fails(secure_broker: SecureBroker) -> None:
    """Without TLS the CONNECT is not a TLS handshake: the broker drops it, no CONNACK ever comes."""
    pw, _ = secure_broker.creds["S01"]
    rec = connect(secure_broker, "S01", pw, tls=False, wait=1.5)
    try:
        assert not ok(rec)
    finally:
        rec.close()


def test_queue_limit_holds_the_days_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Mosquitto drops what a session's queue holds beyond max_queued_messages: sized from the scene."""
    assert queue_limit(50) == 504_000  # 50 sensors x 1 440 a day x 7 days: a week of the hub benchmark's halls
    assert queue_limit(50, days=1) == 200_000 and queue_limit(1) == 200_000  # never below the floor
    assert queue_limit(500, days=2.5) == 1_800_000
    n = len(load_scene(SCENE).sensors)
    out = tmp_path / "conf"
    assert broker_config_main(["--scene", str(SCENE), "--out", str(out), "--make-certs", "--queue-days", "60"]) == 0
    conf = (out / "mosquitto.conf").read_text().splitlines()
    assert f"max_queued_messages {max(200_000, n * 1440 * 60)}" in conf
    for bad in ("0", "-1", "400"):
        assert broker_config_main(["--scene", str(SCENE), "--out", str(tmp_path / bad), "--make-certs",
                                   "--queue-days", bad]) == 2
        assert "--queue-days" in capsys.readouterr().err
