"""EN 15757:2010 historical-climate target band for relative humidity.

EN 15757 ("Conservation of cultural property — Specifications for temperature
and relative humidity to limit climate-induced mechanical damage in organic
hygroscopic materials") bases the target on the climate the objects have
become used to (at least one year of record):

1. seasonal cycle: the 30-day centred moving average of RH;
2. short-term fluctuations: RH minus the seasonal cycle;
3. band: seasonal cycle + the 7th and 93rd percentiles of the fluctuations,
   so that 86 % of the historical fluctuations fall inside;
4. where that band is narrower than ±10 %RH the standard lets it widen to
   ±10 %RH (``min_half_width``).

``seasonal_clip`` bounds the seasonal cycle before the band is added; by
default 45-60 %RH, the range within which this project (the lead's design
note) lets the historical cycle steer the target. It is our choice, not a
clause of the standard: pass ``None`` for the standard's unclipped band.
Camuffo, Della Valle & Becherini (2022), Atmosphere 13:1344, review the
method and its weak points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.time_axis import DAY_S, centred_mean, seconds


@dataclass(frozen=True)
class EN15757Settings:
    """window_days : seasonal moving-average window (EN 15757: 30 d, centred)
    lower_pct, upper_pct : percentiles of the fluctuations (EN 15757: 7 and 93)
    min_half_width : band never narrower than ± this, %RH (EN 15757: 10)
    seasonal_clip : (low, high) %RH bounds on the seasonal cycle, or None (our choice, see module)
    """

    window_days: float = 30.0
    lower_pct: float = 7.0
    upper_pct: float = 93.0
    min_half_width: float = 10.0
    seasonal_clip: tuple[float, float] | None = (45.0, 60.0)


@dataclass(frozen=True)
class HistoricalBand:
    """seasonal, lower, upper : (n,) float, %RH at each sample; inside : (n,) bool."""

    seasonal: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    inside: NDArray[np.bool_]

    @property
    def fraction_inside(self) -> float:
        """Share of samples inside the band (0..1)."""
        return float(self.inside.mean()) if self.inside.size else float("nan")


def historical_band(times: ArrayLike, rh: ArrayLike, settings: EN15757Settings | None = None) -> HistoricalBand:
    """The EN 15757 target band of a record, and which samples lie inside it.

    times : (n,) datetime64 / aware datetime / float s; rh : (n,) float, %RH
    """
    s = settings or EN15757Settings()
    t = seconds(times)
    v = np.asarray(rh, dtype=float)
    seasonal = centred_mean(t, v, s.window_days * DAY_S)
    fluct = v - seasonal
    ok = np.isfinite(fluct)
    if not ok.any():
        nan = np.full(v.shape, np.nan)
        return HistoricalBand(seasonal, nan, nan, np.zeros(v.shape, bool))
    lo = min(float(np.percentile(fluct[ok], s.lower_pct)), -s.min_half_width)
    hi = max(float(np.percentile(fluct[ok], s.upper_pct)), s.min_half_width)
    target = seasonal if s.seasonal_clip is None else np.clip(seasonal, *s.seasonal_clip)
    lower, upper = target + lo, target + hi
    return HistoricalBand(seasonal, lower, upper, (v >= lower) & (v <= upper))


def live_band(hourly_rh: ArrayLike, settings: EN15757Settings | None = None) -> tuple[NDArray[np.float64],
                                                                                      NDArray[np.float64]]:
    """The EN 15757 band *now*, for a controller: from each relic's hourly record up to now.

    hourly_rh : (m, r) float, %RH, one row an hour, oldest first (NaN = missing); a year or less
    -> (lower, upper) : (r,) %RH. The seasonal cycle now is the trailing ``window_days`` mean (the
    centred one needs the future); fluctuations are each hour's RH minus the trailing mean of its
    own window, their 7th and 93rd percentiles widened to ± ``min_half_width``. A relic with under
    a day of record gets NaN (no band yet).
    """
    s = settings or EN15757Settings()
    a = np.asarray(hourly_rh, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    m, r = a.shape
    lower, upper = np.full(r, np.nan), np.full(r, np.nan)
    win = max(1, int(round(s.window_days * 24)))
    for j in range(r):
        v = a[:, j]
        ok = np.isfinite(v)
        if ok.sum() < 24:
            continue
        filled = np.where(ok, v, 0.0)
        csum, ccount = np.concatenate([[0.0], np.cumsum(filled)]), np.concatenate([[0], np.cumsum(ok)])
        k = np.arange(1, m + 1)
        start = np.maximum(k - win, 0)
        trailing = (csum[k] - csum[start]) / np.maximum(ccount[k] - ccount[start], 1)
        fluct = (v - trailing)[ok]
        lo = min(float(np.percentile(fluct, s.lower_pct)), -s.min_half_width)
        hi = max(float(np.percentile(fluct, s.upper_pct)), s.min_half_width)
        seasonal = trailing[-1] if s.seasonal_clip is None else float(np.clip(trailing[-1], *s.seasonal_clip))
        lower[j], upper[j] = seasonal + lo, seasonal + hi
    return lower, upper
