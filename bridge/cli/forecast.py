"""``relic-twin forecast backtest``: how well would the forecaster have done on this file?

    relic-twin forecast backtest --csv FILE [--time-col C] [--value-col C [--series-col C]]
                                 [--step 15min] [--horizons 6h,12h] [--history 14d] [--every 7h]

Reads a CSV in either layout:

- long: one time column and ``--value-col`` (optionally ``--series-col`` naming
  the sensor of each row, e.g. ``location``);
- wide: one time column and every other numeric column a series.

Times are ISO 8601; times without a zone are taken as UTC. Readings are put
on a regular grid of ``--step`` (default: the median spacing), averaging
readings that fall into one step. Each series is then cut at rolling origins
and scored by :func:`simulation.backtest.rolling_backtest`: MAE at each
horizon for persistence, seasonal naive, Holt over 24 h and ours, and the
coverage of our band. Output is printed in Chinese and English.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from simulation.backtest import Score, rolling_backtest

__all__ = ["backtest_main", "load_series", "parse_duration", "regularise"]

_UNITS_S = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_MISSING = {"", "na", "nan", "null", "none", "-", "--"}
_TIME_NAMES = ("time", "datetime", "date", "timestamp", "date time", "date_time")


class ForecastCliError(ValueError):
    """A problem with the input file or arguments, with a bilingual message."""


def parse_duration(text: str) -> float:
    """``"15min"``, ``"6h"``, ``"90s"``, ``"14d"`` -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*", text)
    if not m or m.group(2).lower() not in _UNITS_S:
        raise ForecastCliError(f"bad duration / 时长格式错误: {text!r} (e.g. 15min, 6h, 14d)")
    return float(m.group(1)) * _UNITS_S[m.group(2).lower()]


def _parse_time(text: str) -> float:
    t = datetime.fromisoformat(text.strip())
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


def _parse_value(text: str) -> float:
    s = text.strip()
    if s.lower() in _MISSING:
        return np.nan
    try:
        return float(s)
    except ValueError:
        return np.nan


def _header_row(rows: list[list[str]], time_col: str | None) -> int:
    """Index of the header row: the first naming the time column (logger exports
    put a preamble above it), else row 0."""
    for i, r in enumerate(rows[:50]):
        cells = [c.strip() for c in r]
        if (time_col is not None and time_col in cells) or (
            time_col is None and any(c.lower() in _TIME_NAMES for c in cells)
        ):
            return i
    return 0


def load_series(
    path: Path, time_col: str | None, value_col: str | None, series_col: str | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read ``{series name: (unix seconds (n,), values (n,))}`` from a long or wide CSV."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    start = _header_row(rows, time_col)
    header = [h.strip() for h in rows[start]]
    if time_col is None:
        time_col = next((h for h in header if h.lower() in _TIME_NAMES), None)
        if time_col is None:
            raise ForecastCliError("no time column found, use --time-col / 未找到时间列，请用 --time-col 指定")
    for col in (time_col, value_col, series_col):
        if col is not None and col not in header:
            raise ForecastCliError(f"no column / 无此列: {col!r}; columns / 列: {header}")
    ti = header.index(time_col)
    body, stamps = [], []
    for r in rows[start + 1 :]:
        try:  # logger exports end with footers; rows without a readable time are skipped
            stamps.append(_parse_time(r[ti]))
        except (ValueError, IndexError):
            continue
        body.append(r)
    if len(body) < 2:
        raise ForecastCliError(f"no data rows / 无数据行: {path}")
    times = np.array(stamps)
    if value_col is not None:
        vi = header.index(value_col)
        vals = np.array([_parse_value(r[vi]) if len(r) > vi else np.nan for r in body])
        if series_col is None:
            return {value_col: (times, vals)}
        si = header.index(series_col)
        keys = np.array([r[si] if len(r) > si else "" for r in body])
        return {f"{k} {value_col}": (times[keys == k], vals[keys == k]) for k in dict.fromkeys(keys)}
    out = {}
    for j, name in enumerate(header):
        if j == ti:
            continue
        vals = np.array([_parse_value(r[j]) if len(r) > j else np.nan for r in body])
        if np.isfinite(vals).sum() >= 2:
            out[name] = (times, vals)
    if not out:
        raise ForecastCliError("no numeric columns / 无数值列")
    return out


def regularise(times: np.ndarray, values: np.ndarray, step_s: float | None) -> tuple[np.ndarray, float]:
    """Average readings into a regular grid of ``step_s`` (default: median spacing).

    times : (n,) unix s; values : (n,) float. Returns (values on the grid, step_s).
    """
    order = np.argsort(times, kind="stable")
    t, v = times[order], values[order]
    if step_s is None:
        d = np.diff(t)
        d = d[d > 0]
        if not d.size:
            raise ForecastCliError("cannot infer the step, use --step / 无法推断步长，请用 --step")
        step_s = float(np.median(d))
    idx = np.round((t - t[0]) / step_s).astype(int)
    ok = np.isfinite(v)
    n = int(idx[-1]) + 1
    s = np.bincount(idx[ok], v[ok], minlength=n)
    c = np.bincount(idx[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / c, np.nan), step_s


def _fmt_hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h"


def _report(name: str, step_s: float, horizons_s: list[float], scores: dict[str, Score]) -> str:
    hz = [_fmt_hours(h) for h in horizons_s]
    lines = [f"== {name}  (step 步长 {step_s:g} s, origins 起报点 {int(scores['ours'].count[0])})"]
    lines.append(
        "method 方法".ljust(24)
        + "".join(f"MAE {h}".rjust(12) for h in hz)
        + "".join(f"vs last 比最新值 {h}".rjust(20) for h in hz)
    )
    p = scores["persistence"].mae
    for method, sc in scores.items():
        ratio = sc.mae / p
        lines.append(method.ljust(24) + "".join(f"{m:12.4g}" for m in sc.mae) + "".join(f"{r:20.3f}" for r in ratio))
    cov = scores["ours"].coverage
    lines.append("band coverage 区间覆盖率".ljust(24) + "".join(f"{c:12.1%}" for c in cov) + "   (nominal 名义 95%)")
    return "\n".join(lines)


def backtest_main(argv: list[str]) -> int:
    """Entry point of ``relic-twin forecast backtest``; returns the exit status."""
    ap = argparse.ArgumentParser(prog="relic-twin forecast backtest", description=__doc__.split("\n")[0])
    ap.add_argument("--csv", required=True, type=Path, help="CSV file / CSV 文件")
    ap.add_argument("--time-col", help="time column / 时间列")
    ap.add_argument("--value-col", help="value column (long layout) / 数值列（长表）")
    ap.add_argument("--series-col", help="sensor column (long layout) / 传感器列（长表）")
    ap.add_argument("--step", help="grid step, e.g. 15min / 步长")
    ap.add_argument("--horizons", default="6h,12h", help="lead times / 预测时长")
    ap.add_argument("--history", default="14d", help="history per forecast / 每次预测所用历史")
    ap.add_argument("--every", default="7h", help="spacing of origins / 起报点间隔")
    args = ap.parse_args(argv)
    try:
        step = parse_duration(args.step) if args.step else None
        horizons = [parse_duration(h) for h in args.horizons.split(",") if h.strip()]
        history_s, every_s = parse_duration(args.history), parse_duration(args.every)
        series = load_series(args.csv, args.time_col, args.value_col, args.series_col)
        for name, (t, v) in series.items():
            grid, step_s = regularise(t, v, step)
            leads = np.array([max(1, round(h / step_s)) - 1 for h in horizons])
            scores = rolling_backtest(
                grid,
                step_s,
                int(leads.max()) + 1,
                leads,
                history_steps=max(2, round(history_s / step_s)),
                every_steps=max(1, round(every_s / step_s)),
            )
            if scores["ours"].count.max(initial=0) == 0:
                print(f"== {name}: too short to backtest / 数据太短，无法回测")
                continue
            print(_report(name, step_s, horizons, scores))
    except (ForecastCliError, OSError) as exc:  # bad input: exit status 1 (twin_engine.cli's convention)
        print(f"relic-twin forecast backtest: {exc}", file=sys.stderr)
        return 1
    return 0


FORECAST_COMMANDS = {"backtest": (backtest_main, "evaluate the forecaster on a CSV series / 在 CSV 序列上回测预测")}


def forecast_main(argv: list[str]) -> int:
    """Entry point of ``relic-twin forecast --hall H --sensor S ...`` (a stored sensor,
    :mod:`bridge.cli.forecast_store`) and ``relic-twin forecast backtest ...``."""
    if argv[:1] and argv[0] in FORECAST_COMMANDS:
        return FORECAST_COMMANDS[argv[0]][0](argv[1:])
    if argv[:1] and argv[0].startswith("--") and argv[0] != "--help":
        from bridge.cli.forecast_store import forecast_store_main

        return forecast_store_main(argv)
    usage = "usage: relic-twin forecast --hall HALL --sensor ID [--hours 12] ...  (a stored sensor / 已存储的传感器)\n"
    usage += "       relic-twin forecast {" + ",".join(FORECAST_COMMANDS) + "} ...\n\n" + "\n".join(
        f"  {name:10s} {help_}" for name, (_, help_) in FORECAST_COMMANDS.items())
    usage += "\n\nrelic-twin forecast --hall H --sensor S --help, relic-twin forecast backtest --help: options / 查看选项"
    if argv[:1] in (["-h"], ["--help"]):
        print(usage)
        return 0
    wrong = f"unknown forecast command {argv[0]!r} / 未知子命令\n" if argv else ""
    print(wrong + usage, file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run as ``python -m bridge.cli.forecast backtest ...``."""
    return forecast_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
