"""Orders: one per Stripe Checkout Session, and what became of its payment.

hooks/ verifies Stripe's events and hands them to :func:`apply_event`
(:mod:`.purchases`), which turns them into order state and, on a payment,
logs the purchase in the journey and queues the signals.  Other
capabilities react to a payment, a reversal (a refund, a lost dispute) or a
hold (an open dispute) by registering in :data:`purchase_handlers`,
:data:`reversal_handlers` and :data:`hold_handlers`, which run inside the
transaction that changes the order.  The shop starts it all with :func:`checkout_params`.

The names below are the orders' public functions: the other capabilities
use these and nothing else of this package.
"""

from __future__ import annotations

from .checkout import checkout_params
from .lookup import (
    awaiting_products,
    by_checkout_session,
    disputed_sessions,
    get,
    orders_of,
    paid_before,
    spent_since,
    verifying_order,
)
from .purchases import (
    DEFERRED,
    IGNORED,
    PROCESSED,
    add_products,
    apply_event,
    hold_handlers,
    object_ref,
    purchase_handlers,
    reversal_handlers,
    reversed_amount,
    stripe_time,
)
from .reports import (
    bought_products,
    buyers,
    latest_orders,
    repeat_purchase_rate,
    revenue,
    revenue_by_stage,
)

__all__ = [
    "DEFERRED",
    "IGNORED",
    "PROCESSED",
    "add_products",
    "apply_event",
    "awaiting_products",
    "bought_products",
    "buyers",
    "by_checkout_session",
    "checkout_params",
    "disputed_sessions",
    "get",
    "hold_handlers",
    "latest_orders",
    "object_ref",
    "orders_of",
    "paid_before",
    "purchase_handlers",
    "repeat_purchase_rate",
    "reversal_handlers",
    "reversed_amount",
    "revenue",
    "revenue_by_stage",
    "spent_since",
    "stripe_time",
    "verifying_order",
]
