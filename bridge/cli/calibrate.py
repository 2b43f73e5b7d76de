"""``relic-twin calibrate``: fit the climate model to a hall's record and write ``calibration.json``.

    relic-twin calibrate --csv HISTORY.csv [--room N] [--start 2016-02-01] --fit-days 7 --holdout-days 3
    relic-twin calibrate --sensors S01,S05 --outdoor WEATHER.csv [--db URL] --fit-days 7 --holdout-days 3

The model (:mod:`simulation.climate` on the scene's floor plan: one well-mixed cell of the floor's
area and wall length unless ``--cell``, :func:`simulation.calibration.model_for`) is driven by the
recorded outdoor weather; its effective parameters are fitted on the first ``--fit-days`` (the
first day is spin-up) by :func:`simulation.calibration.calibrate`, and judged on the next
``--holdout-days``, which the fit never sees, by ASHRAE Guideline 14 hourly CV(RMSE) (limit 30 %)
and NMBE (limit ±10 %), for temperature and RH; per sensor beside persistence of the first
held-back reading, from which the model restarts too (:func:`held_back_skill`).

Input, either

* ``--csv FILE`` (``.csv``, or a ``.zip`` holding one): a header row, then one row per time.
  Columns ``time`` (ISO 8601; without an offset it is read as UTC + ``--utc-offset``),
  ``temperature`` (°C) and ``relative_humidity`` (%RH) of the hall's air, ``outdoor_temperature``
  and ``outdoor_relative_humidity``, optionally ``heat_w`` (other measured heat gains, W). Empty,
  ``NA`` and ``NaN`` cells are missing. The Candanedo house files (``energydata_complete.csv``,
  ``energy_weather_temp.csv``: ``date``, ``T1``..``T9``, ``RH_1``..``RH_9``, ``T_out``, ``RH_out``,
  energy in Wh per row) are read as they are: ``--room N`` picks ``TN``/``RH_N`` (default 2, the
  living room) and ``ElectricHeater`` + ``Appliances`` + ``lights`` become ``heat_w``; a house's plant
  heats only and controls no humidity (:data:`simulation.calibration.HOUSE_PLANT`; ``--no-hvac``: none);
* or ``--sensors ID,...`` (default: every scene sensor outside a case measuring T and RH): their
  stored readings (``--db``, else ``RELIC_TWIN_DATABASE_URL``, else SQLite in ``--data-dir``),
  with ``--outdoor FILE``: ``time``, ``temperature``, ``relative_humidity`` (or the
  ``outdoor_*`` / ``T_out``/``RH_out`` names above).

Output: ``calibration.json`` beside the scene's ``scene.toml`` (``--out`` to write elsewhere),
read by ``relic-twin simulate`` (:func:`bridge.twin.whatif.calibration_figures`)::

    {"version": 1, "created_utc": "...", "scene": "demo_hall",
     "source": {"kind": "csv" | "store", ..., "start_utc", "end_utc", "step_s"},
     "settings": {"cell_m": ..., "hvac": true, "fitted": [...]},
     "evaluations": 20,
     "figures": CalibrationReport.figures()  # guideline, limits, held_back_days, train_days,
                                             # temperature / relative_humidity: cv_rmse_pct, nmbe_pct,
                                             #   rmse, bias, hours, passes; parameters}

Exit status: 0 written (whether or not Guideline 14 is met), 2 bad input.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridge.cli.common import InputError, run_or_report, scene_and_climate
from bridge.config import add_settings_arguments
from simulation import calibration as ca
from simulation import climate
from simulation.paths import scenes_dir
from simulation.record_model import format_skill

DAY_S = 86400.0
MISSING = {"", "na", "nan", "null", "none"}
HVAC_PARAMS = ("infiltration_ach", "hvac_setpoint_c", "hvac_factor", "moisture_gain_g_h_m2")
PASSIVE_PARAMS = ("infiltration_ach", "internal_gain_w_m2", "moisture_gain_g_h_m2")
CANDANEDO_HEAT = ("ElectricHeater", "Appliances", "lights")  # Wh per row


@dataclass(frozen=True)
class Table:
    """A CSV as columns of text. ``name`` is for messages."""

    name: str
    header: list[str]
    rows: list[list[str]]

    def column(self, key: str) -> list[str]:
        j = self.header.index(key)
        return [r[j] if j < len(r) else "" for r in self.rows]

    def numbers(self, key: str) -> NDArray[np.float64]:
        out = np.empty(len(self.rows))
        for i, text in enumerate(self.column(key)):
            s = text.strip()
            if s.lower() in MISSING:
                out[i] = np.nan
                continue
            try:
                out[i] = float(s)
            except ValueError:
                raise InputError(f"{self.name}: row {i + 2}, column {key}: not a number {s!r} / 不是数字") from None
        return out


def read_table(path: Path) -> Table:
    """A ``.csv`` file, or a ``.zip`` holding exactly one ``.csv``."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    raise InputError(f"{path}: expected one .csv in the zip, found {len(names)} / 压缩包中应只有一个CSV文件")
                text = z.read(names[0]).decode("utf-8-sig")
        else:
            text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found / 找不到文件") from None
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc}) / 无法读取文件") from None
    rows = [r for r in csv.reader(io.StringIO(text), skipinitialspace=True) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise InputError(f"{path}: no data rows / 没有数据行")
    return Table(str(path), [h.strip() for h in rows[0]], rows[1:])


def parse_times(table: Table, key: str, utc_offset_h: float) -> NDArray[np.float64]:
    """Seconds since the epoch (UTC); naive times are local at ``utc_offset_h``."""
    tz = timezone(timedelta(hours=utc_offset_h))
    out = np.empty(len(table.rows))
    for i, text in enumerate(table.column(key)):
        try:
            t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"{table.name}: row {i + 2}: bad time {text!r} (ISO 8601, e.g. 2016-02-01 00:10:00) "
                             f"/ 时间格式错误") from None
        out[i] = (t if t.tzinfo else t.replace(tzinfo=tz)).timestamp()
    if len(out) > 1 and np.any(np.diff(out) <= 0):
        i = int(np.argmax(np.diff(out) <= 0))
        raise InputError(f"{table.name}: times must increase (row {i + 3}) / 时间必须递增")
    return out


def _need(table: Table, keys: Sequence[str], hint: str) -> None:
    missing = [k for k in keys if k not in table.header]
    if missing:
        raise InputError(f"{table.name}: missing column(s) {', '.join(missing)} ({hint}); "
                         f"found {', '.join(table.header[:20])} / 缺少列")


@dataclass(frozen=True)
class History:
    """Irregular record: times (n,) epoch s; t_in, rh_in (n, p); t_out, rh_out, heat_w (n,) (NaN = missing)."""

    times: NDArray[np.float64]
    t_in: NDArray[np.float64]
    rh_in: NDArray[np.float64]
    t_out: NDArray[np.float64]
    rh_out: NDArray[np.float64]
    heat_w: NDArray[np.float64]
    columns: dict[str, str]


def load_history_csv(path: Path, room: str = "2", utc_offset_h: float = 0.0) -> History:
    """The hall's record from a CSV (see the module docstring for the columns)."""
    tab = read_table(path)
    if "T_out" in tab.header:  # Candanedo house file
        cols = {"time": "date", "temperature": f"T{room}", "relative_humidity": f"RH_{room}",
                "outdoor_temperature": "T_out", "outdoor_relative_humidity": "RH_out"}
        _need(tab, list(cols.values()), f"Candanedo-style file, --room {room}")
        times = parse_times(tab, "date", utc_offset_h)
        heat_cols = [c for c in CANDANEDO_HEAT if c in tab.header]
        step_h = float(np.median(np.diff(times))) / 3600.0 if len(times) > 1 else 1.0
        heat = sum((np.nan_to_num(tab.numbers(c)) for c in heat_cols), np.zeros(len(times))) / step_h
        cols["heat_w"] = "+".join(heat_cols) + " (Wh per row)" if heat_cols else "(none)"
    else:
        cols = {k: k for k in ("time", "temperature", "relative_humidity", "outdoor_temperature",
                               "outdoor_relative_humidity")}
        _need(tab, list(cols.values()), "see relic-twin calibrate --help")
        times = parse_times(tab, "time", utc_offset_h)
        heat = tab.numbers("heat_w") if "heat_w" in tab.header else np.zeros(len(times))
        cols["heat_w"] = "heat_w" if "heat_w" in tab.header else "(none)"
    return History(times, tab.numbers(cols["temperature"])[:, None], tab.numbers(cols["relative_humidity"])[:, None],
                   tab.numbers(cols["outdoor_temperature"]), tab.numbers(cols["outdoor_relative_humidity"]),
                   heat, cols)


def load_outdoor_csv(path: Path, utc_offset_h: float = 0.0) -> tuple[NDArray, NDArray, NDArray]:
    """(times epoch s, T °C, RH %RH) of an outdoor weather file."""
    tab = read_table(path)
    for tkey, t_col, rh_col in (("time", "temperature", "relative_humidity"),
                                ("time", "outdoor_temperature", "outdoor_relative_humidity"),
                                ("date", "T_out", "RH_out")):
        if all(k in tab.header for k in (tkey, t_col, rh_col)):
            return parse_times(tab, tkey, utc_offset_h), tab.numbers(t_col), tab.numbers(rh_col)
    raise InputError(f"{path}: expected columns time, temperature, relative_humidity (or outdoor_temperature, "
                     f"outdoor_relative_humidity; or date, T_out, RH_out); found {', '.join(tab.header[:20])} "
                     f"/ 室外气象文件缺少列")


def bin_means(times: NDArray, values: NDArray, t0: float, step_s: float, n: int) -> NDArray[np.float64]:
    """Mean of ``values`` (m,) or (m, p) in each of ``n`` bins [t0 + k step, t0 + (k+1) step); NaN where empty."""
    v = np.asarray(values, float)
    flat = v.ndim == 1
    v = v[:, None] if flat else v
    k = np.floor((np.asarray(times, float) - t0) / step_s).astype(np.int64)
    out = np.full((n, v.shape[1]), np.nan)
    for j in range(v.shape[1]):
        ok = (k >= 0) & (k < n) & np.isfinite(v[:, j])
        cnt = np.bincount(k[ok], minlength=n)
        tot = np.bincount(k[ok], v[ok, j], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
    return out[:, 0] if flat else out


def fill_gaps(values: NDArray) -> NDArray[np.float64]:
    """Linear interpolation over NaN (held at the ends); all-NaN stays NaN."""
    v = np.asarray(values, float).copy()
    ok = np.isfinite(v)
    if ok.any() and not ok.all():
        i = np.arange(len(v))
        v[~ok] = np.interp(i[~ok], i[ok], v[ok])
    return v


def regular_data(history: History, start: float, step_s: float, days: float,
                 geometry: climate.HallGeometry) -> ca.CalibrationData:
    """The record on a regular step from ``start`` (epoch s) for ``days``; outdoor gaps interpolated."""
    n = int(round(days * DAY_S / step_s))
    t_in = bin_means(history.times, history.t_in, start, step_s, n)
    rh_in = bin_means(history.times, history.rh_in, start, step_s, n)
    t_out = fill_gaps(bin_means(history.times, history.t_out, start, step_s, n))
    rh_out = fill_gaps(bin_means(history.times, history.rh_out, start, step_s, n))
    heat = np.nan_to_num(bin_means(history.times, history.heat_w, start, step_s, n))
    if not (np.isfinite(t_out).all() and np.isfinite(rh_out).all()):
        raise InputError("no outdoor temperature or RH in the chosen period / 所选时段内没有室外温湿度")
    return ca.CalibrationData(np.arange(n) * step_s, t_in, rh_in, t_out, rh_out, heat, geometry)


def store_history(store: Any, sensors: Sequence[str], start: datetime, end: datetime, step_s: float,
                  outdoor: tuple[NDArray, NDArray, NDArray], hall: str | None = None) -> History:
    """Stored T/RH of ``sensors`` of ``hall`` (bucket means, ``ok`` readings only) and the outdoor file's weather."""
    n = int(round((end - start).total_seconds() / step_s))
    grid = start.timestamp() + np.arange(n) * step_s
    cols = []
    for q in ("temperature", "relative_humidity"):
        m = np.full((n, len(sensors)), np.nan)
        for j, sid in enumerate(sensors):
            s = store.series(sid, q, start, end, bucket_s=int(step_s), only_ok=True, hall=hall)
            if len(s.values):
                secs = s.times.astype("datetime64[s]").astype(np.int64).astype(float)
                m[:, j] = bin_means(secs, s.values, grid[0], step_s, n)
        cols.append(m)
    ot, o_t, o_rh = outdoor
    return History(grid, cols[0], cols[1], bin_means(ot, o_t, grid[0], step_s, n),
                   bin_means(ot, o_rh, grid[0], step_s, n), np.zeros(n),
                   {"temperature": "store", "relative_humidity": "store"})


def format_report(report: ca.CalibrationReport, path: Path | None = None) -> str:
    """Fitted parameters and the Guideline 14 table, in Chinese and English."""
    lines = ["拟合参数 / fitted parameters:"]
    for k, v in report.parameters.items():
        lo, hi = ca.BOUNDS[k]
        lines.append(f"  {k:26s} {v:12.4g}   (bounds {lo:g}..{hi:g})")
    lines.append("")
    lines.append(f"ASHRAE Guideline 14 逐时检验（留出 {report.test_days:g} 天）/ hourly, on {report.test_days:g} "
                 f"held-back days (fit on {report.train_days:g}, {report.evaluations} model runs):")
    lines.append(f"  {'':24s} {'CV(RMSE) %':>10s} {'≤ 30':>6s} {'NMBE %':>8s} {'±10':>5s} {'RMSE':>9s} "
                 f"{'bias':>7s} {'hours':>6s}  result")
    for label, m, unit in (("温度 temperature", report.temperature, "K"),
                           ("相对湿度 RH", report.relative_humidity, "%RH")):
        ok = m.passes
        verdict = "通过 pass" if ok else "未通过 FAIL"
        lines.append(f"  {label:24s} {m.cv_rmse_pct:10.2f} {'':6s} {m.nmbe_pct:8.2f} {'':5s} "
                     f"{f'{m.rmse:.2f} {unit}':>9s} {m.bias:+7.2f} {m.hours:6d}  {verdict}")
    if path is not None:
        lines.append("")
        lines.append(f"已写入 / written: {path}")
    return "\n".join(lines)


def _parse_start(text: str, utc_offset_h: float) -> float:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--start: bad time {text!r} (ISO 8601) / 起始时间格式错误") from None
    return (t if t.tzinfo else t.replace(tzinfo=timezone(timedelta(hours=utc_offset_h)))).timestamp()


def _probe_point(scene: Any) -> NDArray[np.float64]:
    """A point inside the floor for the single 'hall' probe: the first zone's vertex mean, else the floor's."""
    for poly in [*(z.polygon for z in scene.zones), scene.floor]:
        c = np.asarray(poly, float).mean(axis=0)
        from simulation.scene import point_in_polygon

        if point_in_polygon(c, np.asarray(scene.floor, float)):
            return c
    return np.asarray(scene.floor, float)[0]


def _is_room_record(path: Path) -> bool:
    """A ``--csv`` that is not a Candanedo house file is a room record (:mod:`bridge.cli.room_record`)."""
    return "T_out" not in read_table(path).header


def run(args: argparse.Namespace) -> tuple[str, dict[str, Any], Path]:
    """Load, fit, and return (the text to print, calibration.json document, where to write it)."""

    record = bool(args.csv) and _is_room_record(Path(args.csv))
    if not record and (args.sensor or args.indoor_only or args.daily):
        raise InputError("--sensor, --indoor-only and --daily are for a room record --csv / 仅用于房间记录CSV")
    if not record and not args.fit_days > 1.0:
        raise InputError("--fit-days must be more than 1 (the first day is spin-up) / 拟合天数须大于1（首日为预热）")
    if not args.holdout_days > 0.0:
        raise InputError("--holdout-days must be positive / 留出天数须为正数")
    if not 60.0 <= args.step_min * 60.0 <= 6 * 3600.0:
        raise InputError("--step-min must be in 1..360 / 步长须在1到360分钟之间")
    if args.cell is not None and not args.cell > 0:
        raise InputError("--cell must be positive / 网格尺寸须为正数")
    if args.max_evals < 1:
        raise InputError("--max-evals must be at least 1 / 至少一次")
    scene, base = scene_and_climate(args.scene, args.no_hvac)
    params = [p.strip() for p in args.params.split(",") if p.strip()] if args.params else \
        list(PASSIVE_PARAMS if args.no_hvac else HVAC_PARAMS)
    unknown = [p for p in params if p not in ca.BOUNDS]
    if unknown or not params:
        raise InputError(f"--params: unknown {', '.join(unknown) or '(none given)'}; choose from "
                         f"{', '.join(sorted(ca.BOUNDS))} / 未知参数")
    if record:
        from bridge.cli.calibrate_record import calibrate_record

        return calibrate_record(args, scene, base, params)
    geo = climate.geometry_from_scene(scene)
    if args.csv and not args.no_hvac:  # a Candanedo house file: the house's heaters, not the hall's air handler
        base = replace(base, **ca.HOUSE_PLANT)
    step_s = args.step_min * 60.0
    days = args.fit_days + args.holdout_days
    source: dict[str, Any]
    if args.csv:
        if args.sensors or args.outdoor:
            raise InputError("give either --csv, or --sensors with --outdoor, not both / 二选一")
        history = load_history_csv(Path(args.csv), args.room, args.utc_offset)
        geo = replace(geo, probes=(climate.Probe("hall", _probe_point(scene)),))
        ok = np.isfinite(history.t_in[:, 0]) & np.isfinite(history.rh_in[:, 0])
        if not ok.any():
            raise InputError(f"{args.csv}: no indoor T/RH values / 没有室内温湿度数据")
        start = _parse_start(args.start, args.utc_offset) if args.start else float(history.times[ok][0])
        source = {"kind": "csv", "file": str(args.csv), "columns": history.columns}
    else:
        if not args.outdoor:
            raise InputError("give --csv FILE, or --outdoor FILE with stored readings (--sensors) "
                             "/ 请提供 --csv，或 --outdoor 与存储的读数")
        outdoor = load_outdoor_csv(Path(args.outdoor), args.utc_offset)
        sensors = _choose_sensors(scene, args.sensors)
        geo = replace(geo, probes=tuple(climate.Probe(s.id, np.asarray(s.position, float)[:2], s.case)
                                        for s in sensors))
        t_start, t_end, history = _from_store(args, [s.id for s in sensors], step_s, days, outdoor, scene.id)
        start = t_start
        source = {"kind": "store", "sensors": [s.id for s in sensors], "outdoor": str(args.outdoor)}
    start = math.floor(start / step_s) * step_s if not args.start else start
    end = start + days * DAY_S
    if history.times[-1] < end - step_s:
        have = (history.times[-1] - start) / DAY_S
        raise InputError(f"the record covers {max(have, 0):.1f} days from the start, --fit-days + --holdout-days "
                         f"needs {days:g} / 数据天数不足")
    data = regular_data(history, start, step_s, days, geo)
    complete = np.isfinite(data.t_in).all(axis=1) & np.isfinite(data.rh_in).all(axis=1)
    measured = np.isfinite(data.t_in).any(axis=1) & np.isfinite(data.rh_in).any(axis=1)
    test = data.times_s >= args.fit_days * DAY_S
    train = (data.times_s >= DAY_S) & ~test
    if not complete[data.times_s < DAY_S].any():
        # the run starts from the first complete indoor record: it must lie in the spin-up day
        raise InputError("no complete indoor record in the first (spin-up) day; choose another --start "
                         "/ 预热日内没有完整的室内数据，请换一个起始时间")
    if np.sum(measured & train) * step_s < 6 * 3600 or np.sum(measured & test) * step_s < 6 * 3600:
        raise InputError("fewer than 6 hours of indoor record in the fit or the held-back period "
                         "/ 拟合期或留出期内室内数据不足6小时")
    report = ca.calibrate(data, args.fit_days, args.holdout_days, params, base, max_nfev=args.max_evals,
                          cell_m=args.cell)
    doc = {
        "version": 1,
        "created_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "scene": scene.id,
        "source": {**source, "start_utc": datetime.fromtimestamp(start, UTC).isoformat(),
                   "end_utc": datetime.fromtimestamp(end, UTC).isoformat(), "step_s": step_s},
        "settings": {"cell_m": args.cell, "hvac": not args.no_hvac, "fitted": params, "max_evals": args.max_evals},
        "evaluations": report.evaluations,
        "figures": report.figures(),
    }
    skills = held_back_skill(data, report, base, args.fit_days, params, args.cell)
    doc["figures"]["skill"] = [row.as_dict() for row in skills]
    out = Path(args.out) if args.out else scene.root / "calibration.json"
    text = format_report(report, None) + "\n\n" + "\n".join(
        ["留出期逐传感器（保持基准为留出期首个读数，模型亦由此重起）/ per sensor on the held-back days, beside "
         "persistence (the first held-back reading, from which the model restarts too) and the training mean:", *format_skill(skills), "", f"已写入 / written: {out}"])
    return text, doc, out


def held_back_skill(data: ca.CalibrationData, report: ca.CalibrationReport, base: climate.ClimateSettings,
                    fit_days: float, params: Sequence[str], cell: float | None) -> list[Any]:
    """Per probe and quantity skill on the held-back days, the model and persistence knowing the same.

    The fitted model runs from the first complete record through the training days, then takes its
    air from the first held-back reading, the very reading persistence holds (its thermal mass and
    buffer run on, :func:`simulation.record_model.simulate_runs` with ``carry``); a held-back run
    after a gap of over 2 h (:func:`simulation.record_model.runs`) restarts both alike. The training
    mean is over the training days after the spin-up day (:func:`simulation.record_model.skill_table`).
    """
    from simulation.record_model import RoomRecord, runs, simulate_runs, skill_table

    values = {k: v for k, v in report.parameters.items() if k != "heat_gain_factor"}
    record = RoomRecord.from_calibration(data)
    test = data.times_s >= fit_days * DAY_S
    train = (data.times_s >= DAY_S) & ~test
    measured = np.isfinite(data.t_in).any(axis=1) & np.isfinite(data.rh_in).any(axis=1)
    held = runs(measured & test, record.step_s)
    complete = np.flatnonzero(np.isfinite(data.t_in).all(axis=1) & np.isfinite(data.rh_in).all(axis=1))
    first = int(complete[0]) if complete.size else 0
    spans = [(first, held[0][0]), *held] if held and first < held[0][0] else held
    t_sim, rh_sim = simulate_runs(record, replace(base, **values), spans,
                                  report.parameters.get("heat_gain_factor", 1.0), cell_m=cell, carry=True)
    return skill_table(record, t_sim, rh_sim, held, np.flatnonzero(train))


def _choose_sensors(scene: Any, names: str | None) -> list[Any]:
    both = [s for s in scene.sensors if {"temperature", "relative_humidity"} <= set(s.quantities)]
    if not names:
        chosen = [s for s in both if s.case is None]
        if not chosen:
            raise InputError("the scene has no sensor measuring T and RH outside a case; name them with --sensors "
                             "/ 场景中没有测温湿度的展厅传感器")
        return chosen
    ids = [x.strip() for x in names.split(",") if x.strip()]
    by_id = {s.id: s for s in both}
    bad = [i for i in ids if i not in by_id]
    if bad:
        raise InputError(f"--sensors: {', '.join(bad)} not in the scene or not measuring T and RH; choose from "
                         f"{', '.join(sorted(by_id))} / 传感器不存在或不测温湿度")
    return [by_id[i] for i in ids]


def _from_store(args: argparse.Namespace, sensors: list[str], step_s: float, days: float,
                outdoor: tuple[NDArray, NDArray, NDArray], hall: str | None = None) -> tuple[float, float, History]:
    from bridge.config import settings_from_args
    from bridge.errors import StorageError
    from bridge.store import Store

    settings = settings_from_args(args)
    url = settings.database
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise InputError(f"no database at {url} (set --db, --data-dir, RELIC_TWIN_DATA_DIR or "
                         f"RELIC_TWIN_DATABASE_URL) / 未找到数据库")
    try:
        store = Store.open(settings.database_url, settings.data_dir)
    except StorageError as exc:
        raise InputError(str(exc)) from None
    try:
        if args.start:
            t0 = _parse_start(args.start, args.utc_offset)
        else:
            latest = [r.time for r in store.latest(sensors, hall=hall)
                      if r.quantity in ("temperature", "relative_humidity")]
            if not latest:
                raise InputError(f"no stored T/RH readings of {', '.join(sensors)} / 这些传感器没有存储的温湿度读数")
            end = max(latest).timestamp()
            t0 = math.floor((end - days * DAY_S) / step_s) * step_s
        start = datetime.fromtimestamp(t0, UTC)
        history = store_history(store, sensors, start, start + timedelta(days=days), step_s, outdoor, hall)
    finally:
        store.close()
    return t0, t0 + days * DAY_S, history


def calibrate_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``relic-twin calibrate``; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="relic-twin calibrate",
        description="按实测数据校准气候模型，写出 calibration.json / fit the climate model to a hall's record "
                    "and write calibration.json (ASHRAE Guideline 14 figures on held-back days)")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"), help="展厅场景目录 / the hall's scene folder")
    p.add_argument("--csv", help="室内外温湿度记录 CSV（或 .zip）/ indoor + outdoor history CSV (or .zip); "
                                 "columns: time, temperature, relative_humidity, outdoor_temperature, "
                                 "outdoor_relative_humidity[, heat_w], or a Candanedo house file")
    p.add_argument("--sensor", help="房间记录单传感器列对应的场景传感器 / the scene sensor of a room record's "
                                    "temperature, relative_humidity columns (default: the room's centre)")
    p.add_argument("--indoor-only", action="store_true", help="不用室外气象，拟合缓变的外边界 / ignore outdoor "
                                                              "weather: fit a slowly varying boundary instead")
    p.add_argument("--room", default="2", help="Candanedo 文件的房间号 / room N of a Candanedo file (TN, RH_N; default 2)")
    p.add_argument("--sensors", help="使用数据库中这些传感器的读数 / use these sensors' stored readings (comma list)")
    p.add_argument("--outdoor", help="室外气象 CSV / outdoor weather CSV: time, temperature, relative_humidity")
    add_settings_arguments(p)
    p.add_argument("--start", help="起始时间 ISO 8601 / start (default: first indoor record, or the latest "
                                   "fit+holdout days in the store)")
    p.add_argument("--utc-offset", type=float, default=0.0, help="无时区时间的 UTC 偏移 (h) / UTC offset of naive times")
    p.add_argument("--fit-days", type=float, default=7.0, help="拟合天数（含1天预热）/ days to fit on, the first is "
                                                               "spin-up (default 7)")
    p.add_argument("--holdout-days", type=float, default=3.0, help="留出检验天数 / held-back days (default 3)")
    p.add_argument("--step-min", type=float, default=30.0, help="模型步长 (min) / model step in minutes (default 30)")
    p.add_argument("--params", help=f"拟合的参数 / parameters to fit (default {','.join(HVAC_PARAMS)}; "
                                    f"with --no-hvac {','.join(PASSIVE_PARAMS)}); any of {', '.join(sorted(ca.BOUNDS))}")
    p.add_argument("--no-hvac", action="store_true", help="记录期间空调未运行 / HVAC did not run during the record")
    p.add_argument("--cell", type=float, default=None, help="网格尺寸 m（默认整厅一个充分混合单元）/ cell size in m "
                                                            "(default: one well-mixed cell)")
    p.add_argument("--max-evals", type=int, default=6, help="最小二乘迭代上限 / least-squares evaluations (default 6)")
    p.add_argument("--offsets", action="store_true", help="房间记录：拟合各传感器的温湿度偏差 / room record: fit each "
                                                          "sensor's T and RH offset from the model's air")
    p.add_argument("--horizon-h", type=float, default=0.0, help="房间记录：每隔这么多小时从实测状态重新起算（在线孪生的做法；"
                                                                 "保持基准同样重起）/ room record: restart from the measured "
                                                                 "state every H hours, as a live twin does; persistence "
                                                                 "restarts too (default 0: each run from its first state)")
    p.add_argument("--daily", action="store_true", help="房间记录：拟合每日重复的内部热湿负荷曲线（按 --utc-offset 的钟点）"
                                                        "/ room record: fit a daily profile of internal heat and "
                                                        "moisture gains (a routine that repeats each day; clock "
                                                        "of --utc-offset)")
    p.add_argument("--out", help="输出文件 / output file (default: calibration.json beside scene.toml)")
    args = p.parse_args(argv)

    def work() -> str:
        try:
            text, doc, out = run(args)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {exc.filename}: {exc.strerror} / 无法写入文件") from None
        return text

    # a ValueError besides InputError: NaN figures (allow_nan=False) or the fit refusing its input
    return run_or_report("relic-twin calibrate", ("cannot calibrate on this record", "无法用该记录校准"), work)


if __name__ == "__main__":
    raise SystemExit(calibrate_main())
