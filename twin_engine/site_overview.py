"""The site overview (every hall at a glance; click a hall to enter it) and the hall switcher.

Three pieces, each owning its nodes:

- :class:`SiteOverviewScreen`: one card per hall, worst first as ``GET /api/site`` ranks them
  (:mod:`bridge.site.overview`): the hall's tier as the card's colour band, its worst relic,
  open alerts, sensors offline and time in range; a summary line for the site. Clicking a card
  (:meth:`SiteOverviewScreen.click`) enters that hall.
- :class:`HallSwitcher`: a small bar at the top right of a hall's monitor: "◀ hall (i/n) ▶" and
  a button back to the site overview; keys in :data:`twin_engine.keys.SITE_KEYS`.
- :class:`SiteMonitor`: the state machine between them. It keeps each hall's live state from the
  site feed (readings and alerts name their hall) so that a hall entered shows its state at once,
  and hands a hall's :class:`twin_engine.monitor.MonitorScreen` only that hall's messages.

View data only (the ``/api/site`` answer and feed messages as dictionaries): nothing here
imports ``bridge/`` or ``simulation/`` (a hall's scene reaches :class:`SiteMonitor` through the
``make_hall`` factory the caller passes). Drawn with :mod:`twin_engine.layout` in window pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twin_engine.keys import MONITOR_KEYS, SITE_KEYS
from twin_engine.layout import Canvas, Rect, lift
from twin_engine.texts import pick

#: the texts of this module, zh-CN and en
TEXTS: dict[str, dict[str, str]] = {
    "site_summary": {"zh-CN": "{halls} 个展厅 · 未处理告警 {alerts} · 离线传感器 {offline}/{sensors}",
                     "en": "{halls} halls · {alerts} open alerts · {offline}/{sensors} sensors offline"},
    "worst_relic": {"zh-CN": "风险最高: {name}", "en": "Worst relic: {name}"},
    "no_relic_at_risk": {"zh-CN": "文物均无告警", "en": "No relic at risk"},
    "open_alerts": {"zh-CN": "未处理告警: {n}", "en": "Open alerts: {n}"},
    "sensors_offline": {"zh-CN": "离线传感器: {n}/{total}", "en": "Sensors offline: {n}/{total}"},
    "time_in_range": {"zh-CN": "达标时间: {pct}", "en": "Time in range: {pct}"},
    "storeroom": {"zh-CN": "库房", "en": "storeroom"},
    "enter_hint": {"zh-CN": "点击展厅进入  Tab 下一个  L 语言", "en": "click a hall to enter  Tab next  L language"},
    "site_button": {"zh-CN": "全馆总览", "en": "Site overview"},
    "more_halls": {"zh-CN": "另有 {n} 个展厅（Tab 切换）", "en": "+{n} more halls (Tab to switch)"},
    "hub_summary": {"zh-CN": "{halls} 个场馆 · 未处理告警 {alerts} · 离线传感器 {offline}/{sensors}",
                    "en": "{halls} museums · {alerts} open alerts · {offline}/{sensors} sensors offline"},
    "hub_hint": {"zh-CN": "点击场馆查看其展厅  L 语言", "en": "click a museum to see its halls  L language"},
    "hub_site_hint": {"zh-CN": "Home 返回全省  L 语言", "en": "Home back to the province  L language"},
    "hub_name": {"zh-CN": "省级汇聚中心", "en": "Provincial hub"},
}

RGBA = tuple[float, float, float, float]
TIER_RGBA: dict[str, RGBA] = {"red": (0.90, 0.16, 0.14, 1.0), "yellow": (0.98, 0.78, 0.12, 1.0),
                              "green": (0.30, 0.72, 0.38, 1.0)}
"""A hall's band colour by tier (red and yellow as the monitor's alert tiers, ``hud.TIER_COLOURS``)."""
BACKGROUND: RGBA = (0.08, 0.09, 0.11, 1.0)
CARD: RGBA = (0.16, 0.17, 0.20, 1.0)
BAR: RGBA = (0.12, 0.13, 0.16, 0.92)
TEXT: RGBA = (0.95, 0.95, 0.95, 1.0)
DIM: RGBA = (0.70, 0.72, 0.76, 1.0)


def tx(key: str, lang: str, **kw: Any) -> str:
    """The text ``key`` of :data:`TEXTS` in ``lang``, formatted with ``kw``."""
    entry = TEXTS[key]
    return entry["zh-CN" if lang.startswith("zh") else "en"].format(**kw)


@dataclass(frozen=True)
class HallCard:
    """One hall as the overview shows it (a hall of ``GET /api/site``)."""

    hall: str
    kind: str
    name: Mapping[str, str]
    tier: str
    worst: Mapping[str, Any] | None
    open_alerts: int
    sensors: int
    sensors_offline: int
    time_in_range: float | None

    @classmethod
    def of(cls, h: Mapping[str, Any]) -> HallCard:
        tir = h.get("time_in_range")
        return cls(str(h["hall"]), str(h.get("kind", "hall")), dict(h.get("name") or {"en": h["hall"]}),
                   str(h.get("tier", "green")), h.get("worst_relic"), int(h.get("open_alerts", 0)),
                   int(h.get("sensors", 0)), int(h.get("sensors_offline", 0)),
                   None if tir is None or not math.isfinite(float(tir)) else float(tir))

    def lines(self, lang: str) -> list[str]:
        """The card's body lines in ``lang``."""
        worst = (tx("worst_relic", lang, name=pick(self.worst.get("name") or {"en": self.worst["id"]}, lang))
                 if self.worst else tx("no_relic_at_risk", lang))
        pct = "—" if self.time_in_range is None else f"{self.time_in_range * 100:.0f}%"
        return [worst, tx("open_alerts", lang, n=self.open_alerts),
                tx("sensors_offline", lang, n=self.sensors_offline, total=self.sensors),
                tx("time_in_range", lang, pct=pct)]

    def title(self, lang: str) -> str:
        name = pick(self.name, lang) or self.hall
        return f"{name} · {tx('storeroom', lang)}" if self.kind == "storeroom" else name


def card_grid(n: int, area: Rect, gap: float, min_w: float, min_h: float) -> tuple[list[Rect], int]:
    """Rectangles for ``n`` cards in ``area`` (row by row), and how many fit (the rest are not drawn).

    Columns: as many as keep a card ``min_w`` wide, no more than needed, balanced so rows are full.
    """
    if n <= 0:
        return [], 0
    cols = max(1, min(n, int((area.w + gap) // (min_w + gap))))
    rows_needed = math.ceil(n / cols)
    cols = math.ceil(n / rows_needed)  # the same rows with fewer, wider cards
    rows_fit = max(1, int((area.h + gap) // (min_h + gap)))
    rows = min(rows_needed, rows_fit)
    w = (area.w - gap * (cols - 1)) / cols
    h = min((area.h - gap * (rows - 1)) / rows, min_h * 1.6)
    rects = [Rect(area.x + c * (w + gap), area.y + r * (h + gap), w, h) for r in range(rows) for c in range(cols)]
    shown = min(n, len(rects))
    return rects[:shown], shown


class SiteOverviewScreen:
    """Every hall of a site at a glance inside ``base`` (a ShowBase, passed in).

    summary_key, hint_key : the :data:`TEXTS` of the line under the title and of the hint at the
        bottom (a hub's province screen shows museums as cards: :mod:`twin_engine.hub_monitor`)
    """

    keys = SITE_KEYS
    summary_key = "site_summary"
    hint_key = "enter_hint"

    def __init__(self, base: Any, site: Mapping[str, Any], lang: str = "en", font: Any | None = None,
                 on_enter: Callable[[str], None] | None = None) -> None:
        self.base = base
        self.lang = lang
        self.font = font
        self.on_enter = on_enter
        self.site: Mapping[str, Any] = site
        self.cards = [HallCard.of(h) for h in site.get("halls", ())]
        self.card_rects: dict[str, Rect] = {}
        self.canvas: Canvas | None = None

    @property
    def size(self) -> tuple[int, int]:
        win = self.base.win
        return (int(win.getXSize()), int(win.getYSize())) if win is not None else (1280, 720)

    # --- Screen protocol ------------------------------------------------------------------------

    def enter(self) -> None:
        self.canvas = Canvas(self.base.render2d, "site-overview", self.size, self.font)
        self.draw()

    def exit(self) -> None:
        """Remove every node this screen made."""
        if self.canvas is not None:
            self.canvas.root.removeNode()
            self.canvas = None

    destroy = exit

    def update(self, dt: float) -> None:
        cv = self.canvas
        if cv is not None and (cv.metrics.width, cv.metrics.height) != self.size:  # the window was resized
            cv.resize(self.size)
            self.draw()

    def act(self, action: str) -> None:
        if action == "toggle_language":
            self.lang = "en" if self.lang.startswith("zh") else "zh-CN"
            self.draw()
        elif action == "next_hall" and self.cards and self.on_enter is not None:
            self.on_enter(self.cards[0].hall)
        elif action == "select_or_orbit_start":
            at = mouse_px(self.base)
            if at is not None:
                self.click(*at)

    # --- data and drawing -----------------------------------------------------------------------

    def set_site(self, site: Mapping[str, Any]) -> None:
        """New ``/api/site`` data: draw it."""
        self.site = site
        self.cards = [HallCard.of(h) for h in site.get("halls", ())]
        self.draw()

    def draw(self) -> None:
        if self.canvas is None:
            return
        cv = self.canvas
        for child in cv.root.getChildren():
            child.removeNode()
        u, lang = cv.u, self.lang
        window = cv.metrics.window
        cv.box(window, BACKGROUND)
        area = window.inset(u)
        head, area = area.take_top(3.6 * u)
        site_name = pick(self.site.get("name") or {"en": str(self.site.get("site", ""))}, lang)
        cv.text(site_name or "—", head, 1.3 * u, TEXT, max_lines=1)
        summary = tx(self.summary_key, lang, halls=len(self.cards), alerts=self.site.get("open_alerts", 0),
                     offline=self.site.get("sensors_offline", 0), sensors=self.site.get("sensors", 0))
        cv.text(summary, head, 0.8 * u, DIM, y=head.y + 2.0 * u, max_lines=1)
        hint, area = area.take_bottom(1.4 * u)
        area = area.inset(0, 0.3 * u)
        rects, shown = card_grid(len(self.cards), area, 0.8 * u, 16 * u, 7.5 * u)
        if shown < len(self.cards):
            cv.text(tx("more_halls", lang, n=len(self.cards) - shown), hint, 0.75 * u, DIM, align="right",
                    max_lines=1)
        cv.text(tx(self.hint_key, lang), hint, 0.75 * u, DIM, max_lines=1,
                wrap_w=hint.w / 2 if shown < len(self.cards) else None)
        self.card_rects = {}
        for card, r in zip(self.cards, rects, strict=False):
            self._card(card, r)
            self.card_rects[card.hall] = r
        lift(cv.root, 0)

    def _card(self, card: HallCard, r: Rect) -> None:
        cv, u, lang = self.canvas, self.canvas.u, self.lang  # type: ignore[union-attr]
        cv.box(r, CARD)  # type: ignore[union-attr]
        band, body = r.take_top(2.0 * u)
        cv.box(band, TIER_RGBA.get(card.tier, TIER_RGBA["green"]))  # type: ignore[union-attr]
        ink = (0.05, 0.05, 0.05, 1.0) if card.tier == "yellow" else TEXT
        cv.text(card.title(lang), band.inset(0.5 * u, 0.35 * u), 1.0 * u, ink, max_lines=1)  # type: ignore[union-attr]
        body = body.inset(0.5 * u, 0.4 * u)
        size = 0.8 * u
        rows = max(1, int(body.h // (size * 1.35)))
        cv.text("\n".join(card.lines(lang)[:rows]), body, size, TEXT, wrap_w=None)  # type: ignore[union-attr]

    def click(self, px: float, py: float) -> str | None:
        """The hall whose card is at window pixel (px, py), entered through ``on_enter``; None elsewhere."""
        for hall, r in self.card_rects.items():
            if r.contains(px, py):
                if self.on_enter is not None:
                    self.on_enter(hall)
                return hall
        return None


class HallSwitcher:
    """A bar at the top right of a hall's screen: site overview, previous and next hall, where we are."""

    def __init__(self, base: Any, halls: Sequence[tuple[str, Mapping[str, str]]], current: str, lang: str = "en",
                 font: Any | None = None) -> None:
        self.base = base
        self.halls = list(halls)
        self.current = current
        self.lang = lang
        win = base.win
        size = (int(win.getXSize()), int(win.getYSize())) if win is not None else (1280, 720)
        self.canvas = Canvas(base.render2d, "hall-switcher", size, font)
        self.buttons: dict[str, Rect] = {}
        self.draw()

    def destroy(self) -> None:
        self.canvas.root.removeNode()

    def neighbour(self, step: int) -> str:
        ids = [h for h, _ in self.halls]
        if not ids:
            return self.current
        i = ids.index(self.current) if self.current in ids else 0
        return ids[(i + step) % len(ids)]

    def draw(self) -> None:
        cv = self.canvas
        for child in cv.root.getChildren():
            child.removeNode()
        u, lang = cv.u, self.lang
        ids = [h for h, _ in self.halls]
        names = dict(self.halls)
        i = ids.index(self.current) if self.current in ids else 0
        w = min(cv.metrics.width * 0.34, 22 * u)
        bar = Rect(cv.metrics.width - w - 0.3 * u, 0.3 * u, w, 1.6 * u)  # the header's top right, beside the title
        cv.box(bar, BAR)
        site_w = min(w * 0.36, 7 * u)
        site, rest = bar.take_left(site_w)
        prev, rest = rest.take_left(1.6 * u)
        nxt, mid = rest.take_right(1.6 * u)
        size = 0.75 * u
        self.buttons = {"site": site, "previous_hall": prev, "next_hall": nxt}
        cv.box(site.inset(0.15 * u), (0.25, 0.27, 0.32, 1.0))
        cv.text(tx("site_button", lang), site.inset(0.3 * u, 0.4 * u), size, TEXT, align="center", max_lines=1)
        for r, arrow in ((prev, "<"), (nxt, ">")):
            cv.text(arrow, r.inset(0, 0.3 * u), 1.0 * u, TEXT, align="center", max_lines=1)
        label = f"{pick(names.get(self.current, {'en': self.current}), lang) or self.current} ({i + 1}/{len(ids)})"
        cv.text(label, mid.inset(0.2 * u, 0.4 * u), size, TEXT, align="center", max_lines=1)
        lift(cv.root, 900_000)

    def click(self, px: float, py: float) -> str | None:
        """"site", "previous_hall" or "next_hall" for a click on a button; None elsewhere."""
        return next((name for name, r in self.buttons.items() if r.contains(px, py)), None)


class SiteMonitor:
    """The site overview and, one at a time, the monitor of a hall, with the hall switcher over it.

    make_hall : hall id -> a hall screen (``MonitorScreen`` of that hall's scene) with ``enter``,
        ``exit``, ``update``, ``act``, ``apply`` and ``keys``
    """

    def __init__(self, base: Any, site: Mapping[str, Any], make_hall: Callable[[str], Any], lang: str = "en",
                 font: Any | None = None) -> None:
        self.base = base
        self.lang = lang
        self.font = font
        self.make_hall = make_hall
        self.overview = SiteOverviewScreen(base, site, lang, font, on_enter=self.enter_hall)
        self.hall: str | None = None  # the hall shown; None: the overview
        self.screen: Any = None
        self.switcher: HallSwitcher | None = None
        self._readings: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._alerts: dict[str, dict[str, dict[str, Any]]] = {}
        self._control: dict[str, list[dict[str, Any]]] = {}
        self._time = ""

    keys: Mapping[str, str] = {**MONITOR_KEYS, **SITE_KEYS}

    def halls(self) -> list[tuple[str, Mapping[str, str]]]:
        return [(c.hall, c.name) for c in self.overview.cards]

    def enter(self) -> None:
        self.overview.enter()

    def exit(self) -> None:
        self._leave_hall()
        self.overview.exit()

    def update(self, dt: float) -> None:
        (self.screen or self.overview).update(dt)

    def act(self, action: str) -> None:
        if action == "site_overview":
            self.show_site()
        elif action in ("next_hall", "previous_hall") and self.hall is not None and self.switcher is not None:
            self.enter_hall(self.switcher.neighbour(1 if action == "next_hall" else -1))
        elif self.screen is not None:
            at = mouse_px(self.base) if action == "select_or_orbit_start" else None
            if at is None or self.click(*at) is None:
                self.screen.act(action)
        else:
            self.overview.act(action)

    def click(self, px: float, py: float) -> str | None:
        """A click at window pixel (px, py): a switcher button or a hall card; what it did, or None."""
        if self.switcher is not None:
            button = self.switcher.click(px, py)
            if button is not None:
                self.act("site_overview" if button == "site" else button)
                return button
            return None
        return self.overview.click(px, py)

    # --- switching ------------------------------------------------------------------------------

    def enter_hall(self, hall: str) -> None:
        """Show ``hall``'s monitor with the state the feed has given so far (a hall ``make_hall`` does
        not know, KeyError, leaves the screen as it is)."""
        try:
            screen = self.make_hall(hall)
        except KeyError:
            return
        self._leave_hall()
        self.overview.exit()
        self.hall = hall
        self.screen = screen
        self.screen.enter()
        self.screen.apply(self.hall_snapshot(hall))
        self.switcher = HallSwitcher(self.base, self.halls(), hall, self.lang, self.font)

    def show_site(self) -> None:
        """Back to the overview of every hall."""
        self._leave_hall()
        if self.overview.canvas is None:
            self.overview.enter()

    def _leave_hall(self) -> None:
        if self.screen is not None:
            self.screen.exit()
        if self.switcher is not None:
            self.switcher.destroy()
        self.screen, self.switcher, self.hall = None, None, None

    # --- feed -----------------------------------------------------------------------------------

    def apply(self, msg: Mapping[str, Any]) -> None:
        """A site feed message: kept per hall; the hall shown gets its own part."""
        kind = msg.get("type")
        if kind not in ("snapshot", "delta"):
            return
        if kind == "snapshot":
            self._readings, self._alerts, self._control = {}, {}, {}
        self._time = str(msg.get("time", self._time))
        for r in msg.get("readings", ()):
            per = self._readings.setdefault(str(r.get("hall", "")), {})
            key = (str(r.get("sensor")), str(r.get("quantity")))
            if key not in per or str(r.get("time", "")) >= str(per[key].get("time", "")):
                per[key] = dict(r)
        for a in msg.get("alerts", ()):
            if "id" not in a:
                continue
            per_a = self._alerts.setdefault(str(a.get("hall", "")), {})
            if a.get("cleared") or a.get("active") is False:
                per_a.pop(str(a["id"]), None)
            else:
                per_a[str(a["id"])] = dict(a)
        if "control" in msg:
            self._control = {}
            for c in msg["control"]:
                self._control.setdefault(str(c.get("hall", "")), []).append(dict(c))
        if self.screen is not None and self.hall is not None:
            part = only_hall(msg, self.hall)
            if part is not None:
                self.screen.apply(part)

    def hall_snapshot(self, hall: str) -> dict[str, Any]:
        """A snapshot message of ``hall`` from what the feed gave so far."""
        return {"type": "snapshot", "hall": hall, "time": self._time,
                "readings": list(self._readings.get(hall, {}).values()),
                "alerts": list(self._alerts.get(hall, {}).values()), "control": self._control.get(hall, [])}


def mouse_px(base: Any) -> tuple[float, float] | None:
    """The mouse in window pixels (origin top left), None when it is outside the window."""
    mw = base.mouseWatcherNode
    if mw is None or not mw.hasMouse() or base.win is None:
        return None
    m = mw.getMouse()
    return (m[0] + 1) / 2 * base.win.getXSize(), (1 - m[1]) / 2 * base.win.getYSize()


def only_hall(msg: Mapping[str, Any], hall: str) -> dict[str, Any] | None:
    """The part of a site feed message that belongs to ``hall``; None when nothing does (a delta)."""
    out = dict(msg)
    for key in ("readings", "alerts", "control"):
        if key in msg:
            out[key] = [x for x in msg[key] if x.get("hall", hall) == hall]
    out["hall"] = hall
    if msg.get("type") == "delta" and not any(out.get(k) for k in ("readings", "alerts")) and "control" not in msg:
        return None
    return out
