"""Short-term climate fluctuation: the largest change within any 24 h.

Rapid RH swings make hygroscopic materials swell and shrink faster than they
can relax (ASHRAE Handbook—HVAC Applications 2019, ch. 24; Bizot 2014
declaration: ≤ ±10 %RH per 24 h); the profile's ``max_change_24h`` is the
allowed peak-to-peak change in any 24 h window.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulation.time_axis import DAY_S, seconds, trailing_range


def change_24h(times: ArrayLike, values: ArrayLike) -> NDArray[np.float64]:
    """Max minus min over the 24 h ending at each sample.

    times : (n,) datetime64 / aware datetime / float s; values : (n,) float
    ->  (n,) float, unit of ``values`` (0 for the first sample)
    """
    return trailing_range(seconds(times), np.asarray(values, dtype=float), DAY_S)


def max_change_24h(times: ArrayLike, values: ArrayLike) -> float:
    """Largest 24 h peak-to-peak change over the record (NaN for an empty one)."""
    r = change_24h(times, values)
    return float(np.nanmax(r)) if r.size and not np.all(np.isnan(r)) else float("nan")
