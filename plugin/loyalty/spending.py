"""Spending points: never more than the customer may spend, which is their balance less the points on hold.

Points still pending (earned with a rule's ``JOURNEYKIT_POINTS_PENDING_DAYS``,
e.g. inside the shop's return window) are in the balance but not spendable.

An order under an open dispute holds the points it earned (less what its
refunds took back) until the dispute closes: won, they are free again; lost,
the reversal takes them.  The hold is read from the orders and the ledger
when points are spent, so it can never drift from either.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .. import orders
from ..core.db import session, utcnow
from ..core.errors import Conflict
from . import ledger
from .models import EntryKind, PointsEntry

if TYPE_CHECKING:
    from ..journey.models import Customer


def held(customer: Customer) -> int:
    """The customer's points held by open disputes."""
    return sum(max(ledger.total_from(customer.id, ("order", session_id), EntryKind.PURCHASE)
                   + ledger.total_from(customer.id, ("order", session_id), EntryKind.REVERSAL), 0)
               for session_id in orders.disputed_sessions(customer.id))


def pending(customer_id: int, now: dt.datetime | None = None) -> int:
    """The customer's earned points that are not spendable yet."""
    return int(session().scalar(sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
        PointsEntry.customer_id == customer_id, PointsEntry.points > 0,
        PointsEntry.spendable_at > (now or utcnow()))) or 0)


def spendable(customer: Customer, balance: int) -> int:
    """What the customer may spend of ``balance``: less the points on hold and the points still pending."""
    return max(balance - held(customer) - pending(customer.id), 0)


def spend(customer: Customer, points: int, kind: EntryKind, *, key: str, description: str = "",
          source: tuple[str, str] | None = None, actor: str | None = None,
          at: dt.datetime | None = None) -> PointsEntry | None:
    """Take ``points`` (> 0) from the customer, or refuse with a 409 ``insufficient_points`` and change nothing.

    ``None`` if ``key`` was spent before (a retried request spends once).
    """
    row = ledger.locked_balance(customer)
    available = spendable(customer, row.balance)
    if ledger.posted(customer.id, key) is None and points > available:
        raise Conflict(f"Not enough points: {available} available, {points} asked.",
                       error_code="insufficient_points")
    return ledger.post(customer, -points, kind, key=key, description=description, source=source, actor=actor, at=at)
