"""``relic-twin forecast --hall H --sensor S``: forecast a stored sensor, with inputs where they pay.

    relic-twin forecast --hall HALL --sensor ID [--quantity Q] [--hours 12] [--step 10min]
                        [--history 42d] [--outdoor SENSOR] [--input SENSOR:QUANTITY ...]
                        [--at ISO] [--db URL] [--data-dir DIR]

Reads the sensor's ``ok`` readings from the store (``--db``, ``RELIC_TWIN_DATABASE_URL`` or
SQLite in ``--data-dir``), averaged into ``--step`` buckets up to ``--at`` (default: its
latest reading). Each climate quantity it has (or ``--quantity``) is forecast ``--hours``
ahead by :func:`simulation.forecast_inputs.forecast_with_inputs`: the series-only forecaster,
replaced at a lead by a model with inputs only where that model beats the series-only one and
persistence in cross-validation on this sensor's own past. Inputs are the stored series the
store has beside it: the sensor's other quantity; outdoor temperature and humidity of
``--outdoor`` (default ``$RELIC_TWIN_OUTDOOR_SENSOR``); and any ``--input SENSOR:QUANTITY``
(a CO2 sensor stands for visitors, a lux sensor for opening hours).

Prints the cross-validated MAE of persistence, the series-only model and the model with inputs,
each with its skill against persistence, then the forecast every hour with its 95 % band.
Exit status: 0 printed, 1 bad input or nothing to forecast.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bridge.config import add_settings_arguments, settings_from_args
from bridge.errors import RelicTwinError
from simulation.forecast import HALF, ForecastSettings
from simulation.forecast_inputs import INPUTS_PREFIX, Input, InputForecast, InputSettings, forecast_with_inputs
from simulation.forecast_models import LABELS

__all__ = ["forecast_store_main", "stored_forecast"]

CLIMATE = ("temperature", "relative_humidity")
OUTDOOR_ENV = "RELIC_TWIN_OUTDOOR_SENSOR"
#: an input with readings in fewer than this share of the history's buckets is left out
MIN_INPUT_SHARE = 0.25


class ForecastInputError(ValueError):
    """Bad arguments or nothing to forecast; the message is bilingual."""


@dataclass(frozen=True)
class StoredForecast:
    """One quantity's forecast from the store: times (h,) datetime, the report, inputs used and skipped."""

    quantity: str
    unit: str
    now: datetime
    step_s: float
    readings: int
    report: InputForecast
    inputs: tuple[str, ...]
    skipped: tuple[str, ...]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin forecast", description="forecast a stored sensor / 预测已存储的传感器")
    p.add_argument("--hall", required=True, help="hall (scene id) / 展厅")
    p.add_argument("--sensor", required=True, help="sensor id / 传感器编号")
    p.add_argument("--quantity", action="append", choices=CLIMATE, help="quantity (default: both) / 指标")
    p.add_argument("--hours", type=float, default=12.0, help="how far ahead / 预测时长（小时）")
    p.add_argument("--step", default="10min", help="forecast step / 步长")
    p.add_argument("--history", default="42d", help="history read (the series-only model uses its last 14 d) / 历史长度")
    p.add_argument("--outdoor", help=f"outdoor T/RH sensor (default ${OUTDOOR_ENV}) / 室外传感器")
    p.add_argument("--input", action="append", default=[], metavar="SENSOR:QUANTITY",
                   help="another stored series as an input, e.g. V1:co2 / 其他输入序列")
    p.add_argument("--at", help="forecast from this time, ISO 8601 (default: the latest reading) / 起报时间")
    add_settings_arguments(p)
    return p


def _regular(store: object, sensor: str, quantity: str, hall: str, start: datetime, n: int, step_s: int) -> np.ndarray:
    """Mean of ``ok`` readings per bucket from ``start``: (n,) float, NaN where empty."""
    series = store.series(sensor, quantity, start, start + timedelta(seconds=n * step_s),  # type: ignore[attr-defined]
                          bucket_s=step_s, only_ok=True, hall=hall)
    out = np.full(n, np.nan)
    start_s = int(start.timestamp())
    idx = (series.times.astype("datetime64[s]").astype(np.int64) - start_s) // step_s
    keep = (idx >= 0) & (idx < n)
    out[idx[keep]] = series.values[keep]
    return out


def _input_specs(args: argparse.Namespace, quantity: str) -> list[tuple[str, str, str, bool]]:
    """(label, sensor, quantity, same_unit) of the inputs to try for ``quantity``."""
    specs = [(f"{q}@{args.sensor}", args.sensor, q, False) for q in CLIMATE if q != quantity]
    outdoor = args.outdoor or os.environ.get(OUTDOOR_ENV)
    if outdoor and outdoor != args.sensor:
        specs += [(f"outdoor_{q}@{outdoor}", outdoor, q, q == quantity) for q in CLIMATE]
    for text in args.input:
        sensor, sep, q = text.partition(":")
        if not sep or not sensor or not q:
            raise ForecastInputError(f"--input wants SENSOR:QUANTITY, got {text!r} / 输入格式应为 传感器:指标")
        specs.append((f"{q}@{sensor}", sensor, q, q == quantity))
    return specs


def stored_forecast(store: object, args: argparse.Namespace, quantity: str, now: datetime, step_s: int,
                    history_s: float) -> StoredForecast | None:
    """Forecast one quantity of ``args.sensor`` from the store; None when it has no readings."""
    n = max(2, int(history_s // step_s))
    end_s = int(now.timestamp()) // step_s * step_s + step_s  # the bucket holding "now" is the last
    start = datetime.fromtimestamp(end_s - n * step_s, UTC)
    y = _regular(store, args.sensor, quantity, args.hall, start, n, step_s)
    if not np.isfinite(y).any():
        return None
    inputs, skipped = [], []
    for label, sensor, q, same in _input_specs(args, quantity):
        x = _regular(store, sensor, q, args.hall, start, n, step_s)
        if np.isfinite(x).mean() < MIN_INPUT_SHARE:
            skipped.append(label)
            continue
        inputs.append(Input(label, x, same))
    h = max(1, int(round(args.hours * 3600 / step_s)))
    from simulation.quantities import QUANTITIES

    q_range = (QUANTITIES[quantity].low, QUANTITIES[quantity].high)  # a band never past 100 %RH
    report = forecast_with_inputs(y, float(step_s), h, inputs, settings=ForecastSettings(),
                                  input_settings=InputSettings(max_history_s=history_s), limits=q_range)

    return StoredForecast(quantity, QUANTITIES[quantity].unit, datetime.fromtimestamp(end_s - step_s, UTC),
                          float(step_s), int(np.isfinite(y).sum()), report, tuple(i.name for i in inputs),
                          tuple(skipped))


def _evidence(f: StoredForecast) -> list[str]:
    """The cross-validated MAE of each model at 6 h and 12 h (or the nearest knots), with skill."""
    knots = f.report.knots
    want = [k for k in (int(round(6 * 3600 / f.step_s)), int(round(12 * 3600 / f.step_s))) if k <= knots.max()]
    cols = sorted({int(np.argmin(np.abs(knots - k))) for k in want} or {knots.size - 1})
    mae = {k: v[0] for k, v in f.report.mae.items()}
    if not np.isfinite(mae["persistence"][cols]).any():
        return ["  no cross-validation: too little history or no inputs / 历史太短或无输入，未做交叉验证"]
    head = "  cross-validated on its own past 自身历史交叉验证 MAE".ljust(58) + "".join(
        f"{knots[c] * f.step_s / 3600:>8.3g} h" for c in cols) + "   skill vs last value 相对保持最新值的技能"
    lines = [head]
    names = {"persistence": "persistence 保持最新值", "series": "series only 仅本序列", "inputs": "with inputs 含输入"}
    for k, label in names.items():
        skill = 1.0 - mae[k][cols] / mae["persistence"][cols]
        lines.append(f"    {label:52s}" + "".join(f"{v:10.3f}" for v in mae[k][cols])
                     + "   " + " ".join(f"{s:+.1%}" for s in skill))
    used = f.report.use[0]
    lines.append(f"  inputs chosen at {int(used.sum())} of {used.size} lead knots / 在 {int(used.sum())}/{used.size} "
                 "个时效节点选用输入")
    return lines


def model_label(m: str) -> str:
    """Bilingual name of the model used at a lead (a name of ``models``)."""
    if m.startswith(INPUTS_PREFIX + HALF):
        return "with inputs, averaged with the series-only forecast 含输入（与仅本序列预测平均）"
    if m.startswith(INPUTS_PREFIX):
        return "with inputs 含输入"
    names = LABELS.get(m.removeprefix(HALF), {"en": m, "zh": m})
    half = (" (averaged with the last value)", "（与最新值平均）") if m.startswith(HALF) else ("", "")
    return f"{names['en']}{half[0]} {names['zh']}{half[1]}"


def render(f: StoredForecast, sensor: str, hall: str) -> str:
    """Bilingual text of one quantity's forecast."""
    b = f.report.batch
    lines = [f"== {hall} / {sensor} · {f.quantity} ({f.unit}) · from 起报 {f.now:%Y-%m-%d %H:%M} UTC · "
             f"step 步长 {f.step_s:g} s · {f.readings} buckets with readings 有读数的时段"]
    lines.append("  inputs 输入: " + (", ".join(f.inputs) or "none 无")
                 + (f"; not used (readings in < {MIN_INPUT_SHARE:.0%} of the history) 读数太少未用: {', '.join(f.skipped)}"
                    if f.skipped else ""))
    lines += _evidence(f)
    lines.append(f"  {'lead 时效':>10s}  {'time (UTC) 时间':18s} {'forecast 预测':>12s}  {'95 % band 区间':>20s}  model 模型")
    every = max(1, int(round(3600 / f.step_s)))
    for k in range(every - 1, b.mean.shape[1], every):
        m = str(b.models[0, k])
        label = model_label(m)
        t = f.now + timedelta(seconds=(k + 1) * f.step_s)
        lines.append(f"  {(k + 1) * f.step_s / 3600:>8.3g} h  {t:%Y-%m-%d %H:%M}   {b.mean[0, k]:12.2f}  "
                     f"[{b.lower[0, k]:8.2f}, {b.upper[0, k]:8.2f}]  {label}")
    return "\n".join(lines)


def forecast_store_main(argv: list[str]) -> int:
    """Entry point of ``relic-twin forecast --hall H --sensor S``; returns the exit status."""
    from bridge.cli.forecast import ForecastCliError, parse_duration
    from bridge.cli.report import open_store

    args = _parser().parse_args(argv)
    try:
        step_s = int(parse_duration(args.step))
        history_s = parse_duration(args.history)
        if step_s < 60 or args.hours <= 0 or history_s < 2 * 86400:
            raise ForecastInputError("--step >= 1min, --hours > 0, --history >= 2d / 步长、时长或历史长度无效")
        settings = settings_from_args(args)
        store = open_store(settings.database_url, Path(settings.data_dir))
    except (ForecastCliError, ForecastInputError, RelicTwinError) as exc:
        print(f"relic-twin forecast: {exc}", file=sys.stderr)
        return 1
    try:
        if args.at:
            now = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
            now = now if now.tzinfo else now.replace(tzinfo=UTC)
        else:
            latest = [r for r in store.latest([args.sensor], hall=args.hall) if r.quantity in CLIMATE]
            if not latest:
                raise ForecastInputError(f"no stored T/RH readings of sensor {args.sensor!r} in hall {args.hall!r} "
                                         f"/ 该展厅无此传感器的温湿度读数")
            now = max(r.time for r in latest)
        out = []
        for q in args.quantity or CLIMATE:
            f = stored_forecast(store, args, q, now, step_s, history_s)
            if f is not None:
                out.append(render(f, args.sensor, args.hall))
        if not out:
            raise ForecastInputError(f"no readings of {args.sensor!r} before {now:%Y-%m-%d %H:%M} / 无可用读数")
    except (ForecastInputError, ValueError) as exc:
        print(f"relic-twin forecast: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print("\n\n".join(out))
    return 0
