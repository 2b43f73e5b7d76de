"""Serving the API with uvicorn: plain HTTP or HTTPS, in the foreground or in a thread.

HTTPS needs a certificate and its key (PEM); uvicorn hands them to Python's
``ssl`` module, whose defaults refuse SSLv3/TLS 1.0/1.1 (TLS 1.2 is the
minimum in Python 3.10+ default contexts).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from bridge.errors import ConfigError


def config(app: Any, host: str = "127.0.0.1", port: int = 8000, cert: Path | None = None,
           key: Path | None = None, log_level: str = "warning") -> uvicorn.Config:
    """A uvicorn configuration: HTTPS when ``cert`` and ``key`` are given (both or neither)."""
    if (cert is None) != (key is None):
        raise ConfigError("HTTPS needs both --cert and --key | HTTPS 需要同时提供证书和私钥")
    for p in (cert, key):
        if p is not None and not Path(p).is_file():
            raise ConfigError(f"no such file: {p} | 文件不存在")
    return uvicorn.Config(app, host=host, port=port, ssl_certfile=str(cert) if cert else None,
                          ssl_keyfile=str(key) if key else None, log_level=log_level,
                          ws="websockets-sansio", ws_max_size=2**16, server_header=False,
                          # compression costs a deflate per client per message (the same delta,
                          # compressed 200 times): most of the feed's CPU; a museum LAN has the bandwidth
                          ws_per_message_deflate=False,
                          proxy_headers=False, lifespan="off")


class ThreadedServer:
    """uvicorn in a background thread on a port chosen by the OS (tests, benchmarks, the demo).

    ``with ThreadedServer(app) as srv: httpx.get(srv.url + "/api/health")``
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", cert: Path | None = None, key: Path | None = None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()[:2]
        self.scheme = "https" if cert else "http"
        self.server = uvicorn.Server(config(app, host, self.port, cert, key))
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
