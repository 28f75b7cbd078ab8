"""Points from orders: earned when an order is paid, taken back in proportion when it is reversed.

Both run inside the transaction that changes the order (the orders'
``purchase_handlers`` and ``reversal_handlers``), so an order and its
points are never out of step.  A reversal takes back
``floor(points the order earned × amount reversed so far ÷ amount paid)``,
less what earlier reversals took: the rate the points were earned at, never
today's (nor today's tier bonus), and the same end whatever order refunds
arrive in or how often.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.money import minor_digits
from . import ledger, rules, tiers
from .models import EntryKind

if TYPE_CHECKING:
    from ..orders.models import Order


def points_for(amount: int, currency: str) -> int:
    """Points for ``amount`` minor units paid: ``JOURNEYKIT_POINTS_PER_UNIT`` per major unit, rounded down.

    The setting is one number for every currency, or ``{"eur": 1, "jpy": 1}``
    per currency (a currency it leaves out earns nothing).  A zero-decimal
    currency's unit is its minor unit: 500 JPY at 1 per unit earn 500.
    """
    rate = rules.value("points_per_unit")  # the owner's rate in the admin, else the config's
    per_unit = rate.get(currency.lower(), 0) if isinstance(rate, dict) else rate
    return max(int(amount), 0) * per_unit // 10 ** minor_digits(currency)


def _source(order: Order) -> tuple[str, str]:
    return ("order", order.checkout_session_id)


def on_purchase(order: Order) -> None:
    """Award the order's points to its customer: a member of the shop (a guest, known by e-mail only, earns none)."""
    if order.customer is None or order.customer.shop_customer_id is None:
        return
    points = points_for(order.amount_total, order.currency)
    if points > 0:
        tiers.earn(order.customer, points, EntryKind.PURCHASE, key=f"order:{order.checkout_session_id}",
                   multiplied=True, source=_source(order), at=order.paid_at)


def on_reversal(order: Order, before: int, after: int) -> None:
    """Take back the points of the part of the order reversed so far, less what was taken back already."""
    customer = order.customer
    if customer is None or not order.amount_total:
        return
    ledger.locked_balance(customer)  # before reading what was earned and taken, so two reversals take turns
    earned = ledger.total_from(customer.id, _source(order), EntryKind.PURCHASE)
    taken = -ledger.total_from(customer.id, _source(order), EntryKind.REVERSAL)
    owed = earned * min(after, order.amount_total) // order.amount_total - taken
    if owed <= 0:
        return
    ledger.take_back(customer, owed, EntryKind.REVERSAL, key=f"order:{order.checkout_session_id}:reversed:{after}",
                     source=_source(order))
