"""Spending points: never more than the customer may spend, which is their balance less the points on hold.

An order under an open dispute holds the points it earned (less what its
refunds took back) until the dispute closes: won, they are free again; lost,
the reversal takes them.  The hold is read from the orders and the ledger
when points are spent, so it can never drift from either.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .. import orders
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


def spend(customer: Customer, points: int, kind: EntryKind, *, key: str, description: str = "",
          source: tuple[str, str] | None = None, actor: str | None = None,
          at: dt.datetime | None = None) -> PointsEntry | None:
    """Take ``points`` (> 0) from the customer, or refuse with a 409 ``insufficient_points`` and change nothing.

    ``None`` if ``key`` was spent before (a retried request spends once).
    """
    row = ledger.locked_balance(customer)
    available = row.balance - held(customer)
    if ledger.posted(customer.id, key) is None and points > available:
        raise Conflict(f"Not enough points: {max(available, 0)} available, {points} asked.",
                       error_code="insufficient_points")
    return ledger.post(customer, -points, kind, key=key, description=description, source=source, actor=actor, at=at)
