"""Publish halls as a static web exhibit: :func:`publish`.

Layout of the output folder (every link relative, so it works from a USB stick,
``file://`` or any static host)::

    index.html                      the gallery, every hall's relics
    licences.html                   the viewer's packages and licences
    exhibit.json                    what was published (relics, files, sizes)
    assets/exhibit.css, exhibit.js  the exhibit's own style and script
    vendor/                         the 3D viewer from npm and its LICENSES/
    <hall>/<relic>.html             one page per relic
    <hall>/<relic>/<relic>.glb      the model (meshopt-compressed glTF binary)
    <hall>/<relic>/<relic>.glb.js   the same bytes as a script, which file:// pages may load
    <hall>/<relic>/<relic>.svx.json its Smithsonian Voyager document (annotations), for interchange
    <hall>/<relic>/<relic>.png      its picture for the gallery and the viewer's poster
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bridge.errors import ConfigError
from bridge.exhibit import vendor
from bridge.exhibit.glb import GLB_BUDGET_BYTES, fit_budget
from bridge.exhibit.lighting import EXPOSURE, SHADOW_INTENSITY, environment_data_uri
from bridge.exhibit.picture import render_picture
from bridge.exhibit.texts import EXHIBIT_TEXTS, both, full
from bridge.exhibit.views import in_model_frame, relic_view
from bridge.exhibit.voyager import export_voyager
from bridge.meshes import frame_transform, read_mesh
from simulation.scene import Scene, default_assets_dir

HERE = Path(__file__).parent
MARKER = "exhibit.json"
"""The file that says a folder is a published exhibit (and may be replaced by the next publish)."""


@dataclass
class Published:
    """What :func:`publish` wrote: the folder, each relic page's files and sizes, and the time taken."""

    out: Path
    relics: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def prepare_out(out: Path) -> None:
    """Empty ``out`` for a new exhibit: refused (zh/en) when it holds anything but an earlier exhibit."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: not a folder / 不是文件夹")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise ConfigError(f"{out}: the folder is not empty and holds no earlier exhibit; choose an empty one / "
                              f"文件夹非空且不是之前发布的展览，请选择空文件夹")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def publish(scenes: Sequence[Scene], out: Path, *, title: dict[str, str] | None = None,
            assets_dir: Path | None = None, budget_bytes: int = GLB_BUDGET_BYTES,
            progress: Callable[[str], None] | None = None) -> Published:
    """Write the exhibit of ``scenes`` into ``out``; returns what was written.

    title : the gallery's heading (default: the hall's name, or "Online exhibition").
    budget_bytes : the most one relic's GLB may take (levels of detail are tried down to the far one).
    Raises ConfigError (zh/en) when the viewer is not installed or ``out`` is not the exhibit's to replace.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    out = Path(out)
    assets = assets_dir or default_assets_dir()
    for rel in vendor.VIEWER_FILES.values():  # fail before touching the folder
        vendor.vendor_file(rel)
    prepare_out(out)
    env = _env()
    result = Published(out)
    packages = vendor.copy_viewer(out / "vendor")
    (out / "assets").mkdir()
    for name in ("exhibit.css", "exhibit.js"):
        shutil.copyfile(HERE / "static" / name, out / "assets" / name)

    site_title = title or (full(scenes[0].name) if len(scenes) == 1 else both("site_title"))
    halls = []
    for scene in scenes:
        cards = []
        for relic in scene.relics:
            say(f"{scene.id}/{relic.id}")
            cards.append(_publish_relic(env, scene, relic, out, assets, budget_bytes, result))
        halls.append({"id": scene.id, "name": full(scene.name), "relics": cards})

    common = {"texts": EXHIBIT_TEXTS}
    (out / "index.html").write_text(env.get_template("gallery.html").render(
        **common, title=site_title, root="", body_class="gallery", halls=halls), encoding="utf-8")
    lic = [{"name": p.name, "version": p.version, "license": p.license,
            "file": f"vendor/LICENSES/{p.name.replace('/', '__')}.txt" if p.license_file else None} for p in packages]
    (out / "licences.html").write_text(env.get_template("licences.html").render(
        **common, title=both("licences"), root="", body_class="licences", packages=lic), encoding="utf-8")
    for r in result.relics:
        r["page_bytes"] = sum((out / f).stat().st_size for f in r["page_files"])
    result.seconds = time.perf_counter() - t0
    manifest = {"generator": "relic-twin publish", "digest": source_digest(scenes, assets, budget_bytes),
                "halls": [s.id for s in scenes], "title": site_title,
                "viewer": [{"name": p.name, "version": p.version, "license": p.license} for p in packages],
                "relics": result.relics}
    (out / MARKER).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def source_digest(scenes: Sequence[Scene], assets_dir: Path, budget_bytes: int = GLB_BUDGET_BYTES) -> str:
    """SHA-256 over everything an exhibit is made from: scene documents, meshes, templates, viewer version."""
    h = hashlib.sha256(f"{budget_bytes}".encode())
    files = [s.root / "scene.toml" for s in scenes]
    files += [assets_dir / r.mesh for s in scenes for r in s.relics if r.mesh]
    files += sorted((HERE / "templates").glob("*")) + sorted((HERE / "static").glob("*"))
    files += [Path(__file__), HERE / "glb.py", HERE / "views.py", HERE / "texts.py",
              HERE / "lighting.py"]
    for f in files:
        h.update(str(f.name).encode())
        h.update(f.read_bytes() if f.is_file() else b"missing")
    for rel in vendor.VIEWER_FILES.values():
        path = vendor.node_modules() / rel
        h.update(f"{rel}:{path.stat().st_size if path.is_file() else -1}".encode())
    return h.hexdigest()


def publish_if_changed(scenes: Sequence[Scene], out: Path, **kwargs: Any) -> Path:
    """``out`` holding the exhibit of ``scenes``: published again only when its sources changed (``serve``)."""
    assets = kwargs.get("assets_dir") or default_assets_dir()
    try:
        done = json.loads((Path(out) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = {}
    if done.get("digest") != source_digest(scenes, assets, kwargs.get("budget_bytes", GLB_BUDGET_BYTES)):
        publish(scenes, out, **kwargs)
    return Path(out)


def _publish_relic(env: Environment, scene: Scene, relic: Any, out: Path, assets: Path, budget_bytes: int,
                   result: Published) -> dict[str, Any]:
    """Write one relic's model, Voyager document, picture and page; return its gallery card."""
    hall_dir = out / scene.id
    rel_dir = hall_dir / relic.id
    rel_dir.mkdir(parents=True, exist_ok=True)
    page = f"{scene.id}/{relic.id}.html"
    files: dict[str, str] = {}
    glb = None
    moved = relic
    if relic.mesh:
        try:
            arrays = read_mesh(assets / relic.mesh)
        except Exception as exc:  # trimesh raises many kinds on a damaged file; the boundary names it
            raise ConfigError(f"{assets / relic.mesh}: cannot read the mesh / 无法读取模型: {exc}") from exc
        frame = frame_transform(arrays.bounds, relic.height_m)
        glb = fit_budget(arrays, frame, relic.id, budget_bytes)
        moved = in_model_frame(relic, frame)
        stem = f"{relic.id}/{relic.id}"
        (hall_dir / f"{stem}.glb").write_bytes(glb.data)
        (hall_dir / f"{stem}.glb.js").write_text(
            "window.relicTwinModel=\"" + base64.b64encode(glb.data).decode("ascii") + "\";\n", encoding="ascii")
        voyager = export_voyager(moved, mesh_uri=f"{relic.id}.glb")
        (hall_dir / f"{stem}.svx.json").write_text(json.dumps(voyager, ensure_ascii=False, indent=1), encoding="utf-8")
        render_picture(arrays, frame, hall_dir / f"{stem}.png")
        files = {"glb": f"{stem}.glb", "model_js": f"{stem}.glb.js", "voyager": f"{stem}.svx.json",
                 "picture": f"{stem}.png"}
    view = relic_view(scene, moved, glb, files)
    lighting = {"environment": environment_data_uri(), "exposure": EXPOSURE, "shadow": SHADOW_INTENSITY}
    (out / page).write_text(env.get_template("relic.html").render(
        texts=EXHIBIT_TEXTS, title=view["name"], root="../", body_class="relic-page", r=view, lighting=lighting),
        encoding="utf-8")
    page_files = [page, "assets/exhibit.css", "assets/exhibit.js"]
    if glb is not None:
        page_files += [f"{scene.id}/{files['model_js']}", f"{scene.id}/{files['picture']}",
                       *(f"vendor/{n}" for n in vendor.VIEWER_FILES)]
    result.relics.append({
        "hall": scene.id, "relic": relic.id, "page": page, "stand_in": relic.stand_in,
        "faces": glb.faces if glb else 0, "source_faces": glb.source_faces if glb else 0,
        "glb_bytes": len(glb.data) if glb else 0, "annotations": len(relic.annotations), "page_files": page_files,
    })
    return {"href": page, "picture": f"{scene.id}/{files['picture']}" if files else None,
            "name": view["name"], "material": view["material"], "era": view["era"], "stand_in": relic.stand_in,
            "count": both("notes_count", n=len(relic.annotations))}
