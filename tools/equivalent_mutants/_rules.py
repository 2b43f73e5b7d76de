"""Helpers for the tables of equivalent mutants: each rule is (modules, removed, added, reason).

The removed and added lines are regular expressions matched against a surviving mutant's diff: its removed
lines and its added lines, each stripped, joined by newlines (most diffs are one line each; a call whose
closing bracket mutmut joins onto the line before spans two). mutmut's names such as x_f__mutmut_7 change
when code moves; a changed line no longer matches and must be judged again. A module may be named as ``module/function`` for a line that is common in the module.
Each entry was checked by reading the code of the modules it names.
"""

from __future__ import annotations

import re

Rule = tuple[tuple[str, ...], str, str, str]

ASARRAY_FLOAT = (r"np\.asarray\((?P<a>[^()]+), dtype=float\)", r"np\.asarray\((?P<a>[^()]+), (dtype=None)?\)")


def same(removed: str, added: str) -> tuple[str, str]:
    """An exact one-line change, as the pair of regular expressions the matcher uses."""
    return "^" + re.escape(removed) + "$", "^" + re.escape(added) + "$"
