"""A monitor that cannot see says so: the feed client's state (connected, unreachable, refused), the
status line on screen in both languages, alert rows that never overlap, and the exit status."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures_api import Api, serve
from fixtures_broker import free_port

from simulation.paths import scenes_dir
from simulation.scene import load_scene
from twin_engine.demo import FeedClient
from twin_engine.hud import TIER_COLOURS
from twin_engine.layout import Metrics, describe, escapes, overlaps, text_bounds
from twin_engine.monitor import MonitorScreen

ROOT = Path(__file__).resolve().parents[1]
T0 = "2026-11-25T14:00:00Z"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from serve(tmp_path_factory.mktemp("api-conn"))


def wait_status(feed: FeedClient, want: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while feed.status != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return feed.status


def test_nobody_listening_is_unreachable() -> None:
    feed = FeedClient(f"ws://127.0.0.1:{free_port()}/live").start()
    try:
        assert wait_status(feed, "unreachable") == "unreachable"
        assert feed.problem() is not None and "无法连接" in feed.problem()
    finally:
        feed.stop()


def test_wrong_token_is_refused_and_a_good_one_connects(api: Api) -> None:
    bad = FeedClient(f"{api.ws_url}/api/live", "not-a-token").start()
    good = FeedClient(f"{api.ws_url}/api/live", api.tokens["staff"]).start()
    try:
        assert wait_status(bad, "refused") == "refused"
        assert "令牌" in (bad.problem() or "")
        assert wait_status(good, "connected") == "connected"
        assert good.problem() is None
        deadline = time.monotonic() + 10
        while good.messages.empty() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert good.messages.get_nowait()["type"] == "snapshot"
    finally:
        bad.stop()
        good.stop()


def reading(sensor: str, value: float, stale: bool = False) -> dict[str, Any]:
    return {"sensor": sensor, "quantity": "temperature", "time": T0, "value": value, "unit": None,
            "quality": "ok", "stale": stale}


@pytest.fixture
def monitor(engine_base: Any) -> Iterator[MonitorScreen]:
    screen = MonitorScreen(engine_base, load_scene(scenes_dir() / "demo_hall"), lang="en", load_meshes=False)
    screen.enter()
    yield screen
    screen.exit()


def text_nodes(root: Any) -> list[str]:
    return [n.node().getText() for n in root.findAllMatches("**/+TextNode")]


def test_status_line_in_both_languages_and_local_time(monitor: MonitorScreen) -> None:
    monitor.set_connection("refused", "HTTP 403")
    monitor.render_frame()
    line, tier = monitor.connection_line()
    assert tier == "red" and "sign-in refused" in line and "HTTP 403" in line
    assert any("alerts unknown" in s for s in text_nodes(monitor.alert_list.root))
    monitor.toggle_language()
    assert "登录被拒绝" in monitor.connection_line()[0]
    monitor.toggle_language()
    monitor.set_connection("connected")
    monitor.apply_snapshot({"type": "snapshot", "time": T0, "readings": [reading("S01", 20.0)], "alerts": []})
    line, tier = monitor.connection_line()
    assert tier == "green" and "22:00 UTC+8" in line  # 14:00Z on the hall's clock (Asia/Shanghai)
    monitor.render_frame()
    assert any("2026-11-25 22:00 UTC+8" in s for s in text_nodes(monitor.title.root))
    monitor.apply_snapshot({"type": "snapshot", "time": T0, "readings": [reading("S01", 20.0, stale=True)],
                            "alerts": []})
    line, tier = monitor.connection_line()
    assert tier == "red" and "no data since 2026-11-25 22:00 UTC+8" in line


def test_status_line_is_drawn_in_its_tier_colour(monitor: MonitorScreen) -> None:
    monitor.set_connection("unreachable", "")
    monitor.render_frame()
    img = monitor.screenshot()
    w, h = img.getXSize(), img.getYSize()
    red = TIER_COLOURS["red"]
    # the status line: the header's second line, at the left
    status = next(t for t in text_bounds(monitor.title.root, monitor.base.render2d, (w, h)) if "unreachable" in t.text)
    y0 = int(status.rect.centre[1])
    hits = sum(1 for x in range(0, w // 3) for y in range(y0 - 4, y0 + 4)
               if abs(img.getRed(x, y) - red[0]) < 0.12 and abs(img.getGreen(x, y) - red[1]) < 0.12
               and abs(img.getBlue(x, y) - red[2]) < 0.12)
    assert hits > 20


def test_long_alert_rows_do_not_overlap(monitor: MonitorScreen) -> None:
    long = {"en": "Relative humidity at the bronze ding is 68.2 %RH, above its limit of 55 %RH for 2 h; "
                  "close the case vents and check the silica gel before the evening",
            "zh-CN": "青铜鼎处相对湿度 68.2 %RH，已超过其 55 %RH 上限 2 小时；请关闭展柜通风口并检查硅胶，傍晚前完成"}
    alerts = [{"id": f"a{i}", "tier": "red", "message": long, "started_at": T0} for i in range(4)]
    alerts.append({"id": "b", "tier": "yellow", "message": {"en": "CO2 high", "zh-CN": "二氧化碳偏高"}, "started_at": T0})
    for lang in ("en", "zh-CN"):
        monitor.lang = lang
        monitor.apply_snapshot({"type": "snapshot", "time": T0, "readings": [reading("S01", 20.0)], "alerts": alerts})
        monitor.render_frame()
        size = (monitor.base.win.getXSize(), monitor.base.win.getYSize())
        texts = text_bounds(monitor.canvas.root, monitor.base.render2d, size)
        rows = [t for t in texts if t.text.startswith(("Relative", "青铜", "CO2", "二氧化碳"))]
        assert rows, f"no alert row drawn ({lang})"
        pairs, lone = overlaps(texts), escapes(texts, Metrics.of(size).window)
        assert not pairs and not lone, describe(pairs, lone)


def test_monitor_with_nobody_listening_exits_1(tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-m", "twin_engine.cli", "monitor", "--headless", "--seconds", "3", "--url",
         f"ws://127.0.0.1:{port}/live", "--api", f"http://127.0.0.1:{port}", "--out", str(tmp_path / "f")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "无法连接" in done.stderr and "Traceback" not in done.stderr
    assert "Known pipe types" not in done.stdout + done.stderr
    assert (tmp_path / "f" / "last.png").is_file()


def test_replaying_an_alert_asks_for_a_moment_at_or_after_it(monitor: MonitorScreen) -> None:
    asked: list[str] = []
    monitor.on_replay_request = asked.append
    alert = {"id": "a1", "tier": "red", "message": {"en": "x", "zh-CN": "x"}, "started_at": "2026-11-25T13:03:27.500Z"}
    monitor.apply_snapshot({"type": "snapshot", "time": T0, "readings": [], "alerts": [alert]})
    assert monitor.replay_alert("a1") == "2026-11-25T13:03:28Z"
    assert asked == ["2026-11-25T13:03:28Z"]
    alert["started_at"] = "2026-11-25T13:03:27Z"
    monitor.apply_snapshot({"type": "snapshot", "time": T0, "readings": [], "alerts": [alert]})
    assert monitor.replay_alert("a1") == "2026-11-25T13:03:27Z"
