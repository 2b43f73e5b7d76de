"""The scanned hall option: the scan as Panda3D geometry, and in the monitor's frame.

Uses only the shipped, decimated scan (``assets/meshes/pump_room_scan.ply``);
nothing from ``../shared``. Screen positions come from the camera lens
(``MonitorScreen.project``), never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from panda3d.core import GeomPoints, GeomTriangles, NodePath

from simulation.paths import assets_dir, scenes_dir
from simulation.scene import HallScan, Scene, load_scene
from twin_engine import monitor_hud
from twin_engine.hall import LOW_WALL_M, build_scan
from twin_engine.meshes import apply_transform, read_points
from twin_engine.monitor import MonitorScreen

T0 = "2026-11-25T14:00:00Z"


@pytest.fixture(scope="module")
def scene() -> Scene:
    return load_scene(scenes_dir() / "scan_room")


def _prim(np_: NodePath) -> Any:
    return np_.node().getGeom(0).getPrimitive(0)


def test_point_scan_is_one_geompoints_node_clipped_to_its_band(scene):
    scan = scene.hall_scan
    assert scan is not None
    root = NodePath("test")
    node = build_scan(scan, root, assets_dir())
    prim = _prim(node)
    assert isinstance(prim, GeomPoints)
    xyz, _ = read_points(assets_dir() / scan.mesh)
    z = apply_transform(scan.matrix(), xyz.astype(float))[:, 2]
    inside = int(((z >= scan.clip[0]) & (z <= scan.clip[1])).sum())
    assert 20_000 < inside < len(z)  # the scanned floor and ceiling are cut, the room stays
    assert prim.getNumVertices() == inside
    lo, hi = node.getTightBounds()
    assert lo[2] >= scan.clip[0] - 1e-4 and hi[2] <= scan.clip[1] + 1e-4
    x0, y0, x1, y1 = scene.bounds
    assert x0 - 0.05 <= lo[0] and hi[0] <= x1 + 0.05 and y0 - 0.05 <= lo[1] and hi[1] <= y1 + 0.05
    assert node.getRenderModeThickness() == pytest.approx(scan.point_size)
    root.removeNode()


def test_mesh_scan_is_placed_and_clipped(tmp_path: Path):
    import trimesh

    box = trimesh.creation.box(extents=(2.0, 1.0, 3.0))  # z from -1.5 to 1.5, y up after the fix below
    box.vertices = box.vertices[:, [0, 2, 1]] * [1, -1, 1]  # a y-up file: its height along y
    box.faces = box.faces[:, ::-1]
    (tmp_path / "meshes").mkdir()
    box.export(tmp_path / "meshes" / "room.ply")
    scan = HallScan(mesh="meshes/room.ply", kind="mesh", up="y", translation=np.array([5.0, 5.0, 1.5]),
                    clip=(-1.0, 10.0), opacity=0.5)
    node = build_scan(scan, NodePath("test"), tmp_path)
    assert isinstance(_prim(node), GeomTriangles)
    lo, hi = node.getTightBounds()
    assert np.allclose([*lo, *hi], [4.0, 4.5, 0.0, 6.0, 5.5, 3.0], atol=1e-5)
    assert node.hasTransparency() and node.getColorScale()[3] == pytest.approx(0.5)
    clipped = HallScan(mesh="meshes/room.ply", kind="mesh", up="y", clip=(-10.0, 1.0))
    assert _prim(build_scan(clipped, NodePath("test"), tmp_path)).getNumPrimitives() < len(box.faces)


@pytest.fixture
def monitor(engine_base: Any, scene: Scene) -> Iterator[MonitorScreen]:
    screen = MonitorScreen(engine_base, scene, lang="en")
    screen.enter()
    screen.act("view_overview")
    screen.rig.snap()
    yield screen
    screen.exit()


def _pixels(screen: MonitorScreen, image: Any, pts: np.ndarray) -> np.ndarray:
    """(n, 2) integer pixel positions of hall points (-1 where off screen)."""
    w, h = image.getXSize(), image.getYSize()
    out = np.full((len(pts), 2), -1, int)
    for i, p in enumerate(pts):
        film = screen.project(tuple(float(v) for v in p))
        if film is not None:
            out[i] = int((film[0] + 1) / 2 * w), int((1 - film[1]) / 2 * h)
    return out


def _image_rgb(image: Any) -> np.ndarray:
    w, h = image.getXSize(), image.getYSize()
    return np.array([[image.getXel(x, y) for x in range(w)] for y in range(h)], float)


def test_monitor_frame_shows_the_scan_colours_and_the_floor_field(monitor, scene):
    assert monitor.nodes.scan is not None
    walls = monitor.nodes.root.find("**/walls/wall")
    assert not walls.isEmpty() and walls.getTightBounds()[1][2] == pytest.approx(LOW_WALL_M)
    monitor.apply_snapshot({"type": "snapshot", "hall": scene.id, "time": T0, "alerts": [], "readings": [
        {"sensor": "R01", "quantity": "temperature", "time": T0, "value": 25.0, "unit": None, "quality": "ok"},
        {"sensor": "R02", "quantity": "temperature", "time": T0, "value": 15.0, "unit": None, "quality": "ok"}]})
    image = monitor.screenshot()
    rgb = _image_rgb(image)
    scan = scene.hall_scan
    xyz, rgba = read_points(assets_dir() / scan.mesh)
    pts = apply_transform(scan.matrix(), xyz.astype(float))
    keep = (pts[:, 2] >= scan.clip[0]) & (pts[:, 2] <= scan.clip[1])
    step = 3  # every third point is plenty to find where the scan covers the screen
    pts, cols = pts[keep][::step], np.minimum(1.0, rgba[keep][::step, :3] / 255.0 * scan.brightness)
    px = _pixels(monitor, image, pts)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = monitor.free_area()  # the hall's view that the overlay's boxes leave free
    on = (px[:, 0] >= x0) & (px[:, 0] < x1) & (px[:, 1] >= y0) & (px[:, 1] < y1)
    on &= ~np.array([monitor_hud.covered(monitor._layers(), x, y) for x, y in px])

    # the scan: the 16 x 16 px cell most densely covered by scan points is coloured like them
    # (not a cell that a 3-D label's card touches: the label layout places them over the hall)
    cell = 16
    pick = on.copy()
    for box in monitor.label_boxes.values():
        pick &= ~((px[:, 0] // cell >= box.x // cell) & (px[:, 0] // cell <= box.right // cell)
                  & (px[:, 1] // cell >= box.y // cell) & (px[:, 1] // cell <= (box.y + box.h) // cell))
    keys = (px[pick, 1] // cell) * 10_000 + px[pick, 0] // cell
    best = np.bincount(keys - keys.min()).argmax() + keys.min()
    cy, cx = divmod(int(best), 10_000)
    shown = rgb[cy * cell:(cy + 1) * cell, cx * cell:(cx + 1) * cell].reshape(-1, 3).mean(axis=0)
    expected = cols[pick][keys == best].mean(axis=0)
    assert np.abs(shown - expected).max() < 0.12, (shown, expected)
    assert shown[1] > shown[2] + 0.05  # the pump room's green paint, not the grey-blue-red field

    # the floor field: a floor point no scan point covers shows the field's colour there
    grid = monitor.field.grid
    floor_pts = np.array([[x, y, 0.0] for x in grid.xs[1:-1:2] for y in grid.ys[1:-1:2]])  # cell centres
    fpx = _pixels(monitor, image, floor_pts)
    covered = np.zeros((h, w), bool)
    covered[px[on, 1], px[on, 0]] = True
    from scipy.ndimage import binary_dilation

    covered = binary_dilation(covered, iterations=8)
    checked = 0
    for p, (x, y) in zip(floor_pts, fpx, strict=True):
        if not (x0 + 4 <= x < x1 - 4 and y0 + 4 <= y < y1 - 4) or covered[y, x] \
                or monitor_hud.covered(monitor._layers(), x, y):
            continue
        if any(np.hypot(*(p[:2] - s.position[:2])) < 0.4 for s in scene.sensors):
            continue  # drop lines and labels
        if any(b.x - 3 <= x <= b.right + 3 and b.y - 3 <= y <= b.y + b.h + 3 for b in monitor.label_boxes.values()):
            continue  # a label's card placed aside, or its leader line's end
        if np.hypot(p[0] - 2.45, p[1] - 2.75) < 0.7:
            continue  # the relic and its plinth
        seen = rgb[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(axis=0)
        field = monitor.field.rgb[grid.cell_of(p[:2])]
        assert np.abs(seen - field).max() < 0.08, (p, seen, field)
        checked += 1
    assert checked >= 5
