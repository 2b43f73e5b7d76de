"""Reading scans: every format, triangle strips, extra PLY elements, and a clear zh/en error for what cannot be read.

Synthetic files are written here with known contents; the real scans in ``../shared/data``
(E57, LAZ) are read when present and skipped with a reason when not.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.errors import ScanError
from bridge.scan.ply import strips_to_triangles, write_ply
from bridge.scan.read import read_scan

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _grid(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """An n x n vertex grid in z = 0 and its 2 (n-1)^2 triangles, counter-clockwise seen from +z."""
    ij = np.array([(i, j) for j in range(n) for i in range(n)], float)
    pts = np.column_stack([ij, np.zeros(len(ij))])
    tris = []
    for j in range(n - 1):
        for i in range(n - 1):
            a, b, c, d = j * n + i, j * n + i + 1, (j + 1) * n + i, (j + 1) * n + i + 1
            tris += [(a, b, d), (a, d, c)]
    return pts, np.array(tris)


def _strips(n: int = 4) -> list[list[int]]:
    """The same grid as one triangle strip per row."""
    rows = []
    for j in range(n - 1):
        s = []
        for i in range(n):
            s += [(j + 1) * n + i, j * n + i]
        rows.append(s)
    return rows


def _normals(pts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    t = pts[faces]
    return np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])


def test_strips_become_triangles_with_one_winding_and_restarts():
    tris = strips_to_triangles([np.array([0, 1, 2, 3, 4, -1, 5, 6, 7])])
    assert tris.tolist() == [[0, 1, 2], [1, 3, 2], [2, 3, 4], [5, 6, 7]]  # odd ones flipped: (1, 3, 2) ~ (2, 1, 3)
    # degenerate joins (a repeated index) are dropped
    assert strips_to_triangles([np.array([0, 1, 2, 2, 3, 4, 5])]).tolist() == [[0, 1, 2], [2, 4, 3], [3, 4, 5]]


@pytest.mark.parametrize("encoding", ["ascii", "binary_little_endian", "binary_big_endian"])
def test_triangle_strip_ply_with_a_camera_element_reads_as_the_grid(tmp_path, encoding):
    pts, faces = _grid(4)
    strips = _strips(4)
    seq = [v for s in strips for v in [*s, -1]][:-1]
    head = ["ply", f"format {encoding} 1.0", "comment strips, and a camera record between the elements",
            f"element vertex {len(pts)}", "property float x", "property float y", "property float z",
            "property uchar red", "property uchar green", "property uchar blue",
            "element camera 1", "property float view_px", "property float view_py", "property int width",
            "element tristrips 1", "property list int int vertex_indices", "end_header"]
    rgb = (np.arange(len(pts))[:, None] * [10, 5, 1] % 256).astype(np.uint8)
    if encoding == "ascii":
        body = "".join(f"{x} {y} {z} {r} {g} {b}\n" for (x, y, z), (r, g, b) in zip(pts, rgb, strict=True))
        body += "0.5 0.25 640\n" + f"{len(seq)} " + " ".join(map(str, seq)) + "\n"
        data = ("\n".join(head) + "\n" + body).encode()
    else:
        o = "<" if encoding.endswith("little_endian") else ">"
        body = b"".join(struct.pack(o + "fffBBB", *p, *c) for p, c in zip(pts, rgb.tolist(), strict=True))
        body += struct.pack(o + "ffi", 0.5, 0.25, 640) + struct.pack(o + "i", len(seq)) + struct.pack(o + f"{len(seq)}i", *seq)
        data = ("\n".join(head) + "\n").encode() + body
    f = tmp_path / "strips.ply"
    f.write_bytes(data)
    scan = read_scan(f)
    assert scan.is_mesh and len(scan.faces) == len(faces) == 18
    assert {frozenset(t) for t in scan.faces.tolist()} == {frozenset(t) for t in faces.tolist()}
    assert np.all(_normals(scan.points, scan.faces)[:, 2] > 0)  # one winding: all face +z like the grid
    assert np.array_equal(scan.colours, rgb)
    assert any("camera" in n for n in scan.notes) and any("strip" in n for n in scan.notes)


def test_ascii_polygons_are_fanned(tmp_path):
    f = tmp_path / "quad.ply"
    f.write_text("ply\nformat ascii 1.0\nelement vertex 5\nproperty double x\nproperty double y\nproperty double z\n"
                 "element face 2\nproperty list uchar int vertex_indices\nend_header\n"
                 "0 0 0\n1 0 0\n1 1 0\n0 1 0\n0.5 2 0\n4 0 1 2 3\n3 3 2 4\n")
    scan = read_scan(f)
    assert scan.faces.tolist() == [[0, 1, 2], [0, 2, 3], [3, 2, 4]]
    assert scan.colours is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(3, 60), m=st.integers(1, 80), seed=st.integers(0, 2**31 - 1))
def test_binary_ply_round_trips(tmp_path, n, m, seed):
    rng = np.random.default_rng(seed)
    pts = rng.normal(0, 100, (n, 3)).astype(np.float32).astype(float)
    cols = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    faces = rng.integers(0, n, (m, 3))
    f = tmp_path / f"rt{seed}.ply"
    write_ply(f, pts, cols, faces)
    scan = read_scan(f)
    assert np.array_equal(scan.points, pts) and np.array_equal(scan.colours, cols)
    assert np.array_equal(scan.faces, faces)


def _textured_box():
    import trimesh
    from PIL import Image

    box = trimesh.creation.box((1.0, 2.0, 3.0))
    uv = np.column_stack([(box.vertices[:, 0] > 0) * 0.9 + 0.05, np.full(len(box.vertices), 0.5)])
    img = Image.fromarray(np.array([[[200, 30, 30], [30, 30, 200]]], np.uint8))  # left red, right blue
    box.visual = trimesh.visual.TextureVisuals(uv=uv, image=img)
    return box


@pytest.mark.parametrize("suffix", ["obj", "stl", "off", "glb"])
def test_mesh_formats_read_with_faces(tmp_path, suffix):
    import trimesh

    mesh = _textured_box() if suffix == "glb" else trimesh.creation.box((1.0, 2.0, 3.0))
    f = tmp_path / f"box.{suffix}"
    mesh.export(f)
    scan = read_scan(f)
    assert scan.is_mesh and len(scan.faces) == 12
    assert np.allclose(np.ptp(scan.points, axis=0), [1, 2, 3], atol=1e-5)
    if suffix == "glb":  # the texture is kept as vertex colours
        right = scan.points[:, 0] > 0
        assert scan.colours is not None
        assert scan.colours[right, 2].mean() > 150 and scan.colours[~right, 0].mean() > 150


def test_pcd_xyz_pts_las_keep_colours(tmp_path):
    import laspy
    import open3d as o3d

    rng = np.random.default_rng(1)
    pts = rng.random((500, 3)) * [3, 2, 1]
    rgb = rng.integers(0, 256, (500, 3)).astype(np.uint8)
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    pcd.colors = o3d.utility.Vector3dVector(rgb / 255.0)
    o3d.io.write_point_cloud(str(tmp_path / "c.pcd"), pcd, write_ascii=False)
    np.savetxt(tmp_path / "c.xyz", np.column_stack([pts, rgb]), fmt=["%.6f"] * 3 + ["%d"] * 3)
    (tmp_path / "c.pts").write_text(f"{len(pts)}\n" + "".join(
        f"{x:.6f} {y:.6f} {z:.6f} 0.5 {r} {g} {b}\n" for (x, y, z), (r, g, b) in zip(pts, rgb.tolist(), strict=True)))
    las = laspy.create(point_format=3, file_version="1.2")
    las.header.scales = [0.0001] * 3
    las.x, las.y, las.z = pts.T
    las.red, las.green, las.blue = (rgb.astype(np.uint16) * 257).T
    las.write(str(tmp_path / "c.las"))
    for name in ("c.pcd", "c.xyz", "c.pts", "c.las"):
        scan = read_scan(tmp_path / name)
        assert not scan.is_mesh and len(scan.points) == 500, name
        assert np.allclose(scan.points, pts, atol=2e-4), name
        assert np.abs(scan.colours.astype(int) - rgb).max() <= 1, name


@pytest.mark.skipif(not (SHARED / "e57-pump-room").is_dir(), reason="real scans not found: ../shared/data is absent")
def test_real_e57_and_laz_read_with_colours():
    e57 = read_scan(SHARED / "e57-pump-room" / "pumpAVisualReferenceImage.e57")
    ply = read_scan(SHARED / "e57-pump-room" / "pumpA.ply")
    assert len(e57.points) == len(ply.points) == 155_201  # SOURCE.md's count
    assert np.allclose(e57.points.min(axis=0), ply.points.min(axis=0), atol=1e-4)
    assert np.array_equal(e57.colours, ply.colours)
    laz = read_scan(SHARED / "potree-lion-takanawa" / "lion_takanawa.copc.laz")
    lion = read_scan(SHARED / "potree-lion-takanawa" / "lion_takanawa.ply")
    assert len(laz.points) == len(lion.points) == 341_989
    assert np.abs(laz.colours.astype(int) - lion.colours.astype(int)).max() <= 1  # >> 8 there, / 257 here


BAD = {
    "missing.ply": (None, "not found"),
    "empty.ply": (b"", "empty"),
    "notes.txt.abc": (b"hello", "unknown scan format"),
    "garbage.ply": (b"\x00\x01 not a ply file", "not a PLY file"),
    "short.ply": (b"ply\nformat binary_little_endian 1.0\nelement vertex 10\nproperty float x\nproperty float y\n"
                  b"property float z\nend_header\n" + b"\x00" * 40, "ends inside element"),
    "badindex.ply": (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
                     b"element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n",
                     "does not exist"),
    "words.xyz": (b"1 2 3\nfour five six\n", "not a number"),
    "bad.pcd": (b"# .PCD v0.7\nVERSION 0.7\nFIELDS x y\n", "PCD"),
    "bad.las": (b"LASF" + b"\x00" * 50, "LAS"),
    "point.ply": (b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
                  b"end_header\n1 1 1\n1 1 1\n", "same place"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_unreadable_files_get_a_bilingual_reason_naming_the_file(tmp_path, name):
    data, reason = BAD[name]
    f = tmp_path / name
    if data is not None:
        f.write_bytes(data)
    with pytest.raises(ScanError) as err:
        read_scan(f)
    msg = str(err.value)
    assert str(f) in msg and reason in msg and " | " in msg
    assert any("\u4e00" <= ch <= "\u9fff" for ch in msg.split(" | ", 1)[1])  # the Chinese half
