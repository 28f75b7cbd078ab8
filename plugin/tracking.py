"""Writing to the journey event log, and keeping visitors joined to customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from .customers import ensure_customer
from .db import insert_if_absent, session, utcnow
from .identity import Shopper
from .models import Customer, JourneyEvent, Visitor


def ensure_visitor(visitor_id: str, customer: Customer | None = None) -> Visitor:
    """The visitor with this id, created if new, and joined to ``customer`` if given.

    A visitor joins one customer once: the first customer it is seen with
    keeps it (a shared computer does not move a history between people).
    """
    now = utcnow()
    values = {"id": visitor_id, "first_seen_at": now, "last_seen_at": now}
    insert_if_absent(Visitor.__table__, values, on=["id"])
    visitor = session().get(Visitor, visitor_id, populate_existing=True)
    assert visitor is not None
    visitor.last_seen_at = now
    if customer is not None and visitor.customer_id is None:
        visitor.customer_id = customer.id
        visitor.joined_at = now
    return visitor


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
    """Append one event to the log (the caller commits); ``at`` defaults to now."""
    if visitor_id is not None:
        visitor = ensure_visitor(visitor_id, customer)
        if customer is None and visitor.customer_id is not None:
            customer = session().get(Customer, visitor.customer_id)
    event = JourneyEvent(
        name=name,
        customer_id=customer.id if customer else None,
        visitor_id=visitor_id,
        product_id=product_id,
        properties=properties or {},
        source=source,
        dedupe_key=dedupe_key,
        occurred_at=at or utcnow(),
    )
    session().add(event)
    return event


def customer_for(shopper: Shopper | None) -> Customer | None:
    """JourneyKit's customer row for an identified shopper (created on first sight)."""
    if shopper is None:
        return None
    return ensure_customer(shopper.customer_id, email=shopper.email, name=shopper.name)


def find_customer(shop_customer_id: str) -> Customer | None:
    """The customer with the shop's id, if JourneyKit knows them."""
    return session().scalars(sa.select(Customer).where(Customer.shop_customer_id == str(shop_customer_id))).first()
