"""The audit trail: every recommendation and command, who or what decided, why, the state
before, the echo and the effect seen. Append-only JSON lines (one file per hall in the data
folder), fsynced per entry, readable back by the API and reports.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One audit record.

    kind : "recommendation" | "command" | "echo" | "effect" | "alert" | "policy" | "override";
    actuator : id; at : ISO 8601 UTC; who : "mpc" | "humidistat" | "safe" | a user name;
    why : {rule, reason texts, plan figures}; before / after : states; echo, effect : what came back.
    """

    kind: str
    actuator: str
    at: str
    who: str
    why: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    echo: dict[str, Any] | None = None
    effect: dict[str, Any] | None = None


class AuditLog:
    """Append-only JSON-lines log at ``path``; thread-safe."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def append(self, entry: Entry) -> None:
        line = json.dumps(asdict(entry), ensure_ascii=False, separators=(",", ":"))
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def entries(self, actuator: str | None = None, kind: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest ``limit`` entries (oldest first), filtered by actuator and kind."""
        out = [e for e in self._read() if (actuator is None or e["actuator"] == actuator)
               and (kind is None or e["kind"] == kind)]
        return out[-limit:]

    def _read(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self._lock, self.path.open(encoding="utf-8") as f:
            lines = f.readlines()
        for line in lines:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after a crash: the rest stands
