"""Smithsonian Voyager (``.svx.json``) import and export of relic annotations.

Voyager keeps a model's annotations in ``models[i].annotations``, each with
``id``, ``position`` and ``direction`` (the stem, usually the surface
normal) in the model's local coordinates, a ``title`` and a ``lead``
(short text); newer documents also carry per-language ``titles`` and
``leads`` keyed by upper-case language codes (``"EN"``, ``"ZH"``), see the
model schema in Smithsonian/dpo-voyager
(``source/client/schema/json/model.schema.json``).

Voyager (three.js, glTF) is y up; our mesh files are z up, so points and
directions are turned by :data:`Z_UP_TO_Y_UP` on export and back on import.
Saved camera views and guided tours do not travel: a Voyager tour is a series of
animated snapshots of scene state (camera, lights, which annotation is open...) in
the document's ``setups``, not an ordered list of annotation ids like ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simulation.scene import Relic

Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""(x, y, z) z-up -> (x, z, -y) y-up; the front (-y) becomes +z, as glTF expects."""

LANG_CODES = {"zh-CN": "ZH", "en": "EN"}


def export_voyager(relic: Relic, mesh_uri: str, units: str = "m") -> dict[str, Any]:
    """A minimal Voyager document with one model and the relic's annotations."""
    notes = []
    for a in relic.annotations:
        notes.append({
            "id": a.id,
            "title": a.title.get("en", ""),
            "lead": a.text.get("en", ""),
            "titles": {LANG_CODES[k]: v for k, v in a.title.items() if k in LANG_CODES},
            "leads": {LANG_CODES[k]: v for k, v in a.text.items() if k in LANG_CODES},
            "position": (Z_UP_TO_Y_UP @ np.asarray(a.position, float)).round(6).tolist(),
            "direction": (Z_UP_TO_Y_UP @ np.asarray(a.normal, float)).round(6).tolist(),
            "style": "Standard" if a.style == "default" else a.style,
            "visible": True,
        })
    return {
        "asset": {"type": "application/si-dpo-3d.document+json", "version": "1.0", "generator": "relic-twin"},
        "scene": 0,
        "scenes": [{"nodes": [0], "units": units}],
        "nodes": [{"name": relic.id, "model": 0}],
        "models": [{
            "units": units,
            "derivatives": [{"usage": "Web3D", "quality": "High",
                             "assets": [{"uri": mesh_uri, "type": "Model"}]}],
            "annotations": notes,
        }],
    }


def _texts(note: Mapping[str, Any], plural: str, single: str) -> dict[str, str]:
    by_code = note.get(plural) or {}
    out = {lang: str(by_code[code]) for lang, code in LANG_CODES.items() if by_code.get(code)}
    fallback = str(note.get(single) or next(iter(out.values()), "") or note.get("id", ""))
    for lang in LANG_CODES:
        out.setdefault(lang, fallback)
    return out


def import_voyager(doc: Mapping[str, Any], model_index: int = 0) -> list[dict[str, Any]]:
    """Annotations of model ``model_index`` as scene-style dicts (id, position, normal, title, text), z up.

    Missing languages fall back to the text that is there, so the result
    passes the scene's both-languages check; a curator then translates.
    """
    models: Sequence[Mapping[str, Any]] = doc.get("models", [])
    out = []
    for note in models[model_index].get("annotations", []) if models else []:
        pos = np.linalg.solve(Z_UP_TO_Y_UP, np.asarray(note.get("position", [0, 0, 0]), float))
        dirn = np.linalg.solve(Z_UP_TO_Y_UP, np.asarray(note.get("direction", [0, 1, 0]), float))
        out.append({"id": str(note["id"]), "position": pos, "normal": dirn,
                    "title": _texts(note, "titles", "title"), "text": _texts(note, "leads", "lead")})
    return out
