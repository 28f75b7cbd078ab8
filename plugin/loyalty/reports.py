"""What the owner reads of the ledger: the points outstanding and their value (the shop's liability), members,
who earns and redeems, the discount codes, each kind's flow, and the members by balance."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any, Iterable

import sqlalchemy as sa

from ..core import paging
from ..core.db import session
from ..core.dialects import count_where
from ..core.figures import within
from ..core.prometheus import grouped, source
from . import program
from .models import EntryKind, PointsBalance, PointsEntry, Redemption, RedemptionStatus

#: The entries that are a customer earning points: not the shop's corrections or imports, nor codes given back.
EARNING = (EntryKind.PURCHASE, EntryKind.AWARD, EntryKind.REVIEW, EntryKind.SIGNUP, EntryKind.BIRTHDAY,
           EntryKind.REFERRAL)


def summary(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Balances now, and what happened in ``[start, end)``: points posted by kind (signed), who earned and redeemed.

    ``outstanding_points`` is what customers hold and may spend: the shop's
    liability in points; ``outstanding_value`` is its worth in money per
    currency (:func:`liability`), ``None`` when the shop offers no rewards to
    value it by.  ``negative_points`` is what customers owe after refunds of
    points they had spent (only with ``JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE``).
    ``codes`` counts the discount codes bought with points: issued in the
    period, used and returned (cancelled or expired unused) in the period, and
    ``open`` now with the amount off they still promise.
    """
    members, outstanding, negative = _balances()
    period = within(PointsEntry.created_at, start, end)
    posted = dict(session().execute(
        sa.select(PointsEntry.kind, sa.func.sum(PointsEntry.points)).where(*period).group_by(PointsEntry.kind)).all())
    earning, redeeming = session().execute(sa.select(
        count_where(PointsEntry.points > 0, PointsEntry.kind.in_(EARNING), distinct=PointsEntry.customer_id),
        count_where(PointsEntry.kind == EntryKind.REDEMPTION, distinct=PointsEntry.customer_id)).where(*period)).one()
    rates = redemption_rates()
    return {
        "members": members,
        "outstanding_points": outstanding,
        "outstanding_value": liability(outstanding, rates) if rates else None,
        "redemption_rates": rates,
        "negative_points": negative,
        "earning_members": int(earning or 0),
        "redeeming_members": int(redeeming or 0),
        "codes": _codes(start, end),
        "posted": {kind.value: int(posted.get(kind, 0)) for kind in EntryKind},
    }


def referral_points(start: dt.datetime | None = None, end: dt.datetime | None = None, *,
                    customer_id: int | None = None) -> dict[str, int]:
    """Referral bonus points posted in ``[start, end)``: ``given`` to referrers and ``taken_back`` by clawbacks.

    Apart, not netted (as :func:`summary`'s ``posted`` is), so the owner sees
    what referrals paid and what refunds of the friends' orders took back.
    ``customer_id``: one referrer's only (their ``/me/referral``).
    """
    points = PointsEntry.points
    given, taken = session().execute(sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((points > 0, points), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((points < 0, -points), else_=0)), 0))
        .where(PointsEntry.kind == EntryKind.REFERRAL, *within(PointsEntry.created_at, start, end),
               *([PointsEntry.customer_id == customer_id] if customer_id is not None else []))).one()
    return {"given": int(given), "taken_back": int(taken)}


def redemption_rates() -> dict[str, dict[str, int]]:
    """The reward with the best rate in each currency, as ``{"points": …, "amount_off": …}`` (minor units).

    The best, because a customer holding many points would pick it: the
    liability is what they could take at most.  Rates are compared exactly
    (as fractions), never as floats.
    """
    best: dict[str, dict[str, int]] = {}
    for reward in program.rewards():  # what shoppers are offered, so the liability follows any change to it
        held = best.get(reward["currency"])
        rate = Fraction(reward["amount_off"], reward["points"])
        if held is None or rate > Fraction(held["amount_off"], held["points"]):
            best[reward["currency"]] = {"points": reward["points"], "amount_off": reward["amount_off"]}
    return dict(sorted(best.items()))


def liability(points: int, rates: dict[str, dict[str, int]] | None = None) -> dict[str, int]:
    """What ``points`` are worth in each currency, in minor units, rounded down.

    ``points × amount_off ÷ the reward's points``, in integers only (a
    fraction of a cent is never owed); empty when the shop offers no rewards.
    """
    rates = redemption_rates() if rates is None else rates
    return {currency: points * rate["amount_off"] // rate["points"] for currency, rate in rates.items()}


def _codes(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, Any]:
    """Discount codes bought with points: issued, used and returned in the period, and still open now."""
    closed = within(Redemption.closed_at, start, end)
    issued = session().scalar(sa.select(sa.func.count()).select_from(Redemption)
                              .where(*within(Redemption.created_at, start, end)))
    used, returned = session().execute(sa.select(
        count_where(Redemption.status == RedemptionStatus.USED),
        count_where(Redemption.status == RedemptionStatus.RETURNED)).where(*closed)).one()
    open_codes = session().execute(
        sa.select(Redemption.currency, sa.func.count(), sa.func.sum(Redemption.amount_off))
        .where(Redemption.status == RedemptionStatus.ISSUED).group_by(Redemption.currency)).all()
    return {"issued": int(issued or 0), "used": int(used or 0), "returned": int(returned or 0),
            "open": sum(int(count) for _, count, _ in open_codes),
            "open_amount_off": {currency: int(amount or 0) for currency, _, amount in sorted(open_codes)}}


def _balances() -> tuple[int, int, int]:
    """Members, the points they hold (positive balances) and the points owed (negative ones), in one query."""
    balance = PointsBalance.balance
    members, outstanding, negative = session().execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((balance > 0, balance), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((balance < 0, -balance), else_=0)), 0))).one()
    return int(members), int(outstanding), int(negative)


#: The owner's list of members: highest balance first, then the newest customer (keyset paging keys).
BALANCE_ORDER: list[paging.Key] = [(PointsBalance.balance, True), (PointsBalance.customer_id, True)]


def members_page(*, cursor: str | None, limit: int,
                 only: Iterable[int] | None = None) -> tuple[list[PointsBalance], str | None]:
    """One page of members' balance rows in :data:`BALANCE_ORDER` (only the customers ``only``), and the next cursor."""
    query = sa.select(PointsBalance)
    if only is not None:
        query = query.where(PointsBalance.customer_id.in_(list(only)))
    return paging.page(query, BALANCE_ORDER, limit=limit, cursor=cursor, scalars=session().scalars)


@source("loyalty_points_outstanding", "gauge", "Points customers hold and may spend: the shop's liability in points.")
def _outstanding():
    return [((), _balances()[1])]


@source("loyalty_liability_minor_units", "gauge",
        "The points outstanding valued at the best reward in each currency, in minor units (none without rewards).",
        ("currency",))
def _liability():
    return [((currency,), value) for currency, value in liability(_balances()[1]).items()]


@source("loyalty_members", "gauge", "Customers with a points balance.")
def _members():
    return [((), _balances()[0])]


@source("loyalty_points_posted", "gauge", "Net points ever posted, by kind of entry (spent and taken back are negative).",
        ("kind",))
def _posted():
    return grouped(PointsEntry.kind, value=sa.func.sum(PointsEntry.points))
