"""A museum the hub does not hold yet: its readings are held and listed, never lost, and stored once an
admin registers it (``hub ingest``'s registrar, :mod:`bridge.hub.registrar`), on a real Mosquitto and
PostgreSQL, counted exactly."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fixtures_api import FAST, PASSWORD, SECRET
from fixtures_broker import MosquittoBroker, Publisher, mosquitto_binary
from fixtures_db import empty_pg
from test_site_serve import make_site

from bridge.api import ApiSettings, create_app
from bridge.api.auth import hash_password
from bridge.api.server import ThreadedServer
from bridge.cli.hub import load_sites
from bridge.hub.decode import HubDecoder, hub_topic
from bridge.hub.registrar import REASON_PREFIX, Registrar, release, release_registered, unregistered
from bridge.readings import Rejection
from bridge.store import Store
from bridge.store import service_queries as q

ROOT = Path(__file__).resolve().parents[1]
T0 = 1767225600  # 2026-01-01T00:00:00Z


def _numbered(site: str, start: int, n: int) -> list[tuple[str, bytes]]:
    """Reading k of ``site``: sensor S(k % 12) of hall_1 at T0 + k s; (sensor, time) numbers it."""
    return [(hub_topic(site, f"relic-twin/hall_1/S{k % 12 + 1:02d}"),
             json.dumps({"time": T0 + k, "temperature": 20.0 + k % 5}).encode()) for k in range(start, start + n)]


def _until(check, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


class HubIngest:
    """``relic-twin hub ingest`` as a user runs it, its output read line by line."""

    def __init__(self, sites: Path, db: str, port: int) -> None:
        cmd = [sys.executable, "-m", "twin_engine.cli", "hub", "ingest", "--sites", str(sites), "--db", db,
               "--broker", f"mqtt://127.0.0.1:{port}", "--workers", "1"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 90.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.proc.poll() is None, f"hub ingest exited: {self.seen}"
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in {self.seen}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self._reader.join(10)  # it reads to the end of the output, then the pipe is closed
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    empty_pg(pg_server_url)
    return pg_server_url


def test_an_unregistered_museum_is_held_listed_and_stored_once_registered(tmp_path: Path, pg_url: str) -> None:
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto binary not installed")
    (tmp_path / "broker").mkdir()
    broker = MosquittoBroker(binary, tmp_path / "broker")
    broker.start()
    sites = tmp_path / "sites"
    make_site(sites / "museum_a", halls=("hall_1",))  # museum_b reports, but is not registered yet
    Store.open(url=pg_url).close()
    hub = HubIngest(sites, pg_url, broker.port)
    pub = Publisher(broker.host, broker.port, client_id="two-museums")
    store = Store.open(url=pg_url)
    try:
        hub.wait_for("registrar on relic-hub/#")
        # 1. both museums report: a's readings are stored, b's 200 are held in quarantine and counted
        msgs = _numbered("museum_a", 0, 300) + _numbered("museum_b", 0, 200)
        msgs.append(("relic-hub/museum_b", b'{"temperature": 1}'))  # names a site but no topic under it
        pub.publish(msgs)
        assert pub.wait_acked(len(msgs), 30)
        assert _until(lambda: store.count_readings(site="museum_a") == 300 and store.count_quarantine() == 201
                      and sum(r.messages for r in unregistered(store)) == 200)
        assert store.count_readings(site="museum_b") == 0
        held = [r for r in store.quarantine(limit=500) if r.reason.startswith(REASON_PREFIX)]
        assert len(held) == 200 and {r.source.split("/")[1] for r in held} == {"museum_b"}
        assert "'museum_b'" in held[0].reason and "--sites" in held[0].reason and "登记" in held[0].reason
        (row,) = unregistered(store)
        assert (row.site, row.messages, row.released, row.registered_at_us) == ("museum_b", 200, 0, None)
        assert row.topic.startswith("relic-hub/museum_b/relic-twin/hall_1/")
        # the hub's admins see it listed; a museum's own users do not
        app = create_app(store, ApiSettings(data_dir=tmp_path / "api", secret=SECRET, password_hasher=FAST),
                         sites=load_sites(sites))
        q.add_user(store, "hub_admin", "admin", hash_password(PASSWORD, FAST))
        q.add_user(store, "curator_a", "curator", hash_password(PASSWORD, FAST), site="museum_a")
        with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
            def token(user: str) -> dict[str, str]:
                r = c.post("/api/auth/token", json={"username": user, "password": PASSWORD})
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            listed = c.get("/api/hub/unregistered", headers=token("hub_admin")).json()
            assert [(d["site"], d["messages"], d["in_sites"]) for d in listed] == [("museum_b", 200, False)]
            assert "--sites" in listed[0]["how"]["en"] and listed[0]["how"]["zh"]
            assert c.get("/api/hub/unregistered", headers=token("curator_a")).status_code == 403

        # 2. the hub stops; both museums go on (b's are queued for the registrar alone: no worker has b)
        hub.stop()
        more = _numbered("museum_a", 300, 50) + _numbered("museum_b", 200, 100)
        pub.publish(more)
        assert pub.wait_acked(len(msgs) + len(more), 30)

        # 3. an admin registers museum_b and restarts the ingest: what waited is stored, each once
        make_site(sites / "museum_b", halls=("hall_1",))
        hub = HubIngest(sites, pg_url, broker.port)
        assert "museum_b: 200 held messages stored" in hub.wait_for("registered site museum_b")
        hub.wait_for("registrar on relic-hub/#")
        after = _numbered("museum_b", 300, 40)
        pub.publish(after)
        assert pub.wait_acked(len(msgs) + len(more) + len(after), 30)
        assert _until(lambda: store.count_readings(site="museum_b") == 340 and store.count_readings(
            site="museum_a") == 350)
        time.sleep(1.0)  # any duplicate still in flight lands, and is skipped
        assert store.count_readings(site="museum_b") == 340 and store.count_readings(site="museum_a") == 350
        assert store.count_quarantine() == 1  # only the message that named no topic
        for site, n in (("museum_a", 350), ("museum_b", 340)):
            times = set()
            for k in range(12):
                s = store.series(f"S{k + 1:02d}", "temperature", datetime.fromtimestamp(T0, UTC),
                                 datetime.fromtimestamp(T0 + 1000, UTC), hall="hall_1", site=site)
                times |= {int(t.astype("datetime64[s]").astype(int)) - T0 for t in s.times}
            assert times == set(range(n)), site  # every numbered reading, once
        (row,) = unregistered(store, include_registered=True)
        assert (row.site, row.messages, row.released) == ("museum_b", 200, 200) and row.registered_at_us
        assert unregistered(store) == []
    finally:
        pub.close()
        hub.stop()
        store.close()
        broker.stop(signal.SIGKILL)


def test_the_registrar_holds_unregistered_sites_and_leaves_registered_ones_to_their_worker(tmp_path: Path) -> None:
    at = datetime.fromtimestamp(T0, UTC)
    reg = Registrar({"museum_a"}, HubDecoder(), nonce="n1")
    topic, payload = _numbered("museum_a", 0, 1)[0]
    # before its start marker comes back, a registered site's message is stored by the registrar too
    assert [r.site for r in reg(None, topic, payload, at).readings] == ["museum_a"]
    assert reg(None, "relic-hub//registrar/old", b"", at).readings == [] and not reg.marker_seen.is_set()
    reg(None, "relic-hub//registrar/n1", b"", at)
    assert reg.marker_seen.is_set()
    d = reg(None, topic, payload, at)  # now its worker has it
    assert d.readings == [] and d.rejections == []
    b_topic, b_payload = _numbered("museum_b", 0, 1)[0]
    d = reg(None, b_topic, b_payload, at)
    assert d.readings == [] and [j.reason.startswith(REASON_PREFIX) for j in d.rejections] == [True]
    with Store.open(url=f"sqlite:///{tmp_path / 'hub.sqlite'}") as store:
        store.write_batch([], d.rejections + [Rejection("relic-hub/museum_bb/x", b"{}", at, "other")])
        reg.after_commit(store)
        assert [(r.site, r.messages) for r in unregistered(store)] == [("museum_b", 1)]
        # released with the site's scenes: decoded as its worker decodes, and counted
        assert release_registered(store, {"museum_a": None}, HubDecoder()) == {}  # b is not registered yet
        assert release_registered(store, {"museum_b": None}, HubDecoder()) == {"museum_b": 1}
        assert store.count_readings(site="museum_b") == 1 and store.count_quarantine() == 1  # museum_bb's stays
        assert unregistered(store) == [] and unregistered(store, True)[0].released == 1
        assert release(store, "museum_b", HubDecoder()) == 0  # nothing held twice
