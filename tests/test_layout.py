"""The shared 2-D layout: units from the short side, measured wrapping, clipping, "+N more", and
reading every drawn text's bounds back from the scene graph."""

from __future__ import annotations

import pytest

from twin_engine import layout
from twin_engine.layout import Canvas, Metrics, Rect, escapes, fit_count, overlaps, text_bounds


def test_unit_follows_the_short_side_in_both_orientations() -> None:
    land, port = Metrics.of((1920, 1080)), Metrics.of((1080, 1920))
    assert land.u == port.u == pytest.approx(1080 * layout.UNIT_OF_SHORT_SIDE)
    assert port.portrait and not land.portrait
    assert Metrics.of((3840, 2160)).u == pytest.approx(2 * land.u)
    assert Metrics.of((320, 240)).u == layout.MIN_UNIT_PX


def test_wrap_keeps_words_breaks_chinese_anywhere_and_cuts_a_word_wider_than_the_line() -> None:
    size = 20.0
    width = max(layout.measure(s, size, None) for s in ("cast in", "moulds")) + 1
    en = layout.wrap("cast in clay moulds", width, size, None)
    assert en == ["cast in", "clay", "moulds"]
    zh = layout.wrap("青铜是铜锡铅的合金。", layout.measure("青铜是铜", size, None) + 1, size, None)
    assert "".join(zh) == "青铜是铜锡铅的合金。" and len(zh) >= 2
    long = layout.wrap("Supercalifragilistic", 60, size, None)
    assert len(long) > 1 and "".join(long) == "Supercalifragilistic"
    assert all(layout.measure(s, size, None) <= 60 for s in long)


def test_clip_ends_in_an_ellipsis_within_the_width() -> None:
    lines = layout.wrap("one two three four five six seven eight nine ten", 80, 20, None)
    cut = layout.clip(lines, 2, 80, 20, None)
    assert len(cut) == 2 and cut[-1].endswith(layout.ELLIPSIS)
    assert layout.measure(cut[-1], 20, None) <= 80
    assert layout.clip(lines[:2], 2, 80, 20, None) == lines[:2]


def test_fit_count_leaves_room_for_the_more_line() -> None:
    assert fit_count([10, 10, 10], 30, 8) == 3  # all fit: no "+N more"
    assert fit_count([10, 10, 10], 29, 8) == 2  # 20 + 8 <= 29
    assert fit_count([10, 10, 10], 25, 8) == 1
    assert fit_count([], 5, 8) == 0


def test_text_bounds_read_the_drawn_glyphs_and_find_overlaps_and_escapes(engine_base) -> None:
    size = (engine_base.win.getXSize(), engine_base.win.getYSize())
    canvas = Canvas(engine_base.render2d, "layout-test", size)
    try:
        panel = canvas.box(Rect(20, 20, 200, 120), (0, 0, 0, 1))
        used = canvas.text("Hello world, a line that wraps inside its panel", panel.inset(8), 18)
        canvas.text("second", panel.inset(8), 18, y=used.bottom + 4)
        texts = text_bounds(canvas.root, engine_base.render2d, size)
        assert len(texts) == len(layout.text_lines("Hello world, a line that wraps inside its panel", 18, None,
                                                   200 - 16)) + 1
        assert not overlaps(texts), layout.describe(overlaps(texts))
        assert not escapes(texts, Metrics.of(size).window)
        first = next(t for t in texts if t.text.startswith("Hello"))
        assert first.rect.x == pytest.approx(28, abs=3) and 28 <= first.rect.y <= 40
        canvas.text("overprint", panel.inset(8), 18)  # drawn on the first line on purpose
        canvas.text("far too long for this box", Rect(600, 300, 30, 20), 18, wrap_w=1000)
        texts = text_bounds(canvas.root, engine_base.render2d, size)
        assert any({a.text, b.text} & {"overprint"} for a, b in overlaps(texts))
        assert [t.text for t in escapes(texts, Metrics.of(size).window)] == ["far too long for this box"]
    finally:
        canvas.root.removeNode()
