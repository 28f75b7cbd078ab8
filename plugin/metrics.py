"""``journey.metrics``: the funnel, stages over time, cohorts, time between stages and breakdowns.

Everything is read from the rollups (:mod:`journeykit.rollups`) and the
people table, never from the event log, so a question costs the days it
asks about, not the events logged.  Periods are whole UTC days ``[start,
end)``: a start is floored to its day, an end that is not midnight includes
its day, ``None`` leaves a side open.

Why the funnel is exact from daily rows: a person counts for stage S in a
period if they reached some stage T >= S inside it.  Take the first such T:
either T = S (their reach of S is in the period: ``N_S``), or T > S and their
reach of T - 1 was before the period (``M_T``, which ``previous_day`` tells);
these cases are disjoint, so ``count(S) = N_S + sum(M_T for T > S)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import sqlalchemy as sa

from .db import session
from .models import CohortActivity, CohortStage, Person, StageDay
from .people import REACHED
from .stage_rules import STAGES, week_of
from .stages import Stage

INTERVALS = ("day", "week", "month")


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


def _in(column: Any, first: dt.date | None, after: dt.date | None) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if first is not None:
        conditions.append(column >= first)
    if after is not None:
        conditions.append(column < after)
    return conditions


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def funnel(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> dict[str, dict[str, Any]]:
    """People who reached each stage in the period, and the share of the stage before who did."""
    first, after = day_range(start, end)
    before_period = (
        sa.case((StageDay.previous_day < first, StageDay.people), else_=0) if first is not None else sa.literal(0)
    )
    rows = session().execute(
        sa.select(StageDay.stage, sa.func.sum(StageDay.people), sa.func.sum(before_period))
        .where(*_in(StageDay.day, first, after))
        .group_by(StageDay.stage)
    )
    reached = {stage: 0 for stage in STAGES}
    entered = {stage: 0 for stage in STAGES}  # M_T: reached T in the period, T - 1 before it
    for stage, people, from_before in rows:
        reached[stage], entered[stage] = int(people or 0), int(from_before or 0)
    result: dict[str, dict[str, Any]] = {}
    previous: int | None = None
    for index, stage in enumerate(STAGES):
        count = reached[stage] + sum(entered[later] for later in STAGES[index + 1:])
        result[stage.value] = {"count": count, "conversion": _share(count, previous) if previous is not None else None}
        previous = count
    return result


def _bucket(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return week_of(day)
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_bucket(bucket: dt.date, interval: str) -> dt.date:
    if interval == "month":
        return (bucket.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return bucket + dt.timedelta(days=7 if interval == "week" else 1)


def _buckets(first: dt.date, last: dt.date, interval: str) -> Iterable[dt.date]:
    bucket = _bucket(first, interval)
    while bucket <= last:
        yield bucket
        bucket = _next_bucket(bucket, interval)


def stages_over_time(
    start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None, interval: str = "day"
) -> list[dict[str, Any]]:
    """How many people reached each stage in each day, week (from Monday) or month of the period."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}.")
    first, after = day_range(start, end)
    rows = session().execute(
        sa.select(StageDay.stage, StageDay.day, sa.func.sum(StageDay.people))
        .where(*_in(StageDay.day, first, after))
        .group_by(StageDay.stage, StageDay.day)
    ).all()
    days = [day for _, day, _ in rows]
    if not days and (first is None or after is None):
        return []
    low = first if first is not None else min(days)
    high = after - dt.timedelta(days=1) if after is not None else max(days)
    series = {bucket: {stage: 0 for stage in STAGES} for bucket in _buckets(low, high, interval)}
    for stage, day, people in rows:
        series[_bucket(day, interval)][stage] += int(people)
    return [{"period": bucket.isoformat(), **{stage.value: n for stage, n in counts.items()}} for bucket, counts in series.items()]


def cohorts(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> list[dict[str, Any]]:
    """Weekly cohorts (by the week people were first seen) that start in the period.

    Each has its size, how many of it reached each later stage, and how many
    were active (did anything) in each week from the first one on.
    """
    first, after = day_range(start, end)
    first = week_of(first) if first is not None else None
    sizes: dict[dt.date, dict[Stage, int]] = {}
    for cohort, stage, people in session().execute(
        sa.select(CohortStage.cohort_week, CohortStage.stage, CohortStage.people)
        .where(*_in(CohortStage.cohort_week, first, after))
    ):
        sizes.setdefault(cohort, {stage: 0 for stage in STAGES})[stage] = int(people)
    activity: dict[dt.date, dict[dt.date, int]] = {}
    for cohort, week, people in session().execute(
        sa.select(CohortActivity.cohort_week, CohortActivity.week, CohortActivity.people)
        .where(*_in(CohortActivity.cohort_week, first, after), *_in(CohortActivity.week, None, after))
    ):
        activity.setdefault(cohort, {})[week] = int(people)
    last_week = max((week for weeks in activity.values() for week in weeks), default=None)
    return [_cohort(cohort, sizes[cohort], activity.get(cohort, {}), last_week) for cohort in sorted(sizes)]


def _cohort(cohort: dt.date, reached: dict[Stage, int], active: dict[dt.date, int], last_week: dt.date | None) -> dict[str, Any]:
    size = reached[Stage.AWARENESS]
    weeks = []
    week, offset = cohort, 0
    while last_week is not None and week <= last_week:
        people = active.get(week, 0)
        weeks.append({"week": week.isoformat(), "offset": offset, "people": people, "share": _share(people, size)})
        week, offset = week + dt.timedelta(days=7), offset + 1
    return {
        "week": cohort.isoformat(),
        "size": size,
        "reached": {stage.value: reached[stage] for stage in STAGES[1:]},
        "active": weeks,
    }


#: The quantiles :func:`time_between_stages` reports, by key.
WAIT_QUANTILES = {"median_seconds": 0.5, "p90_seconds": 0.9}


def _microseconds(earlier: Any, later: Any) -> sa.ColumnElement[int]:
    """``later - earlier`` in whole microseconds, computed by the database as exactly as Python's timedelta."""
    if session().get_bind(mapper=Person).dialect.name == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
        # julianday() keeps milliseconds only: take whole seconds from it (rounded, so exact) and add the digits.
        days = sa.func.julianday(sa.func.substr(later, 1, 19)) - sa.func.julianday(sa.func.substr(earlier, 1, 19))
        seconds = sa.cast(sa.func.round(days * 86_400), sa.BigInteger)
        digits = sa.cast(sa.func.substr(later, 21), sa.BigInteger) - sa.cast(sa.func.substr(earlier, 21), sa.BigInteger)
        return seconds * 1_000_000 + digits
    return sa.cast(sa.extract("epoch", later - earlier) * 1_000_000, sa.BigInteger)


def _ranks_near(count: Any, share: float) -> tuple[Any, Any]:
    """Ranks (from 0) around ``share * (count - 1)``, with a margin for the float rounding of either side."""
    position = (count - 1) * share
    return position - 1, position + 2


def _quantile(values: dict[int, float], count: int, share: float) -> float:
    """Linear interpolation between the closest ranks (the usual "type 7" quantile), from the values near them."""
    position = share * (count - 1)
    low = int(position)
    high = min(low + 1, count - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _waits_near_quantiles(index: int, first: dt.datetime | None, after: dt.datetime | None) -> tuple[int, dict[int, float]]:
    """How many people reached stage ``index`` in the period, and their waits (seconds) by rank near each quantile."""
    reached = getattr(Person, REACHED[index])
    waits = sa.select(_microseconds(getattr(Person, REACHED[index - 1]), reached).label("wait")).where(
        reached.is_not(None), *_in(reached, first, after)).subquery()
    ranked = sa.select(
        waits.c.wait,
        (sa.func.row_number().over(order_by=waits.c.wait) - 1).label("rank"),
        sa.func.count().over().label("people"),
    ).subquery()
    near = [ranked.c.rank.between(*_ranks_near(ranked.c.people, share)) for share in WAIT_QUANTILES.values()]
    count, values = 0, {}
    for wait, rank, people in session().execute(sa.select(ranked.c.wait, ranked.c.rank, ranked.c.people).where(sa.or_(*near))):
        count, values[int(rank)] = int(people), int(wait) / 1_000_000
    return count, values


def time_between_stages(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> dict[str, dict[str, Any]]:
    """For each stage after awareness: of the people who reached it in the period, the median and
    90th percentile of the time since they reached the stage before, in seconds.

    Exact quantiles need every wait, which no daily rollup keeps: per stage,
    the database ranks the waits, read from a covering index, and sends back
    only the few rows around each quantile, so Python never sees the people.
    """
    first, after = moments(start, end)
    result: dict[str, dict[str, Any]] = {}
    for index in range(1, len(STAGES)):
        count, values = _waits_near_quantiles(index, first, after)
        result[STAGES[index].value] = {"people": count} | {
            key: round(_quantile(values, count, share), 1) if count else None for key, share in WAIT_QUANTILES.items()
        }
    return result


#: The person attributes :func:`breakdown` can split by.
BREAKDOWNS = ("first_widget", "referral_code")


def breakdown(
    by: str, start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """The people first seen in the period, split by ``by`` (see :data:`BREAKDOWNS`), largest group first.

    Per value (``None``: people without one, e.g. who never saw a widget):
    how many people, how many of them reached each stage by the period's end,
    and the share who reached purchase.  Grouped from the people table, so it
    costs the people of the period, not their events.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWNS)}, not {by!r}.")
    first, after = moments(start, end)
    column = getattr(Person, by)
    reached_by_end = [
        sa.func.count().filter(getattr(Person, name).is_not(None), *_in(getattr(Person, name), None, after))
        for name in REACHED[1:]
    ]
    people = sa.func.count()
    rows = session().execute(
        sa.select(column, people, *reached_by_end)
        .where(*_in(Person.reached_awareness_at, first, after))
        .group_by(column)
        .order_by(people.desc(), column.is_(None), column)
        .limit(limit)
    )
    result = []
    for value, size, *reached in rows:
        counts = dict(zip((stage.value for stage in STAGES[1:]), map(int, reached)))
        result.append({"value": value, "people": int(size), "reached": counts, "conversion": _share(counts["purchase"], size)})
    return result

