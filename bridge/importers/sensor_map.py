"""Which scene sensor each source sensor of a long-format file belongs to.

A file with a sensor column (``location``, ``serial``, ``device`` ...) names
its sensors in its own words: ``"Archive A"``, ``"000001"``, ``"s01"``. Each
source label is mapped to one sensor of the hall's scene, in this order:

1. an explicit ``--map SRC=DST`` (DST must be a sensor of the scene, when one is known);
2. the scene sensor whose ``id`` is the label, exactly;
3. the scene sensor that lists the label in its ``names`` (scene.toml ``names = [...]``);
4. the scene sensor whose id or one of whose names equals the label once both are
   folded (case, spaces, ``_ - .`` ignored: ``"Archive A"`` = ``archive_a``).

A label that matches nothing, or more than one sensor, or a sensor another label
already took, maps to nothing: its rows are quarantined with the reason, never
stored under another sensor. Without a scene, a label that is a plain id
(letters, digits, ``_ - .``) stands for itself; any other needs ``--map``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bridge.errors import ConfigError

PLAIN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
"""A label that may be used as a sensor id as written (no scene to map to)."""


def fold(label: str) -> str:
    """``label`` compared loosely: lower case, without spaces, ``_``, ``-`` or ``.``."""
    return re.sub(r"[\s_.\-]+", "", label).casefold()


def parse_maps(pairs: Iterable[str]) -> dict[str, str]:
    """``["Archive A=S01", ...]`` -> ``{"Archive A": "S01"}``; ConfigError (zh/en) if malformed
    or if two sources name the same sensor."""
    out: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ConfigError(f"--map {pair!r}: expected SOURCE=SENSOR | --map {pair!r}：应为 源=传感器")
        src, dst = src.strip(), dst.strip()
        if src in out and out[src] != dst:
            raise ConfigError(f"--map names {src!r} twice | --map 两次指定 {src!r}")
        out[src] = dst
    taken: dict[str, str] = {}
    for src, dst in out.items():
        if dst in taken:
            raise ConfigError(f"--map {taken[dst]!r} and {src!r} both go to {dst!r}: their readings would be "
                              f"merged | --map {taken[dst]!r} 与 {src!r} 都指向 {dst!r}，读数会被混在一起")
        taken[dst] = src
    return out


@dataclass(frozen=True)
class SceneSensor:
    """What the mapper needs of a scene sensor: its id, the other names it goes by, and the
    quantities the scene says it measures (empty: not known)."""

    id: str
    names: tuple[str, ...] = ()
    quantities: tuple[str, ...] = ()


@dataclass
class SensorMapper:
    """Maps source labels to scene sensor ids, remembering how (for the dry-run table).

    sensors : the hall's scene sensors; None when no scene is known
    explicit : ``--map`` pairs (source label -> sensor id)
    hall : the hall's id, for messages
    """

    sensors: tuple[SceneSensor, ...] | None
    explicit: Mapping[str, str] = field(default_factory=dict)
    hall: str = ""
    how: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sensors is None:
            return
        ids = {s.id for s in self.sensors}
        wrong = sorted(dst for dst in self.explicit.values() if dst not in ids)
        if wrong:
            raise ConfigError(f"--map to {', '.join(wrong)}: not a sensor of hall {self.hall} "
                              f"({', '.join(sorted(ids))}) | --map 的目标 {', '.join(wrong)} 不是展厅 "
                              f"{self.hall} 的传感器")

    def __call__(self, label: str) -> tuple[str | None, str]:
        """The sensor id ``label``'s rows belong to (None: unmapped) and how it was chosen or why not."""
        if label not in self.chosen:
            sensor, how = self._match(label)
            owner = next((src for src, dst in self.chosen.items() if sensor and dst == sensor), None)
            if owner is not None:
                sensor, how = None, (f"unmapped: {sensor} already holds {owner!r}; give --map | "
                                     f"未映射：{sensor} 已对应 {owner!r}，请用 --map 指定")
            self.chosen[label], self.how[label] = sensor, how
        return self.chosen[label], self.how[label]

    def unexpected(self, sensor: str, quantities: Iterable[str]) -> list[str]:
        """Of ``quantities`` read for ``sensor``, those its scene entry does not list."""
        entry = next((s for s in self.sensors or () if s.id == sensor), None)
        if entry is None or not entry.quantities:
            return []
        return sorted(set(quantities) - set(entry.quantities))

    def _match(self, label: str) -> tuple[str | None, str]:
        if label in self.explicit:
            return self.explicit[label], "--map"
        if self.sensors is None:
            if PLAIN_ID.match(label):
                return label, "id (no scene) | 编号（无场景）"
            return None, (f"unmapped: not a plain id and no scene for hall {self.hall}; give --map | "
                          f"未映射：不是简单编号且展厅 {self.hall} 没有场景，请用 --map 指定")
        for s in self.sensors:
            if s.id == label:
                return s.id, "id | 编号"
        named = [s.id for s in self.sensors if label in s.names]
        if len(named) == 1:
            return named[0], "name | 名称"
        loose = [s.id for s in self.sensors if fold(label) in {fold(n) for n in (s.id, *s.names)}]
        if len(loose) == 1:
            return loose[0], "name, loosely | 名称（宽松匹配）"
        several = named or loose
        if several:
            return None, (f"unmapped: matches {', '.join(several)}; give --map | "
                          f"未映射：同时匹配 {', '.join(several)}，请用 --map 指定")
        return None, (f"unmapped: no sensor of hall {self.hall} has this id or name; give --map | "
                      f"未映射：展厅 {self.hall} 没有此编号或名称的传感器，请用 --map 指定")
