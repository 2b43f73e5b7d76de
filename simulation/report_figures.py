"""The figures of a conservation report for one relic over one period, and what each means.

:func:`relic_figures` turns the series that stand for a relic (temperature,
RH, light, UV, pollutants) into the figures a monthly report states, each
computed by the metric modules (:mod:`simulation.compliance`,
:mod:`simulation.fluctuation`, :mod:`simulation.en15757`,
:mod:`simulation.preservation_index`, :mod:`simulation.mould`,
:mod:`simulation.light_dose`, :mod:`simulation.condensation`). :data:`METRICS`
holds, per figure, its name, unit, definition and source in both languages:
the report's appendix is printed from it.

All times are float seconds since the epoch (UTC); a series is ``(t_s, values)``
with ``t_s`` sorted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.compliance import held_weights, hours_where, inside_band, time_in_band, time_share
from simulation.condensation import SURFACE_RH_MOULD, condensation_margin, surface_relative_humidity
from simulation.en15757 import historical_band
from simulation.fluctuation import change_24h
from simulation.light_dose import cumulative_exposure, pro_rata_budget, uv_dose
from simulation.materials import MaterialProfile
from simulation.mould import days_above_isopleth, germination_progress
from simulation.preservation_index import preservation_index, time_weighted_preservation_index
from simulation.quantities import QUANTITIES

Series = tuple[NDArray[np.float64], NDArray[np.float64]]
"""(t_s, values): (n,) float s since the epoch, sorted; (n,) float in the quantity's unit."""


@dataclass(frozen=True)
class Metric:
    """What a figure is: names, unit, definition and source, each in Chinese and English."""

    key: str
    zh: str
    en: str
    unit: str
    definition_zh: str
    definition_en: str
    source: str


@dataclass(frozen=True)
class Figure:
    """One number of the report.

    metric : key into :data:`METRICS`; quantity : the quantity it is about ('' if none);
    value : float in the metric's unit (NaN = not computable); limit : the limit it is
    judged against, in the same unit (None = none); ok : whether it meets it (None = no verdict)
    """

    metric: str
    quantity: str
    value: float
    limit: float | None = None
    ok: bool | None = None


_M = (
    ("in_range", "达标时间比例", "Time in range", "%",
     "在文物材料档案限值范围内的记录时间占比（每个读数代表至下一读数的时间，最长6小时）。",
     "Share of the recorded time with the value inside the relic's own material limits (each reading "
     "stands for the time to the next, at most 6 h).",
     "scenes/materials.toml (JGJ 66-2015, GB/T 23863-2009, CIE 157:2004, Bizot 2014); simulation/compliance.py"),
    ("mean", "平均值", "Mean", "", "时间加权平均值。", "Time-weighted mean.", "simulation/compliance.py"),
    ("min", "最小值", "Minimum", "", "期间最小读数。", "Lowest reading in the period.", "—"),
    ("max", "最大值", "Maximum", "", "期间最大读数。", "Highest reading in the period.", "—"),
    ("change_ok", "24小时波动达标比例", "Time within 24 h change limit", "%",
     "以每个读数结束的24小时内极差不超过材料档案允许波动的时间占比。",
     "Share of the time at which the range (max − min) of the trailing 24 h stayed within the "
     "material's allowed 24 h change.",
     "ASHRAE Handbook—HVAC Applications (2019) ch. 24; Bizot 2014; simulation/fluctuation.py"),
    ("max_change", "最大24小时波动", "Largest 24 h change", "",
     "期间任意24小时内的最大极差。", "Largest max − min within any 24 h of the period.",
     "simulation/fluctuation.py"),
    ("en15757", "EN 15757 历史气候带内比例", "Time within the EN 15757 band", "%",
     "以该文物过去12个月记录求30天滑动平均（季节分量），加波动的第7和93百分位（至少±10%RH），"
     "季节分量限制在45–60%RH；统计本期在带内的时间占比。",
     "From the relic's own record of the past 12 months: 30-day centred moving average (seasonal "
     "cycle) plus the 7th and 93rd percentiles of the fluctuations (at least ±10 %RH), the seasonal "
     "cycle bounded to 45–60 %RH; share of this period's time inside that band.",
     "EN 15757:2010; simulation/en15757.py"),
    ("twpi", "时间加权保存指数 TWPI", "Time-weighted Preservation Index (TWPI)", "a",
     "醋酸纤维片基化学老化寿命的时间加权调和平均（Arrhenius 形式，Ea = 90.3 kJ/mol）。",
     "Time-weighted harmonic mean of the Preservation Index, the expected life of acetate film at "
     "each reading's T and RH (Arrhenius form, Ea = 90.3 kJ/mol).",
     "Reilly, Nishimura & Zinn 1995 (IPI); Padfield 2004; simulation/preservation_index.py"),
    ("pi_min", "最低保存指数 PI", "Lowest Preservation Index (PI)", "a",
     "期间单个读数的最低 PI。", "Lowest PI of any reading in the period.",
     "Padfield 2004; simulation/preservation_index.py"),
    ("isopleth_days", "霉菌等值线以上天数", "Days above the mould isopleth", "d",
     "温湿度处于 Sedlbauer 最低萌发等值线（LIM B I）之上的累计天数。",
     "Days with T and RH at or above Sedlbauer's lowest isopleth for mould germination (LIM B I).",
     "Sedlbauer 2001; simulation/mould.py"),
    ("mould_progress", "霉菌萌发进度", "Mould germination progress", "%",
     "本期从零开始累计的萌发时钟（Hukka & Viitanen 1999），100% 即预计萌发。",
     "Germination clock accumulated from zero over the period (Hukka & Viitanen 1999); 100 % means "
     "germination is expected.",
     "Hukka & Viitanen 1999; simulation/mould.py"),
    ("corrosion_hours", "腐蚀风险小时数", "Corrosion hours", "h",
     "金属类文物相对湿度高于其材料档案上限的累计小时数。",
     "Hours a metal relic spent above its material's RH limit.",
     "Scott 2002 (bronze); Watkinson & Lewis 2005 (iron); scenes/materials.toml"),
    ("lux_hours", "本期累计曝光量", "Light exposure in the period", "lx·h",
     "照度对时间积分（梯形法，缺口超过6小时不计）。",
     "Illuminance integrated over time (trapezoid rule; gaps over 6 h add nothing).",
     "CIE 157:2004 §4; simulation/light_dose.py"),
    ("lux_budget_share", "占本期年曝光预算比例", "Share of the period's light budget", "%",
     "本期曝光量除以年曝光限值按本期时长折算的份额。",
     "Exposure of the period over the annual exposure limit pro rata to the period's length.",
     "GB/T 23863-2009; CIE 157:2004 Table 4.3; simulation/light_dose.py"),
    ("uv_dose", "紫外辐照量", "UV dose", "mW·h/m²",
     "紫外含量（µW/lm）乘以照度（lm/m²）对时间积分。",
     "UV content (µW/lm) times illuminance (lm/m²), integrated over time.",
     "CIE 157:2004; simulation/light_dose.py"),
    ("dew_margin_min", "最小露点裕度", "Smallest dew-point margin", "K",
     "厅内最冷测点温度（冷表面的替代）减去文物处空气露点的最小值；≤0 即结露。",
     "Smallest difference between the coldest temperature measured in the hall (standing in for "
     "the coldest surface) and the dew point of the relic's air; ≤ 0 means condensation.",
     "Magnus form (Alduchov & Eskridge 1996); simulation/condensation.py"),
    ("surface_rh_hours", "冷表面湿度≥80%小时数", "Hours with surface RH ≥ 80 %", "h",
     "冷表面处相对湿度达到80%（ISO 13788 表面临界湿度）的小时数。",
     "Hours the RH at the cold surface reached 80 % (ISO 13788 critical surface humidity).",
     "ISO 13788:2012 §4.2; simulation/condensation.py"),
)
METRICS: Mapping[str, Metric] = {row[0]: Metric(*row) for row in _M}
"""Figure key -> :class:`Metric`."""

CLIMATE = ("temperature", "relative_humidity")
LIGHT = ("illuminance", "uv")


def unit_of(f: Figure) -> str:
    """The unit a figure's value is in (the quantity's for mean/min/max/max_change)."""
    u = METRICS[f.metric].unit
    if u:
        return u
    q = QUANTITIES.get(f.quantity)
    return q.unit if q else ""


def relic_figures(profile: MaterialProfile, series: Mapping[str, Series], start_s: float, end_s: float,
                  history: Mapping[str, Series] | None = None, cold_surface: Series | None = None) -> list[Figure]:
    """Every figure of one relic over ``[start_s, end_s)`` (see :data:`METRICS`).

    series : quantity -> (t_s, values) of the period, from the sensors standing for the relic;
    history : quantity -> series of up to 12 months ending at ``end_s`` (for EN 15757);
    cold_surface : the coldest temperature measured in the hall, °C (for the dew-point margin)
    """
    out: list[Figure] = []
    for q, (t, v) in series.items():
        if not v.size:
            continue
        band = profile.band(q)
        if q in CLIMATE or q in LIGHT or band is not None:
            out += _stats(q, t, v)
        if band is not None:
            share = time_in_band(t, v, band.low, band.high)
            out.append(Figure("in_range", q, 100 * share, 100.0, bool(share >= 1.0)))
            if band.max_change_24h is not None:
                r = change_24h(t, v)
                ok = time_share(t, r <= band.max_change_24h, np.isfinite(r))
                out.append(Figure("change_ok", q, 100 * ok, 100.0, bool(ok >= 1.0)))
                out.append(Figure("max_change", q, float(np.nanmax(r)), band.max_change_24h,
                                  bool(np.nanmax(r) <= band.max_change_24h)))
    if all(q in series and series[q][1].size for q in CLIMATE):
        out += _climate(profile, series, start_s, end_s, history, cold_surface)
    if "illuminance" in series and series["illuminance"][1].size:
        out += _light(profile, series, start_s, end_s)
    return out


def _stats(q: str, t: NDArray[np.float64], v: NDArray[np.float64]) -> list[Figure]:
    w = held_weights(t)
    ok = np.isfinite(v)
    mean = float(np.sum(w[ok] * v[ok]) / w[ok].sum()) if w[ok].sum() > 0 else float(np.nanmean(v))
    return [Figure("mean", q, mean), Figure("min", q, float(np.nanmin(v))), Figure("max", q, float(np.nanmax(v)))]


def _climate(profile: MaterialProfile, series: Mapping[str, Series], start_s: float, end_s: float,
             history: Mapping[str, Series] | None, cold: Series | None) -> list[Figure]:
    th, h = series["relative_humidity"]
    tt, tv = series["temperature"]
    t_on_h = np.interp(th, tt, tv)  # temperature brought to the RH time stamps
    out = []
    out.append(Figure("twpi", "", time_weighted_preservation_index(th, t_on_h, h)))
    out.append(Figure("pi_min", "", float(np.nanmin(preservation_index(t_on_h, h)))))
    out.append(Figure("isopleth_days", "", days_above_isopleth(th, t_on_h, h)))
    clock = float(germination_progress(th, t_on_h, h)[-1])
    out.append(Figure("mould_progress", "", 100 * clock, 100.0, clock < 1.0))
    band = profile.band("relative_humidity")
    if profile.group == "metal" and band is not None and band.high is not None:
        hours = hours_where(th, h > band.high)
        out.append(Figure("corrosion_hours", "relative_humidity", hours, 0.0, hours == 0.0))
    hist = (history or {}).get("relative_humidity")
    if hist is not None and hist[1].size >= 2:
        b = historical_band(hist[0], hist[1])
        mine = (hist[0] >= start_s) & (hist[0] < end_s)
        if mine.any():
            share = time_share(hist[0][mine], b.inside[mine])
            out.append(Figure("en15757", "relative_humidity", 100 * share, 100.0, bool(share >= 1.0)))
    if cold is not None and cold[1].size:
        surface = np.minimum(np.interp(th, cold[0], cold[1]), t_on_h)
        margin = condensation_margin(t_on_h, h, surface)
        srh = surface_relative_humidity(t_on_h, h, surface)
        out.append(Figure("dew_margin_min", "", float(np.nanmin(margin)), 0.0, bool(np.nanmin(margin) > 0)))
        hours = hours_where(th, srh >= SURFACE_RH_MOULD)
        out.append(Figure("surface_rh_hours", "", hours, 0.0, hours == 0.0))
    return out


def _light(profile: MaterialProfile, series: Mapping[str, Series], start_s: float, end_s: float) -> list[Figure]:
    t, lux = series["illuminance"]
    total = float(cumulative_exposure(t, lux).max()) if t.size else 0.0
    band = profile.band("illuminance")
    out = []
    if band is not None and band.annual_exposure is not None:
        budget = pro_rata_budget(band.annual_exposure, end_s - start_s)
        out.append(Figure("lux_hours", "illuminance", total, budget, bool(total <= budget)))
        out.append(Figure("lux_budget_share", "illuminance", 100 * total / budget, 100.0, bool(total <= budget)))
    else:
        out.append(Figure("lux_hours", "illuminance", total))
    if "uv" in series and series["uv"][1].size:
        tu, uv = series["uv"]
        out.append(Figure("uv_dose", "uv", uv_dose(t, lux, np.interp(t, tu, uv))))
    return out


def in_band_flags(profile: MaterialProfile, quantity: str, values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether each value is within the relic's band for ``quantity`` (all True without one)."""
    band = profile.band(quantity)
    if band is None:
        return np.isfinite(values)
    return inside_band(values, band.low, band.high)
