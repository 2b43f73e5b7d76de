"""Serving the API with uvicorn: plain HTTP or HTTPS, in the foreground or in a thread.

HTTPS needs a certificate and its key (PEM); uvicorn hands them to Python's
``ssl`` module, whose defaults refuse SSLv3/TLS 1.0/1.1 (TLS 1.2 is the
minimum in Python 3.10+ default contexts).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from bridge.errors import ConfigError


class WebSockets(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol, answering 400 to a handshake it cannot even refuse.

    websockets 15 builds its 400 text from the offending header, and a header with bytes that
    are not UTF-8 (``Sec-WebSocket-Protocol: bearer.\xc3\xa9``) makes that text unencodable: the
    connection then dies with a traceback in the log instead of an answer.
    """

    def handle_connect(self, event: Any) -> None:
        try:
            super().handle_connect(event)
        except UnicodeEncodeError:
            self.handshake_complete = True
            self.close_sent = True
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            self.transport.close()


#: query parameters whose values are credentials: never written to a log
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|access_token|ticket|password|secret|api_key|key)=)[^&\s\"']*")


def redact(text: str) -> str:
    """``text`` with the values of credential-carrying query parameters replaced by ``[redacted]``."""
    return _SECRET_QUERY.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Redacts credentials in query strings of uvicorn's access and websocket log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction() -> None:
    """Add :class:`RedactSecrets` to the loggers uvicorn writes request lines to (once)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def config(app: Any, host: str = "127.0.0.1", port: int = 8000, cert: Path | None = None,
           key: Path | None = None, log_level: str = "warning") -> uvicorn.Config:
    """A uvicorn configuration: HTTPS when ``cert`` and ``key`` are given (both or neither)."""
    if (cert is None) != (key is None):
        raise ConfigError("HTTPS needs both --cert and --key | HTTPS 需要同时提供证书和私钥")
    for p in (cert, key):
        if p is not None and not Path(p).is_file():
            raise ConfigError(f"no such file: {p} | 文件不存在")
    cfg = uvicorn.Config(app, host=host, port=port, ssl_certfile=str(cert) if cert else None,
                          ssl_keyfile=str(key) if key else None, log_level=log_level,
                          ws=WebSockets, ws_max_size=2**16, server_header=False,
                          # compression costs a deflate per client per message (the same delta,
                          # compressed 200 times): most of the feed's CPU; a museum LAN has the bandwidth
                          ws_per_message_deflate=False,
                          proxy_headers=False, lifespan="off")
    install_log_redaction()  # after the Config: its logging set-up would not keep the filter otherwise
    return cfg


class ThreadedServer:
    """uvicorn in a background thread on a port chosen by the OS (tests, benchmarks, the demo).

    ``with ThreadedServer(app) as srv: httpx.get(srv.url + "/api/health")``
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", cert: Path | None = None, key: Path | None = None,
                 log_level: str = "warning"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()[:2]
        self.scheme = "https" if cert else "http"
        self.server = uvicorn.Server(config(app, host, self.port, cert, key, log_level))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="api-server", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.scheme == 'https' else 'ws'}://{self.host}:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("API server did not start | API 服务未能启动")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
