"""What the journey holds on one customer, and forgetting who they are.

Forgetting keeps the customer's row, visitors, events and person, so every
count, stage and cohort stays as it was, but drops what names them: the
shop's id, the e-mail, the name and the Stripe customer id.  What remains
is an anonymous person; the shop's customer, coming back, is a new one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..core.db import session
from .models import Customer, JourneyEvent, Person, Visitor
from .people import REACHED


def personal_data(customer: Customer) -> dict[str, Any]:
    """The customer, their visitor ids, their journey and every event logged about them, as plain JSON."""
    visitors = session().scalars(sa.select(Visitor).where(Visitor.customer_id == customer.id).order_by(Visitor.first_seen_at)).all()
    events = session().scalars(
        sa.select(JourneyEvent).where(sa.or_(JourneyEvent.customer_id == customer.id,
                                             JourneyEvent.visitor_id.in_([visitor.id for visitor in visitors])))
        .order_by(JourneyEvent.occurred_at, JourneyEvent.id)
    ).all()
    person = session().scalars(sa.select(Person).where(Person.customer_id == customer.id)).first()
    return {
        "customer": {"id": customer.shop_customer_id, "email": customer.email, "name": customer.name,
                     "stripe_customer_id": customer.stripe_customer_id, "stage": customer.stage.value,
                     "created_at": customer.created_at.isoformat()},
        "visitors": [{"id": visitor.id, "first_seen_at": visitor.first_seen_at.isoformat(),
                      "last_seen_at": visitor.last_seen_at.isoformat()} for visitor in visitors],
        "journey": {name: getattr(person, name).isoformat() for name in REACHED
                    if person is not None and getattr(person, name) is not None},
        "events": [{"name": event.name, "product_id": event.product_id, "properties": event.properties,
                    "source": event.source, "occurred_at": event.occurred_at.isoformat()} for event in events],
    }


def forget(customer: Customer) -> None:
    """Drop what names the customer; their anonymous history stays (the caller commits)."""
    customer.shop_customer_id = customer.email = customer.name = customer.stripe_customer_id = None
