"""The curator's what-if player on a short real simulation run: loading, interpolation in time,
rendered colours and badges, the time controls, and ``relic-twin play``.

The run is the summer air-conditioning failure cut to 2 h on 2 m cells (under a second): its
relics start inside or outside their limits and several cross them within the first hour.
Screen positions come from the camera lens and known hall points, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest_engine import fixed_frame_clock
from test_climate_scenarios import short_scenario

from bridge.twin import whatif
from simulation.paths import scenes_dir
from simulation.scene import Scene, load_scene
from twin_engine import colormap
from twin_engine.hud import TIER_COLOURS
from twin_engine.whatif_player import SPEEDS_H_PER_S, WhatIfScreen
from twin_engine.whatif_run import (
    RunError,
    WhatIfRun,
    active_crossings,
    field_at,
    load_run,
    relic_tiers,
    resampler,
    value_at,
)

HOURS = 2.0
FLOOR_POINT = (11.0, 8.5, 0.0)
"""Open floor between the ding's case and the silk painting's: no relic, case, vent or label near."""


@pytest.fixture(scope="module")
def scene() -> Scene:
    return load_scene(scenes_dir() / "demo_hall")


@pytest.fixture(scope="module")
def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding one run, ``<root>/hvac_failure_summer/``, as ``relic-twin simulate --out`` writes it."""
    tmp = tmp_path_factory.mktemp("whatif")
    f = short_scenario(tmp, "hvac_failure_summer", HOURS)
    whatif.run_scenario(f, tmp / "runs" / "hvac_failure_summer", cell_m=2.0, report=False)
    return tmp / "runs"


@pytest.fixture(scope="module")
def run(run_root: Path, scene: Scene) -> WhatIfRun:
    return load_run(run_root, scene)


@pytest.fixture(scope="module")
def snaps(run_root: Path) -> dict[str, np.ndarray]:
    with np.load(run_root / "hvac_failure_summer" / "snapshots.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.fixture
def player(engine_base: Any, scene: Scene, run: WhatIfRun) -> Iterator[WhatIfScreen]:
    screen = WhatIfScreen(engine_base, scene, run, lang="en", load_meshes=False)
    screen.enter()
    screen.rig.snap()
    yield screen
    screen.exit()


def pixel_at(screen: WhatIfScreen, image: Any, point: tuple[float, float, float]) -> np.ndarray:
    """RGB in [0, 1] of the frame at the projection of a hall point (mean of a 3 x 3 patch)."""
    film = screen.project(point)
    assert film is not None, f"{point} is off screen"
    w, h = image.getXSize(), image.getYSize()
    px, py = int((film[0] + 1) / 2 * w), int((1 - film[1]) / 2 * h)
    patch = [image.getXel(x, y) for x in range(px - 1, px + 2) for y in range(py - 1, py + 2)]
    return np.mean([[c[0], c[1], c[2]] for c in patch], axis=0)


def near(a: Any, b: Any, tol: float) -> bool:
    return float(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).max()) <= tol


# --- the run -----------------------------------------------------------------------------


def test_load_run_reads_times_fields_series_and_crossings(run, snaps):
    assert run.run_dir.name == "hvac_failure_summer"  # found inside the --out folder
    assert run.scenario_id == "hvac_failure_summer" and run.title["en"].startswith("Air conditioning")
    assert run.start == datetime(2026, 7, 15, 4, 0, tzinfo=UTC)
    assert run.utc_offset_h == 8.0  # from the scenario file: local times are Beijing time
    assert run.local(600).strftime("%H:%M") == "12:10"
    np.testing.assert_array_equal(run.times_s, [0, 1800, 3600, 5400, 7200])  # every 30 min
    assert run.duration_s == HOURS * 3600
    assert run.shape == snaps["temperature"].shape[1:] == (6, 10)  # 12 x 20 m hall on 2 m cells
    assert run.cell_m == 2.0
    assert len(run.series_s) == 13 and set(run.series) == {
        "ding", "silk_painting", "lacquer_box", "vase", "lion", "gargoyle", "laurana"}
    firsts = [c.first_s for c in run.crossings]
    assert firsts == sorted(firsts) and len(firsts) >= 3
    ding = [c for c in run.crossings if c.relic == "ding" and c.quantity == "relative_humidity"][0]
    assert ding.at_start and ding.side == "high" and ding.limit == 40.0 and ding.worst_tier == "red"
    # the first crossing after the start: the silk painting's humidity drops below 50 %RH at 10 min
    later = [c for c in run.crossings if c.first_s > 0]
    assert (later[0].relic, later[0].side, later[0].first_s) == ("silk_painting", "low", 600.0)


def test_field_is_the_snapshot_at_its_time_and_linear_between(run, snaps):
    for k, t in enumerate(snaps["times"]):
        np.testing.assert_array_equal(field_at(run, "temperature", float(t)), snaps["temperature"][k])
        np.testing.assert_array_equal(field_at(run, "relative_humidity", float(t)), snaps["relative_humidity"][k])
    half = field_at(run, "relative_humidity", 2700.0)  # halfway between snapshots 1 and 2
    expect = 0.5 * (snaps["relative_humidity"][1].astype(float) + snaps["relative_humidity"][2])
    np.testing.assert_allclose(half, expect, rtol=0, atol=1e-9)
    assert not np.allclose(snaps["relative_humidity"][1], snaps["relative_humidity"][2], atol=0.5)  # it moves
    np.testing.assert_array_equal(field_at(run, "temperature", -50.0), snaps["temperature"][0])  # clamped
    np.testing.assert_array_equal(field_at(run, "temperature", 1e9), snaps["temperature"][-1])
    # at a cell centre the bilinear sample is that cell's value
    j, i = 3, 4
    x, y = snaps["origin"] + (np.array([i, j]) + 0.5) * run.cell_m
    assert value_at(run, "relative_humidity", 3600.0, x, y) == pytest.approx(float(snaps["relative_humidity"][2, j, i]))


def test_tiers_follow_the_relic_series(run):
    at0 = relic_tiers(run, 0.0)
    assert at0["ding"][0] == "red"  # 40 %RH limit, ~54 %RH in the hall: far outside
    assert "silk_painting" not in at0
    assert relic_tiers(run, 600.0)["silk_painting"] == ("yellow", 1)
    idx = {i for i, c in enumerate(run.crossings) if c.relic == "silk_painting"}
    assert idx & set(active_crossings(run, 600.0)) and not idx & set(active_crossings(run, 599.0))


# --- the screen --------------------------------------------------------------------------


def test_seeking_to_a_snapshot_shows_that_snapshot_on_the_floor(player, run, snaps):
    player.seek(5400.0)
    player.render_frame()
    sample = resampler(run, player.field.grid.points)
    np.testing.assert_allclose(player.values.ravel(), sample(snaps["temperature"][3].astype(float)), atol=1e-9)
    np.testing.assert_allclose(player.rgb, colormap.colours("temperature", player.values), atol=1e-12)


def test_floor_pixel_has_the_colour_of_the_simulated_value(player, run):
    player.set_quantity("relative_humidity")
    x, y = FLOOR_POINT[:2]
    seen = []
    for t in (0.0, run.duration_s):
        player.seek(t)
        image = player.screenshot()
        value = value_at(run, "relative_humidity", t, x, y)
        expect = colormap.colours("relative_humidity", np.array([value]))[0]
        got = pixel_at(player, image, FLOOR_POINT)
        assert near(got, expect, 0.06), (t, value, got, expect)
        seen.append((value, got))
    # the hall gets much damper in two hours without its air handler, and the floor shows it
    assert seen[1][0] - seen[0][0] > 10.0
    assert not near(seen[0][1], seen[1][1], 0.1)


def test_badge_in_the_tier_colour_over_a_relic_outside_its_limits(player):
    def badge_pixel(relic: str) -> np.ndarray:
        anchor = player.badge_anchor(relic)
        assert anchor is not None
        return pixel_at(player, player.screenshot(), (anchor[0] + 0.18, anchor[1], anchor[2]))  # beside the glyph

    player.seek(0.0)
    assert player.relic_badges()["ding"][0] == "red"
    assert near(badge_pixel("ding"), TIER_COLOURS["red"], 0.08)
    silk_before = badge_pixel("silk_painting")
    assert not near(silk_before, TIER_COLOURS["yellow"], 0.2)  # inside its limits: no badge
    player.next_crossing()  # 10 min: its humidity drops below 50 %RH
    assert player.relic_badges()["silk_painting"] == ("yellow", 1)
    assert near(badge_pixel("silk_painting"), TIER_COLOURS["yellow"], 0.08)


def test_seek_step_next_crossing_and_play_move_time(player, run):
    assert player.seek(-5.0) == 0.0 and player.seek(1e9) == run.duration_s  # clamped to the run
    player.seek(100.0)
    assert player.step(1) == 1800.0  # the next snapshot
    assert player.step(2) == 5400.0
    assert player.step(-1) == 3600.0
    assert player.step(-10) == 0.0  # no further back than the first
    assert player.step(10) == 7200.0
    player.seek(0.0)
    assert player.next_crossing() == 600.0  # the silk painting
    assert player.next_crossing() == 1800.0  # stone and marble over 60 %RH at 30 min
    player.seek(run.duration_s)
    assert player.next_crossing() is None
    # playing advances by the speed in simulated hours per real second, and stops at the end
    player.act("go_start")
    player.act("play_pause")
    assert player.playing and SPEEDS_H_PER_S[player.speed] == 1.0
    player.update(0.5)
    assert player.t_s == pytest.approx(1800.0)
    player.act("faster")
    player.update(0.5)
    assert player.t_s == pytest.approx(5400.0)
    player.update(10.0)
    assert player.t_s == run.duration_s and not player.playing
    player.play(True)  # at the end: from the start again
    assert player.t_s == 0.0 and player.playing
    player.act("step_forward")  # stepping pauses
    assert not player.playing and player.t_s == 1800.0


def test_crossing_list_and_time_caption_follow_the_shown_time(player, run):
    player.seek(0.0)
    n_start = sum(c.first_s <= 0 for c in run.crossings)
    data = player.crossing_data()
    assert data.title == f"Limit crossings ({n_start}/{len(run.crossings)})"
    assert "not calibrated" in data.footer.lower()
    player.next_crossing()
    assert player.crossing_data().title.startswith(f"Limit crossings ({n_start + 1}/")
    assert "07-15 12:10 UTC+8" in player.time_label() and "+0.2 h" in player.time_label()
    player.act("toggle_language")
    assert player.crossing_data().title.startswith("越限情况") and "快照" in player.time_label()
    # clicking a row jumps to its moment
    row = player.crossing_data().rows[-1]
    player._jump(row.jump_s)
    assert player.t_s == row.jump_s


def test_app_shell_plays_the_screen_and_binds_its_keys(engine_base, scene, run):
    from twin_engine.app import TwinApp

    app = TwinApp(engine_base)
    screen = WhatIfScreen(engine_base, scene, run, load_meshes=False)
    app.show(screen)
    try:
        engine_base.messenger.send("n")  # the key table's binding: next crossing
        assert screen.t_s == 600.0
        engine_base.messenger.send("h")
        assert screen.quantity == "relative_humidity"
        engine_base.messenger.send("space")
        assert screen.playing
        shown = [screen.t_s]
        with fixed_frame_clock(engine_base) as frame_s:  # frames of a known length, however loaded the CPU
            for _ in range(4):
                engine_base.taskMgr.step()  # the frame task advances the clock by the frame's length...
                shown.append(screen.t_s)
        step_s = frame_s * SPEEDS_H_PER_S[screen.speed] * 3600.0
        assert [b - a for a, b in zip(shown, shown[1:], strict=False)] == pytest.approx([step_s] * 4)
        assert screen.playing and not screen._dirty
        # ...a press on the drawn time bar seeks there (the bar spans the run), and Esc quits
        track = screen.overlay.track
        assert screen.click(track.x + track.w * 0.25, track.y + track.h / 2) == "scrub"
        assert not screen.playing and screen.t_s == pytest.approx(0.25 * run.duration_s)
        quits = []
        screen.on_quit = lambda: quits.append(1)
        engine_base.messenger.send("escape")
        assert quits == [1]
    finally:
        app.close()


def test_exit_removes_every_node(engine_base, scene, run):
    before = (engine_base.render.getNumChildren(), engine_base.render2d.getNumChildren())
    screen = WhatIfScreen(engine_base, scene, run, load_meshes=False)
    assert engine_base.render.find("whatif") and engine_base.render2d.find("whatif-overlay")
    screen.exit()
    assert (engine_base.render.getNumChildren(), engine_base.render2d.getNumChildren()) == before


# --- relic-twin play ---------------------------------------------------------------------


def test_play_headless_writes_frames_at_start_first_crossing_and_end(engine_base, run_root, tmp_path, capsys):
    from panda3d.core import PNMImage

    from twin_engine.cli import DELEGATED
    from twin_engine.whatif_cli import play_main

    assert DELEGATED["play"][:2] == ("twin_engine.whatif_cli", "play_main")
    out = tmp_path / "frames"
    code = play_main([str(run_root), "--headless", "--out", str(out), "--lang", "en"], base=engine_base)
    assert code == 0
    printed = capsys.readouterr().out
    names = ["start.png", "first_crossing.png", "end.png"]
    for name in names:
        image = PNMImage()
        assert image.read(str(out / name)), name
        assert (image.getXSize(), image.getYSize()) == (640, 360)
        assert str(out / name) in printed
    assert "+0.2 h" in printed and "+2.0 h" in printed  # the first crossing at 10 min, the end at 2 h
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert not engine_base.render.find("whatif")  # cleaned up after itself
    # chosen hours
    code = play_main([str(run_root / "hvac_failure_summer"), "--headless", "--out", str(out), "--at", "1",
                      "--lang", "zh", "--quantity", "relative_humidity"], base=engine_base)
    assert code == 0 and (out / "at_001.0h.png").is_file()


def test_play_help_lists_the_command(capsys):
    from twin_engine.cli import main

    assert main(["--help"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("play ")]
    assert line and "what-if" in line[0] and "情景" in line[0]


@pytest.mark.parametrize("case", ["missing", "empty", "garbage", "no_fields", "bad_shapes", "two_runs"])
def test_unplayable_run_folder_is_a_clear_error_and_status_2(case, run_root, tmp_path, capsys):
    import shutil

    from twin_engine.cli import main

    folder = tmp_path / "run"
    if case != "missing":
        folder.mkdir()
    if case in ("garbage", "no_fields", "bad_shapes"):
        shutil.copy(run_root / "hvac_failure_summer" / "summary.json", folder / "summary.json")
    if case == "garbage":
        (folder / "snapshots.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    elif case == "no_fields":
        np.savez(folder / "snapshots.npz", times=np.array([0.0]))
    elif case == "bad_shapes":
        np.savez(folder / "snapshots.npz", times=np.array([0.0, 60.0]), temperature=np.zeros((3, 2, 2)),
                 relative_humidity=np.zeros((3, 2, 2)), origin=np.zeros(2), cell_m=np.array(1.0),
                 start_utc=np.array("2026-07-15T04:00:00+00:00"))
    elif case == "two_runs":
        for name in ("a", "b"):
            shutil.copytree(run_root / "hvac_failure_summer", folder / name)
    code = main(["play", str(folder), "--headless", "--out", str(tmp_path / "frames")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err and err.startswith("relic-twin play:")
    expected = {"missing": "no snapshots.npz", "empty": "no snapshots.npz", "garbage": "broken or incomplete",
                "no_fields": "broken or incomplete", "bad_shapes": "shapes do not match",
                "two_runs": "several runs"}[case]
    assert expected in err
    assert not (tmp_path / "frames").exists()
    with pytest.raises(RunError):
        load_run(folder)


def test_hours_outside_never_exceed_the_run():
    """Issue 24: a relic outside its limit for a whole 24 h run read "24.2 h outside"."""
    from datetime import datetime as dt

    times = np.arange(0, 24 * 3600 + 1, 600.0)  # 24 h at 10 min: 145 samples
    always = whatif.limit_crossings("r", "temperature", times, np.full(times.shape, 30.0),
                                    dt(2026, 7, 15, tzinfo=UTC), None, 25.0, None)
    assert always[0].hours_outside == pytest.approx(24.0)
    half = whatif.limit_crossings("r", "temperature", times, np.where(times < 12 * 3600, 30.0, 20.0),
                                  dt(2026, 7, 15, tzinfo=UTC), None, 25.0, None)
    assert half[0].hours_outside == pytest.approx(12.0, abs=10 / 60)
    uneven = np.array([0.0, 60.0, 3600.0, 7200.0])
    assert whatif.sample_weights_s(uneven).sum() == pytest.approx(7200.0)
