"""A converted referral's risk score (0-100) and its reasons, in the owner's words.

Self-referral is decisive (score 100: the referral is denied and pays no
one): the friend is the referrer by customer id, by e-mail once normalized
(:func:`normalize_email`), by Stripe customer, by the card that paid (its
fingerprint, asked of Stripe when ``JOURNEYKIT_STRIPE_API_KEY`` is set), or
by a browser (visitor id) both used.  Softer signs only add to the score: a
shipping address shared with the referrer (a household is no fraud on its
own), and a code flagged for a spike of clicks.  More referrals than
``JOURNEYKIT_REFERRAL_MAX_PER_MONTH`` in 30 days send the rest to review.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import stripe
from flask import current_app

from .. import journey, orders
from ..core import settings, stripe_api
from ..core.db import session, utcnow
from .models import Referral, ReferralCode, ReferralStatus

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..orders.models import Order

log = logging.getLogger("journeykit")

#: The score of a self-referral: always denied.
DECISIVE = 100
#: What a shared shipping address adds: below the default review score, so a household alone is never held up.
SHARED_ADDRESS = 30
#: What a code flagged for a spike of clicks adds.
FLAGGED_CODE = 30
#: The period of ``JOURNEYKIT_REFERRAL_MAX_PER_MONTH``.
CAP_DAYS = 30
#: How many of the referrer's latest paid orders are asked of Stripe for their cards and addresses.
REFERRER_ORDERS = 3
#: Providers that ignore dots in the local part (and plus-tags).
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
#: Providers that deliver ``name+tag@`` to ``name@``.
_PLUS_TAGS = frozenset({"outlook.com", "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com",
                        "fastmail.com", "fastmail.fm", "proton.me", "protonmail.com", "pm.me",
                        *_DOTLESS})
#: The reasons the owner reads (a decisive one always comes first).
SAME_CUSTOMER = "The friend is the referrer (same customer)"
SAME_EMAIL = "Same e-mail once normalized"
SAME_STRIPE_CUSTOMER = "Same Stripe customer"
SAME_BROWSER = "The friend's browser is the referrer's (same visitor id)"
SAME_CARD = "Paid with the referrer's card (same card fingerprint)"
SHARED_HOME = "Same shipping address as the referrer (a household, or the referrer)"
UNCHECKED = "The card could not be checked with Stripe"
#: The statuses of referrals that count towards the cap: paid, on their way to being paid, or paid and reversed.
PAYING = (ReferralStatus.REWARDED, ReferralStatus.HELD, ReferralStatus.REVERSED)


def normalize_email(email: str | None) -> str | None:
    """The mailbox an address reaches: lower case; plus-tags dropped where the provider ignores them, dots for Gmail.

    ``J.Doe+shop@GoogleMail.com`` and ``jdoe@gmail.com`` are one mailbox;
    ``j.doe@example.com`` and ``jdoe@example.com`` may not be.
    """
    email = (email or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return email or None
    if domain in _PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain in _DOTLESS:
        local, domain = local.replace(".", ""), _DOTLESS[domain]
    return f"{local}@{domain}" if local else email


def assess(referral: Referral, order: Order, code: ReferralCode) -> tuple[int, list[str]]:
    """Score the friend's order against the referrer: ``(score 0-100, reasons)``; 0 and ``[]`` when nothing is odd.

    Runs inside the conversion's transaction; asks Stripe for cards only
    with an API key (a failure there is a reason, never an error).
    """
    people = journey.customers_by_id([i for i in (referral.referrer_customer_id, referral.friend_customer_id) if i])
    referrer, friend = people.get(referral.referrer_customer_id or 0), people.get(referral.friend_customer_id or 0)
    reasons: list[str] = []
    score = 0
    if referrer is not None:
        # JourneyKit's own records first: a self-referral found there needs no call to Stripe.
        reasons = _same_person(referrer, friend, order) or _payment_signs(referrer, order)
        score = DECISIVE if reasons and reasons[0] not in (SHARED_HOME, UNCHECKED) else 0
        if SHARED_HOME in reasons and score < DECISIVE:
            score += SHARED_ADDRESS
        over = over_cap(referral)
        if over:
            reasons.append(over)
    if code.flagged_at is not None:
        reasons.append(f"The code is flagged: {code.flag_reason or 'unusual clicks'}")
        score += FLAGGED_CODE
    return min(score, DECISIVE), reasons


def _same_person(referrer: Customer, friend: Customer | None, order: Order) -> list[str]:
    """The decisive signs that the friend is the referrer themselves, from JourneyKit's own records."""
    if friend is None:
        shared = ({order.visitor_id} - {None}) & _visitors(referrer)
        return [SAME_BROWSER] if shared else []
    if friend.id == referrer.id:
        return [SAME_CUSTOMER]
    reasons = []
    mine, theirs = normalize_email(referrer.email), normalize_email(friend.email)
    if mine and mine == theirs:
        reasons.append(f"{SAME_EMAIL} ({theirs})")
    if referrer.stripe_customer_id and referrer.stripe_customer_id == friend.stripe_customer_id:
        reasons.append(SAME_STRIPE_CUSTOMER)
    if (_visitors(friend) | ({order.visitor_id} - {None})) & _visitors(referrer):
        reasons.append(SAME_BROWSER)
    return reasons


def _visitors(customer: Customer) -> set[str]:
    return {visitor.id for visitor in customer.visitors}


def _payment_signs(referrer: Customer, order: Order) -> list[str]:
    """Reasons from what Stripe holds of the friend's and the referrer's payments, decisive ones first."""
    if not current_app.config.get("JOURNEYKIT_STRIPE_API_KEY") or not order.payment_intent_id:
        return []
    try:
        friend = payment_details(order.payment_intent_id)
        theirs = [payment_details(other.payment_intent_id) for other in _referrer_orders(referrer)]
    except stripe.StripeError as exc:
        log.warning("journeykit: could not ask Stripe about a referral's payments: %s", exc)
        return [UNCHECKED]
    reasons = []
    if friend["customer"] and friend["customer"] in {referrer.stripe_customer_id, *(o["customer"] for o in theirs)}:
        reasons.append(SAME_STRIPE_CUSTOMER)
    if friend["fingerprint"] and friend["fingerprint"] in {other["fingerprint"] for other in theirs}:
        reasons.append(SAME_CARD)
    if not reasons and friend["address"] and friend["address"] in {other["address"] for other in theirs}:
        reasons.append(SHARED_HOME)
    return reasons


def _referrer_orders(referrer: Customer) -> list[Order]:
    paid = [order for order in orders.orders_of(referrer.id) if order.paid_at is not None and order.payment_intent_id]
    return paid[-REFERRER_ORDERS:]


def payment_details(payment_intent_id: str) -> dict[str, str | None]:
    """A payment's Stripe customer, card fingerprint and shipping address (hashed), as Stripe tells them."""
    intent = stripe_api.client().v1.payment_intents.retrieve(
        payment_intent_id, params={"expand": ["latest_charge"]}).to_dict()
    charge = intent.get("latest_charge") if isinstance(intent.get("latest_charge"), dict) else {}
    card = ((charge.get("payment_method_details") or {}).get("card") or {})
    shipping = intent.get("shipping") or charge.get("shipping") or {}
    customer = intent.get("customer")
    return {"customer": customer if isinstance(customer, str) else None, "fingerprint": card.get("fingerprint") or None,
            "address": address_key(shipping.get("address"))}


def address_key(address: Any) -> str | None:
    """A street address reduced to what identifies it (case, spaces, punctuation ignored), hashed; ``None`` if empty."""
    if not isinstance(address, dict):
        return None
    parts = [address.get(name) for name in ("line1", "line2", "postal_code", "city", "country")]
    text = "|".join("".join(ch for ch in str(part).lower() if ch.isalnum()) for part in parts if part)
    return hashlib.sha256(text.encode()).hexdigest() if address.get("line1") and text else None


def over_cap(referral: Referral) -> str | None:
    """Why the referral is beyond the referrer's cap (``None`` if within it, or no cap).

    Locks the referrer's codes first, so two conversions of one referrer
    count one after the other and never both slip under the cap.
    """
    cap = settings.value("JOURNEYKIT_REFERRAL_MAX_PER_MONTH")
    if not cap or referral.referrer_customer_id is None:
        return None
    session().scalars(sa.select(ReferralCode.id).where(ReferralCode.customer_id == referral.referrer_customer_id)
                      .order_by(ReferralCode.id).with_for_update()).all()
    since = utcnow() - dt.timedelta(days=CAP_DAYS)
    count = session().scalar(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.referrer_customer_id == referral.referrer_customer_id, Referral.id != referral.id,
        Referral.status.in_(PAYING), Referral.created_at >= since)) or 0
    if count < cap:
        return None
    return f"Over the referrer's cap: {count} rewarded referrals in {CAP_DAYS} days (the most is {cap})"

