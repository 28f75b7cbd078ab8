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
    """The customer's earned points that are not spendable yet: per source, what it still holds, up to what is pending.

    For each source (an order, a review, a referral…) with earned entries
    whose ``spendable_at`` is after ``now``: ``min(those entries, the net of
    all the source's entries)``, at least 0.  So a refund of an order whose
    points are pending takes them out of the pending points, not out of the
    spendable ones: the balance drops by what the refund took, and so does
    what is pending.  Write-offs are left out of the net (they forgive the
    balance, they do not give the source back its points).  Orders under an
    open dispute count nothing here: :func:`held` withholds them already,
    so no point is withheld twice and ``balance = spendable + held + pending``
    while the balance is not negative.
    """
    excluding = {("order", session_id) for session_id in orders.disputed_sessions(customer_id)}
    entry = PointsEntry
    is_pending = sa.and_(entry.points > 0, entry.spendable_at > (now or utcnow()))
    pending_points = sa.func.sum(sa.case((is_pending, entry.points), else_=0))
    rows = session().execute(
        sa.select(entry.source_type, entry.source_id, pending_points, sa.func.sum(entry.points))
        .where(entry.customer_id == customer_id, entry.kind != EntryKind.WRITE_OFF)
        .group_by(entry.source_type, entry.source_id).having(pending_points > 0))
    return sum(max(min(int(waiting), int(net)), 0) for source_type, source_id, waiting, net in rows
               if (source_type, source_id) not in excluding)


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
