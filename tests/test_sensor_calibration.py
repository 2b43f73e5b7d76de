"""Per-sensor calibration: recorded with who and when, applied from its date on, raw value kept;
set over the API by a curator; the live battery and calibration-due alerts of the alert service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.alerts.alerting import AlertService
from bridge.config import ConfigError
from bridge.ingest.calibration import Calibrations, list_calibrations, set_calibration
from bridge.readings import Reading
from bridge.store import Store
from simulation.paths import scenes_dir
from simulation.scene import load_scene
from tests.fixtures_api import Api, serve

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_applied_from_its_date_with_the_raw_value_kept(tmp_path):
    with Store.open(data_dir=tmp_path) as store:
        set_calibration(store, "S02", "relative_humidity", offset=-2.0, gain=1.05, set_by="wang", at=T0)
        with pytest.raises(ConfigError, match="增益"):
            set_calibration(store, "S02", "relative_humidity", gain=3.0)
        with pytest.raises(ConfigError, match="unknown quantity"):
            set_calibration(store, "S02", "humidity")
        before = Reading("S02", "relative_humidity", T0 - timedelta(minutes=1), 50.0, "%RH")
        after = Reading("S02", "relative_humidity", T0 + timedelta(minutes=1), 50.0, "%RH")
        other = Reading("S02", "temperature", T0 + timedelta(minutes=1), 20.0, "°C")
        got = Calibrations(store).apply([before, after, other])
        assert got[0] == before and got[2] == other
        assert got[1].value == pytest.approx(1.05 * 50.0 - 2.0) and got[1].raw == 50.0
        assert store.add_readings(got) == 3
        with store.transaction() as conn:
            raw = conn.exec_driver_sql("SELECT raw_value FROM reading WHERE quantity='relative_humidity' "
                                       "ORDER BY time_us").fetchall()
        assert [r[0] for r in raw] == [None, 50.0]
        # sensor ids are unique only within a hall: a calibration of the east hall's S02 leaves this S02 alone
        set_calibration(store, "S02", "temperature", offset=5.0, set_by="li", at=T0, hall="east")
        east, here = Calibrations(store).apply([Reading("S02", "temperature", T0 + timedelta(minutes=2), 20.0, "°C",
                                                        hall=h) for h in ("east", "demo_hall")])
        assert east.value == 25.0 and east.raw == 20.0 and here.value == 20.0 and here.raw is None
        assert [c.hall for c in list_calibrations(store, hall="demo_hall")] == [""]
        set_calibration(store, "S02", "relative_humidity", offset=-1.0, set_by="li", at=T0 + timedelta(days=30))
        newest = list_calibrations(store, hall="demo_hall")
        assert [(c.offset, c.set_by) for c in newest] == [(-1.0, "li")]
        assert newest[0].due_at == T0 + timedelta(days=30 + 365)
        assert len(list_calibrations(store, history=True)) == 3


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Api:
    yield from serve(tmp_path_factory.mktemp("api_calibration"))


def test_api_records_who_set_it(api: Api):
    with api.client("curator") as c:
        r = c.put("/api/calibrations/S01/temperature", json={"offset": -0.4, "note": "vs. reference"})
        assert r.status_code == 200 and r.json()["set_by"] == "curator" and r.json()["offset"] == -0.4
        assert c.put("/api/calibrations/S99/temperature", json={"offset": 1}).status_code == 404
        bad = c.put("/api/calibrations/S01/temperature", json={"gain": 9})
        assert bad.status_code == 422 and bad.json()["error"]["message"]["zh"]
    with api.client("staff") as c:
        assert c.put("/api/calibrations/S01/temperature", json={"offset": 1}).status_code == 403
        listed = c.get("/api/calibrations").json()
    assert [(x["sensor"], x["quantity"], x["offset"]) for x in listed] == [("S01", "temperature", -0.4)]


def test_battery_and_calibration_due_reach_the_alert_service():
    now = [T0]
    svc = AlertService(load_scene(scenes_dir() / "demo_hall"), clock=lambda: now[0])
    assert svc.on_status("S02", {"battery": 15}) == []  # held 5 min before raising
    now[0] += timedelta(minutes=6)
    raised = svc.on_status("S02", {"battery": 14, "linkquality": 80})
    assert raised and raised[0]["cause"] == "battery_low" and "14.0 %" in raised[0]["message"]["en"]
    assert svc.on_status("S99", {"battery": 1}) == [] and svc.on_status("S02", {"linkquality": 9}) == []
    due = svc.calibration_ages({"S04": 400.0, "S01": 30.0})
    assert [(e["cause"], e["target"]["id"]) for e in due] == [("calibration_due", "S04")]
    assert "400.0 d" in due[0]["message"]["en"] and due[0]["advice"]["zh-CN"]


def test_a_site_routes_battery_and_calibration_to_each_hall(tmp_path):
    from bridge.site.model import load_site
    from bridge.site.runtime import SiteAlerts

    for hall in ("hall_a", "hall_b"):
        (tmp_path / "site" / hall).mkdir(parents=True)
        text = (scenes_dir() / "demo_hall" / "scene.toml").read_text(encoding="utf-8")
        text = text.replace('id = "demo_hall"', f'id = "{hall}"', 1).replace('topic = "', f'topic = "{hall}/')
        (tmp_path / "site" / hall / "scene.toml").write_text(text, encoding="utf-8")
    now = [T0]
    alerts = SiteAlerts(load_site(tmp_path / "site"), clock=lambda: now[0])
    alerts.on_status("S02", {"battery": 9, "hall": "hall_b"})
    now[0] += timedelta(minutes=6)
    ev = alerts.on_status("S02", {"battery": 9, "hall": "hall_b"})
    assert [(e["hall"], e["cause"], e["tier"]) for e in ev] == [("hall_b", "battery_low", "red")]
    assert alerts.on_status("S02", {"battery": 9, "hall": "elsewhere"}) == []
    with Store.open(data_dir=tmp_path) as store:
        set_calibration(store, "S04", "illuminance", gain=1.1, at=T0 - timedelta(days=400), hall="hall_a")
        due = alerts.calibration_ages(store)
    assert [(e["hall"], e["target"]["id"], e["cause"]) for e in due] == [("hall_a", "S04", "calibration_due")]
