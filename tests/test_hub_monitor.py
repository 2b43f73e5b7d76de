"""The hub's monitor (``relic-twin monitor --hub URL``): every museum a card in its tier's colour, worst
first, read from a real hub API (a museum's user sees only its own card); a click shows that museum's
halls, Home goes back; rendered offscreen."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from fixtures_api import FAST, PASSWORD, SECRET
from test_site_overview import SITE, frame, rgb, size_of
from test_site_serve import make_site

from bridge.api import ApiSettings, create_app
from bridge.api.auth import hash_password
from bridge.api.server import ThreadedServer
from bridge.site.model import load_site
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.epoch import to_us
from bridge.store.models import Alert
from twin_engine import layout
from twin_engine.hub_monitor import HubMonitor, province, remote_hub
from twin_engine.site_overview import TIER_RGBA

ROOT = Path(__file__).resolve().parents[1]
ROWS = [{"site": "county", "name": {"zh-CN": "县博物馆", "en": "County Museum"}, "tier": "red", "open_alerts": 5,
         "sensors": 36, "sensors_offline": 3, "time_in_range": 0.62, "halls": 3,
         "worst_relic": {"id": "R1", "tier": "red", "name": {"zh-CN": "青铜鼎", "en": "Bronze ding"}}},
        {"site": "city", "name": {"zh-CN": "市博物馆", "en": "City Museum"}, "tier": "green", "open_alerts": 0,
         "sensors": 24, "sensors_offline": 0, "time_in_range": 0.97, "halls": 2, "worst_relic": None}]


def test_museums_are_cards_a_click_shows_their_halls_and_home_goes_back(engine_base) -> None:
    asked: list[str | None] = []

    def fetch(site: str | None) -> dict:
        asked.append(site)
        return province(ROWS) if site is None else SITE

    monitor = HubMonitor(engine_base, fetch, "en")
    monitor.enter()
    try:
        image = frame(engine_base)
        cards = monitor.province.card_rects
        assert list(cards) == ["county", "city"]
        u = monitor.province.canvas.u
        for row in ROWS:
            r = cards[row["site"]]
            band = rgb(image, r.right - 0.5 * u, r.y + 0.3 * u)
            assert np.abs(band - TIER_RGBA[row["tier"]][:3]).max() < 0.05, (row["site"], band)
        texts = layout.text_bounds(monitor.province.canvas.root, engine_base.render2d, size_of(engine_base))
        shown = " ".join(t.text for t in texts)
        for piece in ("Provincial hub", "2 museums · 5 open alerts · 3/60 sensors offline", "County Museum",
                      "Worst relic: Bronze ding", "Time in range: 97%", "click a museum"):
            assert piece in shown, piece
        assert not layout.overlaps(texts), layout.describe(layout.overlaps(texts))
        r = cards["county"]
        assert monitor.click(r.x + r.w / 2, r.y + r.h / 2) == "county"
        assert monitor.site == "county" and asked == [None, "county"]
        assert monitor.province.canvas is None and list(monitor.museum.card_rects) == ["hall_1", "hall_2", "hall_3"]
        frame(engine_base)
        texts = layout.text_bounds(monitor.museum.canvas.root, engine_base.render2d, size_of(engine_base))
        shown = " ".join(t.text for t in texts)
        assert "County Museum" in shown and "3 halls" in shown and "Home back to the province" in shown
        h = monitor.museum.card_rects["hall_1"]
        assert monitor.click(h.x + h.w / 2, h.y + h.h / 2) == "hall_1" and monitor.site == "county"  # no hall view
        monitor.act("toggle_language")
        frame(engine_base)
        zh = " ".join(t.text for t in layout.text_bounds(monitor.museum.canvas.root, engine_base.render2d,
                                                         size_of(engine_base)))
        assert "返回全省" in zh
        monitor.act("site_overview")
        assert monitor.museum is None and monitor.province.canvas is not None
        assert "全省" not in " ".join(t.text for t in layout.text_bounds(
            monitor.province.canvas.root, engine_base.render2d, size_of(engine_base))) and monitor.lang == "zh-CN"
    finally:
        monitor.exit()
    assert not engine_base.render2d.find("site-overview")


@pytest.fixture(scope="module")
def hub_api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub_monitor")
    sites = {n: load_site(make_site(tmp / n, halls=("hall_1", "hall_2"))) for n in ("museum_a", "museum_b")}
    store = Store.open(url=f"sqlite:///{tmp / 'hub.sqlite'}")
    q.save(store, Alert(raised_at_us=to_us(datetime.now(UTC)), tier="red", sensor="S01", quantity="temperature",
                        target_kind="relic", target_id="ding", key="b-k", site="museum_b", hall="hall_2",
                        message_en="hot", message_zh="过热"))
    app = create_app(store, ApiSettings(data_dir=tmp / "api", secret=SECRET, password_hasher=FAST), sites=sites)
    for user, site in (("hub_admin", ""), ("curator_a", "museum_a")):
        q.add_user(store, user, "curator", hash_password(PASSWORD, FAST), site=site)
    with ThreadedServer(app) as srv, httpx.Client(base_url=srv.url) as c:
        tokens = {u: c.post("/api/auth/token", json={"username": u, "password": PASSWORD}).json()["access_token"]
                  for u in ("hub_admin", "curator_a")}
        yield srv.url, tokens
    store.close()


def test_the_province_is_read_from_the_hub_worst_first_and_scoped(hub_api) -> None:
    url, tokens = hub_api
    doc = remote_hub(url, tokens["hub_admin"])(None)
    cards = [(h["hall"], h["tier"], (h["worst_relic"] or {}).get("id")) for h in doc["halls"]]
    assert cards == [("museum_b", "red", "ding"), ("museum_a", "green", None)]
    assert doc["open_alerts"] == 1
    assert [h["hall"] for h in remote_hub(url, tokens["curator_a"])(None)["halls"]] == ["museum_a"]
    assert [h["hall"] for h in remote_hub(url, tokens["hub_admin"])("museum_b")["halls"]] == ["hall_2", "hall_1"]
    with pytest.raises(RuntimeError, match="HTTP 403"):
        remote_hub(url, tokens["curator_a"])("museum_b")


def test_monitor_hub_writes_a_museums_halls_headless(hub_api, tmp_path: Path) -> None:
    url, tokens = hub_api
    out = tmp_path / "frames"
    done = subprocess.run([sys.executable, "-m", "twin_engine.cli", "monitor", "--hub", url, "--token",
                           tokens["hub_admin"], "--museum", "museum_b", "--headless", "--seconds", "1", "--lang", "en",
                           "--size", "640x360", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "last.png").stat().st_size > 1000
    bad = subprocess.run([sys.executable, "-m", "twin_engine.cli", "monitor", "--hub", url, "--token",
                          tokens["curator_a"], "--museum", "museum_b", "--headless", "--seconds", "1",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "HTTP 403" in bad.stderr and "Traceback" not in bad.stderr
