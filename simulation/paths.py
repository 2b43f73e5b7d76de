"""Where the project's data folders are: ``scenes/`` and ``assets/``.

Found in this order: ``$RELIC_TWIN_HOME`` (a folder holding both), the
checkout this package was imported from (also an editable install), and
``<sys.prefix>/share/relic-twin`` (a wheel install, see pyproject's
data-files).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def project_home() -> Path:
    """The folder holding ``scenes/`` and ``assets/``."""
    candidates = []
    if env := os.environ.get("RELIC_TWIN_HOME"):
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parents[1])
    candidates.append(Path(sys.prefix) / "share" / "relic-twin")
    for c in candidates:
        if (c / "scenes").is_dir():
            return c
    return candidates[0]


def scenes_dir() -> Path:
    return project_home() / "scenes"


def assets_dir() -> Path:
    return project_home() / "assets"
