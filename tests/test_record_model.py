"""simulation.record_model, ``relic-twin calibrate --csv ROOM_RECORD`` and ``relic-twin validate``:
records with schedules, short runs with gaps, indoor-only, skill beside persistence and the mean."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import calibrate as cc
from bridge.cli.validate import validate_main
from simulation import climate as cl
from simulation.record_model import RoomRecord, runs, simulate_runs, skill
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
HALL = ROOT / "scenes" / "demo_hall"
T0 = datetime(2026, 1, 12, 0, 0, tzinfo=UTC)
STEP = 600.0


def test_runs_bridge_short_gaps_and_drop_short_runs() -> None:
    ok = np.zeros(60, dtype=bool)
    ok[0:20] = True
    ok[22:30] = True  # a 20-minute gap: bridged
    ok[50:53] = True  # 30 minutes: too short
    assert runs(ok, STEP) == [(0, 30)]
    ok[40:50] = True  # after a 100-minute gap: bridged too (up to 2 h)
    assert runs(ok, STEP) == [(0, 53)]
    assert runs(ok, STEP, max_gap_s=3600.0) == [(0, 30), (40, 53)]


def test_skill_is_one_minus_rmse_ratio() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    s = skill(y, y + 0.5, np.full(4, 1.0), 2.5, "S", "temperature", "°C")
    assert s.rmse == pytest.approx(0.5) and s.bias == pytest.approx(0.5)
    assert s.rmse_persistence == pytest.approx(np.sqrt((0 + 1 + 4 + 9) / 4))
    assert s.skill_persistence == pytest.approx(1 - 0.5 / s.rmse_persistence)
    assert s.skill_mean == pytest.approx(1 - 0.5 / np.sqrt(1.25))


def hall_copy(tmp_path: Path) -> Path:
    hall = tmp_path / "hall"
    hall.mkdir()
    shutil.copy(HALL / "scene.toml", hall / "scene.toml")
    return hall


def synthetic_room_record(path: Path, hours: float = 23.0, seed: int = 1) -> Path:
    """The demo hall (one well-mixed cell, no HVAC) with visitors and a door, written without weather
    and cut into short runs with gaps: what a room's own loggers leave."""
    scene = load_scene(HALL)
    n = int(hours * 3600 / STEP)
    ts = np.arange(n) * STEP
    hour = ts / 3600.0
    occupied = ((hour >= 9) & (hour < 12)) | ((hour >= 14) & (hour < 17))
    door = (hour >= 12) & (hour < 13)
    geo = replace(cl.geometry_from_scene(scene), probes=(cl.Probe("S01", np.asarray(scene.sensor("S01").position)[:2]),))
    settings = replace(cl.settings_from_mapping(dict(scene.climate)), hvac_supply_m3_h=0.0, infiltration_ach=0.6)
    doors = frozenset(o.id for o in scene.doors)
    rec = RoomRecord(ts, np.full((n, 1), 16.0), np.full((n, 1), 55.0), np.full(n, 4.0), np.full(n, 85.0),
                     np.zeros(n), geo, people=occupied * 40.0, open_ids=tuple(doors if d else frozenset() for d in door),
                     hvac_on=np.zeros(n, bool), lights_on=occupied.copy())
    t, rh = simulate_runs(rec, settings, [(0, n)])
    rng = np.random.default_rng(seed)
    t = t[:, 0] + rng.normal(0, 0.03, n)
    rh = rh[:, 0] + rng.normal(0, 0.2, n)
    keep = np.ones(n, bool)
    for a in (24, 108):  # 2.5-hour logger outages at 04:00 and 18:00: three short runs, none a day long
        keep[a : a + 15] = False
    rows = ["time,temperature,relative_humidity,occupancy,door,lights"]
    for i in np.flatnonzero(keep):
        stamp = (T0 + timedelta(seconds=float(ts[i]))).isoformat()
        rows.append(f"{stamp},{t[i]:.3f},{rh[i]:.2f},{int(occupied[i])},{int(door[i])},{int(occupied[i])}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    tmp = tmp_path_factory.mktemp("record")
    hall = hall_copy(tmp)
    record = synthetic_room_record(tmp / "room.csv")
    argv = ["--scene", str(hall), "--csv", str(record), "--sensor", "S01", "--no-hvac", "--fit-days", "0.55",
            "--holdout-days", "0.4", "--step-min", "20", "--params", "infiltration_ach", "--max-evals", "8"]
    code = cc.calibrate_main(argv)
    assert code == 0
    doc = json.loads((hall / "calibration.json").read_text(encoding="utf-8"))
    return hall, record, doc


def test_calibrate_on_short_runs_without_weather_fits_a_boundary_and_scores_skill(calibrated, capsys) -> None:
    hall, record, doc = calibrated
    fig = doc["figures"]
    assert doc["source"]["kind"] == "record" and fig["mode"].startswith("indoor-only")
    assert fig["runs"]["train"] >= 2 and fig["runs"]["held_back"] >= 1
    assert set(fig["parameters"]) == {"boundary_t_c", "boundary_rh", "occupancy_factor", "infiltration_ach"}
    assert set(doc["source"]["columns"]) >= {"occupancy", "door", "lights"}
    rows = {(r["sensor"], r["quantity"]): r for r in fig["skill"]}
    assert set(rows) == {("S01", "temperature"), ("S01", "relative_humidity")}
    for r in rows.values():  # every figure beside persistence and the training mean
        assert r["rmse_persistence"] > 0 and r["rmse_training_mean"] > 0
        assert r["skill_persistence"] == pytest.approx(1 - r["rmse"] / r["rmse_persistence"])
    # visitors and lights warm the hall, the model knows when: it beats holding the last value
    assert rows[("S01", "temperature")]["skill_persistence"] > 0.3
    assert rows[("S01", "relative_humidity")]["skill_persistence"] > 0.0


def test_validate_drives_the_model_with_the_record_and_prints_skill(calibrated, capsys) -> None:
    hall, record, _ = calibrated
    assert validate_main([str(record), "--scene", str(hall), "--sensor", "S01", "--no-hvac"]) == 0
    out = capsys.readouterr().out
    assert "calibrated 已校准" in out and "occupancy" in out and "door" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("S01") and "temperature" in ln
                and "ratio" not in ln)
    rmse, bias, rmse_last, skill_last = (float(x) for x in line.split()[2:6])
    assert rmse < rmse_last and skill_last > 0.3
    assert "daily swing 日较差" in out


def test_validate_command_as_typed(calibrated) -> None:
    """The README's ``relic-twin validate RECORD.csv --scene DIR``."""
    hall, record, _ = calibrated
    done = subprocess.run([sys.executable, "-m", "twin_engine.cli", "validate", str(record), "--scene", str(hall),
                           "--no-hvac"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "skill" in done.stdout and "技能" in done.stdout


def test_validate_and_calibrate_refuse_bad_records(tmp_path, capsys) -> None:
    hall = hall_copy(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,temp\n2026-01-01T00:00Z,20\n", encoding="utf-8")
    assert validate_main([str(bad), "--scene", str(hall)]) == 1
    err = capsys.readouterr().err
    assert "missing column(s) temperature" in err and "缺少" in err and "Traceback" not in err
    short = tmp_path / "short.csv"
    short.write_text("time,temperature,relative_humidity\n2026-01-01T00:00Z,20,50\n2026-01-01T00:10Z,20,50\n",
                     encoding="utf-8")
    assert cc.calibrate_main(["--scene", str(hall), "--csv", str(short), "--fit-days", "0.5"]) == 1
    assert "at least an hour" in capsys.readouterr().err
