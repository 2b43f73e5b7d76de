"""A real Mosquitto broker started by the test, on a free port, with persistence.

``mosquitto_broker`` starts ``mosquitto -c <tmp conf>`` listening on
127.0.0.1 at a free port, its persistence file in the test's tmp dir, so a
test can kill it and start it again on the same port with its queued
messages. Skips when the ``mosquitto`` binary is missing.

The configuration raises two limits the ingest path depends on (the
defaults would drop messages, not lose acknowledged ones):
``max_queued_messages`` (default 1000 per client: a persistent session
offline longer than that would lose the rest) and ``max_inflight_messages``
(default 20 unacknowledged messages per client: with manual
acknowledgement this caps the ingest batch size).
"""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MOSQUITTO_CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in MOSQUITTO_CANDIDATES if Path(p).exists()), None)


class MosquittoBroker:
    """One mosquitto process, restartable on the same port with the same persistence."""

    def __init__(self, binary: str, workdir: Path, port: int | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.conf = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    # started as root, mosquitto drops to user "mosquitto", which cannot
                    # write the 0700 tmp dir: persistence and log would fail silently
                    f"user {getpass.getuser()}",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {workdir}/",
                    "persistence_file mosquitto.db",
                    "max_queued_messages 200000",
                    "max_inflight_messages 1000",
                    f"log_dest file {self.log}",
                    "log_type error",
                    "log_type warning",
                    "",
                ]
            )
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {self.log_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the broker with ``sig`` (SIGTERM saves its persistence file; SIGKILL does not)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM) -> None:
        """Stop and start again on the same port with the same persistence."""
        self.stop(sig)
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def mosquitto_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A running Mosquitto on a free port (``.host``, ``.port``, ``.restart()``, ``.stop()``)."""
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto binary not installed")
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    broker = MosquittoBroker(binary, workdir)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop(signal.SIGKILL)


class Publisher:
    """A QoS 1 publisher that keeps every unacknowledged message and resends it after a reconnect.

    ``acked`` counts PUBACKs received; :meth:`wait_acked` blocks until all arrived.
    """

    def __init__(self, host: str, port: int, client_id: str = "test-publisher") -> None:
        import paho.mqtt.client as mqtt

        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.05, 0.5)
        self.acked = 0
        self.published = 0
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect(host, port, keepalive=10)
        self.client.loop_start()

    def _on_publish(self, *_args: object) -> None:
        with self._lock:
            self.acked += 1

    def publish(self, messages: list[tuple[str, bytes]], pause_at: dict[int, threading.Event] | None = None) -> None:
        """Publish ``(topic, payload)`` at QoS 1; before message i in ``pause_at``, wait for its event."""
        for i, (topic, payload) in enumerate(messages):
            if pause_at and i in pause_at:
                pause_at[i].wait(30)
            self.client.publish(topic, payload, qos=1)
            self.published += 1

    def wait_acked(self, n: int, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.acked >= n:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def native_messages(n: int, sensors: int = 10, hall: str = "hall") -> list[tuple[str, bytes]]:
    """``n`` native-JSON messages, each one distinct temperature reading (sensor i % sensors, time 2026-01-01 + i s)."""
    import json

    t0 = 1767225600  # 2026-01-01T00:00:00Z
    return [
        (
            f"relic-twin/{hall}/S{i % sensors:02d}",
            json.dumps({"time": t0 + i, "temperature": 15.0 + (i % 100) / 10}).encode(),
        )
        for i in range(n)
    ]
