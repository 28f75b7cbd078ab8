"""What each signal becomes as an outbound webhook: an event type and plain JSON data.

Serialised inside the transaction that queued the signal, from the objects
as they are then, so a retry days later sends what happened, not what the
rows say by then.  Only what the shop already has goes out: ids, amounts (as
integers in the currency's minor unit), products, stages, and the customer's
shop id and e-mail.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, Callable

from blinker import NamedSignal

from journeykit.core import signals

if TYPE_CHECKING:
    from journeykit.journey.models import Customer
    from journeykit.orders.models import Order
    from journeykit.reviews.models import Review

Data = dict[str, Any]
#: The event type of the test event ``POST /api/v1/admin/webhooks/<id>/test`` sends.
PING = "ping"


def _value(value: Any) -> Any:
    """A plain JSON value: enums by value, times in ISO 8601 (UTC), the rest as it is."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def customer(found: Customer | None) -> Data | None:
    """The customer as the shop knows them: its own id (``None`` for guests) and e-mail."""
    if found is None:
        return None
    return {"id": found.shop_customer_id, "email": found.email}


def order(found: Order) -> Data:
    return {
        "id": found.id,
        "checkout_session": found.checkout_session_id,
        "payment_intent": found.payment_intent_id,
        "status": _value(found.status),
        "amount_total": found.amount_total,
        "amount_refunded": found.amount_refunded or 0,
        "currency": found.currency,
        "paid_at": _value(found.paid_at),
        "items": [
            {"product_id": item.product_id, "quantity": item.quantity, "amount_total": item.amount_total}
            for item in found.items
        ],
        "customer": customer(found.customer),
        "livemode": bool(found.livemode),
    }


def review(found: Review) -> Data:
    return {
        "id": found.id,
        "product_id": found.product_id,
        "rating": found.rating,
        "title": found.title,
        "body": found.body,
        "author": found.author,
        "status": _value(found.status),
        "verified": found.verified,
        "incentivised": bool(found.incentivised),
        "created_at": _value(found.created_at),
        "published_at": _value(found.published_at),
        "edited_at": _value(found.edited_at),  # set: review.submitted is the author's edit of their review
        "customer": customer(found.customer),
    }


def _stage_changed(extra: Data) -> Data:
    shop_id = extra.get("customer_id")
    return {
        "customer": {"id": _value(shop_id)} if shop_id is not None else None,
        "visitor_id": extra.get("visitor_id"),
        "from": _value(extra.get("old")),
        "to": _value(extra.get("new")),
    }


def _purchase(extra: Data) -> Data:
    return {"order": order(extra["order"]), "customer": customer(extra.get("customer"))}


def _refund(extra: Data) -> Data:
    return {"order": order(extra["order"]), "amount": extra["amount"], "total_refunded": extra["total_refunded"]}


def _review(extra: Data) -> Data:
    return {"review": review(extra["review"])}


def _review_request(extra: Data) -> Data:
    return {
        "order": order(extra["order"]),
        "customer": customer(extra.get("customer")),
        "products": list(extra["products"]),
        "url": extra["url"],
    }


def _points(extra: Data) -> Data:
    return {
        "customer": {"id": _value(extra.get("customer_id"))},
        "delta": extra["delta"],
        "balance": extra["balance"],
    }


def _expiring(extra: Data) -> Data:
    return {"customer": customer(extra.get("customer")), "points": extra["points"],
            "expires_at": _value(extra["expires_at"])}


def _tier(extra: Data) -> Data:
    return {"customer": customer(extra.get("customer")), "old": extra["old"], "new": extra["new"]}


def _referral(extra: Data) -> Data:
    referral = extra["referral"]
    return {"code": extra["code"], "order": order(extra["order"]), "referrer": {"id": _value(extra["referrer"])},
            "referral": {"id": referral.id, "status": _value(referral.status), "risk_score": referral.risk_score}}


#: Signal → (event type, serializer of its keyword arguments).
EVENTS: dict[NamedSignal, tuple[str, Callable[[Data], Data]]] = {
    signals.stage_changed: ("stage.changed", _stage_changed),
    signals.purchase_recorded: ("purchase.recorded", _purchase),
    signals.refund_recorded: ("refund.recorded", _refund),
    signals.review_submitted: ("review.submitted", _review),
    signals.review_published: ("review.published", _review),
    signals.review_request_due: ("review_request.due", _review_request),
    signals.points_changed: ("points.changed", _points),
    signals.points_expiring: ("points.expiring", _expiring),
    signals.tier_changed: ("tier.changed", _tier),
    signals.referral_converted: ("referral.converted", _referral),
}
#: Every event type an endpoint may subscribe to.
EVENT_TYPES: list[str] = [event_type for event_type, _ in EVENTS.values()]
#: Types in the catalog that JourneyKit does not send yet, with the reason shown to the owner.
#: An endpoint may subscribe to them ahead of time; nothing arrives until the feature exists.
NOT_YET_SENT: dict[str, str] = {}


def event_type(signal: NamedSignal) -> str | None:
    """The webhook event type of ``signal`` (``None``: it is not sent as a webhook)."""
    found = EVENTS.get(signal)
    return found[0] if found else None


def data(signal: NamedSignal, extra: Data) -> Data:
    """The ``data`` of the webhook for ``signal`` sent with ``extra``."""
    return EVENTS[signal][1](extra)
