"""Points that expire after a time without the customer earning or spending, with a warning before.

``flask journeykit loyalty expire`` (daily, from cron) runs :func:`run`.
Each customer is handled in a transaction of its own under their balance
lock, and an expiry's key names the moment it fell due, so running it twice,
or from two processes at once, changes nothing more.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from .. import journey
from ..core import signals
from ..core.db import session, utcnow
from ..core.paging import keyset_batches
from . import ledger
from .models import EntryKind, PointsBalance

if TYPE_CHECKING:
    from ..journey.models import Customer


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """Warn the customers whose points expire within the warning days, and expire those due; what it did."""
    days = current_app.config["JOURNEYKIT_POINTS_EXPIRE_AFTER_DAYS"]
    done = {"warned": 0, "expired": 0}
    if not days:
        return done
    now = now or utcnow()
    lifetime = dt.timedelta(days=days)
    warning = dt.timedelta(days=current_app.config["JOURNEYKIT_POINTS_EXPIRY_WARNING_DAYS"])
    due = (sa.select(PointsBalance.customer_id.label("id"))
           .where(PointsBalance.balance > 0, PointsBalance.last_activity_at <= now - lifetime + warning))
    for batch in keyset_batches(due, PointsBalance.customer_id):
        ids = [row.id for row in batch]
        session().rollback()  # the batch was read; each customer is then changed in a transaction of its own
        for customer in journey.customers_by_id(ids).values():
            outcome = _one(customer, now, lifetime, warning)
            signals.commit()
            if outcome:
                done[outcome] += 1
    return done


def _one(customer: Customer, now: dt.datetime, lifetime: dt.timedelta, warning: dt.timedelta) -> str | None:
    row = ledger.locked_balance(customer)  # read again under the lock: another run may have been first
    if row.balance <= 0 or row.last_activity_at is None:
        return None
    expires_at = row.last_activity_at + lifetime
    if expires_at <= now:
        ledger.post(customer, -row.balance, EntryKind.EXPIRY, key=f"expiry:{expires_at.isoformat()}", at=now)
        return "expired"
    if expires_at - warning <= now and row.warned_of_expiry_at != expires_at:
        row.warned_of_expiry_at = expires_at
        signals.queue(signals.points_expiring, customer_id=customer.shop_customer_id, customer=customer,
                      points=row.balance, expires_at=expires_at)
        return "warned"
    return None
