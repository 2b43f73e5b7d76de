"""View data for the exhibit's pages: plain dicts the templates read.

Everything here is computed from the scene document and the relic's model
frame; the templates hold layout only. Texts are ``{"zh-CN": ..., "en": ...}``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridge.exhibit.glb import Glb, to_y_up
from bridge.exhibit.texts import both, full
from simulation.scene import Annotation, Relic, Scene, Tour, TourStep


def human_size(n_bytes: int) -> str:
    """``n_bytes`` as kB or MB, one decimal (SI: 1 kB = 1000 bytes)."""
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"


def in_model_frame(relic: Relic, frame: NDArray[np.float64]) -> Relic:
    """``relic`` with its annotation anchors and views moved from the mesh file's frame into the
    model frame the GLB is written in ((4, 4) ``frame``; uniform scale, so normals keep their direction)."""

    def move(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(p, float) @ frame[:3, :3].T + frame[:3, 3]

    notes = tuple(replace(a, position=move(a.position),
                          view_eye=None if a.view_eye is None else move(a.view_eye),
                          view_target=None if a.view_target is None else move(a.view_target))
                  for a in relic.annotations)
    return replace(relic, annotations=notes)


def orbit(eye: NDArray[np.float64], target: NDArray[np.float64]) -> str:
    """model-viewer's ``camera-orbit`` ("theta phi radius") for a camera at ``eye`` looking at
    ``target``, both (3,) y up: theta the azimuth from +z towards +x, phi the angle from +y."""
    d = np.asarray(eye, float) - np.asarray(target, float)
    r = float(np.linalg.norm(d))
    if r == 0:
        return "0deg 75deg auto"
    theta = math.degrees(math.atan2(d[0], d[2]))
    phi = math.degrees(math.acos(max(-1.0, min(1.0, d[1] / r))))
    return f"{theta:.1f}deg {phi:.1f}deg {r:.3f}m"


def metres(p: NDArray[np.float64]) -> str:
    """A (3,) point as model-viewer writes one: ``"x y z"`` in metres."""
    return " ".join(f"{v:.4f}m" for v in p)


def hotspot(index: int, note: Annotation) -> dict[str, Any]:
    """One annotation (already in the model frame, z up) as the page's hotspot and note."""
    pos = to_y_up(note.position[None, :])[0]
    normal = to_y_up(note.normal[None, :])[0]
    normal = normal / max(float(np.linalg.norm(normal)), 1e-12)
    view = {}
    if note.view_eye is not None and note.view_target is not None:
        eye, target = to_y_up(np.stack([note.view_eye, note.view_target]))
        view = {"orbit": orbit(eye, target), "target": metres(target)}
    title = full(note.title)
    return {
        "id": note.id, "number": index + 1, "slot": f"hotspot-{note.id}",
        "position": metres(pos), "normal": " ".join(f"{v:.4f}" for v in normal), **view,
        "title": title, "text": full(note.text),
        "label": {lang: both("hotspot_label", i=index + 1, title=title[lang])[lang] for lang in title},
    }


def tours(relic: Relic) -> list[dict[str, Any]]:
    """The relic's guided tours; a relic without tours gets one through all its highlights, as the kiosk does."""
    walks = relic.tours
    if not walks and relic.annotations:
        walks = (Tour("all", both("highlights"), tuple(TourStep(a.id) for a in relic.annotations)),)
    out = []
    for tour in walks:
        n = len(tour.steps)
        steps = [{"note": s.annotation, "count": both("step", i=i + 1, n=n),
                  "narration": full(s.narration) if s.narration else None}
                 for i, s in enumerate(tour.steps)]
        out.append({"id": tour.id, "title": full(tour.title), "steps": steps})
    return out


def relic_view(scene: Scene, relic: Relic, glb: Glb | None, files: dict[str, str]) -> dict[str, Any]:
    """Everything a relic page shows. ``relic`` is in the model frame (:func:`in_model_frame`);
    ``files`` names the page's model script, GLB, Voyager document and picture, relative to the page."""
    name, material, era = full(relic.name), full(relic.material), full(relic.era or {"en": "", "zh-CN": ""})
    notes = [hotspot(i, a) for i, a in enumerate(relic.annotations)]
    zone = next((z for z in scene.zones if z.id == relic.zone), None)
    alt = {lang: both("model_alt", name=name[lang], material=material[lang], era=era[lang], n=len(notes))[lang]
           for lang in name}
    if relic.stand_in:
        alt = {lang: f"{alt[lang]} {both('stand_in')[lang]}" for lang in alt}
    return {
        "id": relic.id, "name": name, "material": material, "era": era, "stand_in": relic.stand_in,
        "hall": full(scene.name), "zone": full(zone.name) if zone else None,
        "alt": alt, "notes": notes, "tours": tours(relic), "files": files,
        "glb": None if glb is None else {"size": both("download_glb", size=human_size(len(glb.data))),
                                          "faces": both("model_facts", faces=f"{glb.faces:,}")},
    }
