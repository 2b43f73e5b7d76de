"""Every text the visitor kiosk shows itself, in Chinese (zh-CN) and English (en).

Relic names, annotations and everything else about the objects come from
the scene document; only the kiosk's own words are here, looked up
with ``bridge/texts.py`` (scene texts with its ``pick``).
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge.texts import lookup

KIOSK_TEXTS: Mapping[str, Mapping[str, str]] = {
    "touch_to_begin": {"zh-CN": "触摸屏幕，开始参观", "en": "Touch the screen to begin"},
    "gallery_title": {"zh-CN": "选择一件文物", "en": "Choose a relic"},
    "back": {"zh-CN": "返回", "en": "Back"},
    "reset": {"zh-CN": "复位", "en": "Reset"},
    "language": {"zh-CN": "English", "en": "中文"},
    "tour": {"zh-CN": "导览", "en": "Tour"},
    "next": {"zh-CN": "下一个", "en": "Next"},
    "previous": {"zh-CN": "上一个", "en": "Previous"},
    "close": {"zh-CN": "关闭", "en": "Close"},
    "hint_viewer": {"zh-CN": "拖动旋转 · 双指或滚轮缩放 · 点击圆点了解工艺",
                    "en": "Drag to turn · pinch or scroll to zoom · tap a dot to learn how it was made"},
    "still_there": {"zh-CN": "您还在吗？轻触屏幕继续参观", "en": "Are you still there? Touch to continue"},
    "returning_in": {"zh-CN": "{s} 秒后返回首页", "en": "Returning to the start in {s} s"},
    "stand_in": {"zh-CN": "示意模型（非实物扫描）", "en": "Illustrative model (not a scan)"},
    "material": {"zh-CN": "材质", "en": "Material"},
    "era": {"zh-CN": "年代", "en": "Era"},
    "notes_count": {"zh-CN": "{n} 个看点", "en": "{n} highlights"},
    "step": {"zh-CN": "第 {i} / {n} 站", "en": "Stop {i} of {n}"},
    "finish": {"zh-CN": "结束导览", "en": "End tour"},
    "all_highlights": {"zh-CN": "全部看点", "en": "All highlights"},
}


def kt(key: str, lang: str, **fmt: object) -> str:
    """The kiosk text ``key`` in ``lang`` (zh-CN or en), formatted with ``fmt``."""
    return lookup(KIOSK_TEXTS, key, lang, **fmt)
