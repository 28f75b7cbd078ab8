"""Export and forget one customer across every capability (see the package's docstring)."""

from __future__ import annotations

from typing import Any

from .. import hooks, journey, loyalty, orders, referrals, reviews, testimonials
from ..core import audit
from ..core.db import utcnow


def _order(order: Any) -> dict[str, Any]:
    return {"checkout_session": order.checkout_session_id, "status": order.status.value, "currency": order.currency,
            "amount_total": order.amount_total, "amount_refunded": order.amount_refunded,
            "products": order.product_ids, "created_at": order.created_at.isoformat(),
            "paid_at": order.paid_at.isoformat() if order.paid_at else None}


def export(shop_customer_id: str) -> dict[str, Any]:
    """Everything JourneyKit holds on the customer with the shop's id, as JSON (logged in the audit log)."""
    customer = journey.require_customer(shop_customer_id)
    bought = orders.orders_of(customer.id)
    data = {
        "exported_at": utcnow().isoformat(),
        **journey.personal_data(customer),
        "orders": [_order(order) for order in bought],
        **reviews.personal_data(customer.id, customer.shop_customer_id),
        **testimonials.personal_data(customer.id),
        **loyalty.personal_data(customer.id),
        **referrals.personal_data(customer.id),
        **hooks.personal_data([order.payment_intent_id for order in bought], customer.shop_customer_id, customer.email),
    }
    audit.record("customer.export", f"customer:{customer.id}")
    return data


def forget(shop_customer_id: str) -> dict[str, int]:
    """Erase what names the customer everywhere; anonymous counts stay (the caller commits). Returns what changed."""
    customer = journey.require_customer(shop_customer_id)
    payments = [order.payment_intent_id for order in orders.orders_of(customer.id)]
    changed = {
        "reviews": reviews.forget(customer.id, customer.shop_customer_id),
        "testimonials": testimonials.forget(customer.id),
        "referral_codes": referrals.forget(customer.id),
        **hooks.forget(payments, customer.shop_customer_id, customer.email),
    }
    loyalty.forget(customer.id)
    journey.forget(customer)
    audit.record("customer.forget", f"customer:{customer.id}", after=changed)
    return changed
