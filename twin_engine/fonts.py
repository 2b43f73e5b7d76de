"""A Panda3D font with Chinese glyphs, for every screen (found by :mod:`bridge.fonts`).

Panda3D's built-in font has no CJK glyphs and draws boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.fonts import DEBIAN_PACKAGE, cjk_font_file

__all__ = ["DEBIAN_PACKAGE", "cjk_font_path", "load_font"]


def cjk_font_path() -> tuple[Path, int] | None:
    """(font file, face index) of a CJK-capable font, or None when none is installed."""
    found = cjk_font_file()
    return None if found is None else (found[0], found[1])


_FONTS: dict[tuple[str, int], Any] = {}


def load_font(loader: Any = None, pixels_per_unit: int = 48) -> Any:
    """A Panda3D ``DynamicTextFont`` with CJK glyphs; Panda3D's default font (no CJK) if none is found.

    ``loader`` is accepted for symmetry with ``base.loader`` and not needed.
    """
    from panda3d.core import DynamicTextFont, Filename, TextNode

    found = cjk_font_path()
    if found is None:
        return TextNode.get_default_font()
    key = (str(found[0]), found[1])
    if key not in _FONTS:
        font = DynamicTextFont(Filename.from_os_specific(key[0]), key[1])
        font.set_pixels_per_unit(pixels_per_unit)
        font.set_page_size(1024, 1024)
        _FONTS[key] = font
    return _FONTS[key]
