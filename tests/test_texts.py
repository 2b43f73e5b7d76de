"""The one zh/en text lookup (bridge/texts.py) and the programs' own text tables that use it."""

from __future__ import annotations

import pytest

from bridge import texts


def test_pick_falls_back_across_languages_and_lookup_formats() -> None:
    assert texts.pick({"zh-CN": "鼎", "en": "ding"}, "zh") == "鼎"
    assert texts.pick({"zh-CN": "鼎", "en": "ding"}, "en") == "ding"
    assert texts.pick({"en": "ding"}, "zh-CN") == "ding"  # missing Chinese: English
    assert texts.pick({"zh-CN": "鼎"}, "en") == "鼎"  # missing English: what there is
    table = {"n": {"zh-CN": "{n} 项", "en": "{n} items"}}
    assert texts.lookup(table, "n", "zh-CN", n=3) == "3 项"
    assert texts.both(table, "n", n=2) == {"zh-CN": "2 项", "en": "2 items"}
    assert texts.full({"en": "x"}) == {"zh-CN": "x", "en": "x"}


@pytest.mark.parametrize("module, table", [("bridge.exhibit.texts", "EXHIBIT_TEXTS"),
                                           ("twin_engine.kiosk_texts", "KIOSK_TEXTS"),
                                           ("twin_engine.whatif_player", "TEXTS"),
                                           ("twin_engine.texts", "TEXTS")])
def test_every_program_text_exists_in_both_languages(module: str, table: str) -> None:
    import importlib

    entries = getattr(importlib.import_module(module), table)
    for key, entry in entries.items():
        assert set(texts.LANGS) <= set(entry), f"{module}.{table}[{key!r}] lacks a language"
        assert all(entry[lang].strip() for lang in texts.LANGS), key


def test_the_programs_look_up_through_bridge_texts() -> None:
    from twin_engine import kiosk_texts, whatif_player
    from twin_engine import texts as monitor_texts

    assert kiosk_texts.kt("step", "zh-CN", i=1, n=4) == "第 1 / 4 站"
    assert whatif_player.tr("more", "en").format(n=2).startswith("+2 more")
    assert monitor_texts.t("no_alerts", "zh") == "无告警" and monitor_texts.pick is texts.pick
