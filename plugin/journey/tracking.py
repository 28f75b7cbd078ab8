"""Writing to the journey event log (the one way in), keeping visitors joined to customers and people current."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from ..core import locked_rows
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent, inserted_key, lock_or_create
from ..core.written import add_as_written
from . import people
from .models import Customer, JourneyEvent, Visitor
from .stage_rules import IGNORED_EVENTS, current_rules


def ensure_visitor(visitor_id: str, customer: Customer | None = None) -> Visitor:
    """The visitor with this id, created if new, and joined to ``customer`` if given.

    A visitor joins one customer once: the first customer it is seen with
    keeps it (a shared computer does not move a history between people).
    Joining merges the visitor's anonymous history into the customer's person.
    The row is locked for the transaction (and cached in it), which orders
    concurrent joins and events of one visitor.
    """
    visitor = locked_rows.cached(("visitor_row", visitor_id))
    if visitor is not None and (customer is None or visitor.customer_id is not None):
        return visitor
    now = utcnow()
    people.write_lock()
    visitor = session().get(Visitor, visitor_id, populate_existing=True, with_for_update=True)
    if visitor is None:
        values = _new_visitor(visitor_id, now)
        if insert_if_absent(Visitor.__table__, values, on=["id"]):
            visitor = Visitor(**values)  # locked, being new
            add_as_written(visitor)
        else:  # another transaction's insert won: its row, now committed
            visitor = session().get(Visitor, visitor_id, populate_existing=True, with_for_update=True)
            assert visitor is not None
    visitor.last_seen_at = now
    locked_rows.remember(("visitor_row", visitor_id), visitor)
    if customer is not None and visitor.customer_id is None:
        if customer.id is None:
            session().flush()
        visitor.customer_id = customer.id
        visitor.joined_at = now
        people.join(visitor_id, customer, current_rules())
    return visitor


def lock_visitors(visitor_ids: Iterable[str]) -> list[Visitor]:
    """The visitors with these ids, new ones created, all locked and cached for this transaction, in one go.

    For a group of beacons (:mod:`.events`): :func:`ensure_visitor` then finds
    each one locked, as if it had come first.
    """
    now = utcnow()
    people.write_lock()
    visitors = lock_or_create(Visitor, Visitor.id, visitor_ids, lambda visitor_id: _new_visitor(visitor_id, now))
    for visitor in visitors:
        visitor.last_seen_at = now
        locked_rows.remember(("visitor_row", visitor.id), visitor)
    return visitors


def _new_visitor(visitor_id: str, now: dt.datetime) -> dict[str, Any]:
    """A visitor's row as first seen ``now``, joined to no customer yet."""
    return {"id": visitor_id, "customer_id": None, "first_seen_at": now, "last_seen_at": now, "joined_at": None}


def record_event(
    name: str,
    *,
    customer: Customer | None = None,
    visitor_id: str | None = None,
    product_id: str | None = None,
    properties: dict[str, Any] | None = None,
    source: str = "server",
    dedupe_key: str | None = None,
    at: dt.datetime | None = None,
) -> JourneyEvent:
    """Append one event to the log and move its person's stage (the caller commits); ``at`` defaults to now.

    An event with a ``dedupe_key`` already logged is not logged again (the
    earlier one is returned) and changes nothing.
    """
    if visitor_id is not None:
        visitor = ensure_visitor(visitor_id, customer)
        if customer is None and visitor.customer_id is not None:
            customer = session().get(Customer, visitor.customer_id)
    if customer is not None and customer.id is None:
        session().flush()
    values = {
        "name": name,
        "customer_id": customer.id if customer else None,
        "visitor_id": visitor_id,
        "product_id": product_id,
        "properties": properties or {},
        "source": source,
        "dedupe_key": dedupe_key,
        "occurred_at": at or utcnow(),
    }
    found = people.person_for(customer, visitor_id) if name not in IGNORED_EVENTS else None
    if dedupe_key is None:
        event = JourneyEvent(**values)
        session().add(event)
    else:
        session().flush()  # events added earlier keep the lower ids (arrival order)
        key = inserted_key(JourneyEvent.__table__, values, on=["dedupe_key"])
        if key is None:
            if found is not None and found[1]:
                people.discard(found[0])
            return session().scalars(sa.select(JourneyEvent).where(JourneyEvent.dedupe_key == dedupe_key)).one()
        event = JourneyEvent(id=key, **values)  # as written: not read back, and outside the session (never updated)
        make_transient_to_detached(event)
    if found is not None:
        people.record(
            found[0], customer=customer, visitor_id=visitor_id, name=name, source=source,
            at=values["occurred_at"], properties=values["properties"], rules=current_rules(),
        )
        if dedupe_key is not None:  # an event on its own (a purchase's, a review's): not one of a batch's people
            people.write(found[0], customer)
    return event


def record_events(
    events: Iterable[Mapping[str, Any]],
    *,
    customer: Customer | None = None,
    visitor_id: str | None = None,
    source: str = "server",
) -> list[JourneyEvent]:
    """Append a batch of one shopper's events (``name`` and optionally ``product_id``, ``properties``, ``at``).

    Costs little more than the inserts: the visitor and the person are
    locked once for the whole batch.
    """
    return [
        record_event(
            event["name"], customer=customer, visitor_id=visitor_id, product_id=event.get("product_id"),
            properties=event.get("properties"), source=source, at=event.get("at"),
        )
        for event in events
    ]
