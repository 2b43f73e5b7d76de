"""What a decoder produces: a reading, or a rejection with its reason.

These two plain records are the contract between every input path (MQTT
decoders, logger importers, the virtual fleet) and everything downstream
(governance, storage, the twin service). Quantities and units are those of
:mod:`simulation.quantities`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Reading:
    """One value of one quantity from one sensor at one instant.

    sensor : sensor id (as in the scene, or as discovered)
    quantity : canonical quantity name (``simulation.quantities.NAMES``)
    time : timezone-aware UTC instant the value was measured
    value : the value in ``unit``
    unit : unit symbol; canonical after governance
    quality : ``"ok"`` or a flag name set by governance (kept, never deleted)
    reason : why the flag was set ('' when ok)
    raw : the value as the sensor sent it, when a sensor calibration changed it
        (``bridge.ingest.calibration``); None otherwise
    hall : the hall (scene id) the sensor is in; part of the reading's identity,
        since sensor ids are unique only within a hall. '' until the input path
        knows it (the ingestor and importers stamp it before storing)
    site : the museum the hall belongs to; '' on a museum's own box (its one
        site), the site id on a hub that stores many (see docs/ARCHITECTURE.md)
    """

    sensor: str
    quantity: str
    time: datetime
    value: float
    unit: str
    quality: str = "ok"
    reason: str = ""
    raw: float | None = None
    hall: str = ""
    site: str = ""


def _reading_init(self: Reading, sensor: str, quantity: str, time: datetime, value: float, unit: str,
                  quality: str = "ok", reason: str = "", raw: float | None = None, hall: str = "",
                  site: str = "") -> None:
    # the dataclass's generated __init__ of a frozen class calls object.__setattr__
    # once per field; one call setting the whole __dict__ halves the cost of the
    # record the ingest path builds for every reading (same fields, same result)
    _set(self, "__dict__", {"sensor": sensor, "quantity": quantity, "time": time, "value": value,
                            "unit": unit, "quality": quality, "reason": reason, "raw": raw,
                            "hall": hall, "site": site})


_set = object.__setattr__
_reading_init.__doc__ = Reading.__init__.__doc__
Reading.__init__ = _reading_init  # type: ignore[method-assign]


def in_hall(readings: list[Reading], hall: str, site: str = "") -> list[Reading]:
    """``readings`` stamped with ``hall`` (and ``site``) where they carry none; the others unchanged.

    A stamped reading is a copy of the other's fields with the two changed (one dictionary copy:
    a hub worker stamps every reading it stores)."""
    out = []
    for r in readings:
        if (r.hall or not hall) and (r.site or not site):
            out.append(r)
            continue
        fields = r.__dict__.copy()
        fields["hall"] = r.hall or hall
        fields["site"] = r.site or site
        new = _new(Reading)
        _set(new, "__dict__", fields)
        out.append(new)
    return out


_new = object.__new__


@dataclass(frozen=True)
class Rejection:
    """Input that could not become a reading; kept raw in quarantine.

    source : where it came from (MQTT topic, or ``file:line``)
    payload : the raw bytes, unchanged (truncated to a bounded size by storage)
    received_at : timezone-aware UTC instant it arrived
    reason : a sentence a person can act on
    """

    source: str
    payload: bytes
    received_at: datetime
    reason: str


@dataclass
class Decoded:
    """Result of decoding one message: its readings and its rejections.

    A message may give both (one bad field among good ones).
    Status messages (availability, battery, link quality) fill ``status``.
    """

    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    status: dict[str, object] = field(default_factory=dict)
