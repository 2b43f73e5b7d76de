"""Logger-file importers: every real sample, by value, time and unit; malformed files; CLI."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.cli.import_file import import_main
from bridge.cli.quarantine import quarantine_main
from bridge.errors import LoggerFileError
from bridge.importers import read_logger_file, textio
from bridge.readings import Reading, Rejection

DATA = Path(__file__).parent / "data" / "loggers"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
T, RH, LX, UV = "temperature", "relative_humidity", "illuminance", "uv"


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


# file -> (format, encoding, {quantity: (count, first time, first value, last time, last value)})
EXPECTED = {
    "Hanwell_1.csv": ("hanwell", "utf-8-sig", {
        T: (10, "2025-11-21 00:00", 18.5, "2025-11-21 04:30", 18.3),
        RH: (10, "2025-11-21 00:00", 40.5, "2025-11-21 04:30", 40.6)}),
    "hanwell_external_2025-08_slice.csv": ("hanwell", "utf-8-sig", {
        T: (301, "2025-08-12 00:06:03", 22.8, "2025-08-13 05:35:10", 21.6),
        RH: (301, "2025-08-12 00:06:03", 60.2, "2025-08-13 05:35:10", 68.8)}),
    "Meaco_1.csv": ("meaco", "utf-8-sig", {
        T: (10, "2025-11-06 15:59", 23.06, "2025-11-06 18:09", 21.43),
        RH: (10, "2025-11-06 15:59", 54.91, "2025-11-06 18:09", 56.20)}),
    "Meaco_2.csv": ("meaco", "utf-8-sig", {
        LX: (10, "2025-10-15 15:08", 24.0, "2025-10-15 18:07", 23.0),
        UV: (10, "2025-10-15 15:08", 0.0, "2025-10-15 18:07", 0.0)}),
    "Meaco_3.csv": ("meaco", "utf-8-sig", {
        T: (10, "2025-12-31 00:04", 17.25, "2025-12-31 01:33", 17.25),
        RH: (10, "2025-12-31 00:04", 45.59, "2025-12-31 01:33", 45.59)}),
    "Meaco_4.csv": ("meaco", "utf-8-sig", {
        LX: (10, "2026-03-04 07:15", 6.0, "2026-03-04 10:18", 122.0),
        UV: (10, "2026-03-04 07:15", 0.0, "2026-03-04 10:18", 0.0)}),
    "miniClima_1.csv": ("miniclima", "utf-8-sig", {
        T: (10, "2025-08-07 00:00", 22.0, "2025-08-07 03:00", 22.0),
        RH: (10, "2025-08-07 00:00", 55.0, "2025-08-07 03:00", 55.0)}),
    "Rotronic_1.csv": ("rotronic", "utf-8-sig", {
        RH: (10, "2020-01-24 13:37:22", 37.9, "2020-01-29 01:37:22", 37.7),
        T: (10, "2020-01-24 13:37:22", 20.0, "2020-01-29 01:37:22", 20.3)}),
    "Rotronic_2.xls": ("rotronic", "latin-1", {
        RH: (10, "2020-01-24 13:08:35", 41.8, "2020-01-29 01:08:35", 28.0),
        T: (10, "2020-01-24 13:08:35", 22.2, "2020-01-29 01:08:35", 22.2)}),
    "TandD_1.csv": ("tandd", "latin-1", {
        LX: (10, "2021-08-21 08:06", 21.53, "2021-08-21 10:21", 20.15),
        UV: (10, "2021-08-21 08:06", 0.0, "2021-08-21 10:21", 0.0),
        T: (10, "2021-08-21 08:06", 22.7, "2021-08-21 10:21", 23.0),
        RH: (10, "2021-08-21 08:06", 53.0, "2021-08-21 10:21", 53.0)}),
    "Case_1_A0000000.csv": ("tandd", "utf-8-sig", {
        LX: (10, "2021-08-21 08:06", 21.53, "2021-08-21 10:21", 20.15),
        UV: (10, "2021-08-21 08:06", 0.0, "2021-08-21 10:21", 0.0),
        T: (10, "2021-08-21 08:06", 22.7, "2021-08-21 10:21", 23.0),
        RH: (10, "2021-08-21 08:06", 53.0, "2021-08-21 10:21", 53.0)}),
    "TandD_2.csv": ("tandd", "latin-1", {
        LX: (10, "2021-11-12 15:51", 6.27, "2021-11-12 18:06", 0.06),
        UV: (10, "2021-11-12 15:51", 0.0, "2021-11-12 18:06", 0.0),
        T: (10, "2021-11-12 15:51", 20.5, "2021-11-12 18:06", 20.5),
        RH: (10, "2021-11-12 15:51", 51.0, "2021-11-12 18:06", 52.0)}),
    "TinyTag_1.csv": ("tinytag", "utf-8-sig", {
        T: (10, "2021-07-26 14:26", 20.873, "2021-07-26 18:56", 20.887),
        RH: (10, "2021-07-26 14:26", 53.4, "2021-07-26 18:56", 53.2)}),
    "TinyTag_2.csv": ("tinytag", "latin-1", {
        T: (10, "2021-09-01 08:58", 20.2, "2021-09-01 13:28", 20.2),
        RH: (10, "2021-09-01 08:58", 47.6, "2021-09-01 13:28", 47.2)}),
    "Trend_1.csv": ("trend", "utf-8-sig", {
        T: (10, "2021-09-01 00:30", 20.6, "2021-09-01 05:00", 20.7)}),
    "Trend_2.csv": ("trend", "utf-8-sig", {
        RH: (10, "2022-06-01 00:00", 45.2, "2022-06-01 09:00", 45.1)}),
    "Trend_P0000_Archive_B_Space_Temp_1.csv": ("trend", "utf-8-sig", {
        T: (10, "2021-01-01 00:00", 14.5, "2021-01-10 00:00", 13.2)}),
}
UNITS = {T: "°C", RH: "%RH", LX: "lx", UV: "µW/lm"}


def test_every_shipped_sample_is_in_the_table() -> None:
    shipped = {p.name for p in DATA.iterdir() if p.suffix in (".csv", ".xls")}
    assert shipped == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_values_times_units(name: str) -> None:
    fmt, encoding, per_quantity = EXPECTED[name]
    result = read_logger_file(DATA / name, "s1", now=NOW)
    assert (result.format, result.encoding) == (fmt, encoding)
    assert result.rejections == []
    got = {r.quantity for r in result.readings}
    assert got == set(per_quantity)
    for quantity, (n, t0, v0, t1, v1) in per_quantity.items():
        rs = [r for r in result.readings if r.quantity == quantity]
        assert len(rs) == n
        assert (rs[0].time, rs[-1].time) == (utc(t0), utc(t1))
        assert rs[0].value == pytest.approx(v0) and rs[-1].value == pytest.approx(v1)
        assert {r.unit for r in rs} == {UNITS[quantity]} and {r.sensor for r in rs} == {"s1"}
        assert all(r.time.tzinfo is UTC for r in rs)


def test_tandd_2_uv_at_low_light_is_zero_content() -> None:
    # TandD_2 has UV 0 with light down to 0.06 lx: UV content 0 µW/lm, kept
    rs = [r for r in read_logger_file(DATA / "TandD_2.csv", "c").readings if r.quantity == UV]
    assert len(rs) == 10 and {r.value for r in rs} == {0.0}


def test_uv_irradiance_becomes_content_with_same_row_lux(tmp_path: Path) -> None:
    text = (DATA / "TandD_1.csv").read_bytes().replace(b'"21.53","0.000"', b'"21.53","0.002"')
    f = tmp_path / "t.csv"
    f.write_bytes(text)
    uv = [r for r in read_logger_file(f, "c").readings if r.quantity == UV][0]
    # 0.002 mW/cm² = 20 000 µW/m²; / 21.53 lx = 928.9 µW/lm (CIE 157)
    assert uv.value == pytest.approx(0.002 * 1e7 / 21.53)


def test_hanwell_long_footer_is_not_data() -> None:
    result = read_logger_file(DATA / "hanwell_external_2025-08_slice.csv", "ext")
    assert max(r.value for r in result.readings if r.quantity == T) < 30  # footer Maximum 29.6 not read
    assert result.rejections == []


def test_time_zone_converts_local_time_to_utc() -> None:
    summer = read_logger_file(DATA / "hanwell_external_2025-08_slice.csv", "x", tz="Europe/London")
    assert summer.readings[0].time == utc("2025-08-11 23:06:03")  # BST = UTC+1
    winter = read_logger_file(DATA / "Meaco_3.csv", "x", tz="Europe/London")
    assert winter.readings[0].time == utc("2025-12-31 00:04")  # GMT = UTC
    shanghai = read_logger_file(DATA / "Trend_1.csv", "x", tz="Asia/Shanghai")
    assert shanghai.readings[0].time == utc("2021-08-31 16:30")


def test_repeated_hour_when_summer_time_ends(tmp_path: Path) -> None:
    f = tmp_path / "dst.csv"
    f.write_text("time,temperature\n" + "".join(
        f"2025-10-26 {hm},{i}\n" for i, hm in enumerate(["00:30", "01:00", "01:30", "01:00", "01:30",
                                                         "02:00"])))
    result = read_logger_file(f, "s", tz="Europe/London")
    assert result.rejections == []
    assert [r.time for r in result.readings] == [
        utc("2025-10-25 23:30"), utc("2025-10-26 00:00"), utc("2025-10-26 00:30"),
        utc("2025-10-26 01:00"), utc("2025-10-26 01:30"), utc("2025-10-26 02:00")]


def test_unknown_time_zone_is_an_error() -> None:
    with pytest.raises(LoggerFileError, match="Mars/Olympus"):
        read_logger_file(DATA / "Trend_1.csv", "x", tz="Mars/Olympus")


def test_detection_is_by_content_not_extension(tmp_path: Path) -> None:
    for src, dst in (("Rotronic_2.xls", "r.csv"), ("Hanwell_1.csv", "h.xls"), ("Trend_1.csv", "t.txt")):
        shutil.copy(DATA / src, tmp_path / dst)
        assert read_logger_file(tmp_path / dst, "s").format == read_logger_file(DATA / src, "s").format


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").split("\n")


def test_bad_rows_are_rejected_with_file_and_line(tmp_path: Path) -> None:
    lines = _lines(DATA / "Hanwell_1.csv")
    lines[15] = "01:00:00 21/Nov/2025,abc,40.5,"  # line 16
    lines[16] = "31:30:00 21/Nov/2025,18.4,40.5,"  # line 17: no such hour
    lines[17] = "02:00:00 21/Nov/2025,18.4,140.3,"  # line 18: RH 140 % is impossible
    f = tmp_path / "bad.csv"
    f.write_text("\n".join(lines), encoding="utf-8")
    result = read_logger_file(f, "s", now=NOW)
    by_line = {r.source: r for r in result.rejections}
    assert set(by_line) == {f"{f}:16", f"{f}:17", f"{f}:18"}
    assert "'abc' is not a number" in by_line[f"{f}:16"].reason
    assert "31:30:00" in by_line[f"{f}:17"].reason
    assert "physical range" in by_line[f"{f}:18"].reason and "物理范围" in by_line[f"{f}:18"].reason
    assert by_line[f"{f}:16"].payload == b"01:00:00 21/Nov/2025,abc,40.5,"
    assert all(r.received_at == NOW for r in result.rejections)
    # the good cells of those rows still count: RH on 16, T on 18; nothing on 17
    assert len([r for r in result.readings if r.quantity == T]) == 8
    assert len([r for r in result.readings if r.quantity == RH]) == 8


def test_unknown_layout_names_line_1(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("hello world\nthis is not a logger file\n", encoding="utf-8")
    with pytest.raises(LoggerFileError, match=r"x\.csv:1: unknown logger format"):
        read_logger_file(f, "s")


def test_rotronic_without_data_section_names_a_line(tmp_path: Path) -> None:
    lines = [s for s in _lines(DATA / "Rotronic_1.csv") if not s.startswith("[#D]")]
    f = tmp_path / "r.csv"
    f.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(LoggerFileError, match=r"r\.csv:\d+: Rotronic file without a \[#D\]"):
        read_logger_file(f, "s")


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(LoggerFileError, match="empty"):
        read_logger_file(empty, "s")
    header = tmp_path / "h.csv"
    header.write_text("time,temperature (°C)\n", encoding="utf-8")
    with pytest.raises(LoggerFileError, match=r"h\.csv:1: generic_csv file has no data rows"):
        read_logger_file(header, "s")


# ---------------------------------------------------------------- generic CSV


def test_generic_semicolon_decimal_comma_fahrenheit_latin1(tmp_path: Path) -> None:
    f = tmp_path / "g.txt"
    f.write_bytes("Datum;Temp (°F);Feuchte/%;CO2 [ppm]\r\n"
                  "13/03/2025 14:00;68,0;45,5;612\r\n"
                  "13/03/2025 14:10;69,8;;640\r\n".encode("latin-1"))
    result = read_logger_file(f, "g")
    assert result.format == "generic_csv" and result.encoding == "latin-1"
    got = {(r.quantity, r.time, round(r.value, 6)) for r in result.readings}
    assert got == {(T, utc("2025-03-13 14:00"), 20.0), (T, utc("2025-03-13 14:10"), 21.0),
                   ("co2", utc("2025-03-13 14:00"), 612.0), ("co2", utc("2025-03-13 14:10"), 640.0)}
    assert [r for r in result.readings if r.quantity == "co2"][0].unit == "ppm"


def test_generic_month_first_12_hour_clock_and_bom(tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_bytes("\ufefftimestamp,RH (%RH)\n03/13/2025 12:30:00 AM,40\n03/13/2025 1:00:00 PM,41\n"
                  .encode("utf-8"))
    times = [r.time for r in read_logger_file(f, "g").readings]
    assert times == [utc("2025-03-13 00:30"), utc("2025-03-13 13:00")]


def test_generic_ambiguous_dates_read_day_first_and_say_so(tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("date,time,temperature\n03/04/2025,10:00,20\n04/04/2025,10:00,21\n")
    result = read_logger_file(f, "g")
    assert [r.time for r in result.readings] == [utc("2025-04-03 10:00"), utc("2025-04-04 10:00")]
    assert any("day-first" in n for n in result.notes)


def test_generic_time_column_anywhere_and_units_in_cells(tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("sensor,Timestamp,Temperature,Light\nA,2025-06-01 12:00,68 °F,1.2 klx\n"
                 "A,2025-06-01 12:10,20.5,300\n")
    result = read_logger_file(f, "g")
    got = [(r.quantity, r.value) for r in result.readings]
    assert got == [(T, pytest.approx(20.0)), (LX, pytest.approx(1200.0)), (T, 20.5), (LX, 300.0)]


def test_generic_iso_offset_is_kept_not_replaced_by_tz(tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("time,temperature (°C)\n2025-06-01T12:00:00+08:00,20\n2025-06-01T12:10:00+08:00,21\n")
    r = read_logger_file(f, "g", tz="Europe/London").readings
    assert r[0].time == utc("2025-06-01 04:00")


_value = st.floats(min_value=-30, max_value=60, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(_value, min_size=1, max_size=30),
       sep=st.sampled_from([",", ";", "\t", "|"]),
       layout=st.sampled_from(["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S",
                               "%m/%d/%Y %I:%M:%S %p"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
       fahrenheit=st.booleans())
def test_generic_round_trip(tmp_path_factory: pytest.TempPathFactory, values: list[float], sep: str,
                            layout: str, encoding: str, fahrenheit: bool) -> None:
    """Whatever separator, date layout, encoding and unit: the values and times come back."""
    start = datetime(2024, 2, 13, 7, 0)  # day 13 > 12: day and month can be told apart
    unit = "°F" if fahrenheit else "°C"
    rows = [f"time{sep}Temperature ({unit}){sep}note"]
    for i, v in enumerate(values):
        shown = v * 9 / 5 + 32 if fahrenheit else v
        cell = f"{shown:.4f}".replace(".", ",") if sep != "," else f"{shown:.4f}"
        rows.append(f"{(start + timedelta(minutes=10 * i)).strftime(layout)}{sep}{cell}{sep}x")
    f = tmp_path_factory.mktemp("g") / "round.csv"
    f.write_bytes("\r\n".join(rows).encode(encoding))
    result = read_logger_file(f, "g")
    assert result.rejections == []
    assert [r.value for r in result.readings] == pytest.approx(values, abs=1e-3)
    assert [r.time for r in result.readings] == [
        (start + timedelta(minutes=10 * i)).replace(tzinfo=UTC) for i in range(len(values))]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    """Any file either imports or raises LoggerFileError: nothing else escapes."""
    f = tmp_path_factory.mktemp("b") / "junk.csv"
    f.write_bytes(raw)
    try:
        result = read_logger_file(f, "s", now=NOW)
    except LoggerFileError:
        return
    assert all(isinstance(r, Reading) for r in result.readings)
    assert all(isinstance(r, Rejection) and r.source.startswith(str(f)) for r in result.rejections)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(EXPECTED)), at=st.floats(0, 1), cut=st.integers(0, 40),
       junk=st.binary(max_size=12))
def test_damaged_samples_never_crash(tmp_path_factory: pytest.TempPathFactory, name: str, at: float,
                                     cut: int, junk: bytes) -> None:
    """A real export with bytes cut out and junk put in: rows are rejected or the file is refused
    with a LoggerFileError; nothing else escapes, and every rejection names its line."""
    raw = (DATA / name).read_bytes()
    i = int(at * len(raw))
    f = tmp_path_factory.mktemp("d") / name
    f.write_bytes(raw[:i] + junk + raw[i + cut:])
    try:
        result = read_logger_file(f, "s", now=NOW)
    except LoggerFileError as exc:
        assert str(exc).startswith(str(f))
        return
    n_lines = len(textio.read_text(f).lines)
    for rej in result.rejections:
        assert 1 <= int(rej.source.rsplit(":", 1)[1]) <= n_lines


def test_textio_lines_stay_aligned_with_raw_bytes() -> None:
    # Latin-1 0x85 would be a line break for str.splitlines(); here it is not
    lines, raws, enc = textio.split_lines(b"a\x85b,1\r\nc,2\r\n")
    assert enc == "latin-1" and lines == ("a\x85b,1", "c,2") and raws == (b"a\x85b,1", b"c,2")


# ---------------------------------------------------------------- command line


class MemorySink:
    """An in-memory store with the real store's dedup rule."""

    def __init__(self) -> None:
        self.readings: dict[tuple[str, str, datetime], Reading] = {}
        self.rejections: list[Rejection] = []

    def add_readings(self, readings: list[Reading]) -> int:
        before = len(self.readings)
        for r in readings:
            self.readings.setdefault((r.sensor, r.quantity, r.time), r)
        return len(self.readings) - before

    def add_rejections(self, rejections: list[Rejection]) -> int:
        self.rejections.extend(rejections)
        return len(rejections)


def test_import_twice_adds_nothing_and_dry_run_opens_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    sink = MemorySink()
    opened: list[object] = []

    def open_sink(db: object, data_dir: object) -> MemorySink:
        opened.append(db)
        return sink

    f = str(DATA / "Meaco_1.csv")
    assert import_main([f, "--sensor", "m1", "--dry-run"], open_sink, NOW) == 0
    assert opened == [] and "would store" in capsys.readouterr().out
    assert import_main([f, "--sensor", "m1", "--impute", "none"], open_sink, NOW) == 0
    assert len(sink.readings) == 20
    assert "stored 20 new readings" in capsys.readouterr().out
    assert import_main([f, "--sensor", "m1", "--impute", "none"], open_sink, NOW) == 0
    assert len(sink.readings) == 20 and "stored 0 new readings (20 already stored)" in capsys.readouterr().out


def test_import_malformed_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "broken.csv"
    f.write_text("garbage\n", encoding="utf-8")
    sink = MemorySink()
    assert import_main([str(f), "--sensor", "s"], lambda *_: sink, NOW) == 1
    assert f"{f}:1: unknown logger format" in capsys.readouterr().err
    assert len(sink.rejections) == 1 and sink.rejections[0].payload == b"garbage\n"


def test_import_and_quarantine_with_the_real_store(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import bridge.store as store_mod

    lines = _lines(DATA / "Trend_2.csv")
    lines[3] = "01-Jun-22 2:00:00 am,abc"  # line 4
    f = tmp_path / "trend.csv"
    f.write_text("\n".join(lines), encoding="utf-8-sig")
    args = [str(f), "--sensor", "t2", "--data-dir", str(tmp_path / "data")]
    assert import_main(args) == 0
    assert import_main(args) == 0  # twice: nothing new, the rejection not duplicated
    out = capsys.readouterr().out
    assert "stored 0 new readings" in out and "0 new rejections" in out
    store = store_mod.Store.open(data_dir=tmp_path / "data")
    try:
        assert store.count_readings("t2", RH) >= 9 and store.count_quarantine() == 1
    finally:
        store.close()
    assert quarantine_main(["--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert f"{f}:4" in out and "'abc' is not a number" in out and "01-Jun-22 2:00:00 am,abc" in out


class FakeItem:
    def __init__(self, source: str, payload: bytes, reason: str) -> None:
        self.source, self.payload, self.reason = source, payload, reason
        self.payload_size = len(payload)
        self.received_at = NOW


class FakeView:
    def __init__(self, items: list[FakeItem]) -> None:
        self.items = items

    def quarantine(self, limit: int = 100) -> list[FakeItem]:
        return self.items[:limit]

    def count_quarantine(self) -> int:
        return len(self.items)


def test_quarantine_lists_filters_and_shows_raw(capsys: pytest.CaptureFixture[str]) -> None:
    view = FakeView([FakeItem("a.csv:4", b"01-Jun-22,abc", "not a number | 不是数值"),
                     FakeItem("sensors/x/state", b"\xff\x00" + b"z" * 200, "payload is not UTF-8")])
    assert quarantine_main(["--source", "a.csv"], lambda *_: view) == 0
    out = capsys.readouterr().out
    assert "2 items in quarantine, 1 shown" in out and "a.csv:4" in out and "sensors/x" not in out
    assert quarantine_main([], lambda *_: view) == 0
    out = capsys.readouterr().out
    assert "\\xff\\x00zzz" in out and "…" in out and "(202 B)" in out
    assert quarantine_main(["--raw", "--limit", "1"], lambda *_: view) == 0
    assert "…" not in capsys.readouterr().out


def test_unreadable_big_file_is_quarantined_once(tmp_path: Path) -> None:
    import bridge.store as store_mod

    f = tmp_path / "big.csv"
    f.write_bytes(b"not a logger file\n" * 20_000)  # larger than the stored payload cut
    args = [str(f), "--sensor", "s", "--data-dir", str(tmp_path / "data")]
    assert import_main(args) == 1 and import_main(args) == 1
    store = store_mod.Store.open(data_dir=tmp_path / "data")
    try:
        assert store.count_quarantine() == 1
        item = store.quarantine()[0]
        assert item.source == str(f) and item.payload_size == 18 * 20_000
        assert "big.csv:1: unknown logger format" in item.reason
    finally:
        store.close()


def test_full_hanwell_long_export_from_shared_data() -> None:
    path = (Path(__file__).resolve().parents[2] / "shared" / "data" / "logger-export-samples"
            / "hanwell-long" / "hanwell_external_2025-08_export.csv")
    if not path.is_file():
        pytest.skip("needs ../shared/data/logger-export-samples (the shipped slice is tested above)")
    result = read_logger_file(path, "ext", tz="Europe/London")
    assert result.rejections == []
    for quantity, first, last in ((T, 22.8, 17.9), (RH, 60.2, 69.0)):
        rs = [r for r in result.readings if r.quantity == quantity]
        assert len(rs) == 7075
        assert (rs[0].time, rs[0].value) == (utc("2025-08-11 23:06:03"), first)  # BST -> UTC
        assert (rs[-1].time, rs[-1].value) == (utc("2025-09-10 09:30:19"), last)
    temps = [r.value for r in result.readings if r.quantity == T]
    assert (min(temps), max(temps)) == (13.4, 29.6)  # the footer's Minimum and Maximum
