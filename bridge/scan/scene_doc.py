"""Scan results written into the scene document and ``assets/SOURCES.md``.

``scene.toml`` is edited with tomlkit, so its comments and layout stay; the
edited document is validated (:func:`simulation.scene.parse_scene`) before it
is written, and written whole (a temporary file renamed over it), so a
failed scan never leaves half a scene.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.scene import Scene, parse_scene, point_in_polygon, scene_file

SOURCES_HEADING = "## Scanned with `relic-twin scan`"
PLINTH_M = 0.9
"""Height of the plinth a new free-standing relic is put on (m): eye level for a seated visitor,
the monitor draws the plinth."""


def load_doc(scene_dir: Path):  # -> tomlkit.TOMLDocument
    import tomlkit

    return tomlkit.parse(scene_file(scene_dir).read_text(encoding="utf-8"))


def save_doc(doc, scene_dir: Path, assets: Path) -> Scene:
    """Validate ``doc`` and write it over ``scene.toml``; returns the scene (raises SceneError)."""
    import tomlkit

    file = scene_file(scene_dir)
    scene = parse_scene(doc.unwrap(), file, assets_dir=assets)
    tmp = file.with_suffix(".toml.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.replace(tmp, file)
    return scene


def free_spot(scene: Scene, zone_id: str, clearance_m: float = 1.0) -> NDArray[np.float64]:
    """(x, y) in zone ``zone_id`` farthest from the relics, cases and sensors already there
    (the zone's inside point farthest from its walls when it is empty), on a 0.1 m grid."""
    zone = next(z for z in scene.zones if z.id == zone_id)
    lo, hi = zone.polygon.min(axis=0), zone.polygon.max(axis=0)
    xs, ys = np.meshgrid(np.arange(lo[0] + 0.05, hi[0], 0.1), np.arange(lo[1] + 0.05, hi[1], 0.1))
    cand = np.column_stack([xs.ravel(), ys.ravel()])
    cand = cand[[point_in_polygon(c, zone.polygon) for c in cand]]
    if not len(cand):
        return zone.polygon.mean(axis=0)
    taken = [r.position[:2] for r in scene.relics] + [c.position[:2] for c in scene.cases] + \
        [s.position[:2] for s in scene.sensors]
    poly = zone.polygon
    a, b = poly, np.roll(poly, -1, axis=0)
    ab = b - a
    t = np.clip(np.einsum("ijk,jk->ij", cand[:, None, :] - a[None], ab) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
    wall = np.linalg.norm(cand[:, None, :] - (a[None] + t[..., None] * ab[None]), axis=2).min(axis=1)
    score = np.minimum(wall, 2 * clearance_m)
    if taken:
        score = np.minimum(score, np.linalg.norm(cand[:, None, :] - np.array(taken)[None], axis=2).min(axis=1))
    return cand[int(np.argmax(score))]


def upsert_relic(doc, relic_id: str, fields: Mapping[str, Any], keep: tuple[str, ...] = ()) -> bool:
    """Set ``fields`` on the relic ``relic_id`` (a new ``[[relics]]`` table when absent); True if new.
    Keys in ``keep`` that the relic already has stay as they are (the curator's own words and placement)."""
    import tomlkit

    relics = doc.get("relics")
    if not isinstance(relics, tomlkit.items.AoT):  # absent, or "relics = []" in a new scene
        if relics is not None:
            del doc["relics"]
        relics = tomlkit.aot()
        doc.append("relics", relics)
    for t in relics:
        if t.get("id") == relic_id:
            for k, v in fields.items():
                if k in keep and k in t:
                    continue
                t[k] = v
            if "stand_in" in t:
                del t["stand_in"]
            return False
    table = tomlkit.table()
    table["id"] = relic_id
    for k, v in fields.items():
        table[k] = v
    relics.append(table)
    return True


def inline(mapping: Mapping[str, Any]):
    import tomlkit

    t = tomlkit.inline_table()
    t.update(dict(mapping))
    return t


def record_source(assets: Path, file: str, what: str, made_from: str, licence: str, detail: str) -> None:
    """Add (or replace) the row for ``file`` in ``assets/SOURCES.md``'s table of scanned assets."""
    sources = assets / "SOURCES.md"
    text = sources.read_text(encoding="utf-8") if sources.is_file() else "# Asset sources and licences\n"
    row = f"| `{file}` | {what} | {made_from} | {licence} | {detail} |"
    if SOURCES_HEADING not in text:
        text = text.rstrip("\n") + (
            f"\n\n{SOURCES_HEADING}\n\nWritten by `relic-twin scan relic|hall` (`bridge/scan/`): each row says what "
            "the file was made from and every processing step, as the command printed them.\n\n"
            "| file | what | made from | licence | processing |\n|---|---|---|---|---|\n")
    lines = [ln for ln in text.splitlines() if not ln.startswith(f"| `{file}` |")]
    head = lines.index(SOURCES_HEADING)
    end = head + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    while end > head and not lines[end - 1].strip():
        end -= 1
    lines.insert(end, row)
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")


def new_scene_doc(scene_dir: Path):  # -> tomlkit.TOMLDocument
    """A minimal scene for a hall known only from its scan: one zone, no sensors, no relics."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment("Written by relic-twin scan hall: the floor plan and ceiling come from the scan."))
    hall = tomlkit.table()
    hall["id"] = scene_dir.name
    hall["name"] = inline({"zh-CN": scene_dir.name, "en": scene_dir.name})
    doc["hall"] = hall
    zones = tomlkit.aot()
    zone = tomlkit.table()
    zone["id"] = "hall"
    zone["name"] = inline({"zh-CN": "展厅", "en": "Hall"})
    zones.append(zone)
    doc["zones"] = zones
    doc["sensors"] = tomlkit.array()
    doc["relics"] = tomlkit.array()
    return doc


def write_hall(result, scene_dir: Path, assets: Path, scan_dir: str, *, licence: str, credit: str = "") -> Scene:
    """Write the shell mesh and put the outline, ceiling and ``[hall_scan]`` into the scene (a new
    scene when ``scene_dir`` has none). A zone that was the whole old floor follows the new outline.
    Raises SceneError (nothing written to the scene) when sensors, relics or zones fall outside it."""
    import tomlkit

    from bridge.scan.geometry import vertex_normals
    from bridge.scan.hall import SHELL_CLIP_M, SHELL_OPACITY
    from bridge.scan.ply import write_ply

    scene_dir = Path(scene_dir)
    if scene_file(scene_dir).is_file():
        doc = load_doc(scene_dir)
    else:
        doc = new_scene_doc(scene_dir)
        scene_dir.mkdir(parents=True, exist_ok=True)
    hall_id = str(doc["hall"].get("id", scene_dir.name))
    outline = [[round(float(x), 3), round(float(y), 3)] for x, y in result.outline]
    closed = outline + [outline[0]]
    old_floor = doc["hall"].get("floor")
    doc["hall"]["floor"] = closed
    doc["hall"]["wall_height"] = round(float(result.ceiling_m), 2)
    for zone in doc.get("zones", []):
        if old_floor is None or "polygon" not in zone or _same_polygon(zone["polygon"], old_floor):
            zone["polygon"] = closed
    shell_rel = f"{scan_dir}/{hall_id}-shell.ply"
    p, f, c = result.shell
    steps = "; ".join(result.steps)
    hs = tomlkit.table()
    hs["mesh"] = shell_rel
    hs["kind"] = "mesh"
    hs["up"] = "z"
    hs["clip"] = [SHELL_CLIP_M, round(float(result.ceiling_m) + 0.05, 2)]
    hs["opacity"] = SHELL_OPACITY
    hs["walls"] = "outline"
    hs["source"] = inline({"file": result.source.name, "licence": licence, "processing": steps})
    doc["hall_scan"] = hs
    shell_file = assets / shell_rel
    existed = shell_file.is_file()
    write_ply(shell_file, p, c, f, vertex_normals(p, f),
              f"relic-twin scan hall {result.source.name}: hall frame, z up, metres, floor at z = 0")
    try:
        scene = save_doc(doc, scene_dir, assets)
    except Exception:
        if not existed:
            shell_file.unlink(missing_ok=True)  # the scene did not take it: leave nothing behind
        raise
    made_from = f"`{result.source.name}`" + (f"; scan by {credit}" if credit else "")
    record_source(assets, shell_rel, f"shell of hall {hall_id} ({len(f)} faces, {np.ptp(result.outline, axis=0)[0]:.2f} x "
                  f"{np.ptp(result.outline, axis=0)[1]:.2f} m)", made_from, licence, steps)
    return scene


def _same_polygon(a, b) -> bool:
    try:
        pa, pb = np.asarray(a, float), np.asarray(b, float)
    except (TypeError, ValueError):
        return False
    return pa.shape == pb.shape and bool(np.allclose(pa, pb, atol=1e-6))
