"""What the owner reads of the ledger: the points outstanding (the shop's liability), members, and each kind's flow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..core.db import session
from ..core.dialects import count_where
from ..core.figures import within
from ..core.prometheus import grouped, source
from .models import EntryKind, PointsBalance, PointsEntry


def summary(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Balances now, and the points posted in ``[start, end)`` by kind (signed: spent and taken back are negative).

    ``outstanding_points`` is what customers hold and may spend: the shop's
    liability in points.  ``negative_points`` is what customers owe after
    refunds of points they had spent (only with ``JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE``).
    """
    members, outstanding, negative = _balances()
    period = within(PointsEntry.created_at, start, end)
    posted = dict(session().execute(
        sa.select(PointsEntry.kind, sa.func.sum(PointsEntry.points)).where(*period).group_by(PointsEntry.kind)).all())
    earning = session().scalar(sa.select(count_where(PointsEntry.points > 0, PointsEntry.kind != EntryKind.WRITE_OFF,
                                                     distinct=PointsEntry.customer_id)).where(*period))
    return {
        "members": members,
        "outstanding_points": outstanding,
        "negative_points": negative,
        "earning_members": int(earning or 0),
        "posted": {kind.value: int(posted.get(kind, 0)) for kind in EntryKind},
    }


def _balances() -> tuple[int, int, int]:
    """Members, the points they hold (positive balances) and the points owed (negative ones), in one query."""
    balance = PointsBalance.balance
    members, outstanding, negative = session().execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((balance > 0, balance), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((balance < 0, -balance), else_=0)), 0))).one()
    return int(members), int(outstanding), int(negative)


@source("loyalty_points_outstanding", "gauge", "Points customers hold and may spend: the shop's liability in points.")
def _outstanding():
    return [((), _balances()[1])]


@source("loyalty_members", "gauge", "Customers with a points balance.")
def _members():
    return [((), _balances()[0])]


@source("loyalty_points_posted", "gauge", "Net points ever posted, by kind of entry (spent and taken back are negative).",
        ("kind",))
def _posted():
    return grouped(PointsEntry.kind, value=sa.func.sum(PointsEntry.points))
