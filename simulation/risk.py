"""Risk per relic: compare readings with the material profile, grade the exceedance.

For each relic and quantity the series is compared with the profile's band
(``scenes/materials.toml``):

- *deviation degree* of a sample: how far outside the band it is, relative to
  the band: ``(value - high) / scale`` above, ``(low - value) / scale`` below,
  0 inside, where ``scale`` is the band's width (or the one-sided limit's
  magnitude), capped by a per-quantity reference span so that a wide band
  (bronze: 0-40 %RH) does not make a large excursion look small;
- *current exceedance duration*: how long the latest run of samples outside
  the band has lasted;
- *accumulated exceedance* over the window: the time-integral of the
  deviation degree (degree·h) and the share of time spent outside.

They combine into a level per quantity (:func:`grade`), and the relic's level
is the worst of its quantities and derived checks (24 h change, annual light
dose). The thresholds are engineering choices, named and explained in
:class:`RiskSettings`, not values from a standard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.fluctuation import change_24h
from simulation.light_dose import annualised_exposure
from simulation.materials import Band, MaterialProfile
from simulation.moisture_content import corrosion_band, emc_wood, mechanical_damage_band
from simulation.mould import germination_progress
from simulation.preservation_index import preservation_index, time_weighted_preservation_index
from simulation.time_axis import DAY_S, HOUR_S, hold_durations, seconds, sort_by_time


class Level(IntEnum):
    """Risk level and alert tier: green (fine), yellow (attention), red (act now)."""

    GREEN = 0
    YELLOW = 1
    RED = 2

    def label(self, lang: str = "en") -> str:
        return _LEVEL_LABELS[self][0 if lang.startswith("zh") else 1]


_LEVEL_LABELS = {Level.GREEN: ("正常", "green"), Level.YELLOW: ("预警", "yellow"), Level.RED: ("告警", "red")}

_DEFAULT_SPANS = MappingProxyType({
    # Reference spans capping the deviation scale (engineering choice): 10 %RH is the
    # ASHRAE 2019 class A/B short-term RH fluctuation; 4 K twice its class A ±2 K.
    "relative_humidity": 10.0,
    "temperature": 4.0,
})


@dataclass(frozen=True)
class RiskSettings:
    """Thresholds combining deviation, duration and accumulation (engineering choices).

    window_s : accumulation window, s (7 days: long enough to see a pattern, short
        enough to forget a fixed fault)
    red_deviation : current deviation degree that is red at once (half a band/span outside)
    red_duration_s : an exceedance lasting this long is red (24 h: hygroscopic objects
        reach a new equilibrium in about a day, so the damage is then done)
    yellow_fraction, red_fraction : share of the window outside the band that is
        yellow / red even when the latest sample is inside (recurring excursions)
    dose_yellow, dose_red : annualised light exposure over the annual limit
    reference_spans : per-quantity cap on the deviation scale, unit of the quantity
    """

    window_s: float = 7 * DAY_S
    red_deviation: float = 0.5
    red_duration_s: float = 24 * HOUR_S
    yellow_fraction: float = 0.05
    red_fraction: float = 0.25
    dose_yellow: float = 1.0
    dose_red: float = 1.5
    reference_spans: Mapping[str, float] = field(default_factory=lambda: _DEFAULT_SPANS)


@dataclass(frozen=True)
class CheckRisk:
    """One check of one relic: a quantity against its band, or a derived check.

    check : quantity name, or ``"<quantity>_change_24h"`` / ``"light_dose"``
    level : :class:`Level`
    value : latest value (unit of the quantity; for light_dose the annualised lx·h/yr)
    low, high : the limits compared with (None = unbounded)
    deviation : latest deviation degree (0 inside)
    duration_s : how long the current exceedance has lasted, s (0 inside)
    fraction_outside : share of the window's time outside the band (0..1)
    accumulated : integral of the deviation degree over the window, degree·h
    max_deviation : worst deviation degree in the window
    """

    check: str
    level: Level
    value: float
    low: float | None
    high: float | None
    deviation: float
    duration_s: float
    fraction_outside: float
    accumulated: float
    max_deviation: float


@dataclass(frozen=True)
class RelicRisk:
    """A relic's level (worst of its checks), the checks, and conservation metrics."""

    relic: str
    profile: str
    level: Level
    checks: tuple[CheckRisk, ...]
    metrics: Mapping[str, float]

    def worst(self) -> CheckRisk | None:
        """The check that sets the level (None when there are no checks)."""
        return max(self.checks, key=lambda c: (c.level, c.deviation), default=None)


def deviation_scale(band: Band, spans: Mapping[str, float] = _DEFAULT_SPANS) -> float:
    """The length one deviation degree stands for, unit of the band's quantity."""
    width = band.width
    if width is None:
        limit = band.high if band.high is not None else band.low
        width = abs(limit) if limit else 1.0
    cap = spans.get(band.quantity)
    return min(width, cap) if cap else width


def deviation_degree(values: ArrayLike, band: Band, scale: float) -> NDArray[np.float64]:
    """How far outside the band each value is, in units of ``scale``; 0 inside, NaN stays NaN.

    values : (n,) float, unit of the band  ->  (n,) float, dimensionless ≥ 0
    """
    v = np.asarray(values, dtype=float)
    above = v - band.high if band.high is not None else np.full(v.shape, -np.inf)
    below = band.low - v if band.low is not None else np.full(v.shape, -np.inf)
    d = np.maximum(np.maximum(above, below), 0.0) / scale
    return np.where(np.isnan(v), np.nan, d)


def exceedance_duration(t_s: ArrayLike, outside: ArrayLike) -> float:
    """How long the latest run of outside samples has lasted (0 when the last is inside).

    t_s : (n,) float, s; outside : (n,) bool  ->  float, s (from the run's first sample to the last sample)
    """
    t = np.asarray(t_s, dtype=float)
    o = np.asarray(outside, dtype=bool)
    if not o.size or not o[-1]:
        return 0.0
    inside = np.flatnonzero(~o)
    start = inside[-1] + 1 if inside.size else 0
    return float(t[-1] - t[start])


def assess_series(times: ArrayLike, values: ArrayLike, band: Band, settings: RiskSettings | None = None,
                  check: str | None = None) -> CheckRisk:
    """Grade one series against one band over the settings' window (ending at the last sample).

    times : (n,) datetime64 / aware datetime / float s; values : (n,) float, unit of the band
    """
    s = settings or RiskSettings()
    t, v = sort_by_time(seconds(times), values)
    keep = np.isfinite(v)
    t, v = t[keep], v[keep]
    if t.size == 0:
        return CheckRisk(check or band.quantity, Level.GREEN, float("nan"), band.low, band.high,
                         0.0, 0.0, 0.0, 0.0, 0.0)
    w = t >= t[-1] - s.window_s
    t, v = t[w], v[w]
    d = deviation_degree(v, band, deviation_scale(band, s.reference_spans))
    outside = d > 0
    hold = hold_durations(t)
    span = hold.sum()
    fraction = float(hold[outside].sum() / span) if span > 0 else float(outside[-1])
    accumulated = float(np.sum(d * hold) / HOUR_S)
    duration = exceedance_duration(t, outside)
    level = grade(float(d[-1]), duration, fraction, s)
    return CheckRisk(check or band.quantity, level, float(v[-1]), band.low, band.high, float(d[-1]),
                     duration, fraction, accumulated, float(d.max()))


def grade(deviation: float, duration_s: float, fraction_outside: float, settings: RiskSettings) -> Level:
    """Combine the three measures into a level (see :class:`RiskSettings`)."""
    s = settings
    if deviation >= s.red_deviation or duration_s >= s.red_duration_s or fraction_outside >= s.red_fraction:
        return Level.RED
    if deviation > 0 or fraction_outside >= s.yellow_fraction:
        return Level.YELLOW
    return Level.GREEN


Series = tuple[ArrayLike, ArrayLike]
"""(times, values): times as datetime64 / aware datetime / float s, values in the quantity's unit."""


def assess_relic(relic: str, profile: MaterialProfile, series: Mapping[str, Series],
                 settings: RiskSettings | None = None) -> RelicRisk:
    """Risk of one relic from the series of the sensors that represent it.

    series : quantity name -> (times, values); quantities without a band are skipped.
    """
    s = settings or RiskSettings()
    checks: list[CheckRisk] = []
    for quantity, (times, values) in series.items():
        band = profile.band(quantity)
        if band is None:
            continue
        checks.append(assess_series(times, values, band, s))
        if band.max_change_24h is not None:
            checks.append(_change_check(quantity, times, values, band, s))
        if quantity == "illuminance" and band.annual_exposure is not None:
            checks.append(_dose_check(times, values, band, s))
    level = max((c.level for c in checks), default=Level.GREEN)
    return RelicRisk(relic, profile.key, level, tuple(checks), MappingProxyType(climate_metrics(series)))


def climate_metrics(series: Mapping[str, Series]) -> dict[str, float]:
    """Conservation metrics of the latest state and the record (keys documented below).

    pi_years (latest PI), twpi_years, emc_percent (latest), emc_mechanical (-1/0/1),
    emc_corrosion (0/1/2), mould_progress (germination clock, 1 = germination),
    annual_light_exposure_lxh. Only those the available quantities allow.
    """
    out: dict[str, float] = {}
    if "temperature" in series and "relative_humidity" in series:
        t_times, t_vals = series["temperature"]
        h_times, h_vals = series["relative_humidity"]
        th, hv = sort_by_time(seconds(h_times), h_vals)
        tt, tv = sort_by_time(seconds(t_times), t_vals)
        ok_t = np.isfinite(tv)
        ok_h = np.isfinite(hv)
        if ok_t.sum() >= 1 and ok_h.sum() >= 1:
            th, hv = th[ok_h], hv[ok_h]
            t_on_h = np.interp(th, tt[ok_t], tv[ok_t])  # temperature brought to the RH time stamps
            pi = preservation_index(t_on_h[-1:], hv[-1:])
            emc = emc_wood(t_on_h[-1:], hv[-1:])
            out["pi_years"] = float(pi[0])
            out["twpi_years"] = time_weighted_preservation_index(th, t_on_h, hv)
            out["emc_percent"] = float(emc[0])
            out["emc_mechanical"] = float(mechanical_damage_band(emc)[0])
            out["emc_corrosion"] = float(corrosion_band(emc)[0])
            out["mould_progress"] = float(germination_progress(th, t_on_h, hv)[-1])
    if "illuminance" in series:
        out["annual_light_exposure_lxh"] = annualised_exposure(*series["illuminance"])
    return out


def _change_check(quantity: str, times: ArrayLike, values: ArrayLike, band: Band, s: RiskSettings) -> CheckRisk:
    assert band.max_change_24h is not None
    t, v = sort_by_time(seconds(times), values)
    r = change_24h(t, v)
    change_band = Band(f"{quantity}_change_24h", None, band.max_change_24h, sources=band.sources)
    # the change check is graded against its own limit: scale = the allowed change
    return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")


def _dose_check(times: ArrayLike, lux: ArrayLike, band: Band, s: RiskSettings) -> CheckRisk:
    assert band.annual_exposure is not None
    t, v = sort_by_time(seconds(times), lux)
    w = t >= t[-1] - s.window_s if t.size else t.astype(bool)
    annual = annualised_exposure(t[w], v[w])
    ratio = annual / band.annual_exposure if np.isfinite(annual) else 0.0
    level = Level.RED if ratio >= s.dose_red else Level.YELLOW if ratio >= s.dose_yellow else Level.GREEN
    dev = max(ratio - 1.0, 0.0)
    return CheckRisk("light_dose", level, float(annual), None, band.annual_exposure, dev, 0.0,
                     1.0 if ratio > 1 else 0.0, 0.0, dev)
