"""Start-up as it fails in a museum: a configured broker that does not answer is an error (only the
default falls back, and says so); a Mosquitto we start dies with its parent, even a killed one; a
taken feed port gives way to a free one; at --speed 3600 staleness is judged on the replay's rounds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixtures_broker import free_port

from bridge.config import BrokerAddress, Settings
from bridge.errors import BrokerError
from bridge.mqtt.broker import ensure_broker, mosquitto_binary_path
from bridge.readings import Reading
from bridge.sensors.fleet import FleetSettings
from bridge.twin import runtime
from bridge.twin.live import TwinState
from simulation.paths import scenes_dir
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]


def test_a_configured_broker_must_answer() -> None:
    nobody = BrokerAddress("127.0.0.1", free_port())
    with pytest.raises(BrokerError, match="does not answer") as err:
        ensure_broker(nobody, configured=True)
    assert "RELIC_TWIN_BROKER_URL" in str(err.value) and "无应答" in str(err.value)


def test_start_twin_with_a_dead_configured_broker_starts_nothing(tmp_path: Path) -> None:
    scene = load_scene(scenes_dir() / "demo_hall")
    settings = Settings(broker_url=f"mqtt://127.0.0.1:{free_port()}", data_dir=tmp_path, broker_configured=True)
    with pytest.raises(BrokerError):
        runtime.start_twin(scene, settings, on_status=lambda _: None)
    assert not (tmp_path / "relic-twin.sqlite").exists()  # it stopped before touching anything


@pytest.mark.skipif(mosquitto_binary_path() is None, reason="mosquitto is not installed")
def test_the_default_falls_back_says_so_and_a_failed_start_stops_the_broker(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    scene = load_scene(scenes_dir() / "demo_hall")
    settings = Settings(broker_url=f"mqtt://127.0.0.1:{free_port()}", database_url="mysql://nobody@nowhere/db",
                        data_dir=tmp_path)
    said: list[str] = []
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", spy)
    with pytest.raises(ValueError, match="unsupported database"):  # fails after the broker started
        runtime.start_twin(scene, settings, on_status=said.append, workdir=tmp_path / "mq")
    assert any("none is configured" in s and "本地代理" in s for s in said)
    assert started and all(p.poll() is not None for p in started)  # the broker it started is gone


@pytest.mark.skipif(mosquitto_binary_path() is None, reason="mosquitto is not installed")
def test_mosquitto_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from bridge.mqtt.broker import start_mosquitto
        handle = start_mosquitto(workdir={str(tmp_path / "mq")!r})
        print(handle.process.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())  # type: ignore[union-attr]
    os.kill(child, 0)  # running
    parent.send_signal(signal.SIGKILL)  # no finally, no atexit: only the kernel can tell the child
    parent.wait(10)
    parent.stdout.close()  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        try:  # reap it if it became ours (it is not: init adopts it)
            os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("mosquitto outlived its killed parent")


def test_a_taken_feed_port_gives_way_to_a_free_one(monkeypatch: pytest.MonkeyPatch) -> None:
    scene = load_scene(scenes_dir() / "demo_hall")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(runtime, "LOCAL_FEED_PORT", port)
        said: list[str] = []
        feed = runtime.feed_on(TwinState(scene), None, said.append)
        try:
            assert feed.port not in (0, port)
            assert any(f"port {port} is in use" in s and feed.url in s for s in said)
        finally:
            feed.stop()
        with pytest.raises(Exception, match="--feed-port 0"):
            runtime.feed_on(TwinState(scene), port, said.append)  # a port asked for by name: an error


def test_at_3600x_staleness_is_judged_on_the_replay_rounds() -> None:
    fast = runtime.freshness_for(FleetSettings(speed=3600.0, interval_s=1.0))
    assert fast.mains == timedelta(hours=3)  # three rounds of an hour of replay each
    assert runtime.freshness_for(FleetSettings(speed=60.0)).mains == timedelta(minutes=10)  # the wall-clock period
    scene = load_scene(scenes_dir() / "demo_hall")
    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    half_an_hour = Reading("S01", "temperature", now - timedelta(minutes=30), 20.0, "°C")
    assert TwinState(scene, clock=lambda: now, freshness=fast).is_stale(half_an_hour, now) is False
    assert TwinState(scene, clock=lambda: now).is_stale(half_an_hour, now) is True
