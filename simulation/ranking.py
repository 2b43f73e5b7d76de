"""Comparing halls and sites: time in range, and the order of a ranking.

Time in range is the share of a period a space's climate stayed inside its
target band, the figure eClimateNotebook reports for each site, building and
space (Image Permanence Institute, eClimateNotebook Pro, "% Time in Range");
here the band is the material profile's of each relic in the hall, judged on
hourly means of the relic's representative sensor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: tier order, worst last (as simulation.risk.Level)
TIER_RANK = {"green": 0, "yellow": 1, "red": 2}


def time_in_range(values: ArrayLike, low: float | None, high: float | None) -> float:
    """Fraction (0-1) of the finite ``values`` inside [low, high] (None: unbounded); NaN when none is finite.

    values : (n,) float, e.g. hourly means, equally spaced (each stands for the same length of time)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    inside = np.ones(v.shape, dtype=bool)
    if low is not None:
        inside &= v >= low
    if high is not None:
        inside &= v <= high
    return float(inside.mean())


def mean_fraction(fractions: Iterable[float]) -> float:
    """Mean of the finite fractions; NaN when there is none."""
    f = np.array([x for x in fractions if np.isfinite(x)], dtype=float)
    return float(f.mean()) if f.size else float("nan")


def rank(rows: Sequence[Mapping[str, Any]], by: str) -> list[Mapping[str, Any]]:
    """``rows`` worst first: by ``"risk"`` (tier, then open alerts, then sensors offline, then least time in
    range) or by ``"time_in_range"`` (least first; unknown last). Ties keep the input order."""
    def tir(r: Mapping[str, Any]) -> float:
        x = r.get("time_in_range")
        return 2.0 if x is None or not np.isfinite(x) else float(x)

    if by == "risk":
        return sorted(rows, key=lambda r: (-TIER_RANK.get(r.get("tier", "green"), 0), -int(r.get("open_alerts", 0)),
                                           -int(r.get("sensors_offline", 0)), tir(r)))
    if by == "time_in_range":
        return sorted(rows, key=tir)
    raise ValueError(f"rank by 'risk' or 'time_in_range', not {by!r}")
