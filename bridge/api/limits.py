"""Request limits as ASGI middleware: rate per client and body size.

- :class:`RateLimit`: a token bucket per client address (``rate_per_s``
  refill, ``burst`` capacity), plus a stricter bucket for sign-in
  (``login_per_min``); over the limit the answer is 429 with Retry-After.
- Body size: ``Content-Length`` over the limit is refused at once (413);
  a body without one is counted as it arrives and cut off at the limit.
  File uploads (``/api/files``) get ``max_upload``, everything else ``max_body``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from bridge.api.errors import ApiError, body

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]

UPLOAD_PREFIX = "/api/files"
LOGIN_PATH = "/api/auth/token"


class TokenBucket:
    """Per-key token buckets; ``take(key)`` -> seconds to wait (0 when allowed)."""

    def __init__(self, rate_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self.clock = clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        now = self.clock()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                if len(self._state) > 10_000:  # forget idle clients
                    self._state = {k: v for k, v in self._state.items() if now - v[1] < 600}
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


async def _send_error(send: Callable[..., Any], err: ApiError) -> None:
    payload = json.dumps(body(err.code, err.en, err.zh), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (err.headers or {}).items()]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class Limits:
    """ASGI middleware applying rate and size limits before the app sees a request."""

    def __init__(self, app: ASGIApp, *, rate_per_s: float, burst: int, login_per_min: int,
                 max_body: int, max_upload: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.requests = TokenBucket(rate_per_s, burst, clock)
        self.logins = TokenBucket(login_per_min / 60.0, login_per_min, clock)
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        path = scope.get("path", "")
        wait = self.requests.take(client)
        if not wait and path == LOGIN_PATH:
            wait = self.logins.take(client)
        if wait:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
                return
            await _send_error(send, ApiError("too_many", headers={"Retry-After": str(math.ceil(wait))}))
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if path.startswith(UPLOAD_PREFIX) else self.max_body
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                await _send_error(send, ApiError("invalid", en="bad Content-Length", zh="Content-Length 无效"))
                return
            if too_big:
                await _send_error(send, ApiError("too_large", en=f"limit {limit} bytes", zh=f"上限 {limit} 字节"))
                return
        seen = 0
        started = refused = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal seen, refused
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not refused:
                    refused = True
                    if not started:
                        await _send_error(send, ApiError("too_large", en=f"limit {limit} bytes",
                                                         zh=f"上限 {limit} 字节"))
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; the app's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, tracked_send)
