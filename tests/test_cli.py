"""The ``relic-twin`` command line: every subcommand's ``--help``, ``--version``, "did you mean",
and the one error convention (a clear line, exit 1 for bad input, 2 for usage, ``--debug`` for the traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from twin_engine.cli import commands, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", commands())
def test_every_subcommand_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main([name, "--help"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "usage:" in out.out
    assert "not available" not in out.err and "Traceback" not in out.err


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in commands():
        assert f"  {name} " in out
    assert main([]) == 2


def test_version_from_the_console_script() -> None:
    done = subprocess.run([sys.executable, "-m", "twin_engine.cli", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("relic-twin ") and done.stdout.split()[1][0].isdigit()


def test_mistyped_command_suggests_the_right_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serv"]) == 2
    err = capsys.readouterr().err
    assert "did you mean" in err and "'serve'" in err
    assert main(["forcast"]) == 2
    assert "'forecast'" in capsys.readouterr().err
    assert main(["zzzz"]) == 2
    err = capsys.readouterr().err
    assert "未知命令" in err and "did you mean" not in err


def test_usage_error_is_2_and_bad_input_is_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "--no-such-flag"]) == 2
    assert "usage:" in capsys.readouterr().err
    assert main(["forecast", "backtest", "--csv", str(tmp_path / "missing.csv")]) == 1
    err = capsys.readouterr().err
    assert "missing.csv" in err and "Traceback" not in err


@pytest.mark.parametrize("url", ["mysql://u@host/db", "not a url", "postgresql://nobody@127.0.0.1:1/none"])
def test_bad_database_url_is_one_clear_line(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["risk", "--db", url, "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err and "数据库" in err
    assert len(err.strip().splitlines()) <= 3, err


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--debug", "risk", "--db", "mysql://u@host/db", "--data-dir", str(tmp_path)]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_every_command_reads_the_one_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """RELIC_TWIN_DATA_DIR means the same folder to import, quarantine, risk, simulate --from-store and backup."""
    data = tmp_path / "museum-data"
    monkeypatch.setenv("RELIC_TWIN_DATA_DIR", str(data))
    monkeypatch.delenv("RELIC_TWIN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # a ./data here would be the old, wrong default
    logger = ROOT / "tests" / "data" / "loggers" / "Meaco_1.csv"
    assert main(["import", str(logger), "--sensor", "S02"]) == 0  # in the ding's case
    out = capsys.readouterr().out
    assert str(data / "relic-twin.sqlite") in out  # it says where it stored them
    assert (data / "relic-twin.sqlite").is_file() and not (tmp_path / "data").exists()
    assert main(["quarantine"]) == 0
    assert "items in quarantine" in capsys.readouterr().out
    assert main(["risk", "--json"]) == 0  # the 7 days up to the newest stored reading, not up to today
    assert "no stored readings" not in capsys.readouterr().err
    scenario = ROOT / "scenes" / "demo_hall" / "scenarios" / "visitor_crowd.toml"
    assert main(["simulate", str(scenario), "--from-store", "--out", str(tmp_path / "o"), "--cell", "2.0",
                 "--jobs", "1", "--no-report"]) == 0
    assert "no database" not in capsys.readouterr().err
    assert main(["backup"]) == 0
    assert list((data / "backups").iterdir())
    assert not (tmp_path / "data").exists()
