"""VIP tiers: reached by the points a customer earned over a trailing window, each with an earning bonus.

``JOURNEYKIT_LOYALTY_TIERS`` lists them from the lowest, e.g.
``[{"name": "Silver", "points": 500, "bonus_percent": 10}, {"name": "Gold",
"points": 2000, "bonus_percent": 25}]``; below the first a customer is a
``member``.  Earning enough upgrades at once (:func:`earn`); a customer
whose window no longer holds enough goes down at the next evaluation
(``flask journeykit loyalty tiers``, :func:`evaluate`), never in the middle
of a purchase.  The bonus multiplies purchase points, at the tier held when
they were earned, which is also what a refund takes back.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app

from .. import journey
from ..core import signals
from ..core.db import session, utcnow
from ..core.paging import keyset_batches
from . import ledger
from .models import EntryKind, PointsBalance, PointsEntry

if TYPE_CHECKING:
    from ..journey.models import Customer

#: The tier below every configured one.
MEMBER = "member"
#: The entries that count towards a tier: earning, less what refunds took back of it.
COUNTED = (EntryKind.PURCHASE, EntryKind.REVERSAL, EntryKind.AWARD, EntryKind.REVIEW, EntryKind.SIGNUP,
           EntryKind.BIRTHDAY, EntryKind.REFERRAL)


def configured() -> list[dict[str, Any]]:
    """The shop's tiers, lowest first."""
    return list(current_app.config["JOURNEYKIT_LOYALTY_TIERS"])


def earned_in_window(customer_id: int, now: dt.datetime | None = None) -> int:
    """The points the customer earned (less refunds) in the trailing window ending ``now``."""
    since = (now or utcnow()) - dt.timedelta(days=current_app.config["JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS"])
    return int(session().scalar(sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
        PointsEntry.customer_id == customer_id, PointsEntry.kind.in_(COUNTED), PointsEntry.created_at >= since)) or 0)


def deserved(earned: int) -> str:
    """The highest tier ``earned`` points reach."""
    return next((tier["name"] for tier in reversed(configured()) if earned >= tier["points"]), MEMBER)


def _rank(name: str | None) -> int:
    names = [tier["name"] for tier in configured()]
    return names.index(name) + 1 if name in names else 0


def bonus_percent(name: str | None) -> int:
    """The earning bonus of a tier, in percent (0 for a member or a tier the shop has since removed)."""
    return next((int(tier.get("bonus_percent", 0)) for tier in configured() if tier["name"] == name), 0)


def earn(customer: Customer, points: int, kind: EntryKind, *, key: str, multiplied: bool = False,
         **entry: Any) -> None:
    """Post earned points (with the tier's bonus if ``multiplied``), then upgrade the customer if they now deserve it."""
    row = ledger.locked_balance(customer)
    if multiplied:
        points = points * (100 + bonus_percent(row.tier)) // 100
    if ledger.post(customer, points, kind, key=key, **entry) is not None and configured():
        wanted = deserved(earned_in_window(customer.id))
        if _rank(wanted) > _rank(row.tier):
            _change(customer, row, wanted)


def evaluate(now: dt.datetime | None = None) -> dict[str, int]:
    """Put every customer in the tier their window deserves now (down as well as up); what changed."""
    done = {"upgraded": 0, "downgraded": 0}
    for batch in keyset_batches(sa.select(PointsBalance.customer_id.label("id")), PointsBalance.customer_id):
        ids = [row.id for row in batch]
        session().rollback()
        for customer in journey.customers_by_id(ids).values():
            row = ledger.locked_balance(customer)
            wanted = deserved(earned_in_window(customer.id, now)) if configured() else MEMBER
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
    """The next tier up and the points still to earn for it in the window (``None`` at the top)."""
    above = [entry for entry in configured() if _rank(entry["name"]) > _rank(tier)]
    if not above:
        return None
    return {"name": above[0]["name"], "points_needed": max(above[0]["points"] - earned_in_window(customer_id), 0)}
