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


# --- sensor offsets, the buffer's time constant, live re-anchoring (issue 21) -------------------------


def test_room_record_extends_the_calibration_record() -> None:
    from simulation.calibration import CalibrationData

    n = 6
    geo = cl.HallGeometry(floor=np.array([[0, 0], [4, 0], [4, 3], [0, 3]], float), height=3.0,
                          probes=(cl.Probe("p", np.array([2.0, 1.5])),))
    data = CalibrationData(np.arange(n) * STEP, np.full((n, 1), 20.0), np.full((n, 1), 50.0), np.full(n, 5.0),
                           np.full(n, 80.0), np.zeros(n), geo)
    rec = RoomRecord.from_calibration(data, hvac=False)
    assert isinstance(rec, CalibrationData)
    assert rec.people.tolist() == [0.0] * n and not rec.hvac_on.any() and not rec.lights_on.any()
    assert rec.open_ids == (frozenset(),) * n
    assert rec.cut(slice(1, 4)).times_s.tolist() == [600.0, 1200.0, 1800.0]
    with pytest.raises(ValueError, match="people has 2 rows"):
        replace(rec, people=np.zeros(2))


def test_anchored_pieces_start_on_a_measured_row_every_horizon() -> None:
    from simulation.record_model import anchored

    seen = np.ones(40, bool)
    seen[12:14] = False  # a bridged gap right at an issue time: the piece starts after it
    assert anchored([(0, 30), (32, 40)], seen, STEP, 2 * 3600.0) == [(0, 12), (14, 24), (24, 30), (32, 40)]
    assert anchored([(0, 30)], seen, STEP, 1e9) == [(0, 30)]  # a horizon past the span: the span itself


def test_buffer_step_response_is_the_closed_form_exponential() -> None:
    """A sealed one-cell room whose air is stepped from 40 to 60 %RH over a buffer at 40 %RH: the air
    vapour relaxes as w_eq + (w0 - w_eq) exp(-t / tau), tau = climate.buffer_time_constant_s."""
    from simulation.psychrometrics import vapour_density

    s = cl.ClimateSettings(infiltration_ach=0.0, wall_u_w_m2k=0.0, roof_u_w_m2k=0.0, floor_u_w_m2k=0.0,
                           hvac_supply_m3_h=0.0, lighting_w_m2=0.0, buffer_capacity_g_m2_rh=2.0,
                           buffer_coupling_m_s=5e-4)
    geo = cl.HallGeometry(floor=np.array([[0, 0], [4, 0], [4, 3], [0, 3]], float), height=3.0)
    dt = 60.0
    model = cl.build_model(geo, s, cell_m=4.0, dt_s=dt)
    state = cl.initial_state(model, 20.0, 40.0)
    state.w[:] = vapour_density(20.0, 60.0)
    w0, b0 = float(state.w[0]), float(state.w_buffer[0])
    tau = cl.buffer_time_constant_s(s, 3.0, 20.0)
    k = float(vapour_density(20.0, 100.0)) / (100.0 * 2.0 / 3.0)
    w_eq = (w0 + b0) * k / (1.0 + k)  # the total is kept, shared in the ratio k
    assert 1800.0 < tau < 6 * 3600.0  # hours: the step is resolved by 60 s steps
    f = cl.Forcing(t_out_c=20.0, rh_out=40.0, hvac_on=False)
    worst = 0.0
    for i in range(1, int(3 * tau / dt)):
        state = cl.step(model, state, f)
        exact = w_eq + (w0 - w_eq) * np.exp(-i * dt / tau)
        worst = max(worst, abs(float(state.w[0]) - exact))
    assert worst < 0.01 * (w0 - w_eq)  # within 1 % of the step (first-order splitting, dt / tau < 2 %)
    assert float(state.w[0]) == pytest.approx(w_eq + (w0 - w_eq) * np.exp(-3.0), rel=1e-2)
    assert cl.buffer_time_constant_s(replace(s, buffer_capacity_g_m2_rh=0.0), 3.0, 20.0) == float("inf")


def test_fit_recovers_sensor_offsets_learnt_on_training_days_only() -> None:
    """A record made by the model plus a sensor reading 0.8 K high and 6 %RH low: with offsets the fit
    finds the RH offset on the training days and the held-back 24 h runs beat persistence; without, not as well."""
    from simulation.record_model import anchored, fit_record, skill_table

    geo = cl.HallGeometry(floor=np.array([[0, 0], [8, 0], [8, 6], [0, 6]], float), height=3.5,
                          probes=(cl.Probe("S", np.array([4.0, 3.0])),))
    step = 1800.0
    n = int(6 * 86400 / step)
    ts = np.arange(n) * step
    day = 2 * np.pi * ts / 86400.0
    t_out = 5.0 + 4.0 * np.sin(day)
    rh_out = 80.0 - 10.0 * np.sin(day)
    truth = replace(cl.ClimateSettings(), hvac_supply_m3_h=0.0, infiltration_ach=0.8, internal_gain_w_m2=25.0)
    rec = RoomRecord(ts, np.full((n, 1), 18.0), np.full((n, 1), 50.0), t_out, rh_out, np.zeros(n), geo,
                     hvac_on=np.zeros(n, bool))
    t_air, rh_air = simulate_runs(rec, truth, [(0, n)])
    rng = np.random.default_rng(3)
    rec = replace(rec, t_in=t_air + 0.8 + rng.normal(0, 0.03, (n, 1)), rh_in=rh_air - 6.0 + rng.normal(0, 0.2, (n, 1)))
    seen = np.ones(n, bool)
    train = anchored([(0, 4 * 48)], seen, step, 86400.0)
    test = anchored([(4 * 48, n)], seen, step, 86400.0)
    # the heat gain is known: a T offset and a fitted constant gain would both shift the level (only the
    # anchor's transient tells them apart), and an unpinned T offset moves the RH the model's air reads
    base = replace(cl.ClimateSettings(), hvac_supply_m3_h=0.0, internal_gain_w_m2=25.0)
    fitted = fit_record(rec, train, ["infiltration_ach"], base, max_nfev=8, offsets=True)
    assert fitted.offset_t[0] == pytest.approx(0.8, abs=0.2)
    assert fitted.offset_rh[0] == pytest.approx(-6.0, abs=1.0)
    assert fitted.parameters["offset_rh:S"] == pytest.approx(fitted.offset_rh[0])
    t_sim, rh_sim = fitted.simulate(rec, test)
    with_off = {s.quantity: s for s in skill_table(rec, t_sim, rh_sim, test)}
    plain = fit_record(rec, train, ["infiltration_ach"], base, max_nfev=8)
    t_sim, rh_sim = plain.simulate(rec, test)
    without = {s.quantity: s for s in skill_table(rec, t_sim, rh_sim, test)}
    for q in ("temperature", "relative_humidity"):
        assert with_off[q].skill_persistence > 0.5
        assert with_off[q].rmse < without[q].rmse


def test_real_display_case_slice_calibrated_then_run_24_h_from_the_sensors_beats_persistence_in_t() -> None:
    """The shipped real slice (tests/data/forecast/case1_slice.csv, MIT; a display case, no weather):
    fitted on 7 days (indoor-only: fitted boundary), then 3 held-back days, each day from the
    measured state at midnight. T beats holding that reading; RH (logged in whole %RH) stays within
    the logging resolution of it. Every figure is on the held-back days only."""
    import csv

    from simulation.record_model import anchored, fit_record, skill_table

    with open(ROOT / "tests" / "data" / "forecast" / "case1_slice.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    secs = np.array([datetime.fromisoformat(r["datetime"].replace("Z", "+00:00")).timestamp() for r in rows])
    temp = np.array([float(r["temp"]) for r in rows])
    rh = np.array([float(r["RH"]) for r in rows])
    step, t0 = 1800.0, datetime(2021, 9, 1, tzinfo=UTC).timestamp()
    n = int(10 * 86400 / step)
    k = np.floor((secs - t0) / step).astype(int)
    ok = (k >= 0) & (k < n)

    def grid(v: np.ndarray) -> np.ndarray:
        return (np.bincount(k[ok], v[ok], minlength=n) / np.bincount(k[ok], minlength=n))[:, None]

    scene = load_scene(HALL)
    geo = replace(cl.geometry_from_scene(scene),
                  probes=(cl.Probe("case 1", np.asarray(scene.zones[0].polygon, float).mean(axis=0)),))
    rec = RoomRecord(np.arange(n) * step, grid(temp), grid(rh), np.full(n, np.nan), np.full(n, np.nan), np.zeros(n),
                     geo, hvac_on=np.zeros(n, bool))
    seen = np.isfinite(rec.t_in[:, 0])
    assert seen.all()  # the slice has no gaps
    train = anchored(runs(seen & (rec.times_s < 7 * 86400.0), step), seen, step, 86400.0)
    test = anchored(runs(seen & (rec.times_s >= 7 * 86400.0), step), seen, step, 86400.0)
    base = replace(cl.settings_from_mapping(dict(scene.climate)), hvac_supply_m3_h=0.0)
    fitted = fit_record(rec, train, ["infiltration_ach", "internal_gain_w_m2", "moisture_gain_g_h_m2"], base,
                        max_nfev=5)
    t_sim, rh_sim = fitted.simulate(rec, test)
    train_rows = np.concatenate([np.arange(a, b) for a, b in train])
    table = {s.quantity: s for s in skill_table(rec, t_sim, rh_sim, test, train_rows)}
    assert table["temperature"].n == 3 * 48
    assert table["temperature"].skill_persistence > 0.0  # +0.09 here (no lights in the slice; +0.3 with them)
    assert table["temperature"].skill_mean > 0.3
    assert table["relative_humidity"].rmse < 1.0  # %RH, logged in whole percent


def test_calibrate_with_offsets_and_restarts_and_validate_uses_them(tmp_path, capsys) -> None:
    hall = hall_copy(tmp_path)
    record = synthetic_room_record(tmp_path / "room.csv")
    out = tmp_path / "cal.json"
    argv = ["--scene", str(hall), "--csv", str(record), "--sensor", "S01", "--no-hvac", "--fit-days", "0.55",
            "--holdout-days", "0.4", "--step-min", "20", "--params", "infiltration_ach", "--max-evals", "3",
            "--offsets", "--horizon-h", "6", "--out", str(out)]
    assert cc.calibrate_main(argv) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {"offset_t_c:S01", "offset_rh:S01"} <= set(doc["figures"]["parameters"])
    assert doc["settings"]["horizon_h"] == 6.0 and doc["settings"]["offsets"] is True
    assert "offset_rh:S01" in capsys.readouterr().out  # printed with its bounds
    args = [str(record), "--scene", str(hall), "--sensor", "S01", "--no-hvac", "--calibration", str(out)]

    def rh_bias(offset: float) -> float:
        doc["figures"]["parameters"]["offset_rh:S01"] = offset
        out.write_text(json.dumps(doc), encoding="utf-8")
        assert validate_main([*args, "--horizon-h", "6"]) == 0
        text = capsys.readouterr().out
        line = next(ln for ln in text.splitlines() if ln.strip().startswith("S01") and "relative_humidity" in ln
                    and "ratio" not in ln)
        return float(line.split()[3])

    # each 6 h restart starts at the reading less the offset and reports the air plus it: as the air
    # settles, a sensor said to read 7 %RH high carries the model's output 7 %RH up
    assert rh_bias(7.0) > rh_bias(0.0) + 2.0
    assert validate_main([*args, "--horizon-h", "-1"]) == 1
    assert "--horizon-h" in capsys.readouterr().err


def test_disturbance_observer_finds_an_unrecorded_heater_and_humidifier_from_the_day_before() -> None:
    """A room with a 400 W heater and a 80 g/h moisture source that its record does not hold: the
    observer finds both from the 24 h before a restart (only those rows), and the live run then
    follows the room; the same model without the observer drifts away."""
    from simulation.record_model import FittedModel, disturbance

    geo = cl.HallGeometry(floor=np.array([[0, 0], [6, 0], [6, 5], [0, 5]], float), height=3.0,
                          probes=(cl.Probe("S", np.array([3.0, 2.5])),))
    step = 1800.0
    n = 3 * 48
    ts = np.arange(n) * step
    t_out = 4.0 + 3.0 * np.sin(2 * np.pi * ts / 86400.0)
    settings = replace(cl.ClimateSettings(), hvac_supply_m3_h=0.0, infiltration_ach=0.5)
    rec = RoomRecord(ts, np.full((n, 1), 18.0), np.full((n, 1), 50.0), t_out, np.full(n, 85.0), np.zeros(n), geo,
                     hvac_on=np.zeros(n, bool))
    t_true, rh_true = simulate_runs(rec, settings, [(0, n)], extra=[(400.0, 80.0)])
    rec = replace(rec, t_in=t_true, rh_in=rh_true)
    rec_future_hidden = replace(rec, t_in=np.where(ts[:, None] < 2 * 86400.0, t_true, np.nan),
                                rh_in=np.where(ts[:, None] < 2 * 86400.0, rh_true, np.nan))
    model = FittedModel(settings, 1.0, 1.0, None, {}, 0)
    first = 2 * 48
    q, m, shift = disturbance(rec_future_hidden, model, first, 86400.0)  # sees nothing at or after the restart
    # not exact: each window starts with the thermal mass and buffer at the air's state, not their own
    assert q == pytest.approx(400.0, rel=0.06) and m == pytest.approx(80.0, rel=0.1)
    assert shift == 0.0  # no HVAC: no thermostat to shift
    assert disturbance(rec, model, first, 86400.0) == (q, m, shift)
    t_live, rh_live, extra = model.simulate_live(rec, [(first, n)], 86400.0)
    assert extra == [(q, m, shift)]
    t_plain, rh_plain = model.simulate(rec, [(first, n)])
    err = {k: float(np.sqrt(np.nanmean((v[first:] - truth[first:]) ** 2)))
           for k, v, truth in (("t", t_live, t_true), ("rh", rh_live, rh_true), ("t0", t_plain, t_true),
                               ("rh0", rh_plain, rh_true))}
    # RH less well: the restart puts the buffer at the air's equilibrium, not where the room's buffer is
    assert err["t"] < 0.05 and err["rh"] < 1.0
    assert err["t0"] > 10 * err["t"] and err["rh0"] > 1.5 * err["rh"]
    assert disturbance(rec, model, 2, 86400.0) == (0.0, 0.0, 0.0)  # under 4 measured rows before: nothing to go on


def test_carried_restarts_keep_mass_and_buffer_so_a_model_made_record_is_followed_exactly() -> None:
    """Restarting every 6 h from the readings: with ``carry`` the thermal mass and the buffer run on from
    the model's own run, so on a record the model itself made the restarts change nothing; without, each
    restart puts them in equilibrium with the air and the run departs from the record."""
    geo = cl.HallGeometry(floor=np.array([[0, 0], [6, 0], [6, 5], [0, 5]], float), height=3.0,
                          probes=(cl.Probe("S", np.array([3.0, 2.5])),))
    step, n = 1800.0, 96
    ts = np.arange(n) * step
    settings = replace(cl.ClimateSettings(), hvac_supply_m3_h=0.0, infiltration_ach=0.5)
    rec = RoomRecord(ts, np.full((n, 1), 18.0), np.full((n, 1), 50.0), 4.0 + 6.0 * np.sin(2 * np.pi * ts / 86400.0),
                     60.0 + 20.0 * np.cos(2 * np.pi * ts / 86400.0), np.zeros(n), geo, hvac_on=np.zeros(n, bool))
    t_true, rh_true = simulate_runs(rec, settings, [(0, n)])
    rec = replace(rec, t_in=t_true, rh_in=rh_true)
    pieces = [(a, min(a + 12, n)) for a in range(0, n, 12)]
    t_c, rh_c = simulate_runs(rec, settings, pieces, carry=True)
    t_r, rh_r = simulate_runs(rec, settings, pieces)
    assert np.allclose(t_c, t_true, atol=1e-9) and np.allclose(rh_c, rh_true, atol=1e-9)
    assert np.abs(t_r - t_true).max() > 0.05 and np.abs(rh_r - rh_true).max() > 0.5
    gap = [(0, 12), (14, 24)]  # not contiguous: the second starts afresh even with carry
    assert np.allclose(simulate_runs(rec, settings, gap, carry=True)[0][14:24],
                       simulate_runs(rec, settings, gap)[0][14:24])


def test_observer_reads_a_turned_up_thermostat_where_the_hvac_absorbs_heat() -> None:
    """The room's air handler held 21 °C, the fitted model's thermostat says 20: added heat would not
    move the model (its HVAC takes it away), so the day's misfit is the thermostat's shift, +1 K."""
    from simulation.record_model import FittedModel, disturbance

    geo = cl.HallGeometry(floor=np.array([[0, 0], [8, 0], [8, 6], [0, 6]], float), height=3.5,
                          probes=(cl.Probe("S", np.array([4.0, 3.0])),))
    step, n = 1800.0, 96
    ts = np.arange(n) * step
    model_settings = replace(cl.ClimateSettings(), hvac_setpoint_c=20.0, hvac_supply_m3_h=1500.0)
    rec = RoomRecord(ts, np.full((n, 1), 21.0), np.full((n, 1), 45.0), np.full(n, 6.0), np.full(n, 80.0),
                     np.zeros(n), geo)
    t_true, rh_true = simulate_runs(rec, replace(model_settings, hvac_setpoint_c=21.0), [(0, n)])
    rec = replace(rec, t_in=t_true, rh_in=rh_true)
    heat, _, shift = disturbance(rec, FittedModel(model_settings, 1.0, 1.0, None, {}, 0), 48, 86400.0)
    assert heat == 0.0 and shift == pytest.approx(1.0, abs=0.1)
    # run on from the start (carry: the HVAC's integral carries over the restart), with and without it
    fm = FittedModel(model_settings, 1.0, 1.0, None, {}, 0, carry=True)
    t_live, _, extra = fm.simulate_live(rec, [(0, 48), (48, n)], 86400.0, observe_from=48)
    assert extra[0] == (0.0, 0.0, 0.0) and extra[1][2] == shift
    t_plain, _ = fm.simulate(rec, [(0, 48), (48, n)])
    err_live = float(np.sqrt(np.mean((t_live[48:] - t_true[48:]) ** 2)))
    err_plain = float(np.sqrt(np.mean((t_plain[48:] - t_true[48:]) ** 2)))
    assert err_live < 0.5 * err_plain
