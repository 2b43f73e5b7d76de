"""The report's words: one language or both, and how each figure is written.

``lang`` is ``"zh"``, ``"en"`` or ``"both"`` (Chinese, then English). Names of halls,
relics and materials come from the scene and the material profiles; figure names,
definitions and sources from :data:`simulation.report_figures.METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from simulation.quantities import QUANTITIES
from simulation.report_figures import METRICS, Figure, unit_of

LANGS = ("zh", "en", "both")


class Words:
    """Picks texts for one of :data:`LANGS`."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r} / 语言须为 zh、en 或 both")
        self.lang = lang

    def __call__(self, zh: str, en: str, sep: str = " / ") -> str:
        if self.lang == "zh":
            return zh
        if self.lang == "en":
            return en
        return zh if zh == en else f"{zh}{sep}{en}"

    def name(self, text: Mapping[str, str], fallback: str = "", sep: str = " / ") -> str:
        """A scene text (``{"zh-CN": ..., "en": ...}``) in the report's language(s)."""
        zh = text.get("zh-CN") or text.get("zh") or fallback
        return self(zh, text.get("en") or fallback, sep)

    def quantity(self, q: str) -> str:
        info = QUANTITIES.get(q)
        return self(info.zh, info.en) if info else q

    def metric(self, f: Figure, sep: str = " / ") -> str:
        m = METRICS[f.metric]
        base = self(m.zh, m.en, sep)
        return f"{self.quantity(f.quantity)}: {base}" if f.quantity and f.metric not in _OWN_QUANTITY else base

    def verdict(self, ok: bool | None) -> str:
        if ok is None:
            return ""
        return self("达标", "met") if ok else self("未达标", "NOT MET")


# figures whose name already says what they are about
_OWN_QUANTITY = frozenset({"en15757", "corrosion_hours", "lux_hours", "lux_budget_share", "uv_dose"})

_DECIMALS = {"%": 1, "a": 0, "d": 1, "h": 1, "lx·h": 0, "K": 1, "mW·h/m²": 1}


def number(f: Figure) -> str:
    """The figure's value with its unit ("—" when it could not be computed)."""
    return value_text(f.value, f)


def limit_text(f: Figure) -> str:
    return "" if f.limit is None else value_text(f.limit, f)


def value_text(v: float, f: Figure) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    unit = unit_of(f)
    if METRICS[f.metric].unit:
        dec = _DECIMALS.get(unit, 1)
    else:
        q = QUANTITIES.get(f.quantity)
        dec = (q.precision if q else 1) + (1 if f.metric == "mean" else 0)
    return f"{v:,.{dec}f} {unit}".strip()
