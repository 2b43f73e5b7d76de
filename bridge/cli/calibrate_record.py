"""``relic-twin calibrate --csv ROOM_RECORD.csv``: calibrate on any room record, and skill beside baselines.

The record (:mod:`bridge.cli.room_record`: indoor T/RH per sensor, and where recorded outdoor
weather, occupancy, doors, windows, HVAC, lights, heat) may be made of many short runs with gaps,
and may be shorter than a day. The fit (:func:`simulation.record_model.fit_record`) uses the runs in
the first ``--fit-days`` of the record, each started from its own measured state; the held-back
``--holdout-days`` after them are simulated run by run the same way, never seen by the fit.
Without outdoor weather the boundary is fitted (indoor-only mode).

Every figure is printed per sensor beside persistence (each held-back run's first value held) and
the training mean, as a skill score (:func:`simulation.record_model.skill_table`), and with the
ASHRAE Guideline 14 hourly figures the what-if results show.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bridge.cli.calibrate import DAY_S, _parse_start
from bridge.cli.common import InputError
from bridge.cli.room_record import load_record
from simulation import calibration as ca
from simulation import climate
from simulation.record_model import anchored, fit_record, format_skill, parameter_bounds, runs, skill_table

__all__ = ["calibrate_record", "split_runs"]


def split_runs(record: Any, fit_days: float, holdout_days: float, start_s: float = 0.0
               ) -> tuple[list[tuple[int, int]], list[tuple[int, int]], np.ndarray]:
    """Training and held-back runs of ``record``, and the training rows.

    The training period is ``fit_days`` from ``start_s`` (s since the record's start, default its
    first indoor reading); the held-back period the ``holdout_days`` after it.
    """
    observed = np.isfinite(record.t_in).any(axis=1) & np.isfinite(record.rh_in).any(axis=1)
    if not observed.any():
        raise InputError("no indoor T/RH in the record / 记录中没有室内温湿度")
    t = record.times_s
    first = max(float(t[np.argmax(observed)]), start_s)
    train = (t >= first) & (t < first + fit_days * DAY_S)
    test = (t >= first + fit_days * DAY_S) & (t < first + (fit_days + holdout_days) * DAY_S)
    step = record.step_s
    train_spans, test_spans = runs(observed & train, step), runs(observed & test, step)
    if not train_spans or not test_spans:
        have = (t[observed][-1] - first) / DAY_S
        raise InputError(f"need at least an hour of indoor record in the fit period and in the held-back period "
                         f"(the record covers {have:.2f} days from the start; --fit-days + --holdout-days = "
                         f"{fit_days + holdout_days:g}) / 拟合期和留出期各需至少1小时的室内数据")
    rows = np.concatenate([np.arange(a, b) for a, b in train_spans])
    return train_spans, test_spans, rows


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def calibrate_record(args: argparse.Namespace, scene: Any, base: climate.ClimateSettings, params: list[str]
                     ) -> tuple[str, dict[str, Any], Path]:
    """Fit on a room record; returns (the text to print, calibration.json document, where to write it)."""
    if not args.fit_days > 0.0 or not args.holdout_days > 0.0:
        raise InputError("--fit-days and --holdout-days must be positive / 拟合与留出天数须为正数")
    step_s = args.step_min * 60.0
    record, start, cols = load_record(Path(args.csv), scene, step_s, args.utc_offset, args.sensor,
                                      hvac=not args.no_hvac, indoor_only=args.indoor_only)
    start_s = _parse_start(args.start, args.utc_offset) - start if args.start else 0.0
    train, test, train_rows = split_runs(record, args.fit_days, args.holdout_days, start_s)
    names = list(params)
    if "occupancy" in cols and "occupancy_factor" not in names:
        names.append("occupancy_factor")
    if args.horizon_h:  # train as the twin runs live: from the sensors' state every horizon
        seen = np.isfinite(record.t_in).any(axis=1) & np.isfinite(record.rh_in).any(axis=1)
        train = anchored(train, seen, step_s, args.horizon_h * 3600.0)
        test = anchored(test, seen, step_s, args.horizon_h * 3600.0)
    fitted = fit_record(record, train, names, base, max_nfev=args.max_evals, cell_m=args.cell, offsets=args.offsets,
                        daily=args.daily)
    t_sim, rh_sim = fitted.simulate(record, [*train, *test], cell_m=args.cell)
    table = skill_table(record, t_sim, rh_sim, test, train_rows)
    rows = np.concatenate([np.arange(a, b) for a, b in test])
    p = len(fitted.parameters)
    g14 = {q: ca.hourly_metrics(record.times_s[rows], meas[rows], sim[rows], p)
           for q, meas, sim in (("temperature", record.t_in, t_sim), ("relative_humidity", record.rh_in, rh_sim))}
    held = float(sum(b - a for a, b in test) * step_s / DAY_S)
    trained = float(sum(b - a for a, b in train) * step_s / DAY_S)
    mode = "indoor-only (fitted boundary)" if record.indoor_only else "outdoor weather"
    figures: dict[str, Any] = {
        "guideline": "ASHRAE Guideline 14-2014, hourly",
        "limits": {"cv_rmse_pct": ca.CV_RMSE_LIMIT_PCT, "nmbe_pct": ca.NMBE_LIMIT_PCT},
        "held_back_days": round(held, 4), "train_days": round(trained, 4),
        **{q: {"cv_rmse_pct": _finite(m.cv_rmse_pct), "nmbe_pct": _finite(m.nmbe_pct), "rmse": _finite(m.rmse),
               "bias": _finite(m.bias), "hours": m.hours, "passes": bool(m.passes)} for q, m in g14.items()},
        "parameters": fitted.parameters,
        "skill": [row.as_dict() for row in table],
        "mode": mode, "runs": {"train": len(train), "held_back": len(test)},
    }
    doc = {
        "version": 1,
        "created_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "scene": scene.id,
        "source": {"kind": "record", "file": str(args.csv), "columns": cols,
                   "start_utc": datetime.fromtimestamp(start, UTC).isoformat(), "step_s": step_s},
        "settings": {"cell_m": args.cell, "hvac": not args.no_hvac, "fitted": list(fitted.parameters),
                     "max_evals": args.max_evals, "horizon_h": args.horizon_h, "offsets": bool(args.offsets),
                     "daily": bool(args.daily)},
        "evaluations": fitted.evaluations,
        "figures": figures,
    }
    out = Path(args.out) if args.out else scene.root / "calibration.json"
    lines = [f"记录 / record: {args.csv} · {mode} · {len(train)} training run(s) 训练段, {len(test)} held-back "
             f"run(s) 留出段 ({trained:.2f} d / {held:.2f} d)", "拟合参数 / fitted parameters:"]
    for k, v in fitted.parameters.items():
        lo, hi = parameter_bounds(k)
        lines.append(f"  {k:26s} {v:12.4g}   (bounds {lo:g}..{hi:g})")
    lines.append("")
    lines.append("留出期逐传感器 / per sensor on the held-back runs, beside persistence and the training mean:")
    lines += format_skill(table)
    lines.append("")
    for q, m in g14.items():
        verdict = "通过 pass" if m.passes else "未通过 FAIL"
        lines.append(f"  ASHRAE G14 {q}: CV(RMSE) {m.cv_rmse_pct:.2f} % (≤ 30), NMBE {m.nmbe_pct:+.2f} % (±10), "
                     f"{m.hours} h  {verdict}")
    lines.append("")
    lines.append(f"已写入 / written: {out}")
    return "\n".join(lines), doc, out
