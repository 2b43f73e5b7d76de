"""Reading a room record CSV for ``relic-twin calibrate --csv`` and ``relic-twin validate``.

One header row, then one row per time (any spacing; rows are averaged onto ``step_s``):

* ``time``: ISO 8601 or epoch seconds; without an offset it is UTC + ``--utc-offset``;
* indoor: ``temperature``, ``relative_humidity`` (one sensor, at the hall's centre or at
  ``--sensor ID`` of the scene), or ``temperature:ID``, ``relative_humidity:ID`` per scene sensor;
* optional outdoor weather ``outdoor_temperature``, ``outdoor_relative_humidity`` (absent or empty:
  the indoor-only mode, the outdoor boundary is fitted);
* optional schedules: ``occupancy`` (people, or 0/1: then scaled by the fitted occupancy factor),
  ``door`` and ``window`` (0/1: all the scene's doors / windows; ``door:ID`` one aperture),
  ``hvac`` (0/1; absent: as ``--no-hvac`` says), ``lights`` (0/1), ``heat_w`` (W).

Empty, ``NA`` and ``NaN`` cells are missing; rows may have gaps of any length (the record is
simulated run by run, :func:`simulation.record_model.runs`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridge.cli.calibrate import Table, bin_means, read_table
from bridge.cli.common import InputError
from simulation import climate
from simulation.record_model import RoomRecord

__all__ = ["load_record", "record_columns"]

SCHEDULES = ("occupancy", "door", "window", "hvac", "lights", "heat_w")
ALIASES = {"people": "occupancy", "occupied": "occupancy", "visitors": "occupancy",
           "t_out": "outdoor_temperature", "rh_out": "outdoor_relative_humidity"}


def _times(table: Table, utc_offset_h: float) -> NDArray[np.float64]:
    from datetime import datetime, timedelta, timezone

    tz = timezone(timedelta(hours=utc_offset_h))
    col = table.column(table.header[0] if "time" not in table.header else "time")
    out = np.empty(len(col))
    for i, text in enumerate(col):
        s = text.strip()
        try:
            out[i] = float(s)
            continue
        except ValueError:
            pass
        try:
            t = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"{table.name}: row {i + 2}: bad time {text!r} (ISO 8601 or epoch seconds) "
                             f"/ 时间格式错误") from None
        out[i] = (t if t.tzinfo else t.replace(tzinfo=tz)).timestamp()
    return out


def record_columns(table: Table) -> dict[str, str]:
    """Canonical name -> the file's column, for every column the record reader knows."""
    out = {}
    for h in table.header:
        key = ALIASES.get(h.strip().lower(), h.strip().lower())
        if key.split(":")[0] in ("time", "temperature", "relative_humidity", "outdoor_temperature",
                                 "outdoor_relative_humidity", *SCHEDULES):
            out[key if ":" not in key else key.split(":")[0] + ":" + h.split(":", 1)[1].strip()] = h
    return out


def load_record(path: Path, scene: Any, step_s: float, utc_offset_h: float = 0.0, sensor: str | None = None,
                hvac: bool = True, indoor_only: bool = False) -> tuple[RoomRecord, float, dict[str, str]]:
    """The record of ``path`` on ``step_s`` from its first row: (record, start epoch s, columns used)."""
    table = read_table(path)
    cols = record_columns(table)
    if "time" not in cols:
        raise InputError(f"{path}: missing column(s) time; found {', '.join(table.header[:20])} / 缺少时间列")
    times = _times(table, utc_offset_h)
    geo = climate.geometry_from_scene(scene)
    by_id = {s.id: s for s in scene.sensors}
    per_sensor = sorted({k.split(":", 1)[1] for k in cols if k.startswith(("temperature:", "relative_humidity:"))})
    if per_sensor:
        bad = [s for s in per_sensor if s not in by_id]
        if bad:
            raise InputError(f"{path}: sensors {', '.join(bad)} are not in the scene; known: "
                             f"{', '.join(sorted(by_id))} / 场景中没有这些传感器")
        probes = tuple(climate.Probe(s, np.asarray(by_id[s].position, float)[:2], by_id[s].case) for s in per_sensor)
        keys = [(f"temperature:{s}", f"relative_humidity:{s}") for s in per_sensor]
    elif "temperature" in cols and "relative_humidity" in cols:
        if sensor is not None and sensor not in by_id:
            raise InputError(f"--sensor {sensor!r} is not in the scene / 场景中没有该传感器")
        pos = np.asarray(by_id[sensor].position, float)[:2] if sensor else _centre(scene)
        probes = (climate.Probe(sensor or "room", pos, by_id[sensor].case if sensor else None),)
        keys = [("temperature", "relative_humidity")]
    else:
        raise InputError(f"{path}: missing column(s) temperature, relative_humidity (or temperature:ID, "
                         f"relative_humidity:ID per sensor); found {', '.join(table.header[:20])} / 缺少室内温湿度列")
    for kt, kr in keys:
        if kt not in cols or kr not in cols:
            raise InputError(f"{path}: {kt} and {kr} come in pairs / 温度与湿度列须成对出现")
    start = float(np.floor(np.nanmin(times) / step_s) * step_s)
    n = int(np.floor((np.nanmax(times) - start) / step_s)) + 1

    def col(key: str) -> NDArray[np.float64]:
        return bin_means(times, table.numbers(cols[key]), start, step_s, n) if key in cols else np.full(n, np.nan)

    t_in = np.stack([col(kt) for kt, _ in keys], axis=1)
    rh_in = np.stack([col(kr) for _, kr in keys], axis=1)
    t_out, rh_out = col("outdoor_temperature"), col("outdoor_relative_humidity")
    if indoor_only:
        t_out, rh_out = np.full(n, np.nan), np.full(n, np.nan)
    people = np.nan_to_num(col("occupancy"))
    doors = {o.id for o in scene.doors}
    windows = {o.id for o in scene.windows}
    apertures = doors | windows
    open_cols = [(k, {"door": doors, "window": windows}.get(k, {k.split(":", 1)[-1]})) for k in cols
                 if k in ("door", "window") or k.startswith(("door:", "window:"))]
    unknown = sorted(set().union(*(ids for _, ids in open_cols)) - apertures) if open_cols else []
    if unknown:
        raise InputError(f"{path}: apertures {', '.join(unknown)} are not in the scene / 场景中没有这些门窗")
    flags = [(np.nan_to_num(col(k)) >= 0.5, ids) for k, ids in open_cols]
    open_ids = tuple(frozenset().union(*(ids for f, ids in flags if f[i])) if flags else frozenset()
                     for i in range(n))
    hvac_on = np.nan_to_num(col("hvac")) >= 0.5 if "hvac" in cols else np.full(n, hvac)
    lights_on = np.nan_to_num(col("lights")) >= 0.5
    record = RoomRecord(np.arange(n) * step_s, t_in, rh_in, t_out, rh_out, np.nan_to_num(col("heat_w")),
                        replace(geo, probes=probes), people=people, open_ids=open_ids, hvac_on=hvac_on,
                        lights_on=lights_on, clock_s=float((start + utc_offset_h * 3600.0) % 86400.0))
    used = {k: v for k, v in cols.items() if k != "time"}
    return record, start, used


def _centre(scene: Any) -> NDArray[np.float64]:
    from simulation.scene import point_in_polygon

    for poly in [*(z.polygon for z in scene.zones), scene.floor]:
        c = np.asarray(poly, float).mean(axis=0)
        if point_in_polygon(c, np.asarray(scene.floor, float)):
            return c
    return np.asarray(scene.floor, float)[0]
