"""Scene loading: the demo hall, and broken scenes each with its clear error."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomlkit

from simulation.quantities import NAMES
from simulation.scene import SceneError, load_scene, parse_scene, point_in_polygon

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenes" / "demo_hall"


def demo_doc() -> dict:
    return tomllib.loads((DEMO / "scene.toml").read_text(encoding="utf-8"))


def errors_of(doc: dict, tmp_path: Path) -> list[str]:
    file = tmp_path / "scene.toml"
    file.write_text(tomlkit.dumps(doc), encoding="utf-8")
    with pytest.raises(SceneError) as info:
        load_scene(file)
    return info.value.errors


def assert_error_names(tmp_path, breakage, key, expected):
    """Breaking the demo scene with ``breakage`` gives an error naming the file, ``key`` and ``expected``."""
    doc = demo_doc()
    breakage(doc)
    errors = errors_of(doc, tmp_path)
    match = [e for e in errors if f": {key}: expected" in e]
    assert match, errors
    assert expected in match[0]
    assert match[0].startswith(str(tmp_path / "scene.toml"))


def test_demo_hall_loads_with_the_promised_content():
    scene = load_scene(DEMO)
    xmin, ymin, xmax, ymax = scene.bounds
    assert (xmax - xmin, ymax - ymin) == (20.0, 12.0)
    assert len(scene.zones) == 4
    assert len(scene.sensors) >= 10
    covered = {q for s in scene.sensors for q in s.quantities}
    assert covered == set(NAMES), f"uncovered: {set(NAMES) - covered}"
    assert len(scene.relics) >= 5
    assert len({r.profile for r in scene.relics}) >= 5
    assert all(r.name["zh-CN"] and r.name["en"] for r in scene.relics)
    # every sensor and relic sits in the zone it names
    for item in (*scene.sensors, *scene.relics):
        assert scene.zone_of(item.position[:2]) == item.zone, item.id


def test_floor_polygon_is_stored_open_and_counter_clockwise(tmp_path):
    doc = demo_doc()
    doc["hall"]["floor"] = [[0, 0], [0, 12], [20, 12], [20, 0], [0, 0]]  # clockwise
    scene = parse_scene(doc, tmp_path / "scene.toml", assets_dir=ROOT / "assets")
    assert scene.floor.shape == (4, 2)
    x, y = scene.floor[:, 0], scene.floor[:, 1]
    assert 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) == pytest.approx(240.0)


@pytest.mark.parametrize(
    "breakage, key, expected",
    [
        (lambda d: d.pop("zones"), "zones", "at least one entry"),
        (lambda d: d["hall"].pop("wall_height"), "hall.wall_height", "a number"),
        (lambda d: d["hall"].__setitem__("floor", [[0, 0], [20, 0], [20, 12], [0, 12]]), "hall.floor", "closed polygon"),
        (lambda d: d["sensors"][0].__setitem__("position", [25.0, 3.0, 1.5]), "sensors[0].position", "inside the hall"),
        (lambda d: d["sensors"][1].__setitem__("quantities", ["temperature", "radon"]), "sensors[1].quantities[1]", "known quantity"),
        (lambda d: d["relics"][0].__setitem__("mesh", "meshes/nope.ply"), "relics[0].mesh", "not found"),
        (lambda d: d["relics"][2].__setitem__("zone", "attic"), "relics[2].zone", "the id of a zone"),
        (lambda d: d["relics"][0].__setitem__("name", {"en": "only English"}), "relics[0].name", "zh-CN and en"),
        (lambda d: d["sensors"][0].__setitem__("format", "morse"), "sensors[0].format", "one of native"),
    ],
    ids=["missing-key", "missing-number", "open-polygon", "sensor-outside", "unknown-quantity",
         "unknown-mesh", "unknown-zone", "missing-language", "unknown-format"],
)
def test_broken_scene_names_file_key_and_expectation(tmp_path, breakage, key, expected):
    assert_error_names(tmp_path, breakage, key, expected)


def test_all_errors_are_reported_at_once(tmp_path):
    doc = demo_doc()
    doc["sensors"][0]["position"] = [25.0, 3.0, 1.5]
    doc["relics"][0]["mesh"] = "meshes/nope.ply"
    assert len(errors_of(doc, tmp_path)) == 2


def test_not_toml_and_missing_file(tmp_path):
    bad = tmp_path / "scene.toml"
    bad.write_text("[hall\nfloor = ", encoding="utf-8")
    with pytest.raises(SceneError, match="not valid TOML"):
        load_scene(bad)
    with pytest.raises(SceneError, match="file not found"):
        load_scene(tmp_path / "nowhere")


def test_point_in_polygon_edges():
    sq = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    assert point_in_polygon(np.array([0.5, 0.5]), sq)
    assert point_in_polygon(np.array([1.0, 0.5]), sq)  # on an edge
    assert not point_in_polygon(np.array([1.01, 0.5]), sq)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "twin_engine.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_scene_check_summarises_the_demo_hall():
    out = run_cli("scene", "check", "scenes/demo_hall")
    assert out.returncode == 0, out.stderr
    assert "zones 展区 (4)" in out.stdout
    assert re.search(r"Microstrain \[µε\]: 1 S06", out.stdout)
    assert "relics 文物 (7)" in out.stdout


def test_scene_check_on_a_broken_scene_exits_nonzero_with_one_line(tmp_path):
    doc = demo_doc()
    doc["sensors"][0]["position"] = [25.0, 3.0, 1.5]
    (tmp_path / "scene.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")
    out = run_cli("scene", "check", str(tmp_path))
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "sensors[0].position" in lines[0] and "scene.toml" in lines[0]


# --- guided tours ----------------------------------------------------------------------------------


def test_demo_relics_each_have_a_bilingual_tour_of_their_annotations():
    scene = load_scene(DEMO)
    for relic in scene.relics:
        assert relic.tours, relic.id
        ids = {a.id for a in relic.annotations}
        for tour in relic.tours:
            assert tour.title["zh-CN"] and tour.title["en"]
            assert len(tour.steps) >= 3 and set(tour.annotation_ids) <= ids
            for step in tour.steps:
                assert not step.narration or (step.narration["zh-CN"] and step.narration["en"])
    ding = scene.relic("ding").tours[0]
    assert ding.id == "ritual_bronze"
    assert ding.annotation_ids == ("ritual", "piece_mould", "taotie", "patina")
    assert ding.steps[0].narration["en"].startswith("First, what it was for")
    assert scene.relic("gargoyle").tours[0].steps[0].narration == {}  # the plain-id form of a step
    assert scene.relic("ding").annotation_index("taotie") == 1


def _tour(doc: dict, relic: int = 0) -> dict:
    return doc["relics"][relic]["tours"][0]


@pytest.mark.parametrize(
    "breakage, key, expected",
    [
        (lambda d: _tour(d)["steps"].__setitem__(1, {"annotation": "handle"}), "relics[0].tours[0].steps[1].annotation",
         "the id of an annotation of this relic (piece_mould, taotie, patina, ritual), got 'handle'"),
        (lambda d: _tour(d, 5)["steps"].append("claw"), "relics[5].tours[0].steps[3]",
         "the id of an annotation of this relic (spout, gothic, decay), got 'claw'"),
        (lambda d: _tour(d)["steps"].clear(), "relics[0].tours[0].steps", "a non-empty list of annotation ids"),
        (lambda d: _tour(d).pop("steps"), "relics[0].tours[0].steps", "a non-empty list of annotation ids"),
        (lambda d: d["relics"][0]["tours"].append(dict(_tour(d))), "relics[0].tours[1].id",
         "a tour id unique within the relic (duplicate 'ritual_bronze')"),
        (lambda d: _tour(d).__setitem__("title", {"zh-CN": "只有中文"}), "relics[0].tours[0].title", "zh-CN and en"),
        (lambda d: _tour(d)["steps"][0]["narration"].pop("en"), "relics[0].tours[0].steps[0].narration",
         "zh-CN and en"),
        (lambda d: d["relics"][0]["annotations"][1].__setitem__("id", "piece_mould"), "relics[0].annotations[1].id",
         "unique within the relic"),
    ],
    ids=["unknown-annotation", "unknown-plain-step", "empty-tour", "no-steps", "duplicate-tour-id",
         "tour-title-one-language", "narration-one-language", "duplicate-annotation-id"],
)
def test_broken_tour_names_file_key_and_expectation(tmp_path, breakage, key, expected):
    assert_error_names(tmp_path, breakage, key, expected)


def test_a_relic_without_tours_loads_with_none(tmp_path):
    doc = demo_doc()
    del doc["relics"][0]["tours"]
    scene = parse_scene(doc, tmp_path / "scene.toml", assets_dir=ROOT / "assets")
    assert scene.relic("ding").tours == ()


# --- [hall_scan] ------------------------------------------------------------------

SCAN_ROOM = ROOT / "scenes" / "scan_room"


def scan_doc() -> dict:
    return tomllib.loads((SCAN_ROOM / "scene.toml").read_text(encoding="utf-8"))


def test_demo_hall_has_no_scan_and_scan_room_places_its_scan_on_the_floor_plan():
    assert load_scene(DEMO).hall_scan is None
    scene = load_scene(SCAN_ROOM)
    scan = scene.hall_scan
    assert scan is not None and scan.kind == "points" and scan.walls == "low"
    assert (ROOT / "assets" / scan.mesh).stat().st_size < 1_500_000  # shipped, decimated
    m = scan.matrix()
    # the file's scanned floor (z = -1.86 m) lands at z = 0; the rotation is about z only
    assert (m @ [1.0, -3.0, -1.86, 1.0])[2] == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(m[:3, :3] @ m[:3, :3].T, np.eye(3))
    # the room's scanned extent (turned square) falls inside the floor polygon
    lo, hi = [-0.52, -4.44, -1.9], [3.47, -1.40, 1.84]
    for corner in ([lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]):
        c, s = np.cos(np.radians(-scan.rotation_deg)), np.sin(np.radians(-scan.rotation_deg))
        file_xy = np.array([[c, -s], [s, c]]) @ np.asarray(corner)  # undo the rotation: a file point
        assert point_in_polygon((m @ [*file_xy, 0.0, 1.0])[:2], scene.floor), corner


def test_hall_scan_defaults_and_up_axis(tmp_path):
    doc = demo_doc()
    doc["hall_scan"] = {"mesh": "meshes/pump_room_scan.ply", "up": "y", "scale": 2.0, "rotation": 90,
                        "translation": [1.0, 2.0, 3.0]}
    scan = parse_scene(doc, tmp_path / "scene.toml", assets_dir=ROOT / "assets").hall_scan
    assert scan is not None
    assert (scan.kind, scan.opacity, scan.walls, scan.clip) == ("points", 1.0, "low", (-np.inf, np.inf))
    # file y (up) -> hall z; file x -> hall y after 90 degrees about z; scaled by 2, then moved
    assert np.allclose(scan.matrix() @ [0.0, 1.0, 0.0, 1.0], [1.0, 2.0, 5.0, 1.0])
    assert np.allclose(scan.matrix() @ [1.0, 0.0, 0.0, 1.0], [1.0, 4.0, 3.0, 1.0])


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("mesh", "meshes/nope.ply", "a scan file (.ply) under"),
        ("kind", "voxels", "one of 'points', 'mesh'"),
        ("up", "north", "one of 'z'"),
        ("walls", "glass", "one of 'low', 'outline', 'full'"),
        ("translation", [1.0, 2.0], "a list of 3 numbers"),
        ("rotation", "ninety", "a number"),
        ("scale", 0.0, "a number in [0.0001"),
        ("opacity", 1.5, "a number in [0.05, 1.0]"),
        ("point_size", 5, "a number in [0.001, 0.2]"),
        ("clip", [2.0, 0.5], "low < high"),
        ("colour", "red", "one of the keys"),
    ],
)
def test_broken_hall_scan_names_file_key_and_expectation(tmp_path, key, value, expected):
    doc = scan_doc()
    doc["hall_scan"][key] = value
    errors = errors_of(doc, tmp_path)
    match = [e for e in errors if f": hall_scan.{key}: expected" in e]
    assert match, errors
    assert expected in match[0], match[0]
    assert match[0].startswith(str(tmp_path / "scene.toml"))


def test_hall_scan_must_be_a_table(tmp_path):
    doc = scan_doc()
    doc["hall_scan"] = "meshes/pump_room_scan.ply"
    assert any(": hall_scan: expected a table" in e for e in errors_of(doc, tmp_path))
