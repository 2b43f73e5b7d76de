"""``relic-twin annotate``: picking the surface and writing the anchor into the scene file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simulation.paths import assets_dir, scenes_dir
from simulation.scene import load_scene
from twin_engine.annotate import AnnotateScreen, add_annotation, to_file_frame


@pytest.fixture()
def scene_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "hall"
    dst.mkdir()
    shutil.copy(scenes_dir() / "demo_hall" / "scene.toml", dst / "scene.toml")
    return dst / "scene.toml"


def _added_lines(before: str, after: str) -> list[str]:
    """Lines of ``after`` not in ``before``, asserting nothing of ``before`` was lost or reordered."""
    a, b = before.splitlines(), after.splitlines()
    it = iter(b)
    for line in a:  # ``before`` is a subsequence of ``after``
        assert any(x == line for x in it), f"line lost or moved: {line!r}"
    return b[len(a):] if b[: len(a)] == a else [x for x in b if x not in set(a)]


def test_add_annotation_keeps_the_file_and_round_trips(scene_copy: Path) -> None:
    before = scene_copy.read_text(encoding="utf-8")
    n0 = len(load_scene(scene_copy, assets_dir=assets_dir()).relic("gargoyle").annotations)
    add_annotation(scene_copy, "gargoyle", "claw", np.array([0.1, -0.2, 0.05]), np.array([0, -2.0, 0]),
                   eye=np.array([0.3, -1.0, 0.3]), title={"zh-CN": "爪", "en": "Claw"},
                   text={"zh-CN": "石匠刻出的爪。", "en": "A carved claw."})
    after = scene_copy.read_text(encoding="utf-8")
    added = _added_lines(before, after)
    assert any('id = "claw"' in x for x in added)
    relic = load_scene(scene_copy, assets_dir=assets_dir()).relic("gargoyle")
    assert len(relic.annotations) == n0 + 1
    note = relic.annotations[-1]
    np.testing.assert_allclose(note.position, [0.1, -0.2, 0.05])
    np.testing.assert_allclose(note.normal, [0, -1, 0])
    np.testing.assert_allclose(note.view_target, note.position)
    assert note.title["zh-CN"] == "爪"
    with pytest.raises(ValueError):
        add_annotation(scene_copy, "gargoyle", "claw", np.zeros(3), np.ones(3))
    with pytest.raises(KeyError):
        add_annotation(scene_copy, "no_such_relic", "x", np.zeros(3), np.ones(3))


def test_click_on_the_relic_writes_a_surface_anchor(engine_base, scene_copy: Path) -> None:
    screen = AnnotateScreen(engine_base, scene_copy, "laurana", note_prefix="test")
    screen.enter()
    try:
        w, h = engine_base.win.getXSize(), engine_base.win.getYSize()
        note_id = screen.click(w / 2, h / 2)
        assert screen.click(5, 5) is None  # the empty corner misses
    finally:
        screen.exit()
    assert note_id == "test1"
    relic = load_scene(scene_copy, assets_dir=assets_dir()).relic("laurana")
    note = next(a for a in relic.annotations if a.id == "test1")
    mesh = trimesh.load(assets_dir() / relic.mesh, process=False)
    d = np.min(np.linalg.norm(mesh.vertices - note.position, axis=1))
    assert d < 0.01  # on the surface (within a triangle's size) in the file's own frame
    assert note.normal[1] < -0.3  # the front faces -y, towards the camera's home view
    assert note.view_eye[1] < note.position[1]  # the saved view looks from the front


def test_to_file_frame_inverts_the_model_frame() -> None:
    from twin_engine.meshes import apply_transform, frame_transform

    m = frame_transform(np.array([[-1.0, -1.0, 2.0], [1.0, 1.0, 6.0]]), 0.5)
    p = np.array([[0.3, -0.2, 4.0]])
    np.testing.assert_allclose(to_file_frame(m, apply_transform(m, p)), p)


def test_voyager_export_import_round_trip(scene_copy: Path, tmp_path: Path) -> None:
    import json

    from bridge.exhibit.voyager import export_voyager, import_voyager
    from twin_engine.annotate import annotate_main

    relic = load_scene(scene_copy, assets_dir=assets_dir()).relic("vase")
    doc = export_voyager(relic, "meiping_vase.glb")
    notes = doc["models"][0]["annotations"]
    assert len(notes) == len(relic.annotations)
    # y up in Voyager: our z (height) becomes y, our front (-y) becomes +z
    np.testing.assert_allclose(notes[0]["position"][1], relic.annotations[0].position[2], atol=1e-6)
    assert notes[0]["titles"]["ZH"] == relic.annotations[0].title["zh-CN"]
    back = import_voyager(json.loads(json.dumps(doc)))
    for a, b in zip(relic.annotations, back, strict=True):
        assert a.id == b["id"] and a.text == b["text"]
        np.testing.assert_allclose(a.position, b["position"], atol=1e-6)
        np.testing.assert_allclose(a.normal, b["normal"], atol=1e-6)
    # an older Voyager document: one English title and lead only
    old = {"models": [{"annotations": [{"id": "rim", "title": "Rim", "lead": "Thin rim.",
                                        "position": [0, 0.39, 0.01], "direction": [0, 0, 1]}]}]}
    path = tmp_path / "old.svx.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    assert annotate_main(["vase", "--scene", str(scene_copy), "--import-voyager", str(path)]) == 0
    rim = load_scene(scene_copy, assets_dir=assets_dir()).relic("vase").annotations[-1]
    assert rim.id == "rim" and rim.title == {"zh-CN": "Rim", "en": "Rim"}
    np.testing.assert_allclose(rim.position, [0, -0.01, 0.39], atol=1e-9)
    np.testing.assert_allclose(rim.normal, [0, -1, 0], atol=1e-9)
