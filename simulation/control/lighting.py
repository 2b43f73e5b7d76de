"""Light planned, not only switched: a dimmable light and a blind against the relics' lux-hour budget.

Light damage is cumulative: what matters is the dose (lx·h), not the level at one moment. Each
relic's profile gives an annual exposure (``annual_exposure``, lx·h a year: CIE 157:2004 Table 3,
GB/T 23863-2009, e.g. 50 000 lx·h for the most sensitive) and a level not to exceed (``high``,
lx). The planner, every control step:

1. the **target** illuminance while the hall is open: the budget left this year spread evenly
   over the opening hours left (:func:`target_lux`), never above the relic's limit. A budget
   spent ahead of time lowers the target rather than overrunning the year; the relic is
   "short" when that target falls below a viewing minimum (then the answer is a conservator's:
   rotate the object or shorten its display);
2. **daylight first**: the blind opens just enough for daylight to give the target (daylight is
   free, but every lux of it above the target is dose no one needs), and closes outside opening
   hours (dose with no viewer);
3. **lights top up** what daylight lacks, up to their design illuminance, and are off when
   the hall is closed.

Daylight at the relic is measured (an illuminance sensor, less the lights' share) and forecast
by the caller (diurnal persistence). The most sensitive relic a light or blind serves governs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

VIEW_MIN_LX = 50.0  # lx: below this the most sensitive objects cannot be seen well (CIE 157:2004: 50 lx
#                     for highly responsive objects is the display level the budgets are built on)


@dataclass(frozen=True)
class LightPlan:
    """Over n steps: blind (n,) 0 closed .. 1 open; level (n,) 0 off .. 1 full of the lights;
    lux (n,) at the relic; dose_lxh the plan's lx·h; target_lx while open; short: the budget
    cannot give ``VIEW_MIN_LX`` any more."""

    blind: NDArray[np.float64]
    level: NDArray[np.float64]
    lux: NDArray[np.float64]
    dose_lxh: float
    target_lx: float
    short: bool


def target_lux(budget_lxh: float, used_lxh: float, open_hours_left: float, limit_lx: float) -> float:
    """lx while open: the budget left over the opening hours left, at most ``limit_lx``."""
    if open_hours_left <= 0:
        return 0.0
    return float(np.clip((budget_lxh - used_lxh) / open_hours_left, 0.0, limit_lx))


def plan(open_: ArrayLike, daylight_lx: ArrayLike, step_h: float, target_lx: float, design_lx: float,
         has_blind: bool = True, has_light: bool = True) -> LightPlan:
    """The blind and light levels over n steps.

    open_ : (n,) bool, the hall open to visitors; daylight_lx : (n,) lx at the relic with the
    blind open and the lights off; step_h : hours a step; target_lx : lx wanted while open
    (:func:`target_lux`); design_lx : lx at the relic of the lights at full level.
    """
    is_open = np.asarray(open_, bool)
    day = np.maximum(np.asarray(daylight_lx, float), 0.0)
    if has_blind:
        with np.errstate(divide="ignore", invalid="ignore"):
            blind = np.where(day > 0, np.clip(target_lx / day, 0.0, 1.0), 1.0)
        blind = np.where(is_open, blind, 0.0)
    else:
        blind = np.ones_like(day)
    lacking = np.maximum(target_lx - day * blind, 0.0)
    level = np.clip(lacking / design_lx, 0.0, 1.0) if has_light and design_lx > 0 else np.zeros_like(day)
    level = np.where(is_open, level, 0.0)
    lux = day * blind + level * design_lx
    return LightPlan(blind, level, lux, float(np.sum(lux) * step_h), float(target_lx),
                     bool(target_lx < VIEW_MIN_LX))
