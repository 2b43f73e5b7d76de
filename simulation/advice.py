"""Alert messages and recommendations per cause, in Chinese and English.

The texts live in ``scenes/advice.toml``; this module loads them, checks that
every text exists in both languages and uses only known placeholders, and
renders them for one alert. Lookup goes from the exact cause
(``relative_humidity_high``) to its generic suffix (``high``) to ``default``.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

FIELDS = frozenset({
    "target_zh", "target_en", "quantity_zh", "quantity_en", "value", "limit", "tier_zh", "tier_en",
    "near_zh", "near_en", "eta_zh", "eta_en", "probability",
    "peak", "started", "at", "duration_zh", "duration_en", "clear_zh", "clear_en",
    "last_seen", "silence_zh", "silence_en", "allowed_zh", "allowed_en",
})
"""Placeholders a text may use (see the header of ``scenes/advice.toml``)."""

TEXT_KEYS = ("message_zh", "message_en", "advice_zh", "advice_en")
GENERIC_SUFFIXES = ("change_24h", "high", "low")

_BUILTIN = {
    "default": {
        "message_zh": "{target_zh}出现异常：{value}（限值 {limit}）",
        "message_en": "Out of range at {target_en}: {value} (limit {limit})",
        "advice_zh": "请检查现场情况。",
        "advice_en": "Please check on site.",
    },
}


class AdviceError(ValueError):
    """An advice file is invalid; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Texts:
    """The four texts of one alert."""

    message_zh: str
    message_en: str
    advice_zh: str
    advice_en: str


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class AdviceBook:
    """cause -> its four text templates."""

    causes: Mapping[str, Mapping[str, str]]

    @classmethod
    def builtin(cls) -> AdviceBook:
        """A minimal book (generic texts only), for engines built without the data file."""
        return cls(MappingProxyType(_BUILTIN))

    def templates(self, cause: str) -> Mapping[str, str]:
        """The templates used for ``cause`` (exact, then generic suffix, then default)."""
        if cause in self.causes:
            return self.causes[cause]
        for suffix in GENERIC_SUFFIXES:
            if cause.endswith("_" + suffix) and suffix in self.causes:
                return self.causes[suffix]
        return self.causes.get("default", _BUILTIN["default"])

    def render(self, cause: str, fields: Mapping[str, str]) -> Texts:
        """Fill the templates of ``cause``; a field not given renders as empty text."""
        t = self.templates(cause)
        values = _Blank(fields)
        return Texts(*(t[k].format_map(values) for k in TEXT_KEYS))


def default_path() -> Path:
    """``scenes/advice.toml`` of this checkout or install."""
    from simulation.paths import scenes_dir

    return scenes_dir() / "advice.toml"


def load_advice(path: str | Path | None = None) -> AdviceBook:
    """Read and validate an advice file; :class:`AdviceError` lists every problem."""
    path = Path(path) if path is not None else default_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdviceError([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise AdviceError([f"{path}: not valid TOML: {exc}"]) from exc
    return parse_advice(doc, str(path))


def parse_advice(doc: Mapping[str, Any], where: str = "<advice>") -> AdviceBook:
    """Validate an already-parsed advice document (see :func:`load_advice`)."""
    errors: list[str] = []
    causes = doc.get("causes")
    if not isinstance(causes, dict) or "default" not in causes:
        raise AdviceError([f"{where}: causes: expected [causes.<cause>] tables including [causes.default]"])
    out: dict[str, Mapping[str, str]] = {}
    for cause, table in causes.items():
        at = f"{where}: causes.{cause}"
        if not isinstance(table, dict):
            errors.append(f"{at}: expected a table")
            continue
        for extra in sorted(set(table) - set(TEXT_KEYS)):
            errors.append(f"{at}.{extra}: unknown key; expected {', '.join(TEXT_KEYS)}")
        for key in TEXT_KEYS:
            text = table.get(key)
            if not isinstance(text, str) or not text.strip():
                errors.append(f"{at}.{key}: expected a non-empty text")
                continue
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                errors.append(f"{at}.{key}: bad placeholder syntax: {exc}")
                continue
            for name in sorted(names - FIELDS):
                errors.append(f"{at}.{key}: unknown placeholder {{{name}}}")
        out[cause] = MappingProxyType({k: str(table.get(k, "")) for k in TEXT_KEYS})
    if errors:
        raise AdviceError(errors)
    return AdviceBook(MappingProxyType(out))
