"""An MQTT broker for the demo and the tests.

:func:`ensure_broker` uses the configured broker when it answers an MQTT
CONNECT, and otherwise starts one on a free local port: Mosquitto when it
is installed, an embedded Python broker (amqtt) when it is not. The demo
therefore never fails because port 1883 is taken or nothing listens there.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt

from bridge.config import BrokerAddress


class BrokerError(RuntimeError):
    """A broker could not be reached or started."""


@dataclass
class BrokerHandle:
    """A running (or external) broker; :meth:`stop` ends one we started."""

    address: BrokerAddress
    kind: str  # "external" | "mosquitto" | "embedded"
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _stop: asyncio.Event | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.address.url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()  # the pipe kept for start-up errors
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            if self._thread is not None:
                self._thread.join(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mqtt_answers(address: BrokerAddress, timeout: float = 2.0) -> bool:
    """True when an MQTT broker accepts a CONNECT at ``address`` within ``timeout`` s."""
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            pass
    except OSError:
        return False
    done = threading.Event()
    ok: list[bool] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"relic-twin-probe-{time.monotonic_ns()}")
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()

    def on_connect(c, userdata, flags, reason_code, properties):  # noqa: ANN001
        ok.append(not reason_code.is_failure)
        done.set()

    client.on_connect = on_connect
    try:
        client.connect(address.host, address.port, keepalive=10)
        client.loop_start()
        done.wait(timeout)
    except (OSError, ValueError):
        return False
    finally:
        client.loop_stop()
        client.disconnect()
    return bool(ok and ok[0])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"broker on {host}:{port} did not start within {timeout:.0f} s")


def start_mosquitto(port: int | None = None, workdir: Path | None = None, extra_conf: str = "") -> BrokerHandle:
    """Start Mosquitto on ``port`` (a free one by default) with persistence in ``workdir``."""
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if exe is None:
        raise BrokerError("mosquitto is not installed")
    port = port or free_port()
    workdir = Path(workdir or tempfile.mkdtemp(prefix="relic-twin-mosquitto-"))
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {workdir}/\nautosave_interval 1\nmax_queued_messages 1000000\n"
        f"max_inflight_messages 0\n{extra_conf}"
    )
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port("127.0.0.1", port)
    except BrokerError:
        proc.kill()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise BrokerError(f"mosquitto did not start on port {port}: {err.strip()}") from None
    return BrokerHandle(BrokerAddress("127.0.0.1", port), "mosquitto", process=proc, workdir=workdir)


def start_embedded(port: int | None = None) -> BrokerHandle:
    """Start the pure-Python amqtt broker in a background thread."""
    from amqtt.broker import Broker

    port = port or free_port()
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "sys_interval": 0,
        "auth": {"allow-anonymous": True},
        "topic-check": {"enabled": False},
    }
    ready = threading.Event()
    errors: list[BaseException] = []
    handle = BrokerHandle(BrokerAddress("127.0.0.1", port), "embedded")

    def run() -> None:
        loop = asyncio.new_event_loop()
        handle._loop = loop
        stop = asyncio.Event()
        handle._stop = stop

        async def main() -> None:
            broker = Broker(config)
            try:
                await broker.start()
            except BaseException as exc:  # reported to the caller below
                errors.append(exc)
                ready.set()
                return
            ready.set()
            await stop.wait()
            await broker.shutdown()

        loop.run_until_complete(main())
        loop.close()

    handle._thread = threading.Thread(target=run, name="embedded-broker", daemon=True)
    handle._thread.start()
    ready.wait(10)
    if errors:
        raise BrokerError(f"embedded broker failed on port {port}: {errors[0]}") from errors[0]
    wait_for_port("127.0.0.1", port)
    return handle


def ensure_broker(address: BrokerAddress, workdir: Path | None = None, allow_start: bool = True) -> BrokerHandle:
    """The broker at ``address`` if it answers, else a local one on a free port."""
    if mqtt_answers(address):
        return BrokerHandle(address, "external")
    if not allow_start:
        raise BrokerError(f"no MQTT broker answers at {address.url}")
    try:
        return start_mosquitto(workdir=workdir)
    except BrokerError:
        return start_embedded()
