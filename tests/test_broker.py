"""The demo's broker: the configured one if it answers MQTT, else a local one on a free port.

Issue 2: "the demo never fails because port 1883 is taken". A port held by something that
is not an MQTT broker must not stop it. (The embedded amqtt fallback is left out here: amqtt
leaks the stream of a bare TCP probe, which ``-W error`` turns into a failure at a random
later test.)
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from bridge.config import BrokerAddress
from bridge.mqtt.broker import ensure_broker, mqtt_answers


@pytest.mark.skipif(not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()),
                    reason="mosquitto not installed")
def test_a_port_taken_by_something_else_gets_a_local_broker_elsewhere(tmp_path) -> None:
    with socket.socket() as squatter:  # listens, never speaks MQTT
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = BrokerAddress("127.0.0.1", squatter.getsockname()[1])
        assert not mqtt_answers(taken, timeout=0.5)
        broker = ensure_broker(taken, workdir=tmp_path)
        try:
            assert broker.kind == "mosquitto" and broker.address.port != taken.port
            assert mqtt_answers(broker.address)
            assert ensure_broker(broker.address).kind == "external"  # now it answers: used as it is
        finally:
            broker.stop()
