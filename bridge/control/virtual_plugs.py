"""Virtual smart plugs: the device side of each convention, for the demo and the end-to-end tests.

:func:`respond` is what a real plug's firmware does with a command message (pure);
:class:`VirtualPlug` runs it on a broker. A plug can be made ``dead`` (it hears but never
answers) to exercise the "actuator not responding" alarm.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from bridge.control import conventions

Message = tuple[str, bytes]


def command_topics(convention: str, topic: str) -> tuple[str, ...]:
    """Topics a device of ``convention`` at ``topic`` listens on."""
    return {
        "zigbee2mqtt": (f"{topic}/set",),
        "tasmota": (f"cmnd/{topic}/POWER",),
        "shelly_gen1": (f"shellies/{topic}/relay/0/command",),
        "shelly_gen2": (f"{topic}/rpc",),
        "ha": (f"{topic}/set",),
        "native": (f"{topic}/set",),
    }[convention]


def respond(convention: str, topic: str, msg_topic: str, payload: bytes, power_w: float = 0.0
            ) -> tuple[bool | None, list[Message]]:
    """(new on/off state or None, state messages to publish) for a command message."""
    if msg_topic not in command_topics(convention, topic):
        return None, []
    text = payload.decode("utf-8", "replace").strip()
    try:
        if convention == "zigbee2mqtt":
            on = str(json.loads(text)["state"]).upper() == "ON"
            return on, [(topic, json.dumps({"state": "ON" if on else "OFF", "power": power_w if on else 0.0,
                                            "linkquality": 120}).encode())]
        if convention == "tasmota":
            on = text.upper() in ("ON", "1", "TRUE")
            return on, [(f"stat/{topic}/RESULT", json.dumps({"POWER": "ON" if on else "OFF"}).encode()),
                        (f"stat/{topic}/POWER", b"ON" if on else b"OFF")]
        if convention == "shelly_gen1":
            on = text.lower() == "on"
            return on, [(f"shellies/{topic}/relay/0", b"on" if on else b"off")]
        if convention == "shelly_gen2":
            req = json.loads(text)
            on = bool(req["params"]["on"])
            reply = {"id": req.get("id"), "src": topic, "dst": req.get("src"), "result": {"was_on": not on}}
            return on, [(f"{req.get('src', conventions.RPC_SOURCE)}/rpc", json.dumps(reply).encode()),
                        (f"{topic}/status/switch:0", json.dumps({"id": 0, "output": on, "apower": power_w if on else 0.0}).encode())]
        if convention == "ha":
            on = text.upper() == "ON"
            return on, [(f"{topic}/state", b"ON" if on else b"OFF")]
        obj: dict[str, Any] = json.loads(text)
        return bool(obj.get("on")), [(f"{topic}/state", json.dumps(obj).encode())]
    except (ValueError, KeyError, TypeError):
        return None, []


class VirtualPlug:
    """A smart plug on a broker: ``on`` is what the appliance behind it really does."""

    def __init__(self, convention: str, topic: str, host: str, port: int, *, power_w: float = 0.0,
                 dead: bool = False, client_id: str | None = None):
        import paho.mqtt.client as mqtt

        self.convention, self.topic, self.power_w, self.dead = convention, topic, power_w, dead
        self.on = False
        self.heard: list[Message] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"virtual-plug-{topic.replace('/', '-')}")
        ready = threading.Event()

        def on_connect(c, userdata, flags, reason_code, properties):  # noqa: ANN001
            c.subscribe([(t, 1) for t in command_topics(convention, topic)])

        self.client.on_connect = on_connect
        self.client.on_subscribe = lambda c, u, mid, codes, props: ready.set()  # listening once the broker says so
        self.client.on_message = lambda c, u, m: self._on_command(m.topic, m.payload)
        self.client.connect(host, port)
        self.client.loop_start()
        if not ready.wait(10.0):
            raise ConnectionError(f"virtual plug {topic}: no broker at {host}:{port}")

    def _on_command(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self.heard.append((topic, payload))
            if self.dead:
                return
            on, replies = respond(self.convention, self.topic, topic, payload, self.power_w)
            if on is not None:
                self.on = on
        for t, p in replies:
            self.client.publish(t, p, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
