"""Surviving mutants of several modules that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import ASARRAY_FLOAT, Rule

EQUIVALENT: tuple[Rule, ...] = (
    (("psychrometrics", "preservation_index", "risk"), *ASARRAY_FLOAT,
     "dtype=float dropped: on numeric input the float arithmetic that follows promotes ints alike"),
)
