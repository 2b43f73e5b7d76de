"""The kiosk's gallery captions at 1920 x 1080 (name and material · era never overlap, in either
language), and ``relic-twin kiosk --headless`` writing PNG frames with a relic chosen by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.paths import scenes_dir
from simulation.scene import load_scene
from twin_engine.kiosk import CAPTION_GAP, GALLERY_MESH_CY, GALLERY_MESH_SIZE, KioskScreen
from twin_engine.kiosk_gui import label_lines

ROOT = Path(__file__).resolve().parents[1]


class FullHd(KioskScreen):
    """The kiosk's layout at the kiosk's own screen size, whatever the test window is."""

    @property
    def size(self) -> tuple[int, int]:
        return (1920, 1080)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_gallery_captions_stack_without_overlap_at_1920x1080(engine_base: object, lang: str) -> None:
    screen = FullHd(engine_base, load_scene(scenes_dir() / "demo_hall"), lang=lang)
    wrapped = 0
    for relic, r in zip(screen.scene.relics, screen._gallery_layout().values(), strict=True):
        (name, name_top, name_size, _), (sub, sub_top, sub_size, _) = screen.gallery_caption(relic, r)
        name_lines = label_lines(name, name_size, screen.font, r.w * 0.94)
        wrapped += len(name_lines) > 1
        name_bottom = name_top + len(name_lines) * name_size * CAPTION_GAP
        sub_bottom = sub_top + len(label_lines(sub, sub_size, screen.font, r.w * 0.94)) * sub_size * CAPTION_GAP
        mesh_bottom = r.y + r.h * GALLERY_MESH_CY + min(r.w, r.h) * GALLERY_MESH_SIZE / 2
        assert mesh_bottom <= name_top, relic.id
        assert name_bottom <= sub_top, relic.id
        assert sub_bottom <= r.y + r.h, relic.id
    if lang == "en":
        assert wrapped >= 2  # the case that overlapped: names on two lines


def test_kiosk_headless_writes_frames(tmp_path: Path) -> None:
    out = tmp_path / "kiosk"
    done = subprocess.run(
        [sys.executable, "-m", "twin_engine.cli", "kiosk", "--headless", "--out", str(out), "--seconds", "1",
         "--every", "5", "--size", "640x360", "--relic", "Stone gargoyle", "--lang", "en"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "frame_0000.png").is_file() and (out / "last.png").is_file()
    from panda3d.core import Filename, PNMImage

    img = PNMImage(Filename.fromOsSpecific(str(out / "last.png")))
    assert (img.getXSize(), img.getYSize()) == (640, 360)
    centre = np.array([img.getXel(x, y) for x in range(300, 340) for y in range(160, 200)])
    assert centre.mean() > 0.3  # the pale gargoyle fills the middle, not the dark background
    bad = subprocess.run([sys.executable, "-m", "twin_engine.cli", "kiosk", "--headless", "--out", str(out),
                          "--relic", "no-such-relic"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "gargoyle" in bad.stderr and "Traceback" not in bad.stderr
