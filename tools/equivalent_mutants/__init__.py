"""Surviving mutants that cannot change behaviour, one file per core module (tools/mutation.py reads them).

Add a rule to the file of the module whose survivor it explains; see ``_rules.py`` for the form.
"""

from __future__ import annotations

from . import (
    alerts,
    api_roles,
    auth,
    calibration,
    cleaning,
    climate,
    common,
    decoders,
    forecast,
    governance,
    ingestor,
    risk,
)
from ._rules import Rule

EQUIVALENT: tuple[Rule, ...] = sum((m.EQUIVALENT for m in (
    alerts, api_roles, auth, calibration, cleaning, climate, common, decoders, forecast, governance, ingestor, risk,
)), ())
