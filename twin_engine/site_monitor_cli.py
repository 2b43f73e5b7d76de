"""``relic-twin monitor --site DIR``: the site overview and each hall's monitor, one window.

Connected (``--url`` of a ``serve --site`` feed, ``--api``/``--token`` as for one hall) the overview
reads ``GET /api/site`` every ``SITE_REFRESH_S``; ``--embedded`` runs the site's service in this
process (:func:`bridge.site.runtime.start_site`) and reads the same overview from its store.
Headless, frames go to ``--out`` as for one hall (``last.png`` at the end).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SITE_REFRESH_S = 15.0
"""How often the overview's cards are read again (the feed moves the hall shown at once)."""


def remote_site(base_url: str, token: str | None, timeout_s: float = 15.0) -> Callable[[], dict[str, Any]]:
    """``GET /api/site`` of a service; raises ``RuntimeError`` with a zh/en reason on failure."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fetch() -> dict[str, Any]:
        try:
            r = httpx.get(f"{base_url}/api/site", headers=headers, timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"service unreachable: {base_url} / 无法连接服务") from exc
        if r.status_code != 200:
            raise RuntimeError(f"{base_url}/api/site answered HTTP {r.status_code} / 服务返回错误")
        return dict(r.json())

    return fetch


def embedded_site(runtime: Any) -> Callable[[], dict[str, Any]]:
    """The overview of an embedded site runtime, read from its store as ``/api/site`` reads it."""
    from datetime import UTC, datetime

    from bridge.site.overview import site_overview

    return lambda: site_overview(runtime.store, runtime.site, datetime.now(UTC))


def embedded_field(runtime: Any) -> Callable[[str, str], dict[str, Any]]:
    """(hall, quantity) -> the field model chosen on that hall's stored history (:mod:`bridge.twin.field_choice`)."""
    from bridge.twin.field_choice import field_choice

    scenes = {h.id: h.scene for h in runtime.site.halls}
    return lambda hall, quantity: field_choice(runtime.store, scenes[hall], quantity)


def remote_field(base_url: str, token: str | None, timeout_s: float = 15.0) -> Callable[[str, str], dict[str, Any]]:
    """(hall, quantity) -> ``GET /api/field?hall=&quantity=`` of a service; a DataError with the reason."""
    import httpx

    from twin_engine.demo import DataError

    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fetch(hall: str, quantity: str) -> dict[str, Any]:
        try:
            r = httpx.get(f"{base_url}/api/field", params={"hall": hall, "quantity": quantity}, headers=headers,
                          timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise DataError(f"无法连接服务 {base_url}", f"service unreachable: {base_url}") from exc
        if r.status_code != 200:
            raise DataError(f"服务返回 HTTP {r.status_code}", f"service answered HTTP {r.status_code}")
        return dict(r.json())

    return fetch


def run_site_monitor(site: Any, feed: Any, fetch_site: Callable[[], dict[str, Any]], headless: bool,
                     seconds: float | None, every: float, out: Path, lang: str, size: tuple[int, int],
                     enter: str | None = None, fetch_field: Callable[[str, str], dict[str, Any]] | None = None) -> int:
    """The site monitor on ``feed`` (a ``FeedClient`` of the site feed); ``enter`` opens a hall at start;
    ``fetch_field(hall, quantity)`` answers which field model each hall's floor is drawn with."""
    from twin_engine.app import TwinApp, grab_frame, make_base, run_frames, write_png
    from twin_engine.fonts import load_font
    from twin_engine.monitor import MonitorScreen
    from twin_engine.site_overview import SiteMonitor

    base = make_base(offscreen=headless, size=size)
    font = load_font(base.loader)
    scenes = {h.id: h.scene for h in site.halls}
    monitor = SiteMonitor(base, fetch_site(), lambda hall: MonitorScreen(base, scenes[hall], lang=lang, font=font),
                          lang, font)
    TwinApp(base).show(monitor)
    if enter:
        monitor.enter_hall(enter)
    fetched = {"at": time.monotonic()}

    def save(path: Path) -> None:
        if monitor.screen is not None:
            monitor.screen.render_frame()
        else:
            base.graphicsEngine.renderFrame()
            base.graphicsEngine.renderFrame()
        write_png(grab_frame(base), path)

    from twin_engine.demo import FieldLink

    link: dict[str, Any] = {"screen": None, "link": None}

    def field_link() -> FieldLink | None:
        """The field link of the hall shown, made anew when the hall changes."""
        if fetch_field is None or monitor.screen is None or monitor.hall is None:
            return None
        if link["screen"] is not monitor.screen:
            if link["link"] is not None:
                link["link"].stop()
            hall = monitor.hall
            link["screen"], link["link"] = monitor.screen, FieldLink(monitor.screen, lambda q: fetch_field(hall, q))
        return link["link"]

    def tick(now: float) -> None:
        for msg in feed.drain():
            monitor.apply(msg)
        if monitor.screen is not None:
            monitor.screen.set_connection(feed.status, feed.reason)
            if (fl := field_link()) is not None:
                fl.poll()
        if now - fetched["at"] >= SITE_REFRESH_S and monitor.screen is None:
            fetched["at"] = now
            try:
                monitor.overview.set_site(fetch_site())
            except RuntimeError as exc:  # keep the last overview; say why once per refresh
                print(f"relic-twin monitor: {exc}")

    def before_last() -> None:
        if monitor.screen is None:
            monitor.overview.set_site(fetch_site())
        elif (fl := field_link()) is not None:
            fl.settle()  # the last frame with the field model the store's history chooses

    try:
        return run_frames(base, tick, save, headless, seconds, every, out, "site-feed", before_last)
    finally:
        if link["link"] is not None:
            link["link"].stop()
