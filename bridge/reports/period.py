"""The period of a report: a calendar month or an explicit range, in UTC, as ``[start, end)``."""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.errors import ConfigError


def month_period(month: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` -> (2026-11-01 00:00 UTC, 2026-12-01 00:00 UTC)."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"--month: expected YYYY-MM, got {month!r} / 月份格式应为 YYYY-MM") from None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def parse_time(text: str, what: str) -> datetime:
    """ISO 8601 date or time (UTC when no offset is given)."""
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what}: expected an ISO 8601 date or time, got {text!r} / 时间格式错误（ISO 8601）") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def period(month: str | None = None, start: str | None = None, end: str | None = None) -> tuple[datetime, datetime]:
    """From ``month``, or from ``start`` and ``end``; ConfigError in both languages otherwise."""
    if month and (start or end):
        raise ConfigError("give --month or --from/--to, not both / --month 与 --from/--to 只能选一种")
    if month:
        return month_period(month)
    if not (start and end):
        raise ConfigError("give --month YYYY-MM, or both --from and --to / 请给出 --month，或同时给出 --from 与 --to")
    a, b = parse_time(start, "--from"), parse_time(end, "--to")
    if a >= b:
        raise ConfigError("--from must be before --to / 起始时间须早于结束时间")
    return a, b
