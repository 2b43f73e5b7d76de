"""A cheap MQTT 3.1.1 QoS 1 publisher on a plain socket, for the hub benchmark's load.

paho spends tens of µs of Python per ``publish`` (a message object, a lock, a packet built and
queued, a callback per PUBACK): offering 8 300 messages a second that way costs a good part of a
core on the machine that is also running the hub. Here each message is still one PUBLISH packet
(one reading, as a sensor or a museum's bridge sends it), built from a pre-encoded topic with one
``%`` format of its payload, and a tick's packets go out in one ``sendall``; a thread counts the
PUBACKs (what the broker took: what was offered). Packet ids cycle 1..65535; at most
``window`` messages are unacknowledged, so an id is never reused while in flight.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

_CONNECT_PROTO = b"\x00\x04MQTT\x04"


def varint(n: int) -> bytes:
    """MQTT's remaining-length encoding."""
    out = bytearray()
    while True:
        n, b = divmod(n, 128)
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


class RawPublisher:
    """Connect (clean session, no keepalive), publish pre-encoded QoS 1 packets, count PUBACKs."""

    def __init__(self, host: str, port: int, client_id: str, window: int = 50_000) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = client_id.encode()
        body = _CONNECT_PROTO + b"\x02" + struct.pack("!H", 0) + struct.pack("!H", len(cid)) + cid
        self.sock.sendall(b"\x10" + varint(len(body)) + body)
        connack = self._recv_exactly(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"broker refused the connection: {connack!r}")
        self.window = window
        self.sent = 0
        self.acked = 0
        self._reader = threading.Thread(target=self._read_acks, daemon=True)
        self._reader.start()

    def _recv_exactly(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return buf

    def _read_acks(self) -> None:
        rest = b""
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            buf = rest + data
            n = len(buf) // 4  # the broker sends this client nothing but PUBACKs: 0x40 0x02 id id
            if buf[0] != 0x40:
                raise ConnectionError(f"unexpected packet {buf[:4]!r}")
            self.acked += n
            rest = buf[4 * n:]

    @staticmethod
    def topic(name: str) -> bytes:
        """A topic pre-encoded with its length prefix."""
        t = name.encode()
        return struct.pack("!H", len(t)) + t

    def publish_many(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Send (pre-encoded topic, payload) pairs as QoS 1 PUBLISH packets in one write."""
        while self.sent - self.acked > self.window - len(messages):
            time.sleep(0.001)
        parts = []
        append = parts.append
        pack = struct.pack
        mid = self.sent
        for topic, payload in messages:
            mid = mid % 65535 + 1
            rem = len(topic) + 2 + len(payload)
            append(b"\x32" + (bytes((rem,)) if rem < 128 else varint(rem)) + topic + pack("!H", mid) + payload)
        self.sock.sendall(b"".join(parts))
        self.sent += len(messages)

    def wait_acked(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.acked < self.sent and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.acked >= self.sent

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        finally:
            self.sock.close()
