"""What the journey earns: orders, revenue, repeat purchases, reviews and referrals over a period.

Money stays in integer minor units per currency (never summed across
currencies, never a float); averages are rounded half up to the minor unit.
A period is ``[start, end)`` on the orders' paid time; ``None`` leaves a side open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from .db import session
from .models import Customer, JourneyEvent, Order, OrderItem, OrderStatus, Review


def _paid_in(start: dt.datetime | None, end: dt.datetime | None) -> list[sa.ColumnElement[bool]]:
    conditions = [Order.status == OrderStatus.PAID]
    if start is not None:
        conditions.append(Order.paid_at >= start)
    if end is not None:
        conditions.append(Order.paid_at < end)
    return conditions


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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
    rows = session().execute(
        sa.select(Customer.stage, Order.currency, sa.func.sum(Order.amount_total - Order.amount_refunded))
        .select_from(Order)
        .outerjoin(Customer, Customer.id == Order.customer_id)
        .where(*_paid_in(start, end))
        .group_by(Customer.stage, Order.currency)
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
        sa.select(sa.func.count(), sa.func.count().filter(paid_orders.c.orders >= 2)).select_from(paid_orders)
    ).one()
    return _share(repeat, total)


def review_rate(start: dt.datetime | None = None, end: dt.datetime | None = None) -> float | None:
    """Of the products bought in the period (one per buyer and product), the share their buyer reviewed."""
    bought = (
        sa.select(Order.customer_id, OrderItem.product_id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(*_paid_in(start, end), Order.customer_id.is_not(None))
        .distinct()
        .subquery()
    )
    reviewed = sa.exists().where(Review.customer_id == bought.c.customer_id, Review.product_id == bought.c.product_id)
    total, with_review = session().execute(
        sa.select(sa.func.count(), sa.func.count().filter(reviewed)).select_from(bought)
    ).one()
    return _share(with_review, total)


def referrals(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Referral clicks, the purchases that came with a referral code, their conversion and the viral coefficient.

    The viral coefficient here is the number of referred buyers per buyer in
    the period: above 1, every buyer brings in more than one new one.
    """
    clicks_query = sa.select(sa.func.count()).select_from(JourneyEvent).where(JourneyEvent.name == "referral_clicked")
    if start is not None:
        clicks_query = clicks_query.where(JourneyEvent.occurred_at >= start)
    if end is not None:
        clicks_query = clicks_query.where(JourneyEvent.occurred_at < end)
    clicks = session().scalar(clicks_query) or 0
    buyer = sa.func.coalesce(sa.cast(Order.customer_id, sa.String), Order.checkout_session_id)
    buyers, referred = session().execute(
        sa.select(sa.func.count(sa.distinct(buyer)), sa.func.count(sa.distinct(buyer)).filter(Order.referral_code.is_not(None)))
        .where(*_paid_in(start, end))
    ).one()
    return {
        "clicks": clicks,
        "referred_buyers": referred,
        "conversion": _share(referred, clicks),
        "viral_coefficient": _share(referred, buyers),
    }


def summary(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of this module for one period, as the dashboard and the JSON API show them."""
    return {
        "revenue": revenue(start, end),
        "revenue_by_stage": revenue_by_stage(start, end),
        "repeat_purchase_rate": repeat_purchase_rate(start, end),
        "review_rate": review_rate(start, end),
        "referrals": referrals(start, end),
    }
