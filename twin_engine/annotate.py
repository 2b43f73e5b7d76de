"""``relic-twin annotate RELIC``: click a point on a relic, write the hotspot into the scene file.

The curator turns the relic (drag, wheel) and clicks the surface; the
anchor (position and normal of the clicked triangle) and the current
camera as the hotspot's view are converted to the mesh file's own
coordinates and appended as a ``[[relics.annotations]]`` entry. The scene
file is edited with tomlkit, so comments, order and formatting of
everything else stay exactly as they were. Titles and texts start as
placeholders in both languages unless given on the command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twin_engine.meshes import apply_transform

ANNOTATE_KEYS: Mapping[str, str] = {
    "mouse1": "pick",
    "mouse3": "orbit_start",
    "mouse3-up": "orbit_end",
    "wheel_up": "zoom_in",
    "wheel_down": "zoom_out",
    "arrow_left": "orbit_left",
    "arrow_right": "orbit_right",
    "escape": "quit",
}
"""Bindings of the annotation tool (Panda3D event names)."""

PLACEHOLDER_TITLE = {"zh-CN": "待填写标题", "en": "Title to be written"}
PLACEHOLDER_TEXT = {"zh-CN": "待填写说明", "en": "Text to be written"}


def add_annotation(scene_file: Path, relic_id: str, note_id: str, position: NDArray[np.float64],
                   normal: NDArray[np.float64], eye: NDArray[np.float64] | None = None,
                   target: NDArray[np.float64] | None = None, title: Mapping[str, str] | None = None,
                   text: Mapping[str, str] | None = None) -> None:
    """Append an annotation to relic ``relic_id`` in ``scene_file``; all other bytes are kept.

    position, normal, eye, target : (3,) in the mesh file's coordinates.
    Raises KeyError for an unknown relic and ValueError for a duplicate id.
    """
    import tomlkit

    src = scene_file.read_text(encoding="utf-8")
    doc = tomlkit.parse(src)
    relic = next((r for r in doc.get("relics", []) if r.get("id") == relic_id), None)
    if relic is None:
        raise KeyError(f"no relic {relic_id!r} in {scene_file} / 场景中没有该文物")
    notes = relic.get("annotations")
    if notes is not None and any(n.get("id") == note_id for n in notes):
        raise ValueError(f"annotation {note_id!r} exists already / 该标注编号已存在")
    t = tomlkit.table()
    t["id"] = note_id
    t["position"] = [round(float(x), 5) + 0.0 for x in position]
    n = np.asarray(normal, float)
    t["normal"] = [round(float(x), 4) + 0.0 for x in n / np.linalg.norm(n)]
    for key, value in (("title", title or PLACEHOLDER_TITLE), ("text", text or PLACEHOLDER_TEXT)):
        it = tomlkit.inline_table()
        for lang in ("zh-CN", "en"):
            it[lang] = value[lang]
        t[key] = it
    if eye is not None:
        view = tomlkit.inline_table()
        view["eye"] = [round(float(x), 4) + 0.0 for x in eye]
        view["target"] = [round(float(x), 5) + 0.0 for x in (target if target is not None else position)]
        t["view"] = view
    t.add(tomlkit.nl())
    if notes is None:
        aot = tomlkit.aot()
        aot.append(t)
        relic["annotations"] = aot
    else:
        notes.append(t)
    scene_file.write_text(tomlkit.dumps(doc), encoding="utf-8")


def pick_surface(base: Any, model: Any, x_px: float, y_px: float) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Surface point and unit normal (3,) in ``model``'s frame under pixel (x, y), or None."""
    from panda3d.core import BitMask32, CollisionHandlerQueue, CollisionNode, CollisionRay, CollisionTraverser, GeomNode

    w, h = base.win.getXSize(), base.win.getYSize()
    ray = CollisionRay()
    ray.setFromLens(base.camNode, 2 * x_px / w - 1, 1 - 2 * y_px / h)
    cnode = CollisionNode("annotate-ray")
    cnode.addSolid(ray)
    cnode.setFromCollideMask(GeomNode.getDefaultCollideMask())
    cnode.setIntoCollideMask(BitMask32.allOff())
    ray_np = base.camera.attachNewNode(cnode)
    queue = CollisionHandlerQueue()
    trav = CollisionTraverser("annotate")
    trav.addCollider(ray_np, queue)
    try:
        trav.traverse(model)
        if queue.getNumEntries() == 0:
            return None
        queue.sortEntries()
        e = queue.getEntry(0)
        p = e.getSurfacePoint(model)
        n = e.getSurfaceNormal(model)
        return np.array([p[0], p[1], p[2]]), np.array([n[0], n[1], n[2]]) / max(n.length(), 1e-12)
    finally:
        ray_np.removeNode()


def to_file_frame(frame: NDArray[np.float64], points: NDArray[np.float64], *, vectors: bool = False) -> NDArray[np.float64]:
    """Model-frame points (n, 3) (or direction ``vectors``) back to the mesh file's coordinates."""
    return apply_transform(np.linalg.inv(frame), points, vectors=vectors)


class AnnotateScreen:
    """One relic on a turntable; a click writes an annotation. ``base`` is a ShowBase."""

    keys = ANNOTATE_KEYS

    def __init__(self, base: Any, scene_file: Path, relic_id: str, note_prefix: str = "note",
                 title: Mapping[str, str] | None = None, text: Mapping[str, str] | None = None):
        from simulation.scene import load_scene

        self.base, self.scene_file, self.relic_id = base, scene_file, relic_id
        self.scene = load_scene(scene_file)
        self.relic = self.scene.relic(relic_id)
        self.note_prefix, self.title, self.text = note_prefix, title, text
        self.written: list[str] = []
        self.root: Any = None
        self.yaw, self.pitch, self.dist = 0.0, 12.0, 3.4

    def enter(self) -> None:
        from panda3d.core import AmbientLight, DirectionalLight, Vec4

        from simulation.paths import assets_dir
        from twin_engine.meshes import load_relic_model

        self.root = self.base.render.attachNewNode("annotate")
        assert self.relic.mesh is not None
        self.model = load_relic_model(assets_dir() / self.relic.mesh, self.relic.height_m)
        self.model.reparentTo(self.root)
        self.frame = self.model.getPythonTag("frame_transform")
        lo, hi = self.model.getTightBounds()
        self.size = 0.5 * max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])
        amb = AmbientLight("a")
        amb.setColor(Vec4(0.35, 0.35, 0.35, 1))
        key = DirectionalLight("k")
        key.setColor(Vec4(0.8, 0.8, 0.8, 1))
        self.lights = [self.base.camera.attachNewNode(amb), self.base.camera.attachNewNode(key)]
        self.lights[1].setHpr(-30, -30, 0)
        for light in self.lights:
            self.root.setLight(light)
        self.base.camLens.setNear(0.01)
        self.base.camLens.setMinFov(40)
        self._apply()

    def exit(self) -> None:
        for light in self.lights:
            light.removeNode()
        if self.root is not None:
            self.root.removeNode()

    def update(self, dt: float) -> None:
        pass

    def _apply(self) -> None:
        from twin_engine.kiosk_orbit import Orbit

        o = Orbit((0.0, 0.0, self.relic.height_m / 2), self.yaw, self.pitch, self.dist * self.size)
        self.base.camera.setPos(*o.eye())
        self.base.camera.lookAt(*o.target)

    def act(self, action: str) -> None:
        if action == "pick":
            mw = self.base.mouseWatcherNode
            if mw.hasMouse():
                m = mw.getMouse()
                self.click((m[0] + 1) / 2 * self.base.win.getXSize(), (1 - m[1]) / 2 * self.base.win.getYSize())
        elif action in ("orbit_left", "orbit_right"):
            self.yaw += 15 if action == "orbit_left" else -15
            self._apply()
        elif action in ("zoom_in", "zoom_out"):
            self.dist = min(6.0, max(1.2, self.dist / (1.15 if action == "zoom_in" else 1 / 1.15)))
            self._apply()
        elif action == "quit":
            self.base.userExit()

    def click(self, x_px: float, y_px: float) -> str | None:
        """Pick the surface at (x, y) px and write an annotation; returns its id, or None on a miss."""
        hit = pick_surface(self.base, self.model, x_px, y_px)
        if hit is None:
            return None
        pos, nrm = hit
        eye = np.array(list(self.base.camera.getPos(self.model)))
        fpos = to_file_frame(self.frame, pos)[0]
        fnrm = to_file_frame(self.frame, nrm, vectors=True)[0]
        feye = to_file_frame(self.frame, eye)[0]
        existing = {a.id for a in self.relic.annotations} | set(self.written)
        k = 1
        while f"{self.note_prefix}{k}" in existing:
            k += 1
        note_id = f"{self.note_prefix}{k}"
        add_annotation(self.scene_file, self.relic_id, note_id, fpos, fnrm, feye, fpos, self.title, self.text)
        self.written.append(note_id)
        print(f"{self.scene_file}: {self.relic_id}: added {note_id} at {np.round(fpos, 4).tolist()} / 已添加标注")
        return note_id


def voyager_io(file: Path, relic_id: str, export_to: str | None, import_from: str | None) -> int:
    """Export the relic's annotations to, or import them from, Smithsonian Voyager JSON."""
    import json

    from bridge.exhibit.voyager import export_voyager, import_voyager
    from simulation.scene import SceneError, load_scene

    try:
        relic = load_scene(file).relic(relic_id)
    except (SceneError, StopIteration) as exc:
        print(f"relic-twin annotate: {exc or 'no such relic / 没有该文物'}", file=sys.stderr)
        return 1
    if export_to:
        doc = export_voyager(relic, relic.mesh or "")
        Path(export_to).write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"{export_to}: {len(relic.annotations)} annotations / 条标注已导出")
    if import_from:
        notes = import_voyager(json.loads(Path(import_from).read_text(encoding="utf-8")))
        have = {a.id for a in relic.annotations}
        added = 0
        for n in notes:
            if n["id"] in have:
                print(f"skip {n['id']}: exists / 已存在", file=sys.stderr)
                continue
            add_annotation(file, relic_id, n["id"], n["position"], n["normal"], title=n["title"], text=n["text"])
            added += 1
        print(f"{file}: {added} annotations imported / 条标注已导入")
    return 0


def annotate_main(argv: list[str]) -> int:
    """``relic-twin annotate RELIC [--scene DIR] [--id-prefix P] [--title-zh ... --title-en ...]``."""
    from simulation.paths import scenes_dir
    from simulation.scene import SceneError, scene_file
    from twin_engine.app import TwinApp, make_base

    p = argparse.ArgumentParser(prog="relic-twin annotate", description="place hotspots on a relic / 标注文物热点")
    p.add_argument("relic")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"))
    p.add_argument("--id-prefix", default="note")
    p.add_argument("--title-zh")
    p.add_argument("--title-en")
    p.add_argument("--text-zh")
    p.add_argument("--text-en")
    p.add_argument("--export-voyager", metavar="FILE", help="write the relic's annotations as a Voyager .svx.json / 导出")
    p.add_argument("--import-voyager", metavar="FILE", help="add annotations from a Voyager .svx.json / 导入")
    args = p.parse_args(argv)
    if args.export_voyager or args.import_voyager:
        return voyager_io(scene_file(args.scene), args.relic, args.export_voyager, args.import_voyager)
    title = {"zh-CN": args.title_zh, "en": args.title_en} if args.title_zh and args.title_en else None
    text = {"zh-CN": args.text_zh, "en": args.text_en} if args.text_zh and args.text_en else None
    try:
        screen = AnnotateScreen(None, scene_file(args.scene), args.relic, args.id_prefix, title, text)
    except (SceneError, StopIteration) as exc:
        print(f"relic-twin annotate: {exc or 'no such relic / 没有该文物'}", file=sys.stderr)
        return 1
    print("click the relic to add a hotspot; arrows turn, wheel zooms, Esc quits / "
          "点击文物表面添加热点；方向键旋转，滚轮缩放，Esc 退出")
    screen.base = make_base(title=f"relic-twin annotate {args.relic}")
    app = TwinApp(screen.base)
    app.show(screen)
    app.run()
    return 0
