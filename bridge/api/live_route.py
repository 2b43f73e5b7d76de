"""The live feed on the API's own port: ``/api/live`` (websocket).

The same messages as :class:`bridge.twin.live.LiveFeed` (a ``snapshot``, then
``delta`` messages in order) with the same filters (``?zone=&quantity=&sensor=``),
for callers holding ``monitor:read`` (staff and up): the token comes as
``?token=`` or an ``Authorization: Bearer`` header. A visitor or a bad token is refused
at the handshake (closed before accept: the client sees HTTP 403).

:class:`LiveHub` fans each delta out on the server's event loop: the
message for one filter is encoded once, however many clients share it;
a client too slow to keep ``max_queue`` messages is closed (1013) and
gets a fresh snapshot when it reconnects.

A frame carries one message, or, when the client has fallen behind, up to
:data:`MAX_COALESCE` queued messages in order, one JSON object per line
(NDJSON; JSON text never holds a raw newline). Sending fewer, larger frames
is what lets one server keep 200 clients current at 1 000 readings/s:
the cost of a websocket send is mostly per frame, not per byte.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from bridge.api.context import claims_of, service
from bridge.api.errors import ApiError
from bridge.twin.live import FeedFilter, TwinState

router = APIRouter()

#: most messages sent in one frame when a client has fallen behind (see the module docstring)
MAX_COALESCE = 64

Entry = tuple["asyncio.Queue[str | None]", FeedFilter]


class LiveHub:
    """Fans deltas of a :class:`TwinState` out to websocket clients' queues."""

    def __init__(self, state: TwinState, max_queue: int = 10_000) -> None:
        self.state = state
        self.max_queue = max_queue
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[Entry] = set()
        state.subscribe(self._on_delta)

    def _on_delta(self, delta: dict[str, Any]) -> None:
        loop = self.loop
        if loop is not None and self.clients and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._fan_out, delta)
            except RuntimeError:  # loop closed between the check and the call: server stopping
                pass

    def _fan_out(self, delta: dict[str, Any]) -> None:
        encoded: dict[FeedFilter, str | None] = {}
        for entry in list(self.clients):
            queue, flt = entry
            if flt not in encoded:
                readings = [r for r in delta["readings"] if flt.keep(r, self.state.zone_of)]
                encoded[flt] = (json.dumps({**delta, "readings": readings}, ensure_ascii=False)
                                if readings or delta["alerts"] else None)
            msg = encoded[flt]
            if msg is None:
                continue
            if queue.qsize() >= self.max_queue:
                self.clients.discard(entry)
                queue.put_nowait(None)
                continue
            queue.put_nowait(msg)

    def snapshot(self, flt: FeedFilter) -> str:
        snap = self.state.snapshot()
        snap["readings"] = [r for r in snap["readings"] if flt.keep(r, self.state.zone_of)]
        return json.dumps(snap, ensure_ascii=False)


def _token(ws: WebSocket) -> str | None:
    token = ws.query_params.get("token")
    if token:
        return token
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@router.websocket("/api/live")
async def live(ws: WebSocket) -> None:
    svc = service(ws)  # type: ignore[arg-type]
    hub: LiveHub | None = ws.app.state.hub
    try:
        claims = claims_of(_token(ws), svc.signer)
    except ApiError:
        await ws.close(code=1008, reason="invalid or expired token | 令牌无效")
        return
    if not claims.can("monitor:read"):
        await ws.close(code=1008, reason="staff sign-in required | 需要工作人员登录")
        return
    if hub is None:
        await ws.close(code=1011, reason="no live twin on this server | 未运行实时孪生")
        return
    hub.loop = asyncio.get_running_loop()
    flt = FeedFilter.from_path("?" + ws.scope.get("query_string", b"").decode("latin-1"))
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    entry = (queue, flt)
    await ws.accept()
    hub.clients.add(entry)

    async def watch_close() -> None:
        try:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        queue.put_nowait(None)

    watcher = asyncio.create_task(watch_close())
    try:
        await ws.send_text(hub.snapshot(flt))
        while True:
            msg = await queue.get()
            if msg is None:
                if entry not in hub.clients or watcher.done():
                    break
                continue
            batch = [msg]
            while len(batch) < MAX_COALESCE and not queue.empty():
                more = queue.get_nowait()
                if more is None:
                    queue.put_nowait(None)  # handled on the next turn, after this frame
                    break
                batch.append(more)
            await ws.send_text("\n".join(batch))
        if not watcher.done():
            await ws.close(code=1013, reason="client too slow; reconnect | 客户端过慢,请重连")
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # a client leaving is normal
    finally:
        hub.clients.discard(entry)
        watcher.cancel()
