"""What-if runs: scenario files -> simulation -> series, snapshots, limit crossings and a report.

``relic-twin simulate scenes/demo_hall/scenarios/<name>.toml... [--out DIR] [--jobs N] [--cell M]
[--no-report] [--from-store [--db URL] [--data-dir DIR]]`` enters at
:func:`bridge.cli.simulate.simulate_main`. Each scenario writes into ``DIR/<scenario id>/``:

* ``relics.csv``, ``zones.csv``: time (UTC ISO), id, temperature °C, relative_humidity %RH;
* ``snapshots.npz``: ``times`` (k,) s since start, ``start_utc``, ``temperature`` and
  ``relative_humidity`` (k, ny, nx) float32 (NaN outside the floor; row 0 = south), ``origin``
  (2,) m, ``cell_m`` — for 3-D playback in the monitor;
* ``summary.json``: scenario, limit crossings per relic, TWPI, the calibration figures
  (``calibration.json`` beside scene.toml, written by ``relic-twin calibrate``: its fitted
  ``[climate]`` parameters are applied under the scenario's own overrides), the given start state;
* ``report.html`` with ``relics.png``, ``zones.png``, ``map_temperature.png``,
  ``map_relative_humidity.png``; all texts in zh-CN and en.

Several scenarios run in parallel (one process each, ``--jobs``), with one progress bar each.
``--from-store`` starts them from the newest stored T/RH of the hall's sensors (zones: mean of
their sensors; display cases: mean of the sensors inside), see :func:`stored_initial_state`.
"""

from __future__ import annotations

import csv
import html
import json
import multiprocessing as mp
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from simulation import climate
from simulation.fluctuation import change_24h
from simulation.preservation_index import time_weighted_preservation_index
from simulation.scenario import Scenario, build_run, load_scenario

TEXT = {
    "title": {"zh-CN": "假设情景模拟", "en": "What-if simulation"},
    "crossings": {"zh-CN": "越限情况", "en": "Limit crossings"},
    "none": {"zh-CN": "没有文物超出其限值。", "en": "No relic leaves its limits."},
    "relic": {"zh-CN": "文物", "en": "Relic"},
    "quantity": {"zh-CN": "参数", "en": "Quantity"},
    "limit": {"zh-CN": "限值", "en": "Limit"},
    "first": {"zh-CN": "首次越限", "en": "First crossed"},
    "hours": {"zh-CN": "越限时长 (h)", "en": "Hours outside"},
    "worst": {"zh-CN": "最大超出", "en": "Worst excess"},
    "at_start": {"zh-CN": "* 情景开始时已超出限值", "en": "* already outside the limit when the scenario starts"},
    "temperature": {"zh-CN": "温度 (°C)", "en": "Temperature (°C)"},
    "relative_humidity": {"zh-CN": "相对湿度 (%RH)", "en": "Relative humidity (%RH)"},
    "change_24h": {"zh-CN": "24小时变幅", "en": "24 h change"},
    "low": {"zh-CN": "下限", "en": "low"},
    "high": {"zh-CN": "上限", "en": "high"},
    "relics_chart": {"zh-CN": "各文物处的温湿度", "en": "Temperature and RH at each relic"},
    "zones_chart": {"zh-CN": "各展区平均温湿度", "en": "Zone means"},
    "map": {"zh-CN": "最不利时刻的分布图", "en": "Maps at the worst moment"},
    "hours_axis": {"zh-CN": "小时", "en": "hours"},
    "trust": {"zh-CN": "可信度", "en": "How far to trust this"},
    "uncalibrated": {
        "zh-CN": "模型参数未经本展厅实测数据校准（使用默认值），结果仅供比较各情景。",
        "en": "The model is not calibrated on this hall's records (default parameters): compare scenarios, "
              "do not read the numbers as forecasts.",
    },
    "calibrated": {
        "zh-CN": "按 ASHRAE Guideline 14 在留出日上检验：逐时 CV(RMSE) 限值 30 %，NMBE 限值 ±10 %。",
        "en": "Checked on held-back days against ASHRAE Guideline 14: hourly CV(RMSE) limit 30 %, "
              "NMBE limit ±10 %.",
    },
    "twpi": {"zh-CN": "时间加权保存指数 TWPI (年)", "en": "Time-weighted preservation index TWPI (years)"},
}


def t(key: str) -> str:
    """'zh-CN text / en text' for labels where both languages share a line."""
    return f"{TEXT[key]['zh-CN']} / {TEXT[key]['en']}"


@dataclass(frozen=True)
class Crossing:
    """One relic leaving one limit: when first, for how long, by how much (unit of the quantity)."""

    relic: str
    quantity: str  # "temperature" | "relative_humidity"
    side: str  # "low" | "high" | "change_24h"
    limit: float
    first_utc: str
    hours_outside: float
    worst_excess: float
    at_start: bool = False  # already outside the band when the scenario starts


def sample_weights_s(times_s: np.ndarray) -> np.ndarray:
    """The time (s) each sample stands for (m,): half the interval to each neighbour (trapezoid rule),
    so the weights add up to the run's span exactly. ``np.gradient`` gave the end samples a whole
    interval each: "24.2 h outside" in a 24 h run."""
    t = np.asarray(times_s, dtype=float)
    if len(t) < 2:
        return np.zeros_like(t)
    gaps = np.diff(t)
    w = np.zeros_like(t)
    w[:-1] += gaps / 2
    w[1:] += gaps / 2
    return w


def limit_crossings(relic: str, quantity: str, times_s: np.ndarray, values: np.ndarray, start: datetime,
                    low: float | None, high: float | None, max_change_24h: float | None) -> list[Crossing]:
    """Crossings of a band by one series. times_s : (m,) s since ``start``; values : (m,) in the band's unit."""
    out = []
    dt = sample_weights_s(times_s)
    checks: list[tuple[str, float | None, np.ndarray]] = [
        ("low", low, (low - values) if low is not None else np.zeros(0)),
        ("high", high, (values - high) if high is not None else np.zeros(0)),
    ]
    if max_change_24h is not None:
        checks.append(("change_24h", max_change_24h, change_24h(times_s, values) - max_change_24h))
    for side, lim, excess in checks:
        if lim is None or not np.any(excess > 0):
            continue
        over = excess > 0
        i = int(np.argmax(over))
        out.append(Crossing(relic, quantity, side, float(lim), (start + timedelta(seconds=float(times_s[i]))).isoformat(),
                            float(np.sum(dt[over]) / 3600.0), float(np.max(excess)), bool(over[0])))
    return out


def _bands(scene: Any, materials_path: Path | None) -> dict[str, dict[str, Any]]:
    """relic id -> {quantity: band} from the material profiles (empty if they cannot be read)."""
    try:
        from simulation.materials import load_profiles

        profiles = load_profiles(materials_path)
    except (ImportError, OSError, ValueError):
        return {}
    out = {}
    for r in scene.relics:
        p = profiles.get(r.profile)
        if p is not None:
            out[r.id] = {q: p.band(q) for q in ("temperature", "relative_humidity") if p.band(q) is not None}
    return out


def calibration_figures(scene_root: Path) -> dict[str, Any] | None:
    """The hall's stored calibration (``calibration.json`` beside scene.toml, written by
    ``relic-twin calibrate``), or None; an unreadable file counts as none, with a warning.

    Its ``figures`` are :meth:`simulation.calibration.CalibrationReport.figures`.
    """
    f = scene_root / "calibration.json"
    if not f.is_file():
        return None
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"{f}: 无法读取，按未校准处理 / unreadable, treated as uncalibrated ({exc})", file=sys.stderr)
        return None
    return doc if isinstance(doc, dict) else None


def calibrated_parameters(cal: dict[str, Any] | None) -> dict[str, float]:
    """The fitted parameters of ``cal`` that are ``[climate]`` keys (applied under the scenario's own)."""
    if not cal:
        return {}
    figures = cal.get("figures", cal)
    params = figures.get("parameters", {}) if isinstance(figures, dict) else {}
    known = {f.name for f in fields(climate.ClimateSettings)} - {"dehumidifiers"}
    return {k: float(v) for k, v in dict(params).items() if k in known and isinstance(v, int | float)}


def trust_line(cal: dict[str, Any] | None) -> str:
    """One line for the console: the Guideline 14 figures, or 'uncalibrated'."""
    figures = (cal or {}).get("figures", cal)
    if not isinstance(figures, dict) or "temperature" not in figures:
        return "未校准 / uncalibrated (default parameters)"
    parts = []
    for key, name in (("temperature", "T"), ("relative_humidity", "RH")):
        m = figures.get(key) or {}
        verdict = "通过 pass" if m.get("passes") else "未通过 FAIL"
        parts.append(f"{name} CV(RMSE) {m.get('cv_rmse_pct', float('nan')):.1f} %, "
                     f"NMBE {m.get('nmbe_pct', float('nan')):+.1f} % {verdict}")
    return f"校准 / calibration (ASHRAE G14, {figures.get('held_back_days', '?')} d held back): " + "; ".join(parts)


def stored_initial_state(scene: Any, readings: Sequence[Any]) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Start state from the newest stored readings: ({zone or relic id: (T, RH)}, notes).

    readings : :class:`bridge.readings.Reading` (``Store.latest()``); only ``ok`` temperature and
    relative_humidity of the scene's sensors count. A zone gets the mean of its sensors outside
    cases; a display case the mean of the sensors in it, set through the relics it holds. Zones
    and cases without both quantities keep the scenario's given state (a note says so).
    """
    sensors = {s.id: s for s in scene.sensors}
    groups: dict[tuple[str, str], dict[str, list[float]]] = {}
    times = []
    for r in readings:
        s = sensors.get(r.sensor)
        if s is None or r.quantity not in ("temperature", "relative_humidity") or r.quality != "ok":
            continue
        if not np.isfinite(r.value):
            continue
        key = ("case", s.case) if s.case else ("zone", s.zone)
        groups.setdefault(key, {"temperature": [], "relative_humidity": []})[r.quantity].append(float(r.value))
        times.append(r.time)
    out: dict[str, tuple[float, float]] = {}
    notes: list[str] = []
    for kind, gid in sorted(groups):
        vals = groups[(kind, gid)]
        if not (vals["temperature"] and vals["relative_humidity"]):
            notes.append(f"{gid}: 只有温度或湿度读数，沿用情景初值 / only one of T and RH stored, scenario's value kept")
            continue
        state = (float(np.mean(vals["temperature"])), float(np.mean(vals["relative_humidity"])))
        if kind == "zone":
            if any(z.id == gid for z in scene.zones):
                out[gid] = state
            continue
        relics = [r.id for r in scene.relics if r.case == gid]
        if not relics:
            notes.append(f"{gid}: 展柜内无文物，柜内空气沿用情景初值 / case holds no relic, its air keeps the "
                         f"scenario's value")
        for rid in relics:
            out[rid] = state
    if times:
        notes.insert(0, f"初始状态取自存储读数 / start state from stored readings, {min(times).isoformat()} .. "
                        f"{max(times).isoformat()}")
    missing = [z.id for z in scene.zones if z.id not in out]
    if out and missing:
        notes.append(f"无存储读数的展区沿用情景初值 / zones without stored readings keep the scenario's value: "
                     f"{', '.join(missing)}")
    return out, notes


def run_scenario(path: str | Path, out_dir: str | Path, *, cell_m: float | None = None,
                 progress: Callable[[float], None] | None = None, materials_path: Path | None = None,
                 initial: dict[str, tuple[float, float]] | None = None, report: bool = True) -> dict[str, Any]:
    """Run one scenario file and write its outputs into ``out_dir``; returns the summary dict."""
    from simulation.scene import load_scene

    sc = load_scenario(path)
    scene = load_scene(sc.scene_path)
    cal = calibration_figures(scene.root)
    fitted = calibrated_parameters(cal)
    if fitted:  # the hall's fitted parameters, under the scenario's own [climate] overrides
        scene = replace(scene, climate={**dict(scene.climate or {}), **fitted})
    model, state, forcing = build_run(sc, scene, cell_m=cell_m, initial=initial)
    res, _ = climate.simulate(model, state, forcing, sc.duration_s, record_every_s=sc.record_every_s,
                              snapshot_every_s=sc.snapshot_every_s, progress=progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_series(out / "relics.csv", sc.start, res.times_s, res.probe_ids, res.probe_t, res.probe_rh)
    _write_series(out / "zones.csv", sc.start, res.times_s, res.zone_ids, res.zone_t, res.zone_rh)
    np.savez_compressed(
        out / "snapshots.npz", times=res.snapshot_times_s, start_utc=np.array(sc.start.isoformat()),
        temperature=res.snapshot_t, relative_humidity=res.snapshot_rh, origin=model.grid.origin,
        cell_m=np.array(model.grid.cell_m),
    )
    bands = _bands(scene, materials_path)
    crossings: list[Crossing] = []
    twpi = {}
    for j, rid in enumerate(res.probe_ids):
        series = {"temperature": res.probe_t[:, j], "relative_humidity": res.probe_rh[:, j]}
        for q, band in bands.get(rid, {}).items():
            crossings += limit_crossings(rid, q, res.times_s, series[q], sc.start, band.low, band.high,
                                         band.max_change_24h)
        twpi[rid] = time_weighted_preservation_index(res.times_s, series["temperature"], series["relative_humidity"])
    summary = {
        "scenario": {"id": sc.id, "title": dict(sc.title), "file": str(sc.path), "start_utc": sc.start.isoformat(),
                     "duration_h": sc.duration_s / 3600.0},
        "grid": {"cell_m": model.grid.cell_m, "cells": int(model.grid.inside.sum()), "dt_s": model.dt_s},
        "crossings": [asdict(c) for c in crossings],
        "twpi_years": twpi,
        "calibration": cal,
        "initial": {k: list(v) for k, v in initial.items()} if initial else None,  # the given start state
        "settings": {k: v for k, v in asdict(model.settings).items() if k != "dehumidifiers"},
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if report:
        write_report(out, sc, scene, model, res, crossings, summary)
    return summary


def _write_series(path: Path, start: datetime, times_s: np.ndarray, ids: Sequence[str], temp: np.ndarray,
                  rh: np.ndarray) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["time_utc", "id", "temperature", "relative_humidity"])
        for i, ts in enumerate(times_s):
            stamp = (start + timedelta(seconds=float(ts))).astimezone(UTC).isoformat()
            for j, pid in enumerate(ids):
                w.writerow([stamp, pid, f"{temp[i, j]:.3f}", f"{rh[i, j]:.2f}"])


# --- report ---------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    # the Makefile installs Debian's fonts-wqy-microhei; any of the others serves as well
    cjk = [n for n in ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Serif CJK SC", "SimHei")
           if n in names]
    plt.rcParams["font.family"] = [*cjk, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def write_report(out: Path, sc: Scenario, scene: Any, model: climate.HallModel, res: climate.SimulationResult,
                 crossings: list[Crossing], summary: dict[str, Any]) -> None:
    """PNG charts and maps, and ``report.html`` (zh-CN and en)."""
    with warnings.catch_warnings():
        # without a CJK font the Chinese labels draw as boxes; the report is still worth writing
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        _write_report(out, sc, scene, model, res, crossings, summary)


def _write_report(out: Path, sc: Scenario, scene: Any, model: climate.HallModel, res: climate.SimulationResult,
                  crossings: list[Crossing], summary: dict[str, Any]) -> None:
    plt = _pyplot()
    hours = res.times_s / 3600.0
    for name, ids, temp, rh, title in (
        ("relics", res.probe_ids, res.probe_t, res.probe_rh, "relics_chart"),
        ("zones", res.zone_ids, res.zone_t, res.zone_rh, "zones_chart"),
    ):
        fig, ax = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        for j, pid in enumerate(ids):
            ax[0].plot(hours, temp[:, j], label=pid)
            ax[1].plot(hours, rh[:, j], label=pid)
        ax[0].set_ylabel(t("temperature"))
        ax[1].set_ylabel(t("relative_humidity"))
        ax[1].set_xlabel(t("hours_axis"))
        ax[0].set_title(f"{sc.title.get('zh-CN', '')} / {sc.title.get('en', '')}: {t(title)}")
        if len(ids):
            ax[0].legend(fontsize=7, ncol=4)
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", dpi=90)
        plt.close(fig)
    g = model.grid
    extent = (g.origin[0], g.origin[0] + g.nx * g.cell_m, g.origin[1], g.origin[1] + g.ny * g.cell_m)
    for q, snaps, cmap in (("temperature", res.snapshot_t, "coolwarm"), ("relative_humidity", res.snapshot_rh, "BrBG")):
        dev = np.nanmax(np.abs(snaps - np.nanmean(snaps[0])), axis=(1, 2))
        k = int(np.argmax(dev))
        fig, ax = plt.subplots(figsize=(8, 5.2))
        im = ax.imshow(snaps[k], origin="lower", extent=extent, cmap=cmap)
        for p in model.geometry.probes:
            ax.plot(*p.position, "k^", ms=5)
            ax.annotate(p.id, p.position, fontsize=7, xytext=(3, 3), textcoords="offset points")
        fig.colorbar(im, ax=ax, label=t(q))
        ax.set_title(f"{t('map')}: {res.snapshot_times_s[k] / 3600:.1f} h")
        ax.set_aspect("equal")
        fig.tight_layout()
        fig.savefig(out / f"map_{q}.png", dpi=90)
        plt.close(fig)
    (out / "report.html").write_text(_html(sc, crossings, summary), encoding="utf-8")


def _html(sc: Scenario, crossings: list[Crossing], summary: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c.relic)}</td><td>{e(t(c.quantity))}</td><td>{e(t(c.side))} {c.limit:g}</td>"
        f"<td>{e(c.first_utc)}{' *' if c.at_start else ''}</td><td>{c.hours_outside:.1f}</td><td>{c.worst_excess:.1f}</td></tr>"
        for c in crossings
    )
    table = (f"<table><tr><th>{e(t('relic'))}</th><th>{e(t('quantity'))}</th><th>{e(t('limit'))}</th>"
             f"<th>{e(t('first'))}</th><th>{e(t('hours'))}</th><th>{e(t('worst'))}</th></tr>{rows}</table>"
             f"<p><small>{e(TEXT['at_start']['zh-CN'])}<br>{e(TEXT['at_start']['en'])}</small></p>"
             if crossings else f"<p>{e(TEXT['none']['zh-CN'])}<br>{e(TEXT['none']['en'])}</p>")
    cal = summary.get("calibration")
    if cal:
        fig = cal.get("figures", cal)
        g14 = "".join(
            f"<tr><td>{e(t(q))}</td><td>{m.get('cv_rmse_pct', float('nan')):.1f}</td>"
            f"<td>{m.get('nmbe_pct', float('nan')):+.1f}</td><td>{m.get('rmse', float('nan')):.2f}</td>"
            f"<td>{m.get('hours', '')}</td><td>{'✔ 通过 / pass' if m.get('passes') else '✘ 未通过 / FAIL'}</td></tr>"
            for q in ("temperature", "relative_humidity") if isinstance(m := fig.get(q), dict))
        trust = (f"<p>{e(TEXT['calibrated']['zh-CN'])}<br>{e(TEXT['calibrated']['en'])}</p>"
                 f"<table><tr><th></th><th>CV(RMSE) %</th><th>NMBE %</th><th>RMSE</th><th>h</th><th></th></tr>"
                 f"{g14}</table>"
                 f"<pre>{e(json.dumps(fig, ensure_ascii=False, indent=1))}</pre>")
    else:
        trust = f"<p>{e(TEXT['uncalibrated']['zh-CN'])}<br>{e(TEXT['uncalibrated']['en'])}</p>"
    twpi = "".join(f"<tr><td>{e(k)}</td><td>{v:.0f}</td></tr>" for k, v in summary["twpi_years"].items())
    imgs = "".join(f'<figure><img src="{n}.png" alt="{n}"></figure>'
                   for n in ("relics", "zones", "map_temperature", "map_relative_humidity"))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(t('title'))}: {e(sc.id)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}}td,th{{padding:2px 8px;border-bottom:1px solid #ccc}}
img{{max-width:100%}}</style></head><body>
<h1>{e(sc.title.get('zh-CN', sc.id))}<br><small>{e(sc.title.get('en', sc.id))}</small></h1>
<p>{e(summary['scenario']['start_utc'])} UTC, {summary['scenario']['duration_h']:g} h;
 {summary['grid']['cells']} × {summary['grid']['cell_m']} m, dt {summary['grid']['dt_s']:g} s</p>
<h2>{e(t('trust'))}</h2>{trust}
<h2>{e(t('crossings'))}</h2>{table}
<h2>{e(t('twpi'))}</h2><table>{twpi}</table>
{imgs}
</body></html>
"""


# --- several scenarios, command line ----------------------------------------------------------


def _worker(args: tuple[str, str, float | None, bool, Any, Any]) -> dict[str, Any]:
    path, out, cell_m, report, queue, initial = args
    name = Path(path).stem
    return run_scenario(path, out, cell_m=cell_m, progress=lambda x: queue.put((name, x)), report=report,
                        initial=initial)


def run_many(paths: Sequence[str | Path], out_root: str | Path, *, jobs: int = 1, cell_m: float | None = None,
             progress: Callable[[str, float], None] | None = None, report: bool = True,
             initial: dict[str, tuple[float, float]] | None = None) -> list[dict[str, Any]]:
    """Run scenario files in parallel (``jobs`` processes); outputs in ``out_root/<file stem>/``.

    progress(name, fraction) is called in this process as the workers advance; ``initial``
    {zone or relic id: (T, RH)} overrides every scenario's start state (see :func:`stored_initial_state`).
    """
    ctx = mp.get_context("spawn")  # no fork of a process that may hold threads (BLAS, FiPy)
    with ctx.Manager() as manager:
        queue = manager.Queue()
        args = [(str(p), str(Path(out_root) / Path(p).stem), cell_m, report, queue, initial) for p in paths]
        with ctx.Pool(processes=max(1, min(jobs, len(paths)))) as pool:
            pending = pool.map_async(_worker, args)
            while not pending.ready():
                pending.wait(0.2)
                while not queue.empty():
                    name, frac = queue.get()
                    if progress is not None:
                        progress(name, frac)
            while not queue.empty():
                name, frac = queue.get()
                if progress is not None:
                    progress(name, frac)
            return pending.get()
