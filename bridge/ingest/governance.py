"""Governance of one sensor's readings: unify units, flag, impute, quarantine.

A thin front over the pure array rules of :mod:`simulation.cleaning`; no
I/O. :func:`govern_series` takes the readings of one sensor and one
quantity and returns them with a quality flag and reason on each, plus
imputed readings for short gaps, plus rejections for what cannot be kept:

1. **unify units**: every value is converted to the canonical unit of its
   quantity (:mod:`bridge.sensors.units`); an unknown unit is rejected;
2. **quarantine**: a value outside the quantity's physical range
   (``Quantity.contains``) is impossible and goes to quarantine raw, as does
   a second value at the same instant;
3. **flag** (kept, never deleted; only ``"ok"`` and ``"imputed"`` readings
   feed the models, see :func:`for_models`), first matching rule names the
   quality, the reason lists every rule that fired:
   ``threshold`` (site limits from :class:`GovernanceSettings`), ``rail``
   (pinned at a range bound), ``stuck`` (no change for a day), ``step``
   (impossible jump), ``hampel`` (robust MAD outlier), ``sigma`` (rolling
   3-sigma outlier);
4. **impute** the missing instants of the sensor's cadence across gaps up to
   ``max_gap_s`` (linear or nearest, from ``ok`` readings only); longer
   gaps stay missing. Imputed readings carry ``quality="imputed"``.

Readings that arrive already flagged (quality not ``"ok"``) are kept as
they are and take no part in the statistics, so governing twice changes
nothing.

This is governance of whole series (imported files, stored data). Live
readings are judged one by one, in constant time, by
:mod:`bridge.ingest.live_governance`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

import numpy as np

from bridge.readings import Reading, Rejection
from bridge.sensors import units
from simulation import cleaning
from simulation.quantities import QUANTITIES

FLAGS: tuple[str, ...] = ("threshold", "rail", "stuck", "step", "hampel", "sigma")
"""Flag names in priority order (the first that fires names the quality)."""

MODEL_QUALITIES = frozenset({"ok", "imputed"})
"""Qualities the models may use; every other flag keeps a reading out of them."""

REASONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "threshold": ("outside the configured limits {low} to {high} {unit}",
                  "超出设定阈值 {low} 至 {high} {unit}"),
    "rail": ("pinned at the end of the physical range for {rail_h:g} h or more",
             "持续 {rail_h:g} 小时以上停在物理量程端点"),
    "stuck": ("unchanged for {stuck_h:g} h or more: stuck sensor",
              "连续 {stuck_h:g} 小时以上数值不变：传感器卡滞"),
    "step": ("jumps more than {max_step:g} {unit} per 10 min from the previous reading",
             "与前一读数相差超过每 10 分钟 {max_step:g} {unit}"),
    "hampel": ("more than {hampel_k:g} robust sigmas (MAD) from the local median",
               "偏离局部中位数超过 {hampel_k:g} 个稳健标准差（MAD）"),
    "sigma": ("more than {sigma_k:g} sigma from the local mean",
              "偏离局部均值超过 {sigma_k:g} 倍标准差"),
    "imputed": ("{method} imputation across a gap of {gap_min:.0f} min",
                "{method} 插补，缺口 {gap_min:.0f} 分钟"),
    "unknown_unit": ("{quantity}: unit {unit!r} is not known", "{quantity}：未知单位 {unit!r}"),
    "impossible": ("{quantity}: {value:g} {unit} is outside the physical range "
                   "({low:g} to {high:g} {unit})",
                   "{quantity}：{value:g} {unit} 超出物理范围（{low:g} 至 {high:g} {unit}）"),
    "duplicate": ("{quantity}: a second value at {time}", "{quantity}：{time} 已有数值，重复"),
})
"""Reason templates, English and Chinese."""


def reason(key: str, **values: object) -> str:
    """The reason ``key`` filled with ``values``, as ``"english | 中文"``."""
    en, zh = REASONS[key]
    return f"{en.format(**values)} | {zh.format(**values)}"


@dataclass(frozen=True)
class GovernanceSettings:
    """What governance does, with named defaults.

    cleaning : rule constants (:class:`simulation.cleaning.CleaningSettings`)
    thresholds : quantity -> (low, high) configured site limits in the
        canonical unit, either may be None; none by default (a site sets
        them, e.g. an outdoor RH sensor that can never read under 10 %RH)
    impute : ``"linear"``, ``"nearest"`` or ``"none"``
    """

    cleaning: cleaning.CleaningSettings = field(default_factory=cleaning.CleaningSettings)
    thresholds: Mapping[str, tuple[float | None, float | None]] = field(
        default_factory=lambda: MappingProxyType({}))
    impute: Literal["linear", "nearest", "none"] = "linear"


@dataclass
class Governed:
    """Result of governance: readings (flagged and imputed, time order) and rejections."""

    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of readings per quality, and ``"rejected"``."""
        out: dict[str, int] = defaultdict(int)
        for r in self.readings:
            out[r.quality] += 1
        out["rejected"] = len(self.rejections)
        return dict(out)


def for_models(readings: Iterable[Reading]) -> list[Reading]:
    """The readings the models may use: quality ``ok`` or ``imputed``."""
    return [r for r in readings if r.quality in MODEL_QUALITIES]


def _payload(r: Reading) -> bytes:
    return json.dumps({"sensor": r.sensor, "quantity": r.quantity, "time": r.time.isoformat(),
                       "value": r.value, "unit": r.unit}, ensure_ascii=False).encode()


def unify(readings: Iterable[Reading], now: datetime | None = None
          ) -> tuple[list[Reading], list[Rejection]]:
    """Readings in canonical units, sorted by time; impossible or duplicate ones rejected."""
    now = now or datetime.now(UTC)
    kept: list[Reading] = []
    rejected: list[Rejection] = []

    def reject(r: Reading, key: str, **kw: object) -> None:
        rejected.append(Rejection(f"governance:{r.sensor}/{r.quantity}", _payload(r), now,
                                  reason(key, **kw)))

    seen: set[tuple[str, str, str, str, datetime]] = set()
    for r in sorted(readings, key=lambda x: x.time):
        q = QUANTITIES[r.quantity]
        value = r.value
        canonical = r.unit == q.unit
        if not canonical:
            try:
                value = units.to_canonical(r.quantity, r.value, r.unit)
            except KeyError:
                reject(r, "unknown_unit", quantity=r.quantity, unit=r.unit)
                continue
        if not math.isfinite(value) or not q.contains(value):
            reject(r, "impossible", quantity=r.quantity, value=value, unit=q.unit,
                   low=q.low, high=q.high)
            continue
        key = (r.sensor, r.quantity, r.site, r.hall, r.time)
        if key in seen:
            reject(r, "duplicate", quantity=r.quantity, time=r.time.isoformat())
            continue
        seen.add(key)
        kept.append(r if canonical else replace(r, value=value, unit=q.unit))  # a copy only when it changed
    return kept, rejected


def flag_arrays(quantity: str, t: np.ndarray, v: np.ndarray,
                settings: GovernanceSettings) -> dict[str, np.ndarray]:
    """Every rule's mask for one series.

    t : (n,) float, s; v : (n,) float canonical unit, NaN = not judged
    -> flag name -> (n,) bool
    """
    cs = settings.cleaning
    q = QUANTITIES[quantity]
    rule = cleaning.QUANTITY_RULES[quantity]
    low, high = settings.thresholds.get(quantity, (None, None))
    link = cs.stuck_s / cs.stuck_min_samples
    masks = {
        "threshold": cleaning.outside(v, low, high),
        "rail": (cleaning.rail_flags(t, v, q.low, q.high, cs.rail_s, link) if rule.rail
                 else np.zeros(v.shape, dtype=bool)),
        "stuck": cleaning.stuck_flags(t, v, cs.stuck_s, cs.stuck_min_samples, max_dt=link),
    }
    v2 = np.where(masks["threshold"] | masks["rail"] | masks["stuck"], np.nan, v)
    masks["step"] = (cleaning.step_flags(t, v2, rule.max_step) if rule.max_step is not None
                     else np.zeros(v.shape, dtype=bool))
    v3 = np.where(masks["step"], np.nan, v2)
    masks["hampel"] = cleaning.hampel_flags(v3, cs.hampel_window, cs.hampel_k, rule.scale_floor,
                                            cs.min_neighbours, rel_floor=rule.rel_floor)
    masks["sigma"] = cleaning.sigma_flags(v3, cs.sigma_window, cs.sigma_k, rule.scale_floor,
                                          cs.min_neighbours, rel_floor=rule.rel_floor)
    return masks


def _reason_words(settings: GovernanceSettings, quantity: str, unit: str) -> dict[str, object]:
    """The values the flag reasons quote (see :func:`reason`)."""
    rule = cleaning.QUANTITY_RULES[quantity]
    lo, hi = settings.thresholds.get(quantity, (None, None))
    return {"low": lo, "high": hi, "unit": unit, "rail_h": settings.cleaning.rail_s / 3600,
            "stuck_h": settings.cleaning.stuck_s / 3600, "max_step": rule.max_step or 0.0,
            "hampel_k": settings.cleaning.hampel_k, "sigma_k": settings.cleaning.sigma_k}


def govern_series(readings: Sequence[Reading], settings: GovernanceSettings | None = None,
                  now: datetime | None = None) -> Governed:
    """Govern the readings of one sensor and one quantity (see the module docstring).

    Raises ``ValueError`` when the readings mix sensors or quantities.
    """
    settings = settings or GovernanceSettings()
    if len({(r.sensor, r.quantity, r.site, r.hall) for r in readings}) > 1:
        raise ValueError("govern_series takes one sensor and one quantity (of one hall); use govern()")
    kept, rejected = unify(readings, now)
    if not kept:
        return Governed([], rejected)
    quantity, unit = kept[0].quantity, kept[0].unit
    t = np.array([r.time.timestamp() for r in kept])
    fresh = np.array([r.quality == "ok" for r in kept])
    v = np.where(fresh, [r.value for r in kept], np.nan)
    masks = flag_arrays(quantity, t, v, settings)
    words = _reason_words(settings, quantity, unit)
    out: list[Reading] = []
    flagged = np.zeros(len(kept), dtype=bool)
    for i, r in enumerate(kept):
        fired = [name for name in FLAGS if masks[name][i]]
        if fired:
            flagged[i] = True
            why = "; ".join(reason(name, **words) for name in fired)
            r = replace(r, quality=fired[0], reason=why)
        out.append(r)
    if settings.impute != "none":
        anchors = np.where(flagged | ~fresh, np.nan, v)
        out.extend(_imputed(kept[0], t, anchors, settings))
        out.sort(key=lambda r: r.time)
    return Governed(out, rejected)


def _imputed(template: Reading, t: np.ndarray, anchors: np.ndarray,
             settings: GovernanceSettings) -> list[Reading]:
    """Readings at the missing instants of the cadence, filled across short gaps."""
    step = cleaning.typical_step(t)
    if step <= 0:
        return []
    step = max(step, settings.cleaning.min_fill_step_s)  # a burst ms apart does not set a ms cadence
    extra = cleaning.missing_times(t, step, settings.cleaning.max_gap_s)
    if extra.size == 0:
        return []
    tt = np.concatenate([t, extra])
    vv = np.concatenate([anchors, np.full(extra.size, np.nan)])
    order = np.argsort(tt, kind="stable")
    method: Literal["linear", "nearest"] = "nearest" if settings.impute == "nearest" else "linear"
    filled, imputed = cleaning.impute(tt[order], vv[order], settings.cleaning.max_gap_s, method)
    is_extra = order >= t.size
    valid_t = tt[order][~np.isnan(vv[order])]
    out = []
    for j in np.flatnonzero(imputed & is_extra):
        k = np.searchsorted(valid_t, tt[order][j])
        gap = (valid_t[k] - valid_t[k - 1]) / 60.0
        out.append(Reading(template.sensor, template.quantity,
                           datetime.fromtimestamp(float(tt[order][j]), UTC), float(filled[j]),
                           template.unit, "imputed", reason("imputed", method=method, gap_min=gap),
                           hall=template.hall, site=template.site))
    return out


def govern(readings: Iterable[Reading], settings: GovernanceSettings | None = None,
           now: datetime | None = None) -> Governed:
    """Govern readings of any sensors and quantities, series by series."""
    groups: dict[tuple[str, str, str, str], list[Reading]] = defaultdict(list)
    for r in readings:
        groups[(r.sensor, r.quantity, r.site, r.hall)].append(r)
    result = Governed()
    for key in sorted(groups):
        g = govern_series(groups[key], settings, now)
        result.readings.extend(g.readings)
        result.rejections.extend(g.rejections)
    return result

