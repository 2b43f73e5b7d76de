"""The one zh/en text lookup every program shares (exhibit, kiosk, what-if player, monitor).

Texts are tables keyed by language tag, ``{"zh-CN": ..., "en": ...}``: a
scene's names and notes (:func:`pick`), and each program's own words in a
table of such tables (:func:`lookup`, :func:`both`). A Chinese request
(``"zh-CN"`` or ``"zh"``) falls back to English, English to whatever the
table has, so a text missing in one language still shows.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("zh-CN", "en")
"""The languages every user-facing text exists in."""

TextTable = Mapping[str, str]


def is_chinese(lang: str) -> bool:
    return lang.startswith("zh")


def pick(text: TextTable, lang: str) -> str:
    """``text`` (``{"zh-CN": ..., "en": ...}``) in ``lang``, falling back to the other language."""
    if is_chinese(lang):
        return text.get("zh-CN") or text.get("zh") or text.get("en", "")
    return text.get("en") or next(iter(text.values()), "")


def lookup(table: Mapping[str, TextTable], key: str, lang: str, **fmt: object) -> str:
    """The text ``key`` of ``table`` in ``lang``, formatted with ``fmt`` (``str.format`` fields)."""
    s = pick(table[key], lang)
    return s.format(**fmt) if fmt else s


def both(table: Mapping[str, TextTable], key: str, **fmt: object) -> dict[str, str]:
    """The text ``key`` of ``table`` in every language of :data:`LANGS`, formatted with ``fmt``."""
    return {lang: lookup(table, key, lang, **fmt) for lang in LANGS}


def full(text: TextTable) -> dict[str, str]:
    """A scene text table with every language of :data:`LANGS` present (falling back as :func:`pick` does)."""
    return {lang: pick(text, lang) for lang in LANGS}
