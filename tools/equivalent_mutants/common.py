"""Surviving mutants of several modules that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import ASARRAY_FLOAT, Rule

EQUIVALENT: tuple[Rule, ...] = (
    # Not a rule for the whole modules: a float32 input kept as float32 runs in single precision where it
    # meets only Python floats (tests/test_psychrometrics.py, test_metrics.py, test_risk.py catch those).
    (("psychrometrics/vapour_pressure",), *ASARRAY_FLOAT,
     "dtype=float dropped on rh: it meets the float64 array of saturation_vapour_pressure first, which "
     "promotes ints and float32 exactly before any arithmetic"),
)
