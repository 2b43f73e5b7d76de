"""The twin's live state and its websocket feed.

:class:`TwinState` keeps the latest reading per (sensor, quantity) and
knows which are stale; :class:`LiveFeed` serves it over a websocket: on
connect a client gets a ``snapshot``, then ``delta`` messages in order.
A client may narrow the feed with query parameters
(``/live?hall=demo_hall&zone=bronze&quantity=temperature``). Every reading
names its ``hall``; a site's feed (:class:`bridge.site.runtime.SiteState`)
carries every hall's.

Message shapes (JSON)::

    {"type": "snapshot", "hall": "demo_hall", "time": "...Z",
     "readings": [{"hall", "sensor", "quantity", "time", "value", "unit", "quality", "stale"}, ...],
     "alerts": [...]}
    {"type": "delta", "time": "...Z", "readings": [...], "alerts": [...]}
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bridge.errors import ConfigError
from bridge.readings import Reading
from bridge.sensors.registry import Freshness
from simulation.scene import Scene

Clock = Callable[[], datetime]


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def reading_json(r: Reading, stale: bool, hall: str = "") -> dict[str, Any]:
    """A reading as the feed sends it; ``hall`` where the reading names none."""
    return {"hall": r.hall or hall, "sensor": r.sensor, "quantity": r.quantity, "time": iso(r.time), "value": r.value,
            "unit": r.unit, "quality": r.quality, "stale": stale}


@dataclass(frozen=True)
class FeedFilter:
    """What a client wants: None means everything."""

    zones: frozenset[str] | None = None
    quantities: frozenset[str] | None = None
    sensors: frozenset[str] | None = None
    halls: frozenset[str] | None = None

    @classmethod
    def from_path(cls, path: str) -> FeedFilter:
        q = parse_qs(urlsplit(path).query)

        def pick(key: str) -> frozenset[str] | None:
            vals = [v for item in q.get(key, []) for v in item.split(",") if v]
            return frozenset(vals) if vals else None

        return cls(pick("zone"), pick("quantity"), pick("sensor"), pick("hall"))

    def keep(self, reading: dict[str, Any], zone_of: Mapping[Any, str]) -> bool:
        """Whether ``reading`` passes; ``zone_of`` maps sensor (one hall) or (hall, sensor) (a site) to zone."""
        if self.halls is not None and reading.get("hall") not in self.halls:
            return False
        if self.quantities is not None and reading["quantity"] not in self.quantities:
            return False
        if self.sensors is not None and reading["sensor"] not in self.sensors:
            return False
        if self.zones is None:
            return True
        zone = zone_of.get((reading.get("hall"), reading["sensor"]))
        return (zone if zone is not None else zone_of.get(reading["sensor"])) in self.zones


class TwinState:
    """Latest values of a hall, thread-safe. ``clock`` tells "now" (injectable)."""

    def __init__(self, scene: Scene, clock: Clock = lambda: datetime.now(UTC), freshness: Freshness | None = None):
        self.scene = scene
        self.clock = clock
        self.freshness = freshness or Freshness()  # stale-after periods by power source (bridge.sensors.registry)
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], Reading] = {}
        self._alerts: dict[str, dict[str, Any]] = {}
        self._control: list[dict[str, Any]] = []  # the machines' status (bridge.control.runtime.status)
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._power = {s.id: s.power for s in scene.sensors}
        self.zone_of = {s.id: s.zone for s in scene.sensors}

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """``listener(delta_message)`` is called after every update, in order."""
        with self._lock:
            self._listeners.append(listener)

    def is_stale(self, r: Reading, now: datetime) -> bool:
        return now - r.time > self.freshness.period(self._power.get(r.sensor, "mains"))

    def update(self, readings: Iterable[Reading], alerts: Sequence[dict[str, Any]] = ()) -> dict[str, Any] | None:
        """Take new readings (older ones than held are ignored); notify listeners of the delta."""
        now = self.clock()
        with self._lock:
            changed = []
            for r in readings:
                key = (r.sensor, r.quantity)
                held = self._latest.get(key)
                if held is None or r.time >= held.time:
                    self._latest[key] = r
                    changed.append(r)
            for a in alerts:
                if a.get("cleared"):
                    self._alerts.pop(a["id"], None)
                else:
                    self._alerts[a["id"]] = a
            if not changed and not alerts:
                return None
            delta = {"type": "delta", "time": iso(now),
                     "readings": [reading_json(r, self.is_stale(r, now), self.scene.id) for r in changed],
                     "alerts": list(alerts)}
            listeners = list(self._listeners)
        for listener in listeners:
            listener(delta)
        return delta

    def update_control(self, status: list[dict[str, Any]]) -> dict[str, Any]:
        """The hall's machines changed (state, command, policy): a delta with key ``control``."""
        with self._lock:
            self._control = [dict(x) for x in status]
            delta = {"type": "delta", "time": iso(self.clock()), "hall": self.scene.id, "readings": [], "alerts": [],
                     "control": self._control}
            listeners = list(self._listeners)
        for listener in listeners:
            listener(delta)
        return delta

    def latest(self) -> list[Reading]:
        with self._lock:
            return list(self._latest.values())

    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        with self._lock:
            return {"type": "snapshot", "hall": self.scene.id, "time": iso(now),
                    "readings": [reading_json(r, self.is_stale(r, now), self.scene.id)
                                 for r in self._latest.values()],
                    "alerts": list(self._alerts.values()), "control": list(self._control)}


#: the loopback feed a monitor on the same machine finds by default (relic-twin monitor --url)
LOCAL_FEED_PORT = 8765


class LiveFeed:
    """A websocket server over a :class:`TwinState`, in a background thread.

    Each client gets the snapshot, then every delta in order through its own
    queue; a client too slow to keep ``max_queue`` deltas is disconnected
    (it reconnects and gets a fresh snapshot) rather than slowing the rest.
    """

    def __init__(self, state: TwinState, host: str = "127.0.0.1", port: int = 0, max_queue: int = 10_000):
        self.state = state
        self.host = host
        self.port = port
        self.max_queue = max_queue
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: set[tuple[asyncio.Queue[str | None], FeedFilter]] = set()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: OSError | None = None
        state.subscribe(self._on_delta)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/live"

    def start(self) -> LiveFeed:
        """Listen; ConfigError when the port cannot be had (taken by another service, say)."""
        self._thread = threading.Thread(target=self._run, name="live-feed", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise ConfigError(f"the live feed did not start on {self.host}:{self.port} within 10 s | 实时推送未能启动")
        if self._error is not None:
            raise ConfigError(f"the live feed cannot listen on {self.host}:{self.port} ({self._error.strerror or self._error}); "
                              f"another relic-twin may be running: --feed-port 0 picks a free port | "
                              f"实时推送端口被占用，可用 --feed-port 0 自动选择") from self._error
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._shutdown)
        if self._thread:
            self._thread.join(5)

    def _shutdown(self) -> None:
        for queue, _ in list(self._queues):
            queue.put_nowait(None)  # each sender closes its client
        self._queues.clear()
        assert self._stop is not None
        self._stop.set()

    def _on_delta(self, delta: dict[str, Any]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._fan_out, delta)

    def _fan_out(self, delta: dict[str, Any]) -> None:
        for queue, flt in list(self._queues):
            readings = [r for r in delta["readings"] if flt.keep(r, self.state.zone_of)]
            if not readings and not delta["alerts"]:
                continue
            if queue.qsize() >= self.max_queue:
                queue.put_nowait(None)  # tells the sender to close this slow client
                self._queues.discard((queue, flt))
                continue
            queue.put_nowait(json.dumps({**delta, "readings": readings}, ensure_ascii=False))

    async def _handler(self, ws: Any) -> None:
        flt = FeedFilter.from_path(ws.request.path if ws.request else "/live")
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        entry = (queue, flt)
        snap = self.state.snapshot()
        snap["readings"] = [r for r in snap["readings"] if flt.keep(r, self.state.zone_of)]
        self._queues.add(entry)
        try:
            await ws.send(json.dumps(snap, ensure_ascii=False))
            while True:
                msg = await queue.get()
                if msg is None:
                    stopping = self._stop is not None and self._stop.is_set()
                    await ws.close(1001 if stopping else 1013,
                                   "server stopping" if stopping else "client too slow; reconnect for a fresh snapshot")
                    return
                await ws.send(msg)
        except Exception:  # a client leaving is normal; nothing to report to it
            return
        finally:
            self._queues.discard(entry)

    def _run(self) -> None:
        from websockets.asyncio.server import serve

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            async with serve(self._handler, self.host, self.port, max_size=2**16) as server:
                self.port = server.sockets[0].getsockname()[1]
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(main())
        except OSError as exc:  # the port is taken: start() reports it, this thread just ends
            self._loop = None
            self._error = exc
            self._ready.set()
