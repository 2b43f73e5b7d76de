"""Outdoor weather for the demo's virtual hall and ``relic-twin control-demo``: a real record
(CSV ``time,t_out,rh_out``: ISO 8601 UTC, °C, %RH) played from its start, or a damp autumn day
(synthetic: 15-17 °C, 93-97 %RH, the season in which halls without control grow damp).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Outdoor:
    """Weather as a function of time. record : (n, 3) rows of (t_s, t_out °C, rh_out %RH) sorted by
    time, played from ``start_s`` on (looping), or None for the synthetic damp day; where : what it is."""

    record: NDArray[np.float64] | None
    start_s: float
    where: str

    def at(self, t_s: NDArray[np.float64] | float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(t_out °C, rh_out %RH) at ``t_s`` (s since the epoch, any shape)."""
        t = np.asarray(t_s, float)
        if self.record is None:
            h = (t / 3600.0) % 24
            return 16.0 + 1.0 * np.sin(2 * np.pi * (h - 9) / 24), 95.0 - 2.0 * np.sin(2 * np.pi * (h - 9) / 24)
        a = self.record
        span = a[-1, 0] - a[0, 0]
        s = a[0, 0] + np.mod(t - self.start_s, span)
        return np.interp(s, a[:, 0], a[:, 1]), np.interp(s, a[:, 0], a[:, 2])

    def now(self, t_s: float) -> tuple[float, float]:
        """(t_out, rh_out) at one instant."""
        t, rh = self.at(t_s)
        return float(t), float(rh)


def outdoor(path: str | None, start_s: float) -> Outdoor:
    """The record at ``path`` played from ``start_s`` on, else the synthetic damp day.
    Raises OSError, ValueError or KeyError for a file that cannot be read as such a record."""
    if path is None:
        return Outdoor(None, start_s, "a damp autumn day (synthetic) / 潮湿秋日（合成）")
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            ts = datetime.fromisoformat(row["time"].replace("Z", "+00:00"))
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=UTC)
            rows.append((ts.timestamp(), float(row["t_out"]), float(row["rh_out"])))
    if len(rows) < 2:
        raise ValueError(f"{path}: need at least two rows of time,t_out,rh_out")
    return Outdoor(np.array(sorted(rows)), start_s, f"{path} (real record) / 实测记录")
