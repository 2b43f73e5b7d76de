"""Import: epoch times, header aliases, .xlsx workbooks, fixed-offset clocks and summer-time jumps."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.cli.import_file import import_main
from bridge.errors import LoggerFileError
from bridge.importers import read_logger_file, textio
from bridge.importers.columns import ALIASES, parse_header

HERE = Path(__file__).parent
LONG = HERE / "data" / "long" / "library_slice.csv"
UCI = HERE.parents[1] / "shared" / "data" / "uci-occupancy" / "datatest.txt"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
T, RH = "temperature", "relative_humidity"


def write(tmp_path: Path, name: str, text: str) -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_epoch_seconds_and_milliseconds_by_magnitude(tmp_path: Path) -> None:
    s = read_logger_file(write(tmp_path, "s.csv", "timestamp,temperature\n1735689600,20\n1735690200,21\n"), "x")
    ms = read_logger_file(write(tmp_path, "m.csv", "ts,temperature\n1735689600000,20\n1735690200500,21\n"), "x")
    assert [r.time for r in s.readings] == [datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 0, 10, tzinfo=UTC)]
    assert ms.readings[1].time == datetime(2025, 1, 1, 0, 10, 0, 500000, tzinfo=UTC)
    assert any("milliseconds" in n for n in ms.notes)
    # Unix time is UTC whatever the logger's zone
    shanghai = read_logger_file(tmp_path / "s.csv", "x", tz="Asia/Shanghai")
    assert shanghai.readings[0].time == s.readings[0].time


@pytest.mark.parametrize("cells, why", [
    (["20250101"], "not Unix time in seconds"),        # YYYYMMDD: neither magnitude
    (["1735689600", "1735690200000"], "mixes Unix seconds, milliseconds"),
])
def test_epoch_ambiguous_is_a_clear_error(tmp_path: Path, cells: list[str], why: str) -> None:
    f = write(tmp_path, "e.csv", "time,temperature\n" + "".join(f"{c},20\n" for c in cells))
    with pytest.raises(LoggerFileError, match=why) as err:
        read_logger_file(f, "x")
    assert "e.csv:2" in str(err.value) and "无法" in str(err.value)


@pytest.mark.parametrize("header, quantity, unit", [
    ("RelH", RH, None), ("rH", RH, None), ("Humidity", RH, None), ("Temp", T, None),
    ("Temperature_C", T, "C"), ("Temp_F", T, "F"), ("°C", T, "°C"), ("%RH", RH, "%RH"),
    ("Lux", "illuminance", "lx"), ("UV", "uv", None), ("CO2", "co2", None), ("CO2 ppm", "co2", "ppm"),
    ("Celsius(°C)", T, "°C"), ("Humidity(%rh)", RH, "%RH"), ("Humidity_pct", RH, "%"),
    ("温度(℃)", T, "℃"), ("湿度(%RH)", RH, "%RH"),
    ("Dew Point(°C)", None, None), ("HumidityRatio", None, None), ("Absolute Humidity(g/m^3)", None, None),
    ("Temperature_min", None, None), ("set/%", None, None), ("RH_1", None, None),
])
def test_header_aliases(header: str, quantity: str | None, unit: str | None) -> None:
    assert parse_header(header) == (quantity, unit)


def test_alias_table_gives_a_source_for_every_alias() -> None:
    assert all(len(row) == 5 and row[4].strip() for row in ALIASES)
    assert {row[1] for row in ALIASES} == {"name", "part"}


def test_fahrenheit_header_suffix_converts(tmp_path: Path) -> None:
    f = write(tmp_path, "f.csv", "Date Time,Temp_F,RelH\n2025-01-01 00:00,68,45\n")
    result = read_logger_file(f, "x")
    assert {r.quantity: round(r.value, 6) for r in result.readings} == {T: 20.0, RH: 45.0}


def test_r_row_names_are_skipped(tmp_path: Path) -> None:
    # R's write.csv (uci-occupancy): the header names 7 columns, each row has 8, the first its row name
    f = write(tmp_path, "uci.csv", '"date","Temperature","Humidity","Light","CO2","HumidityRatio","Occupancy"\n'
              '"140","2015-02-02 14:19:00",23.7,26.272,585.2,749.2,0.00476416302416414,1\n')
    result = read_logger_file(f, "x")
    assert {r.quantity: r.value for r in result.readings} == {
        T: 23.7, RH: 26.272, "illuminance": 585.2, "co2": 749.2}
    assert result.rejections == []


@pytest.mark.skipif(not UCI.is_file(), reason=f"{UCI} not present (the project's ../shared/data folder)")
def test_uci_occupancy_file_imports_whole() -> None:
    result = read_logger_file(UCI, "office")
    assert result.rejections == [] and len([r for r in result.readings if r.quantity == RH]) == 2665


def _workbook(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Data"
    with LONG.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    sheet.append(rows[0])
    for r in rows[1:]:
        when = datetime.fromisoformat(r[2].removesuffix("Z"))
        sheet.append([r[0], r[1], when, float(r[3]), float(r[4]), None if r[5] == "NA" else float(r[5]),
                      None if r[6] == "NA" else float(r[6]), r[7], r[8]])
    book.save(path)
    return path


def test_xlsx_workbook_reads_like_its_csv(tmp_path: Path) -> None:
    book = read_logger_file(_workbook(tmp_path / "library.xlsx"), "", now=NOW)
    text = read_logger_file(LONG, "", now=NOW)
    assert book.encoding == "xlsx sheet 'Data'" and book.sensor_column == "location"
    key = [(r.sensor, r.quantity, r.time, r.value) for r in text.readings]
    assert [(r.sensor, r.quantity, r.time, r.value) for r in book.readings] == key


def test_xlsx_bad_row_is_quarantined_as_its_line(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Time", "Temperature (°C)"])
    sheet.append([datetime(2025, 1, 1), 20.5])
    sheet.append([datetime(2025, 1, 1, 0, 10), "broken"])
    book.save(tmp_path / "b.xlsx")
    result = read_logger_file(tmp_path / "b.xlsx", "x")
    assert [r.value for r in result.readings] == [20.5]
    assert result.rejections[0].source.endswith("b.xlsx:3")
    assert result.rejections[0].payload == b"2025-01-01 00:10:00,broken"


def test_damaged_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "d.xlsx", "w") as z:
        z.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(LoggerFileError, match="not a readable .xlsx workbook"):
        read_logger_file(tmp_path / "d.xlsx", "x")


def test_clock_offset_zone() -> None:
    assert textio.zone("+08:00").utcoffset(None) == timedelta(hours=8)
    assert textio.zone("-0530").utcoffset(None) == -timedelta(hours=5, minutes=30)
    assert textio.zone("UTC+8").utcoffset(None) == timedelta(hours=8)
    with pytest.raises(ValueError, match="beyond"):
        textio.zone("+15:00")


def _half_hours(day: str, walls: list[str]) -> str:
    return "time,temperature\n" + "".join(f"{day} {w},{20 + 0.1 * i:.1f}\n" for i, w in enumerate(walls))


HALF_HOURS = [f"{h:02d}:{m:02d}" for h in range(5) for m in (0, 30)]


def test_fixed_clock_read_with_a_summer_time_zone_warns(tmp_path: Path) -> None:
    spring = read_logger_file(write(tmp_path, "s.csv", _half_hours("2025-03-30", HALF_HOURS)), "s",
                              tz="Europe/London")
    assert len(spring.clock_jumps) == 1 and not spring.clock_jumps[0].forward
    assert any("--clock-offset +00:00" in n and "Europe/London" in n for n in spring.notes)
    fixed = read_logger_file(tmp_path / "s.csv", "s", tz="+00:00")  # the remedy: nothing rejected, no jump
    assert fixed.rejections == [] and fixed.clock_jumps == [] and len(fixed.readings) == 10


def test_summer_time_clock_read_as_fixed_offset_warns_and_the_hour_stays_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    walls = ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30", "04:00"]  # 01:00-02:00 never happened
    f = write(tmp_path, "a.csv", _half_hours("2025-03-30", walls))
    result = read_logger_file(f, "s", tz="+00:00")
    assert len(result.clock_jumps) == 1 and result.clock_jumps[0].forward
    assert result.clock_jumps[0].zone == "Europe/London"
    assert any("--tz" in n for n in result.notes)
    assert import_main([str(f), "--sensor", "s", "--clock-offset", "+00:00", "--dry-run"], now=NOW) == 0
    out = capsys.readouterr().out
    assert "missing hour is not interpolated" in out and "imputed" not in out
    assert read_logger_file(f, "s", tz="Europe/London").clock_jumps == []  # the right zone: no jump


def test_clock_offset_cli_converts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "c.csv", "time,temperature\n2025-07-01 08:00,25\n")
    assert import_main([str(f), "--sensor", "s", "--clock-offset", "+08:00", "--dry-run"], now=NOW) == 0
    assert "2025-07-01T00:00:00+00:00 25" in capsys.readouterr().out


def test_an_hour_gap_away_from_a_summer_time_change_is_only_a_gap(tmp_path: Path) -> None:
    walls = ["18:00", "18:10", "19:20", "19:30", "19:40", "19:50"]  # 70 min step in July: data missing
    f = write(tmp_path, "g.csv", "time,temperature\n" + "".join(f"2016-07-17 {w},20\n" for w in walls))
    assert read_logger_file(f, "s", tz="Europe/Brussels").clock_jumps == []


def test_sensors_that_jump_together_get_one_warning(tmp_path: Path) -> None:
    rows = "".join(f"2025-03-30 {w},{20 + i},{21 + i}\n" for i, w in enumerate(HALF_HOURS))
    f = write(tmp_path, "w.csv", "time,T1,T2\n" + rows)
    result = read_logger_file(f, "", tz="Europe/London")
    assert len(result.clock_jumps) == 2
    assert [n for n in result.notes if "jump" in n] == [next(n for n in result.notes if "sensors 1, 2:" in n)]


def test_excel_day_numbers_are_wall_clock_time(tmp_path: Path) -> None:
    f = write(tmp_path, "x.csv", "Date,Temperature\n45658.5,20\n45658.75,21\n")  # 2025-01-01 12:00, 18:00
    result = read_logger_file(f, "s", tz="Asia/Shanghai")
    assert [r.time for r in result.readings] == [datetime(2025, 1, 1, 4, tzinfo=UTC),
                                                 datetime(2025, 1, 1, 10, tzinfo=UTC)]
    assert any("Excel day numbers" in n for n in result.notes)


def test_a_dst_fold_with_a_changing_text_column_is_not_taken_for_two_sensors(tmp_path: Path) -> None:
    walls = ["00:30", "01:00", "01:30", "01:00", "01:30", "02:00"]
    notes = ["ok", "ok", "ok", "door open", "door open", "ok"]
    f = write(tmp_path, "n.csv", "time,temperature,remark\n" + "".join(
        f"2025-10-26 {w},{20 + i},{n}\n" for i, (w, n) in enumerate(zip(walls, notes, strict=True))))
    result = read_logger_file(f, "s", tz="Europe/London")
    assert result.rejections == [] and len(result.readings) == 6
