"""The bridge ``broker-config --bridge-to mqtts://SITE:PASSWORD@hub`` writes, run for real: a museum's
Mosquitto forwards over TLS (the hub's CA, its host name checked) with its credentials into a hub
Mosquitto that has a password file and ``relic-twin hub acl``'s ACL. The museum's readings arrive,
each once, under its site; a museum writing under another museum's site is refused by the ACL, one
with a wrong password is never let in, and a plain connection to the TLS port gets nothing."""

from __future__ import annotations

import getpass
import json
import signal
import ssl
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fixtures_broker import MosquittoBroker, Publisher, free_port, mosquitto_binary

from bridge.hub.bridge_config import bridge_section, hub_acl
from bridge.mqtt.broker_config import Device, make_certs, passwd_text

T0 = 1767225600


def _hub_conf(hub: MosquittoBroker, certs) -> None:  # type: ignore[no-untyped-def]
    folder = hub.workdir
    accounts = [Device("", "county", "s3cret", "", ()), Device("", "other", "pw-other", "", ()),
                Device("", "hub_ingest", "svc-pw", "", ())]
    (folder / "passwd").write_text(passwd_text(accounts))
    (folder / "acl").write_text(hub_acl(service="hub_ingest"))
    hub.conf.write_text("\n".join([
        f"listener {hub.port} 127.0.0.1", f"cafile {certs.ca}", f"certfile {certs.cert}", f"keyfile {certs.key}",
        "tls_version tlsv1.2", "allow_anonymous false", f"password_file {folder / 'passwd'}",
        f"acl_file {folder / 'acl'}", f"user {getpass.getuser()}", "persistence true",
        f"persistence_location {folder}/", "max_queued_messages 200000", f"log_dest file {hub.log}",
        "log_type error", "log_type warning", "log_type notice", ""]))


def _museum(binary: str, folder: Path, site: str, url: str, ca: Path, hall: str) -> MosquittoBroker:
    folder.mkdir()
    broker = MosquittoBroker(binary, folder)
    with broker.conf.open("a") as fh:
        fh.write(bridge_section(site, url, [f"relic-twin/{hall}/+"], cafile=str(ca), restart_s=(1, 2),
                                client_id=f"museum-{folder.name}"))
    broker.start()
    return broker


def _numbered(hall: str, n: int) -> list[tuple[str, bytes]]:
    return [(f"relic-twin/{hall}/S{k % 5:02d}", json.dumps({"time": T0 + k, "temperature": 20.0}).encode())
            for k in range(n)]


def test_a_tls_bridge_with_credentials_forwards_and_the_acl_keeps_sites_apart(tmp_path: Path) -> None:
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto binary not installed")
    certs = make_certs(tmp_path / "certs", ["localhost", "127.0.0.1"])
    (tmp_path / "hub").mkdir()
    hub = MosquittoBroker(binary, tmp_path / "hub", port=free_port())
    _hub_conf(hub, certs)
    hub.start()
    got: list[str] = []
    lock = threading.Lock()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="hub-ingest-test")
    sub.username_pw_set("hub_ingest", "svc-pw")
    sub.tls_set(ca_certs=str(certs.ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    subscribed = threading.Event()
    sub.on_connect = lambda c, *_: c.subscribe("relic-hub/#", qos=1)
    sub.on_subscribe = lambda *_: subscribed.set()

    def on_message(_c, _u, msg) -> None:  # type: ignore[no-untyped-def]
        with lock:
            got.append(msg.topic)

    sub.on_message = on_message
    sub.connect("localhost", hub.port)
    sub.loop_start()
    museums: list[MosquittoBroker] = []
    try:
        assert subscribed.wait(10), hub.log_text()
        url = f"mqtts://{{}}@localhost:{hub.port}"
        museums.append(_museum(binary, tmp_path / "county", "county", url.format("county:s3cret"), certs.ca, "hall_a"))
        # "other" signs in with its own account but forwards under county's site: the ACL refuses it
        museums.append(_museum(binary, tmp_path / "rogue", "county", url.format("other:pw-other"), certs.ca, "hall_r"))
        # a wrong password is never let in
        museums.append(_museum(binary, tmp_path / "guess", "county", url.format("county:guess"), certs.ca, "hall_g"))
        pubs = [Publisher(m.host, m.port, client_id=f"sensors-{i}") for i, m in enumerate(museums)]
        for pub, hall in zip(pubs, ("hall_a", "hall_r", "hall_g"), strict=True):
            pub.publish(_numbered(hall, 50))
        for pub in pubs:
            assert pub.wait_acked(50, 20)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(got) >= 50:
                    break
            time.sleep(0.1)
        time.sleep(3.0)  # the refused bridges have had their retries (restart after 1-2 s)
        with lock:
            topics = list(got)
        assert len(topics) == 50, (len(topics), hub.log_text()[-2000:])
        assert sorted(topics) == sorted(f"relic-hub/county/{t}" for t, _ in _numbered("hall_a", 50))
        assert not any("hall_r" in t or "hall_g" in t for t in topics)
        # a client without TLS gets no connection to the hub's port at all
        plain = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="plain")
        plain.username_pw_set("county", "s3cret")
        accepted = threading.Event()
        plain.on_connect = lambda _c, _u, _f, rc, _p: rc.is_failure or accepted.set()
        plain.connect("127.0.0.1", hub.port, keepalive=5)
        plain.loop_start()
        assert not accepted.wait(3.0)
        plain.loop_stop()
        for pub in pubs:
            pub.close()
    finally:
        sub.loop_stop()
        sub.disconnect()
        for m in museums:
            m.stop(signal.SIGKILL)
        hub.stop(signal.SIGKILL)
