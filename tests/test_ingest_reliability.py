"""Nothing acknowledged is lost: 10 000 QoS 1 readings through a real Mosquitto, with crashes.

Each test publishes distinct readings (one per message), breaks something
midway, and asserts the store ends with EXACTLY the published readings:
no loss (acknowledge-after-commit, persistent session) and no duplicates
(unique on sensor, quantity, time, though the broker redelivers).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fixtures_broker import MosquittoBroker, Publisher, native_messages

from bridge.ingest.ingestor import Ingestor, IngestSettings, Subscription
from bridge.store import Store

N = 10_000
WORKER = Path(__file__).with_name("ingest_worker.py")
REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_count(store: Store, n: int, timeout: float = 60.0) -> None:
    wait_for(lambda: store.count_readings() >= n, timeout, f"{n} stored readings (have {store.count_readings()})")


class Worker:
    """The ingestor in its own process (tests/ingest_worker.py)."""

    def __init__(self, broker: MosquittoBroker, db_url: str, workdir: Path, **extra: object) -> None:
        self.ready = workdir / f"ready-{time.monotonic_ns()}"
        self.ack_log = workdir / "acked.log"
        cmd = [sys.executable, str(WORKER), "--broker", f"mqtt://127.0.0.1:{broker.port}", "--db", db_url]
        cmd += ["--ready", str(self.ready), "--ack-log", str(self.ack_log)]
        for key, value in extra.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        self.log = workdir / f"worker-{time.monotonic_ns()}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.ready.exists() or self.proc.poll() is not None, 60, "the ingest worker to subscribe")
        if self.proc.poll() is not None:
            raise AssertionError(f"ingest worker died: {self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)

    def acked(self) -> set[tuple[str, int]]:
        if not self.ack_log.exists():
            return set()
        lines = self.ack_log.read_text().splitlines()
        return {(s, int(t)) for s, t in (line.split() for line in lines if line.count(" ") == 1)}


def publish_in_thread(pub: Publisher, messages, pause_at=None) -> threading.Thread:
    t = threading.Thread(target=pub.publish, args=(messages, pause_at), daemon=True)
    t.start()
    return t


def test_broker_restart_midway_loses_nothing(mosquitto_broker: MosquittoBroker, tmp_path: Path) -> None:
    store = Store.open(url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    ingestor = Ingestor(
        store, ("127.0.0.1", mosquitto_broker.port), [Subscription("relic-twin/#", "native")], client_id="reliab-1"
    ).start()
    pub = Publisher("127.0.0.1", mosquitto_broker.port)
    half = threading.Event()
    thread = publish_in_thread(pub, native_messages(N), {N // 2: half})
    try:
        assert pub.wait_acked(N // 2, 60)
        mosquitto_broker.restart(signal.SIGTERM)  # Mosquitto writes its queue to disk on SIGTERM
        half.set()
        thread.join(60)
        assert pub.wait_acked(N, 60), f"publisher got {pub.acked} of {N} PUBACKs"
        wait_count(store, N)
        assert ingestor.drain(30)
        time.sleep(0.3)  # any straggling redelivery has landed
        assert store.count_readings() == N
        assert ingestor.stats.connects >= 2
        assert ingestor.stats.stored == N
        assert ingestor.stats.rejections == 0
    finally:
        pub.close()
        ingestor.stop()
        store.close()


def test_bridge_sigkill_midway_loses_nothing(mosquitto_broker: MosquittoBroker, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    worker = Worker(mosquitto_broker, db, tmp_path)
    store = Store.open(url=db)
    pub = Publisher("127.0.0.1", mosquitto_broker.port)
    thread = publish_in_thread(pub, native_messages(N))
    try:
        wait_count(store, N // 3)
        worker.kill()
        before = store.count_readings()
        assert before < N, "the bridge was killed after it had everything: the test proves nothing"
        worker = Worker(mosquitto_broker, db, tmp_path)
        thread.join(60)
        assert pub.wait_acked(N, 60)
        wait_count(store, N)
        time.sleep(0.3)
        assert store.count_readings() == N
    finally:
        pub.close()
        worker.stop()
        store.close()


def stored_keys(db_url: str) -> set[tuple[str, int]]:
    """(sensor, time_us) of every stored reading, read with the database's own driver (no store code)."""
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return {(s, int(t)) for s, t in conn.execute("SELECT sensor, time_us FROM reading")}
    import psycopg

    with psycopg.connect("postgresql://" + db_url.split("://", 1)[1], connect_timeout=5) as conn:
        return {(s, int(t)) for s, t in conn.execute("SELECT sensor, time_us FROM reading")}


def test_sigkill_during_batch_write_keeps_every_acked_reading(
    mosquitto_broker: MosquittoBroker, database_url: str, tmp_path: Path
) -> None:
    n = 3000
    paused = tmp_path / "paused"
    with Store.open(url=database_url):
        pass  # create the schema before two processes race to
    pub = Publisher("127.0.0.1", mosquitto_broker.port)
    # the worker stops inside its 5th batch transaction (rows inserted, COMMIT not yet issued)
    worker = Worker(mosquitto_broker, database_url, tmp_path, batch_size=200, pause_at_commit=5, paused=paused)
    thread = publish_in_thread(pub, native_messages(n))
    try:
        wait_for(paused.exists, 60, "the worker to pause inside a batch write")
        worker.kill()
        acked = worker.acked()
        assert len(acked) > 0
        rows = stored_keys(database_url)  # opens cleanly (SQLite: integrity_check ok)
        assert acked <= rows, f"{len(acked - rows)} acknowledged readings missing"
        assert len(rows) < n
        with Store.open(url=database_url) as store:
            assert store.count_readings() == len(rows)
            # restart: the unacknowledged rest is redelivered, and nothing twice
            worker = Worker(mosquitto_broker, database_url, tmp_path)
            thread.join(60)
            assert pub.wait_acked(n, 60)
            wait_count(store, n)
            time.sleep(0.3)
            assert store.count_readings() == n
            assert len(stored_keys(database_url)) == n
    finally:
        pub.close()
        worker.stop()


def test_batched_ingest_uses_few_commits(mosquitto_broker: MosquittoBroker, tmp_path: Path) -> None:
    """Group commit: with messages queued at the broker, batches fill up to batch_size."""
    n = 2000
    store = Store.open(url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    subs = [Subscription("relic-twin/#", "native")]
    address = ("127.0.0.1", mosquitto_broker.port)
    # subscribe once (persistent session), go away, let the messages queue up
    Ingestor(store, address, subs, client_id="reliab-4").start().stop()
    pub = Publisher("127.0.0.1", mosquitto_broker.port)
    pub.publish(native_messages(n))
    assert pub.wait_acked(n, 60)
    ingestor = Ingestor(store, address, subs, client_id="reliab-4", settings=IngestSettings(batch_size=500)).start()
    try:
        wait_count(store, n)
        assert ingestor.drain(10)
        assert store.count_readings() == n
        assert ingestor.stats.batches <= n / 50, f"{ingestor.stats.batches} commits for {n} readings"
    finally:
        pub.close()
        ingestor.stop()
        store.close()
