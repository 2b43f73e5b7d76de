"""A site: one museum and its halls and storerooms, each a scene.

``load_site(path)`` reads either

- a folder of scenes: every sub-folder holding a ``scene.toml`` is a hall; the
  site's id is the folder's name; or
- a ``site.toml`` (or a folder holding one)::

      [site]
      id = "county_museum"
      name = { "zh-CN" = "县博物馆", en = "County museum" }
      timezone = "Asia/Shanghai"

      [[halls]]
      scene = "bronze_hall"        # a scene folder, relative to site.toml
      [[halls]]
      scene = "store_1"
      kind = "storeroom"           # "hall" (default) or "storeroom" (库房)

Hall ids are the scenes' ``[hall] id``: unique within the site, at most 64
characters, no ``/``, ``+`` or ``#`` (they are MQTT topic levels).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.errors import ConfigError
from simulation.scene import Scene, SceneError, load_scene

KINDS = ("hall", "storeroom")
NAME_MAX = 64


@dataclass(frozen=True)
class HallEntry:
    """One hall of a site: its scene and whether it is an exhibition hall or a storeroom."""

    scene: Scene
    kind: str = "hall"

    @property
    def id(self) -> str:
        return self.scene.id


@dataclass(frozen=True)
class Site:
    """A museum: id, names (zh-CN, en), time zone and its halls in order."""

    id: str
    name: dict[str, str]
    timezone: str
    halls: tuple[HallEntry, ...]

    def hall(self, hall_id: str) -> HallEntry:
        """The hall ``hall_id``; KeyError when the site has none of that id."""
        for h in self.halls:
            if h.id == hall_id:
                return h
        raise KeyError(hall_id)

    @property
    def hall_ids(self) -> list[str]:
        return [h.id for h in self.halls]


def check_name(what: str, name: str) -> str:
    """``name`` if it can be a site or hall id (a topic level, a store column); ConfigError otherwise."""
    if not name or len(name) > NAME_MAX or any(c in name for c in "/+#") or name != name.strip():
        raise ConfigError(f"bad {what} id {name!r}: 1-{NAME_MAX} characters, no '/', '+', '#' or outer spaces "
                          f"| {what} 编号无效")
    return name


def load_site(path: str | Path) -> Site:
    """The site at ``path``: a ``site.toml``, a folder holding one, or a folder of scene folders."""
    path = Path(path)
    if path.is_dir() and (path / "site.toml").is_file():
        path = path / "site.toml"
    if path.is_file():
        return _from_toml(path)
    if not path.is_dir():
        raise ConfigError(f"no site at {path}: give a folder of scenes or a site.toml | 找不到场馆配置")
    folders = sorted(p for p in path.iterdir() if (p / "scene.toml").is_file())
    if not folders:
        raise ConfigError(f"{path} holds no scene folders (sub-folders with scene.toml) | 文件夹中没有展厅场景")
    return _site(path.name, {"zh-CN": path.name, "en": path.name}, "UTC", [(f, "hall") for f in folders], path)


def _from_toml(file: Path) -> Site:
    try:
        doc: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML | 不是有效的 TOML: {exc}") from None
    head = doc.get("site", {})
    entries = doc.get("halls")
    if not isinstance(head, dict) or not isinstance(entries, list) or not entries:
        raise ConfigError(f"{file}: needs a [site] table and at least one [[halls]] | 需要 [site] 和 [[halls]]")
    name = head.get("name", {})
    if isinstance(name, str):
        name = {"zh-CN": name, "en": name}
    site_id = str(head.get("id", file.parent.name))
    name = {"zh-CN": str(name.get("zh-CN", site_id)), "en": str(name.get("en", site_id))}
    halls = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("scene"), str):
            raise ConfigError(f"{file}: halls[{i}] needs scene = \"FOLDER\" | 第 {i + 1} 个展厅缺少 scene")
        kind = str(e.get("kind", "hall"))
        if kind not in KINDS:
            raise ConfigError(f"{file}: halls[{i}].kind must be one of {', '.join(KINDS)} | 展厅类型无效: {kind}")
        halls.append(((file.parent / e["scene"]).resolve(), kind))
    return _site(site_id, name, str(head.get("timezone", "UTC")), halls, file)


def _site(site_id: str, name: dict[str, str], tz: str, folders: list[tuple[Path, str]], where: Path) -> Site:
    check_name("site", site_id)
    halls: list[HallEntry] = []
    for folder, kind in folders:
        try:
            scene = load_scene(folder)
        except (SceneError, OSError) as exc:
            raise ConfigError(f"{where}: hall {folder.name}: {exc} | 展厅场景无效") from None
        check_name("hall", scene.id)
        if any(h.id == scene.id for h in halls):
            raise ConfigError(f"{where}: two halls with id {scene.id!r} | 展厅编号重复")
        halls.append(HallEntry(scene, kind))
    owner: dict[str, str] = {}
    for h in halls:
        for s in h.scene.sensors:
            if owner.setdefault(s.topic, h.id) != h.id:  # one ingest: a topic can tell one hall only
                raise ConfigError(f"{where}: topic {s.topic} is in {owner[s.topic]} and {h.id}; a topic belongs to "
                                  f"one hall | 同一主题不能属于两个展厅")
    return Site(site_id, name, tz, tuple(halls))
