"""Long-format files: a sensor column, each source sensor mapped to a scene sensor, never merged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.cli.import_file import import_main
from bridge.errors import ConfigError, LoggerFileError
from bridge.importers import read_logger_file
from bridge.importers.sensor_map import SceneSensor, SensorMapper, fold, parse_maps

LONG = Path(__file__).parent / "data" / "long" / "library_slice.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous-library-archive" / "sample_data.csv"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
T, RH = "temperature", "relative_humidity"


class MemorySink:
    def __init__(self) -> None:
        self.readings: dict = {}
        self.rejections: list = []

    def add_readings(self, readings: list) -> int:
        before = len(self.readings)
        for r in readings:
            self.readings.setdefault((r.sensor, r.quantity, r.time), r)
        return len(self.readings) - before

    def add_rejections(self, rejections: list) -> int:
        self.rejections.extend(rejections)
        return len(rejections)


def test_sensor_column_found_from_the_header_and_each_row_keeps_its_sensor() -> None:
    result = read_logger_file(LONG, "", now=NOW)
    assert result.sensor_column == "location"  # serial names the same sensors row for row
    assert {k: (v.rows, v.values) for k, v in result.sources.items()} == {
        "Archive A": (6, 12), "Archive B": (6, 12), "Archive C": (6, 12), "Archive D": (6, 12),
        "Case 1": (6, 24)}
    assert result.rejections == []
    c = {r.time: r.value for r in result.readings if r.sensor == "Archive C" and r.quantity == T}
    d = {r.time: r.value for r in result.readings if r.sensor == "Archive D" and r.quantity == T}
    shared = datetime(2021, 9, 1, 0, 30, tzinfo=UTC)
    assert (c[shared], d[shared]) == (20.3, 20.0)  # same instant, both kept, each its own


def test_named_sensor_column_and_unknown_name(tmp_path: Path) -> None:
    result = read_logger_file(LONG, "", now=NOW, sensor_column="SERIAL")
    assert sorted(result.sources) == ["000001", "000002", "000003", "000004", "A0000000"]
    with pytest.raises(LoggerFileError, match="--sensor-column 'probe' is not in the header"):
        read_logger_file(LONG, "", now=NOW, sensor_column="probe")


def test_two_sensor_columns_that_disagree_must_be_chosen(tmp_path: Path) -> None:
    f = tmp_path / "two.csv"
    f.write_text("time,device,location,temperature\n2025-01-01 00:00,a,hall,20\n"
                 "2025-01-01 00:00,b,hall,21\n2025-01-01 00:00,c,store,21\n", encoding="utf-8")
    with pytest.raises(LoggerFileError, match="columns device, location each name sensors"):
        read_logger_file(f, "", now=NOW)
    assert len(read_logger_file(f, "", now=NOW, sensor_column="device").sources) == 3


def test_gap_in_the_first_sensor_is_not_filled_by_another(tmp_path: Path) -> None:
    # the issue-21 bug: read as one sensor, b's 00:10 value was stored as a's (a has a gap there)
    f = tmp_path / "gap.csv"
    f.write_text("time,sensor,temperature\n"
                 "2025-01-01 00:00,a,20.0\n2025-01-01 00:00,b,25.0\n"
                 "2025-01-01 00:10,b,25.5\n"
                 "2025-01-01 00:20,a,20.2\n2025-01-01 00:20,b,25.4\n", encoding="utf-8")
    result = read_logger_file(f, "", now=NOW)
    a = {r.time.minute: r.value for r in result.readings if r.sensor == "a"}
    assert a == {0: 20.0, 20: 20.2} and result.rejections == []


def test_hidden_sensor_column_is_refused_naming_it(tmp_path: Path) -> None:
    f = tmp_path / "hidden.csv"
    f.write_text("time,where,temperature\n2025-01-01 00:00,east,20\n2025-01-01 00:00,west,25\n"
                 "2025-01-01 00:10,west,25.5\n", encoding="utf-8")
    with pytest.raises(LoggerFileError, match="give --sensor-column 'where'"):
        read_logger_file(f, "s", now=NOW)
    g = tmp_path / "grouped.csv"  # grouped by sensor: the times go back where the sensor changes
    g.write_text("time,where,temperature\n2025-01-01 00:00,east,20\n2025-01-01 03:00,east,20\n"
                 "2025-01-01 00:05,west,25\n2025-01-01 03:05,west,25\n", encoding="utf-8")
    with pytest.raises(LoggerFileError, match="'where'"):
        read_logger_file(g, "s", now=NOW)


def test_mapper_by_id_name_loose_name_and_map() -> None:
    scene = (SceneSensor("S01", ("Archive A",)), SceneSensor("S02"), SceneSensor("case_1"))
    m = SensorMapper(scene, parse_maps(["000004=S02"]), "h")
    assert m("S01")[0] == "S01"
    assert m("000004") == ("S02", "--map")
    assert m("Case 1")[0] == "case_1" and "loosely" in m("Case 1")[1]
    assert m("Archive A")[0] is None  # S01 already holds the label "S01": never two sources in one
    assert m("Archive Z")[0] is None and "give --map" in m("Archive Z")[1]
    assert fold(" Archive-A ") == fold("archive_a")
    with pytest.raises(ConfigError, match="both go to 'S01'"):
        parse_maps(["a=S01", "b=S01"])
    with pytest.raises(ConfigError, match="not a sensor of hall h"):
        SensorMapper(scene, {"a": "S09"}, "h")
    no_scene = SensorMapper(None, {}, "h")
    assert no_scene("s-1")[0] == "s-1" and no_scene("Archive A")[0] is None


def test_cli_dry_run_table_names_every_source(capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(LONG), "--hall", "demo_hall", "--dry-run", "--map", "Archive A=S01", "--map", "Case 1=S04"]
    assert import_main(args, now=NOW) == 0
    out = capsys.readouterr().out
    assert "source sensors in column 'location'" in out
    rows = {line.split("  ")[1].strip(): line for line in out.splitlines() if "->" in line and "  " in line}
    for label in ("Archive A", "Archive B", "Archive C", "Archive D", "Case 1"):
        assert any(label in line for line in rows.values()), label
    assert "3 source sensor(s) unmapped" in out and "未映射" in out
    assert "Case 1" in out and "-> S04" in out
    assert "warning" not in out  # S04 measures T, RH, illuminance and UV in the scene


def test_cli_warns_when_a_sensor_gets_a_quantity_the_scene_does_not_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert import_main([str(LONG), "--hall", "demo_hall", "--dry-run", "--map", "Case 1=S01"], now=NOW) == 0
    assert "scene sensor S01 does not list illuminance, uv" in capsys.readouterr().out


def test_cli_stores_each_source_under_its_sensor_and_quarantines_the_rest(
        capsys: pytest.CaptureFixture[str]) -> None:
    sink = MemorySink()
    args = [str(LONG), "--hall", "demo_hall", "--impute", "none", "--map", "Archive A=S01",
            "--map", "Case 1=S04"]
    assert import_main(args, lambda *_: sink, NOW) == 0
    sensors = {k[0] for k in sink.readings}
    assert sensors == {"S01", "S04"} and len(sink.readings) == 12 + 24
    assert len(sink.rejections) == 18  # Archive B, C, D: six rows each, kept raw with the reason
    assert all("maps to no scene sensor" in r.reason for r in sink.rejections)
    assert sink.rejections[0].payload.startswith(b"Anonymous Library,Archive B,")


def test_cli_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert import_main([str(LONG), "--sensor", "S01", "--dry-run"], now=NOW) == 2
    assert "--map SRC=S01 instead of --sensor" in capsys.readouterr().err
    single = Path(__file__).parent / "data" / "loggers" / "Meaco_1.csv"
    assert import_main([str(single), "--dry-run"], now=NOW) == 2
    assert "give --sensor ID" in capsys.readouterr().err
    assert import_main([str(single), "--sensor", "m", "--map", "a=S01", "--dry-run"], now=NOW) == 2
    assert import_main([str(LONG), "--dry-run", "--map", "a=S01", "--map", "b=S01"], now=NOW) == 2
    assert "读数会被混在一起" in capsys.readouterr().err
    assert import_main([str(LONG), "--dry-run", "--map", "Archive A=S99"], now=NOW) == 2
    assert "not a sensor of hall demo_hall" in capsys.readouterr().err


@st.composite
def long_files(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, int, float | None, float | None]]]:
    """Sensors, and rows (sensor, minute, T or None, RH or None) in any order, any gaps."""
    sensors = draw(st.lists(st.sampled_from(["a", "b", "c", "S01", "Archive A", "x-1"]), min_size=1,
                            max_size=4, unique=True))
    cells = st.one_of(st.none(), st.floats(-20, 50, allow_nan=False).map(lambda v: round(v, 2)))
    rh = st.one_of(st.none(), st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)))
    keys = draw(st.lists(st.tuples(st.sampled_from(sensors), st.integers(0, 30)), unique=True, max_size=40))
    rows = [(s, m, draw(cells), draw(rh)) for s, m in keys]
    return sensors, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=long_files(), column=st.sampled_from(["sensor", "location", "device_id", "传感器"]),
       first=st.booleans(), named=st.booleans())
def test_no_reading_is_ever_assigned_to_another_sensor(tmp_path_factory: pytest.TempPathFactory, data: tuple,
                                                       column: str, first: bool, named: bool) -> None:
    sensors, rows = data
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    head = f"{column},time,temperature,relative_humidity" if first else \
        f"time,temperature,{column},relative_humidity"
    lines = [head]
    for s, m, t, rh in rows:
        stamp = (t0 + timedelta(minutes=10 * m)).strftime("%Y-%m-%d %H:%M")
        tt, hh = ("" if t is None else repr(t)), ("" if rh is None else repr(rh))
        lines.append(f'"{s}",{stamp},{tt},{hh}' if first else f'{stamp},{tt},"{s}",{hh}')
    f = tmp_path_factory.mktemp("long") / "f.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # every source label maps to its own scene id (upper-cased, prefixed), by --map
    mapper = SensorMapper(tuple(SceneSensor(f"ID_{i}") for i in range(len(sensors))),
                          {s: f"ID_{i}" for i, s in enumerate(sensors)}, "h")
    try:
        result = read_logger_file(f, "", now=NOW, route=mapper, sensor_column=column if named else None)
    except LoggerFileError as exc:
        assert "no data rows" in str(exc) or "names no" in str(exc)
        return
    if len({s for s, *_ in rows}) < 2 and not named:  # one name in the column: a one-sensor file
        assert result.sensor_column is None
        return
    truth = {(f"ID_{sensors.index(s)}", q, t0 + timedelta(minutes=10 * m), v)
             for s, m, t, rh in rows for q, v in ((T, t), (RH, rh)) if v is not None}
    got = {(r.sensor, r.quantity, r.time, r.value) for r in result.readings}
    assert got == truth
    assert result.rejections == []


@pytest.mark.skipif(not SHARED.is_file(), reason=f"real long-format file not present: {SHARED} "
                    "(the project's ../shared/data folder)")
def test_whole_library_file_maps_five_sensors() -> None:
    mapper = SensorMapper(tuple(SceneSensor(f"L{i}", (n,)) for i, n in enumerate(
        ["Archive A", "Archive B", "Archive C", "Archive D", "Case 1"])), {}, "lib")
    result = read_logger_file(SHARED, "", now=NOW, route=mapper)
    assert {k: v.rows for k, v in result.sources.items()} == {
        "Archive A": 1752, "Archive B": 1748, "Archive C": 1750, "Archive D": 2750, "Case 1": 8000}
    assert {v.sensor for v in result.sources.values()} == {"L0", "L1", "L2", "L3", "L4"}
    assert result.rejections == []
    assert len([r for r in result.readings if r.sensor == "L4"]) == 4 * 8000


# A wide file: the Candanedo house's header (../shared/data/candanedo-house-2016), values made up here
WIDE_HEADER = ("date,ElectricHeater,ECS,Appliances,lights,Ventilation,T1,RH_1,T2,RH_2,T_out,Press_mm_hg,RH_out,"
               "Windspeed,Visibility,Tdewpoint\n")
WIDE_ROWS = ("2016-02-01 00:00:00,  0, 80, 170,30,30, 21.5, 40.1, NA, NA, 4.0,761.4, 82, 5,13.0, 1.1\n"
             "2016-02-01 00:10:00,  0, 70, 150,40,40, 21.6, 40.0, 19.2, 45.5, NA,NA, NA,NA,NA,NA\n")


def test_wide_file_sensors_are_labelled_in_the_header(tmp_path: Path) -> None:
    f = tmp_path / "house.csv"
    f.write_text(WIDE_HEADER + WIDE_ROWS, encoding="utf-8")
    mapper = SensorMapper(None, {"1": "kitchen", "out": "outdoor"}, "house")
    result = read_logger_file(f, "", now=NOW, route=mapper)
    assert result.wide and {k: (v.sensor, v.rows, v.values) for k, v in result.sources.items()} == {
        "1": ("kitchen", 2, 4), "2": ("2", 1, 2), "out": ("outdoor", 1, 2)}
    got = {(r.sensor, r.quantity, r.time.minute): r.value for r in result.readings}
    assert got[("kitchen", T, 10)] == 21.6 and got[("outdoor", RH, 0)] == 82 and ("2", T, 0) not in got
    assert all(r.quantity in (T, RH) for r in result.readings)  # lights (Wh), dew point, pressure: not read
    assert result.rejections == []


def test_wide_file_in_a_zip_with_unmapped_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "house.zip", "w") as z:
        z.writestr("house.csv", WIDE_HEADER + WIDE_ROWS)
    args = [str(tmp_path / "house.zip"), "--hall", "demo_hall", "--dry-run", "--map", "1=S01", "--map", "out=S05"]
    assert import_main(args, now=NOW) == 0
    out = capsys.readouterr().out
    assert "labels in the headers: 1, 2, out" in out and "their columns are not imported" in out
    assert "S01 temperature" in out and "S05 relative_humidity" in out
