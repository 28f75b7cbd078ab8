"""Referrals: codes and links, attribution of friends' purchases, double-sided rewards, fraud checks and clawback.

:mod:`.codes` makes and checks the codes (case-insensitive; a customer's
made on first use, or the owner's vanity codes); :mod:`.links` is the link
``{prefix}/r/<code>`` (the click, the visitor's attribution, the landing);
:mod:`.conversion` turns a friend's first paid order into a referral
through the orders' handlers, scored by :mod:`.fraud` and paid or held by
:mod:`.rewards`, whose clawback follows the order's reversals.  The shop's
Python reaches it as ``journey.referrals`` (:class:`Referrals`).

The names below are the referrals' public functions: the other
capabilities, the widgets and the hooks use these and nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import url_for

from .. import journey, loyalty, orders
from ..core import settings, signals
from ..core.db import session
from ..core.errors import APIError
from ..core.identity import is_visitor_id
from . import codes, conversion, links, offer, rewards, spikes
from .codes import live_code, normalize
from .links import attributed_code
from .models import Referral, ReferralCode, ReferralStatus
from .reports import code_owners, headline, real_codes, summary  # the owner's figures (and referrals' Prometheus families)

if TYPE_CHECKING:
    from ..journey.models import Customer

log = logging.getLogger("journeykit")

#: What the shopper's ``pending`` counts: referrals whose reward waits (the owner's review, or the refund window).
PENDING = (ReferralStatus.REVIEW, ReferralStatus.HELD)
#: What the shopper's ``conversions`` counts: friends who bought through their code and were not refused.
CONVERSIONS = (ReferralStatus.REVIEW, ReferralStatus.HELD, ReferralStatus.REWARDED, ReferralStatus.REVERSED)


def install() -> None:
    """Let paid and reversed orders convert referrals and claw back their rewards (once, however many apps)."""
    for handlers, handler in ((orders.purchase_handlers, conversion.on_purchase),
                              (orders.reversal_handlers, conversion.on_reversal)):
        if handler not in handlers:
            handlers.append(handler)


def checkout_referral(referral_code: str | None, visitor_id: str | None,
                      customer_id: Any) -> tuple[str | None, str | None]:
    """For ``journey.checkout_params``: ``(the code for the checkout's metadata, the friend's promotion code id)``.

    The shop's own ``referral_code`` wins, else the live code the visitor
    came through.  The friend's discount (``JOURNEYKIT_REFERRAL_FRIEND_REWARD``:
    a Stripe promotion code for first-time orders, made once) goes only with
    a live code, and never to the code's own customer.  Raises 502/503 when
    Stripe cannot make the promotion code.
    """
    text = referral_code or attributed_code(visitor_id)
    code = codes.live(text) if text else None
    if code is None:
        return referral_code, None
    if customer_id is not None:
        buyer = journey.find_customer(str(customer_id))
        if buyer is not None and buyer.id == code.customer_id:
            return referral_code, None  # one's own code refers no one
    return referral_code or code.code, rewards.friend_promotion_code(code)


def code_of(customer: Customer) -> str:
    """The customer's code in use, made on first use (the caller commits)."""
    return codes.ensure_code(customer.id).code


def for_shopper(customer: Customer) -> dict[str, Any]:
    """Everything one shopper sees of their referrals (``GET /me/referral``); makes their code on first use.

    ``url`` is absolute (the request's host); the caller commits.
    """
    code = codes.ensure_code(customer.id)
    mine = list(session().scalars(sa.select(ReferralCode.id).where(ReferralCode.customer_id == customer.id)))
    statuses = dict(session().execute(
        sa.select(Referral.status, sa.func.count()).where(Referral.referrer_customer_id == customer.id,
                                                           Referral.code_id.is_not(None))
        .group_by(Referral.status)).all())
    coupons = session().scalars(sa.select(Referral).where(
        Referral.referrer_customer_id == customer.id, Referral.referrer_coupon_code.is_not(None))
        .order_by(Referral.id.desc()))
    points = loyalty.referral_points(customer_id=customer.id)
    return {
        "code": code.code,
        "url": url_for("journeykit.referral_link", code=code.code, _external=True),
        "clicks": sum(spikes.clicks_of(code_id) for code_id in mine),
        "conversions": sum(statuses.get(status, 0) for status in CONVERSIONS),
        "pending": sum(statuses.get(status, 0) for status in PENDING),
        "rewards": {
            "points": points["given"] - points["taken_back"],
            "coupons": [{"code": row.referrer_coupon_code, "status": row.status.value, "created_at": row.rewarded_at}
                        for row in coupons],
        },
        "friend_reward": settings.value("JOURNEYKIT_REFERRAL_FRIEND_REWARD") or None,
        "offer": offer.sentence(),
        "friend_offer": offer.friend_words(),
    }


def personal_data(customer_id: int) -> dict[str, Any]:
    """The customer's referral data for a privacy export: their codes, the referrals they brought (no friend named),
    and the referral that brought them, if any."""
    mine = session().scalars(sa.select(ReferralCode).where(ReferralCode.customer_id == customer_id)
                             .order_by(ReferralCode.id))
    brought = session().scalars(sa.select(Referral).where(Referral.referrer_customer_id == customer_id)
                                .order_by(Referral.id))
    by = session().scalars(sa.select(Referral).where(Referral.friend_customer_id == customer_id).order_by(Referral.id))

    def referral(row: Referral) -> dict[str, Any]:
        return {"code": row.code_text, "status": row.status.value, "created_at": row.created_at.isoformat(),
                "amount_total": row.amount_total, "currency": row.currency, "coupon": row.referrer_coupon_code}

    return {"referrals": {
        "codes": [{"code": row.code, "vanity": row.vanity, "created_at": row.created_at.isoformat(),
                   "disabled_at": row.disabled_at.isoformat() if row.disabled_at else None} for row in mine],
        "referred": [referral(row) for row in brought],
        "referred_by": [{"status": row.status.value, "created_at": row.created_at.isoformat()} for row in by],
    }}


def forget(customer_id: int) -> int:
    """Disable the customer's codes and replace their text (a vanity code may name them), in the referrals they
    brought too; the counts stay, anonymous.  The caller commits; returns how many codes were erased."""
    rows = list(session().scalars(sa.select(ReferralCode).where(ReferralCode.customer_id == customer_id)))
    for row in rows:
        _deactivate_friend_code(row)
        erased = f"FORGOTTEN-{row.id}"
        session().execute(sa.update(Referral).where(Referral.code_id == row.id).values(code_text=erased))
        row.code = erased
        codes.set_disabled(row, True)
    return len(rows)


def _deactivate_friend_code(row: ReferralCode) -> None:
    """Best effort while forgetting: the erasure goes on if Stripe cannot switch off the code (the log says which)."""
    try:
        rewards.set_friend_code_active(row, False)
    except APIError as exc:
        log.error("journeykit: the friend's Stripe promotion code %s of a forgotten customer is still active: %s",
                  row.stripe_promotion_code_id, exc.description)


class Referrals:
    """``journey.referrals``: the shop's customers' referral codes, by the shop's own customer ids (app context)."""

    def code_for(self, customer_id: Any) -> str:
        """The customer's referral code, made (and committed) on first use; the same code every later call."""
        customer = journey.ensure_customer(str(customer_id))
        code = code_of(customer)
        signals.commit()
        return code

    def record_click(self, code: str, visitor_id: str, at: dt.datetime | None = None) -> bool:
        """Record a visitor's click on a code's link as ``{prefix}/r/<code>`` does (no request, no bot filter):
        for a shop bringing over its click history.  ``at`` back-dates it.  Commits; ``False`` for a code not in use.
        """
        live = codes.live(code)
        if live is None or not is_visitor_id(visitor_id):
            return False
        links.click(live, visitor_id, at)
        signals.commit()
        return True

    def attributed_code(self, visitor_id: str | None, at: dt.datetime | None = None) -> str | None:
        """The live code a visitor came through (their window open at ``at``, default now), or ``None``."""
        return attributed_code(visitor_id, at)

    def friend_reward(self) -> dict[str, Any] | None:
        """The friend's discount in force (the owner's setting, else ``JOURNEYKIT_REFERRAL_FRIEND_REWARD``): for a
        shop that takes payment without Stripe's promotion codes and applies the discount itself."""
        return rewards.friend_reward()


__all__ = ["CONVERSIONS", "PENDING", "Referrals", "attributed_code", "checkout_referral", "code_of", "code_owners",
           "for_shopper", "forget", "headline", "install", "live_code", "normalize", "offer", "personal_data", "real_codes",
           "summary"]
