"""bridge/cli/common.py: the scene prologue and the bad-input epilogue the subcommands share."""

from __future__ import annotations

from pathlib import Path

from bridge.cli.common import InputError, load_scene_or_report, run_or_report
from simulation.paths import scenes_dir


def test_run_or_report_prints_the_text_or_one_line_and_exits_1(capsys) -> None:
    cannot = ("cannot run the model on this record", "无法用该记录运行模型")
    assert run_or_report("relic-twin x", cannot, lambda: "fine") == 0
    assert capsys.readouterr() == ("fine\n", "")

    def bad_input() -> str:
        raise InputError("--step-min must be in 1..360 / 步长须在1到360分钟之间")

    assert run_or_report("relic-twin x", cannot, bad_input) == 1
    assert capsys.readouterr() == ("", "relic-twin x: --step-min must be in 1..360 / 步长须在1到360分钟之间\n")

    def refused() -> str:
        raise ValueError("singular matrix")

    assert run_or_report("relic-twin x", cannot, refused) == 1
    assert capsys.readouterr().err == "relic-twin x: cannot run the model on this record: singular matrix / 无法用该记录运行模型\n"


def test_load_scene_or_report_prints_each_scene_error(tmp_path: Path, capsys) -> None:
    assert load_scene_or_report(scenes_dir() / "demo_hall").id == "demo_hall"
    assert capsys.readouterr().err == ""
    (tmp_path / "scene.toml").write_text('[scene]\nid = "x"\n', encoding="utf-8")
    assert load_scene_or_report(tmp_path) is None
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err
