"""Per-sensor calibration: an offset (and gain) per sensor and quantity, applied as readings arrive.

A calibration says: from ``set_at`` on, this sensor's ``quantity`` reads ``gain × raw + offset``
(a check against a traceable reference found it off by that much). It is stored with who set it
(:class:`bridge.store.models.SensorCalibration`, rows never changed or deleted); the ingest
(MQTT and logger files) applies the newest one to every reading of that sensor and quantity
measured at or after ``set_at``, before the governance checks, and keeps the sensor's own value
as the reading's ``raw``.

    set_calibration(store, "S02", "relative_humidity", offset=-2.5, set_by="wang")
    relic-twin sensor-calibration set S02 --quantity relative_humidity --offset -2.5 --by wang
    PUT /api/calibrations/S02/relative_humidity  {"offset": -2.5, "gain": 1.0, "note": "..."}
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlmodel import col, select

from bridge.config import ConfigError
from bridge.readings import Reading
from bridge.store import Store
from bridge.store.epoch import from_us, to_us
from bridge.store.models import SensorCalibration
from simulation.quantities import QUANTITIES

CALIBRATION_INTERVAL_DAYS = 365.0
"""A calibration is due this long after the last one (the yearly check logger makers recommend;
the same figure as simulation.derived_alerts.DerivedSettings.calibration_interval_days)."""


@dataclass(frozen=True)
class Calibration:
    """One calibration: stored value = gain × raw + offset for readings measured from ``set_at`` on.

    hall : the sensor's hall ('' = the sensor of that id in any hall)
    """

    sensor: str
    quantity: str
    offset: float
    gain: float
    set_at: datetime
    set_by: str
    note: str = ""
    hall: str = ""

    @property
    def due_at(self) -> datetime:
        from datetime import timedelta

        return self.set_at + timedelta(days=CALIBRATION_INTERVAL_DAYS)

    def apply(self, value: float) -> float:
        return self.gain * value + self.offset


def _of(row: SensorCalibration) -> Calibration:
    return Calibration(row.sensor, row.quantity, row.offset, row.gain, from_us(row.set_at_us), row.set_by, row.note,
                       row.hall)


def set_calibration(store: Store, sensor: str, quantity: str, offset: float = 0.0, gain: float = 1.0,
                    set_by: str = "", at: datetime | None = None, note: str = "", hall: str = "") -> Calibration:
    """Record a calibration of ``sensor`` in ``hall`` ('' = any hall); ConfigError (both languages)
    for an unknown quantity or a bad number."""
    if quantity not in QUANTITIES:
        raise ConfigError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)} / 未知指标")
    if not (math.isfinite(offset) and math.isfinite(gain)) or not 0.5 <= gain <= 2.0:
        # a gain outside 0.5-2 is a broken sensor to replace, not one to calibrate
        raise ConfigError(f"offset must be finite and gain between 0.5 and 2, got {offset!r}, {gain!r} / "
                          "偏移须为有限数，增益须在0.5至2之间")
    if not sensor or len(sensor) > 128:
        raise ConfigError("sensor id must be 1-128 characters / 传感器编号须为1至128个字符")
    when = (at or datetime.now(UTC)).astimezone(UTC)
    row = SensorCalibration(hall=hall[:64], sensor=sensor, quantity=quantity, offset=float(offset), gain=float(gain),
                            set_at_us=to_us(when), set_by=set_by[:64], note=note)
    with store.session() as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    return _of(row)


def list_calibrations(store: Store, sensors: Sequence[str] | None = None, history: bool = False,
                      hall: str | None = None) -> list[Calibration]:
    """The newest calibration of every (hall, sensor, quantity) (all of them with ``history``), by sensor.

    hall : only those of this hall and those of any hall (''); None: every one
    """
    stmt = select(SensorCalibration).order_by(col(SensorCalibration.sensor), col(SensorCalibration.quantity),
                                              col(SensorCalibration.hall), col(SensorCalibration.set_at_us),
                                              col(SensorCalibration.id))
    if sensors is not None:
        stmt = stmt.where(col(SensorCalibration.sensor).in_(list(sensors)))
    if hall is not None:
        stmt = stmt.where(col(SensorCalibration.hall).in_(["", hall]))
    with store.session() as s:
        rows = [_of(r) for r in s.exec(stmt)]
    if history:
        return rows
    newest: dict[tuple[str, str, str], Calibration] = {}
    for c in rows:
        newest[(c.hall, c.sensor, c.quantity)] = c
    return list(newest.values())


class Calibrations:
    """The newest calibration per (sensor, quantity), re-read from the store every ``refresh_s``.

    :meth:`apply` is what the ingest calls on each batch (thread-safe).
    """

    def __init__(self, store: Store, refresh_s: float = 30.0):
        self.store = store
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._loaded_at = -math.inf
        self._table: dict[tuple[str, str, str], Calibration] = {}

    def refresh(self) -> None:
        table = {(c.hall, c.sensor, c.quantity): c for c in list_calibrations(self.store)}
        with self._lock:
            self._table, self._loaded_at = table, time.monotonic()

    def apply(self, readings: Sequence[Reading]) -> list[Reading]:
        """The readings with their calibration applied (``raw`` keeps the sensor's value)."""
        if time.monotonic() - self._loaded_at > self.refresh_s:
            self.refresh()
        table = self._table
        if not table:
            return list(readings)
        out = []
        for r in readings:  # the calibration of the reading's own hall, else one for any hall
            c = table.get((r.hall, r.sensor, r.quantity)) or table.get(("", r.sensor, r.quantity))
            if c is None or r.time < c.set_at or r.raw is not None:
                out.append(r)
            else:
                out.append(replace(r, value=c.apply(r.value), raw=r.value))
        return out
