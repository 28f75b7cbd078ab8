"""What the orders' tables say: revenue, repeat purchases, buyers, the latest orders,
the products bought, and the orders' Prometheus families.

Money stays in integer minor units per currency (never summed across
currencies, never a float); averages are rounded half up to the minor unit.
A period is ``[start, end)`` on the orders' paid time; ``None`` leaves a side open.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import journey
from ..core.db import session
from ..core.dialects import count_where
from ..core.figures import share
from ..core.prometheus import grouped, source
from .models import Order, OrderItem, OrderStatus


def _paid_in(start: dt.datetime | None, end: dt.datetime | None) -> list[sa.ColumnElement[bool]]:
    conditions = [Order.status == OrderStatus.PAID]
    if start is not None:
        conditions.append(Order.paid_at >= start)
    if end is not None:
        conditions.append(Order.paid_at < end)
    return conditions


def _average(total: int, count: int) -> int | None:
    """``total / count`` rounded half up to a whole minor unit, without a float."""
    return (2 * total + count) // (2 * count) if count else None


def revenue(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, dict[str, int | None]]:
    """Per currency: paid orders, gross and net (after refunds) revenue, and the average order value."""
    rows = session().execute(
        sa.select(Order.currency, sa.func.count(), sa.func.sum(Order.amount_total), sa.func.sum(Order.amount_refunded))
        .where(*_paid_in(start, end))
        .group_by(Order.currency)
    )
    return {
        currency: {
            "orders": orders,
            "gross": int(gross),
            "net": int(gross) - int(refunded),
            "average_order_value": _average(int(gross), orders),
        }
        for currency, orders, gross, refunded in rows
    }


def revenue_by_stage(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Net revenue per currency from the buyers now in each stage (guests without a customer: ``unknown``)."""
    stages = journey.customer_stages()
    rows = session().execute(
        sa.select(stages.c.stage, Order.currency, sa.func.sum(Order.amount_total - Order.amount_refunded))
        .select_from(Order)
        .outerjoin(stages, stages.c.customer_id == Order.customer_id)
        .where(*_paid_in(start, end))
        .group_by(stages.c.stage, Order.currency)
    )
    result: dict[str, dict[str, int]] = {}
    for stage, currency, net in rows:
        result.setdefault(stage.value if stage else "unknown", {})[currency] = int(net)
    return result


def repeat_purchase_rate(start: dt.datetime | None = None, end: dt.datetime | None = None) -> float | None:
    """Of the customers who bought in the period, the share who had bought at least twice by its end."""
    buyers = sa.select(Order.customer_id).where(*_paid_in(start, end), Order.customer_id.is_not(None)).distinct()
    paid_orders = (
        sa.select(Order.customer_id, sa.func.count().label("orders"))
        .where(*_paid_in(None, end), Order.customer_id.in_(buyers))
        .group_by(Order.customer_id)
        .subquery()
    )
    total, repeat = session().execute(
        sa.select(sa.func.count(), count_where(paid_orders.c.orders >= 2)).select_from(paid_orders)
    ).one()
    return share(repeat, total)


def bought_products(start: dt.datetime | None = None, end: dt.datetime | None = None) -> sa.Subquery:
    """``(customer_id, product_id)``, once each, of the products customers paid for in the period."""
    return (
        sa.select(Order.customer_id, OrderItem.product_id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(*_paid_in(start, end), Order.customer_id.is_not(None))
        .distinct()
        .subquery()
    )


def buyers(start: dt.datetime | None = None, end: dt.datetime | None = None) -> int:
    """Buyers in the period (a guest counts by checkout): who a referral's viral coefficient is reckoned against.

    Which buyers were really referred is the referrals capability's to say
    (it checks the code), not the orders': an order keeps whatever code its
    checkout named.
    """
    buyer = sa.func.coalesce(sa.cast(Order.customer_id, sa.String), Order.checkout_session_id)
    return int(session().scalar(sa.select(sa.func.count(sa.distinct(buyer))).where(*_paid_in(start, end))) or 0)


def latest_orders(limit: int) -> list[Order]:
    """The newest ``limit`` orders, any status, with their customers and items (loaded in one query each, not per order)."""
    query = sa.select(Order).options(selectinload(Order.customer), selectinload(Order.items))
    return list(session().scalars(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)))


@source("orders", "gauge", "Orders (Stripe Checkout Sessions) by payment status.", ("status",))
def _orders_by_status():
    return grouped(Order.status)


@source("revenue_minor_units", "counter", "Money paid, in the currency's minor unit (cents; yen).", ("currency",))
def _revenue():
    return grouped(Order.currency, where=Order.status == OrderStatus.PAID, value=sa.func.sum(Order.amount_total))


@source("refunded_minor_units", "counter", "Money refunded, in the currency's minor unit.", ("currency",))
def _refunded():
    return grouped(Order.currency, where=Order.amount_refunded > 0, value=sa.func.sum(Order.amount_refunded))
