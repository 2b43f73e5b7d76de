"""Relic meshes: the committed files, the PLY -> Panda3D conversion, the frame map, the cache."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simulation.paths import assets_dir, scenes_dir
from twin_engine import meshes
from twin_engine.asset_build import crop_lion, normalise, transfer_colours
from twin_engine.asset_standins import STANDINS, lathe, meiping_profile

MESH_DIR = assets_dir() / "meshes"
MAX_BYTES = 1_500_000


def _scene_relics() -> list[dict]:
    doc = tomllib.loads((scenes_dir() / "demo_hall" / "scene.toml").read_text(encoding="utf-8"))
    return [r for r in doc["relics"] if "mesh" in r]


@pytest.mark.parametrize("relic", _scene_relics(), ids=lambda r: r["id"])
def test_committed_mesh_is_small_z_up_and_scaled_to_the_relic(relic: dict) -> None:
    path = assets_dir() / relic["mesh"]
    assert path.stat().st_size < MAX_BYTES
    assert path.read_bytes()[:60].find(b"binary_little_endian") > 0
    m = trimesh.load(path, process=False)
    lo, hi = m.bounds
    assert lo[2] == pytest.approx(0.0, abs=1e-3)
    assert hi[2] - lo[2] == pytest.approx(relic["height"], rel=1e-3)
    assert abs(lo[0] + hi[0]) < 1e-3 and abs(lo[1] + hi[1]) < 1e-3  # centred on the z axis
    assert 5_000 < len(m.faces) <= 25_000
    rgb = np.asarray(m.visual.vertex_colors)[:, :3]
    assert rgb.std() > 3  # real colour variation, not one flat grey


def _cone(tmp_path: Path, name: str = "cone.ply") -> Path:
    """A coloured cone, 2 units tall, lying along +y (so z is not up before normalisation)."""
    c = trimesh.creation.cone(radius=0.5, height=2.0, sections=24)
    c.apply_translation([3.0, -1.0, 5.0])
    c.visual.vertex_colors = np.tile([200, 40, 10, 255], (len(c.vertices), 1))
    path = tmp_path / name
    path.write_bytes(c.export(file_type="ply", encoding="binary"))
    return path


def test_frame_transform_puts_base_at_zero_centred_and_scaled() -> None:
    bounds = np.array([[1.0, -3.0, 5.0], [3.0, 1.0, 7.0]])
    m = meshes.frame_transform(bounds, height_m=0.5)
    out = meshes.apply_transform(m, bounds)
    np.testing.assert_allclose(out[:, 2], [0.0, 0.5])
    np.testing.assert_allclose(out[:, 0], [-0.25, 0.25])
    np.testing.assert_allclose(out[:, 1], [-0.5, 0.5])
    n = meshes.apply_transform(m, np.array([[0.0, 0.0, 3.0]]), vectors=True)
    np.testing.assert_allclose(n, [[0.0, 0.0, 1.0]])


def test_load_relic_model_height_colours_and_cache(engine_base, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RELIC_TWIN_CACHE", str(tmp_path / "cache"))
    path = _cone(tmp_path)
    model = meshes.load_relic_model(path, height_m=0.8)
    lo, hi = model.getTightBounds()
    assert hi[2] - lo[2] == pytest.approx(0.8, rel=1e-4)
    assert lo[2] == pytest.approx(0.0, abs=1e-5)
    assert abs(lo[0] + hi[0]) < 1e-4 and abs(lo[1] + hi[1]) < 1e-4
    from panda3d.core import GeomVertexReader

    geom = model.find("**/+GeomNode").node().getGeom(0)
    reader = GeomVertexReader(geom.getVertexData(), "color")
    c = reader.getData4()
    assert (round(c[0] * 255), round(c[1] * 255), round(c[2] * 255)) == (200, 40, 10)
    cached = list((tmp_path / "cache").glob("cone-*.bam"))
    assert len(cached) == 1
    again = meshes.load_relic_model(path, height_m=1.6)  # from the cache, rescaled
    lo2, hi2 = again.getTightBounds()
    assert hi2[2] - lo2[2] == pytest.approx(1.6, rel=1e-4)
    assert len(list((tmp_path / "cache").glob("cone-*.bam"))) == 1  # same bytes, same key
    c = trimesh.creation.cone(radius=0.3, height=1.0, sections=12)
    path.write_bytes(c.export(file_type="ply", encoding="binary"))  # new bytes, new key
    meshes.load_relic_model(path, height_m=0.8)
    assert len(list((tmp_path / "cache").glob("cone-*.bam"))) == 2


def test_mesh_frame_transform_maps_file_points_onto_the_model(tmp_path: Path) -> None:
    path = _cone(tmp_path)
    m = meshes.mesh_frame_transform(path, 0.8)
    apex_file = trimesh.load(path, process=False).vertices
    top = apex_file[np.argmax(apex_file[:, 2])]
    assert meshes.apply_transform(m, top)[0, 2] == pytest.approx(0.8)


def test_normalise_and_colour_transfer() -> None:
    box = trimesh.creation.box(extents=[2, 4, 10])
    normalise(box, 0.5)
    assert box.bounds[1, 2] == pytest.approx(0.5) and box.bounds[0, 2] == pytest.approx(0.0)
    src = np.array([[0.0, 0, 0], [1, 0, 0]])
    rgba = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], np.uint8)
    out = transfer_colours(np.array([[0.1, 0, 0], [0.9, 0, 0]]), src, rgba, k=1)
    assert out[0, 0] == 255 and out[1, 2] == 255


def test_crop_lion_drops_foliage_and_ground() -> None:
    pts = np.array([[-3.0, 4.0, 0.0], [-3.0, 4.0, 0.0], [-3.0, 4.0, -2.9], [-0.5, 4.0, 0.0]])
    rgb = np.array([[120, 120, 118], [60, 140, 50], [120, 120, 118], [120, 120, 118]], np.uint8)
    assert crop_lion(pts, rgb).tolist() == [True, False, False, False]


def test_lathe_and_meiping_profile() -> None:
    prof = meiping_profile(0.4)
    body = prof[1:-2]
    widest = body[np.argmax(body[:, 0])]
    assert 0.2 < widest[1] / 0.4 < 0.85  # broad shoulder high on the body
    assert body[0, 0] < widest[0] * 0.5  # narrow foot
    v, f, _ = lathe(np.array([[1.0, 0.0], [1.0, 1.0]]), 16)
    assert v.shape == (32, 3) and f.shape == (32, 3)
    np.testing.assert_allclose(np.hypot(v[:, 0], v[:, 1]), 1.0)


@pytest.mark.parametrize("name", sorted(STANDINS))
def test_standins_are_coloured_and_z_up(name: str) -> None:
    m = STANDINS[name](1.0)
    assert m.bounds[1, 2] - m.bounds[0, 2] == pytest.approx(1.0, rel=0.08)
    assert len(np.unique(np.asarray(m.visual.vertex_colors)[:, :3], axis=0)) > 3


def test_voxel_surface_closes_a_sampled_sphere() -> None:
    from twin_engine.asset_build import voxel_surface

    rng = np.random.default_rng(0)
    p = rng.normal(size=(20000, 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    mesh = voxel_surface(p, voxel=0.05)
    assert mesh.is_watertight
    # the surface stays about a voxel proud of the shell: volume of a sphere of radius ~1.05
    assert mesh.volume == pytest.approx(4 / 3 * np.pi * 1.05**3, rel=0.12)
