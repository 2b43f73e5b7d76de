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

import shutil
import signal
import socket
import subprocess
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
