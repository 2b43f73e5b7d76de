"""``relic-twin monitor --hub URL``: a provincial hub's screen: every museum at a glance, click one to see its halls.

Two levels of the same cards as the site overview (:class:`twin_engine.site_overview.SiteOverviewScreen`):

- the province: a card per museum, worst first as ``GET /api/hub/sites?by=risk`` ranks them (tier,
  worst relic, open alerts, sensors offline, time in range); a user scoped to one museum sees that
  one card, since the hub lists only the sites a user may see;
- a museum: ``GET /api/hub/sites/{site}``'s halls, ranked; Home goes back to the province.

The hub keeps no live twin (each museum's own box does), so a hall is not entered from here: the
cards are re-read every ``REFRESH_S``. View data only; nothing here imports ``bridge/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from twin_engine.site_overview import SITE_KEYS, SiteOverviewScreen, tx

REFRESH_S = 15.0
"""How often the cards are read again from the hub."""

Fetch = Callable[[str | None], dict[str, Any]]
"""site id -> ``/api/hub/sites/{site}``'s answer; None -> the province (:func:`province`)."""


def province(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """``GET /api/hub/sites``'s rows as the site overview's document: each museum a card."""
    return {"site": "", "name": {"zh-CN": tx("hub_name", "zh-CN"), "en": tx("hub_name", "en")},
            "open_alerts": sum(int(r.get("open_alerts", 0)) for r in rows),
            "sensors": sum(int(r.get("sensors", 0)) for r in rows),
            "sensors_offline": sum(int(r.get("sensors_offline", 0)) for r in rows),
            "halls": [{"hall": r["site"], "kind": "site", "name": r.get("name") or {"en": r["site"]},
                       "tier": r.get("tier", "green"), "worst_relic": r.get("worst_relic"),
                       "open_alerts": r.get("open_alerts", 0), "sensors": r.get("sensors", 0),
                       "sensors_offline": r.get("sensors_offline", 0), "time_in_range": r.get("time_in_range")}
                      for r in rows]}


class ProvinceScreen(SiteOverviewScreen):
    """The province: a card per museum (the site overview's cards, counted as museums)."""

    summary_key = "hub_summary"
    hint_key = "hub_hint"


class MuseumScreen(SiteOverviewScreen):
    """One museum's halls as the hub sees them (no hall to enter: the hub holds no live twin)."""

    hint_key = "hub_site_hint"


class HubMonitor:
    """The province and, one at a time, a museum's halls.

    fetch : None -> the province document, a site id -> that museum's overview (``/api/hub/sites/{site}``)
    """

    keys: Mapping[str, str] = SITE_KEYS

    def __init__(self, base: Any, fetch: Fetch, lang: str = "en", font: Any | None = None) -> None:
        self.base, self.fetch, self.lang, self.font = base, fetch, lang, font
        self.province = ProvinceScreen(base, fetch(None), lang, font, on_enter=self.enter_site)
        self.museum: MuseumScreen | None = None
        self.site: str | None = None  # the museum shown; None: the province

    @property
    def screen(self) -> SiteOverviewScreen:
        return self.museum or self.province

    def enter(self) -> None:
        self.province.enter()

    def exit(self) -> None:
        if self.museum is not None:
            self.museum.exit()
        self.province.exit()

    def update(self, dt: float) -> None:
        self.screen.update(dt)

    def act(self, action: str) -> None:
        if action == "site_overview":
            self.show_province()
        elif action == "next_hall" and self.museum is None and self.province.cards:
            self.enter_site(self.province.cards[0].hall)
        elif action == "toggle_language":
            self.lang = "en" if self.lang.startswith("zh") else "zh-CN"
            for screen in (self.province, self.museum):
                if screen is not None:
                    screen.lang = self.lang
                    screen.draw()  # (nothing while not shown)
        else:
            self.screen.act(action)

    def click(self, px: float, py: float) -> str | None:
        return self.screen.click(px, py)

    def enter_site(self, site: str) -> None:
        """Show ``site``'s halls (read from the hub now)."""
        doc = self.fetch(site)
        if self.museum is not None:
            self.museum.exit()
        self.province.exit()
        self.site = site
        self.museum = MuseumScreen(self.base, doc, self.lang, self.font)
        self.museum.enter()

    def show_province(self) -> None:
        if self.museum is not None:
            self.museum.exit()
        self.museum, self.site = None, None
        if self.province.canvas is None:
            self.province.enter()

    def refresh(self) -> None:
        """Read the cards shown again."""
        if self.museum is not None and self.site is not None:
            self.museum.set_site(self.fetch(self.site))
        else:
            self.province.set_site(self.fetch(None))


def remote_hub(base_url: str, token: str | None, timeout_s: float = 15.0) -> Fetch:
    """The hub's ``/api/hub/sites`` (None) and ``/api/hub/sites/{site}``; ``RuntimeError`` with a zh/en reason."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fetch(site: str | None) -> dict[str, Any]:
        path = "/api/hub/sites" + (f"/{site}" if site else "")
        try:
            r = httpx.get(f"{base_url}{path}", params={"by": "risk"}, headers=headers, timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"hub unreachable: {base_url} / 无法连接汇聚中心") from exc
        if r.status_code != 200:
            raise RuntimeError(f"{base_url}{path} answered HTTP {r.status_code} / 汇聚中心返回错误")
        body = r.json()
        return province(body) if site is None else dict(body)

    return fetch


def run_hub_monitor(fetch: Fetch, headless: bool, seconds: float | None, every: float, out: Path, lang: str,
                    size: tuple[int, int], enter: str | None = None) -> int:
    """The hub monitor; headless, frames to ``out`` (``last.png`` at the end)."""
    from twin_engine.app import TwinApp, grab_frame, make_base, run_frames, write_png
    from twin_engine.fonts import load_font

    base = make_base(offscreen=headless, size=size)
    font = load_font(base.loader)
    monitor = HubMonitor(base, fetch, lang, font)
    TwinApp(base).show(monitor)
    if enter:
        monitor.enter_site(enter)
    fetched = {"at": time.monotonic()}

    def save(path: Path) -> None:
        base.graphicsEngine.renderFrame()
        base.graphicsEngine.renderFrame()
        write_png(grab_frame(base), path)

    def tick(now: float) -> None:
        if now - fetched["at"] >= REFRESH_S:
            fetched["at"] = now
            try:
                monitor.refresh()
            except RuntimeError as exc:  # keep the cards shown; say why once per refresh
                print(f"relic-twin monitor: {exc}")

    return run_frames(base, tick, save, headless, seconds, every, out, "hub-refresh")
