"""Surviving mutants of the governance module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("governance",), r'^order = np\.argsort\(tt, kind="stable"\)$', r'^order = np\.argsort\(tt, (kind=None|kind="STABLE")?\)$',
     "the missing instants are never equal to a reading's time: no ties to keep in order"),
    (("governance",), *same('"value": r.value, "unit": r.unit}, ensure_ascii=False).encode()',
                             '"value": r.value, "unit": r.unit}, ensure_ascii=None).encode()'),
     "json.dumps tests ensure_ascii for truth only: None escapes nothing, as False"),
    (("governance",), *same('"stuck_h": settings.cleaning.stuck_s / 3600, "max_step": rule.max_step or 0.0,',
                             '"stuck_h": settings.cleaning.stuck_s / 3600, "max_step": rule.max_step or 1.0,'),
     "max_step is quoted only by the step reason, which fires only for a quantity with a step limit "
     "(cleaning.QUANTITY_RULES, read-only: every max_step there is None or positive)"),
    (("governance",), r"^(?P<lhs>v[23] = np\.where\(.+), np\.nan, (?P<rhs>v2?)\)$",
     r"^(?P<lhs>v[23] = np\.where\(.+), None, (?P<rhs>v2?)\)$",
     "v2 and v3 are read only by the step, hampel and sigma rules, which take np.asarray(dtype=float) "
     "first: None becomes NaN, as np.nan"),
)
