"""Scenario files on the demo hall, and the what-if runner's outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import simulate
from bridge.twin import whatif
from simulation import climate as cl
from simulation.scenario import ScenarioError, build_run, forcing_function, load_scenario, outdoor_at
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenes" / "demo_hall" / "scenarios"
NAMES = ("hvac_failure_summer", "door_open_winter", "visitor_crowd", "heat_wave", "dehumidifier_failure_damp")


def run(name: str, hours: float, cell_m: float = 1.0, **overrides):
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    scene = load_scene(sc.scene_path)
    model, state, forcing = build_run(sc, scene, cell_m=cell_m)
    if overrides:
        base = forcing

        def forcing(t, base=base):  # noqa: F811 - counterfactual of the same scenario
            from dataclasses import replace

            return replace(base(t), **overrides)
    res, end = cl.simulate(model, state, forcing, hours * 3600, record_every_s=600, snapshot_every_s=3600)
    return sc, model, res, end


def zone(model: cl.HallModel, state: cl.ClimateState, zid: str) -> tuple[float, float]:
    idx = model.cells[f"zone:{zid}"]
    t = float(state.t[idx].mean())
    from simulation.psychrometrics import rh_from_vapour_density

    return t, float(rh_from_vapour_density(t, state.w[idx].mean()))


def test_all_demo_scenarios_load_with_their_events():
    for name in NAMES:
        sc = load_scenario(SCENARIOS / f"{name}.toml")
        assert sc.id == name and sc.title["zh-CN"] and sc.title["en"]
        assert sc.scene_path == (ROOT / "scenes" / "demo_hall").resolve()
        assert sc.events and sc.duration_s >= 8 * 3600
    heat = load_scenario(SCENARIOS / "heat_wave.toml")
    assert outdoor_at(heat.outdoor, 39 * 3600, heat.start) == (38.5, 50.0)
    assert outdoor_at(heat.outdoor, 40.5 * 3600, heat.start)[0] == pytest.approx(37.8)


def test_daily_cycle_peaks_at_local_afternoon_with_constant_vapour():
    sc = load_scenario(SCENARIOS / "hvac_failure_summer.toml")  # starts 12:00 +08:00, peak 15 h
    f = forcing_function(sc)
    peak, night = f(3 * 3600), f(15 * 3600)
    assert peak.t_out_c == pytest.approx(30.0 + 4.5)
    assert night.t_out_c == pytest.approx(30.0 - 4.5)
    assert night.rh_out > peak.rh_out
    assert f(1.5 * 3600).hvac_on and not f(2.5 * 3600).hvac_on
    assert f(1.0 * 3600).people == ((None, 40.0),) and f(6 * 3600).people == ()


def test_hvac_failure_warms_the_hall_against_its_counterfactual():
    _, m, _, failed = run("hvac_failure_summer", 6)
    _, m2, _, running = run("hvac_failure_summer", 6, hvac_on=True)
    t_failed, rh_failed = zone(m, failed, "sculpture")
    t_running, _ = zone(m2, running, "sculpture")
    assert t_failed > t_running + 2.0
    assert abs(t_running - 21.0) < 1.5


def test_open_door_in_winter_cools_the_gallery_next_to_it():
    _, m, _, end = run("door_open_winter", 6)
    near = zone(m, end, "painting")[0]  # door2 is on the east wall of the painting gallery
    far = zone(m, end, "sculpture")[0]
    assert near < far - 1.0


def test_visitor_crowd_raises_humidity_and_temperature_during_the_peak_hour():
    _, m, _, crowd = run("visitor_crowd", 2)
    _, m2, _, calm = run("visitor_crowd", 2, people=((None, 10.0),))
    t_crowd, rh_crowd = zone(m, crowd, "bronze")
    t_calm, rh_calm = zone(m2, calm, "bronze")
    assert rh_crowd > rh_calm + 2.0
    assert t_crowd > t_calm + 0.2


def test_dehumidifier_failure_lets_the_bronze_gallery_get_damp():
    _, m, _, end = run("dehumidifier_failure_damp", 16)
    _, m2, _, kept = run("dehumidifier_failure_damp", 16, dehumidifiers_off=frozenset())
    assert zone(m, end, "bronze")[1] > zone(m2, kept, "bronze")[1] + 5.0


def test_invalid_scenario_lists_every_problem(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[scenario]\nstart = 2026-01-01T00:00:00\nduration_h = -1\n[[events]]\nkind = "flood"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    text = str(e.value)
    assert "scenario.title" in text and "scenario.start" in text and "duration_h" in text and "flood" in text


def test_limit_crossings_report_when_and_how_far():
    start = load_scenario(SCENARIOS / "visitor_crowd.toml").start
    ts = np.arange(0, 10 * 3600 + 1, 600.0)
    rh = 50 + np.where(ts >= 3 * 3600, 15.0, 0.0)
    out = whatif.limit_crossings("vase", "relative_humidity", ts, rh, start, 40.0, 60.0, 10.0)
    sides = {c.side: c for c in out}
    assert set(sides) == {"high", "change_24h"}
    assert sides["high"].first_utc == "2026-05-01T04:00:00+00:00"  # 09:00+08:00 start + 3 h
    assert sides["high"].worst_excess == pytest.approx(5.0)
    assert sides["high"].hours_outside == pytest.approx(7.0, abs=0.2)
    assert not sides["high"].at_start


def short_scenario(tmp_path: Path, name: str, hours: float) -> Path:
    text = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    text = text.replace('scene = ".."', "")
    lines = [ln if not ln.startswith("duration_h") else f"duration_h = {hours}" for ln in text.splitlines()]
    lines.insert(lines.index("[scenario]") + 1, f'scene = "{(ROOT / "scenes" / "demo_hall").as_posix()}"')
    f = tmp_path / f"{name}.toml"
    f.write_text("\n".join(lines), encoding="utf-8")
    return f


def test_run_scenario_writes_series_snapshots_summary_and_report(tmp_path):
    f = short_scenario(tmp_path, "hvac_failure_summer", 4)
    fractions: list[float] = []
    summary = whatif.run_scenario(f, tmp_path / "out", cell_m=1.0, progress=fractions.append)
    out = tmp_path / "out"
    assert fractions[-1] == 1.0 and len(fractions) >= 50
    rows = list(csv.DictReader((out / "relics.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 25 * 7  # 4 h every 10 min, 7 relics
    assert rows[0]["time_utc"] == "2026-07-15T04:00:00+00:00"
    snaps = np.load(out / "snapshots.npz")
    assert snaps["temperature"].shape == (9, 12, 20) and np.isnan(snaps["temperature"]).sum() == 0
    saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert saved["crossings"] == summary["crossings"]
    silk = [c for c in summary["crossings"] if c["relic"] == "silk_painting" and c["side"] == "high"]
    assert silk and silk[0]["quantity"] == "temperature" and silk[0]["limit"] == 22.0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "越限情况" in page and "Limit crossings" in page and "not calibrated" in page
    for png in ("relics", "zones", "map_temperature", "map_relative_humidity"):
        assert (out / f"{png}.png").stat().st_size > 5000


def test_simulate_main_runs_two_scenarios_in_parallel(tmp_path, capsys):
    files = [short_scenario(tmp_path, n, 1) for n in ("visitor_crowd", "door_open_winter")]
    code = simulate.simulate_main([*map(str, files), "--out", str(tmp_path / "o"), "--jobs", "2", "--cell", "2.0",
                                 "--no-report"])
    assert code == 0
    assert (tmp_path / "o" / "visitor_crowd" / "summary.json").is_file()
    assert not (tmp_path / "o" / "visitor_crowd" / "report.html").exists()
    assert (tmp_path / "o" / "door_open_winter" / "snapshots.npz").is_file()
    err = capsys.readouterr().err
    assert "100.0 %" in err
    assert simulate.simulate_main([str(tmp_path / "missing.toml")]) == 2
