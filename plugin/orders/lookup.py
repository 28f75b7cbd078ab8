"""Finding orders for the other capabilities: by id or checkout session, the order that makes a review verified,
paid orders due for a review request, and orders still waiting for their products.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..core.db import session
from .models import DisputeStatus, Order, OrderItem, OrderStatus
from .purchases import reversed_amount


def get(order_id: int) -> Order | None:
    """The order with JourneyKit's row id ``order_id``, if there is one."""
    return session().get(Order, order_id)


def by_checkout_session(checkout_session_id: str) -> Order | None:
    """The order of a Stripe Checkout Session (``cs_…``), once its webhook has arrived."""
    return session().scalars(sa.select(Order).where(Order.checkout_session_id == checkout_session_id)).first()


def verifying_order(customer_id: int, product_id: str) -> Order | None:
    """A paid order of the customer with ``product_id`` that was not fully reversed (the earliest)."""
    orders = session().scalars(
        sa.select(Order)
        .join(OrderItem)
        .where(Order.customer_id == customer_id, OrderItem.product_id == product_id, Order.status == OrderStatus.PAID)
        .order_by(Order.paid_at)
    )
    return next((order for order in orders if reversed_amount(order) < order.amount_total), None)


def paid_before(cutoff: dt.datetime, *, excluding: sa.Select) -> list[Order]:
    """Customers' paid orders paid by ``cutoff`` whose id is not in ``excluding`` (a select of order ids), oldest first."""
    return list(session().scalars(
        sa.select(Order).where(
            Order.status == OrderStatus.PAID, Order.paid_at <= cutoff, Order.customer_id.is_not(None),
            Order.id.not_in(excluding),
        ).order_by(Order.id)
    ))


def awaiting_products(limit: int) -> list[Order]:
    """Orders whose checkout named no products, still waiting for Stripe's line items."""
    return list(session().scalars(sa.select(Order).where(Order.products_pending.is_(True)).limit(limit)))


def orders_of(customer_id: int) -> list[Order]:
    """Every order of the customer with JourneyKit's row id ``customer_id``, oldest first."""
    return list(session().scalars(sa.select(Order).where(Order.customer_id == customer_id).order_by(Order.id)))


def disputed_sessions(customer_id: int) -> list[str]:
    """The Checkout Session ids of the customer's orders under an open dispute (their rewards are held)."""
    return list(session().scalars(sa.select(Order.checkout_session_id).where(
        Order.customer_id == customer_id, Order.dispute_status == DisputeStatus.OPEN)))


def spent_since(customer_id: int, since: dt.datetime) -> dict[str, int]:
    """What the customer paid per currency (minor units) in orders paid since ``since``, less what was reversed.

    Refunds count off as refunded; an order whose dispute was lost counts
    nothing (see :func:`~journeykit.orders.purchases.reversed_amount`).  For
    loyalty's money-spent tiers.  Currencies with nothing left are left out.
    """
    reversed_ = sa.case((Order.dispute_status == DisputeStatus.LOST, Order.amount_total), else_=Order.amount_refunded)
    rows = session().execute(
        sa.select(Order.currency, sa.func.sum(Order.amount_total - reversed_))
        .where(Order.customer_id == customer_id, Order.status == OrderStatus.PAID, Order.paid_at >= since)
        .group_by(Order.currency))
    return {currency: int(total) for currency, total in rows if int(total or 0) > 0}
