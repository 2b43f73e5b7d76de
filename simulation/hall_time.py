"""Times shown to people: the hall's local clock with its zone.

Time is UTC inside (ARCHITECTURE.md); a person reads the hall's wall clock. The
zone is the scene's ``hall.timezone`` (an IANA name such as ``Asia/Shanghai``;
``UTC`` when the scene names none), and every label says which offset it is in,
as the what-if player's time bar does (``12-07 14:02 UTC+8``).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> tzinfo:
    """The zone named ``name`` (IANA); ValueError when the name is unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from exc


def utc_label(when: datetime) -> str:
    """``UTC+8``, ``UTC-3.5`` or ``UTC`` for an aware datetime's offset."""
    off = when.utcoffset()
    hours = off.total_seconds() / 3600 if off is not None else 0.0
    return f"UTC{hours:+g}" if hours else "UTC"


def local_label(when: datetime | str | None, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``when`` (aware datetime, or ISO 8601; naive = UTC) on the hall's clock with its offset,
    e.g. ``2026-12-07 14:02 UTC+8``; "" for None or an unreadable text."""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None
        except ValueError:
            return ""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(zone(tz))
    return f"{local.strftime(fmt)} {utc_label(local)}"
