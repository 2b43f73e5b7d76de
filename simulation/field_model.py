"""Choosing the field model of a hall by leave-one-out error: IDW or kriging, with learnt sensor offsets.

Nodes in one room can disagree persistently (a sensor near a wall, a radiator, a door, or a
calibration drift: 10-14 %RH between neighbours in one real room), and inverse-distance weighting
(:mod:`simulation.field`) then spreads each node's bias around it. Two remedies are measured here
on the hall's own history, and the best combination is chosen by leave-one-out error:

offsets
    each sensor's persistent departure from the hall at the same time, learnt from history as the
    median over times of ``v_j(t) - mean_k v_k(t)`` (centred to sum zero). The field is
    interpolated from ``v - offset`` and a sensor's own reading is ``field + offset``.
kriging
    ordinary kriging, a Gaussian process with an unknown constant mean (Cressie 1993, *Statistics
    for Spatial Data*, ch. 3), exponential covariance ``exp(-d / L)`` plus a nugget; ``L`` and the
    nugget are chosen by the same leave-one-out error. The leave-one-out prediction needs no refit:
    with ``A`` the kriging system augmented by the unbiasedness row, ``y_i - yhat_i =
    (A^-1 b)_i / (A^-1)_ii`` (Dubrule 1983, Math. Geol. 15: 687-699).

Every method is scored beside the anchor "mean of the other nodes": a field model that does not
beat it tells nothing the mean does not.

Pure: numpy only. values : (t, p) float, NaN missing; positions : (p, 2) float, m.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from simulation.field import IDW_POWER, pairwise_distance

__all__ = ["IDW_MODEL", "MIN_HISTORY_ROWS", "FieldChoice", "FieldModel", "choose_field", "kriging_loo", "kriging_weights",
           "loo_errors", "model_of", "sensor_offsets"]

#: Kriging hyperparameters tried: range L (m) of the exponential covariance, nugget as a share of
#: the sill. From well-mixed (30 m) to local (1 m) rooms; a nugget for sensor noise.
KRIGING_RANGES_M = (1.0, 3.0, 10.0, 30.0)
KRIGING_NUGGETS = (0.01, 0.1, 0.5)

#: The offsets are learnt on the first share of the history and the errors scored on the rest.
TRAIN_SHARE = 0.5


def sensor_offsets(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each sensor's persistent offset from the hall: (p,), summing to zero; 0 without data.

    values : (t, p) float, NaN missing. Only times with at least two sensors count.
    """
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    enough = ok.sum(axis=1) >= 2
    if not enough.any():
        return np.zeros(v.shape[1])
    with np.errstate(invalid="ignore"):
        dev = v[enough] - np.nanmean(v[enough], axis=1, keepdims=True)
    off = np.array([np.nanmedian(dev[:, j]) if np.isfinite(dev[:, j]).any() else 0.0 for j in range(v.shape[1])])
    return off - off.mean()


def _complete(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return values[np.isfinite(values).all(axis=1)]


def mean_loo(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Leave-one-out errors of "the mean of the other nodes": (t, p), on complete rows."""
    p = values.shape[1]
    others = (values.sum(axis=1, keepdims=True) - values) / (p - 1)
    return values - others


def idw_loo(values: NDArray[np.float64], positions: NDArray[np.float64]) -> NDArray[np.float64]:
    """Leave-one-out errors of inverse-distance weighting from the other nodes: (t, p)."""
    d = pairwise_distance(positions, positions)
    w = np.where(np.eye(len(positions), dtype=bool), 0.0, 1.0 / np.maximum(d, 1e-6) ** IDW_POWER)
    w /= w.sum(axis=1, keepdims=True)
    return values - values @ w.T


def kriging_loo(values: NDArray[np.float64], positions: NDArray[np.float64], range_m: float,
                nugget: float) -> NDArray[np.float64]:
    """Leave-one-out errors of ordinary kriging (exponential covariance, range ``range_m`` m, nugget
    as a share of the sill): (t, p), by Dubrule's closed form."""
    p = len(positions)
    d = pairwise_distance(positions, positions)
    a = np.ones((p + 1, p + 1))
    a[:p, :p] = np.exp(-d / range_m) * (1.0 - nugget) + nugget * np.eye(p)
    a[p, p] = 0.0
    inv = np.linalg.inv(a)
    b = np.concatenate([values, np.zeros((values.shape[0], 1))], axis=1)  # (t, p + 1)
    return (b @ inv.T)[:, :p] / np.diag(inv)[:p]


def _rmse(e: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(e**2))) if e.size else float("nan")


def loo_errors(values: NDArray[np.float64], positions: NDArray[np.float64]) -> dict[str, tuple[float, dict]]:
    """Leave-one-out RMSE of every method on the later part of the history: {name: (rmse, settings)}.

    The offsets are learnt on the first :data:`TRAIN_SHARE` of the rows, kriging's hyperparameters
    chosen on them too; all methods are scored on the remaining complete rows.
    """
    v = np.asarray(values, float)
    cut = int(round(TRAIN_SHARE * v.shape[0]))
    train, test = _complete(v[:cut]), _complete(v[cut:])
    if v.shape[1] < 3 or train.shape[0] < 1 or test.shape[0] < 1:
        return {}
    off = sensor_offsets(v[:cut])
    out: dict[str, tuple[float, dict]] = {"mean of the others": (_rmse(mean_loo(test)), {})}
    for tag, tr, te in (("", train, test), (" + offsets", train - off, test - off)):
        out["IDW" + tag] = (_rmse(idw_loo(te, positions)), {})
        best = min((_rmse(kriging_loo(tr, positions, r, g)), r, g) for r in KRIGING_RANGES_M
                    for g in KRIGING_NUGGETS)
        out["kriging" + tag] = (_rmse(kriging_loo(te, positions, best[1], best[2])),
                                {"range_m": best[1], "nugget": best[2]})
    return out


@dataclass(frozen=True)
class FieldChoice:
    """The chosen field model: method name, its settings, offsets (p,), and every method's LOO RMSE."""

    method: str
    settings: dict
    offsets: NDArray[np.float64]
    rmse: dict[str, float]
    rows: int


def choose_field(values: NDArray[np.float64], positions: NDArray[np.float64]) -> FieldChoice | None:
    """The method of least leave-one-out RMSE among IDW and kriging, each with and without offsets.

    values : (t, p) float history of one quantity, NaN missing; positions : (p, 2) float, m.
    None with fewer than three sensors or no complete rows in either half of the history.
    """
    errors = loo_errors(values, positions)
    if not errors:
        return None
    candidates = {k: v for k, v in errors.items() if k != "mean of the others"}
    name = min(candidates, key=lambda k: candidates[k][0])
    cut = int(round(TRAIN_SHARE * len(values)))
    off = sensor_offsets(np.asarray(values, float)[:cut]) if name.endswith("offsets") else np.zeros(values.shape[1])
    rows = int(np.isfinite(np.asarray(values, float)[cut:]).all(axis=1).sum())
    return FieldChoice(name, candidates[name][1], off, {k: v[0] for k, v in errors.items()}, rows)


#: The least history (complete rows, one per step) on which a hall's field model is chosen; with less,
#: the display falls back to IDW and says so. Two days of hourly means: a day to learn the offsets on
#: and a day to score the methods on, so both halves hold a whole daily cycle (display choice).
MIN_HISTORY_ROWS = 48


def kriging_weights(positions: NDArray[np.float64], xy: NDArray[np.float64], range_m: float,
                    nugget: float) -> NDArray[np.float64]:
    """(m, k) ordinary-kriging weights at ``xy`` (m, 2) m from sensors at ``positions`` (k, 2) m, each
    row summing to 1 (the unbiasedness condition); ``weights @ values`` is the kriged field.

    The covariance is the one :func:`kriging_loo` scores: ``(1 - nugget) exp(-d / range_m)`` between
    distinct points, the nugget (sensor noise) only on the sensors' own diagonal, so the field is the
    noise-free estimate and need not pass exactly through each reading.
    """
    p = len(positions)
    if p == 0:
        return np.zeros((len(xy), 0))
    a = np.ones((p + 1, p + 1))
    a[:p, :p] = np.exp(-pairwise_distance(positions, positions) / range_m) * (1.0 - nugget) + nugget * np.eye(p)
    a[p, p] = 0.0
    b = np.ones((len(xy), p + 1))
    b[:, :p] = np.exp(-pairwise_distance(positions, xy) / range_m) * (1.0 - nugget)
    return np.linalg.solve(a, b.T).T[:, :p]


@dataclass(frozen=True)
class FieldModel:
    """How a display spreads one quantity's readings over the floor: ``method`` (a name of
    :func:`loo_errors`: "IDW", "kriging", each optionally "+ offsets"), its ``settings`` (kriging's
    ``range_m`` and ``nugget``) and each sensor's learnt ``offset`` (sensor id -> value, 0 when absent).

    The field is interpolated from ``reading - offset`` (the hall's air, the sensor's persistent
    departure taken away); the plain IDW model has no offsets and no settings.
    """

    method: str = "IDW"
    settings: Mapping[str, float] = field(default_factory=dict)
    offsets: Mapping[str, float] = field(default_factory=dict)

    @property
    def kriging(self) -> bool:
        return self.method.startswith("kriging")

    def weights(self, positions: NDArray[np.float64], xy: NDArray[np.float64],
                dist: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """(m, k) interpolation weights at ``xy`` from sensors at ``positions``; ``dist`` (m, k) m,
        when given, saves IDW recomputing the distances."""
        if self.kriging:
            return kriging_weights(positions, xy, float(self.settings.get("range_m", KRIGING_RANGES_M[1])),
                                   float(self.settings.get("nugget", KRIGING_NUGGETS[1])))
        d = pairwise_distance(positions, xy) if dist is None else dist
        if d.shape[1] == 0:
            return np.zeros((d.shape[0], 0))
        w = 1.0 / np.maximum(d, 1e-12) ** IDW_POWER
        return w / w.sum(axis=1, keepdims=True)

    def corrected(self, ids: Sequence[str], values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``values`` (k,) of sensors ``ids`` with their offsets taken away."""
        return np.asarray(values, float) - np.array([float(self.offsets.get(i, 0.0)) for i in ids])


IDW_MODEL = FieldModel()
"""The fallback: plain inverse-distance weighting, no offsets (too little history to choose)."""


def model_of(choice: FieldChoice, ids: Sequence[str]) -> FieldModel:
    """The :class:`FieldModel` of a :func:`choose_field` result for sensors ``ids`` (its columns)."""
    offsets = {i: float(o) for i, o in zip(ids, choice.offsets, strict=True)} if choice.method.endswith("offsets") else {}
    return FieldModel(choice.method, dict(choice.settings), offsets)
