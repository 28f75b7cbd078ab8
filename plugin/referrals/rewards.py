"""Rewards for referrals: the friend's first-order discount, the referrer's points or coupon, and their clawback.

Everything here runs in the caller's transaction (the conversion's, a
reversal's, the owner's decision), so a referral's status and the points it
moved are never out of step.  Stripe is called with idempotency keys derived
from the friend's checkout, so a retry makes no second coupon; when Stripe
cannot make the referrer's coupon, nothing is given and the referral waits,
held, for the next ``flask journeykit referrals release``.
The referrer is paid once: :func:`settle` decides (deny, review, hold or
pay), :func:`approve` and :func:`release_due` pay what waited, and
:func:`claw_back` takes back ``floor(bonus × reversed ÷ paid)`` in all.  A
referral whose friend's order is fully reversed before it was paid is
never paid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import stripe
from flask import current_app

from .. import journey, loyalty, orders
from ..core import limits, settings, signals, stripe_api
from ..core.config import secret_key
from ..core.db import session, utcnow
from ..core.errors import Conflict, ServiceUnavailable
from . import fraud
from .models import Referral, ReferralCode, ReferralStatus

if TYPE_CHECKING:
    from ..journey.models import Customer

log = logging.getLogger("journeykit")

#: Letters and digits a shopper cannot misread (no 0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def settle(referral: Referral) -> None:
    """Decide a scored referral: denied (self-referral), review (risky, or over the cap), held, or rewarded now.

    Call after :func:`journeykit.referrals.fraud.assess` has set
    ``risk_score`` and ``risk_reasons``.  If Stripe cannot make the
    referrer's coupon, nothing is given and the referral is held, due now:
    ``flask journeykit referrals release`` pays it once Stripe answers (a
    purchase is never refused for it).
    """
    if referral.id is None:
        session().flush()
    if referral.risk_score >= fraud.DECISIVE:
        referral.status = ReferralStatus.DENIED
    elif referral.risk_score >= settings.value("JOURNEYKIT_REFERRAL_REVIEW_SCORE") or fraud.over_cap(referral):
        referral.status = ReferralStatus.REVIEW
    else:
        _accept(referral)


def _accept(referral: Referral, now: dt.datetime | None = None) -> None:
    """Hold the referrer's reward for ``JOURNEYKIT_REFERRAL_HOLD_DAYS`` after the friend's order, or pay it now."""
    now = now or utcnow()
    days = settings.value("JOURNEYKIT_REFERRAL_HOLD_DAYS")
    due = (referral.created_at or now) + dt.timedelta(days=days)
    if days and due > now:
        referral.status, referral.reward_due_at = ReferralStatus.HELD, due
    else:
        _pay(referral, now)


def _pay(referral: Referral, now: dt.datetime) -> None:
    """Give the referrer their coupon and points, less what refunds took already; nothing for a reversed order."""
    if referral.amount_total and referral.amount_reversed >= referral.amount_total:
        referral.status = ReferralStatus.REVERSED
        return
    referrer = _referrer(referral)
    if referrer is not None and settings.value("JOURNEYKIT_REFERRAL_REFERRER_COUPON") and (
            referral.referrer_promotion_code_id is None):
        try:  # first: if Stripe fails, nothing was given yet
            _referrer_coupon(referral, referrer)
        except (stripe.StripeError, ServiceUnavailable) as exc:
            log.error("journeykit: could not make referral %s's coupon; held for the next release: %s",
                      referral.id, exc)
            referral.status, referral.reward_due_at = ReferralStatus.HELD, now
            return
    referral.status, referral.rewarded_at, referral.reward_due_at = ReferralStatus.REWARDED, now, None
    if referrer is not None:
        loyalty.referral_bonus(referrer, _key(referral))
        if referral.amount_reversed:
            loyalty.referral_bonus_reversed(referrer, _key(referral), referral.amount_reversed, referral.amount_total)


def approve(referral: Referral, actor: str) -> None:
    """The owner lets a reviewed referral pay (held first if the hold has not passed); the caller commits.

    Raises 409 ``referral_decided`` unless it waits for review.  If Stripe
    cannot make the referrer's coupon it is held, due now (see :func:`settle`).
    """
    row = _locked(referral)
    if row.status is not ReferralStatus.REVIEW:
        raise Conflict("This referral is not waiting for review.", error_code="referral_decided")
    row.decided_at, row.decided_by = utcnow(), _actor(actor)
    _accept(row)


def deny(referral: Referral, actor: str) -> None:
    """The owner refuses a referral waiting for review or held: its referrer gets nothing; the caller commits."""
    row = _locked(referral)
    if row.status not in (ReferralStatus.REVIEW, ReferralStatus.HELD):
        raise Conflict("This referral is not waiting for a decision.", error_code="referral_decided")
    row.status, row.decided_at, row.decided_by, row.reward_due_at = ReferralStatus.DENIED, utcnow(), _actor(actor), None


def _actor(actor: str) -> str | None:
    return limits.fitted("journeykit_referrals.decided_by", actor, field="the deciding owner", truncate=True)


def release_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Pay every held referral whose hold has passed, each in its own transaction (cron-safe, each once).

    A referral whose coupon Stripe cannot make now stays held for the next
    run (``failed``), as does one whose friend's order is under an open
    dispute (``disputed``); one fully reversed meanwhile pays nothing
    (``reversed``).
    """
    now = now or utcnow()
    done = {"rewarded": 0, "reversed": 0, "failed": 0, "disputed": 0}
    due = list(session().scalars(sa.select(Referral.id).where(
        Referral.status == ReferralStatus.HELD, Referral.reward_due_at <= now).order_by(Referral.id)))
    session().rollback()
    for referral_id in due:
        row = session().scalars(sa.select(Referral).where(Referral.id == referral_id).with_for_update()
                                .execution_options(populate_existing=True)).one()
        if row.status is not ReferralStatus.HELD or row.reward_due_at is None or row.reward_due_at > now:
            session().rollback()
            continue
        if _disputed(row):  # won, a later run pays it; lost, the reversal claws it back before it is paid
            done["disputed"] += 1
            session().rollback()
            continue
        _pay(row, now)
        done[{ReferralStatus.REWARDED: "rewarded", ReferralStatus.REVERSED: "reversed"}.get(row.status, "failed")] += 1
        signals.commit()
    return done


def _disputed(referral: Referral) -> bool:
    """Whether the friend's order is under an open dispute."""
    return referral.friend_customer_id is not None and (
        referral.checkout_session_id in orders.disputed_sessions(referral.friend_customer_id))


def claw_back(referral: Referral, reversed_amount: int) -> None:
    """The friend's order lost ``reversed_amount`` in all (refunds, a lost dispute): take back the reward in proportion.

    Cumulative, as Stripe reports refunds: a smaller or equal figure than
    the last one changes nothing, so duplicates and any arrival order end
    the same.  A paid referral loses ``floor(bonus × reversed ÷ paid)`` of
    its points in all; fully reversed, it is ``reversed`` and its unused
    coupon deactivated.  An unpaid one (held, in review) fully reversed is
    never paid.
    """
    row = _locked(referral)
    amount = min(int(reversed_amount), row.amount_total)
    if amount <= row.amount_reversed:
        return
    row.amount_reversed = amount
    full = amount >= row.amount_total
    if row.status is ReferralStatus.REWARDED:
        referrer = _referrer(row)
        if referrer is not None:
            loyalty.referral_bonus_reversed(referrer, _key(row), amount, row.amount_total)
        if full:
            row.status = ReferralStatus.REVERSED
            _retire_coupon(row)
    elif full and row.status in (ReferralStatus.HELD, ReferralStatus.REVIEW):
        row.status, row.reward_due_at = ReferralStatus.REVERSED, None


def _locked(referral: Referral) -> Referral:
    """The referral's row, read again and locked until the transaction ends: its decisions take turns."""
    if referral.id is None:
        session().flush()
    return session().scalars(sa.select(Referral).where(Referral.id == referral.id).with_for_update()
                             .execution_options(populate_existing=True)).one()


def _referrer(referral: Referral) -> Customer | None:
    if referral.referrer_customer_id is None:
        return None
    return journey.customers_by_id([referral.referrer_customer_id]).get(referral.referrer_customer_id)


def _key(referral: Referral) -> str:
    """The referral's id for loyalty (its bonus entry's key)."""
    return str(referral.id)


def _digest(text: str, length: int = 24) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# --- the referrer's coupon ------------------------------------------------------------------------------------------

def referrer_code(referral: Referral) -> str:
    """The referrer's coupon code: unguessable (keyed by the secret) and the same for every retry of one referral."""
    digest = hmac.new(secret_key(current_app).encode(), f"referral:{referral.checkout_session_id}".encode(),
                      hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    return "JK-R" + "".join(_ALPHABET[(number // len(_ALPHABET) ** i) % len(_ALPHABET)] for i in range(10))


def _referrer_coupon(referral: Referral, referrer: Customer) -> None:
    """A one-time coupon of ``JOURNEYKIT_REFERRAL_REFERRER_COUPON`` and its promotion code, for the referrer only.

    Raises Stripe's error (or 503 without an API key); the idempotency keys
    make a later try get the same objects.
    """
    setting = settings.value("JOURNEYKIT_REFERRAL_REFERRER_COUPON")
    key = f"journeykit-referral-{_digest(referral.checkout_session_id)}"
    metadata = {"journeykit_referral": str(referral.id), "journeykit_customer": str(referrer.id)}
    code = referrer_code(referral)
    api = stripe_api.client()
    coupon = api.v1.coupons.create(params={
        "amount_off": setting["amount_off"], "currency": setting["currency"], "duration": "once",
        "max_redemptions": 1, "name": "Thanks for referring a friend", "metadata": metadata,
    }, options={"idempotency_key": f"{key}-coupon"})
    params: dict[str, Any] = {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code,
                              "max_redemptions": 1, "metadata": metadata}
    if referrer.stripe_customer_id:
        params["customer"] = referrer.stripe_customer_id  # nobody else can use it
    promotion = api.v1.promotion_codes.create(params=params, options={"idempotency_key": f"{key}-code"})
    referral.referrer_coupon_code, referral.referrer_promotion_code_id = code, promotion.id


def _retire_coupon(referral: Referral) -> None:
    """Deactivate the referrer's coupon of a fully reversed referral if unused; else say why in its reasons."""
    if not referral.referrer_promotion_code_id:
        return
    note = None
    try:
        promotion = stripe_api.client().v1.promotion_codes.update(
            referral.referrer_promotion_code_id, params={"active": False}).to_dict()
        if promotion.get("times_redeemed"):
            note = f"The referrer's coupon {referral.referrer_coupon_code} was already used when the order was reversed"
    except (stripe.StripeError, ServiceUnavailable) as exc:
        log.error("journeykit: could not deactivate referral coupon %s: %s", referral.referrer_coupon_code, exc)
        note = f"The referrer's coupon {referral.referrer_coupon_code} could not be deactivated in Stripe: do it there"
    if note:
        referral.risk_reasons = [*(referral.risk_reasons or []), note]


# --- the friend's discount ------------------------------------------------------------------------------------------

def friend_reward() -> dict[str, Any] | None:
    """``JOURNEYKIT_REFERRAL_FRIEND_REWARD`` in force: the friend's discount, or ``None``."""
    return settings.value("JOURNEYKIT_REFERRAL_FRIEND_REWARD") or None


def friend_promotion_code(code: ReferralCode) -> str | None:
    """The Stripe promotion code of the referral code's own text, first-time orders only: made once per reward.

    ``None`` without a friend's reward or for a disabled code.  One coupon
    serves every code of one reward setting (its id is derived from the
    setting).  When the owner changes the reward, the code's old promotion
    code is switched off and one of the new reward made, the next time it is
    needed.  A retry after a lost answer gets the same objects from Stripe
    (idempotency keys).  Commits the stored id.  Raises 503
    ``stripe_unavailable`` / 502 ``stripe_failed``.
    """
    reward = friend_reward()
    if reward is None or code.disabled_at is not None:
        return None
    setting = _digest(json.dumps(reward, sort_keys=True), 16)
    if code.stripe_promotion_code_id and code.friend_reward_key == setting:
        return code.stripe_promotion_code_id
    old = code.stripe_promotion_code_id
    with stripe_api.errors(unavailable="Stripe cannot be reached just now; try again in a moment.",
                           refused="Stripe refused to make the friend's discount code.", what="a referral code call"):
        if old:  # another reward's: Stripe allows one active promotion code per text
            stripe_api.client().v1.promotion_codes.update(old, params={"active": False})
        coupon_id = _friend_coupon(reward, setting)
        promotion = stripe_api.client().v1.promotion_codes.create(params={
            "promotion": {"type": "coupon", "coupon": coupon_id}, "code": code.code,
            "restrictions": {"first_time_transaction": True}, "metadata": {"journeykit_referral_code": code.code},
        }, options={"idempotency_key": f"journeykit-referral-friend-{code.code}-{setting}" + (f"-after-{old}" if old else "")})
    session().execute(sa.update(ReferralCode).where(ReferralCode.id == code.id)
                      .values(stripe_promotion_code_id=promotion.id, friend_reward_key=setting))
    signals.commit()
    session().refresh(code)
    return code.stripe_promotion_code_id


def set_friend_code_active(code: ReferralCode, active: bool) -> None:
    """Switch the friend's Stripe promotion code with its referral code: a disabled code typed at checkout gives
    no discount either.  Nothing to do for a code that never had one; raises 503/502 when Stripe cannot."""
    if not code.stripe_promotion_code_id:
        return
    with stripe_api.errors(unavailable="Stripe cannot be reached just now; nothing was changed. Try again in a moment.",
                           refused="Stripe refused to switch the friend's discount code; nothing was changed.",
                           what="a referral code call"):
        stripe_api.client().v1.promotion_codes.update(code.stripe_promotion_code_id, params={"active": active})


def _friend_coupon(reward: dict[str, Any], setting: str) -> str:
    """The coupon of this reward setting, made once: its id is derived from the setting, so a second try finds it."""
    coupon_id = f"journeykit-referral-friend-{setting}"
    params: dict[str, Any] = {"id": coupon_id, "duration": "once", "name": "A friend's first-order discount"}
    params.update({"percent_off": reward["percent_off"]} if "percent_off" in reward
                  else {"amount_off": reward["amount_off"], "currency": reward["currency"]})
    try:
        stripe_api.client().v1.coupons.create(params=params, options={"idempotency_key": f"{coupon_id}-coupon"})
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_already_exists":
            raise
    return coupon_id
