"""The browser parts the exhibit and the API docs page load, from the npm registry.

``make web`` installs them into ``web/node_modules`` from the committed
``web/package.json`` and ``web/package-lock.json``; nothing is fetched from a
CDN when a page is shown. :func:`copy_viewer` puts the viewer and the licence of
every package bundled in it beside a published exhibit.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import ConfigError
from simulation.paths import project_home

VIEWER_FILES = {
    # file in the exhibit's vendor/ folder -> file under web/node_modules
    "model-viewer-umd.min.js": "@google/model-viewer/dist/model-viewer-umd.min.js",  # bundles three, lit, gainmap-js
    "meshopt_decoder.js": "meshoptimizer/meshopt_decoder.cjs",  # EXT_meshopt_compression; wasm inline
}

VIEWER_PACKAGES = ("@google/model-viewer", "three", "lit", "lit-html", "lit-element", "@lit/reactive-element",
                   "@monogrid/gainmap-js", "meshoptimizer")
"""Every package whose code the viewer files hold (model-viewer's UMD bundle includes its dependencies)."""

DOCS_FILES = {
    # file served under /api/docs-assets/ -> file under web/node_modules
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
}

AXE_FILE = "axe-core/axe.min.js"
"""The accessibility checker the browser tests inject (not shipped in an exhibit)."""

MISSING = ("the exhibit's browser parts are not installed: run `make web` (needs Node.js and npm) / "
           "未安装网页展览所需的浏览器组件：请运行 make web（需要 Node.js 与 npm）")


@dataclass(frozen=True)
class Package:
    """An npm package as installed: name, version, licence (SPDX) and its licence file."""

    name: str
    version: str
    license: str
    license_file: Path | None


def node_modules() -> Path:
    """``$RELIC_TWIN_WEB_DIR/node_modules`` or the checkout's ``web/node_modules``."""
    web = Path(os.environ.get("RELIC_TWIN_WEB_DIR") or project_home() / "web")
    return web / "node_modules"


def vendor_file(rel: str) -> Path:
    """A file under node_modules; ConfigError (zh/en) when ``make web`` has not run."""
    path = node_modules() / rel
    if not path.is_file():
        raise ConfigError(f"{MISSING} ({path})")
    return path


def package(name: str) -> Package:
    """The installed package ``name`` (its package.json and licence file)."""
    root = node_modules() / name
    try:
        meta = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{MISSING} ({root})") from exc
    lic = next((p for p in sorted(root.glob("LICEN[SC]E*")) if p.is_file()), None)
    return Package(name, str(meta.get("version", "")), str(meta.get("license", "")), lic)


def copy_viewer(dest: Path) -> list[Package]:
    """Copy the viewer files into ``dest`` and each bundled package's licence into ``dest/LICENSES``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, rel in VIEWER_FILES.items():
        shutil.copyfile(vendor_file(rel), dest / name)
    packages = [package(n) for n in VIEWER_PACKAGES]
    (dest / "LICENSES").mkdir(exist_ok=True)
    for p in packages:
        if p.license_file is not None:
            shutil.copyfile(p.license_file, dest / "LICENSES" / f"{p.name.replace('/', '__')}.txt")
    return packages
