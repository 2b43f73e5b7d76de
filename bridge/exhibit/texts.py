"""Every word the web exhibit shows itself, in Chinese (zh-CN) and English (en).

Relic names, annotations and tours come from the scene document; only the
exhibit's own words are here (the kiosk keeps its own in ``twin_engine/kiosk_texts.py``;
the lookup is ``bridge/texts.py``'s, shared by every program).
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge import texts
from bridge.texts import LANGS, full, pick

__all__ = ["EXHIBIT_TEXTS", "LANGS", "both", "full", "pick"]

EXHIBIT_TEXTS: Mapping[str, Mapping[str, str]] = {
    "site_title": {"zh-CN": "线上展览", "en": "Online exhibition"},
    "gallery_lead": {"zh-CN": "选择一件文物，转动它，了解它是怎样制作的。",
                     "en": "Choose a relic, turn it around and learn how it was made."},
    "back": {"zh-CN": "返回全部文物", "en": "All relics"},
    "material": {"zh-CN": "材质", "en": "Material"},
    "era": {"zh-CN": "年代", "en": "Era"},
    "hall": {"zh-CN": "展厅", "en": "Hall"},
    "colon": {"zh-CN": "：", "en": ": "},
    "highlights": {"zh-CN": "看点", "en": "Highlights"},
    "notes_count": {"zh-CN": "{n} 个看点", "en": "{n} highlights"},
    "stand_in": {"zh-CN": "示意模型（非实物扫描）", "en": "Illustrative model (not a scan)"},
    "stand_in_long": {"zh-CN": "这里的三维模型是按文物类型制作的示意模型，不是这件文物的实物扫描；文字介绍的是真实的工艺。",
                      "en": "The 3D model here is an illustration of this kind of object, not a scan of the relic "
                            "itself; the texts describe the real craft."},
    "hint": {"zh-CN": "拖动旋转 · 双指或滚轮缩放 · 点击编号了解工艺 · 键盘：Tab 选择编号，方向键旋转",
             "en": "Drag to turn · pinch or scroll to zoom · tap a number to learn how it was made · "
                   "keyboard: Tab to a number, arrow keys to turn"},
    "model_alt": {"zh-CN": "{name}的可旋转三维模型（{material}，{era}）。{n} 个看点的文字见下方列表。",
                  "en": "Rotatable 3D model of the {name} ({material}, {era}). The {n} highlights are listed "
                        "below as text."},
    "hotspot_label": {"zh-CN": "看点 {i}：{title}", "en": "Highlight {i}: {title}"},
    "close": {"zh-CN": "关闭", "en": "Close"},
    "reset_view": {"zh-CN": "复位视角", "en": "Reset view"},
    "tours": {"zh-CN": "导览", "en": "Guided tours"},
    "start_tour": {"zh-CN": "开始导览", "en": "Start the tour"},
    "next": {"zh-CN": "下一站", "en": "Next stop"},
    "previous": {"zh-CN": "上一站", "en": "Previous stop"},
    "finish": {"zh-CN": "结束导览", "en": "End tour"},
    "step": {"zh-CN": "第 {i} / {n} 站", "en": "Stop {i} of {n}"},
    "choose_note": {"zh-CN": "点击模型上的编号或下方列表中的看点，这里会显示它的介绍。",
                    "en": "Choose a number on the model or a highlight in the list below to read about it here."},
    "downloads": {"zh-CN": "下载与交换", "en": "Downloads"},
    "download_glb": {"zh-CN": "三维模型（glTF 二进制，{size}）", "en": "3D model (glTF binary, {size})"},
    "download_voyager": {"zh-CN": "Smithsonian Voyager 场景文档（含看点）",
                         "en": "Smithsonian Voyager document (with highlights)"},
    "model_facts": {"zh-CN": "模型：{faces} 个三角面", "en": "Model: {faces} triangles"},
    "licences": {"zh-CN": "软件与许可", "en": "Software and licences"},
    "licences_lead": {"zh-CN": "本展览离线运行，不从任何外部网站加载内容。三维查看器及其组件如下：",
                      "en": "This exhibition runs offline and loads nothing from other sites. The 3D viewer and "
                            "its parts:"},
    "model_sources": {"zh-CN": "模型来源见项目的 assets/SOURCES.md。", "en": "Model sources: the project's "
                      "assets/SOURCES.md."},
    "no_script": {"zh-CN": "三维模型需要启用 JavaScript；文字介绍在下方。",
                  "en": "The 3D model needs JavaScript; the texts are below."},
    "loading": {"zh-CN": "正在载入三维模型…", "en": "Loading the 3D model…"},
    "generated": {"zh-CN": "由 relic-twin 生成", "en": "Made with relic-twin"},
    "skip": {"zh-CN": "跳到正文", "en": "Skip to content"},
}


def both(key: str, **fmt: object) -> dict[str, str]:
    """The exhibit text ``key`` in every language, formatted with ``fmt``."""
    return texts.both(EXHIBIT_TEXTS, key, **fmt)
