"""Which field model a hall's floor is drawn with, chosen on its stored history (no Panda3D here).

:func:`field_choice` reads the hall's history of one quantity from the store (every open-hall sensor,
averaged per ``step_s``, over ``days`` up to the latest reading: :func:`history`) and asks
:func:`simulation.field_model.choose_field` for the model of least leave-one-out error (IDW or
kriging, with or without learnt per-sensor offsets). With fewer than
:data:`simulation.field_model.MIN_HISTORY_ROWS` complete rows, fewer than three open-hall sensors or
no readings, it answers plain IDW and says why. ``relic-twin field`` prints the same choice; the staff
monitor draws it (embedded: this function; remote: ``GET /api/field``). Shape (JSON-able)::

    {"quantity", "method": "IDW" | "kriging" | "... + offsets", "settings": {"range_m", "nugget"},
     "offsets": {sensor id: value}, "rmse": {method: value}, "rows": complete rows used,
     "needed": rows needed, "fallback": None | {"zh-CN", "en"} (why IDW is shown without a choice)}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from simulation.field_model import MIN_HISTORY_ROWS, TRAIN_SHARE, choose_field
from simulation.quantities import QUANTITIES
from simulation.scene import Scene

__all__ = ["HISTORY_DAYS", "STEP_S", "FieldHistoryError", "field_choice", "history"]

HISTORY_DAYS = 14.0
"""How much history the choice reads, days (the ``relic-twin field`` default)."""
STEP_S = 3600
"""Bucket of the history, s (hourly means: the offsets are persistent, not minute-scale)."""


class FieldHistoryError(ValueError):
    """No stored readings to choose from; bilingual."""


def history(store: Any, sensors: list[str], quantity: str, hall: str, days: float, step_s: int
            ) -> tuple[np.ndarray, datetime]:
    """(t, p) bucket means of ``sensors`` over ``days`` up to the latest reading (from the first
    bucket holding any reading, so that halves of the history are halves of what is stored), and
    that time."""
    latest = [r.time for r in store.latest(sensors, hall=hall) if r.quantity == quantity]
    if not latest:
        raise FieldHistoryError(f"no stored {quantity} readings of {', '.join(sensors)} in hall {hall!r} "
                                f"/ 该展厅没有这些传感器的读数")
    end_s = int(max(latest).timestamp()) // step_s * step_s + step_s
    n = max(2, int(days * 86400 // step_s))
    start_s = end_s - n * step_s
    start = datetime.fromtimestamp(start_s, UTC)
    out = np.full((n, len(sensors)), np.nan)
    for j, sid in enumerate(sensors):
        s = store.series(sid, quantity, start, start + timedelta(seconds=n * step_s),
                         bucket_s=step_s, only_ok=True, hall=hall)
        idx = (s.times.astype("datetime64[s]").astype(np.int64) - start_s) // step_s
        keep = (idx >= 0) & (idx < n)
        out[idx[keep], j] = s.values[keep]
    seen = np.isfinite(out).any(axis=1)
    first = int(np.argmax(seen)) if seen.any() else 0
    return out[first:], max(latest)  # from the first bucket with a reading: a young store's history is all it has


def _idw(quantity: str, rows: int, zh: str, en: str) -> dict[str, Any]:
    return {"quantity": quantity, "method": "IDW", "settings": {}, "offsets": {}, "rmse": {}, "rows": rows,
            "needed": MIN_HISTORY_ROWS, "fallback": {"zh-CN": zh, "en": en}}


def field_choice(store: Any, scene: Scene, quantity: str, hall: str | None = None,
                 days: float = HISTORY_DAYS, step_s: int = STEP_S) -> dict[str, Any]:
    """The field model of ``quantity`` in the hall of ``scene``, chosen on the store's history;
    plain IDW with the reason in ``fallback`` where the history cannot choose."""
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r} / 未知物理量")
    hall = hall or scene.id
    sensors = [s for s in scene.sensors_for(quantity) if s.case is None]
    if len(sensors) < 3:
        return _idw(quantity, 0, f"展厅内仅 {len(sensors)} 个传感器，留一法需 3 个",
                    f"{len(sensors)} open-hall sensors: leave-one-out needs 3")
    ids = [s.id for s in sensors]
    try:
        values, _ = history(store, ids, quantity, hall, days, step_s)
    except FieldHistoryError:
        return _idw(quantity, 0, "尚无历史读数", "no stored history yet")
    complete = int(np.isfinite(values).all(axis=1).sum())
    cut = int(round(TRAIN_SHARE * len(values)))
    halves = [int(np.isfinite(values[a:b]).all(axis=1).sum()) for a, b in ((0, cut), (cut, len(values)))]
    if complete < MIN_HISTORY_ROWS or min(halves) < 1:
        hours = complete * step_s / 3600
        need = MIN_HISTORY_ROWS * step_s / 3600
        return _idw(quantity, complete, f"历史不足（所有传感器同时有读数 {hours:g}/{need:g} 小时）",
                    f"history too short ({hours:g} of {need:g} h with every sensor reporting)")
    positions = np.array([np.asarray(s.position, float)[:2] for s in sensors])
    choice = choose_field(values, positions)
    if choice is None:  # cannot happen with rows in both halves; kept as the same fallback
        return _idw(quantity, complete, "历史不足", "history too short")
    offsets = ({i: float(o) for i, o in zip(ids, choice.offsets, strict=True)}
               if choice.method.endswith("offsets") else {})
    return {"quantity": quantity, "method": choice.method, "settings": dict(choice.settings), "offsets": offsets,
            "rmse": {k: float(v) for k, v in choice.rmse.items()}, "rows": complete, "needed": MIN_HISTORY_ROWS,
            "fallback": None}
