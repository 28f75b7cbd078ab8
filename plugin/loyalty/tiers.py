"""VIP tiers: reached by the points a customer earned, or the money they spent, over a trailing window.

``JOURNEYKIT_LOYALTY_TIERS`` lists them from the lowest, e.g.
``[{"name": "Silver", "points": 500, "bonus_percent": 10}, {"name": "Gold",
"spent": {"usd": 50000, "eur": 45000}, "bonus_percent": 25}]``; below the
first a customer is a ``member``.  A points tier counts the points earned
less what refunds took back; a money tier counts what the customer paid in
each currency less refunds (from :func:`journeykit.orders.spent_since`), and
reaching any one currency's amount is enough.  The customer holds the highest
tier they reach.  Earning or paying enough upgrades at once (:func:`earn`,
:func:`on_purchase`); a customer whose window no longer holds enough goes
down at the next evaluation (``flask journeykit loyalty tiers``,
:func:`evaluate`), never in the middle of a purchase.  The bonus multiplies
purchase points, at the tier held when they were earned, which is also what
a refund takes back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app

from .. import journey, orders
from ..core import signals
from ..core.db import session, utcnow
from ..core.money import format_money
from ..core.paging import keyset_batches
from . import ledger
from .models import EntryKind, PointsBalance, PointsEntry

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..orders.models import Order

#: The tier below every configured one.
MEMBER = "member"
#: The entries that count towards a tier: earning, less what refunds took back of it.
COUNTED = (EntryKind.PURCHASE, EntryKind.REVERSAL, EntryKind.AWARD, EntryKind.REVIEW, EntryKind.SIGNUP,
           EntryKind.BIRTHDAY, EntryKind.REFERRAL)


def configured() -> list[dict[str, Any]]:
    """The shop's tiers, lowest first."""
    return list(current_app.config["JOURNEYKIT_LOYALTY_TIERS"])


def by_points(tier: dict[str, Any]) -> bool:
    """Whether ``tier`` is reached by points earned (else by money spent)."""
    return tier.get("points") is not None


def _since(now: dt.datetime | None) -> dt.datetime:
    return (now or utcnow()) - dt.timedelta(days=current_app.config["JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS"])


def earned_in_window(customer_id: int, now: dt.datetime | None = None) -> int:
    """The points the customer earned (less refunds) in the trailing window ending ``now``."""
    return int(session().scalar(sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
        PointsEntry.customer_id == customer_id, PointsEntry.kind.in_(COUNTED),
        PointsEntry.created_at >= _since(now))) or 0)


@dataclass(frozen=True)
class Standing:
    """What a customer's trailing window holds: points earned, and money spent per currency (minor units)."""

    earned: int = 0
    spent: dict[str, int] = field(default_factory=dict)


def standing(customer_id: int, now: dt.datetime | None = None) -> Standing:
    """The customer's window ending ``now``, reading only the measures the configured tiers use."""
    measures = [by_points(tier) for tier in configured()]
    earned = earned_in_window(customer_id, now) if any(measures) else 0
    spent = orders.spent_since(customer_id, _since(now)) if not all(measures) else {}
    return Standing(earned, spent)


def reaches(tier: dict[str, Any], window: Standing) -> bool:
    """Whether ``window`` reaches ``tier``: its points, or its amount in any one currency."""
    if by_points(tier):
        return window.earned >= tier["points"]
    return any(window.spent.get(currency, 0) >= amount for currency, amount in tier["spent"].items())


def deserved(window: Standing) -> str:
    """The highest tier ``window`` reaches."""
    return next((tier["name"] for tier in reversed(configured()) if reaches(tier, window)), MEMBER)


def _rank(name: str | None) -> int:
    names = [tier["name"] for tier in configured()]
    return names.index(name) + 1 if name in names else 0


def bonus_percent(name: str | None) -> int:
    """The earning bonus of a tier, in percent (0 for a member or a tier the shop has since removed)."""
    return next((int(tier.get("bonus_percent", 0)) for tier in configured() if tier["name"] == name), 0)


def earn(customer: Customer, points: int, kind: EntryKind, *, key: str, multiplied: bool = False,
         **entry: Any) -> None:
    """Post earned points (with the tier's bonus if ``multiplied``), then upgrade the customer if they now deserve it."""
    row = ledger.locked_balance(customer, create=False)  # a new customer's is made by the posting, with its points
    if multiplied:
        points = points * (100 + bonus_percent(row.tier if row is not None else None)) // 100
    if ledger.post(customer, points, kind, key=key, **entry) is not None:
        _upgrade(customer, ledger.locked_balance(customer))


def on_purchase(order: Order) -> None:
    """A paid order may reach a money tier at once, whatever points it earned (after they were earned at the tier held).

    One of the orders' ``purchase_handlers``, registered after the one that
    posts the order's points, in the transaction that records the payment.
    """
    customer = order.customer
    if customer is not None and customer.shop_customer_id is not None and not all(map(by_points, configured())):
        _upgrade(customer, ledger.locked_balance(customer))


def _upgrade(customer: Customer, row: PointsBalance) -> None:
    if _may_rise(row):
        wanted = deserved(standing(customer.id))
        if _rank(wanted) > _rank(row.tier):
            _change(customer, row, wanted)


def _may_rise(row: PointsBalance) -> bool:
    """Whether a tier above the one held may be within reach, so the window is worth reading.

    A window never holds more points than the customer ever earned (every
    counted entry is earned or takes earnings back), so a points tier above
    that lifetime total is out of reach unread: most purchases read no window.
    """
    return any(not by_points(tier) or row.earned >= tier["points"] for tier in configured()[_rank(row.tier):])


def evaluate(now: dt.datetime | None = None) -> dict[str, int]:
    """Put every customer in the tier their window deserves now (down as well as up); what changed."""
    done = {"upgraded": 0, "downgraded": 0}
    for batch in keyset_batches(sa.select(PointsBalance.customer_id.label("id")), PointsBalance.customer_id):
        ids = [row.id for row in batch]
        session().rollback()
        for customer in journey.customers_by_id(ids).values():
            row = ledger.locked_balance(customer)
            wanted = deserved(standing(customer.id, now)) if configured() else MEMBER
            if _rank(wanted) != _rank(row.tier):
                done["upgraded" if _rank(wanted) > _rank(row.tier) else "downgraded"] += 1
                _change(customer, row, wanted)
            signals.commit()
    return done


def _change(customer: Customer, row: PointsBalance, tier: str) -> None:
    before = row.tier or MEMBER
    row.tier = None if tier == MEMBER else tier
    signals.queue(signals.tier_changed, customer_id=customer.shop_customer_id, customer=customer, old=before, new=tier)


def progress(customer_id: int, tier: str | None) -> dict[str, Any] | None:
    """The next tier up and what the window still needs for it (``None`` at the top).

    A points tier: ``{"name", "points_needed"}``.  A money tier:
    ``{"name", "amount_needed", "currency"}`` in minor units, in the currency
    the customer is nearest to reaching (in proportion to its amount).  Both
    carry ``percent`` (of the way there, rounded down) and ``description``,
    what is still needed in words, so every widget shows them alike.
    """
    above = [entry for entry in configured() if _rank(entry["name"]) > _rank(tier)]
    if not above:
        return None
    nearest, window = above[0], standing(customer_id)
    if by_points(nearest):
        needed, goal = max(nearest["points"] - window.earned, 0), nearest["points"]
        words = f"{needed:,} point{'s' if needed != 1 else ''} more"
        found: dict[str, Any] = {"points_needed": needed}
    else:
        missing = {code: max(amount - window.spent.get(code, 0), 0) for code, amount in nearest["spent"].items()}
        # nearest in proportion: the least needed / amount, as exact fractions
        currency = min(sorted(missing), key=lambda code: Fraction(missing[code], nearest["spent"][code]))
        needed, goal = missing[currency], nearest["spent"][currency]
        words = f"{format_money(needed, currency)} more to spend"
        found = {"amount_needed": needed, "currency": currency}
    return {"name": nearest["name"], **found, "percent": (goal - needed) * 100 // goal,
            "description": f"{words} to reach {nearest['name']}"}
