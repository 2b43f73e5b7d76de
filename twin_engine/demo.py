"""``relic-twin demo``: broker, virtual fleet, bridge, twin service and 3D monitor in one command.

The hall answers back: its temperature and RH come from its 2-D climate model under outdoor
weather, driven by its machines as virtual smart plugs (:mod:`bridge.control.virtual_hall`). The
machines start on the scene's policy (``advise`` in the demo hall): the twin recommends, and
``p`` in the monitor applies the standing recommendation (one click, as ``POST /api/control/<id>/apply``).

The monitor reads the hall through the same websocket feed a remote monitor
would use. With ``--headless`` (or when no display is available) it renders
offscreen and writes a PNG frame every ``--every`` seconds into ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.config import ConfigError, add_settings_arguments, settings_from_args
from bridge.sensors.fleet import FleetSettings
from simulation.paths import scenes_dir
from simulation.scene import SceneError, load_scene


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin demo", description="the live demo hall / 实时演示展厅")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--headless", action="store_true", help="render offscreen and write PNG frames / 无窗口渲染")
    p.add_argument("--out", default="out/frames", help="folder for headless frames / 帧输出目录")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after N seconds (default: run until closed; 30 when headless) / 运行秒数")
    p.add_argument("--every", type=float, default=5.0, help="seconds between headless frames / 帧间隔")
    p.add_argument("--speed", type=float, default=60.0, help="fleet replay speed / 回放倍速")
    p.add_argument("--format", default=None, help="fleet payload format for every sensor / 统一载荷格式")
    p.add_argument("--weather", default=None,
                   help="outdoor weather of the virtual hall: CSV time,t_out,rh_out (default: a damp autumn day) "
                        "/ 虚拟展厅的室外气象")
    p.add_argument("--replay", action="store_true",
                   help="T/RH replay a recorded series instead of the hall's climate model (the machines then "
                        "change nothing) / 温湿度回放实测序列，不用气候模型")
    p.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    p.add_argument("--size", default="1280x720")
    add_settings_arguments(p, broker=True)
    return p


class FeedClient:
    """Reads the live websocket in a thread; messages wait in a queue for the frame task.

    :attr:`status` says where the connection stands, for the screen and the exit status:
    ``connecting`` (never reached yet), ``connected``, ``reconnecting`` (lost, retrying),
    ``unreachable`` (nobody answers at the URL) or ``refused`` (the service turned the sign-in
    down: a wrong, expired or missing token; ``reason`` says which). A refused client keeps
    trying, slowly, so a service that is given the user later lets it in.
    """

    def __init__(self, url: str, token: str | None = None):
        self.url = url
        # the token goes in a header, never in the URL (where logs would keep it)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.status = "connecting"
        self.reason = ""
        self.ever_connected = False
        self.last_message: float | None = None  # time.time() of the last message
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-client", daemon=True)

    def start(self) -> FeedClient:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(3)

    def _set(self, status: str, reason: str = "") -> None:
        self.status, self.reason = status, reason

    def _run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

        async def main() -> None:
            while not self._stop.is_set():
                wait = 0.5
                try:
                    async with connect(self.url, additional_headers=self.headers, open_timeout=5) as ws:
                        self._set("connected")
                        self.ever_connected = True
                        while not self._stop.is_set():
                            try:
                                raw = await asyncio.wait_for(ws.recv(), 0.5)
                            except TimeoutError:
                                continue
                            self.last_message = time.time()
                            for line in str(raw).splitlines():  # a frame may carry several (NDJSON)
                                self.messages.put(json.loads(line))
                except InvalidStatus as exc:  # the handshake was answered with an HTTP error
                    code = exc.response.status_code
                    self._set("refused" if code in (401, 403) else "unreachable", f"HTTP {code}")
                    wait = 3.0
                except ConnectionClosed as exc:
                    if exc.rcvd is not None and exc.rcvd.code == 1008:  # policy: the sign-in was refused
                        self._set("refused", exc.rcvd.reason)
                        wait = 3.0
                    else:
                        self._set("reconnecting", str(exc))
                except (OSError, InvalidHandshake, TimeoutError) as exc:  # not up yet, or gone: retry
                    self._set("reconnecting" if self.ever_connected else "unreachable", str(exc) or type(exc).__name__)
                if self._stop.wait(wait):
                    return

        asyncio.run(main())

    def problem(self) -> str | None:
        """A one-line zh/en reason the feed never worked, for the exit status; None when it did."""
        if self.status == "refused":
            return f"the service refused the sign-in ({self.reason}); check --token / 服务拒绝登录，请检查令牌"
        if not self.ever_connected:
            return f"no twin service answers at {self.url} ({self.reason or self.status}) / 无法连接孪生服务"
        return None

    def drain(self) -> list[dict[str, Any]]:
        out = []
        while True:
            try:
                out.append(self.messages.get_nowait())
            except queue.Empty:
                return out


def parse_size(p: argparse.ArgumentParser, text: str) -> tuple[int, int]:
    """``--size WIDTHxHEIGHT`` as (width, height); a usage error (exit 2) otherwise."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        p.error(f"--size {text}: expected WIDTHxHEIGHT, e.g. 1280x720 / 尺寸格式应为 宽x高")
    return width, height


def demo_main(argv: list[str]) -> int:
    p = _parser()
    args = p.parse_args(argv)
    headless = args.headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    seconds = args.seconds if args.seconds is not None else (30.0 if headless else None)
    width, height = parse_size(p, args.size)
    try:
        settings = settings_from_args(args)
        scene = load_scene(args.scene)
    except (ConfigError, SceneError) as exc:
        print(f"relic-twin demo: {exc}", file=sys.stderr)
        return 1
    if headless and not args.headless:
        print("no display found: rendering offscreen / 未检测到显示器，改为离屏渲染")

    from bridge.twin.runtime import start_twin

    if args.weather is not None and not Path(args.weather).is_file():
        print(f"relic-twin demo: no such weather file: {args.weather} / 气象文件不存在", file=sys.stderr)
        return 1
    fleet = FleetSettings(speed=args.speed, format=args.format, plant=not args.replay, weather=args.weather)
    try:
        runtime = start_twin(scene, settings, fleet=fleet)
    except (ValueError, KeyError) as exc:  # a weather file that is not time,t_out,rh_out
        print(f"relic-twin demo: weather file / 气象文件: {exc}", file=sys.stderr)
        return 1
    feed = FeedClient(runtime.feed.url).start()
    try:
        return run_monitor(scene, feed, headless, seconds, args.every, Path(args.out), args.lang, (width, height),
                           on_acknowledge=acknowledger(runtime), data=embedded_data(runtime, scene),
                           on_apply=applier(runtime), on_override=overrider(runtime))
    finally:
        feed.stop()
        stored = runtime.store.count_readings()
        runtime.stop()
        print(f"stored {stored} readings in {runtime.store.url} / 已存储 {stored} 条读数")


def acknowledger(runtime: Any, who: str = "staff") -> Callable[[str], None]:
    """Acknowledge an alert in an in-process twin; the change goes out on the feed."""

    def ack(alert_id: str) -> None:
        runtime.acknowledge(alert_id, who)  # False when cleared meanwhile

    return ack


def applier(runtime: Any, who: str = "staff") -> Callable[[str], None]:
    """Apply a machine's standing recommendation in an in-process twin (audited as ``who``'s command)."""

    def apply(actuator: str) -> None:
        if runtime.control is not None:
            runtime.control.apply_recommendation(actuator, who)  # False when it was withdrawn meanwhile

    return apply


def overrider(runtime: Any, who: str = "staff") -> Callable[[str, dict[str, Any], float], None]:
    """Hold a machine at a command for some minutes in an in-process twin (audited as ``who``'s override)."""

    def hold(actuator: str, command: dict[str, Any], minutes: float) -> None:
        if runtime.control is not None:
            runtime.control.set_override(actuator, command, minutes, who)

    return hold


def run_monitor(scene: Any, feed: FeedClient, headless: bool, seconds: float | None, every: float,
                out: Path, lang: str, size: tuple[int, int],
                on_acknowledge: Callable[[str], None] | None = None,
                on_apply: Callable[[str], None] | None = None,
                on_override: Callable[[str, dict[str, Any], float], None] | None = None,
                data: MonitorData | None = None, select: tuple[str, str] | None = None,
                view: str | None = None) -> int:
    """Open the monitor on ``feed``; ``data`` answers its panel and replay (see :class:`PanelLink`);
    ``select`` ("relic" | "sensor", id) and ``view`` (a camera action) set the first view."""
    from twin_engine.app import TwinApp, make_base
    from twin_engine.monitor import MonitorScreen

    base = make_base(offscreen=headless, size=size)
    monitor = MonitorScreen(base, scene, lang=lang)
    monitor.on_quit = base.userExit  # Esc twice
    TwinApp(base).show(monitor)  # keys, mouse (click to select, drag to orbit) and the per-frame update
    if on_acknowledge is not None:
        monitor.on_acknowledge = on_acknowledge
    if on_apply is not None:
        monitor.on_apply = on_apply
    if on_override is not None:
        monitor.on_override = on_override
    link = PanelLink(monitor, data.start()) if data is not None else None
    if view:
        monitor.act(view)
        monitor.rig.snap()
    if select is not None:
        monitor.select(select)
    started = time.monotonic()
    state = {"next_frame": started + min(every, 3.0), "frames": 0}
    if headless:
        out.mkdir(parents=True, exist_ok=True)
        print(f"writing frames to 帧输出至 {out.resolve()}")

    def pump(task: Any) -> Any:
        monitor.set_connection(feed.status, feed.reason)
        for msg in feed.drain():
            if msg.get("type") == "snapshot":
                monitor.apply_snapshot(msg)
            else:
                monitor.apply_delta(msg)
        if link is not None:
            link.poll()
        now = time.monotonic()
        if headless and now >= state["next_frame"]:
            path = out / f"frame_{state['frames']:04d}.png"
            monitor.save_png(path)
            state["frames"] += 1
            state["next_frame"] = now + every
            print(f"  {path}")
        if seconds is not None and now - started >= seconds and not headless:
            base.userExit()
        return task.cont

    base.taskMgr.add(pump, "demo-feed")
    try:
        if headless:
            while seconds is None or time.monotonic() - started < seconds:
                base.taskMgr.step()
                time.sleep(0.02)
            if link is not None:
                link.refresh()  # the last frame's panel with all the data stored so far
                link.settle()
            path = out / "last.png"
            monitor.save_png(path)
            print(f"  {path}\n{state['frames'] + 1} frames written / 已写入帧")
        else:
            base.run()
    finally:
        if data is not None:
            data.stop()
    problem = feed.problem()
    if problem:  # a twin that could not see says so in its exit status, too
        print(f"relic-twin monitor: {problem}", file=sys.stderr)
        return 1
    return 0


# --- the panel's details and the replay's stored states ---------------------------------------

DetailsFn = Callable[[str, str, "str | None", "str | None"], dict[str, Any]]
"""details(kind, id, quantity, now_iso) -> :func:`bridge.twin.monitor_data.details`' dict."""
StateFn = Callable[[str], dict[str, Any]]
"""state(iso_time) -> :func:`bridge.twin.monitor_data.state_at`'s dict."""
FieldFn = Callable[[str], dict[str, Any]]
"""field(quantity) -> :func:`bridge.twin.field_choice.field_choice`'s dict."""
FIELD_REFRESH_S = 3600.0
"""How often the monitor asks again which field model the hall's history chooses, s (hourly buckets)."""


class DataError(Exception):
    """A request for the panel or the replay failed; ``message`` is {"zh-CN", "en"}."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.message = {"zh-CN": zh, "en": en}


class MonitorData:
    """Answers the monitor's panel and replay requests on a worker thread (the store or the
    service may take a while; Panda3D must not wait). Answers wait in a queue that the frame
    task drains (:meth:`drain`), so the monitor is only touched on the main thread.

    Of several replay requests waiting, only the newest is fetched (a dragged slider).
    """

    def __init__(self, details: DetailsFn, state: StateFn, close: Callable[[], None] | None = None,
                 field: FieldFn | None = None):
        self._details, self._state, self._close, self._field = details, state, close, field
        self._jobs: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._answers: queue.Queue[tuple[str, Any, Any]] = queue.Queue()
        self._state_seq = 0
        self._pending = 0  # requests not yet answered (or skipped)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="monitor-data", daemon=True)

    def start(self) -> MonitorData:
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self) -> None:
        self._jobs.put(None)
        if self._thread.is_alive():
            self._thread.join(5)
        if self._close is not None:
            self._close()

    def request_details(self, kind: str, ident: str, quantity: str | None, now: str | None) -> None:
        self._put(("details", (kind, ident, quantity, now)))

    def request_state(self, when: str) -> None:
        with self._lock:
            self._state_seq += 1
            seq = self._state_seq
        self._put(("state", (seq, when)))

    def request_field(self, quantity: str) -> bool:
        """Ask for the field model of ``quantity`` chosen on the hall's history; False when this
        source cannot answer (the floor then stays IDW)."""
        if self._field is None:
            return False
        self._put(("field", quantity))
        return True

    def _put(self, job: tuple[str, Any]) -> None:
        with self._lock:
            self._pending += 1
        self._jobs.put(job)

    def idle(self) -> bool:
        """No request waiting or running."""
        with self._lock:
            return self._pending == 0

    def drain(self) -> list[tuple[str, Any, Any]]:
        """Answers so far: ("details", (kind, id, quantity, now), dict | DataError),
        ("state", iso, dict | DataError) and ("field", quantity, dict | DataError)."""
        out = []
        while True:
            try:
                out.append(self._answers.get_nowait())
            except queue.Empty:
                return out

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                what, args = job
                if what == "state":
                    seq, when = args
                    if seq == self._state_seq:  # else a newer one is waiting: skip this
                        self._answers.put(("state", when, self._call(self._state, when)))
                elif what == "field":
                    self._answers.put(("field", args, self._call(self._field, args)))
                else:
                    self._answers.put(("details", args, self._call(self._details, *args)))
            finally:
                with self._lock:
                    self._pending -= 1

    @staticmethod
    def _call(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any] | DataError:
        try:
            return fn(*args)
        except DataError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a failed fetch must never take the monitor down
            return DataError(f"数据读取失败: {type(exc).__name__}", f"could not read: {type(exc).__name__}: {exc}"[:80])


def embedded_data(runtime: Any, scene: Any) -> MonitorData:
    """The panel, the replay and the field model read straight from an in-process twin's store."""
    from bridge.twin import monitor_data
    from bridge.twin.field_choice import field_choice

    def details(kind: str, ident: str, quantity: str | None, now: str | None) -> dict[str, Any]:
        at = monitor_data.parse_iso(now) if now else runtime.state.clock()
        return monitor_data.details(runtime.store, scene, kind, ident, at, quantity=quantity)

    def state(when: str) -> dict[str, Any]:
        return monitor_data.state_at(runtime.store, scene, monitor_data.parse_iso(when))

    def field(quantity: str) -> dict[str, Any]:
        return field_choice(runtime.store, scene, quantity)

    return MonitorData(details, state, field=field)


def api_base(ws_url: str, api_url: str | None = None) -> str:
    """The REST base URL of a service whose feed is ``ws_url``: ``wss://H:P/api/live`` ->
    ``https://H:P``; the loopback feed ``ws://H:8765/live`` -> ``http://H:8000`` (``serve``'s
    default API port); ``api_url`` when given wins."""
    from urllib.parse import urlsplit

    if api_url:
        return api_url.rstrip("/")
    u = urlsplit(ws_url)
    scheme = "https" if u.scheme == "wss" else "http"
    host = u.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    if u.path.rstrip("/").endswith("/api/live"):
        return f"{scheme}://{host}{f':{u.port}' if u.port else ''}"
    return f"{scheme}://{host}:8000"


def remote_acknowledger(base_url: str, token: str | None, timeout_s: float = 15.0) -> Callable[[str], None]:
    """Acknowledge an alert on a twin service (``POST /api/alerts/live/{id}/ack``), off the render thread.

    The change comes back on the live feed like any other; a failure is logged, the alert stays."""
    import logging
    import threading
    from urllib.parse import quote

    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(alert_id: str) -> None:
        try:
            r = httpx.post(f"{base_url}/api/alerts/live/{quote(alert_id, safe='')}/ack", json={"note": ""},
                           headers=headers, timeout=timeout_s)
            if r.status_code != 201:
                logging.getLogger("relic_twin.monitor").warning("acknowledge %s: HTTP %s %s", alert_id,
                                                                r.status_code, r.text[:200])
        except httpx.HTTPError as exc:
            logging.getLogger("relic_twin.monitor").warning("acknowledge %s failed: %s", alert_id, exc)

    return lambda alert_id: threading.Thread(target=post, args=(alert_id,), daemon=True).start()


def remote_data(base_url: str, token: str | None, timeout_s: float = 15.0) -> MonitorData:
    """The panel and replay from a twin service's REST API (``/api/details``, ``/api/state``)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)

    def get(path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            r = client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise DataError(f"无法连接服务 {base_url}", f"service unreachable: {base_url}") from exc
        if r.status_code == 200:
            return r.json()
        if r.status_code == 401:
            raise DataError("需要登录(--token)", "sign in needed (--token)")
        if r.status_code == 403:
            raise DataError("无权查看(需工作人员及以上)", "not allowed (staff and up)")
        try:
            msg = r.json()["error"]["message"]
            raise DataError(f"HTTP {r.status_code}: {msg.get('zh', '')}", f"HTTP {r.status_code}: {msg.get('en', '')}")
        except (ValueError, KeyError, TypeError):
            raise DataError(f"服务返回 HTTP {r.status_code}", f"service answered HTTP {r.status_code}") from None

    def details(kind: str, ident: str, quantity: str | None, now: str | None) -> dict[str, Any]:
        params = {"kind": kind, "id": ident}
        if quantity:
            params["quantity"] = quantity
        if now:
            params["at"] = now
        return get("/api/details", params)

    def state(when: str) -> dict[str, Any]:
        return get("/api/state", {"at": when})

    def field(quantity: str) -> dict[str, Any]:
        return get("/api/field", {"quantity": quantity})

    return MonitorData(details, state, client.close, field)


def details_view(d: dict[str, Any], lang: str) -> Any:
    """A :func:`bridge.twin.monitor_data.details` dict as the panel's :class:`~twin_engine.monitor.Details`.

    A limit farther from the data than the band is wide (bronze's 0 %RH floor under 50 %RH
    readings) is left off the chart, so the data keeps the chart's height."""
    from twin_engine.hud import Series
    from twin_engine.monitor import Details

    hist = d.get("history") or {}
    history = Series(list(hist["t_h"]), list(hist["values"])) if hist.get("t_h") else None
    fc = d.get("forecast")
    forecast = Series(list(fc["t_h"]), list(fc["mean"]), list(fc["lower"]), list(fc["upper"])) if fc else None
    limits = None
    lim = d.get("limits") or {}
    low, high = lim.get("low"), lim.get("high")
    values = [v for s in (history, forecast) if s is not None for v in s.values]
    if values and low is not None and high is not None:
        lo, hi, width = min(values), max(values), high - low
        low = low if low >= lo - width else None
        high = high if high <= hi + width else None
    if low is not None or high is not None:
        limits = (low if low is not None else high, high if high is not None else low)
    return Details(quantity=str(d.get("quantity") or "temperature"), history=history, forecast=forecast,
                   limits=limits, lines=_lines(d.get("lines") or (), lang), sensor=str(d.get("sensor") or ""))


def _lines(items: Any, lang: str) -> list[tuple[str, str]]:
    key = "zh-CN" if lang.startswith("zh") else "en"
    out = []
    for item in items:
        label, value = item.get("label") or {}, item.get("value") or {}
        out.append((str(label.get(key) or label.get("en", "")), str(value.get(key) or value.get("en", ""))))
    return out


def error_view(err: DataError, quantity: str) -> Any:
    """The panel's note that its data could not be had: both languages, whatever is shown."""
    from twin_engine.monitor import Details

    return Details(quantity=quantity, lines=[(err.message["zh-CN"], ""), (err.message["en"], "")])


class FieldLink:
    """The field model alone, for a hall screen without a panel link (the site monitor's halls): asks
    ``field(quantity)`` off the render thread for the shown quantity (again every
    :data:`FIELD_REFRESH_S`) and hands the answer to ``set_field_choice``; a failure keeps IDW and
    says why in the legend. :meth:`poll` runs in the frame task."""

    def __init__(self, monitor: Any, field: FieldFn):
        def none(*_: Any) -> dict[str, Any]:
            raise DataError("此处不提供", "not asked here")

        self.monitor = monitor
        self.data = MonitorData(none, none, field=field).start()
        self._asked: dict[str, float] = {}

    def poll(self) -> None:
        m = self.monitor
        asked = self._asked.get(m.quantity)
        if asked is None or time.monotonic() - asked > FIELD_REFRESH_S:
            self._asked[m.quantity] = time.monotonic()
            self.data.request_field(m.quantity)
        for what, key, answer in self.data.drain():
            if what == "field":
                m.set_field_choice(answer if isinstance(answer, dict)
                                   else {"quantity": key, "method": "IDW", "fallback": answer.message})

    def settle(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        self.poll()
        while time.monotonic() < deadline and not self.data.idle():
            time.sleep(0.02)
        self.poll()

    def stop(self) -> None:
        self.data.stop()


class PanelLink:
    """Connects a :class:`~twin_engine.monitor.MonitorScreen` to a :class:`MonitorData`:
    asks for the selected relic's or sensor's details at the shown moment (the replayed one while
    replaying; again when the shown quantity or moment changes, and live every ``refresh_s``), answers ``on_replay_request`` with ``show_state_at``, and keeps
    the panel in the shown language. :meth:`poll` runs in the frame task (main thread)."""

    def __init__(self, monitor: Any, data: MonitorData, refresh_s: float = 30.0):
        self.monitor, self.data, self.refresh_s = monitor, data, refresh_s
        # target -> (quantity, when asked, the replayed moment or None for live)
        self._asked: dict[tuple[str, str], tuple[str, float, str | None]] = {}
        self._moments: dict[tuple[tuple[str, str], str, str | None], str | None] = {}  # request -> its moment
        self._answers: dict[tuple[str, str], dict[str, Any] | DataError] = {}
        self._lang = monitor.lang
        self._want_state: str | None = None
        self._field_asked: dict[str, float] = {}  # quantity -> when its field model was asked for
        self.errors: list[DataError] = []
        monitor.on_replay_request = self.replay

    def replay(self, when: str) -> None:
        self._want_state = when
        self.data.request_state(when)

    def poll(self) -> None:
        m = self.monitor
        sel = m.selection
        asked_field = self._field_asked.get(m.quantity)
        if asked_field is None or time.monotonic() - asked_field > FIELD_REFRESH_S:
            self._field_asked[m.quantity] = time.monotonic()
            self.data.request_field(m.quantity)
        moment = m.replay_time if m.replay is not None else None  # None: live
        if sel is not None:
            asked = self._asked.get(sel)
            if (asked is None or (asked[0], asked[2]) != (m.quantity, moment)
                    or (moment is None and time.monotonic() - asked[1] > self.refresh_s)):
                self._asked[sel] = (m.quantity, time.monotonic(), moment)
                self._moments[(sel, m.quantity, moment or m.time or None)] = moment
                self.data.request_details(sel[0], sel[1], m.quantity, moment or m.time or None)
        if m.lang != self._lang:
            self._lang = m.lang
            for target, answer in self._answers.items():
                self._show(target, answer)
        for what, key, answer in self.data.drain():
            if what == "field":
                if isinstance(answer, DataError):
                    self.errors.append(answer)
                    answer = {"quantity": key, "method": "IDW", "fallback": answer.message}
                m.set_field_choice(answer)
                continue
            if what == "details":
                kind, ident, quantity, at = key
                asked = self._asked.get((kind, ident))
                moment = self._moments.pop(((kind, ident), quantity, at), None)
                if asked is not None and (asked[0], asked[2]) != (quantity, moment) and isinstance(answer, dict):
                    continue  # an answer for a quantity or a moment no longer shown
                self._answers[(kind, ident)] = answer
                if isinstance(answer, DataError):
                    self.errors.append(answer)
                self._show((kind, ident), answer)
            elif isinstance(answer, DataError):
                self.errors.append(answer)
                print(f"replay {key}: {answer.message['zh-CN']} / {answer.message['en']}", file=sys.stderr)
                if sel is not None:
                    self._show(sel, answer)
            elif key == self._want_state and m.replay_hours > 0:
                m.show_state_at(answer.get("readings", ()), str(answer.get("time") or key), answer.get("alerts"))

    def refresh(self) -> None:
        """Ask again for the selection's details (and the field model) at the next :meth:`poll`."""
        self._asked.clear()
        self._field_asked.clear()

    def settle(self, timeout_s: float = 10.0) -> None:
        """Wait (headless runs) until every request is answered and shown."""
        deadline = time.monotonic() + timeout_s
        self.poll()
        while time.monotonic() < deadline and not self.data.idle():
            time.sleep(0.02)
        self.poll()

    def _show(self, target: tuple[str, str], answer: dict[str, Any] | DataError) -> None:
        m = self.monitor
        if isinstance(answer, DataError):
            m.set_details(target[0], target[1], error_view(answer, m.quantity))
        else:
            m.set_details(target[0], target[1], details_view(answer, m.lang))
