"""Forecast pre-alarms for the live twin: stored history -> forecast -> early warning -> alert engine.

Every ``every_s`` (10 min) the twin forecasts, for each relic and each climate quantity its
material limits (temperature, relative humidity), the series of the sensor that stands for it
(:func:`simulation.scene_alerts.relic_sources`) ``horizon_h`` hours ahead from the last
``history_h`` hours of stored ``ok`` readings averaged into ``step_s`` buckets
(:func:`simulation.forecast.forecast_many`: per-series model choice and calibrated bands). The
early-warning model (:func:`simulation.early_warning.early_warning`) turns each forecast and the
relic's band into a breach probability and a time to breach; the engine raises the yellow
``forecast_breach`` pre-alarm when the breach is more likely than not within the horizon, and
clears it when the forecast no longer says so (see ``simulation.alerts.CAUSES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bridge.store import Store
from simulation.alerts import Observation, Target, forecast_observation
from simulation.early_warning import early_warning
from simulation.forecast import forecast_many
from simulation.materials import MaterialProfile
from simulation.quantities import QUANTITIES
from simulation.scene import Scene
from simulation.scene_alerts import relic_sources

#: quantities forecast for pre-alarms: the two the paper forecasts (temperature and humidity)
FORECAST_QUANTITIES = ("temperature", "relative_humidity")


@dataclass(frozen=True)
class PrealarmSettings:
    """every_s : how often to forecast; step_s : bucket of the history and the forecast step;
    history_h : history used (the forecaster chooses its model by backtests on it);
    horizon_h : how far ahead (the paper: 6-12 h); min_points : fewer buckets than this: no forecast."""

    every_s: float = 600.0
    step_s: int = 600
    history_h: float = 72.0
    horizon_h: float = 12.0
    min_points: int = 36


def regular_history(store: Store, sensor: str, quantity: str, now: datetime, s: PrealarmSettings,
                    hall: str | None = None) -> np.ndarray:
    """The mean of ``ok`` readings per ``step_s`` bucket over the last ``history_h``, oldest first; NaN where empty."""
    n = int(s.history_h * 3600 // s.step_s)
    end_s = int(now.timestamp()) // s.step_s * s.step_s + s.step_s  # the bucket holding "now" is the last
    start_s = end_s - n * s.step_s
    start = datetime.fromtimestamp(start_s, now.tzinfo)
    series = store.series(sensor, quantity, start, start + timedelta(seconds=n * s.step_s), bucket_s=s.step_s,
                          only_ok=True, hall=hall)
    out = np.full(n, np.nan)
    idx = (series.times.astype("datetime64[s]").astype(np.int64) - start_s) // s.step_s
    keep = (idx >= 0) & (idx < n)
    out[idx[keep]] = series.values[keep]
    return out


def prealarm_observations(store: Store, scene: Scene, profiles: Mapping[str, MaterialProfile], now: datetime,
                          settings: PrealarmSettings = PrealarmSettings()) -> list[Observation]:
    """One ``forecast_breach`` observation per relic and forecast quantity with enough history."""
    sources = {k: v for k, v in relic_sources(scene, profiles).items() if k[1] in FORECAST_QUANTITIES}
    series_keys = sorted({(sid, q) for (_, q), sid in sources.items()})
    if not series_keys:
        return []
    history = np.stack([regular_history(store, sid, q, now, settings, scene.id) for sid, q in series_keys])
    usable = np.isfinite(history).sum(axis=1) >= settings.min_points
    usable &= np.isfinite(history[:, -3:]).any(axis=1)  # heard from in the last half hour: else it is offline
    if not usable.any():
        return []
    horizon = int(settings.horizon_h * 3600 // settings.step_s)
    kept = [k for k, ok in zip(series_keys, usable, strict=True) if ok]
    limits = (np.array([QUANTITIES[q].low for _, q in kept]), np.array([QUANTITIES[q].high for _, q in kept]))
    fc = forecast_many(history[usable], settings.step_s, horizon, limits=limits)
    row_of = {key: i for i, key in enumerate(kept)}
    out = []
    for (relic_id, quantity), sid in sorted(sources.items()):
        i = row_of.get((sid, quantity))
        band = profiles[scene.relic(relic_id).profile].band(quantity)
        if i is None or band is None:
            continue
        ew = early_warning(fc[i], settings.step_s, band.low, band.high)
        # no lead reaches the alarm probability: the breach is at most "within the horizon" (this only
        # shows while an alert raised earlier waits for its clear threshold)
        seconds = ew.seconds if ew.seconds is not None else settings.horizon_h * 3600.0
        out.append(forecast_observation(Target("relic", relic_id), quantity, ew.probability, seconds))
    return out


class Prealarms:
    """Runs :func:`prealarm_observations` on the alert clock, at most every ``settings.every_s``."""

    def __init__(self, store: Store, scene: Scene, profiles: Mapping[str, MaterialProfile],
                 clock: Callable[[], datetime], settings: PrealarmSettings = PrealarmSettings()) -> None:
        self.store, self.scene, self.profiles, self.clock, self.settings = store, scene, profiles, clock, settings
        self._last: datetime | None = None

    def due(self) -> list[Observation] | None:
        """The observations when a run is due, else None."""
        now = self.clock()
        if self._last is not None and (now - self._last).total_seconds() < self.settings.every_s:
            return None
        self._last = now
        return prealarm_observations(self.store, self.scene, self.profiles, now, self.settings)
