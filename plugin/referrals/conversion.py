"""A friend's first paid order becomes a referral: checked, scored, rewarded, once; its reversals claw back.

Runs in the orders' handlers, inside the transaction that records the
payment or the reversal, so a referral and the order's state never
disagree.  The code is the checkout's (``metadata.journeykit_referral``),
else the one the buyer's visitor id was attributed to when they paid.
The referral row is inserted once per Checkout Session
(``insert_if_absent``), so duplicates and any arrival order of Stripe's
events convert at most once.  Only a referral that is held or paid counts
as converted: the referrer's journey reaches advocacy and
``referral_converted`` is queued naming them; an unknown or disabled
code, a buyer who had paid before, or a denied one rewards no one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from .. import journey, orders
from ..core import limits, signals
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from . import codes, fraud, links, rewards
from .models import Referral, ReferralCode, ReferralStatus

if TYPE_CHECKING:
    from ..orders.models import Order

#: The journey event logged for the referrer when a referral of theirs converts (advocacy).
CONVERTED = "referral_converted"
#: Statuses of a referral that converted: the referrer earned (or will earn) its reward.
CONVERTED_STATUSES = (ReferralStatus.HELD, ReferralStatus.REWARDED)
#: A friend referred before (converted, or on the way) is not referred again.
TAKEN = (ReferralStatus.REVIEW, ReferralStatus.HELD, ReferralStatus.REWARDED, ReferralStatus.REVERSED)


def on_purchase(order: Order) -> None:
    """``orders.purchase_handlers``: convert the paid order's referral, if it names one (once per checkout)."""
    text = order.referral_code
    code = codes.find(text) if text else links.attributed(order.visitor_id, order.paid_at)
    if not text and code is None:
        return
    code_text = (codes.normalize(text) or text.strip().upper()) if text else code.code  # type: ignore[union-attr]
    values = {
        "checkout_session_id": order.checkout_session_id, "code_id": code.id if code is not None else None,
        "code_text": code_text[:limits.length("journeykit_referrals.code_text")],
        "friend_customer_id": order.customer_id, "status": ReferralStatus.UNKNOWN_CODE, "risk_score": 0,
        "risk_reasons": [], "amount_total": order.amount_total, "amount_reversed": orders.reversed_amount(order),
        "currency": order.currency, "created_at": order.paid_at or utcnow(),
    }
    if not insert_if_absent(Referral.__table__, values, on=["checkout_session_id"]):
        return  # converted already: a duplicate or a retry
    referral = of_order(order)
    if referral is None or code is None or code.disabled_at is not None:
        return  # unknown_code: recorded for the owner, rewards no one
    referral.referrer_customer_id = code.customer_id
    already = _not_new(referral, order)
    if already:
        referral.status, referral.risk_reasons = ReferralStatus.DENIED, [already]
        return
    referral.status = ReferralStatus.REVIEW  # until settled
    referral.risk_score, referral.risk_reasons = fraud.assess(referral, order, code)
    rewards.settle(referral)
    if referral.status in CONVERTED_STATUSES:
        announce(referral, order, code)


def _not_new(referral: Referral, order: Order) -> str | None:
    """Why the buyer cannot be referred (an earlier paid order, or referred before), or ``None``."""
    if order.customer_id is None:
        return None
    earlier = [other for other in orders.orders_of(order.customer_id)
               if other.id != order.id and other.paid_at is not None and order.paid_at is not None
               and other.paid_at <= order.paid_at]
    if earlier:
        return "Already a customer: the friend had paid for an order before"
    referred = session().scalar(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.friend_customer_id == order.customer_id, Referral.id != referral.id, Referral.status.in_(TAKEN)))
    return "Already referred: the friend converted through a referral before" if referred else None


def announce(referral: Referral, order: Order, code: ReferralCode) -> None:
    """The referral converted: the referrer reaches advocacy and ``referral_converted`` is queued (each once).

    Also for the owner's approval of a referral that waited for review
    (:func:`approved`).
    """
    referrer = journey.customers_by_id([code.customer_id]).get(code.customer_id)
    if referrer is None:
        return
    journey.record_event(CONVERTED, customer=referrer, source="server",
                         properties={"code": code.code, "order": order.checkout_session_id}, dedupe_key=f"referral_converted:{order.checkout_session_id}",
                         at=order.paid_at)
    signals.queue(signals.referral_converted, code=code.code, order=order, referrer=referrer.shop_customer_id,
                  referral=referral)


def approved(referral: Referral) -> None:
    """After the owner approved a reviewed referral (``rewards.approve``): announce it if it is now held or paid."""
    if referral.status not in CONVERTED_STATUSES or referral.code_id is None or referral.friend_customer_id is None:
        return
    order = next((found for found in orders.orders_of(referral.friend_customer_id)
                  if found.checkout_session_id == referral.checkout_session_id), None)
    code = session().get(ReferralCode, referral.code_id)
    if order is not None and code is not None:
        announce(referral, order, code)


def of_order(order: Order) -> Referral | None:
    """The referral of the order's checkout, if it named (or was attributed) a code."""
    return session().scalars(sa.select(Referral).where(
        Referral.checkout_session_id == order.checkout_session_id)).first()


def on_reversal(order: Order, before: int, after: int) -> None:
    """``orders.reversal_handlers``: the friend's order lost ``after`` in all; the referrer's reward follows."""
    referral = of_order(order)
    if referral is not None:
        rewards.claw_back(referral, after)
