"""What every report is built from: periods of whole UTC days, and shares.

A period is ``[first, after)``: a start is floored to its day, an end that
is not midnight includes its day, ``None`` leaves a side open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa


def day_range(start: dt.datetime | dt.date | None, end: dt.datetime | dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """The period as UTC days ``[first, after)``."""
    first = _day(start) if start is not None else None
    if end is None:
        return first, None
    after = _day(end)
    if isinstance(end, dt.datetime) and end.astimezone(dt.timezone.utc).timetz() != dt.time(tzinfo=dt.timezone.utc):
        after += dt.timedelta(days=1)
    return first, after


def _day(moment: dt.datetime | dt.date) -> dt.date:
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("Pass timezone-aware datetimes (or dates): a naive time is ambiguous.")
        return moment.astimezone(dt.timezone.utc).date()
    return moment


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def moments(start: dt.datetime | dt.date | None, end: dt.datetime | dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The period as UTC midnights ``[first, after)``, for questions asked of timestamps rather than days."""
    first, after = day_range(start, end)
    return (_midnight(first) if first is not None else None, _midnight(after) if after is not None else None)


def within(column: Any, first: dt.date | dt.datetime | None, after: dt.date | dt.datetime | None) -> list[sa.ColumnElement[bool]]:
    """The conditions that keep ``column`` in ``[first, after)`` (none for an open side)."""
    conditions = []
    if first is not None:
        conditions.append(column >= first)
    if after is not None:
        conditions.append(column < after)
    return conditions


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 decimals; ``None`` when there is no whole."""
    return round(part / whole, 4) if whole else None
