"""Calls to Stripe's API, never made on the webhook's acknowledgement path.

* line items, for orders whose checkout metadata named no products;
* the events list, to recover deliveries that never arrived.

(Loyalty makes its promotion codes through the same :func:`client`.)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterator

import stripe

from journeykit import orders
from journeykit.core.db import session
from journeykit.core.stripe_api import client

if TYPE_CHECKING:
    from journeykit.orders.models import Order

#: The event types JourneyKit applies (what ``sync`` asks Stripe for).
EVENT_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "promotion_code.updated",
]


def fetch_products(order: Order, api: stripe.StripeClient | None = None) -> list[str]:
    """Fill an order's products from its session's line items (the caller commits).

    A product id is the Stripe product's ``metadata.journeykit_product`` when
    the shop set it, else the Stripe product id.
    """
    api = api or client()
    items = api.v1.checkout.sessions.line_items.list(
        order.checkout_session_id, params={"limit": 100, "expand": ["data.price.product"]}
    )
    lines = (line.to_dict() for line in items.auto_paging_iter())
    return orders.add_products(
        order, ((_product_id(line), line.get("quantity") or 1, line.get("amount_total")) for line in lines)
    )


def _product_id(line: dict[str, Any]) -> str:
    product = (line.get("price") or {}).get("product")
    if isinstance(product, str):
        return product
    metadata = product.get("metadata") or {}
    return metadata.get("journeykit_product") or product["id"]


def fetch_pending_products(limit: int = 500) -> int:
    """Fetch the products of every order still waiting for them; returns how many were filled."""
    api = client()
    waiting = orders.awaiting_products(limit)
    for order in waiting:
        fetch_products(order, api)
        session().commit()
    return len(waiting)


def events_since(since: dt.datetime, until: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """Stripe's events of the types JourneyKit applies, created in [since, until], oldest first.

    Stripe keeps events for 30 days; its list is newest first, so the page is
    reversed before it is yielded.
    """
    created: dict[str, int] = {"gte": int(since.timestamp())}
    if until is not None:
        created["lte"] = int(until.timestamp())
    listing = client().v1.events.list(params={"created": created, "types": EVENT_TYPES, "limit": 100})
    events = [event.to_dict() for event in listing.auto_paging_iter()]
    yield from reversed(events)
