"""What the Stripe event store holds on one customer, and forgetting it.

A checkout's event names its buyer (``customer_details``: e-mail, name,
address, phone; the Stripe customer; the shop's id); forgetting blanks those
parts of the stored body and keeps the rest, so a replay still finds the
order (by its session and payment) and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import sqlalchemy as sa

from journeykit.core.db import session

from .models import StripeEvent

#: The parts of a Stripe object that name its buyer (or link to who they are, at Stripe or in the shop).
PERSONAL_KEYS = ("customer", "client_reference_id", "customer_details", "customer_email", "shipping",
                 "shipping_details", "billing_details", "receipt_email", "collected_information")


def _events(references: Iterable[str]) -> list[StripeEvent]:
    wanted = [ref for ref in references if ref]
    if not wanted:
        return []
    return list(session().scalars(sa.select(StripeEvent).where(StripeEvent.object_ref.in_(wanted)).order_by(StripeEvent.id)))


def personal_data(payment_intents: Iterable[str]) -> dict[str, Any]:
    """The stored events about these payments, as Stripe sent them."""
    return {"stripe_events": [json.loads(event.payload) for event in _events(payment_intents)]}


def forget(payment_intents: Iterable[str]) -> int:
    """Blank the buyer's details in the stored events about these payments; returns how many events."""
    events = _events(payment_intents)
    for event in events:
        body = json.loads(event.payload)
        obj = body.get("data", {}).get("object", {})
        for key in PERSONAL_KEYS:
            if key in obj:
                obj[key] = None
        event.payload = json.dumps(body)
    return len(events)
