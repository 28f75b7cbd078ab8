"""What the journey's tables say: the funnel, stages over time, cohorts, time between stages,
breakdowns, widget exposures, and the journey's Prometheus families.

Everything but the exposures is read from the rollups
(:mod:`journeykit.journey.rollups`) and the people table, never from the
event log, so a question costs the days it asks about, not the events
logged.  Periods are whole UTC days ``[start, end)``
(:mod:`journeykit.core.figures`).

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
from sqlalchemy.orm import aliased

from ..core.db import session
from ..core.dialects import count_where, family
from ..core.figures import day_range, moments, share, within
from ..core.prometheus import grouped, source
from .models import CohortActivity, CohortStage, Customer, JourneyEvent, Person, StageDay, Visitor
from .people import REACHED
from .stage_rules import _LABEL_LENGTH, STAGES, week_of
from .stages import Stage

INTERVALS = ("day", "week", "month")

#: The events that put a person in a widget's shown or held-out group (see :func:`widget_exposures`).
SHOWN = "widget_viewed"
HELD_OUT = "widget_held_out"


def funnel(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> dict[str, dict[str, Any]]:
    """People who reached each stage in the period, and the share of the stage before who did."""
    first, after = day_range(start, end)
    before_period = (
        sa.case((StageDay.previous_day < first, StageDay.people), else_=0) if first is not None else sa.literal(0)
    )
    rows = session().execute(
        sa.select(StageDay.stage, sa.func.sum(StageDay.people), sa.func.sum(before_period))
        .where(*within(StageDay.day, first, after))
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
        result[stage.value] = {"count": count, "conversion": share(count, previous) if previous is not None else None}
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
        .where(*within(StageDay.day, first, after))
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
        .where(*within(CohortStage.cohort_week, first, after))
    ):
        sizes.setdefault(cohort, {stage: 0 for stage in STAGES})[stage] = int(people)
    activity: dict[dt.date, dict[dt.date, int]] = {}
    for cohort, week, people in session().execute(
        sa.select(CohortActivity.cohort_week, CohortActivity.week, CohortActivity.people)
        .where(*within(CohortActivity.cohort_week, first, after), *within(CohortActivity.week, None, after))
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
        weeks.append({"week": week.isoformat(), "offset": offset, "people": people, "share": share(people, size)})
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
    database = family(session().get_bind(mapper=Person))
    if database == "mysql":
        return sa.func.timestampdiff(sa.text("MICROSECOND"), earlier, later)
    if database == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
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
        reached.is_not(None), *within(reached, first, after)).subquery()
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
        count_where(getattr(Person, name).is_not(None), *within(getattr(Person, name), None, after))
        for name in REACHED[1:]
    ]
    people = sa.func.count()
    rows = session().execute(
        sa.select(column, people, *reached_by_end)
        .where(*within(Person.reached_awareness_at, first, after))
        .group_by(column)
        .order_by(people.desc(), column.is_(None), column)
        .limit(limit)
    )
    result = []
    for value, size, *reached in rows:
        counts = dict(zip((stage.value for stage in STAGES[1:]), map(int, reached)))
        result.append({"value": value, "people": int(size), "reached": counts, "conversion": share(counts["purchase"], size)})
    return result


def _first_exposures(start: dt.datetime | None, end: dt.datetime | None) -> sa.Subquery:
    """Each person's exposure events to each widget in the period, ranked by time (rank 1: the first)."""
    customer = sa.func.coalesce(JourneyEvent.customer_id, Visitor.customer_id)
    as_customer, as_visitor = aliased(Person), aliased(Person)
    person = sa.func.coalesce(as_customer.id, as_visitor.id)
    widget = sa.func.substr(JourneyEvent.properties["widget"].as_string(), 1, _LABEL_LENGTH)
    query = (
        sa.select(
            person.label("person_id"),
            widget.label("widget"),
            JourneyEvent.name.label("name"),
            sa.func.row_number()
            .over(partition_by=(person, widget), order_by=(JourneyEvent.occurred_at, JourneyEvent.id))
            .label("rank"),
        )
        .select_from(JourneyEvent)
        .outerjoin(Visitor, Visitor.id == JourneyEvent.visitor_id)
        .outerjoin(as_customer, as_customer.customer_id == customer)
        .outerjoin(as_visitor, sa.and_(customer.is_(None), as_visitor.visitor_id == JourneyEvent.visitor_id))
        .where(JourneyEvent.name.in_((SHOWN, HELD_OUT)), widget.is_not(None), widget != "")
    )
    if start is not None:
        query = query.where(JourneyEvent.occurred_at >= start)
    if end is not None:
        query = query.where(JourneyEvent.occurred_at < end)
    return query.subquery()


def widget_exposures(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, dict[str, tuple[int, int]]]:
    """``{widget: {SHOWN or HELD_OUT: (people, converted)}}`` for the period ``[start, end)``.

    Who counts in which group: a person (a customer with every visitor
    joined to it, or an anonymous visitor, as in :mod:`.people`) meets a
    widget through ``widget_viewed`` (shown) and ``widget_held_out`` (held
    out) events, whose ``properties["widget"]`` names it.  The person's
    *first* such event of that widget in the period decides their group,
    once: a person who later shows up in the other group too (a second device
    before they logged in, a server-rendered fragment, which is never held
    out) stays where chance put them first, so each person counts once per
    widget and the groups stay as random as the hash that made them.

    Who converts: a person converts when they reach the purchase stage
    within the period.  People who had bought before the period began are
    left out of both groups: nothing a widget does can make them a
    first-time buyer, and counting them would only dilute both rates alike.
    (Whether the purchase came after the widget is not asked: Stripe dates a
    purchase by its checkout session, which may be seconds before the
    widget's beacon arrives, and the hold-out's random split already makes
    the groups comparable.)  One aggregate in SQL (a window picks each
    person's first event per widget), reading only the period's exposures.
    """
    first = _first_exposures(start, end)
    reached = Person.reached_purchase_at
    converted = sa.and_(reached.is_not(None), *([reached < end] if end is not None else []))
    rows = session().execute(
        sa.select(first.c.widget, first.c.name, sa.func.count(), count_where(converted))
        .join(Person, Person.id == first.c.person_id)
        .where(first.c.rank == 1, *([sa.or_(reached.is_(None), reached >= start)] if start is not None else []))
        .group_by(first.c.widget, first.c.name)
    )
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for widget, name, people, bought in rows:
        counts.setdefault(str(widget), {})[name] = (int(people), int(bought))
    return counts


def customer_stages() -> sa.Subquery:
    """Every customer's row id and current stage, for another capability to join its own rows with."""
    return sa.select(Customer.id.label("customer_id"), Customer.stage).subquery()


def count_events(name: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> int:
    """How many ``name`` events were logged in ``[start, end)``."""
    query = sa.select(sa.func.count()).select_from(JourneyEvent).where(
        JourneyEvent.name == name, *within(JourneyEvent.occurred_at, start, end))
    return session().scalar(query) or 0


@source("customers", "gauge", "Customers known to JourneyKit, by their current journey stage.", ("stage",))
def _customers_by_stage():
    return grouped(Customer.stage)


@source("people", "gauge", "People (customers and anonymous visitors) by their current journey stage.", ("stage",))
def _people_by_stage():
    return grouped(Person.stage)
