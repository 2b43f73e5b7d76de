"""A font that has Chinese glyphs, for every screen.

Looked for in this order: ``$RELIC_TWIN_FONT``; a font file shipped under
``assets/fonts``; Debian's ``fonts-wqy-microhei`` (WenQuanYi Micro Hei) or
``fonts-noto-cjk`` (Noto Sans CJK SC); any font fontconfig lists for
``:lang=zh``. Panda3D's built-in font has no CJK glyphs and draws boxes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from simulation.paths import assets_dir

DEBIAN_PACKAGE = "fonts-wqy-microhei"
"""The package the Makefile installs (``apt-get install fonts-wqy-microhei``)."""

# (path, face index in a .ttc collection)
SYSTEM_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # face 2 = SC in Debian's collection
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
)


@lru_cache(maxsize=1)
def cjk_font_path() -> tuple[Path, int] | None:
    """(font file, face index) of a CJK-capable font, or None when none is installed."""
    env = os.environ.get("RELIC_TWIN_FONT")
    if env and Path(env).is_file():
        return Path(env), 0
    shipped = assets_dir() / "fonts"
    if shipped.is_dir():
        for f in sorted(shipped.iterdir()):
            if f.suffix.lower() in (".ttf", ".otf", ".ttc"):
                return f, 0
    for path, face in SYSTEM_FONTS:
        if Path(path).is_file():
            return Path(path), face
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in sorted(out.splitlines()):
            p = Path(line.split(":")[0].strip())
            if p.is_file():
                return p, 0
    return None


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
