"""The web exhibit without a browser: the GLB decodes to the mesh it was made from, the size budget walks
the levels of detail, hotspots and Voyager anchors agree, pages carry both languages, the CLI fails clearly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import meshopt
import numpy as np
import pytest
from markupsafe import escape

from bridge.exhibit.glb import encode_glb, fit_budget, read_glb, srgb_to_linear, to_y_up
from bridge.exhibit.views import orbit
from bridge.meshes import LOD_FAR_FACES, frame_transform, read_mesh
from simulation.paths import assets_dir, scenes_dir
from simulation.scene import load_scene
from twin_engine.cli import main as cli

DING = assets_dir() / "meshes" / "bronze_ding.ply"
ROOT = Path(__file__).resolve().parents[1]


def decode(glb: bytes) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """The document, positions (n, 3) in metres y up, normals (n, 3) and triangles (m, 3) of a GLB we wrote."""
    doc, binary = read_glb(glb)

    def view(i: int, size: int, mode: str) -> np.ndarray:
        ext = doc["bufferViews"][i]["extensions"]["EXT_meshopt_compression"]
        data = binary[ext["byteOffset"]:ext["byteOffset"] + ext["byteLength"]]
        return meshopt.decode_gltf_buffer(data, ext["count"], size, mode)

    node = doc["nodes"][0]
    q = view(0, 8, "ATTRIBUTES").view(np.uint16)[:, :3].astype(float)
    pos = q * node["scale"][0] + np.asarray(node["translation"])
    nrm = view(1, 4, "ATTRIBUTES").view(np.int8)[:, :3] / 127.0
    tris = view(3, 4, "TRIANGLES").reshape(-1, 3)
    return doc, pos, nrm, tris


def test_glb_holds_the_mesh_in_the_model_frame_y_up():
    arrays = read_mesh(DING)
    frame = frame_transform(arrays.bounds, 0.45)
    doc, pos, nrm, tris = decode(encode_glb(arrays, frame, "ding"))
    assert doc["extensionsRequired"] == ["EXT_meshopt_compression", "KHR_mesh_quantization"]
    assert len(tris) == len(arrays.faces) and len(pos) == len(arrays.vertices)
    # the same set of triangles, vertices reordered: compare sorted triangle centroids
    expected = to_y_up(arrays.vertices[arrays.faces].mean(axis=1) @ frame[:3, :3].T + frame[:3, 3])
    got = pos[tris].mean(axis=1)
    step = doc["nodes"][0]["scale"][0]
    from scipy.spatial import cKDTree

    assert cKDTree(got).query(expected)[0].max() < 2 * step
    assert cKDTree(expected).query(got)[0].max() < 2 * step
    assert pos[:, 1].min() == pytest.approx(0.0, abs=2 * step)  # base on the floor, y up
    assert pos[:, 1].max() == pytest.approx(0.45, abs=2 * step)  # the relic's real height
    assert np.abs(np.linalg.norm(nrm, axis=1) - 1).max() < 0.02


def test_srgb_to_linear_matches_the_standard_at_its_anchors():
    assert srgb_to_linear(np.array([0.0, 0.04045, 0.5, 1.0])) == pytest.approx([0.0, 0.04045 / 12.92, 0.21404, 1.0],
                                                                               abs=1e-5)


def test_size_budget_walks_down_the_levels_of_detail():
    arrays = read_mesh(DING)
    frame = frame_transform(arrays.bounds, 0.45)
    full = fit_budget(arrays, frame, "ding")
    assert full.faces == len(arrays.faces)
    small = fit_budget(arrays, frame, "ding", budget_bytes=len(full.data) // 3)
    assert LOD_FAR_FACES * 0.9 <= small.faces < len(arrays.faces) / 2
    assert len(small.data) <= len(full.data) // 3
    with pytest.raises(ValueError, match="budget"):
        fit_budget(arrays, frame, "ding", budget_bytes=5_000)


@pytest.mark.parametrize(("eye", "expected"), [
    ((0, 0, 2), (0.0, 90.0, 2.0)),     # in front (+z), level
    ((2, 0, 0), (90.0, 90.0, 2.0)),    # to the right
    ((0, 2, 0), (0.0, 0.0, 2.0)),      # straight above
    ((0, 1, -1), (180.0, 45.0, 2 ** 0.5)),
])
def test_orbit_is_model_viewers_spherical_frame(eye, expected):
    theta, phi, r = (float(re.sub("deg|m", "", v)) for v in orbit(np.array(eye, float), np.zeros(3)).split())
    assert (theta, phi, r) == pytest.approx(expected, abs=0.05)


def test_published_exhibit_files_sizes_and_texts(exhibit_dir: Path):
    scene = load_scene(scenes_dir() / "demo_hall")
    manifest = json.loads((exhibit_dir / "exhibit.json").read_text(encoding="utf-8"))
    assert [r["relic"] for r in manifest["relics"]] == [r.id for r in scene.relics]
    for relic, rec in zip(scene.relics, manifest["relics"], strict=True):
        page = (exhibit_dir / rec["page"]).read_text(encoding="utf-8")
        assert rec["page_bytes"] < 3_000_000, rec
        assert rec["faces"] == rec["source_faces"]  # the demo relics fit the budget at full detail
        for note in relic.annotations:  # every craft text, in both languages, once in the note
            for lang in ("zh-CN", "en"):
                assert page.count(str(escape(note.text[lang]))) == 1
        assert page.count('class="hotspot"') == len(relic.annotations)
        assert ("示意模型（非实物扫描）" in page) == relic.stand_in
        for tour in relic.tours:
            assert page.count(f'data-tour="{tour.id}"') == 1
        assert "http://" not in page and "https://" not in page  # nothing from another site
        folder = exhibit_dir / scene.id / relic.id
        for suffix in (".glb", ".glb.js", ".svx.json", ".png"):
            assert (folder / f"{relic.id}{suffix}").is_file()
    licences = (exhibit_dir / "licences.html").read_text(encoding="utf-8")
    assert "@google/model-viewer" in licences and "Apache-2.0" in licences
    assert (exhibit_dir / "vendor" / "LICENSES" / "three.txt").is_file()


def test_voyager_anchors_are_the_hotspots(exhibit_dir: Path):
    page = (exhibit_dir / "demo_hall" / "lion.html").read_text(encoding="utf-8")
    voyager = json.loads((exhibit_dir / "demo_hall" / "lion" / "lion.svx.json").read_text(encoding="utf-8"))
    notes = voyager["models"][0]["annotations"]
    assert voyager["models"][0]["derivatives"][0]["assets"][0]["uri"] == "lion.glb"
    for note in notes:
        m = re.search(rf'data-note="{note["id"]}"[^>]*?data-position="([^"]+)"', page)
        assert m, note["id"]
        hotspot = [float(v.rstrip("m")) for v in m.group(1).split()]
        assert hotspot == pytest.approx(note["position"], abs=1e-3)
        assert note["titles"]["ZH"] and note["leads"]["EN"]


def test_readme_publish_command(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out" / "exhibit"
    assert cli(["publish", "--scene", "scenes/demo_hall", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "published 7 relics" in printed and "已发布" in printed and "index.html" in printed
    assert (out / "index.html").is_file()


def test_cli_refuses_a_folder_it_did_not_make_and_bad_scenes(tmp_path: Path, capsys):
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("keep me")
    assert cli(["publish", "--out", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "非空" in err and "Traceback" not in err
    assert (foreign / "thesis.txt").read_text() == "keep me"

    bad = tmp_path / "bad_hall"
    bad.mkdir()
    (bad / "scene.toml").write_text("[hall]\nid = 1\n")
    assert cli(["publish", "--scene", str(bad), "--out", str(tmp_path / "x")]) == 1
    assert "scene.toml" in capsys.readouterr().err


def test_cli_site_publishes_its_halls_not_its_storerooms(tmp_path: Path, capsys):
    import shutil

    site = tmp_path / "museum"
    for name in ("east", "west"):
        shutil.copytree(scenes_dir() / "demo_hall", site / name, ignore=shutil.ignore_patterns("scenarios"))
        text = (site / name / "scene.toml").read_text(encoding="utf-8")
        text = text.replace("demo_hall", name).replace("S0", f"{name[0].upper()}0").replace("S1", f"{name[0].upper()}1")
        (site / name / "scene.toml").write_text(text, encoding="utf-8")  # own hall id, sensors and topics
    (site / "site.toml").write_text('[site]\nid = "county"\nname = {zh-CN = "县博物馆", en = "County museum"}\n'
                                    '[[halls]]\nscene = "west"\n[[halls]]\nscene = "east"\nkind = "storeroom"\n',
                                    encoding="utf-8")
    out = tmp_path / "out"
    assert cli(["publish", "--site", str(site), "--out", str(out)]) == 0
    assert "published 7 relics" in capsys.readouterr().out  # the storeroom (库房) is not public
    gallery = (out / "index.html").read_text(encoding="utf-8")
    assert "County museum" in gallery and 'href="west/ding.html"' in gallery and "east/" not in gallery


def test_every_exhibit_word_is_in_both_languages_and_used():
    from bridge.exhibit.publish import HERE
    from bridge.exhibit.texts import EXHIBIT_TEXTS

    sources = "".join(p.read_text(encoding="utf-8") for p in [*(HERE / "templates").glob("*.html"), *HERE.glob("*.py")])
    for key, text in EXHIBIT_TEXTS.items():
        assert text.get("zh-CN") and text.get("en"), key
        assert f"texts.{key}" in sources or f'"{key}"' in sources.replace(f'    "{key}": {{', ""), key


def test_a_damaged_mesh_is_a_clear_error(tmp_path: Path, capsys):
    import shutil

    assets = tmp_path / "assets"
    shutil.copytree(assets_dir() / "meshes", assets / "meshes")
    (assets / "meshes" / "bronze_ding.ply").write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 9\n")
    from bridge.errors import ConfigError
    from bridge.exhibit import publish

    scene = load_scene(scenes_dir() / "demo_hall", assets_dir=assets)
    with pytest.raises(ConfigError, match="bronze_ding.ply.*无法读取模型"):
        publish([scene], tmp_path / "out", assets_dir=assets)


def test_studio_environment_is_small_brighter_above_and_lit_from_the_front_right():
    """The baked lighting (bridge/exhibit/lighting.py): a 64 x 32 equirectangular grey map whose
    ceiling is brighter than its floor, with its key light where :data:`STUDIO` puts it."""
    import base64

    from bridge.exhibit.lighting import STUDIO, environment_data_uri, studio_environment

    env = studio_environment().astype(int)
    assert env.shape == (32, 64, 3) and (env[..., 0] == env[..., 2]).all()
    assert env[0].mean() > env[-1].mean() + 60  # ceiling over floor
    key = STUDIO[0]
    row = int((0.5 - key.elevation / np.pi) * 32)
    col = int((key.azimuth / (2 * np.pi) + 0.5) * 64)
    assert env[row, col, 0] == env[..., 0].max() == 255
    mirror = int((-key.azimuth / (2 * np.pi) + 0.5) * 64)
    assert env[row, mirror, 0] < 245  # the front left, in the key's shade
    uri = environment_data_uri()
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(uri) < 4000
