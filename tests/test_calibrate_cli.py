"""``relic-twin calibrate`` -> calibration.json -> ``relic-twin simulate`` shows the figures; ``--from-store``."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bridge.api.whatif_jobs import JobRunner
from bridge.cli import calibrate as cc
from bridge.cli import simulate
from bridge.config import Settings
from bridge.readings import Reading
from bridge.store import Store
from bridge.twin import whatif
from simulation import calibration as ca
from simulation import climate as cl
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
HALL = ROOT / "scenes" / "demo_hall"
SHARED = ROOT.parent / "shared" / "data" / "candanedo-house-2016"
T0 = datetime(2016, 2, 1, tzinfo=UTC)
TRUTH = {"infiltration_ach": 0.8, "hvac_setpoint_c": 21.0}


def hall_copy(tmp_path: Path) -> Path:
    """The demo hall's scene.toml in a folder of its own (calibration.json lands beside it)."""
    hall = tmp_path / "hall"
    (hall / "scenarios").mkdir(parents=True)
    shutil.copy(HALL / "scene.toml", hall / "scene.toml")
    return hall


def short_scenario(hall: Path, name: str = "visitor_crowd", hours: float = 0.5) -> Path:
    lines = (HALL / "scenarios" / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    lines = [f"duration_h = {hours}" if ln.startswith("duration_h") else ln for ln in lines]
    f = hall / "scenarios" / f"{name}.toml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def synthetic_record(days: int = 4, seed: int = 3) -> dict[str, np.ndarray]:
    """10-minute indoor T/RH of the demo hall (one well-mixed cell) under ``TRUTH``, with sensor noise.

    The room is simulated on the calibration's 30-minute step (the HVAC's explicit controller makes
    the model's response depend on its step) and each value logged three times."""
    n = 6 * 24 * days
    ts = np.arange(n) * 600.0
    day = 2 * np.pi * ts / 86400
    t_out = 4.0 + 4.0 * np.sin(day)
    rh_out = 85.0 - 10.0 * np.sin(day)
    appliances = np.where(np.sin(day + 1.0) > 0.3, 200.0, 20.0)  # Wh per 10 min
    scene = load_scene(HALL)
    geo = replace(cl.geometry_from_scene(scene), probes=(cl.Probe("hall", np.array([5.0, 5.0])),))
    settings = replace(cl.settings_from_mapping(dict(scene.climate)), **TRUTH, **ca.HOUSE_PLANT)  # a house
    k = n // 3
    record = ca.CalibrationData(ts[::3], np.full((k, 1), 18.0), np.full((k, 1), 45.0), t_out[::3], rh_out[::3],
                                6 * appliances.reshape(k, 3).mean(axis=1), geo)
    t_in, rh_in = (np.repeat(v, 3, axis=0) for v in ca.simulate_record(record, settings))
    rng = np.random.default_rng(seed)
    return {"ts": ts, "t": t_in[:, 0] + rng.normal(0, 0.05, n), "rh": rh_in[:, 0] + rng.normal(0, 0.3, n),
            "t_out": t_out, "rh_out": rh_out, "appliances": appliances}


def write_candanedo_style(path: Path, rec: dict[str, np.ndarray]) -> Path:
    """As ``energy_weather_temp.csv``: space-padded NA, weather on the hour only, energy in Wh per row."""
    head = "date,ElectricHeater,ECS,Appliances,lights,Ventilation,T1,RH_1,T2,RH_2,T_out,Press_mm_hg,RH_out"
    rows = [head]
    for i, s in enumerate(rec["ts"]):
        stamp = (T0 + timedelta(seconds=float(s))).strftime("%Y-%m-%d %H:%M:%S")
        hourly = i % 6 == 0
        t2 = "  NA" if i in (40, 41) else f"{rec['t'][i]:.3f}"  # a short gap in the room record
        rows.append(f"{stamp}, 0, 10,{rec['appliances'][i]:.0f}, 0, 30, NaN, NaN,{t2},{rec['rh'][i]:.2f},"
                    + (f"{rec['t_out'][i]:.2f}, 755,{rec['rh_out'][i]:.1f}" if hourly else " NA, NA, NA"))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_calibrate_writes_figures_and_simulate_reports_them(tmp_path, capsys):
    hall = hall_copy(tmp_path)
    csv_file = write_candanedo_style(tmp_path / "house.csv", synthetic_record())
    code = cc.calibrate_main(["--scene", str(hall), "--csv", str(csv_file), "--room", "2", "--fit-days", "3",
                              "--holdout-days", "1", "--params", "infiltration_ach,hvac_setpoint_c",
                              "--max-evals", "4"])
    out = capsys.readouterr().out
    assert code == 0, out
    doc = json.loads((hall / "calibration.json").read_text(encoding="utf-8"))
    fig = doc["figures"]
    assert doc["scene"] == "demo_hall" and doc["source"]["kind"] == "csv"
    assert doc["source"]["columns"]["temperature"] == "T2" and doc["source"]["start_utc"].startswith("2016-02-01")
    assert fig["limits"] == {"cv_rmse_pct": 30.0, "nmbe_pct": 10.0}
    assert fig["train_days"] == 3 and fig["held_back_days"] == 1
    for q in ("temperature", "relative_humidity"):
        assert set(fig[q]) == {"cv_rmse_pct", "nmbe_pct", "rmse", "bias", "hours", "passes"}
        assert fig[q]["hours"] == 24 and fig[q]["passes"] is True
    assert fig["temperature"]["rmse"] < 0.6 and fig["relative_humidity"]["rmse"] < 2.0
    assert fig["parameters"]["infiltration_ach"] == pytest.approx(TRUTH["infiltration_ach"], rel=0.25)
    assert fig["parameters"]["hvac_setpoint_c"] == pytest.approx(TRUTH["hvac_setpoint_c"], abs=0.5)
    assert "CV(RMSE)" in out and "NMBE" in out and "通过 pass" in out and "infiltration_ach" in out

    scenario = short_scenario(hall)
    assert simulate.simulate_main([str(scenario), "--out", str(tmp_path / "o"), "--jobs", "1", "--cell", "2.0"]) == 0
    printed = capsys.readouterr().out
    assert "ASHRAE G14" in printed and "CV(RMSE)" in printed
    summary = json.loads((tmp_path / "o" / "visitor_crowd" / "summary.json").read_text(encoding="utf-8"))
    assert summary["calibration"]["figures"] == fig
    # the fitted parameters are the hall's: applied under the scenario's own [climate] table
    assert summary["settings"]["infiltration_ach"] == pytest.approx(fig["parameters"]["infiltration_ach"])
    page = (tmp_path / "o" / "visitor_crowd" / "report.html").read_text(encoding="utf-8")
    assert "Guideline 14" in page and "not calibrated" not in page
    assert f"{fig['temperature']['cv_rmse_pct']:.1f}" in page


@pytest.mark.parametrize("args, message", [
    (["--csv", "missing.csv"], "file not found"),
    (["--csv", "{bad}"], "missing column"),
    (["--csv", "{house}", "--fit-days", "9"], "needs 12"),
    (["--csv", "{house}", "--params", "wall_u"], "unknown wall_u"),
    (["--csv", "{house}", "--fit-days", "1"], "spin-up"),
    (["--outdoor", "{bad}"], "expected columns"),
    (["--sensors", "S01"], "--outdoor"),
])
def test_calibrate_refuses_bad_input_with_exit_1(tmp_path, capsys, args, message):
    house = write_candanedo_style(tmp_path / "house.csv", synthetic_record(days=2))
    bad = tmp_path / "bad.csv"
    bad.write_text("when,temp\n2016-01-01,20\n", encoding="utf-8")
    argv = [a.format(house=house, bad=bad) for a in args]
    assert cc.calibrate_main(["--scene", str(hall_copy(tmp_path)), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err)  # and in Chinese


def test_calibrate_from_stored_readings_and_an_outdoor_file(tmp_path, capsys):
    hall = hall_copy(tmp_path)
    rec = synthetic_record(days=3)
    url = f"sqlite:///{tmp_path / 'twin.sqlite'}"
    with Store.open(url) as store:
        rows = []
        for i, s in enumerate(rec["ts"]):
            when = T0 + timedelta(seconds=float(s))
            for sid, dt in (("S01", 0.1), ("S05", -0.1)):
                rows += [Reading(sid, "temperature", when, float(rec["t"][i] + dt), "°C"),
                         Reading(sid, "relative_humidity", when, float(rec["rh"][i]), "%RH")]
        store.add_readings(rows)
    weather = tmp_path / "weather.csv"
    weather.write_text("time,temperature,relative_humidity\n" + "".join(
        f"{(T0 + timedelta(seconds=float(s))).isoformat()},{rec['t_out'][i]:.2f},{rec['rh_out'][i]:.1f}\n"
        for i, s in enumerate(rec["ts"]) if i % 6 == 0), encoding="utf-8")
    out = tmp_path / "cal.json"
    code = cc.calibrate_main(["--scene", str(hall), "--sensors", "S01,S05", "--outdoor", str(weather), "--db", url,
                              "--start", "2016-02-01T00:00Z", "--fit-days", "2", "--holdout-days", "1",
                              "--step-min", "60", "--params", "infiltration_ach", "--max-evals", "2", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["source"]["kind"] == "store" and doc["source"]["sensors"] == ["S01", "S05"]
    assert doc["figures"]["temperature"]["hours"] == 48  # 24 h held back x 2 sensors
    assert doc["figures"]["temperature"]["passes"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/candanedo-house-2016")
def test_calibrate_on_the_candanedo_living_room(tmp_path, capsys):
    code = cc.calibrate_main(["--scene", str(hall_copy(tmp_path)), "--csv", str(SHARED / "energy_weather_temp.zip"),
                              "--start", "2016-02-01", "--fit-days", "7", "--holdout-days", "3", "--max-evals", "4"])
    out = capsys.readouterr().out
    print(out)
    assert code == 0
    fig = json.loads((tmp_path / "hall" / "calibration.json").read_text(encoding="utf-8"))["figures"]
    assert fig["temperature"]["hours"] >= 60
    assert fig["temperature"]["passes"] and fig["relative_humidity"]["passes"]


# --- starting from the stored state -------------------------------------------------------------


def store_with(tmp_path: Path, values: dict[str, tuple[float, float]]) -> str:
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    now = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    with Store.open(url) as store:
        rows = []
        for sid, (t, rh) in values.items():
            rows += [Reading(sid, "temperature", now - timedelta(hours=1), 30.0, "°C"),  # older: not the latest
                     Reading(sid, "temperature", now, t, "°C"), Reading(sid, "relative_humidity", now, rh, "%RH")]
        rows.append(Reading("S05", "temperature", now, 99.0, "°C", quality="out_of_range", reason="test"))
        store.add_readings(rows)
    return url


def first_rows(path: Path) -> dict[str, tuple[float, float]]:
    import csv

    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    first = rows[0]["time_utc"]
    return {r["id"]: (float(r["temperature"]), float(r["relative_humidity"])) for r in rows if r["time_utc"] == first}


def test_simulate_from_store_starts_at_the_stored_readings(tmp_path, capsys):
    hall = hall_copy(tmp_path)
    # bronze: S01 and S11 in the open hall, S02 in case c1 (holding the ding); sculpture: S05 flagged, S06
    url = store_with(tmp_path, {"S01": (18.0, 40.0), "S11": (20.0, 44.0), "S02": (22.0, 55.0), "S06": (24.0, 60.0)})
    scenario = short_scenario(hall)
    code = simulate.simulate_main([str(scenario), "--out", str(tmp_path / "o"), "--jobs", "1", "--cell", "1.0",
                                 "--no-report", "--from-store", "--db", url])
    err = capsys.readouterr().err
    assert code == 0, err
    zones = first_rows(tmp_path / "o" / "visitor_crowd" / "zones.csv")
    assert zones["bronze"] == pytest.approx((19.0, 42.0), abs=0.02)  # mean of S01 and S11
    assert zones["sculpture"] == pytest.approx((24.0, 60.0), abs=0.02)  # the flagged S05 reading is left out
    relics = first_rows(tmp_path / "o" / "visitor_crowd" / "relics.csv")
    # the case keeps its own moisture; its air takes the room's temperature (glass conducts fast)
    assert relics["ding"][1] == pytest.approx(55.0, abs=0.05)
    sc = whatif.load_scenario(scenario)
    assert zones["painting"] == pytest.approx((sc.initial_t, sc.initial_rh), abs=0.02)  # no stored readings
    assert "painting" in err and "stored readings" in err
    summary = json.loads((tmp_path / "o" / "visitor_crowd" / "summary.json").read_text(encoding="utf-8"))
    assert summary["initial"]["bronze"] == pytest.approx([19.0, 42.0])


def test_from_store_without_readings_falls_back_with_a_note(tmp_path, capsys):
    hall = hall_copy(tmp_path)
    scenario = short_scenario(hall)
    url = store_with(tmp_path, {})
    assert simulate._initial_from_store([str(scenario)], Settings(database_url=url, data_dir=tmp_path)) is None
    assert "no T/RH" in capsys.readouterr().err
    assert simulate._initial_from_store([str(scenario)], Settings(data_dir=tmp_path / "nowhere")) is None
    assert "no database" in capsys.readouterr().err


def test_api_job_runner_hands_the_stored_state_to_the_run(tmp_path):
    hall = hall_copy(tmp_path)
    short_scenario(hall)
    seen: list[object] = []

    def runner(path, out_dir, *, progress, **kw):
        seen.append(kw.get("initial"))
        return {}

    jobs = JobRunner(hall / "scenarios", tmp_path / "runs", run=runner, initial_state=lambda: {"bronze": (19.0, 42.0)})
    try:
        for from_store in (False, True):
            job = jobs.start("visitor_crowd", from_store=from_store)
            assert job is not None
            for _ in range(200):
                if job.state in ("done", "failed"):
                    break
                import time

                time.sleep(0.01)
            assert job.state == "done"
    finally:
        jobs.shutdown()
    assert seen == [None, {"bronze": (19.0, 42.0)}]
