"""The CJK font of a report: its file (for the PDF, embedded) and its name (for matplotlib).

Looked for as the twin's screens do (``twin_engine/fonts.py``, which ``bridge`` may not
import): ``$RELIC_TWIN_FONT``; Debian's ``fonts-wqy-microhei`` (the Makefile installs it) or
``fonts-noto-cjk``. Without one the report is written in a Latin font and Chinese text
would show as boxes, so :func:`cjk_font` says so instead.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from bridge.errors import ConfigError

# (path, face index in a .ttc collection, family name as matplotlib knows it)
SYSTEM_FONTS: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "WenQuanYi Zen Hei"),
)


class FontMissing(ConfigError):
    """No font with Chinese glyphs is installed."""


@lru_cache(maxsize=1)
def cjk_font() -> tuple[Path, int, str]:
    """(file, face index, family name) of a CJK font; :class:`FontMissing` when there is none."""
    env = os.environ.get("RELIC_TWIN_FONT")
    if env and Path(env).is_file():
        return Path(env), 0, ""
    for path, face, name in SYSTEM_FONTS:
        if Path(path).is_file():
            return Path(path), face, name
    raise FontMissing("no CJK font installed (apt-get install fonts-wqy-microhei) / "
                      "未安装中文字体（请安装 fonts-wqy-microhei）")


def cjk_font_name() -> str:
    """The family name matplotlib should use ('' when only a file was given)."""
    try:
        path, _, name = cjk_font()
    except FontMissing:
        return ""
    if name:
        return name
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()
