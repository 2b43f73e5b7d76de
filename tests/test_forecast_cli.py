"""bridge.cli.forecast: ``relic-twin forecast backtest`` on long, wide and logger-export CSVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridge.cli.forecast import backtest_main, parse_duration, regularise

DATA = Path(__file__).parent / "data" / "forecast"


def test_parse_duration() -> None:
    assert parse_duration("15min") == 900
    assert parse_duration("6h") == 21600
    assert parse_duration("90s") == 90
    assert parse_duration("14d") == 14 * 86400
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_regularise_averages_irregular_readings() -> None:
    t = np.array([0.0, 290.0, 310.0, 600.0, 1500.0])
    v = np.array([1.0, 2.0, 4.0, 5.0, 7.0])
    grid, step = regularise(t, v, 300.0)
    assert step == 300.0
    np.testing.assert_allclose(grid, [1.0, 3.0, 5.0, np.nan, np.nan, 7.0])


def test_wide_case_slice(capsys: pytest.CaptureFixture[str]) -> None:
    rc = backtest_main(["--csv", str(DATA / "case1_slice.csv"), "--horizons", "6h,12h"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "== temp" in out and "== RH" in out
    for word in ("persistence", "seasonal_naive", "holt24", "ours", "覆盖率", "coverage"):
        assert word in out
    ours = [line for line in out.splitlines() if line.startswith("ours")]
    ratios = [float(x) for x in ours[0].split()[-2:]]  # temp: ours / persistence at 6 h, 12 h
    assert max(ratios) < 0.8


def test_long_layout_with_series_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(0, 10 * 86400, 600)
    rows = ["when,room,value"]
    for room, phase in (("a", 0.0), ("b", 1.0)):
        for k, s in enumerate(t):
            v = 20 + np.sin(2 * np.pi * s / 86400 + phase) + 0.01 * (k % 7)
            stamp = np.datetime64(int(s) + 1_600_000_000, "s").astype(str)
            rows.append(f"{stamp},{room},{v:.3f}")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rc = backtest_main(
        [
            "--csv",
            str(path),
            "--time-col",
            "when",
            "--value-col",
            "value",
            "--series-col",
            "room",
            "--step",
            "10min",
            "--horizons",
            "3h",
            "--history",
            "5d",
            "--every",
            "5h",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "== a value" in out and "== b value" in out


def test_logger_preamble_and_footer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "\n".join(
        f"2025-08-{12 + k // 288:02d} {(k % 288) // 12:02d}:{(k % 12) * 5:02d}:03,{20 + np.sin(k / 45.8):.2f},{60 + k % 5}"
        for k in range(288 * 6)
    )
    text = "\nExported Sensor Data\nDate Start:,x\n\nExternal\nDate Time,Temperature (C),Humidity (%RH)\n"
    path = tmp_path / "hanwell.csv"
    path.write_text(text + body + "\n\n---- END OF DATA ----,,,,1\n", encoding="utf-8")
    rc = backtest_main(["--csv", str(path), "--horizons", "2h", "--history", "3d", "--every", "3h"])
    out = capsys.readouterr().out
    assert rc == 0 and "Temperature (C)" in out and "Humidity (%RH)" in out


def test_errors_are_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert backtest_main(["--csv", str(DATA / "case1_slice.csv"), "--value-col", "nope"]) == 1
    assert "nope" in capsys.readouterr().err
    assert backtest_main(["--csv", str(tmp_path / "missing.csv")]) == 1
    assert backtest_main(["--csv", str(DATA / "case1_slice.csv"), "--step", "fast"]) == 1


def test_every_model_name_has_an_english_and_a_chinese_label() -> None:
    """Each name the forecasters put in ``models`` reads in both languages in the CLI's table."""
    from bridge.cli.forecast_store import model_label
    from simulation.forecast import HALF, HALVES
    from simulation.forecast_inputs import INPUTS_PREFIX, SERIES_REGRESSION
    from simulation.forecast_models import CANDIDATES

    names = [*CANDIDATES, *(HALF + n for n in HALVES), SERIES_REGRESSION, INPUTS_PREFIX + "outdoor_temperature@O",
             INPUTS_PREFIX + HALF + "outdoor_temperature@O"]
    labels = {n: model_label(n) for n in names}
    for n, text in labels.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (n, text)  # Chinese
        assert any(ch.isascii() and ch.isalpha() for ch in text), (n, text)  # English
    assert len(set(labels.values())) == len(labels)  # no two models read alike
    assert "averaged" in labels[INPUTS_PREFIX + HALF + "outdoor_temperature@O"]
