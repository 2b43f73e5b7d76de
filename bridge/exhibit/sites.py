"""Which halls to publish: one scene folder, or a site (a museum of several halls).

A site folder either has a ``site.toml`` (``name = {zh-CN = ..., en = ...}`` and
``halls = ["hall_a", "hall_b"]``, folders relative to it) or is a folder of scene
folders, each with its ``scene.toml``, published in name order.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from bridge.errors import ConfigError
from simulation.scene import Scene, load_scene


def site_halls(site: Path) -> tuple[dict[str, str] | None, list[Path]]:
    """The site's name (if it gives one) and its hall folders, in order."""
    site = Path(site)
    if not site.is_dir():
        raise ConfigError(f"{site}: no such folder / 找不到文件夹")
    doc_file = site / "site.toml"
    if doc_file.is_file():
        try:
            doc = tomllib.loads(doc_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{doc_file}: not valid TOML / 不是有效的 TOML: {exc}") from exc
        halls = doc.get("halls")
        if not isinstance(halls, list) or not halls or not all(isinstance(h, str) for h in halls):
            raise ConfigError(f"{doc_file}: halls must be a list of scene folders / halls 应为场景文件夹列表")
        name = doc.get("name")
        return (dict(name) if isinstance(name, dict) else None), [site / h for h in halls]
    halls = sorted(p for p in site.iterdir() if (p / "scene.toml").is_file())
    if not halls:
        raise ConfigError(f"{site}: no site.toml and no hall folder with a scene.toml / 未找到展厅场景")
    return None, halls


def load_halls(folders: list[Path]) -> list[Scene]:
    """Load every hall; SceneError lists the problems of the first bad one."""
    return [load_scene(f) for f in folders]
