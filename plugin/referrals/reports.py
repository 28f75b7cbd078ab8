"""What the owner reads of referrals: clicks, conversions by status, the revenue referred friends brought, rewards
paid and clawed back, the top advocates, the viral coefficient, and the ``journeykit_referral_*`` Prometheus families.

A referral *counts* when the checkout named a real code (one in the code
table, checked at conversion) and no rule or owner denied it:
:data:`COUNTED`.  Unknown codes (whatever a shop or a forged link passed
as ``referral_code``) and self-referrals are shown by status but never
counted as referred buyers, revenue or advocates.  A period is
``[start, end)`` on the referral's conversion time (the friend's order
paid); ``None`` leaves a side open.  Money stays in integer minor units per
currency, never summed across currencies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import sqlalchemy as sa

from .. import journey, loyalty, orders
from ..core.db import session
from ..core.dialects import count_where
from ..core.figures import share, within
from ..core.prometheus import grouped, source
from . import codes
from .models import Referral, ReferralCode, ReferralStatus

#: The journey event a referral link's click logs (once per visitor per day).
CLICKED = "referral_clicked"
#: Conversions through a real code that nothing refused: waiting for review, held, paid, or paid then refunded.
COUNTED = (ReferralStatus.REVIEW, ReferralStatus.HELD, ReferralStatus.REWARDED, ReferralStatus.REVERSED)
#: Advocates on the owner's page and in the summary.
TOP = 5


def _in(start: dt.datetime | None, end: dt.datetime | None) -> list[sa.ColumnElement[bool]]:
    return within(Referral.created_at, start, end)


def headline(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Clicks, referred buyers (counted referrals), the clicks that bought, and the viral coefficient.

    The viral coefficient is the counted referrals converted in the period ÷
    the buyers of the period (:func:`journeykit.orders.buyers`): the new
    buyers each buyer brought through a real code; above 1, every buyer
    brings in more than one new one.  ``None`` when there is nothing to
    divide by.  The metrics' sales summary and dashboard read these.
    """
    clicks = journey.count_events(CLICKED, start, end)
    referred = session().scalar(sa.select(sa.func.count()).select_from(Referral)
                                .where(Referral.status.in_(COUNTED), *_in(start, end))) or 0
    return {"clicks": clicks, "referred_buyers": int(referred), "conversion": share(referred, clicks),
            "viral_coefficient": share(referred, orders.buyers(start, end))}


def summary(start: dt.datetime | None = None, end: dt.datetime | None = None, *, top: int = TOP) -> dict[str, Any]:
    """Every referral figure of ``[start, end)``: :func:`headline`, conversions by status, revenue, rewards, advocates.

    ``revenue`` is per currency what the counted friends' first orders paid
    (``gross``), less what refunds and lost disputes took back (``net``).
    ``rewards``: referrals paid in the period (``paid``; ``coupons`` of them
    with the referrer's coupon), the referral points loyalty gave and took
    back in the period, the counted referrals whose order was refunded in
    part (``clawed_back``) or in full (``reversed``), and, now, those held
    for the refund window and waiting for review.
    """
    by_status = dict(session().execute(sa.select(Referral.status, sa.func.count()).where(*_in(start, end))
                                       .group_by(Referral.status)).all())
    return {
        **headline(start, end),
        "conversions": {status.value: int(by_status.get(status, 0)) for status in ReferralStatus},
        "revenue": revenue(start, end),
        "rewards": rewards(start, end),
        "top_advocates": top_advocates(start, end, limit=top),
        "flagged_codes": len(flagged_codes()),
    }


def revenue(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Per currency: counted referred orders, their ``gross`` and ``net`` (after refunds) amounts, exact."""
    rows = session().execute(
        sa.select(Referral.currency, sa.func.count(), sa.func.sum(Referral.amount_total),
                  sa.func.sum(Referral.amount_reversed))
        .where(Referral.status.in_(COUNTED), *_in(start, end)).group_by(Referral.currency))
    return {currency: {"orders": int(count), "gross": int(gross), "net": int(gross) - int(taken)}
            for currency, count, gross, taken in sorted(rows)}


def rewards(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, int]:
    """What referrals paid and took back (see :func:`summary`)."""
    paid, coupons = session().execute(sa.select(
        sa.func.count(), count_where(Referral.referrer_coupon_code.is_not(None)))
        .where(*within(Referral.rewarded_at, start, end))).one()
    clawed, reversed_ = session().execute(sa.select(
        count_where(Referral.amount_reversed > 0, Referral.status != ReferralStatus.REVERSED),
        count_where(Referral.status == ReferralStatus.REVERSED))
        .where(Referral.status.in_(COUNTED), *_in(start, end))).one()
    held, review = session().execute(sa.select(
        count_where(Referral.status == ReferralStatus.HELD),
        count_where(Referral.status == ReferralStatus.REVIEW))).one()
    points = loyalty.referral_points(start, end)
    return {"paid": int(paid or 0), "coupons": int(coupons or 0), "points_given": points["given"],
            "points_taken_back": points["taken_back"], "clawed_back": int(clawed or 0), "reversed": int(reversed_ or 0),
            "held": int(held or 0), "in_review": int(review or 0)}


def top_advocates(start: dt.datetime | None = None, end: dt.datetime | None = None, *,
                  limit: int = TOP) -> list[dict[str, Any]]:
    """The referrers with the most counted referrals in the period: their code, referrals and net revenue per currency.

    Ties go to the referrer whose first counted referral came first.
    """
    counted = [Referral.status.in_(COUNTED), Referral.referrer_customer_id.is_not(None), *_in(start, end)]
    leaders = session().execute(
        sa.select(Referral.referrer_customer_id, sa.func.count(), sa.func.min(Referral.id))
        .where(*counted).group_by(Referral.referrer_customer_id)
        .order_by(sa.func.count().desc(), sa.func.min(Referral.id)).limit(limit)).all()
    ids = [row[0] for row in leaders]
    money: dict[int, dict[str, int]] = {}
    for customer_id, currency, net in session().execute(
            sa.select(Referral.referrer_customer_id, Referral.currency,
                      sa.func.sum(Referral.amount_total - Referral.amount_reversed))
            .where(*counted, Referral.referrer_customer_id.in_(ids))
            .group_by(Referral.referrer_customer_id, Referral.currency)):
        money.setdefault(customer_id, {})[currency] = int(net)
    customers, codes = journey.customers_by_id(ids), codes_in_use(ids)
    return [{"customer": customers[customer_id].shop_customer_id, "email": customers[customer_id].email,
             "name": customers[customer_id].name, "code": codes.get(customer_id), "referrals": int(count),
             "revenue": dict(sorted(money.get(customer_id, {}).items()))}
            for customer_id, count, _ in leaders]


def codes_in_use(customer_ids: Iterable[int]) -> dict[int, str]:
    """Each customer's code in use (the newest not disabled), by JourneyKit's customer id."""
    rows = session().execute(sa.select(ReferralCode.customer_id, ReferralCode.code)
                             .where(ReferralCode.customer_id.in_(list(customer_ids)),
                                    ReferralCode.disabled_at.is_(None))
                             .order_by(ReferralCode.id))
    return {customer_id: code for customer_id, code in rows}  # the newest wins


def flagged_codes(limit: int = 50) -> list[ReferralCode]:
    """Codes flagged for a spike of clicks and still enabled, the latest flagged first."""
    return list(session().scalars(sa.select(ReferralCode).where(
        ReferralCode.flagged_at.is_not(None), ReferralCode.disabled_at.is_(None))
        .order_by(ReferralCode.flagged_at.desc(), ReferralCode.id.desc()).limit(limit)))


def code_owners(stored: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Whose each code is (codes as stored, e.g. from :func:`real_codes`): ``customer`` (the shop's id), ``email``,
    ``name``, for the owner's pages to name the person behind a code rather than show the code alone."""
    rows = session().execute(sa.select(ReferralCode.code, ReferralCode.customer_id)
                             .where(ReferralCode.code.in_(set(stored)))).all()
    customers = journey.customers_by_id(customer_id for _, customer_id in rows)
    return {code: {"customer": owner.shop_customer_id, "email": owner.email, "name": owner.name}
            for code, customer_id in rows if (owner := customers.get(customer_id)) is not None}


def real_codes(values: Iterable[str | None]) -> dict[str, str]:
    """Which of ``values`` (codes as people's events or checkouts named them) are referral codes: value -> CODE.

    Codes are case-insensitive and stored upper-case; anything else (unknown,
    malformed, ``None``) is left out, so a figure built on the result counts
    only real, checked codes.
    """
    wanted = {value: code for value in values if (code := codes.normalize(value)) is not None}
    known = set(session().scalars(sa.select(ReferralCode.code).where(ReferralCode.code.in_(set(wanted.values())))))
    return {value: code for value, code in wanted.items() if code in known}


# -- Prometheus -----------------------------------------------------------------


@source("referral_clicks", "counter", "Referral link clicks (once per visitor per code and day; bots left out).")
def _clicks():
    return [((), journey.count_events(CLICKED))]


@source("referral_conversions", "counter", "Referred friends' first paid orders, by the referral's status now.",
        ("status",))
def _conversions():
    return grouped(Referral.status)


@source("referral_revenue_minor_units", "counter",
        "What counted referred friends' first orders paid, less refunds, in the currency's minor unit.", ("currency",))
def _revenue():
    return [((currency,), money["net"]) for currency, money in revenue().items()]


@source("referral_rewards", "counter", "Referrals whose referrer was rewarded (points or a coupon).")
def _rewarded():
    return [((), session().scalar(sa.select(sa.func.count()).where(Referral.rewarded_at.is_not(None))) or 0)]


@source("referral_points", "counter", "Referral bonus points given to referrers and taken back by refunds.",
        ("direction",))
def _points():
    points = loyalty.referral_points()
    return [(("given",), points["given"]), (("taken_back",), points["taken_back"])]


@source("referral_codes", "gauge", "Referral codes by state: enabled, disabled, flagged (enabled, clicks spiking).",
        ("state",))
def _codes():
    enabled, disabled, flagged = session().execute(sa.select(
        count_where(ReferralCode.disabled_at.is_(None)), count_where(ReferralCode.disabled_at.is_not(None)),
        count_where(ReferralCode.flagged_at.is_not(None), ReferralCode.disabled_at.is_(None)))
        .select_from(ReferralCode)).one()
    return [(("enabled",), int(enabled or 0)), (("disabled",), int(disabled or 0)), (("flagged",), int(flagged or 0))]
