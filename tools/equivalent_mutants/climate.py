"""Surviving mutants of the climate module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("climate",), *same("return state.w_sat if state.w_sat is not None else vapour_density(state.t, 100.0)",
                          "return state.w_sat if (state.w_sat is not None) and False else vapour_density(state.t, 100.0)"),
     "w_sat is a cache: step() sets it to vapour_density(t, 100) of the same new t; recomputing gives the same"),
    (("climate",), *same("return pt, rh_from_vapour_density(pt, pw), zt, rh_from_vapour_density(zt, zw) if len(zt) else zt",
                          "return pt, rh_from_vapour_density(pt, pw), zt, rh_from_vapour_density(zt, zw) if (len(zt)) or True else zt"),
     "without zones zt is an empty float array, and so is rh_from_vapour_density of two empty arrays"),
    (("climate",), r"\.reshape\(len\(rec\), -1\)", r"\.reshape\(len\(rec\), -2\)",
     "numpy reads a negative size as 'the rest' whatever its value (numpy 2.4; -1 is the documented one)"),
    (("climate",), r"^model\._epoch \+= 1$", r"^model\._epoch (-= 1|\+= 2)$",
     "the epoch only keys cached factorisations: any step that never repeats an earlier value does"),
    (("climate",), r"^hvac_i_t=i_t, hvac_i_w=i_w, w_sat=w_sat\)$", r"^hvac_i_t=i_t, hvac_i_w=i_w, (w_sat=None)?\)$",
     "the saturation cache not kept: the next step computes vapour_density(t, 100) of the same t again"),
)
