"""Live observations of the causes that need more than the latest reading.

:class:`DerivedCauses` keeps a short history per (sensor, quantity) and, for every
reading, returns the observations of each relic the sensor stands for
(:func:`simulation.scene_alerts.relic_sources`):

- ``<quantity>_change_24h``: max − min over the trailing 24 h against the profile's
  ``max_change_24h`` (:mod:`simulation.fluctuation`);
- ``light_dose``: the exposure of the trailing 7 days, annualised, against the profile's
  annual limit (:mod:`simulation.light_dose`), in lx·h per year, once a day of record exists;
- ``mould``: days above Sedlbauer's lowest isopleth in the trailing 7 days
  (:func:`simulation.mould.days_above_isopleth`);
- ``condensation``: the RH at the hall's coldest measured temperature (a stand-in for its
  coldest surface) against ISO 13788's 80 % (:mod:`simulation.condensation`).

Sensor causes, from status and the calendar rather than from readings:
:func:`battery_observation` (``battery_low``) and :func:`calibration_observation`
(``calibration_due``). Thresholds are in :class:`DerivedSettings`, each with its reason.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulation.alerts import Observation, Target
from simulation.condensation import SURFACE_RH_MOULD, surface_relative_humidity
from simulation.fluctuation import change_24h
from simulation.light_dose import annualised_exposure
from simulation.materials import MaterialProfile
from simulation.mould import days_above_isopleth
from simulation.quantities import QUANTITIES
from simulation.scene import Scene
from simulation.time_axis import DAY_S, HOUR_S


@dataclass(frozen=True)
class DerivedSettings:
    """dose_window_s : trailing window whose exposure is annualised (7 d, as simulation.risk)
    dose_min_span_s : record needed before a dose is judged (1 d: a few bright minutes annualised
        would be nonsense)
    dose_red : annualised exposure / annual limit that is red (1.5, as simulation.risk.RiskSettings)
    mould_window_s : trailing window of the isopleth days (7 d)
    mould_days : days above the isopleth in the window that raise an alert (1 d) and the scale
        of one deviation degree (2 d: red at 2 d)
    surface_rh_scale : %RH of one deviation degree above ISO 13788's 80 % (20: red at 90 %,
        condensation at 100 % is two degrees)
    surface_fresh_s : how old a temperature may be to count as the hall's coldest (1 h)
    battery_low_percent : battery level that is yellow (20 %: the usual low-battery level of
        Zigbee and LoRaWAN devices) and the scale (red at 10 %)
    calibration_interval_days : a sensor is due for calibration this long after the last one
        (365 d: the yearly check EN ISO/IEC 17025 labs and the loggers' makers recommend)
    """

    dose_window_s: float = 7 * DAY_S
    dose_min_span_s: float = DAY_S
    dose_red: float = 1.5
    mould_window_s: float = 7 * DAY_S
    mould_days: float = 1.0
    mould_scale_days: float = 2.0
    surface_rh_scale: float = 20.0
    surface_fresh_s: float = HOUR_S
    battery_low_percent: float = 20.0
    calibration_interval_days: float = 365.0


class DerivedCauses:
    """Rolling history per (sensor, quantity) -> derived observations (see the module docstring)."""

    def __init__(self, scene: Scene, profiles: Mapping[str, MaterialProfile],
                 sources: Mapping[tuple[str, str], str], settings: DerivedSettings | None = None):
        self.scene = scene
        self.profiles = profiles
        self.settings = s = settings or DerivedSettings()
        self._keep_s = max(DAY_S, s.dose_window_s, s.mould_window_s)
        self._hist: dict[tuple[str, str], deque[tuple[float, float]]] = {}
        self._relics: dict[tuple[str, str], list[str]] = {}
        self._sources = dict(sources)
        for (relic, q), sensor in sources.items():
            self._relics.setdefault((sensor, q), []).append(relic)
        self._coldest: dict[str, tuple[float, float]] = {}  # sensor -> (t, °C)

    def observe(self, sensor: str, quantity: str, t_s: float, value: float) -> list[Observation]:
        """Take one ok reading; the observations it gives (possibly none)."""
        h = self._hist.setdefault((sensor, quantity), deque())
        if h and t_s < h[-1][0]:
            return []  # out of order: the windows are kept in time order
        h.append((t_s, value))
        while h and h[0][0] < t_s - self._keep_s:
            h.popleft()
        if quantity == "temperature":
            self._coldest[sensor] = (t_s, value)
        out: list[Observation] = []
        for relic_id in self._relics.get((sensor, quantity), ()):
            profile = self.profiles[self.scene.relic(relic_id).profile]
            band = profile.band(quantity)
            target = Target("relic", relic_id)
            if band is not None and band.max_change_24h is not None:
                out.append(self._change(target, sensor, quantity, band.max_change_24h, t_s))
            if quantity == "illuminance" and band is not None and band.annual_exposure is not None:
                out += self._dose(target, sensor, band.annual_exposure, t_s)
            if quantity in ("temperature", "relative_humidity"):
                out += self._climate(target, relic_id, t_s)
        return out

    def _series(self, sensor: str, quantity: str, since: float) -> tuple[np.ndarray, np.ndarray]:
        h = self._hist.get((sensor, quantity), ())
        pts = [(t, v) for t, v in h if t >= since]
        if not pts:
            return np.array([]), np.array([])
        arr = np.array(pts)
        return arr[:, 0], arr[:, 1]

    def _change(self, target: Target, sensor: str, q: str, limit: float, t_s: float) -> Observation:
        t, v = self._series(sensor, q, t_s - DAY_S)
        r = float(change_24h(t, v)[-1])
        unit = QUANTITIES[q].unit if q in QUANTITIES else ""
        return Observation(target, f"{q}_change_24h", r, limit, limit, 1, unit, q, sensor)

    def _dose(self, target: Target, sensor: str, annual: float, t_s: float) -> list[Observation]:
        s = self.settings
        t, v = self._series(sensor, "illuminance", t_s - s.dose_window_s)
        if t.size < 2 or t[-1] - t[0] < s.dose_min_span_s:
            return []
        dose = annualised_exposure(t, v)
        return [Observation(target, "light_dose", dose, annual, (s.dose_red - 1.0) * annual / 0.5, 1, "lx·h/a",
                            "illuminance", sensor)]

    def _climate(self, target: Target, relic_id: str, t_s: float) -> list[Observation]:
        s = self.settings
        rh_sensor = self._sources.get((relic_id, "relative_humidity"))
        t_sensor = self._sources.get((relic_id, "temperature"))
        if rh_sensor is None or t_sensor is None:
            return []
        th, h = self._series(rh_sensor, "relative_humidity", t_s - s.mould_window_s)
        tt, tc = self._series(t_sensor, "temperature", t_s - s.mould_window_s)
        if not th.size or not tt.size:
            return []
        t_on_h = np.interp(th, tt, tc)
        out = []
        if th[-1] - th[0] >= HOUR_S:
            days = days_above_isopleth(th, t_on_h, h)
            out.append(Observation(target, "mould", days, s.mould_days, s.mould_scale_days, 1, "d", "", rh_sensor))
        fresh = [v for (t, v) in self._coldest.values() if t >= t_s - s.surface_fresh_s]
        if fresh:
            surface = min(min(fresh), float(tc[-1]))
            srh = float(surface_relative_humidity(tc[-1], h[-1], surface))
            out.append(Observation(target, "condensation", srh, SURFACE_RH_MOULD, s.surface_rh_scale, 1, "%RH",
                                   "relative_humidity", rh_sensor))
        return out


def battery_observation(sensor: str, percent: float, settings: DerivedSettings | None = None) -> Observation:
    """A sensor's battery level (%) against the low-battery level; below is bad."""
    s = settings or DerivedSettings()
    return Observation(Target("sensor", sensor), "battery_low", float(percent), s.battery_low_percent,
                       s.battery_low_percent / 2 / 0.5, -1, "%", "")


def calibration_observation(sensor: str, days_since: float, settings: DerivedSettings | None = None) -> Observation:
    """Days since a sensor's last calibration against the calibration interval."""
    s = settings or DerivedSettings()
    return Observation(Target("sensor", sensor), "calibration_due", float(days_since), s.calibration_interval_days,
                       s.calibration_interval_days, 1, "d", "")
