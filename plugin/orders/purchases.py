"""Turning Stripe's statements about a checkout into the state of an order.

Every function here applies *state*, not deltas, so that any arrival order
and any duplication of Stripe's events ends in the same order:

* a session's payment status only moves up ``expired < pending < failed < paid``;
* the refunded amount is Stripe's cumulative ``amount_refunded``, never a sum;
* a closed dispute (won or lost) is never reopened by a late ``created``.

The effects of a change (the journey event, which moves the stage, and signals)
happen on the transition only, inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from .. import journey
from ..core import limits, signals
from ..core.db import session, utcnow
from ..core.dialects import inserted_key_with
from ..core.identity import is_visitor_id
from ..core.written import add_as_written, write_changes
from .models import DisputeStatus, Order, OrderItem, OrderStatus

if TYPE_CHECKING:
    from ..journey.models import Customer

log = logging.getLogger("journeykit")

_STATUS_RANK = {OrderStatus.EXPIRED: 0, OrderStatus.PENDING: 1, OrderStatus.FAILED: 2, OrderStatus.PAID: 3}
_SESSION_EVENTS = {
    "checkout.session.completed": None,  # paid or pending, by payment_status
    "checkout.session.async_payment_succeeded": OrderStatus.PAID,
    "checkout.session.async_payment_failed": OrderStatus.FAILED,
    "checkout.session.expired": OrderStatus.EXPIRED,
}

#: What :func:`apply_event` answers.
PROCESSED, DEFERRED, IGNORED = "processed", "deferred", "ignored"


def apply_event(event: dict[str, Any]) -> str:
    """Apply one verified Stripe event; ``deferred`` when it names an unknown payment.

    Effects are dated by the event (when Stripe says it happened), not by its
    delivery, which may come days later.
    """
    kind, obj, at = event["type"], event["data"]["object"], stripe_time(event.get("created"))
    if kind in _SESSION_EVENTS:
        apply_session(obj, kind, at=at)
        return PROCESSED
    if kind == "charge.refunded":
        return apply_refund(obj, at=at)
    if kind in ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"):
        return apply_dispute(obj, at=at)
    return IGNORED


def stripe_time(timestamp: Any) -> dt.datetime:
    """A Stripe ``created`` (Unix seconds) as an aware UTC datetime; now if absent."""
    if isinstance(timestamp, int) and timestamp > 0:
        return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return utcnow()


def object_ref(event: dict[str, Any]) -> str | None:
    """The payment intent an event is about (what deferred events wait for)."""
    obj = event.get("data", {}).get("object", {})
    ref = obj.get("payment_intent") if isinstance(obj, dict) else None
    return ref if isinstance(ref, str) else None


def apply_session(obj: dict[str, Any], kind: str, *, at: dt.datetime) -> Order:
    """Create or update the order of a checkout session."""
    target = _SESSION_EVENTS[kind] or (
        OrderStatus.PENDING if obj.get("payment_status") == "unpaid" else OrderStatus.PAID
    )
    order = _new_order(obj, target, at=at)
    if order is not None:
        created = True
    else:
        order, created = _locked_order(obj), False
    if order.payment_intent_id is None and obj.get("payment_intent"):
        order.payment_intent_id = obj["payment_intent"]
    if order.customer_id is None:
        order.customer = _match_customer(obj, create=target is not OrderStatus.EXPIRED, at=at)
    if not created and _STATUS_RANK[target] <= _STATUS_RANK[order.status]:
        return order
    order.status = target
    if target is OrderStatus.PAID:
        _record_purchase(order, at)
    elif target is OrderStatus.EXPIRED:
        _record_abandoned_checkout(order, at)
    return order


def _new_order(obj: dict[str, Any], target: OrderStatus, *, at: dt.datetime) -> Order | None:
    """The session's order, written whole in one insert (its products with it on PostgreSQL, else in one more), if this
    event is its first.

    ``None`` when the order exists: two events about one new session may
    arrive at the same moment, and the insert that loses does nothing (after
    waiting for the winner to commit).  A customer named by the shop's id is
    found (or made: that insert is safe under concurrency) first, so the order
    is written with its buyer; one found by e-mail alone is matched afterwards
    by the caller, as only the winner may create a guest customer.  The new
    row is put in the session as written, not read back.
    """
    metadata = _metadata(obj)
    products = _products(metadata)
    customer = _match_customer(obj, create=False, at=at) if obj.get("client_reference_id") else None
    values = {
        "checkout_session_id": obj["id"],
        "payment_intent_id": obj.get("payment_intent") or None,
        "customer_id": customer.id if customer is not None else None,
        "status": target,
        "amount_total": int(obj.get("amount_total") or 0),
        "amount_refunded": 0,
        "currency": (obj.get("currency") or "usd").lower(),
        "dispute_status": None,
        "livemode": bool(obj.get("livemode")),
        "visitor_id": _visitor_id(metadata.get("journeykit_visitor")),
        "referral_code": limits.fitted("journeykit_orders.referral_code", metadata.get("journeykit_referral") or None,
                                       field="metadata.journeykit_referral"),
        "products_pending": not products,
        "created_at": stripe_time(obj.get("created")),
        "paid_at": at if target is OrderStatus.PAID else None,
        "updated_at": utcnow(),
    }
    key = inserted_key_with(Order.__table__, values, on=["checkout_session_id"], children=OrderItem.__table__,
                            parent_key="order_id",
                            rows=[{"product_id": product, "quantity": 1, "amount_total": None} for product in products])
    if key is None:
        return None
    order = Order(id=key, **values)
    add_as_written(order)
    set_committed_value(order, "customer", customer)
    return order


def _locked_order(obj: dict[str, Any]) -> Order:
    """The session's existing order, locked for this transaction, with its products."""
    query = sa.select(Order).where(Order.checkout_session_id == obj["id"]).with_for_update()
    order = session().scalars(query.execution_options(populate_existing=True)).one()
    if not order.items:
        order.items = [OrderItem(product_id=product) for product in _products(_metadata(obj))]
    return order


def _metadata(obj: dict[str, Any]) -> dict[str, str]:
    """The session's metadata, its text values only (Stripe sends strings; anything else is not ours)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return {}
    return {key: value for key, value in metadata.items() if isinstance(value, str)}


def _visitor_id(value: str | None) -> str | None:
    """The checkout's visitor id, if it is one (a shop or a third party may set any metadata)."""
    if value and not is_visitor_id(value):
        log.warning("journeykit: metadata.journeykit_visitor is not a visitor id; left out")
        return None
    return value or None


def _products(metadata: dict[str, str]) -> list[str]:
    """The product ids of ``metadata.journeykit_products``, each once; one too long to store is left out."""
    seen: dict[str, None] = {}
    for product in metadata.get("journeykit_products", "").split(","):
        product = limits.fitted("journeykit_order_items.product_id", product.strip(), field="a product id")
        if product:
            seen.setdefault(product, None)
    return list(seen)


def _match_customer(obj: dict[str, Any], *, create: bool, at: dt.datetime) -> Customer | None:
    """The buyer: ``client_reference_id``, else the Stripe customer, else the e-mail (a new one first seen ``at``)."""
    details = obj.get("customer_details") or {}
    reference = obj.get("client_reference_id") or None
    return journey.identify(
        limits.fitted("journeykit_customers.shop_customer_id", reference, field="client_reference_id"),
        email=details.get("email") or obj.get("customer_email"),
        name=details.get("name"),
        stripe_customer_id=obj.get("customer") if isinstance(obj.get("customer"), str) else None,
        create=create,
        seen_at=at,
    )


def _record_purchase(order: Order, at: dt.datetime) -> None:
    order.paid_at = at
    write_changes(order)  # one UPDATE of what changed, none for an order inserted paid: a flush costs several times more
    customer = order.customer
    if order.visitor_id:
        journey.ensure_visitor(order.visitor_id, customer)
    properties = {"order": order.checkout_session_id, "amount": order.amount_total, "currency": order.currency}
    if order.referral_code:
        properties["referral_code"] = order.referral_code
    # The stage (purchase, and retention at the Nth) follows from this event: see journeykit.journey.people.
    journey.record_event(
        "purchase",
        customer=customer,
        visitor_id=order.visitor_id,
        properties=properties,
        source="stripe",
        dedupe_key=f"purchase:{order.checkout_session_id}",
        at=at,
    )
    for handler in purchase_handlers:
        handler(order)
    signals.queue(signals.purchase_recorded, order=order, customer=customer)


def _record_abandoned_checkout(order: Order, at: dt.datetime) -> None:
    journey.record_event(
        "checkout_expired",
        customer=order.customer,
        visitor_id=order.visitor_id,
        properties={"order": order.checkout_session_id},
        source="stripe",
        dedupe_key=f"expired:{order.checkout_session_id}",
        at=at,
    )


def _order_for_payment(payment_intent: str | None) -> Order | None:
    if not payment_intent:
        return None
    query = sa.select(Order).where(Order.payment_intent_id == payment_intent).with_for_update()
    return session().scalars(query).first()


def reversed_amount(order: Order) -> int:
    """How much of the order no longer counts: the refunds, or all of it after a lost dispute."""
    if order.dispute_status is DisputeStatus.LOST:
        return order.amount_total
    return order.amount_refunded


#: Called as ``handler(order)`` inside the transaction that records an order as paid (loyalty awards its points).
purchase_handlers: list[Callable[[Order], None]] = []
#: Called inside the transaction that reverses part of an order, as
#: ``handler(order, before, after)`` with the reversed amounts in minor units.
#: Loyalty and referrals take back their rewards in proportion (after / total).
reversal_handlers: list[Callable[[Order, int, int], None]] = []
#: Called as ``handler(order, held)`` when a dispute opens (held) or is won (released).
hold_handlers: list[Callable[[Order, bool], None]] = []


def apply_refund(charge: dict[str, Any], *, at: dt.datetime) -> str:
    """Set the order's refunded amount to Stripe's cumulative figure, if that is more."""
    order = _order_for_payment(charge.get("payment_intent"))
    if order is None:
        return DEFERRED
    refunded = min(int(charge.get("amount_refunded") or 0), order.amount_total)
    if refunded > order.amount_refunded:
        before = reversed_amount(order)
        order.amount_refunded = refunded
        _reversed(order, before, "refund", at)
    return PROCESSED


_DISPUTE_CLOSED = {"won": DisputeStatus.WON, "lost": DisputeStatus.LOST, "warning_closed": DisputeStatus.WON}


def apply_dispute(dispute: dict[str, Any], *, at: dt.datetime) -> str:
    """Hold the order while disputed; a closed dispute is final (won releases, lost reverses)."""
    order = _order_for_payment(dispute.get("payment_intent"))
    if order is None:
        return DEFERRED
    status = _DISPUTE_CLOSED.get(dispute.get("status", ""), DisputeStatus.OPEN)
    if order.dispute_status in (DisputeStatus.WON, DisputeStatus.LOST) or order.dispute_status == status:
        return PROCESSED
    before = reversed_amount(order)
    was_held = order.dispute_status is DisputeStatus.OPEN
    order.dispute_status = status
    journey.record_event(
        f"dispute_{status.value}",
        customer=order.customer,
        properties={"order": order.checkout_session_id, "amount": int(dispute.get("amount") or 0)},
        source="stripe",
        dedupe_key=f"dispute:{order.checkout_session_id}:{status.value}",
        at=at,
    )
    if (status is DisputeStatus.OPEN) != was_held:
        for handler in hold_handlers:
            handler(order, status is DisputeStatus.OPEN)
    _reversed(order, before, "dispute_lost", at)
    return PROCESSED


def _reversed(order: Order, before: int, cause: str, at: dt.datetime) -> None:
    """Log, hook and signal the part of the order newly reversed (if any)."""
    after = reversed_amount(order)
    if after <= before:
        return
    journey.record_event(
        "refund",
        customer=order.customer,
        properties={"order": order.checkout_session_id, "amount": after - before, "total_refunded": after, "cause": cause},
        source="stripe",
        dedupe_key=f"refund:{order.checkout_session_id}:{after}",
        at=at,
    )
    for handler in reversal_handlers:
        handler(order, before, after)
    signals.queue(signals.refund_recorded, order=order, amount=after - before, total_refunded=after)


def add_products(order: Order, lines: Iterable[tuple[str, int, int | None]]) -> list[str]:
    """Fill an order's products from Stripe's line items, ``(product id, quantity, line total)`` each.

    A product already on the order is kept as it is; the caller commits.
    Returns the order's product ids.
    """
    for line_product, quantity, amount_total in lines:
        product_id = limits.fitted("journeykit_order_items.product_id", line_product, field="a line item's product id")
        if product_id and product_id not in order.product_ids:
            order.items.append(OrderItem(product_id=product_id, quantity=quantity, amount_total=amount_total))
    order.products_pending = False
    return order.product_ids
