"""The live feed on the API's own port: ``/api/live`` (websocket).

The same messages as :class:`bridge.twin.live.LiveFeed` (a ``snapshot``, then
``delta`` messages in order) with the same filters (``?zone=&quantity=&sensor=``),
for callers holding ``monitor:read`` (staff and up). The token never travels in the URL (where
access logs and proxies would keep it); it comes as

- an ``Authorization: Bearer <token>`` header (programs: the 3D monitor, scripts);
- a subprotocol ``bearer.<token>`` (browsers cannot set headers on a websocket; the server
  answers with ``relic-twin.live`` when the client offers it too, else with the one offered);
- ``?ticket=<ticket>``, a one-time ticket from ``POST /api/live/ticket`` valid for 30 s.

A visitor, a bad token or a used ticket is refused at the handshake (closed before accept:
the client sees HTTP 403).

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
import secrets
import threading
import time
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from pydantic import BaseModel
from starlette.websockets import WebSocketDisconnect

from bridge.api.context import CanMonitor, bearer, claims_of, service
from bridge.api.errors import ApiError
from bridge.twin.live import FeedFilter, TwinState

router = APIRouter()

#: how often an open feed checks its token again, s (changes made through the API end feeds at once)
RECHECK_S = 5.0
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
        self.sessions: dict[asyncio.Queue[str | None], tuple[str, asyncio.Event]] = {}  # queue -> (user, revoked)
        state.subscribe(self._on_delta)

    def revoke(self, username: str) -> None:
        """End ``username``'s open feeds now (their user was changed or removed); callable from any thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return

        def end() -> None:
            for user, revoked in list(self.sessions.values()):
                if user == username:
                    revoked.set()

        try:
            loop.call_soon_threadsafe(end)
        except RuntimeError:  # loop closed meanwhile: nothing is open
            pass

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


#: the subprotocol the feed speaks, and the prefix of one that carries a token
SUBPROTOCOL = "relic-twin.live"
BEARER_PROTOCOL = "bearer."
#: how long a ticket from ``POST /api/live/ticket`` may wait for its websocket, s
TICKET_TTL_S = 30.0


class Tickets:
    """One-time tickets for the live feed: a ticket stands for its holder's token for ``ttl_s``."""

    def __init__(self, ttl_s: float = TICKET_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._held: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, token: str) -> str:
        now = time.monotonic()
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._held = {k: v for k, v in self._held.items() if v[1] > now}
            self._held[ticket] = (token, now + self.ttl_s)
        return ticket

    def redeem(self, ticket: str) -> str | None:
        """The token a ticket stands for, once; None when unknown, used or expired."""
        with self._lock:
            token, until = self._held.pop(ticket, ("", 0.0))
        return token if token and until > time.monotonic() else None


def _credentials(ws: WebSocket, tickets: Tickets) -> tuple[str | None, str | None]:
    """(token, subprotocol to answer with) from the header, a ``bearer.`` subprotocol or a ticket."""
    offered = list(ws.scope.get("subprotocols") or ())
    answer = SUBPROTOCOL if SUBPROTOCOL in offered else None
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), answer
    for proto in offered:
        if proto.startswith(BEARER_PROTOCOL) and len(proto) > len(BEARER_PROTOCOL):
            return proto[len(BEARER_PROTOCOL):], answer or proto
    ticket = ws.query_params.get("ticket")
    if ticket:
        return tickets.redeem(ticket) or "", answer
    return None, answer


class TicketOut(BaseModel):
    ticket: str
    expires_in: float


@router.post("/api/live/ticket", response_model=TicketOut, tags=["monitoring"],
             summary="a one-time ticket for the live feed (?ticket=) / 实时推送一次性票据")
def ticket(*, request: Request, _: CanMonitor) -> TicketOut:
    svc = service(request)
    token = bearer(request)
    assert token is not None  # CanMonitor passed: a staff token was given
    return TicketOut(ticket=svc.tickets.issue(token), expires_in=svc.tickets.ttl_s)


@router.websocket("/api/live")
async def live(ws: WebSocket) -> None:
    svc = service(ws)  # type: ignore[arg-type]
    hub: LiveHub | None = ws.app.state.hub
    token, subprotocol = _credentials(ws, svc.tickets)
    try:
        claims = claims_of(token, svc.signer, svc.store)
    except ApiError:
        await ws.close(code=1008, reason="invalid or expired token | 令牌无效")
        return
    if svc.sites is not None and claims.site:  # a hub's site user: the feed is the hub's, every site's
        await ws.close(code=1008, reason=f"site {claims.site}: on a hub use /api/hub/sites/{claims.site}/... | "
                                         f"汇聚中心请使用场馆接口")
        return
    if not claims.can("monitor:read"):
        await ws.close(code=1008, reason="staff sign-in required (Authorization header, bearer.<token> "
                                         "subprotocol or ?ticket=) | 需要工作人员登录")
        return
    if hub is None:
        await ws.close(code=1011, reason="no live twin on this server | 未运行实时孪生")
        return
    hub.loop = asyncio.get_running_loop()
    flt = FeedFilter.from_path("?" + ws.scope.get("query_string", b"").decode("latin-1"))
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    entry = (queue, flt)
    revoked = asyncio.Event()
    await ws.accept(subprotocol=subprotocol)
    hub.clients.add(entry)
    hub.sessions[queue] = (claims.sub, revoked)

    async def recheck() -> None:  # the token is checked again: a removed or changed user is signed out
        while not revoked.is_set():
            try:
                await asyncio.wait_for(revoked.wait(), RECHECK_S)
            except TimeoutError:
                try:
                    claims_of(token, svc.signer, svc.store)
                except ApiError:
                    revoked.set()
        queue.put_nowait(None)

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
    rechecker = asyncio.create_task(recheck())
    try:
        await ws.send_text(hub.snapshot(flt))
        while True:
            msg = await queue.get()
            if msg is None:
                if revoked.is_set() or entry not in hub.clients or watcher.done():
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
        if revoked.is_set() and not watcher.done():
            await ws.close(code=1008, reason="signed out: the user was changed or removed | 用户已变更或删除, 请重新登录")
        elif not watcher.done():
            await ws.close(code=1013, reason="client too slow; reconnect | 客户端过慢,请重连")
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # a client leaving is normal
    finally:
        hub.clients.discard(entry)
        hub.sessions.pop(queue, None)
        watcher.cancel()
        rechecker.cancel()
