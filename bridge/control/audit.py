"""The audit trail: every recommendation and command, who or what decided, why, the state
before, the echo and the effect seen; policy changes, overrides, and interlock trips (``interlock``:
the controller proposed a state an interlock refused, logged once when it starts holding).

One table, ``control_audit`` (migration 0010), in the store: SQLite or PostgreSQL. Each entry
is committed before :meth:`AuditLog.append` returns. Readable back by the API
(``/api/control/audit``) and the reports' control section (:func:`entries`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bridge.store import Store
from bridge.store.epoch import from_us, to_us
from bridge.store.models import ControlAudit

KINDS = ("recommendation", "command", "echo", "effect", "alert", "policy", "override", "interlock")


@dataclass(frozen=True)
class Entry:
    """One audit record.

    kind : one of :data:`KINDS`; ``interlock``: before is what the controller proposed, after what
        the interlocks let through; actuator : id (a space for a stale-sensor alert);
    at : ISO 8601 UTC; who : "mpc" | "humidistat" | "safe" | "feedback" | a user name;
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


def _dump(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _as_dict(row: ControlAudit) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "actuator": row.actuator, "at": _iso(from_us(row.at_us)),
            "who": row.who, "why": json.loads(row.why), "before": json.loads(row.before),
            "after": json.loads(row.after), "echo": json.loads(row.echo) if row.echo is not None else None,
            "effect": json.loads(row.effect) if row.effect is not None else None}


class AuditLog:
    """The audit trail of hall ``hall`` (of ``site``, '' on a museum's own box) in ``store``."""

    def __init__(self, store: Store, hall: str, site: str = ""):
        self.store, self.hall, self.site = store, hall, site

    def append(self, entry: Entry) -> None:
        row = ControlAudit(at_us=to_us(_at(entry.at)), site=self.site, hall=self.hall, kind=entry.kind,
                           actuator=entry.actuator[:128], who=entry.who[:64], why=_dump(entry.why),
                           before=_dump(entry.before), after=_dump(entry.after),
                           echo=None if entry.echo is None else _dump(entry.echo),
                           effect=None if entry.effect is None else _dump(entry.effect))
        with self.store.session() as s:
            s.add(row)
            s.commit()

    def entries(self, actuator: str | None = None, kind: str | None = None, limit: int = 1000,
                start: datetime | None = None, end: datetime | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` entries in ``[start, end)`` (oldest first), filtered by actuator and kind."""
        return entries(self.store, self.hall, actuator=actuator, kind=kind, limit=limit, start=start, end=end,
                       site=self.site)


def entries(store: Store, hall: str, *, actuator: str | None = None, kind: str | None = None, limit: int = 1000,
            start: datetime | None = None, end: datetime | None = None, site: str = "") -> list[dict[str, Any]]:
    """The newest ``limit`` audit entries of ``hall`` in ``[start, end)`` (aware datetimes), oldest first;
    each a dict with the :class:`Entry` fields and the row ``id``."""
    stmt = select(ControlAudit).where(ControlAudit.site == site, ControlAudit.hall == hall)
    if actuator is not None:
        stmt = stmt.where(ControlAudit.actuator == actuator)
    if kind is not None:
        stmt = stmt.where(ControlAudit.kind == kind)
    if start is not None:
        stmt = stmt.where(col(ControlAudit.at_us) >= to_us(start))
    if end is not None:
        stmt = stmt.where(col(ControlAudit.at_us) < to_us(end))
    stmt = stmt.order_by(col(ControlAudit.at_us).desc(), col(ControlAudit.id).desc()).limit(limit)
    with store.session() as s:
        rows = list(s.exec(stmt))
    return [_as_dict(r) for r in reversed(rows)]


def import_json_lines(path: Path, audit: AuditLog) -> int:
    """Move an audit trail of the JSON-lines days (``<data>/control/<hall>-audit.jsonl``) into the
    table, once: the file is renamed ``*.imported`` after. A line cut by a crash is skipped.
    Returns the entries moved."""
    path = Path(path)
    if not path.is_file():
        return 0
    n = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            e = json.loads(line)
            entry = Entry(str(e["kind"]), str(e["actuator"]), str(e["at"]), str(e.get("who", "")),
                          e.get("why") or {}, e.get("before") or {}, e.get("after") or {}, e.get("echo"),
                          e.get("effect"))
            _at(entry.at)
        except (ValueError, KeyError, TypeError):
            continue
        audit.append(entry)
        n += 1
    path.rename(path.with_name(path.name + ".imported"))
    return n
