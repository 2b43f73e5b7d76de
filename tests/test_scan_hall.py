"""Hall scans: floor, walls and ceiling -> the scene's floor plan; the shell; scene check's plan.

A synthetic box room of known size (turned, moved, with and without its floor and ceiling,
with cabinets) must come back within 5 cm; the real pump-room E57 in ``../shared/data`` must
come back square at the rotation its scene was fitted with by eye.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bridge.scan.hall import outline_from_walls, process_hall
from bridge.scan.ply import write_ply
from bridge.scan.synthetic import box_room
from simulation.paths import project_home
from simulation.scene import load_scene
from twin_engine.cli import main as cli

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _corners_match(outline: np.ndarray, w: float, d: float, tol: float = 0.05) -> bool:
    want = np.array([[0, 0], [w, 0], [w, d], [0, d]])
    return len(outline) == 4 and all(np.min(np.linalg.norm(outline - c, axis=1)) < tol for c in want)


@pytest.mark.parametrize("kw", [
    {},
    {"floor": False},  # the capture tool dropped the floor: up and floor level from the walls
    {"floor": False, "ceiling": False},
    {"clutter": 15_000, "turn_deg": -33.0},
])
def test_box_room_outline_within_5_cm(tmp_path, kw):
    f = tmp_path / "room.ply"
    write_ply(f, box_room(6.0, 4.0, 3.0, n=120_000, **kw))
    r = process_hall(f, shell=False)
    assert _corners_match(r.outline, 6.0, 4.0), r.outline
    assert r.area_m2 == pytest.approx(24.0, abs=0.5)
    assert r.ceiling_m == pytest.approx(3.0, abs=0.05)
    assert r.floor_found == kw.get("floor", True)
    # the transform takes the file's floor corner (turned and moved by box_room) to the origin
    c, s = np.cos(np.radians(kw.get("turn_deg", 20.0))), np.sin(np.radians(kw.get("turn_deg", 20.0)))
    corner = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ [6.0, 4.0, 0.0] + [1.3, -2.1, -1.5]
    mapped = r.transform[:3, :3] @ corner + r.transform[:3, 3]
    assert np.min(np.linalg.norm(np.array([[0, 0], [6, 0], [6, 4], [0, 4]]) - mapped[:2], axis=1)) < 0.05
    assert abs(mapped[2]) < 0.05


def test_l_shaped_outline_from_wall_lines():
    # an L: 6 x 4 with the 2 x 2 north-east corner cut away
    walls = [(0, 0.0, 0.0, 4.0), (1, 0.0, 0.0, 6.0), (0, 6.0, 0.0, 2.0), (1, 2.0, 4.0, 6.0),
             (0, 4.0, 2.0, 4.0), (1, 4.0, 0.0, 4.0)]
    out = outline_from_walls(walls)
    assert sorted(map(tuple, out.round(3).tolist())) == sorted([(0, 0), (6, 0), (6, 2), (4, 2), (4, 4), (0, 4)])
    area = 0.5 * (np.dot(out[:, 0], np.roll(out[:, 1], -1)) - np.dot(out[:, 1], np.roll(out[:, 0], -1)))
    assert area == pytest.approx(20.0)  # counter-clockwise


@pytest.mark.skipif(not (SHARED / "e57-pump-room").is_dir(), reason="real scans not found: ../shared/data is absent")
def test_real_pump_room_e57_is_squared_like_its_scene():
    r = process_hall(SHARED / "e57-pump-room" / "pumpAVisualReferenceImage.e57", shell=False)
    assert r.floor_found
    turn = np.degrees(np.arctan2(r.transform[1, 0], r.transform[0, 0]))
    assert (turn - 37.5 + 45) % 90 - 45 == pytest.approx(0, abs=2)  # scenes/scan_room: rotation = 37.5
    w, d = np.ptp(r.outline, axis=0)
    assert 3.0 < w < 4.4 and 2.4 < d < 3.4 and 7 < r.area_m2 < 14  # scan_room's eye fit: about 4.0 x 3.05 m
    assert 3.0 < r.ceiling_m < 3.9  # the scan spans 3.7 m with the floor at -1.86 m
    # the scan's floor lands on z = 0
    assert r.transform[2, 3] == pytest.approx(1.85, abs=0.03)


def test_scan_hall_json_writes_a_new_scene_that_checks_and_plots(tmp_path, monkeypatch, capsys):
    home = tmp_path
    (home / "scenes").mkdir()
    for f in ("materials.toml", "advice.toml"):
        shutil.copy(project_home() / "scenes" / f, home / "scenes" / f)
    shutil.copytree(project_home() / "assets", home / "assets")
    monkeypatch.setenv("RELIC_TWIN_HOME", str(home))
    room = tmp_path / "room.ply"
    write_ply(room, box_room(5.0, 3.5, 2.8, n=80_000, clutter=8_000, floor=False))
    scene_dir = home / "scenes" / "scanned"
    assert cli(["scan", "hall", str(room), "--scene", str(scene_dir), "--json", "--licence", "CC0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert _corners_match(np.array(out["outline"]), 5.0, 3.5)
    assert out["floor_area_m2"] == pytest.approx(17.5, abs=0.4) and out["ceiling_height_m"] == pytest.approx(2.8, abs=0.05)
    assert out["floor_found"] is False
    scene = load_scene(scene_dir, assets_dir=home / "assets")
    assert np.allclose(scene.floor, np.array(out["outline"]))
    assert scene.zones[0].polygon.shape == (4, 2)
    hs = scene.hall_scan
    assert hs.kind == "mesh" and hs.opacity < 1 and hs.clip[0] > 0 and hs.walls == "outline"
    shell = home / "assets" / hs.mesh
    from bridge.scan.read import read_scan

    sh = read_scan(shell)
    assert sh.is_mesh and sh.points[:, 2].min() >= -0.06 and len(sh.faces) <= 40_000
    assert "`meshes/scans/scanned-shell.ply`" in (home / "assets" / "SOURCES.md").read_text(encoding="utf-8")

    png = tmp_path / "plan.png"
    assert cli(["scene", "check", str(scene_dir), "--plan", str(png)]) == 0
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    red = (img[..., 0] > 180) & (img[..., 1] < 110) & (img[..., 2] < 110)
    assert red.sum() > 500  # the outline is drawn
    scanned = (np.abs(img[..., 0] - img[..., 2]) > 40) & ~red
    assert scanned.sum() > 500  # over the scan's points

    shell.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\n")  # ruined
    assert cli(["scene", "check", str(scene_dir)]) == 1
    assert "scanned-shell.ply" in capsys.readouterr().err


@pytest.mark.skipif(not (SHARED / "e57-pump-room").is_dir(), reason="real scans not found: ../shared/data is absent")
def test_json_output_stays_clean_on_a_real_e57(tmp_path, monkeypatch, capfd):
    # open3d's Poisson code prints warnings on the process's standard output; --json must still parse
    shutil.copytree(project_home() / "assets", tmp_path / "assets")
    shutil.copytree(project_home() / "scenes", tmp_path / "scenes")
    monkeypatch.setenv("RELIC_TWIN_HOME", str(tmp_path))
    e57 = SHARED / "e57-pump-room" / "pumpAVisualReferenceImage.e57"
    dry = tmp_path / "scenes" / "dry"
    assert cli(["scan", "hall", str(e57), "--scene", str(dry), "--json", "--dry-run"]) == 0
    assert not dry.exists()  # --dry-run writes nothing
    first = json.loads(capfd.readouterr().out)
    assert cli(["scan", "hall", str(e57), "--scene", str(tmp_path / "scenes" / "pump"), "--json"]) == 0
    out = json.loads(capfd.readouterr().out)
    assert out == first and out["floor_found"] is True and len(out["outline"]) >= 4
