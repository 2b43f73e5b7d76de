"""Live observations of the causes that need more than the latest reading.

:class:`DerivedCauses` keeps running trailing windows per (sensor, quantity)
(:mod:`simulation.running_windows`: constant time a reading, whatever the week they span)
and, for every reading, returns the observations of each relic the sensor stands for
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

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simulation.alerts import Observation, Target
from simulation.condensation import SURFACE_RH_MOULD, surface_relative_humidity
from simulation.materials import MaterialProfile
from simulation.quantities import QUANTITIES
from simulation.running_windows import LastTwo, RunningExposure, RunningIsoplethDays, RunningRange
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
    """Running trailing windows per series -> derived observations (see the module docstring).

    Each reading updates only the windows it belongs to (:mod:`simulation.running_windows`), in
    constant amortised time: the cost of a reading does not grow with the week of record the
    windows span, nor with the number of sensors in the hall.
    """

    def __init__(self, scene: Scene, profiles: Mapping[str, MaterialProfile],
                 sources: Mapping[tuple[str, str], str], settings: DerivedSettings | None = None):
        self.scene = scene
        self.profiles = profiles
        self.settings = s = settings or DerivedSettings()
        self._sources = dict(sources)
        self._relics: dict[tuple[str, str], list[str]] = {}
        for (relic, q), sensor in sources.items():
            self._relics.setdefault((sensor, q), []).append(relic)
        self._last_t: dict[tuple[str, str], float] = {}
        self._range: dict[tuple[str, str], RunningRange] = {}
        self._dose: dict[str, RunningExposure] = {}
        self._temps: dict[str, LastTwo] = {}  # sensor -> its latest two temperatures
        # (rh sensor, temperature sensor) of each relic with both -> its mould window
        self._mould: dict[tuple[str, str], RunningIsoplethDays] = {}
        self._pairs_of: dict[str, list[tuple[str, str]]] = {}  # rh sensor -> its pairs
        for (relic, q), sensor in sources.items():
            profile = profiles[scene.relic(relic).profile]
            band = profile.band(q)
            if band is not None and band.max_change_24h is not None:
                self._range.setdefault((sensor, q), RunningRange(DAY_S))
            if q == "illuminance" and band is not None and band.annual_exposure is not None:
                self._dose.setdefault(sensor, RunningExposure(s.dose_window_s))
            pair = (sources.get((relic, "relative_humidity")), sources.get((relic, "temperature")))
            if q == "relative_humidity" and pair[1] is not None and pair not in self._mould:
                self._mould[(sensor, pair[1])] = RunningIsoplethDays(s.mould_window_s)
                self._pairs_of.setdefault(sensor, []).append((sensor, pair[1]))
        self._coldest = Coldest(s.surface_fresh_s)

    def observe(self, sensor: str, quantity: str, t_s: float, value: float) -> list[Observation]:
        """Take one ok reading; the observations it gives (possibly none)."""
        key = (sensor, quantity)
        if t_s < self._last_t.get(key, -np.inf):
            return []  # out of order: the windows are kept in time order
        self._last_t[key] = t_s
        change = self._range[key].add(t_s, value) if key in self._range else None
        if quantity == "temperature":
            self._temps.setdefault(sensor, LastTwo()).add(t_s, value)
            self._coldest.add(sensor, t_s, value)
        elif quantity == "relative_humidity":
            for pair in self._pairs_of.get(sensor, ()):
                self._mould[pair].add(t_s, value, self._temps.setdefault(pair[1], LastTwo()))
        elif quantity == "illuminance" and sensor in self._dose:
            self._dose[sensor].add(t_s, value)
        out: list[Observation] = []
        climate: dict[tuple[str | None, str | None], list[Observation]] = {}
        for relic_id in self._relics.get(key, ()):
            profile = self.profiles[self.scene.relic(relic_id).profile]
            band = profile.band(quantity)
            target = Target("relic", relic_id)
            if change is not None and band is not None and band.max_change_24h is not None:
                limit = band.max_change_24h
                unit = QUANTITIES[quantity].unit if quantity in QUANTITIES else ""
                out.append(Observation(target, f"{quantity}_change_24h", change, limit, limit, 1, unit, quantity, sensor))
            if quantity == "illuminance" and band is not None and band.annual_exposure is not None:
                out += self._dose_observation(target, sensor, band.annual_exposure)
            if quantity in ("temperature", "relative_humidity"):
                both = (self._sources.get((relic_id, "relative_humidity")), self._sources.get((relic_id, "temperature")))
                if both not in climate:  # relics on the same two sensors share the figures
                    climate[both] = self._climate(both, t_s)
                out += [replace(o, target=target) for o in climate[both]]
        return out

    def state(self) -> dict[str, Any]:
        """The windows' contents as a JSON-able dict (a week of light dose and mould record, the
        24 h ranges, the latest temperatures); :meth:`restore` takes it back after a restart."""
        return {"version": STATE_VERSION,
                "last_t": [[*k, t] for k, t in self._last_t.items()],
                "range": [[*k, w.state()] for k, w in self._range.items()],
                "dose": [[k, w.state()] for k, w in self._dose.items()],
                "temps": [[k, w.state()] for k, w in self._temps.items()],
                "mould": [[*k, w.state()] for k, w in self._mould.items()],
                "coldest": [[k, t, v] for k, (t, v) in self._coldest._latest.items()]}

    def restore(self, doc: Mapping[str, Any]) -> bool:
        """Take back what :meth:`state` gave, for the series this scene still has (others are
        dropped); False, and nothing changed, when ``doc`` is not such a state."""
        try:
            if doc.get("version") != STATE_VERSION:
                return False
            last_t = {(str(a), str(b)): float(t) for a, b, t in doc["last_t"]}
            pending: list[tuple[Any, Any]] = []
            for a, b, st in doc["range"]:
                if (a, b) in self._range:
                    pending.append((self._range[(a, b)], st))
            for k, st in doc["dose"]:
                if k in self._dose:
                    pending.append((self._dose[k], st))
            for a, b, st in doc["mould"]:
                if (a, b) in self._mould:
                    pending.append((self._mould[(a, b)], st))
            temps = {str(k): st for k, st in doc["temps"]}
            coldest = [(str(k), float(t), float(v)) for k, t, v in doc["coldest"]]
            restored = []
            for w, st in pending:  # each on a copy first: a bad entry leaves the windows as they were
                c = _blank(w)
                c.restore(st)
                restored.append((w, c))
            two = {}
            for k, st in temps.items():
                c2 = LastTwo()
                c2.restore(st)
                two[k] = c2
        except (TypeError, ValueError, KeyError, AttributeError):
            return False
        for w, c in restored:
            w.restore(c.state())
        self._last_t.update(last_t)
        self._temps.update(two)
        for k, t, v in coldest:
            self._coldest.add(k, t, v)
        return True

    def _dose_observation(self, target: Target, sensor: str, annual: float) -> list[Observation]:
        s = self.settings
        w = self._dose[sensor]
        if w.count < 2 or w.span_s < s.dose_min_span_s:
            return []
        return [Observation(target, "light_dose", w.annualised(), annual, (s.dose_red - 1.0) * annual / 0.5, 1,
                            "lx·h/a", "illuminance", sensor)]

    def _climate(self, pair: tuple[str | None, str | None], t_s: float) -> list[Observation]:
        s = self.settings
        rh_sensor, t_sensor = pair
        if rh_sensor is None or t_sensor is None:
            return []
        mould = self._mould[(rh_sensor, t_sensor)]
        temps = self._temps.get(t_sensor)
        first = mould.first_t(t_s)
        if first != first or temps is None or not temps.t1 >= t_s - s.mould_window_s:
            return []  # no RH or no temperature in the window
        out = []
        if mould.latest_t - first >= HOUR_S:
            out.append(Observation(Target("relic", ""), "mould", mould.days(t_s, temps), s.mould_days,
                                   s.mould_scale_days, 1, "d", "", rh_sensor))
        coldest = self._coldest.min(t_s)
        if coldest is not None:
            surface = min(coldest, temps.v1)
            srh = float(surface_relative_humidity(temps.v1, mould.latest_rh, surface))
            out.append(Observation(Target("relic", ""), "condensation", srh, SURFACE_RH_MOULD, s.surface_rh_scale, 1,
                                   "%RH", "relative_humidity", rh_sensor))
        return out


STATE_VERSION = 1
"""Of :meth:`DerivedCauses.state`'s document; another version is not restored (a fresh start)."""


def _blank(w: Any) -> Any:
    """An empty window like ``w`` (same settings)."""
    if isinstance(w, RunningIsoplethDays):
        return RunningIsoplethDays(w.window_s, w.max_hold_s, w.substrate)
    if isinstance(w, RunningExposure):
        return RunningExposure(w.window_s, w.max_gap_s)
    return RunningRange(w.window_s)


class Coldest:
    """The lowest latest temperature among the sensors heard within ``fresh_s``, in O(1) amortised.

    A heap of (°C, time, sensor) whose top is dropped while it is not its sensor's latest reading
    or is too old; rebuilt from the latest readings when superseded entries pile up.
    """

    def __init__(self, fresh_s: float) -> None:
        self.fresh_s = fresh_s
        self._latest: dict[str, tuple[float, float]] = {}  # sensor -> (t, °C)
        self._heap: list[tuple[float, float, str]] = []

    def add(self, sensor: str, t: float, value: float) -> None:
        self._latest[sensor] = (t, value)
        heapq.heappush(self._heap, (value, t, sensor))
        if len(self._heap) > 4 * len(self._latest) + 16:
            self._heap = [(v, ts, k) for k, (ts, v) in self._latest.items()]
            heapq.heapify(self._heap)

    def min(self, now: float) -> float | None:
        """The coldest fresh temperature at ``now`` (None when no sensor is fresh)."""
        heap = self._heap
        while heap:
            v, t, sensor = heap[0]
            if self._latest.get(sensor) == (t, v) and t >= now - self.fresh_s:
                return v
            heapq.heappop(heap)  # superseded, or too old (time only moves on)
        return None


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
