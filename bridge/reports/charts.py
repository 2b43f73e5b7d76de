"""The report's charts, drawn with matplotlib as PNG images that read in black and white.

Every chart uses black lines of different dash patterns, grey fills with
hatching for limits, and labels in the report's language(s); none relies on
colour alone. Each function returns PNG bytes.

- :func:`climate_chart`: temperature and RH of one relic with its material band;
- :func:`psychrometric_chart`: hourly states on a temperature / vapour-density
  chart with RH curves and the relic's target box;
- :func:`calendar_chart`: share of each day outside any limit, per relic;
- :func:`light_chart`: lux-hours accumulating against each relic's pro-rata budget.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bridge.reports.fonts import cjk_font_name
from simulation.materials import Band
from simulation.psychrometrics import vapour_density

DPI = 150
"""Resolution of chart images: sharp when printed at their size on A4."""

Tr = Callable[[str, str], str]
"""tr(zh, en) -> the label in the report's language(s)."""

_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


@dataclass(frozen=True)
class ClimateSeries:
    """Hourly means for a chart: t : (n,) datetime64[s] UTC; values : (n,) float."""

    t: np.ndarray
    values: np.ndarray


@lru_cache(maxsize=1)
def _mpl() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib


@contextmanager
def _style():
    mpl = _mpl()
    fam = [n for n in (cjk_font_name(),) if n] + ["DejaVu Sans"]
    with mpl.rc_context({"font.family": fam, "axes.unicode_minus": False, "font.size": 8,
                         "hatch.color": "0.45", "hatch.linewidth": 0.6}):
        yield


def _figure(w_in: float, h_in: float, margins: tuple[float, float, float, float] | None = None) -> Any:
    """A figure; ``margins`` (left, bottom, right, top as fractions) fixes the layout, which is much
    cheaper than the constrained layout the free-text charts (calendar, light) need."""
    from matplotlib.figure import Figure

    if margins is None:
        return Figure(figsize=(w_in, h_in), dpi=DPI, layout="constrained")
    fig = Figure(figsize=(w_in, h_in), dpi=DPI)
    left, bottom, right, top = margins
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top, hspace=0.12)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _dates(ax: Any) -> None:
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.tick_params(axis="x", labelsize=7)


def _view(values: np.ndarray, band: Band | None, more: Sequence[float] = ()) -> tuple[float, float]:
    """y-limits showing the data and each limit near enough to matter (within 15 units or 2 spans)."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    reach = max(15.0, 2 * (hi - lo))
    limits = [band.low, band.high] if band is not None else []
    for limit in [*limits, *more]:
        if limit is not None and lo - reach <= limit <= hi + reach:
            lo, hi = min(lo, limit), max(hi, limit)
    pad = max(0.5, 0.08 * (hi - lo))
    return lo - pad, hi + pad


def _band(ax: Any, band: Band | None, label: str) -> None:
    if band is None:
        return
    lo = band.low if band.low is not None else ax.get_ylim()[0]
    hi = band.high if band.high is not None else ax.get_ylim()[1]
    ax.axhspan(lo, hi, facecolor="0.88", edgecolor="0.35", hatch="//", linewidth=0.0, zorder=0, label=label)
    for v in (band.low, band.high):
        if v is not None:
            ax.axhline(v, color="0.2", linestyle="--", linewidth=0.8, zorder=1)


def climate_chart(temperature: ClimateSeries | None, rh: ClimateSeries | None, t_band: Band | None,
                  rh_band: Band | None, tr: Tr, en15757: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                  ) -> bytes:
    """Two panels: hourly T and RH with the relic's band (hatched) and the EN 15757 band (dotted).

    en15757 : (t datetime64, lower, upper) of the historical band, or None
    """
    with _style():
        fig = _figure(7.0, 3.6, (0.09, 0.12, 0.98, 0.98))
        axes = fig.subplots(2, 1, sharex=True)
        panels = ((axes[0], temperature, t_band, tr("温度 °C", "Temperature °C")),
                  (axes[1], rh, rh_band, tr("相对湿度 %RH", "RH %RH")))
        extra = {1: [float(np.nanmin(en15757[1])), float(np.nanmax(en15757[2]))]} if en15757 is not None and \
            en15757[0].size else {}
        for k, (ax, s, band, ylabel) in enumerate(panels):
            ax.set_ylabel(ylabel)
            if s is not None and s.values.size:
                ax.plot(s.t, s.values, color="black", linewidth=0.8, label=tr("测量值（小时均值）", "measured (hourly mean)"))
                ax.set_ylim(*_view(s.values, band, extra.get(k, ())))
            else:
                ax.text(0.5, 0.5, tr("无数据", "no data"), transform=ax.transAxes, ha="center", va="center")
            _band(ax, band, tr("材料限值范围", "material limits"))
            ax.grid(True, color="0.8", linewidth=0.4)
        if en15757 is not None and en15757[0].size:
            axes[1].plot(en15757[0], en15757[1], color="0.3", linestyle=":", linewidth=1.0,
                         label=tr("EN 15757 历史气候带", "EN 15757 band"))
            axes[1].plot(en15757[0], en15757[2], color="0.3", linestyle=":", linewidth=1.0)
        for ax in axes:
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="best", fontsize=6.5, framealpha=0.9)
        _dates(axes[1])
        return _png(fig)


def psychrometric_chart(t_c: np.ndarray, rh: np.ndarray, t_band: Band | None, rh_band: Band | None, tr: Tr) -> bytes:
    """Hourly states (dots) on temperature vs vapour density, RH curves every 10 %, the target box."""
    with _style():
        fig = _figure(3.4, 3.0, (0.17, 0.14, 0.97, 0.97))
        ax = fig.subplots()
        ok = np.isfinite(t_c) & np.isfinite(rh)
        t_lo = min([float(np.min(t_c[ok])) - 2 if ok.any() else 10.0] + ([t_band.low - 2] if t_band and t_band.low is not None else []))
        t_hi = max([float(np.max(t_c[ok])) + 2 if ok.any() else 30.0] + ([t_band.high + 2] if t_band and t_band.high is not None else []))
        grid = np.linspace(t_lo, t_hi, 60)
        for level in range(10, 101, 10):
            rho = vapour_density(grid, np.full(grid.size, float(level)))
            ax.plot(grid, rho, color="0.6", linewidth=0.5)
            ax.text(grid[-1], rho[-1], f"{level}%", fontsize=5.5, color="0.3", va="center", ha="left", clip_on=True)
        if t_band is not None and rh_band is not None:
            t0 = t_band.low if t_band.low is not None else t_lo
            t1 = t_band.high if t_band.high is not None else t_hi
            h0 = rh_band.low if rh_band.low is not None else 0.0
            h1 = rh_band.high if rh_band.high is not None else 100.0
            tt = np.linspace(t0, t1, 30)
            top = vapour_density(tt, np.full(tt.size, h1))
            bottom = vapour_density(tt, np.full(tt.size, h0))
            ax.fill(np.concatenate([tt, tt[::-1]]), np.concatenate([bottom, top[::-1]]), facecolor="0.9",
                    edgecolor="black", hatch="//", linewidth=1.2, label=tr("目标范围", "target box"))
        if ok.any():
            ax.scatter(t_c[ok], vapour_density(t_c[ok], rh[ok]), s=2.5, color="black", zorder=3,
                       label=tr("小时状态", "hourly states"))
        ax.set_xlim(t_lo, t_hi + 1.5)
        ax.set_ylim(0, None)
        ax.set_xlabel(tr("温度 °C", "Temperature °C"))
        ax.set_ylabel(tr("水汽密度 g/m³", "Vapour density g/m³"))
        ax.legend(loc="upper left", fontsize=6, framealpha=0.9)
        return _png(fig)


def calendar_chart(names: Sequence[str], shares: np.ndarray, first_day: np.datetime64, tr: Tr) -> bytes:
    """Rows = relics, columns = days: the share of each day outside any of the relic's limits.

    shares : (relics, days) float 0..1, NaN = no record. Grey from white (0) to black (1), the share
    printed in each cell, days with no record crossed out.
    """
    with _style():
        n, days = shares.shape
        fig = _figure(7.0, 0.9 + 0.32 * max(n, 1))
        ax = fig.subplots()
        shown = np.where(np.isfinite(shares), shares, 0.0)
        ax.imshow(shown, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
        for i in range(n):
            for j in range(days):
                v = shares[i, j]
                if not np.isfinite(v):
                    ax.plot([j - 0.45, j + 0.45], [i - 0.4, i + 0.4], color="0.5", linewidth=0.5)
                elif v > 0:
                    ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=5.5,
                            color="white" if v > 0.55 else "black")
        dates = first_day + np.arange(days).astype("timedelta64[D]")
        weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        ax.set_xticks(range(days), [f"{int(str(d)[8:10])}" for d in dates], fontsize=6)
        for j in np.flatnonzero(weekday == 0):  # Mondays
            ax.axvline(j - 0.5, color="black", linewidth=0.8)
        ax.set_yticks(range(n), list(names), fontsize=7)
        ax.set_xticks(np.arange(-0.5, days, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
        ax.grid(which="minor", color="0.75", linewidth=0.4)
        ax.tick_params(which="minor", length=0)
        ax.set_xlabel(tr("日（粗线为周一；数字为当日超限时间 %）",
                         "day of month (thick lines: Mondays; numbers: % of the day outside limits)"))
        return _png(fig)


def light_chart(curves: Sequence[tuple[str, np.ndarray, np.ndarray, float | None]], tr: Tr) -> bytes:
    """Accumulated lx·h per relic (solid, one dash pattern each) and its pro-rata budget (thin, same dash).

    curves : (name, t datetime64, cumulative lx·h, budget at the period's end or None)
    """
    with _style():
        fig = _figure(7.0, 3.0)
        ax = fig.subplots()
        for k, (name, t, cum, budget) in enumerate(curves):
            dash = _DASHES[k % len(_DASHES)]
            ax.plot(t, cum, color="black", linestyle=dash, linewidth=1.2, label=name)
            if budget is not None and t.size:
                ax.plot([t[0], t[-1]], [0.0, budget], color="0.45", linestyle=dash, linewidth=0.8,
                        label=f"{name} — {tr('预算', 'budget')}")
        ax.set_ylabel(tr("累计曝光量 lx·h", "Accumulated exposure lx·h"))
        ax.grid(True, color="0.8", linewidth=0.4)
        if curves:
            ax.legend(loc="upper left", fontsize=6, framealpha=0.9)
        _dates(ax)
        return _png(fig)
