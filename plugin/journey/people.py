"""People and their stages, kept current as events arrive (see :mod:`.stage_rules`).

A person is a customer with every visitor joined to it, or an anonymous
visitor not yet joined.  An event belongs to the person of its customer if it
names one, else to the person of its visitor's customer if the visitor is
joined, else to the visitor's own anonymous person.

Concurrency: a person's row is locked (``SELECT … FOR UPDATE``) before its
event is inserted and held to the end of the transaction, so one person's
events are applied one at a time, in the order of their ids, and the rollup
deltas add up exactly.  Locks are taken visitor row first (an anonymous
person is only ever reached through its visitor row), then the person(s):
a join takes the visitor's person, then the customer's.  Within a transaction the
locked rows are cached, so a batch of events costs few statements.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

import sqlalchemy as sa

from ..core import dialects, locked_rows, signals
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent, inserted_key
from ..core.written import add_as_written, write_changes
from . import rollups
from .models import Customer, JourneyEvent, Person, PersonWeek, Visitor
from .rollups import activity_contributions, cohort_of, stage_contributions
from .stage_rules import (
    CONSIDERATION,
    IGNORED_EVENTS,
    STAGES,
    UNTRUSTED_SOURCE,
    Reach,
    Rules,
    advance,
    day_of,
    fold,
    label,
    stage_of,
    week_of,
    widget_of,
)
from .stages import Stage

#: Where :func:`gathered` keeps the active weeks to insert.
_WEEKS = "journeykit_gathered_weeks"
#: The ``reached_*_at`` columns, in stage order.
REACHED = [f"reached_{stage.value}_at" for stage in STAGES]
PersonKey = tuple[str, Any]  # ("customer", id) or ("visitor", id)
PERSON_WEEKS: sa.Table = PersonWeek.__table__  # type: ignore[assignment]


# -- finding and locking people ----------------------------------------------

def _column(key: PersonKey) -> sa.orm.InstrumentedAttribute[Any]:
    return Person.customer_id if key[0] == "customer" else Person.visitor_id


def write_lock() -> None:
    """Take the write lock before reading what this transaction changes (SQLite; see :func:`dialects.write_lock`)."""
    dialects.write_lock(Person.__table__)  # type: ignore[arg-type]


def locked(key: PersonKey, *, create: bool) -> tuple[Person | None, bool]:
    """The person with ``key``, locked for this transaction (created if ``create``), and whether it is new.

    Two first events of one person at once: one insert wins, the other waits
    for it on the unique index, does nothing, and then locks the one row.
    """
    person = locked_rows.cached(key)
    if person is not None:
        return person, False
    write_lock()
    query, parameters = _locking(key[0]), {"key": key[1]}
    person = session().scalars(query, parameters).first()
    created = False
    if person is None and create:
        person = _new_person(key)
        created = person is not None
        if person is None:  # another transaction's insert won: its row, now committed
            person = session().scalars(query, parameters).one()
    if person is not None:
        locked_rows.remember(key, person)
    return person, created


@functools.lru_cache(maxsize=None)
def _locking(kind: str) -> sa.Select[tuple[Person]]:
    """The person of a customer or visitor (``kind``) by ``:key``, locked: built once per kind."""
    query = sa.select(Person).where(_column((kind, None)) == sa.bindparam("key")).with_for_update()
    return query.execution_options(populate_existing=True)


def _new_person(key: PersonKey) -> Person | None:
    """A new person with ``key``, inserted (and so locked) and put in the session as written; ``None`` if one exists."""
    values = _blank_person(key[1], by=_column(key).key)
    row_id = inserted_key(Person.__table__, values, on=[_column(key).key])  # type: ignore[arg-type]
    if row_id is None:
        return None
    person = Person(id=row_id, **values)
    add_as_written(person)
    return person


def lock_anonymous(visitor_ids: Iterable[str]) -> None:
    """The anonymous people of these (unjoined) visitors, new ones created, locked and cached, in one go.

    For a group of beacons, after their visitors (:func:`.tracking.lock_visitors`).
    """
    write_lock()
    for person in dialects.lock_or_create(Person, Person.visitor_id, visitor_ids, _blank_person):
        locked_rows.remember(("visitor", person.visitor_id), person)


@contextmanager
def gathered() -> Iterator[None]:
    """Within: the rollups (:func:`.rollups.gathered`) and the new active weeks are written once, at the end.

    For a group of events in one transaction, and for a Stripe event's
    effects (as ``journey.shared_rows_last``): the rollup rows every
    transaction moves are then locked only from the end of the block to the
    commit.  A read of a person's weeks (:func:`weeks_of`) writes those
    gathered so far first.
    """
    info = session().info
    info[_WEEKS] = []
    try:
        with rollups.gathered():
            yield
            _write_weeks()
    finally:
        info.pop(_WEEKS, None)


def _write_weeks() -> None:
    weeks = session().info.get(_WEEKS)
    if weeks:
        session().execute(sa.insert(PERSON_WEEKS), weeks)
        weeks.clear()


def _blank_person(key: Any, by: str = "visitor_id") -> dict[str, Any]:
    """A new person's row, seen now, at awareness: an anonymous visitor's, or with ``by="customer_id"`` a customer's."""
    now = utcnow()
    values: dict[str, Any] = {column.key: None for column in Person.__table__.columns if column.key != "id"}
    values.update({by: key, "stage": Stage.AWARENESS, "paid_orders": 0, "created_at": now, "updated_at": now})
    return values


def person_for(customer: Customer | None, visitor_id: str | None) -> tuple[Person, bool] | None:
    """The (locked) person an event of this customer or anonymous visitor belongs to."""
    if customer is not None:
        return locked(("customer", customer.id), create=True)  # type: ignore[return-value]
    if visitor_id is not None:
        return locked(("visitor", visitor_id), create=True)  # type: ignore[return-value]
    return None


def discard(person: Person) -> None:
    """Remove a person created for an event that turned out to be a duplicate."""
    locked_rows.forget(("customer", person.customer_id) if person.customer_id is not None else ("visitor", person.visitor_id))
    session().delete(person)


def events_of(person: Person) -> sa.ColumnElement[bool]:
    """The condition selecting a person's events (see the module's docstring)."""
    if person.customer_id is None:
        return sa.and_(JourneyEvent.customer_id.is_(None), JourneyEvent.visitor_id == person.visitor_id)
    # The joined visitors are read first, as a list: given a subquery instead, a planner
    # without fresh statistics reads every anonymous event (most of the log) to match it.
    visitors = list(session().scalars(sa.select(Visitor.id).where(Visitor.customer_id == person.customer_id)))
    own = JourneyEvent.customer_id == person.customer_id
    if not visitors:
        return own
    return sa.or_(own, sa.and_(JourneyEvent.visitor_id.in_(visitors), JourneyEvent.customer_id.is_(None)))


def reach_of(person: Person) -> Reach:
    return tuple(getattr(person, column) for column in REACHED)


def weeks_of(person: Person) -> set[dt.date]:
    _write_weeks()
    return set(session().scalars(sa.select(PERSON_WEEKS.c.week).where(PERSON_WEEKS.c.person_id == person.id)))


# -- one event -----------------------------------------------------------------

def record(
    person: Person,
    *,
    customer: Customer | None,
    visitor_id: str | None,
    name: str,
    source: str,
    at: dt.datetime,
    properties: Mapping[str, Any] | None,
    rules: Rules,
) -> None:
    """Apply one new event (already added to the session) to its locked person."""
    if name in IGNORED_EVENTS:
        return
    old = reach_of(person)
    paid_orders = person.paid_orders + (1 if rules.is_purchase(name, source) else 0)
    # An advocacy event engages (stage_rules), so a person who never considered has none but this one: no read.
    may_have_advocated = old[CONSIDERATION] is not None or rules.is_advocacy(name, source)
    reach = advance(
        old, name, source, at, rules, paid_orders=paid_orders, nth_purchase=lambda: _nth_purchase(person, rules),
        first_advocacy=lambda: _first_advocacy(person, rules) if may_have_advocated else None,
    )
    # Changed only after the reads above, and without autoflush below: the person is written once, at the next
    # flush, not again before each of the statements that follow.
    with session().no_autoflush:
        _apply(person, reach, old, customer=customer, visitor_id=visitor_id, at=at, paid_orders=paid_orders,
               widget=widget_of(name, properties), referral_code=label(properties, "referral_code"))


def _apply(
    person: Person, reach: Reach, old: Reach, *, customer: Customer | None, visitor_id: str | None, at: dt.datetime,
    paid_orders: int, widget: str | None, referral_code: str | None,
) -> None:
    """Move the rollups by the person's change from ``old`` to ``reach`` and store it on the person."""
    if paid_orders != person.paid_orders:
        person.paid_orders = paid_orders
    if person.first_widget is None and widget:
        person.first_widget = widget
    if person.referral_code is None and referral_code:
        person.referral_code = referral_code
    week = week_of(day_of(at))
    new_week = _mark_week(person, week)
    delta = stage_contributions(reach)
    delta.subtract(stage_contributions(old))
    old_cohort, cohort = cohort_of(old), cohort_of(reach)
    if old_cohort != cohort:
        weeks = weeks_of(person) if old_cohort is not None else {week}  # a new person has this week only
        delta.update(activity_contributions(cohort, weeks))
        delta.subtract(activity_contributions(old_cohort, weeks - {week} if new_week else weeks))
    elif new_week:
        delta.update(activity_contributions(cohort, [week]))
    rollups.apply(delta)
    _store(person, reach, customer=customer, visitor_id=visitor_id, old_stage=person.stage)


def _nth_purchase(person: Person, rules: Rules) -> dt.datetime:
    """When the person's Nth purchase (``JOURNEYKIT_RETENTION_PURCHASES``) happened, by event time."""
    times = _trusted_times(person, rules.purchase)
    return session().scalars(
        sa.select(times.c.occurred_at).order_by(times.c.occurred_at).offset(rules.retention_purchases - 1).limit(1)
    ).one()


def _first_advocacy(person: Person, rules: Rules) -> dt.datetime | None:
    """When the person's earliest advocacy event happened, if any: read as they first buy, since a review
    published while they had not bought shows in their reach as consideration only."""
    times = _trusted_times(person, rules.advocacy)
    return session().scalar(sa.select(sa.func.min(times.c.occurred_at)))


def _trusted_times(person: Person, names: frozenset[str]) -> sa.Subquery:
    """When the person's events named ``names`` happened, from trusted sources: one statement for the caller.

    A customer's are their own and their joined visitors' anonymous ones, as
    :func:`events_of` selects them, but as a ``UNION ALL`` of two index reads
    (by customer; by joined visitor), so that the visitors need no query of
    their own and no planner reads the log to match them.
    """
    wanted = (JourneyEvent.name.in_(names - IGNORED_EVENTS), JourneyEvent.source != UNTRUSTED_SOURCE)
    if person.customer_id is None:
        anonymous = (JourneyEvent.customer_id.is_(None), JourneyEvent.visitor_id == person.visitor_id)
        return sa.select(JourneyEvent.occurred_at).where(*anonymous, *wanted).subquery()
    own = sa.select(JourneyEvent.occurred_at).where(JourneyEvent.customer_id == person.customer_id, *wanted)
    joined = (
        sa.select(JourneyEvent.occurred_at)
        .join(Visitor, Visitor.id == JourneyEvent.visitor_id)
        .where(Visitor.customer_id == person.customer_id, JourneyEvent.customer_id.is_(None), *wanted)
    )
    return sa.union_all(own, joined).subquery()


def _mark_week(person: Person, week: dt.date) -> bool:
    """Record that the person was active in ``week``; whether that is new."""
    last = person.last_active_week
    if last == week:
        return False
    if last is None or week > last:  # later than every marked week: cannot be marked yet
        gathering = session().info.get(_WEEKS)
        if gathering is not None:
            gathering.append({"person_id": person.id, "week": week})
        else:
            session().execute(sa.insert(PERSON_WEEKS).values(person_id=person.id, week=week))
        person.last_active_week = week
        return True
    return insert_if_absent(PERSON_WEEKS, {"person_id": person.id, "week": week}, on=["person_id", "week"])


def _store(person: Person, reach: Reach, *, customer: Customer | None, visitor_id: str | None, old_stage: Stage) -> None:
    """Write the person's reach and stage, keep the customer's stage in step, signal a rise."""
    for column, moment in zip(REACHED, reach):
        if getattr(person, column) != moment:
            setattr(person, column, moment)
    stage = stage_of(reach)
    if person.stage is not stage:
        person.stage = stage
    if customer is not None:
        changed_at = reach[stage.rank] or customer.stage_changed_at
        if customer.stage is not stage or customer.stage_changed_at != changed_at:
            customer.stage, customer.stage_changed_at = stage, changed_at
    if stage > old_stage:
        signals.queue(
            signals.stage_changed,
            customer_id=customer.shop_customer_id if customer is not None else None,
            visitor_id=visitor_id if visitor_id is not None else person.visitor_id,
            old=old_stage,
            new=stage,
        )


def write(person: Person, customer: Customer | None) -> None:
    """Write what one event changed of its person (and customer) now, an UPDATE each (on PostgreSQL one statement),
    not at the next flush.

    For an event on its own (a purchase's): a flush costs several times its
    statements.  A batch's people are left to one flush of them all.
    """
    write_changes(person, *([customer] if customer is not None else []))


# -- a visitor joins a customer ------------------------------------------------

def join(visitor_id: str, customer: Customer, rules: Rules) -> None:
    """Merge the visitor's anonymous person (if any) into the customer's (the visitor row is joined already).

    The customer's person is recomputed from all its events; the stage signal
    fires only if the merged person is further than either was.
    """
    anonymous, _ = locked(("visitor", visitor_id), create=False)
    if anonymous is None:
        return
    own, _ = locked(("customer", customer.id), create=False)
    locked_rows.forget(("visitor", visitor_id))
    if own is None:  # the customer had no events: the anonymous person simply becomes theirs
        anonymous.visitor_id, anonymous.customer_id = None, customer.id
        locked_rows.remember(("customer", customer.id), anonymous)
        _store(anonymous, reach_of(anonymous), customer=customer, visitor_id=visitor_id, old_stage=anonymous.stage)
        return
    before = [(reach_of(person), weeks_of(person)) for person in (own, anonymous)]
    old_stage = max(own.stage, anonymous.stage)
    session().execute(
        sa.update(PERSON_WEEKS)
        .where(PERSON_WEEKS.c.person_id == anonymous.id)
        .where(PERSON_WEEKS.c.week.not_in(sa.select(PERSON_WEEKS.c.week).where(PERSON_WEEKS.c.person_id == own.id)))
        .values(person_id=own.id)
    )
    session().execute(sa.delete(PERSON_WEEKS).where(PERSON_WEEKS.c.person_id == anonymous.id))
    session().delete(anonymous)
    session().flush()
    columns = (JourneyEvent.name, JourneyEvent.source, JourneyEvent.occurred_at, JourneyEvent.properties)
    facts = fold(session().execute(sa.select(*columns).where(events_of(own)).order_by(JourneyEvent.id)), rules)
    delta: Counter[rollups.Key] = Counter()
    delta.update(stage_contributions(facts.reach))
    delta.update(activity_contributions(cohort_of(facts.reach), facts.weeks))
    for reach, weeks in before:
        delta.subtract(stage_contributions(reach))
        delta.subtract(activity_contributions(cohort_of(reach), weeks))
    rollups.apply(delta)
    own.paid_orders, own.first_widget, own.referral_code = facts.paid_orders, facts.first_widget, facts.referral_code
    own.last_active_week = facts.last_active_week
    _store(own, facts.reach, customer=customer, visitor_id=visitor_id, old_stage=old_stage)


def stage_of_customer(shop_customer_id: Any) -> Stage:
    """The stage of the customer with the shop's id; awareness for one JourneyKit never saw."""
    stage = session().scalar(sa.select(Customer.stage).where(Customer.shop_customer_id == str(shop_customer_id)))
    return stage if stage is not None else Stage.AWARENESS
