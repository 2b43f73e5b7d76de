"""Read many MQTT packets per wake-up of paho's network thread, not three system calls per packet.

paho 2.x reads a packet with one ``recv(1)`` for its type, one ``recv(1)`` per byte of its
length and one ``recv`` for the rest, and handles one packet per ``select``: four system calls
and a pass through its loop for every message. At thousands of messages a second (a hub's ingest
worker) that is a large share of the worker's CPU. :func:`install` wraps the client's socket in a
:class:`BufferedSocket` (one ``recv`` of up to 256 KiB, served to paho's small reads from memory)
and lets ``loop_read`` handle every complete packet already buffered before it goes back to
``select``. The bytes, their order and paho's handling of each packet are unchanged: only where
they wait between the kernel and paho differs. TLS sockets keep working (their own ``pending``
is added to ours, so ``select`` is skipped while either holds data).

With ``on_publish`` given, a plain PUBLISH (QoS 0 or 1, no MQTT 5 properties: what a hub's
broker sends its workers) that lies whole in the buffer is parsed here and handed to
``on_publish(mid, qos, topic, payload)`` instead of going through paho's ``_handle_publish``
(which builds a ``Properties`` object, an ``MQTTMessage`` and walks the callback matcher for each
message: about half of a hub worker's CPU). Everything else (a packet split across reads,
properties, QoS 2, a topic that is not UTF-8, every other packet type) goes to paho as before, in
order: the fast path runs only between two of paho's packets. Acknowledging is the caller's
(``manual_ack``), exactly as with paho's own path.

Call :func:`install` from ``on_connect`` (paho makes a new socket at each reconnect).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

#: on_publish(mid, qos, topic, payload) for a PUBLISH parsed here
OnPublish = Callable[[int, int, str, bytes], None]

#: bytes asked of the kernel per recv
CHUNK = 256 * 1024
#: most packets handled per loop_read call, so that writes (acks) and keepalive are not starved
MAX_PACKETS = 2000


class BufferedSocket:
    """A socket whose ``recv`` serves from a buffer refilled by one large read; the rest is the socket's."""

    __slots__ = ("_sock", "_buf", "_pos")

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def recv(self, n: int) -> bytes:
        pos, buf = self._pos, self._buf
        if pos >= len(buf):
            buf = self._sock.recv(max(n, CHUNK))  # raises BlockingIOError (or SSLWantRead) when empty
            if len(buf) <= n:
                self._buf, self._pos = b"", 0
                return buf
            self._buf, pos = buf, 0
        end = pos + n
        self._pos = end
        return buf[pos:end]

    def take_publish(self, v5: bool) -> tuple[int, int, str, bytes] | None:
        """(mid, qos, topic, payload) of the next packet when it is a whole plain PUBLISH in the buffer
        (consumed); None (nothing consumed) for anything else."""
        buf, pos = self._buf, self._pos
        n = len(buf)
        if n - pos < 5:
            return None
        h = buf[pos]
        qos = (h >> 1) & 3
        if h & 0xF0 != 0x30 or qos == 2 or qos == 3:
            return None
        rem, mult, i = 0, 1, pos + 1
        while True:  # remaining length: 1..4 bytes
            if i >= n or i - pos > 4:
                return None
            b = buf[i]
            rem += (b & 127) * mult
            i += 1
            if b < 128:
                break
            mult *= 128
        end = i + rem
        if end > n or rem < 2:
            return None
        tlen = (buf[i] << 8) | buf[i + 1]
        i += 2
        head = i + tlen + (2 if qos else 0)
        if head + (1 if v5 else 0) > end or (v5 and buf[head] != 0):  # truncated, or properties: paho's
            return None
        try:
            topic = buf[i:i + tlen].decode("utf-8")
        except UnicodeDecodeError:
            return None
        mid = (buf[head - 2] << 8) | buf[head - 1] if qos else 0
        self._pos = end
        return mid, qos, topic, buf[head + (1 if v5 else 0):end]

    def pending(self) -> int:
        """Bytes readable without the kernel (ours, and a TLS socket's decrypted ones)."""
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._buf) - self._pos + inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def install(client: mqtt.Client, on_publish: OnPublish | None = None) -> None:
    """Buffer ``client``'s current socket and let its loop_read take every buffered packet
    (plain PUBLISH packets to ``on_publish`` when given)."""
    sock = client._sock  # noqa: SLF001 (paho keeps its socket here; see the module's docstring)
    if sock is not None and not isinstance(sock, BufferedSocket):
        client._sock = BufferedSocket(sock)  # type: ignore[assignment]  # noqa: SLF001
    if "loop_read" not in vars(client):
        client.loop_read = lambda max_packets=1: _loop_read(client, on_publish)  # type: ignore[method-assign]


def _loop_read(client: mqtt.Client, on_publish: OnPublish | None) -> mqtt.MQTTErrorCode:
    """paho's ``loop_read``, going on while whole packets are buffered (at most MAX_PACKETS)."""
    read = client._packet_read  # noqa: SLF001
    v5 = client._protocol == mqtt.MQTTv5  # noqa: SLF001
    in_packet = client._in_packet  # noqa: SLF001
    fast = 0
    for _ in range(MAX_PACKETS):
        sock = client._sock  # noqa: SLF001
        if sock is None:
            return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
        if on_publish is not None and isinstance(sock, BufferedSocket):
            if in_packet is not client._in_packet:  # noqa: SLF001 (paho renews it after each packet)
                in_packet = client._in_packet  # noqa: SLF001
            if in_packet["command"] == 0:  # paho is between packets
                pub = sock.take_publish(v5)
                if pub is not None:
                    on_publish(*pub)
                    fast += 1
                    continue
        if fast:
            client._last_bytes_received = mqtt.time_func()  # noqa: SLF001 (what paho's read would note)
            fast = 0
        rc = read()
        if rc > 0:
            return client._loop_rc_handle(rc)  # noqa: SLF001
        if rc == mqtt.MQTTErrorCode.MQTT_ERR_AGAIN:
            return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        if not isinstance(sock, BufferedSocket) or sock.pending() == 0:
            break
    if fast:
        client._last_bytes_received = mqtt.time_func()  # noqa: SLF001
    return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
