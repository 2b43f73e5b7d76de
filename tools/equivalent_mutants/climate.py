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
    (("climate/_solve",), *same('lu = model._lu.get((name, key)) if model.engine == "cached" else None',
                                 'lu = model._lu.get((name, key)) if (model.engine == "cached") or True else None'),
     "the fipy engine never stores a factorisation (only the cached one does, below), so its lookup finds none"),
    (("climate/_solve",), r"^eq\.solve\(var=var, dt=model\.dt_s, solver=model\.solver\)$",
     r"^eq\.solve\((var=None, )?dt=model\.dt_s, solver=model\.solver\)$",
     "the equation has one variable, var (its explicit source takes the terms' variable): FiPy's "
     "Term._verifyVar(None) returns it"),
    (("climate/_solve",), *same("new = np.array(var.value, dtype=float)", "new = np.array(var.value, dtype=None)"),
     "the variable's value is already a float64 array (made from floats, solved in float); np.array copies it alike"),
    (("climate/_solve",), *same("new = np.array(var.value, dtype=float)", "new = np.array(var.value, )"),
     "the variable's value is already a float64 array (made from floats, solved in float); np.array copies it alike"),
    (("climate",), r'float\("inf"\)', r'float\("INF"\)', "float() reads 'inf' in any case"),
)
