"""The hall as Panda3D geometry, built from the scene document.

:func:`build_hall` makes walls (with door and window openings), display
cases (an opaque base and a glass hood), plinths, vents, sensor markers
and the relics (their scanned meshes when ``twin_engine.meshes`` can load
them, a box of the relic's height otherwise) under one parent node. The
floor itself is the field view's (``field_view.py``).

When the scene names a ``[hall_scan]``, :func:`build_scan` shows that scanned
point cloud (or mesh) in the floor-plan frame instead of the procedural walls,
which shrink to a low kerb (or the floor's outline) unless the scene keeps them.

Walls are single inward-facing quads, so whichever walls stand between the
camera and the hall are culled: a dollhouse cut-away at any orbit angle.
Everything is in the hall frame (metres, z up), as the scene is.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import (
    AmbientLight,
    CollisionBox,
    CollisionNode,
    CollisionSphere,
    DirectionalLight,
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    LineSegs,
    NodePath,
    Point3,
    TransparencyAttrib,
    Triangulator,
    Vec3,
    Vec4,
)

from simulation.scene import HallScan, Opening, Relic, Scene

log = logging.getLogger(__name__)

PICK_MASK = 0x10
"""Collide mask bit of the pickable relic and sensor volumes."""
PICK_TAG = "pick"
"""Tag on a pickable node: ``"relic:<id>"`` or ``"sensor:<id>"``."""

WALL = (0.88, 0.86, 0.82, 1.0)
WALL_TOP = (0.30, 0.30, 0.32, 1.0)
PLINTH = (0.58, 0.55, 0.51, 1.0)
CASE_BASE = (0.36, 0.28, 0.22, 1.0)
GLASS = (0.78, 0.88, 0.95, 0.22)
WINDOW = (0.62, 0.78, 0.92, 0.45)
STAND_IN = (0.62, 0.48, 0.30, 1.0)
SUPPLY = (0.25, 0.55, 0.95, 1.0)
RETURN = (0.95, 0.55, 0.20, 1.0)
DEFAULT_PLINTH_TOP_M = 0.9
"""Base height of a case with no relic to set it (a usual case plinth)."""


@dataclass
class HallNodes:
    """Handles to what :func:`build_hall` made, by scene id."""

    root: NodePath
    scan: NodePath | None = None
    relics: dict[str, NodePath] = field(default_factory=dict)
    cases: dict[str, NodePath] = field(default_factory=dict)
    sensors: dict[str, NodePath] = field(default_factory=dict)
    actuators: dict[str, NodePath] = field(default_factory=dict)
    relic_tops: dict[str, Point3] = field(default_factory=dict)


# --- primitives -----------------------------------------------------------------


def _writer_data(name: str) -> tuple[GeomVertexData, GeomVertexWriter, GeomVertexWriter, GeomVertexWriter]:
    vdata = GeomVertexData(name, GeomVertexFormat.getV3n3c4(), Geom.UHStatic)
    return vdata, GeomVertexWriter(vdata, "vertex"), GeomVertexWriter(vdata, "normal"), GeomVertexWriter(vdata, "color")


def quads_node(name: str, quads: Iterable[tuple[Sequence[Sequence[float]], Sequence[float]]],
               colour: Sequence[float]) -> GeomNode:
    """A GeomNode of quads, each four corners (counter-clockwise seen from the
    front) and a normal, all in one colour (r, g, b, a)."""
    vdata, vw, nw, cw = _writer_data(name)
    tris = GeomTriangles(Geom.UHStatic)
    n = 0
    for corners, normal in quads:
        for c in corners:
            vw.addData3(*c)
            nw.addData3(*normal)
            cw.addData4(*colour)
        tris.addVertices(n, n + 1, n + 2)
        tris.addVertices(n, n + 2, n + 3)
        n += 4
    geom = Geom(vdata)
    geom.addPrimitive(tris)
    node = GeomNode(name)
    node.addGeom(geom)
    return node


def box_quads(lo: Sequence[float], hi: Sequence[float], bottom: bool = False) -> list[tuple[list[tuple[float, float, float]], tuple[float, float, float]]]:
    """The faces of an axis-aligned box from corner ``lo`` to ``hi`` (m), outward."""
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    faces = [
        ([(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)], (0.0, 0.0, 1.0)),
        ([(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)], (0.0, -1.0, 0.0)),
        ([(x1, y1, z0), (x0, y1, z0), (x0, y1, z1), (x1, y1, z1)], (0.0, 1.0, 0.0)),
        ([(x0, y1, z0), (x0, y0, z0), (x0, y0, z1), (x0, y1, z1)], (-1.0, 0.0, 0.0)),
        ([(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)], (1.0, 0.0, 0.0)),
    ]
    if bottom:
        faces.append(([(x0, y1, z0), (x1, y1, z0), (x1, y0, z0), (x0, y0, z0)], (0.0, 0.0, -1.0)))
    return faces


def box(name: str, lo: Sequence[float], hi: Sequence[float], colour: Sequence[float], bottom: bool = False) -> NodePath:
    """An axis-aligned box from ``lo`` to ``hi`` (m) in one colour."""
    return NodePath(quads_node(name, box_quads(lo, hi, bottom), colour))


def polygon_node(name: str, polygon: np.ndarray, z: float, uv_extent: tuple[float, float, float, float] | None = None,
                 colour: Sequence[float] = (1, 1, 1, 1)) -> GeomNode:
    """A flat, upward-facing polygon (n, 2) m at height ``z`` m, triangulated;
    with texture coordinates over ``uv_extent`` = (xmin, ymin, xmax, ymax) when given."""
    fmt = GeomVertexFormat.getV3n3c4t2() if uv_extent else GeomVertexFormat.getV3n3c4()
    vdata = GeomVertexData(name, fmt, Geom.UHStatic)
    vw, nw, cw = GeomVertexWriter(vdata, "vertex"), GeomVertexWriter(vdata, "normal"), GeomVertexWriter(vdata, "color")
    tw = GeomVertexWriter(vdata, "texcoord") if uv_extent else None
    tri = Triangulator()
    for x, y in polygon:
        tri.addPolygonVertex(tri.addVertex(float(x), float(y)))
        vw.addData3(float(x), float(y), z)
        nw.addData3(0, 0, 1)
        cw.addData4(*colour)
        if tw is not None and uv_extent is not None:
            x0, y0, x1, y1 = uv_extent
            tw.addData2((x - x0) / (x1 - x0), (y - y0) / (y1 - y0))
    tri.triangulate()
    prim = GeomTriangles(Geom.UHStatic)
    for i in range(tri.getNumTriangles()):
        prim.addVertices(tri.getTriangleV0(i), tri.getTriangleV1(i), tri.getTriangleV2(i))
    geom = Geom(vdata)
    geom.addPrimitive(prim)
    node = GeomNode(name)
    node.addGeom(geom)
    return node


# --- walls ----------------------------------------------------------------------


def _edge_spans(a: np.ndarray, b: np.ndarray, openings: Sequence[Opening]) -> list[tuple[float, float, Opening]]:
    """Openings lying on edge a-b, as (t0, t1, opening) with t in metres along the edge."""
    d = b - a
    length = float(np.hypot(*d))
    u = d / length
    spans = []
    for o in openings:
        off_a = o.a - a
        off_b = o.b - a
        if abs(u[0] * off_a[1] - u[1] * off_a[0]) > 0.05 or abs(u[0] * off_b[1] - u[1] * off_b[0]) > 0.05:
            continue
        t0, t1 = sorted((float(off_a @ u), float(off_b @ u)))
        if t1 > 0 and t0 < length:
            spans.append((max(t0, 0.0), min(t1, length), o))
    return sorted(spans, key=lambda s: s[0])


def wall_quads(a: np.ndarray, b: np.ndarray, height: float, openings: Sequence[Opening]) -> tuple[list, list]:
    """Inward-facing wall quads along floor edge a-b (counter-clockwise floor),
    with holes for doors and windows; returns (wall quads, window-pane quads)."""
    d = b - a
    length = float(np.hypot(*d))
    u = d / length
    normal = (-u[1], u[0], 0.0)  # interior is to the left of a counter-clockwise edge

    def rect(t0: float, t1: float, z0: float, z1: float) -> tuple[list[tuple[float, float, float]], tuple[float, float, float]]:
        p0, p1 = a + u * t0, a + u * t1
        # counter-clockwise seen from inside: walk the edge backwards
        return ([(p1[0], p1[1], z0), (p0[0], p0[1], z0), (p0[0], p0[1], z1), (p1[0], p1[1], z1)], normal)

    walls, panes = [], []
    t = 0.0
    for t0, t1, o in _edge_spans(a, b, openings):
        if t0 > t:
            walls.append(rect(t, t0, 0.0, height))
        top = min(height, o.sill + o.height)
        if o.sill > 0:
            walls.append(rect(t0, t1, 0.0, o.sill))
        if top < height:
            walls.append(rect(t0, t1, top, height))
        if o.kind == "window":
            panes.append(rect(t0, t1, o.sill, top))
        t = max(t, t1)
    if t < length:
        walls.append(rect(t, length, 0.0, height))
    return walls, panes


LOW_WALL_M = 0.3
"""Height of the kerb left of the walls around a scanned hall (``walls = "low"``)."""


def build_walls(scene: Scene, parent: NodePath, mode: str = "full") -> NodePath:
    """Walls, window panes and a dark skirting line along the floor's edge under ``parent``.

    mode : ``full`` walls of the scene's height, a ``low`` kerb with the door gaps,
    or the skirting ``outline`` only.
    """
    root = parent.attachNewNode("walls")
    openings = list(scene.doors) + list(scene.windows)
    height = scene.wall_height
    if mode == "low":
        openings, height = list(scene.doors), LOW_WALL_M
    walls, panes = [], []
    skirting = LineSegs("skirting")
    skirting.setColor(*WALL_TOP)
    skirting.setThickness(2.0)
    floor = scene.floor
    for i in range(len(floor)):
        a, b = floor[i], floor[(i + 1) % len(floor)]
        if mode != "outline":
            w, p = wall_quads(a, b, height, openings)
            walls += w
            panes += p
        skirting.moveTo(float(a[0]), float(a[1]), 0.01)
        skirting.drawTo(float(b[0]), float(b[1]), 0.01)
    if walls:
        root.attachNewNode(quads_node("wall", walls, WALL))
    root.attachNewNode(skirting.create()).setLightOff(1)
    if panes:
        glass = root.attachNewNode(quads_node("window", panes, WINDOW))
        glass.setTransparency(TransparencyAttrib.MAlpha)
        glass.setDepthWrite(False)
        glass.setBin("transparent", 10)
    return root


# --- scanned hall ---------------------------------------------------------------


def build_scan(scan: HallScan, parent: NodePath, assets: Path) -> NodePath:
    """The hall scan in the floor-plan frame under ``parent``: a ``GeomPoints`` node with
    per-point colour and perspective points ``point_size`` m across (lighting off), or a
    lit triangle mesh.

    The file's points are moved by :meth:`HallScan.matrix` here, once, so the node's
    own transform stays identity; those outside the ``clip`` band (hall-frame z) are
    dropped. ``brightness`` scales the colours (TLS scans are often dark), ``opacity``
    below 1 blends the scan over the field. Raises OSError / ValueError when the file
    cannot be read.
    """
    from twin_engine.meshes import apply_transform, make_geom_node, make_points_node, read_mesh, read_points

    path = assets / scan.mesh
    m = scan.matrix()
    lo, hi = scan.clip
    if scan.kind == "points":
        xyz, rgba = read_points(path)
        pts = apply_transform(m, xyz.astype(float))
        keep = (pts[:, 2] >= lo) & (pts[:, 2] <= hi)
        np_ = parent.attachNewNode(make_points_node("hall-scan", pts[keep].astype(np.float32), rgba[keep]))
        np_.setRenderModeThickness(scan.point_size)
        np_.setRenderModePerspective(True)  # metres, not pixels: the same look at any window size or zoom
        np_.setLightOff(1)
    else:
        from twin_engine.meshes import MeshArrays

        arrays = read_mesh(path)
        verts = apply_transform(m, arrays.vertices.astype(float))
        normals = apply_transform(m, arrays.normals.astype(float), vectors=True)
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        inside = (verts[:, 2] >= lo) & (verts[:, 2] <= hi)
        faces = arrays.faces[inside[arrays.faces].all(axis=1)]
        np_ = parent.attachNewNode(make_geom_node("hall-scan", MeshArrays(
            verts.astype(np.float32), normals.astype(np.float32), arrays.colours, faces)))
        np_.setTwoSided(True)
    np_.setColorScale(scan.brightness, scan.brightness, scan.brightness, scan.opacity)
    if scan.opacity < 1.0:
        np_.setTransparency(TransparencyAttrib.MAlpha)
        np_.setDepthWrite(False)
        np_.setBin("transparent", 5)
    return np_


# --- furniture, relics, sensors -------------------------------------------------


def build_cases(scene: Scene, parent: NodePath, nodes: HallNodes) -> None:
    """Each case as an opaque base up to its relics' standing height and a glass hood."""
    for case in scene.cases:
        cx, cy, cz = case.position
        sx, sy, sz = case.size
        inside = [r for r in scene.relics if r.case == case.id]
        base_top = min((float(r.position[2]) for r in inside), default=DEFAULT_PLINTH_TOP_M)
        base_top = float(np.clip(base_top, 0.05, sz - 0.1))
        root = parent.attachNewNode(f"case-{case.id}")
        lo = (cx - sx / 2, cy - sy / 2, cz)
        root.attachNewNode(box(f"case-{case.id}-base", lo, (cx + sx / 2, cy + sy / 2, cz + base_top), CASE_BASE).node())
        hood = box(f"case-{case.id}-glass", (lo[0], lo[1], cz + base_top), (cx + sx / 2, cy + sy / 2, cz + sz), GLASS)
        hood.reparentTo(root)
        hood.setTransparency(TransparencyAttrib.MAlpha)
        hood.setDepthWrite(False)
        hood.setTwoSided(True)
        hood.setBin("transparent", 20)
        edges = LineSegs(f"case-{case.id}-edges")
        edges.setColor(0.85, 0.9, 0.95, 0.9)
        edges.setThickness(1.5)
        x0, y0, x1, y1, z0, z1 = lo[0], lo[1], cx + sx / 2, cy + sy / 2, cz + base_top, cz + sz
        for z in (z0, z1):
            edges.moveTo(x0, y0, z)
            for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0)):
                edges.drawTo(x, y, z)
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
            edges.moveTo(x, y, z0)
            edges.drawTo(x, y, z1)
        root.attachNewNode(edges.create()).setLightOff(1)
        nodes.cases[case.id] = root


def relic_model(relic: Relic, assets: Path, loader: Any | None, load_meshes: bool) -> NodePath:
    """The relic's scanned mesh scaled to its height (with a low-poly level of
    detail for distant views), or a stand-in box when it cannot be loaded."""
    if load_meshes and relic.mesh:
        try:
            from twin_engine.relic_lod import relic_lod
        except ImportError:
            relic_lod = None
        if relic_lod is not None:
            try:
                return relic_lod(assets / relic.mesh, relic.height_m, loader=loader)
            except (OSError, ValueError, RuntimeError):
                pass
    w = max(0.15, 0.45 * relic.height_m)
    return box(f"stand-in-{relic.id}", (-w / 2, -w / 2, 0.0), (w / 2, w / 2, relic.height_m), STAND_IN)


def build_relics(scene: Scene, parent: NodePath, nodes: HallNodes, assets: Path, loader: Any | None,
                 load_meshes: bool) -> None:
    """Relics on their plinths (free-standing ones get a plinth box) with pick volumes."""
    for relic in scene.relics:
        x, y, z = (float(v) for v in relic.position)
        holder = parent.attachNewNode(f"relic-{relic.id}")
        holder.setPos(x, y, z)
        model = relic_model(relic, assets, loader, load_meshes)
        model.reparentTo(holder)
        model.setH(relic.heading_deg)
        lo, hi = model.getTightBounds(holder) or (Point3(-0.1, -0.1, 0), Point3(0.1, 0.1, relic.height_m))
        if relic.case is None and z > 0.01:
            half = max(0.3, 0.6 * max(hi[0] - lo[0], hi[1] - lo[1]))
            parent.attachNewNode(box(f"plinth-{relic.id}", (x - half, y - half, 0.0), (x + half, y + half, z), PLINTH).node())
        cnode = CollisionNode(f"pick-{relic.id}")
        cnode.addSolid(CollisionBox(Point3(lo), Point3(hi)))
        cnode.setIntoCollideMask(PICK_MASK)
        cnode.setFromCollideMask(0)
        pick = holder.attachNewNode(cnode)
        pick.setTag(PICK_TAG, f"relic:{relic.id}")
        holder.setTag(PICK_TAG, f"relic:{relic.id}")
        nodes.relics[relic.id] = holder
        nodes.relic_tops[relic.id] = Point3(x, y, z + float(hi[2]))


def build_sensors(scene: Scene, parent: NodePath, nodes: HallNodes, radius: float = 0.13) -> None:
    """A small diamond marker at each sensor, a drop line to the floor and a pick sphere."""
    for s in scene.sensors:
        x, y, z = (float(v) for v in s.position)
        holder = parent.attachNewNode(f"sensor-{s.id}")
        holder.setPos(x, y, z)
        marker = box(f"marker-{s.id}", (-radius, -radius, -radius), (radius, radius, radius), (1, 1, 1, 1), bottom=True)
        marker.reparentTo(holder)
        marker.setHpr(45, 35.26, 0)
        marker.setName("marker")
        line = LineSegs()
        line.setColor(0.15, 0.15, 0.15, 1)
        line.moveTo(0, 0, -radius)
        line.drawTo(0, 0, -z + 0.02)
        holder.attachNewNode(line.create()).setLightOff(1)
        cnode = CollisionNode(f"pick-{s.id}")
        cnode.addSolid(CollisionSphere(0, 0, 0, radius * 2.5))
        cnode.setIntoCollideMask(PICK_MASK)
        cnode.setFromCollideMask(0)
        holder.attachNewNode(cnode).setTag(PICK_TAG, f"sensor:{s.id}")
        holder.setTag(PICK_TAG, f"sensor:{s.id}")
        nodes.sensors[s.id] = holder


ACTUATOR_SIZE_M: dict[str, tuple[float, float, float]] = {  # footprint x, y and height of the drawn machine
    "dehumidifier": (0.45, 0.35, 0.65), "humidifier": (0.35, 0.35, 0.45), "heater": (0.7, 0.2, 0.5),
    "air_conditioner": (0.9, 0.25, 0.3), "light": (0.3, 0.3, 0.15), "blind": (1.0, 0.08, 0.6),
}


def build_actuators(scene: Scene, parent: NodePath, nodes: HallNodes) -> None:
    """A box per machine at its position, coloured by its state in the monitor."""
    for a in scene.actuators:
        sx, sy, sz = ACTUATOR_SIZE_M.get(a.kind, (0.4, 0.4, 0.4))
        holder = parent.attachNewNode(f"actuator-{a.id}")
        holder.setPos(float(a.position[0]), float(a.position[1]), float(a.position[2]))
        body = box(f"body-{a.id}", (-sx / 2, -sy / 2, 0.0), (sx / 2, sy / 2, sz), (0.5, 0.5, 0.5, 1.0))
        body.reparentTo(holder)
        body.setName("body")
        nodes.actuators[a.id] = holder


def build_vents(scene: Scene, parent: NodePath, size: float = 0.6) -> None:
    """HVAC grilles as outlined squares on the floor (supply blue, return orange)."""
    lines = LineSegs("vents")
    lines.setThickness(2.0)
    for v in scene.vents:
        lines.setColor(*(SUPPLY if v.kind == "supply" else RETURN))
        x, y, h = float(v.position[0]), float(v.position[1]), size / 2
        for k in (1.0, 0.6):
            lines.moveTo(x - h * k, y - h * k, 0.015)
            for px, py in ((x + h * k, y - h * k), (x + h * k, y + h * k), (x - h * k, y + h * k), (x - h * k, y - h * k)):
                lines.drawTo(px, py, 0.015)
    parent.attachNewNode(lines.create()).setLightOff(1)


def build_hall(scene: Scene, parent: NodePath, loader: Any | None = None, assets: Path | None = None,
               load_meshes: bool = True) -> HallNodes:
    """Walls (or the hall scan), cases, relics, plinths, sensors and vents of ``scene`` under ``parent``."""
    if assets is None:
        from simulation.paths import assets_dir

        assets = assets_dir()
    root = parent.attachNewNode(f"hall-{scene.id}")
    nodes = HallNodes(root=root)
    walls = "full"
    if scene.hall_scan is not None:
        try:
            nodes.scan = build_scan(scene.hall_scan, root, assets)
            walls = scene.hall_scan.walls
        except (OSError, ValueError) as exc:  # the procedural hall still shows
            log.warning("hall scan %s not shown: %s", scene.hall_scan.mesh, exc)
    build_walls(scene, root, walls)
    build_cases(scene, root, nodes)
    build_relics(scene, root, nodes, assets, loader, load_meshes)
    build_sensors(scene, root, nodes)
    build_actuators(scene, root, nodes)
    build_vents(scene, root)
    return nodes


def light_hall(root: NodePath) -> None:
    """The hall's lights: a soft ambient, a warm key from above, a cool fill from behind."""
    amb = AmbientLight("ambient")
    amb.setColor(Vec4(0.42, 0.42, 0.45, 1))
    sun = DirectionalLight("key")
    sun.setColor(Vec4(0.75, 0.72, 0.66, 1))
    fill = DirectionalLight("fill")
    fill.setColor(Vec4(0.25, 0.27, 0.32, 1))
    for light, hpr in ((amb, None), (sun, (-30, -55, 0)), (fill, (150, -30, 0))):
        np_ = root.attachNewNode(light)
        if hpr:
            np_.setHpr(*hpr)
        root.setLight(np_)


def zone_centre(polygon: np.ndarray) -> Vec3:
    """Centroid of a zone polygon (n, 2) m, at floor height."""
    c = polygon.mean(axis=0)
    return Vec3(float(c[0]), float(c[1]), 0.0)


def hall_radius(scene: Scene) -> float:
    """Half the floor's diagonal, m."""
    x0, y0, x1, y1 = scene.bounds
    return 0.5 * math.hypot(x1 - x0, y1 - y0)
