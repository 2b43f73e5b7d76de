"""The conservation report on a month of real data, every figure checked against an independent computation.

Two months (Sept-Oct 2021) of the "Case 1" display-case logger (T&D TR-74ui: T, RH, lux;
``assets/series/anonymous_library_case1.csv``, MIT, from ../shared/data/anonymous-library-archive)
are written to a logger CSV and imported with ``relic-twin import`` (real governance: the
whole-percent RH gets flagged ``stuck`` where it holds 24 h) as sensors S02 (bronze case c1)
and S04 (silk case c2) of the demo hall; an alert with its acknowledgement and a quarantined
payload are stored beside them. ``relic-twin report --month 2021-10`` then writes the PDF, CSV
and XLSX, and this file recomputes each figure from the database rows with plain numpy loops,
from the formulas in the cited sources (not by calling the modules under test).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bridge.cli.report import report_main
from simulation.materials import load_profiles
from simulation.paths import scenes_dir

ROOT = Path(__file__).resolve().parents[1]
SERIES = ROOT / "assets" / "series" / "anonymous_library_case1.csv"
START = datetime(2021, 10, 1, tzinfo=UTC).timestamp()
END = datetime(2021, 11, 1, tzinfo=UTC).timestamp()
HOLD_MAX = 6 * 3600.0
RELIC_SENSOR = {"ding": "S02", "silk_painting": "S04"}
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo"))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Import the month and its history, add an alert and a rejection, run the report CLI."""
    from bridge.cli.import_file import import_main
    from bridge.cli.sensor_calibration import sensor_calibration_main

    tmp = tmp_path_factory.mktemp("report")
    logger = tmp / "case1.csv"
    with SERIES.open(encoding="utf-8") as src, logger.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Time", "Temperature (°C)", "RH (%RH)", "Illuminance (lx)"])
        for r in csv.DictReader(src):
            if "2021-09-01" <= r["time_utc"] < "2021-11-01":
                w.writerow([r["time_utc"], r["temperature_c"], r["rh_percent"], r["illuminance_lx"]])
    data = tmp / "data"
    # S02's thermometer read 0.3 K high against the reference: corrected at import, raw value kept
    assert sensor_calibration_main(["--data-dir", str(data), "set", "S02", "--quantity", "temperature",
                                    "--offset", "-0.3", "--by", "wang", "--at", "2021-08-01"]) == 0
    for sensor in ("S02", "S04"):
        assert import_main([str(logger), "--sensor", sensor, "--data-dir", str(data)]) == 0
    db = next(data.glob("*.sqlite"))
    with sqlite3.connect(db) as con:  # S02 has no light sensor in the scene: keep its light out
        con.execute("DELETE FROM reading WHERE sensor='S02' AND quantity='illuminance'")
        raised = int(datetime(2021, 10, 5, 8, tzinfo=UTC).timestamp() * 1e6)
        con.execute("INSERT INTO alert (raised_at_us, tier, sensor, quantity, message_zh, message_en, key, cause, "
                    "target_kind, target_id, advice_zh, advice_en, cleared_at_us) VALUES "
                    "(?, 'yellow', '', 'relative_humidity', '湿度偏高', 'RH high', 'k1', 'relative_humidity_high', "
                    "'relic', 'ding', '', '', ?)", (raised, raised + 7_200_000_000))
        con.execute("INSERT INTO alert_ack (alert_id, acked_at_us, note) VALUES (1, ?, '')", (raised + 1_800_000_000,))
        con.execute("INSERT INTO alert (raised_at_us, tier, sensor, quantity, message_zh, message_en, key, cause, "
                    "target_kind, target_id, advice_zh, advice_en) VALUES (?, 'yellow', 'S04', '', '电量低', "
                    "'battery low', 'k2', 'battery_low', 'sensor', 'S04', '', '')", (raised,))
        con.execute("INSERT INTO quarantine (source, payload, payload_size, received_at_us, reason) VALUES "
                    "('relic-twin/demo_hall/S04', x'7b7d', 2, ?, 'bad')", (raised,))
    # a what-if run of the month, as bridge/twin/whatif.py leaves it: <data>/whatif/<run>/summary.json
    run = data / "whatif" / "run1"
    run.mkdir(parents=True)
    (run / "summary.json").write_text(json.dumps({
        "scenario": {"id": "ac_failure", "title": {"zh-CN": "空调夜间故障", "en": "AC fails at night"}},
        "crossings": [{"relic": "ding", "quantity": "relative_humidity", "side": "high"}],
        "twpi_years": {"ding": 30.0}}), encoding="utf-8")
    when = datetime(2021, 10, 12, tzinfo=UTC).timestamp()
    os.utime(run / "summary.json", (when, when))
    # a command of the hall's control, as bridge/control/audit.py stores it (table control_audit)
    from bridge.control.audit import AuditLog, Entry
    from bridge.store import Store

    with Store.open(data_dir=data) as store:
        audit = AuditLog(store, "demo_hall")
        audit.append(Entry("command", "dehum_1", "2021-10-06T02:00:00Z", "humidistat",
                           why={"reason": "RH above the band"}, before={"on": False}, after={"on": True}))
        audit.append(Entry("command", "dehum_1", "2021-09-06T02:00:00Z", "humidistat",  # not in the month
                           why={"reason": "RH above the band"}, before={"on": False}, after={"on": True}))
        AuditLog(store, "other_hall").append(Entry("command", "dehum_9", "2021-10-06T03:00:00Z", "mpc"))
    out = tmp / "out" / "2021-10.pdf"
    assert report_main(["--scene", str(scenes_dir() / "demo_hall"), "--month", "2021-10", "--lang", "both",
                        "--out", str(out), "--data-dir", str(data)]) == 0
    figures = {}
    with out.with_suffix(".csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            figures[(row["relic"], row["quantity"], row["figure"])] = row
    return db, out, figures


def rows(db: Path, sensor: str, quantity: str, start: float = START, end: float = END) -> tuple[np.ndarray, np.ndarray]:
    with sqlite3.connect(db) as con:
        got = con.execute("SELECT time_us, value FROM reading WHERE sensor=? AND quantity=? AND quality='ok' "
                          "AND time_us >= ? AND time_us < ? ORDER BY time_us",
                          (sensor, quantity, int(start * 1e6), int(end * 1e6))).fetchall()
    return np.array([g[0] / 1e6 for g in got]), np.array([g[1] for g in got])


def holds(t: np.ndarray, cap: float | None = HOLD_MAX) -> np.ndarray:
    """Each sample stands until the next; the last for the median gap; capped at 6 h."""
    gaps = [t[i + 1] - t[i] for i in range(len(t) - 1)]
    w = np.array(gaps + [float(np.median(gaps))])
    return w if cap is None else np.minimum(w, cap)


def value(figures, relic, quantity, figure) -> float:
    return float(figures[(relic, quantity, figure)]["value"])


def test_time_in_range_mean_and_24h_change_match_a_direct_count(report):
    db, _, figures = report
    profiles = load_profiles()
    for relic, sensor in RELIC_SENSOR.items():
        profile = profiles["bronze" if relic == "ding" else "silk"]
        for q in ("temperature", "relative_humidity"):
            t, v = rows(db, sensor, q)
            w = holds(t)
            band = profile.band(q)
            inside = (v >= (band.low if band.low is not None else -1e9)) & (v <= band.high)
            assert value(figures, relic, q, "in_range") == pytest.approx(100 * w[inside].sum() / w.sum(), abs=1e-4)
            assert value(figures, relic, q, "mean") == pytest.approx((w * v).sum() / w.sum(), abs=1e-4)
            assert value(figures, relic, q, "max") == pytest.approx(v.max())
            span = np.array([np.ptp(v[(t > t[i] - 86400) & (t <= t[i])]) for i in range(len(t))])
            assert value(figures, relic, q, "max_change") == pytest.approx(span.max(), abs=1e-6)
            ok = span <= band.max_change_24h
            assert value(figures, relic, q, "change_ok") == pytest.approx(100 * w[ok].sum() / w.sum(), abs=1e-4)
    # the bronze's RH limit is 40 %: the case at 51-54 %RH is out all month
    assert value(figures, "ding", "relative_humidity", "in_range") == 0.0


def test_preservation_index_mould_and_corrosion_from_their_formulas(report):
    db, _, figures = report
    t, rh = rows(db, "S02", "relative_humidity")
    tt, tc = rows(db, "S02", "temperature")
    tc = np.interp(t, tt, tc)
    # Padfield (2004): PI = 1 / (RH * 5.9e12 * exp(-90300 / (8.314 T_K))) years
    pi = 1.0 / (rh * 5.9e12 * np.exp(-90300.0 / (8.314 * (tc + 273.15))))
    w = holds(t, cap=None)
    assert value(figures, "ding", "", "twpi") == pytest.approx(w.sum() / (w / pi).sum(), rel=1e-6)
    assert value(figures, "ding", "", "pi_min") == pytest.approx(pi.min(), rel=1e-6)
    # Sedlbauer (2001) LIM B I isopleth, digitised
    lim = np.interp(tc, [0, 5, 10, 15, 20, 25, 30], [92, 87, 83, 80, 78, 77, 76])
    above = rh >= lim
    assert value(figures, "ding", "", "isopleth_days") == pytest.approx((holds(t)[above]).sum() / 86400, abs=1e-6)
    weeks = np.exp(-0.68 * np.log(tc) - 13.9 * np.log(rh) + 66.02)  # Hukka & Viitanen (1999)
    clock = (w[above] / (7 * 86400 * weeks[above])).sum()
    assert value(figures, "ding", "", "mould_progress") == pytest.approx(100 * clock, abs=1e-6)
    # corrosion: hours the bronze spent above 40 %RH (Scott 2002)
    hours = holds(t)[rh > 40.0].sum() / 3600
    assert value(figures, "ding", "relative_humidity", "corrosion_hours") == pytest.approx(hours, abs=1e-6)
    assert hours > 24  # the stuck-flagged stretches are left out, the rest counts
    assert ("silk_painting", "relative_humidity", "corrosion_hours") not in figures  # silk is not a metal


def test_light_dose_against_the_pro_rata_budget(report):
    db, _, figures = report
    t, lux = rows(db, "S04", "illuminance")
    total = sum(0.5 * (lux[i] + lux[i + 1]) * (t[i + 1] - t[i]) / 3600 for i in range(len(t) - 1)
                if t[i + 1] - t[i] <= HOLD_MAX)
    assert value(figures, "silk_painting", "illuminance", "lux_hours") == pytest.approx(total, rel=1e-9)
    budget = load_profiles()["silk"].band("illuminance").annual_exposure * 31 / 365
    assert float(figures[("silk_painting", "illuminance", "lux_hours")]["limit"]) == pytest.approx(budget, rel=1e-6)
    assert value(figures, "silk_painting", "illuminance", "lux_budget_share") == pytest.approx(100 * total / budget,
                                                                                             rel=1e-6)


def test_en15757_band_from_the_relics_own_history(report):
    db, _, figures = report
    t, v = rows(db, "S04", "relative_humidity", start=END - 365 * 86400)
    w = holds(t, cap=None)
    seasonal = np.array([np.sum((w * v)[(t >= x - 15 * 86400) & (t <= x + 15 * 86400)])
                         / np.sum(w[(t >= x - 15 * 86400) & (t <= x + 15 * 86400)]) for x in t])
    fluct = v - seasonal
    lo, hi = min(np.percentile(fluct, 7), -10.0), max(np.percentile(fluct, 93), 10.0)
    target = np.clip(seasonal, 45, 60)
    inside = (v >= target + lo) & (v <= target + hi)
    mine = t >= START
    wm = holds(t[mine])
    expect = 100 * wm[inside[mine]].sum() / wm.sum()
    assert value(figures, "silk_painting", "relative_humidity", "en15757") == pytest.approx(expect, abs=1e-4)


def test_dew_point_margin_against_the_halls_coldest_hour(report):
    db, _, figures = report
    with sqlite3.connect(db) as con:
        cold = con.execute("SELECT time_us / 3600000000, MIN(value) FROM reading WHERE quantity='temperature' "
                           "AND quality='ok' AND time_us >= ? AND time_us < ? GROUP BY 1 ORDER BY 1",
                           (int(START * 1e6), int(END * 1e6))).fetchall()
    ct = np.array([c[0] * 3600.0 + 1800.0 for c in cold])
    cv = np.array([c[1] for c in cold])
    t, rh = rows(db, "S04", "relative_humidity")
    tt, tc = rows(db, "S04", "temperature")
    tc = np.interp(t, tt, tc)
    gamma = np.log(rh / 100) + 17.625 * tc / (243.04 + tc)  # Magnus (Alduchov & Eskridge 1996)
    dew = 243.04 * gamma / (17.625 - gamma)
    surface = np.minimum(np.interp(t, ct, cv), tc)
    assert value(figures, "silk_painting", "", "dew_margin_min") == pytest.approx((surface - dew).min(), abs=1e-6)


def test_data_quality_alerts_and_calendar_in_the_xlsx(report):
    from openpyxl import load_workbook

    db, out, figures = report
    wb = load_workbook(out.with_suffix(".xlsx"), read_only=True)
    quality = {(r[1], r[2]): r for r in wb["data_quality"].iter_rows(min_row=2, values_only=True)}
    with sqlite3.connect(db) as con:
        n, flagged = con.execute("SELECT COUNT(*), SUM(quality != 'ok') FROM reading WHERE sensor='S04' AND "
                                 "quantity='relative_humidity' AND time_us >= ? AND time_us < ?",
                                 (int(START * 1e6), int(END * 1e6))).fetchone()
    row = quality[("S04", "relative_humidity")]
    assert row[5] == n == 31 * 96  # 15-min logger, no gaps in October
    assert row[6] == 31 * 96 and row[7] == pytest.approx(1.0)
    assert row[-3] == flagged > 0 and row[-2] == 1  # the stuck RH, the one quarantined payload
    assert quality[("S01", "temperature")][5] == 0  # a sensor that sent nothing
    assert row[-1].startswith("2021-10-05") and not quality[("S02", "temperature")][-1]  # the battery alert
    alerts = list(wb["alerts"].iter_rows(min_row=2, values_only=True))
    assert len(alerts) == 2 and alerts[0][9] == pytest.approx(1800.0) and alerts[0][10]
    assert alerts[1][3] == "battery_low" and not alerts[1][9] and not alerts[1][10]  # never acked, still open
    actions = list(wb["actions"].iter_rows(min_row=2, values_only=True))
    assert [(a[1], a[3]) for a in actions] == [("what-if", "ac_failure"), ("control", "dehum_1")]
    # calendar: per day, the largest share of recorded time outside a limit over T and RH (bronze: 16-24 °C,
    # 0-40 %RH), each on its own record; a sample counts on the day it was taken
    expect = np.full(31, np.nan)
    for q, (lo, hi) in (("temperature", (16.0, 24.0)), ("relative_humidity", (0.0, 40.0))):
        t, v = rows(db, "S02", q)
        w = holds(t)
        for d in range(31):
            mine = (t >= START + d * 86400) & (t < START + (d + 1) * 86400)
            if mine.any():
                share = w[mine & ((v < lo) | (v > hi))].sum() / w[mine].sum()
                expect[d] = share if np.isnan(expect[d]) else max(expect[d], share)
    daily = [r[3] for r in wb["daily_risk"].iter_rows(min_row=2, values_only=True) if r[1] == "ding"]
    assert len(daily) == 31
    for got, want in zip(daily, expect, strict=True):
        assert (got == "" and np.isnan(want)) or got == pytest.approx(want, abs=1e-6)
    assert np.nanmax(expect) == 1.0


def test_calibration_applied_at_import_and_raw_value_kept(report):
    db, _, _ = report
    with sqlite3.connect(db) as con:
        s02 = con.execute("SELECT value, raw_value FROM reading WHERE sensor='S02' AND quantity='temperature'").fetchall()
        s04 = con.execute("SELECT value, raw_value FROM reading WHERE sensor='S04' AND quantity='temperature'").fetchall()
    assert len(s02) == len(s04) == 61 * 96
    assert all(v == pytest.approx(raw - 0.3) for v, raw in s02)
    assert all(raw is None for _, raw in s04)  # no calibration: nothing changed, nothing kept twice
    assert sorted(v for v, _ in s02)[0] == pytest.approx(sorted(v for v, _ in s04)[0] - 0.3)


@pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdftotext, pdffonts, pdftoppm): make installs it")
def test_pdf_names_both_languages_embeds_fonts_and_renders(report, tmp_path):
    _, out, _ = report
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    squashed = "".join(text.split())
    for name in ("示范展厅", "Demo hall", "兽面纹青铜鼎", "Bronze ding with taotie mask", "绢本设色山水图",
                 "Landscape, ink and colour on silk", "高轮石狮", "Stone lion of Takanawa", "传感器校准",
                 "Sensor calibration", "-0.3", "wang", "空调夜间故障", "AC fails at night", "dehum_1",
                 "humidistat", "RH above the band", "low since 2021-10-05"):
        assert "".join(name.split()) in squashed, name
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    pages = int(next(line.split()[-1] for line in subprocess.run(["pdfinfo", str(out)], capture_output=True,
                                                                  text=True, check=True).stdout.splitlines()
                     if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "p")], check=True)
    from PIL import Image

    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages >= 4
    for png in pngs:
        grey = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert (grey < 128).mean() > 0.002, png  # something is drawn on every page


@pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdftotext): make installs it")
def test_site_report_has_an_overview_of_its_halls(report, tmp_path):
    db, _, _ = report
    site = tmp_path / "county_museum"
    for hall, zh, en in (("demo_hall", "示范展厅", "Demo hall"), ("east_hall", "东展厅", "East hall")):
        (site / hall).mkdir(parents=True)
        text = (scenes_dir() / "demo_hall" / "scene.toml").read_text(encoding="utf-8")
        text = text.replace('id = "demo_hall"', f'id = "{hall}"', 1).replace("示范展厅", zh).replace("Demo hall", en)
        text = text.replace('topic = "', f'topic = "{hall}/')  # a topic belongs to one hall of a site
        (site / hall / "scene.toml").write_text(text, encoding="utf-8")
    out = tmp_path / "site.pdf"
    assert report_main(["--site", str(site), "--from", "2021-10-01", "--to", "2021-10-08", "--lang", "en",
                        "--out", str(out), "--db", f"sqlite:///{db}"]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Halls at a glance" in text and "county_museum" in text
    assert text.index("Demo hall") < text.index("Conservation environment report", 50)  # overview, then halls
    assert "East hall" in text and "示范展厅" not in text  # --lang en: English only
