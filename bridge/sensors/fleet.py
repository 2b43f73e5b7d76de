"""The virtual sensor fleet: every sensor of a scene, publishing over MQTT.

Temperature, relative humidity and illuminance replay a real display-case
series that the project ships (``assets/series``, MIT, see its README),
each sensor reading it with its own phase and a bias that depends on where
it stands (near a door, under a window, inside a sealed case), so the hall
shows a believable field. Indicators no shipped dataset has are synthesised
around typical museum values, each with its source below.

The replay clock maps the series onto the calendar: the first published
instant is ``start`` and the fleet's clock runs ``speed`` times faster than
the wall clock. By default ``start`` lies ``speed`` hours back, so the replay
clock reaches "now" after an hour and readings never come from the future.
"""

from __future__ import annotations

import csv
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bridge.readings import Reading
from bridge.sensors.encode import ENCODABLE, encode
from simulation.paths import assets_dir
from simulation.quantities import QUANTITIES
from simulation.scene import Scene, Sensor

REPLAY_FILE = Path("series") / "anonymous_library_case1.csv"

FLEET_FORMATS = ("native", "senml", "zigbee2mqtt", "tasmota", "shelly", "ttn")
"""Conventions the fleet publishes in (Home Assistant discovery needs its config
messages learned by a registry first, so the fleet does not speak it)."""


@dataclass(frozen=True)
class FleetSettings:
    """speed: replay-clock seconds per wall-clock second; interval_s: wall seconds between rounds;
    start: first replay instant (UTC, default now); format: publish every sensor in this payload
    convention instead of the scene's; seed: noise seed (deterministic replays); plant: T and RH from
    the hall's 2-D climate model, driven by its machines as virtual plugs (a scene with
    ``[[actuators]]``; :mod:`bridge.control.virtual_hall`), under the outdoor ``weather`` (a CSV
    ``time,t_out,rh_out``; None: a damp autumn day)."""

    speed: float = 60.0
    interval_s: float = 1.0
    start: datetime | None = None
    format: str | None = None
    seed: int = 7
    plant: bool = False
    weather: str | None = None


@dataclass(frozen=True)
class ReplaySeries:
    """A regular series: ``t`` (n,) float seconds from its start; values (n,) per column."""

    t: NDArray[np.float64]
    temperature: NDArray[np.float64]
    relative_humidity: NDArray[np.float64]
    illuminance: NDArray[np.float64]

    @property
    def period_s(self) -> float:
        return float(self.t[-1] - self.t[0])

    def at(self, seconds: float) -> tuple[float, float, float]:
        """Values at ``seconds`` into the series (wrapping round), linearly interpolated."""
        s = seconds % self.period_s
        return (
            float(np.interp(s, self.t, self.temperature)),
            float(np.interp(s, self.t, self.relative_humidity)),
            float(np.interp(s, self.t, self.illuminance)),
        )


def load_replay(path: Path | None = None) -> ReplaySeries:
    """Read the shipped replay CSV (time_utc, temperature_c, rh_percent, illuminance_lx)."""
    path = path or assets_dir() / REPLAY_FILE
    times, temp, rh, lux = [], [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            times.append(datetime.fromisoformat(row["time_utc"].replace("Z", "+00:00")).timestamp())
            temp.append(float(row["temperature_c"]))
            rh.append(float(row["rh_percent"]))
            lux.append(float(row["illuminance_lx"] or 0.0))
    t = np.asarray(times) - times[0]
    return ReplaySeries(t, np.asarray(temp), np.asarray(rh), np.asarray(lux))


# --- per-sensor character ----------------------------------------------------------

# Typical values for the synthesised indicators.
# - CO2: outdoor ~420 ppm (NOAA global mean 2024); a busy gallery peaks near 800-1000 ppm
#   (ASHRAE 62.1 design ~700 ppm above outdoor).
# - PM2.5/PM10 indoors with good filtration: 3-10 / 6-20 µg/m³ (WHO 2021 AQG: 5 / 15 annual).
# - SO2 / NOx indoors in a filtered museum: 1-5 / 3-10 µg/m³ (Tétreault 2003, CCI Tech. Bull. 23:
#   chemical filtration removes most of the outdoor 10-40 µg/m³).
# - TVOC in a gallery 100-200 µg/m³; an aired display case 150-300, a new one up to 1000
#   (Schieweck & Salthammer 2011).
# - UV from museum LEDs: below 10 µW/lm; filtered halogen 30-75 (CIE 157:2004 recommends < 10 for sensitive).
# - Correlated colour temperature of warm-white gallery LEDs: 2700-3500 K.
# - Floor vibration from footfall: 0.005-0.05 m/s² (Smithsonian 2004 vibration guidance for artworks).
_PEAK_CO2_PPM = 480.0
_OUTDOOR_CO2_PPM = 420.0


def _visitors(hour: float) -> float:
    """Relative occupancy 0..1 over a museum day (open 9-17 h, busiest 11-15 h)."""
    if hour < 9 or hour > 17:
        return 0.0
    return math.sin(math.pi * (hour - 9) / 8) ** 2


@dataclass(frozen=True)
class _Character:
    phase_s: float
    t_bias: float
    rh_bias: float
    damping: float  # 0 = follows the replay, 1 = flat (a well-sealed case)
    lux_scale: float
    rh_setpoint: float | None = None  # a conditioned case holds this RH


def _character(sensor: Sensor, scene: Scene, rng: np.random.Generator) -> _Character:
    """Where a sensor stands shapes what it reads: warmer near windows, colder near the outer door."""
    xy = sensor.position[:2]
    t_bias, rh_bias = 0.0, 0.0
    for w in scene.windows:
        d = float(np.linalg.norm(xy - (w.a + w.b) / 2))
        t_bias += 1.5 * math.exp(-d / 4.0)
    for d_ in scene.doors:
        if d_.to == "outdoor":
            d = float(np.linalg.norm(xy - (d_.a + d_.b) / 2))
            t_bias -= 2.0 * math.exp(-d / 4.0)
            rh_bias += 3.0 * math.exp(-d / 4.0)
    in_case = sensor.case is not None
    case = next((c for c in scene.cases if c.id == sensor.case), None)
    return _Character(
        phase_s=float(rng.uniform(0, 3 * 3600)),
        t_bias=t_bias + float(rng.normal(0, 0.3)),
        rh_bias=rh_bias + float(rng.normal(0, 1.0)) - (2.0 if in_case else 0.0),
        damping=0.7 if in_case else 0.0,
        lux_scale=1.0 if in_case else 2.5,
        rh_setpoint=case.rh_setpoint if case is not None else None,
    )


def sensor_values(sensor: Sensor, when: datetime, replay: ReplaySeries, character: _Character,
                  rng: np.random.Generator, offset_s: float,
                  air: tuple[float, float] | None = None) -> dict[str, float]:
    """Values of every quantity ``sensor`` measures at replay instant ``when``; ``air`` (T °C, RH %RH):
    the air where it hangs, from a model of the hall, instead of the replayed series."""
    s = offset_s + character.phase_s
    t, rh, lux = replay.at(s)
    t_mean, rh_mean, _ = replay.at(s - 6 * 3600)  # a slow reference for damping
    t = (1 - character.damping) * t + character.damping * t_mean + character.t_bias
    rh = (1 - character.damping) * rh + character.damping * rh_mean + character.rh_bias
    if character.rh_setpoint is not None:  # silica gel damps the room's swings around its setpoint
        rh = character.rh_setpoint + 0.3 * (rh - rh_mean)
    if air is not None:
        t, rh = air
    lux = max(0.0, lux * character.lux_scale)
    hour = (when.hour + when.minute / 60) % 24
    crowd = _visitors(hour)
    lit = lux > 5.0
    values = {
        "temperature": t + rng.normal(0, 0.05),
        "relative_humidity": min(100.0, max(0.0, rh + rng.normal(0, 0.2))),
        "illuminance": lux,
        "uv": (8.0 + rng.normal(0, 1.0)) if lit else 0.0,
        "colour_temperature": 3000.0 + rng.normal(0, 40.0),
        "co2": _OUTDOOR_CO2_PPM + 30.0 + _PEAK_CO2_PPM * crowd + rng.normal(0, 8.0),
        "pm2_5": 4.0 + 3.0 * crowd + abs(rng.normal(0, 0.5)),
        "pm10": 8.0 + 6.0 * crowd + abs(rng.normal(0, 1.0)),
        "so2": 2.0 + abs(rng.normal(0, 0.3)),
        "nox": 4.0 + 3.0 * crowd + abs(rng.normal(0, 0.5)),
        "voc": (220.0 if sensor.case else 120.0) + 40.0 * crowd + rng.normal(0, 8.0),
        "vibration": 0.008 + 0.03 * crowd * abs(rng.normal(1.0, 0.3)),
        "tilt": 0.35 + 0.002 * (t - 20.0) + rng.normal(0, 0.003),
        "strain": 120.0 + 11.0 * (t - 20.0) + rng.normal(0, 1.5),  # ~11 µε/K, thermal strain of stone
    }
    out = {}
    for q in sensor.quantities:
        if q == "colour_temperature" and not lit:
            continue  # no CCT in the dark
        quantity = QUANTITIES[q]
        out[q] = round(min(quantity.high, max(quantity.low, float(values[q]))), quantity.precision + 1)
    return out


Publish = Callable[[str, bytes], None]


class VirtualFleet:
    """Publishes a round of readings for every sensor of ``scene`` each ``interval_s``.

    air : (sensor, replay instant) -> (T °C, RH %RH) of the air where it hangs (the demo's virtual
        hall, whose machines answer the twin's commands), replacing the replayed T and RH

    publish : ``(topic, payload) -> None`` (an MQTT client's publish, or a list's append in tests)
    clock : wall clock returning aware UTC datetimes (injectable)
    """

    def __init__(self, scene: Scene, publish: Publish, settings: FleetSettings = FleetSettings(),
                 replay: ReplaySeries | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 air: Callable[[Sensor, datetime], tuple[float, float] | None] | None = None):
        self.scene = scene
        self.air = air  # (sensor, replay instant) -> (T, RH) of a model hall (bridge/control/virtual_hall.py)
        self.publish = publish
        self.settings = settings
        self.replay = replay or load_replay()
        self.clock = clock
        self._rng = np.random.default_rng(settings.seed)
        self._chars = {s.id: _character(s, scene, self._rng) for s in scene.sensors}
        self._wall0 = clock()
        # Default start: the replay clock catches up with the wall clock after an
        # hour of running, so timestamps stay in the past for a demo's lifetime.
        self._start = settings.start or self._wall0 - timedelta(seconds=settings.speed * 3600)
        self.published = 0

    def replay_time(self, wall: datetime | None = None) -> datetime:
        """The replay instant that corresponds to wall-clock ``wall``."""
        elapsed = ((wall or self.clock()) - self._wall0).total_seconds()
        return self._start + timedelta(seconds=elapsed * self.settings.speed)

    def readings_at(self, when: datetime) -> list[Reading]:
        """One reading per (sensor, quantity) at replay instant ``when``."""
        offset = (when - self._start).total_seconds()
        out = []
        for s in self.scene.sensors:
            air = self.air(s, when) if self.air is not None else None
            values = sensor_values(s, when, self.replay, self._chars[s.id], self._rng, offset, air)
            out.extend(Reading(s.id, q, when, v, QUANTITIES[q].unit) for q, v in values.items())
        return out

    def messages_at(self, when: datetime) -> list[tuple[str, bytes]]:
        """The MQTT messages of one round: per sensor, in its payload convention."""
        return self.messages_of(self.readings_at(when))

    def messages_of(self, readings: list[Reading]) -> list[tuple[str, bytes]]:
        """``readings`` as MQTT messages, per sensor in its payload convention."""
        msgs: list[tuple[str, bytes]] = []
        for s in self.scene.sensors:
            mine = [r for r in readings if r.sensor == s.id]
            msgs.extend(messages_for(self.settings.format or s.format, s.id, mine, self.scene.id))
        return msgs

    def round(self, when: datetime | None = None) -> int:
        """Publish one round now (or at replay instant ``when``); returns messages sent."""
        msgs = self.messages_at(when or self.replay_time())
        for topic, payload in msgs:
            self.publish(topic, payload)
        self.published += len(msgs)
        return len(msgs)

    def run(self, stop: threading.Event, rounds: int | None = None) -> None:
        """Publish rounds every ``interval_s`` until ``stop`` is set (or ``rounds`` are done)."""
        n = 0
        next_at = time.monotonic()
        while not stop.is_set() and (rounds is None or n < rounds):
            self.round()
            n += 1
            next_at += self.settings.interval_s
            stop.wait(max(0.0, next_at - time.monotonic()))


def messages_for(fmt: str, sensor_id: str, readings: list[Reading], hall: str) -> list[tuple[str, bytes]]:
    """``readings`` of one sensor as messages in convention ``fmt``; quantities the
    convention cannot carry go in the project's native JSON instead."""
    if fmt not in FLEET_FORMATS:
        raise ValueError(f"the fleet cannot publish {fmt!r}; choose one of {', '.join(FLEET_FORMATS)}")
    ok = [r for r in readings if r.quantity in ENCODABLE[fmt]]
    rest = [r for r in readings if r.quantity not in ENCODABLE[fmt]]
    return (encode(fmt, sensor_id, ok, hall=hall) if ok else []) + (
        encode("native", sensor_id, rest, hall=hall) if rest else [])


def topics_for(fmt: str, sensor: Sensor, hall: str) -> list[str]:
    """The topics the fleet publishes ``sensor`` on in convention ``fmt`` (for subscriptions)."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    dummy = [Reading(sensor.id, q, when, QUANTITIES[q].low, QUANTITIES[q].unit) for q in sensor.quantities]
    return sorted({t for t, _ in messages_for(fmt, sensor.id, dummy, hall)})
