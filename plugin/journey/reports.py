"""What the journey's tables say: the funnel, stages over time, cohorts, time between stages,
breakdowns, widget exposures, and the journey's Prometheus families.

Everything but the exposures is read from the rollups
(:mod:`journeykit.journey.rollups`) and the people table, never from the
event log, so a question costs the days it asks about, not the events
logged.  Periods are whole UTC days ``[start, end)``
(:mod:`journeykit.core.figures`).

Why the funnel is exact from daily rows: a person counts for stage S in a
period if they reached, inside it, S or a stage that implies S (S and the
stages after it in the journey's tree: :func:`.stage_rules.implied_by`;
after purchase come both retention and advocacy).  Line up a person's
reaches in time order (ties in stage order): the stages implied by S come
right after S, every other stage before it, and each stage-day row's
``previous_day`` is the day of the reach just before it in that line
(:func:`.rollups.stage_contributions`).  Take the first reach after S's own
that falls in the period: either it is S's own (``N_S``: people who reached
S in the period), or S was reached before the period and that reach is of a
later stage T whose previous reach was before the period (``M_T``, which
``previous_day`` tells).  Exactly one case holds for each person counted,
so ``count(S) = N_S + sum(M_T for T implied by S, T != S)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..core.db import session
from ..core.dialects import count_where
from ..core.figures import day_range, moments, share, within
from ..core.prometheus import grouped, source
from . import waits
from .models import CohortActivity, CohortStage, Customer, JourneyEvent, Person, StageDay, StageWait, Visitor
from .people import REACHED
from .stage_rules import _LABEL_LENGTH, STAGES, implied_by, week_of
from .stages import Stage

INTERVALS = ("day", "week", "month")

#: The events that put a person in a widget's shown or held-out group (see :func:`widget_exposures`).
SHOWN = "widget_viewed"
HELD_OUT = "widget_held_out"


def funnel(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Per stage, the people who reached it in the period by its rule, and the share of the stage it converts from.

    A person counts for a stage if they reached it or a stage that implies it
    in the period, so each stage's people are among those of the stage it
    converts from: awareness ⊇ consideration ⊇ purchase ⊇ retention, and
    purchase ⊇ advocacy (retention and advocacy are siblings, each a share of
    purchase).  Each stage has ``count``, ``conversion`` (of the ``from``
    stage's count) and ``entered``: the people who reached this very stage in
    the period, whom :func:`time_between_stages` counts; the rest of
    ``count`` had reached it before the period and went further inside it.
    """
    first, after = day_range(start, end)
    before_period = (
        sa.case((StageDay.previous_day < first, StageDay.people), else_=0) if first is not None else sa.literal(0)
    )
    rows = session().execute(
        sa.select(StageDay.stage, sa.func.sum(StageDay.people), sa.func.sum(before_period))
        .where(*within(StageDay.day, first, after))
        .group_by(StageDay.stage)
    )
    reached = {stage: 0 for stage in STAGES}  # N_S
    carried = {stage: 0 for stage in STAGES}  # M_T: reached T in the period, the reach before it earlier
    for stage, people, from_before in rows:
        reached[stage], carried[stage] = int(people or 0), int(from_before or 0)
    counts = {
        stage: reached[stage] + sum(carried[STAGES[later]] for later in implied_by(index) if later != index)
        for index, stage in enumerate(STAGES)
    }
    result: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        parent = stage.converts_from
        result[stage.value] = {
            "count": counts[stage],
            "conversion": share(counts[stage], counts[parent]) if parent is not None else None,
            "from": parent.value if parent is not None else None,
            "entered": reached[stage],
        }
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


def time_between_stages(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> dict[str, dict[str, Any]]:
    """For each stage after awareness: of the people who reached it in the period, the median and
    90th percentile of the time since they reached the stage it converts from (``from``), in seconds.

    ``people`` is the funnel's ``entered`` for the same period and stage:
    whoever reached the stage itself in it.  For retention and advocacy that
    is the funnel's whole count; for consideration and purchase the funnel
    also counts people who had reached the stage before the period and went
    further inside it, who waited for this stage outside the period.  Both
    retention and advocacy are timed from purchase.

    Read from the per-day histograms of waits (:mod:`.waits`): the cost
    follows the days asked, and each quantile is within
    :data:`.waits.RELATIVE_ERROR` (1%) of the exact one, before rounding to
    a tenth of a second.
    """
    first, after = day_range(start, end)
    counts: dict[Stage, dict[int, int]] = {stage: {} for stage in STAGES}
    rows = session().execute(
        sa.select(StageWait.stage, StageWait.bucket, sa.func.sum(StageWait.people))
        .where(*within(StageWait.day, first, after))
        .group_by(StageWait.stage, StageWait.bucket)
    )
    for stage, bucket, people in rows:
        counts[stage][int(bucket)] = int(people)
    result: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        if stage.converts_from is None:
            continue
        figures = {key: waits.quantile(counts[stage], share) for key, share in WAIT_QUANTILES.items()}
        result[stage.value] = {"from": stage.converts_from.value, "people": sum(counts[stage].values())} | {
            key: round(value, 1) if value is not None else None for key, value in figures.items()
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
