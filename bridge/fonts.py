"""The font with Chinese glyphs that every screen, picture and report uses.

Looked for in this order: ``$RELIC_TWIN_FONT``; a font file shipped under
``assets/fonts``; Debian's ``fonts-wqy-microhei`` (WenQuanYi Micro Hei, which the
Makefile installs) or ``fonts-noto-cjk`` (Noto Sans CJK SC); any font fontconfig
lists for ``:lang=zh``. The Panda3D screens (``twin_engine/fonts.py``) and the PDF
reports (``bridge/reports/fonts.py``) both ask :func:`cjk_font_file`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from simulation.paths import assets_dir

DEBIAN_PACKAGE = "fonts-wqy-microhei"
"""The package the Makefile installs (``apt-get install fonts-wqy-microhei``)."""

# (path, face index in a .ttc collection, family name as matplotlib knows it)
SYSTEM_FONTS: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),  # face 2 = SC in Debian's
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "WenQuanYi Zen Hei"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "Noto Serif CJK SC"),
)
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


@lru_cache(maxsize=1)
def cjk_font_file() -> tuple[Path, int, str] | None:
    """(font file, face index, family name or '' when unknown) of a CJK-capable font; None when none is installed."""
    env = os.environ.get("RELIC_TWIN_FONT")
    if env and Path(env).is_file():
        return Path(env), 0, ""
    shipped = assets_dir() / "fonts"
    if shipped.is_dir():
        for f in sorted(shipped.iterdir()):
            if f.suffix.lower() in FONT_SUFFIXES:
                return f, 0, ""
    for path, face, name in SYSTEM_FONTS:
        if Path(path).is_file():
            return Path(path), face, name
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in sorted(out.splitlines()):
            p = Path(line.split(":")[0].strip())
            if p.is_file():
                return p, 0, ""
    return None
