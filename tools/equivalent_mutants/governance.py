"""Surviving mutants of the governance module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule

EQUIVALENT: tuple[Rule, ...] = (
    (("governance",), r'^order = np\.argsort\(tt, kind="stable"\)$', r'^order = np\.argsort\(tt, (kind=None|kind="STABLE")?\)$',
     "the missing instants are never equal to a reading's time: no ties to keep in order"),
)
