"""Material profiles: the conservation limits of each kind of relic.

The limits live in one data file, ``scenes/materials.toml``, each table with
its sources; this module only loads and validates it. A relic in the scene
names its profile by key (``profile = "bronze"``).

Validation collects every problem before failing: :class:`MaterialError`
lists them all, each as ``file: key: what was expected``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from simulation.quantities import QUANTITIES

_BAND_KEYS = frozenset({"low", "high", "max_change_24h", "annual_exposure", "source"})
_PROFILE_KEYS = frozenset({"zh", "en", "group", "same_as"})


class MaterialError(ValueError):
    """A material profile file is invalid; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Band:
    """The allowed range of one quantity for one material.

    quantity : canonical quantity name (``simulation.quantities``)
    low, high : allowed range in the quantity's unit; ``None`` = unbounded on that side
    max_change_24h : largest change allowed within any 24 h (unit of the quantity), or None
    annual_exposure : for illuminance, the allowed lx·h per year, or None (no limit)
    sources : keys into the file's ``[sources]`` table
    """

    quantity: str
    low: float | None = None
    high: float | None = None
    max_change_24h: float | None = None
    annual_exposure: float | None = None
    sources: tuple[str, ...] = ()

    @property
    def width(self) -> float | None:
        """``high - low`` when both bounds are finite and distinct, else None."""
        if self.low is None or self.high is None or self.high <= self.low:
            return None
        return self.high - self.low


@dataclass(frozen=True)
class MaterialProfile:
    """One material's limits: ``bands`` maps quantity name -> :class:`Band`."""

    key: str
    zh: str
    en: str
    group: str
    bands: Mapping[str, Band] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def band(self, quantity: str) -> Band | None:
        """The band for ``quantity``, or None when the material sets no limit on it."""
        return self.bands.get(quantity)

    def label(self, lang: str = "en") -> str:
        """Display name in ``lang`` (``"zh"``/``"zh-CN"`` or ``"en"``)."""
        return self.zh if lang.startswith("zh") else self.en


def default_path() -> Path:
    """``scenes/materials.toml`` of this checkout or install."""
    from simulation.paths import scenes_dir

    return scenes_dir() / "materials.toml"


def load_profiles(path: str | Path | None = None) -> dict[str, MaterialProfile]:
    """Read and validate a material profile file; key -> profile.

    Raises :class:`MaterialError` listing every problem, each naming file and key.
    """
    path = Path(path) if path is not None else default_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MaterialError([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise MaterialError([f"{path}: not valid TOML: {exc}"]) from exc
    return parse_profiles(doc, str(path))


def parse_profiles(doc: Mapping[str, Any], where: str = "<materials>") -> dict[str, MaterialProfile]:
    """Validate an already-parsed document (see :func:`load_profiles`)."""
    errors: list[str] = []
    sources = doc.get("sources", {})
    if not isinstance(sources, dict) or not sources:
        errors.append(f"{where}: sources: expected a table of source key -> citation")
        sources = {}
    defaults = _parse_bands(doc.get("defaults", {}), "defaults", sources, where, errors)
    raw = doc.get("profiles", {})
    if not isinstance(raw, dict) or not raw:
        errors.append(f"{where}: profiles: expected at least one [profiles.<key>] table")
        raw = {}
    own: dict[str, dict[str, Band]] = {}
    for key, table in raw.items():
        if not isinstance(table, dict):
            errors.append(f"{where}: profiles.{key}: expected a table")
            continue
        for name in ("zh", "en", "group"):
            if not isinstance(table.get(name), str) or not table.get(name):
                errors.append(f"{where}: profiles.{key}.{name}: expected a non-empty string")
        bands = {k: v for k, v in table.items() if k not in _PROFILE_KEYS}
        own[key] = _parse_bands(bands, f"profiles.{key}", sources, where, errors)
    profiles: dict[str, MaterialProfile] = {}
    for key, table in raw.items():
        if key not in own:
            continue
        bands = own[key]
        same_as = table.get("same_as")
        if same_as is not None:
            if same_as not in own or raw[same_as].get("same_as") is not None:
                errors.append(f"{where}: profiles.{key}.same_as: {same_as!r} is not a profile "
                              "with its own limits")
                continue
            bands = {**own[same_as], **bands}
        merged = {**defaults, **bands}
        cited = {s for b in merged.values() for s in b.sources}
        if "temperature" not in merged or "relative_humidity" not in merged:
            errors.append(f"{where}: profiles.{key}: needs temperature and relative_humidity limits")
        profiles[key] = MaterialProfile(
            key=key, zh=str(table.get("zh", "")), en=str(table.get("en", "")),
            group=str(table.get("group", "")), bands=MappingProxyType(merged),
            sources=MappingProxyType({s: sources[s] for s in sorted(cited) if s in sources}),
        )
    if errors:
        raise MaterialError(errors)
    return profiles


def _parse_bands(tables: Any, prefix: str, sources: Mapping[str, Any], where: str,
                 errors: list[str]) -> dict[str, Band]:
    out: dict[str, Band] = {}
    if not isinstance(tables, dict):
        errors.append(f"{where}: {prefix}: expected a table")
        return out
    for quantity, t in tables.items():
        at = f"{where}: {prefix}.{quantity}"
        if quantity not in QUANTITIES:
            errors.append(f"{at}: unknown quantity; known: {', '.join(QUANTITIES)}")
            continue
        if not isinstance(t, dict):
            errors.append(f"{at}: expected a table")
            continue
        for extra in sorted(set(t) - _BAND_KEYS):
            errors.append(f"{at}.{extra}: unknown key; expected one of {', '.join(sorted(_BAND_KEYS))}")
        nums: dict[str, float | None] = {}
        for name in ("low", "high", "max_change_24h", "annual_exposure"):
            v = t.get(name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not math.isfinite(v)):
                errors.append(f"{at}.{name}: expected a finite number, got {v!r}")
                v = None
            nums[name] = None if v is None else float(v)
        low, high = nums["low"], nums["high"]
        if low is None and high is None:
            errors.append(f"{at}: needs low or high")
        if low is not None and high is not None and low > high:
            errors.append(f"{at}: low {low} is above high {high}")
        q = QUANTITIES[quantity]
        for name, v in (("low", low), ("high", high)):
            if v is not None and not q.contains(v):
                errors.append(f"{at}.{name}: {v} outside the physical range {q.low}..{q.high} {q.unit}")
        for name in ("max_change_24h", "annual_exposure"):
            v = nums[name]
            if v is not None and v <= 0:
                errors.append(f"{at}.{name}: expected a positive number, got {v}")
        if nums["annual_exposure"] is not None and quantity != "illuminance":
            errors.append(f"{at}.annual_exposure: only illuminance has an annual exposure")
        src = t.get("source")
        if isinstance(src, str):
            src = [src]
        if not isinstance(src, list) or not src:
            errors.append(f"{at}.source: every limit needs at least one source key")
            src = []
        for s in src:
            if s not in sources:
                errors.append(f"{at}.source: {s!r} is not defined in [sources]")
        out[quantity] = Band(quantity, low, high, nums["max_change_24h"], nums["annual_exposure"],
                             tuple(str(s) for s in src))
    return out
