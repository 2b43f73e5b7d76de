"""The monitor's panel and replay data: the store provider, its REST routes, and the hookup in the engine.

Real SQLite stores with known readings; the API behind a real server; the
engine tests on the shared offscreen ShowBase.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fixtures_api import Api, serve

from bridge.readings import Reading
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.epoch import to_us
from bridge.store.models import Alert
from bridge.twin import monitor_data as md
from bridge.twin.live import iso
from simulation.materials import load_profiles
from simulation.paths import scenes_dir
from simulation.scene import Scene, load_scene

T0 = datetime(2026, 11, 20, tzinfo=UTC)
NOW = T0 + timedelta(hours=47, minutes=55)  # 5 min after the last reading (i = 287)
N = 288  # two days of 10-minute readings


def rh(i: int) -> float:
    return 50.0 + (i % 3)


def temp(i: int) -> float:
    return 20.0 + 0.5 * (i % 6)


@pytest.fixture(scope="module")
def scene() -> Scene:
    return load_scene(scenes_dir() / "demo_hall")


def _fill(store: Store) -> None:
    rows = []
    for i in range(N):
        t = T0 + timedelta(minutes=10 * i)
        rows += [Reading("S02", "relative_humidity", t, rh(i), "%RH"), Reading("S02", "temperature", t, temp(i), "°C")]
    # S01: only the first two hours
    rows += [Reading("S01", "temperature", T0 + timedelta(minutes=10 * i), 18.0 + i, "°C") for i in range(12)]
    # a flagged spike between two good readings: left out of the chart and the forecast
    rows.append(Reading("S02", "relative_humidity", T0 + timedelta(hours=40, minutes=5), 99.0, "%RH", "spike", "x"))
    store.add_readings(rows)
    alert = q.save(store, Alert(raised_at_us=to_us(T0 + timedelta(hours=1)), tier="red", key="a-ding",
                                cleared_at_us=to_us(T0 + timedelta(hours=2)), cause="rh_high", target_kind="relic",
                                target_id="ding", message_zh="鼎：湿度过高", message_en="Ding: RH high"))
    q.ack_alert(store, alert.id, None, when=T0 + timedelta(hours=1, minutes=30))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Store]:
    s = Store.open(data_dir=tmp_path_factory.mktemp("monitor-data"))
    _fill(s)
    yield s
    s.close()


# --- the provider -------------------------------------------------------------------------------


def test_relic_details_chart_the_case_sensor_with_forecast_limits_and_risk(store, scene):
    d = md.details(store, scene, "relic", "ding", NOW)
    assert (d["quantity"], d["sensor"], d["unit"], d["time"]) == ("relative_humidity", "S02", "%RH", iso(NOW))
    h = d["history"]
    # 24 h of 10-minute buckets, one reading each: the readings themselves, the spike left out
    assert len(h["values"]) == 144
    assert h["values"] == [rh(i) for i in range(144, N)]
    assert h["time"][0] == "2026-11-21T00:00:00Z" and h["time"][-1] == "2026-11-21T23:50:00Z"
    assert h["t_h"][-1] == pytest.approx(-5 / 60, abs=1e-5) and h["t_h"][0] == pytest.approx(-5 / 60 - 143 / 6, abs=1e-5)
    f = d["forecast"]
    assert len(f["mean"]) == len(f["lower"]) == len(f["upper"]) == len(f["t_h"]) == 72  # 12 h of 10 min
    assert f["t_h"][0] == pytest.approx(5 / 60, abs=1e-5) and f["t_h"][-1] == pytest.approx(5 / 60 + 71 / 6, abs=1e-5)
    lo, mean, hi = (np.array(f[k]) for k in ("lower", "mean", "upper"))
    assert np.all(lo <= mean) and np.all(mean <= hi) and np.all(np.isfinite(mean))
    assert 49.0 <= mean.min() and mean.max() <= 53.0  # a 50/51/52 cycle stays in its range
    band = load_profiles()["bronze"].band("relative_humidity")
    assert d["limits"] == {"low": band.low, "high": band.high}
    assert d["risk"] == {"level": "red", "check": d["risk"]["check"]}  # 50-52 %RH over bronze's 40
    labels = [line["label"]["en"] for line in d["lines"]]
    # the range and forecast name the sensor they come from: the one the chart draws
    assert labels[:2] == ["Risk", "Limits"] and "24 h range · S02" in labels and "In 12 h · S02" in labels
    assert d["lines"][0]["value"]["zh-CN"].startswith("告警")
    rng = next(line for line in d["lines"] if line["label"]["en"] == "24 h range · S02")
    assert rng["value"]["en"] == "50.0–52.0 %RH"


def test_details_follow_the_asked_quantity_and_the_sensor_itself(store, scene):
    d = md.details(store, scene, "relic", "ding", NOW, quantity="temperature")
    assert d["quantity"] == "temperature" and d["history"]["values"] == [temp(i) for i in range(144, N)]
    s = md.details(store, scene, "sensor", "S01", T0 + timedelta(hours=2), quantity="temperature")
    assert s["sensor"] == "S01" and s["history"]["values"] == [18.0 + i for i in range(12)]
    short = md.details(store, scene, "sensor", "S01", T0 + timedelta(minutes=20), quantity="temperature")
    f = short["forecast"]  # three readings: no band can be sized, it collapses onto the mean (never NaN)
    assert f is not None and np.all(np.isfinite(f["lower"] + f["upper"]))
    assert np.all(np.array(f["lower"]) <= np.array(f["mean"])) and np.all(np.array(f["mean"]) <= np.array(f["upper"]))
    s2 = md.details(store, scene, "sensor", "S02", NOW, quantity="co2")  # not measured there: its first quantity
    assert s2["quantity"] == "temperature"
    assert s2["limits"] == {"low": 16.0, "high": 24.0}  # the bronze ding's band: S02 stands for it
    assert any(line["label"]["en"] == "Stands for" for line in s2["lines"])
    empty = md.details(store, scene, "sensor", "S05", NOW)
    assert empty["history"]["values"] == [] and empty["forecast"] is None
    assert {"label": {"zh-CN": "24小时范围 · S05", "en": "24 h range · S05"},
            "value": {"zh-CN": "无数据", "en": "no data"}} in empty["lines"]
    before = md.details(store, scene, "relic", "ding", T0 - timedelta(hours=1))  # before any data
    assert before["history"]["values"] == [] and before["forecast"] is None and before["risk"] is None
    assert [line["value"]["en"] for line in before["lines"] if line["label"]["en"] == "Risk"] == ["no data"]
    with pytest.raises(md.NotFound):
        md.details(store, scene, "relic", "nope", NOW)


def test_state_at_takes_the_last_reading_at_or_before_the_time(store, scene):
    st = md.state_at(store, scene, T0 + timedelta(hours=3, minutes=5))
    by = {(r["sensor"], r["quantity"]): r for r in st["readings"]}
    assert by[("S02", "relative_humidity")]["value"] == rh(18) and by[("S02", "relative_humidity")]["time"] == \
        "2026-11-20T03:00:00Z"
    assert by[("S01", "temperature")]["value"] == 29.0  # its last one, at 01:50
    assert by[("S01", "temperature")]["stale"] is True and by[("S02", "temperature")]["stale"] is False
    exact = md.state_at(store, scene, T0 + timedelta(hours=3, minutes=10))  # "at or before": the 03:10 reading
    assert {(r["sensor"], r["quantity"]): r["value"] for r in exact["readings"]}[("S02", "temperature")] == temp(19)
    assert md.state_at(store, scene, T0 - timedelta(minutes=1))["readings"] == []
    spike = md.state_at(store, scene, T0 + timedelta(hours=40, minutes=6))  # flagged readings keep their flag
    r = {(x["sensor"], x["quantity"]): x for x in spike["readings"]}[("S02", "relative_humidity")]
    assert (r["value"], r["quality"]) == (99.0, "spike")


def test_state_at_gives_the_alerts_open_then(store, scene):
    def alerts(minutes: int) -> list[dict[str, Any]]:
        return md.state_at(store, scene, T0 + timedelta(minutes=minutes))["alerts"]

    assert alerts(30) == [] and alerts(150) == []
    (a,) = alerts(75)
    assert a["id"] == "a-ding" and a["target"] == {"kind": "relic", "id": "ding"} and a["acknowledged"] is False
    assert a["message"] == {"zh-CN": "鼎：湿度过高", "en": "Ding: RH high"} and a["started_at"] == "2026-11-20T01:00:00Z"
    assert alerts(105)[0]["acknowledged"] is True


def test_state_at_after_retention_answers_with_the_hourly_mean(tmp_path, scene):
    with Store.open(data_dir=tmp_path) as s:
        s.add_readings([Reading("S01", "temperature", T0 + timedelta(minutes=10 * i), 18.0 + i, "°C")
                        for i in range(18)])
        s.roll_up(T0 + timedelta(hours=2))
        at_90 = md.state_at(s, scene, T0 + timedelta(minutes=90))["readings"]
        assert [(r["time"], r["value"]) for r in at_90] == [("2026-11-20T01:00:00Z", pytest.approx(18.0 + 8.5))]
        at_150 = md.state_at(s, scene, T0 + timedelta(minutes=150))["readings"]
        assert [(r["time"], r["value"]) for r in at_150] == [("2026-11-20T02:30:00Z", 33.0)]


# --- the REST routes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    yield from serve(tmp_path_factory.mktemp("api-details"))


def test_routes_answer_staff_with_the_providers_dicts_and_deny_visitors(api: Api):
    at = "2026-11-22T00:00:00Z"  # the fixture's readings: S01 every 10 min for two days
    with api.client("staff") as c:
        r = c.get("/api/details", params={"kind": "sensor", "id": "S01", "quantity": "temperature", "at": at})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["sensor"] == "S01" and len(d["history"]["values"]) == 144 and len(d["forecast"]["mean"]) == 72
        assert d["history"]["values"][:6] == [20.0, 21.0, 22.0, 23.0, 24.0, 25.0]
        st = c.get("/api/state", params={"at": "2026-11-20T01:05:00Z"}).json()
        assert {(x["sensor"], x["quantity"]): x["value"] for x in st["readings"]}[("S01", "temperature")] == 20.0
        assert c.get("/api/details", params={"kind": "relic", "id": "nope"}).status_code == 404
        assert c.get("/api/details", params={"kind": "zone", "id": "bronze"}).status_code == 422
        assert c.get("/api/state", params={"at": "yesterday"}).status_code == 422
    with api.client("visitor") as c:
        assert c.get("/api/details", params={"kind": "relic", "id": "ding"}).status_code == 403
        assert c.get("/api/state", params={"at": at}).status_code == 403


def test_remote_client_fetches_with_the_token_and_says_why_it_cannot(api: Api):
    from twin_engine.demo import DataError, MonitorData, api_base, remote_data

    assert api_base(api.ws_url + "/api/live") == api.url  # /api/live -> the same host and port
    assert api_base("ws://127.0.0.1:8765/live") == "http://127.0.0.1:8000"
    assert api_base("wss://museum.example/api/live?token=x") == "https://museum.example"
    ok = remote_data(api.url, api.tokens["staff"])
    try:
        d = ok._details("sensor", "S01", "temperature", "2026-11-22T00:00:00Z")
        assert len(d["history"]["values"]) == 144
        assert ok._state("2026-11-20T01:05:00Z")["readings"]
        field = ok._field("relative_humidity")  # GET /api/field: two days of S02 alone, a case sensor: IDW, and why
        assert field["method"] == "IDW" and field["fallback"]["en"].startswith("history too short (0 of 48 h")
        from twin_engine.site_monitor_cli import remote_field  # the site monitor's: the hall named

        assert remote_field(api.url, api.tokens["staff"])("demo_hall", "relative_humidity") == field
        with pytest.raises(DataError, match="HTTP 40"):
            remote_field(api.url, api.tokens["staff"])("no_such_hall", "relative_humidity")
    finally:
        ok.stop()
    for token, en in ((None, "sign in needed (--token)"), (api.tokens["visitor"], "not allowed (staff and up)")):
        bad = remote_data(api.url, token)
        try:
            answer = MonitorData._call(bad._details, "relic", "ding", None, None)
        finally:
            bad.stop()
        assert isinstance(answer, DataError) and answer.message["en"] == en and answer.message["zh-CN"]


# --- the engine hookup ------------------------------------------------------------------------------


@pytest.fixture
def monitor(engine_base: Any, scene: Scene) -> Iterator[Any]:
    from twin_engine.monitor import MonitorScreen

    screen = MonitorScreen(engine_base, scene, lang="en", load_meshes=False)
    screen.act("view_overview")
    screen.rig.snap()
    screen.apply_snapshot({"type": "snapshot", "time": iso(NOW), "alerts": [],
                           "readings": [{"sensor": "S02", "quantity": "relative_humidity", "time": iso(NOW),
                                         "value": 51.0, "unit": "%RH", "quality": "ok", "stale": False}]})
    yield screen
    screen.exit()


def _store_data(store: Store, scene: Scene) -> Any:
    from twin_engine.demo import MonitorData

    return MonitorData(
        lambda kind, ident, quantity, now: md.details(store, scene, kind, ident, md.parse_iso(now), quantity=quantity),
        lambda when: md.state_at(store, scene, md.parse_iso(when)))


def test_clicking_a_relic_shows_its_stored_history_forecast_and_limits(monitor, store, scene):
    from twin_engine.demo import PanelLink

    data = _store_data(store, scene).start()
    try:
        link = PanelLink(monitor, data)
        relic = scene.relic("ding")
        monitor.render_frame()
        film = monitor.project((float(relic.position[0]), float(relic.position[1]),
                                float(relic.position[2]) + relic.height_m * 0.5))
        assert monitor.click(*film) == ("relic", "ding")
        assert monitor.panel_data().history is None  # asked, not yet answered
        link.settle()
        panel = monitor.panel_data()  # the shown quantity (temperature) of the case sensor S02
        assert panel.history is not None and list(panel.history.values) == [temp(i) for i in range(144, N)]
        assert panel.limits == (16.0, 24.0) and panel.chart_title.startswith("Temperature (°C)")
        assert len(panel.forecast.times) == 72 and panel.forecast.low is not None
        assert panel.empty_chart_text not in [label for label, _ in panel.lines]
        # switching the field to RH asks again
        monitor.act("show_humidity")
        link.settle()
        panel = monitor.panel_data()
        assert list(panel.history.values) == [rh(i) for i in range(144, N)]
        assert panel.limits == (40.0, 40.0)  # bronze's 0 %RH floor is far below the data: only 40 is drawn
        assert ("Risk", "red · Relative humidity") in panel.lines
        monitor.render_frame()
        assert monitor.panel.root.getNumChildren() > 10
        # the language switch re-labels the panel
        monitor.act("toggle_language")
        link.poll()
        assert ("风险", "告警 · 相对湿度") in monitor.panel_data().lines
        monitor.act("toggle_language")
        # the replay slider gets the stored state of that hour
        monitor.request_replay(20)  # 2026-11-21T03:00Z: reading i = 162
        link.settle()
        assert monitor.replay is not None and monitor.replay_time == "2026-11-21T03:00:00Z"
        assert monitor.field_readings("temperature")["S02"].value == temp(162)
        link.settle()  # the panel follows the replayed moment: the 24 h before 03:00 on the 21st
        panel = monitor.panel_data()
        assert list(panel.history.values) == [rh(i) for i in range(18, 163)][-len(panel.history.values):]
        # replayed to before any data: no data, no risk, no forecast
        monitor.request_replay(50)
        link.settle()
        link.settle()
        panel = monitor.panel_data()
        assert panel.history is None and panel.forecast is None
        assert ("Risk", "no data") in panel.lines and ("24 h range · S02", "no data") in panel.lines
        assert ("Relative humidity · S02", "no data") in panel.lines
        monitor.request_replay(0)
        assert monitor.replay is None
    finally:
        data.stop()


def test_a_failed_fetch_says_so_in_the_panel_in_both_languages(monitor):
    from twin_engine.demo import PanelLink, remote_data

    data = remote_data("http://127.0.0.1:9", "token", timeout_s=2).start()  # nothing listens on port 9
    try:
        link = PanelLink(monitor, data)
        monitor.select(("sensor", "S02"))
        link.settle()
        lines = monitor.panel_data().lines
        assert any("无法连接服务" in label for label, _ in lines)
        assert any("service unreachable" in label for label, _ in lines)
        monitor.request_replay(3)  # fails too: the live state stays, nothing raised
        link.settle()
        assert monitor.replay is None and len(link.errors) >= 2
        monitor.render_frame()
    finally:
        data.stop()


def test_embedded_data_reads_the_runtime_store(store, scene):
    from types import SimpleNamespace

    from twin_engine.demo import embedded_data

    runtime = SimpleNamespace(store=store, state=SimpleNamespace(clock=lambda: NOW))
    data = embedded_data(runtime, scene)
    assert data._details("relic", "ding", None, None)["time"] == iso(NOW)  # no live time yet: the runtime's clock
    assert data._state("2026-11-20T03:05:00Z")["time"] == "2026-11-20T03:05:00Z"
    assert data._field("temperature")["method"] == "IDW"  # S01's two hours alone choose nothing
