"""The CJK font of a report: its file (for the PDF, embedded) and its name (for matplotlib).

Found by :func:`bridge.fonts.cjk_font_file`, as the twin's screens find theirs. Without one the
report would be written in a Latin font with Chinese text as boxes, so :func:`cjk_font` says so instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bridge.errors import ConfigError
from bridge.fonts import cjk_font_file


class FontMissing(ConfigError):
    """No font with Chinese glyphs is installed."""


@lru_cache(maxsize=1)
def cjk_font() -> tuple[Path, int, str]:
    """(file, face index, family name) of a CJK font; :class:`FontMissing` when there is none."""
    found = cjk_font_file()
    if found is None:
        raise FontMissing("no CJK font installed (apt-get install fonts-wqy-microhei) / "
                          "未安装中文字体（请安装 fonts-wqy-microhei）")
    return found


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
