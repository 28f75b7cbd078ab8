"""Widget lift: per widget of the hold-out, purchase conversion of the people shown it versus held out of it.

Who counts in which group: a person (a customer with every visitor joined
to it, or an anonymous visitor, as in :mod:`journeykit.people`) meets a
widget through ``widget_viewed`` (shown) and ``widget_held_out`` (held out)
events, whose ``properties["widget"]`` names it.  The person's *first* such
event of that widget in the period decides their group, once: a person who
later shows up in the other group too (a second device before they logged
in, a server-rendered fragment, which is never held out) stays where chance
put them first, so each person counts once per widget and the groups stay
as random as the hash that made them.

Who converts: a person converts when they reach the purchase stage within
the period.  People who had bought before the period began are left out of
both groups: nothing a widget does can make them a first-time buyer, and
counting them would only dilute both rates alike.  (Whether the purchase
came after the widget is not asked: Stripe dates a purchase by its checkout
session, which may be seconds before the widget's beacon arrives, and the
hold-out's random split already makes the groups comparable.)

The query is one aggregate in SQL (a window picks each person's first event
per widget), reading only the exposure events of the period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from . import holdout, lift_stats
from .db import session
from .metrics import moments
from .models import JourneyEvent, Person, Visitor
from .stage_rules import _LABEL_LENGTH

SHOWN = "widget_viewed"
HELD_OUT = "widget_held_out"


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


def _group_counts(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, dict[str, tuple[int, int]]]:
    """``{widget: {event name: (people, converted)}}`` for the period."""
    first = _first_exposures(start, end)
    reached = Person.reached_purchase_at
    converted = sa.and_(reached.is_not(None), *([reached < end] if end is not None else []))
    rows = session().execute(
        sa.select(first.c.widget, first.c.name, sa.func.count(), sa.func.count().filter(converted))
        .join(Person, Person.id == first.c.person_id)
        .where(first.c.rank == 1, *([sa.or_(reached.is_(None), reached >= start)] if start is not None else []))
        .group_by(first.c.widget, first.c.name)
    )
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for widget, name, people, bought in rows:
        counts.setdefault(str(widget), {})[name] = (int(people), int(bought))
    return counts


def widget_lift(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> list[dict[str, Any]]:
    """Per widget in the hold-out (configured now, or with held-out people in the period), sorted by name.

    Each has the group sizes and conversions and the difference, shown minus
    held out, with its 95% interval (``None`` until both groups have people).
    """
    first, after = moments(start, end)
    counts = _group_counts(first, after)
    configured = set(holdout.settings()["widgets"])
    widgets = sorted(configured | {widget for widget, groups in counts.items() if HELD_OUT in groups})
    return [_row(widget, counts.get(widget, {})) for widget in widgets]


def _row(widget: str, groups: dict[str, tuple[int, int]]) -> dict[str, Any]:
    shown, shown_converted = groups.get(SHOWN, (0, 0))
    held_out, held_out_converted = groups.get(HELD_OUT, (0, 0))
    result = lift_stats.lift(shown, shown_converted, held_out, held_out_converted)
    return {
        "widget": widget,
        "shown": shown,
        "shown_converted": shown_converted,
        "held_out": held_out,
        "held_out_converted": held_out_converted,
        "difference": _rounded(result.difference),
        "low": _rounded(result.low),
        "high": _rounded(result.high),
        "significant": result.significant,
    }


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
