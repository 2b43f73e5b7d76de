"""Parameters checked at the edge: ids the database can hold, instants it can store.

An id past 2^63 - 1 or a date the calendar arithmetic cannot reach is the caller's mistake
(422), never the server's (500). Routes name their ``{id}`` path parameters :data:`DbId`
and read times through :func:`aware`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path

from bridge.api.errors import ApiError

#: the largest id a BIGINT column (and SQLite's INTEGER) holds
MAX_ID = 2**63 - 1
#: years a stored time may fall in (preservation records reach back centuries; the store's
#: microseconds since 1970 hold every year of the proleptic calendar, and 9998 leaves room
#: for a day's arithmetic either side)
YEARS = (1, 9998)

DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive id below 2^63")]


def aware(t: datetime, years: tuple[int, int] = YEARS) -> datetime:
    """A request's time as UTC (a time without zone is read as UTC); ApiError 422 outside ``years``."""
    try:
        u = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ApiError("invalid", en=f"time out of range ({years[0]}-{years[1]})",
                       zh=f"时间超出范围({years[0]}-{years[1]})") from exc
    if not years[0] <= u.year <= years[1]:
        raise ApiError("invalid", en=f"time out of range ({years[0]}-{years[1]})",
                       zh=f"时间超出范围({years[0]}-{years[1]})")
    return u
