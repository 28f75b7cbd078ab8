"""Paying for an order: real Stripe Checkout with test keys, else the offline demo.

With ``STRIPE_SECRET_KEY`` and ``STRIPE_WEBHOOK_SECRET`` in the environment the
buyer goes to Stripe's hosted checkout, and Stripe tells JourneyKit about the
payment through its webhook (``stripe listen --forward-to …/journeykit/stripe/webhook``).

Offline (the default) there is no Stripe: the pay button builds the same
``checkout.session.completed`` event Stripe would send, signs it with the
webhook secret, and delivers it to JourneyKit's real webhook endpoint.  So the
whole journey, from first visit to purchase, runs through the same code on one
machine with no network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for

from journeykit.core.config import as_list
from journeykit.testing import StripeEvents, deliver

from .models import DiscountCode, Order, db, utcnow

#: The webhook signing secret of the offline demo (no real Stripe account behind it).
OFFLINE_WEBHOOK_SECRET = "whsec_demo_journeykit_offline_not_a_real_secret"
#: Stripe's placeholder, filled in by Stripe when it redirects back.
SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


class PaymentError(Exception):
    """The payment could not be completed; the message is safe to show the buyer."""


def stripe_key() -> str | None:
    """The shop's Stripe secret key, when the demo runs against real Stripe (test mode)."""
    return current_app.config.get("DEMOSHOP_STRIPE_SECRET_KEY")


def start_checkout(order: Order, *, visitor_id: str | None, referral_code: str | None) -> str:
    """Take payment for ``order``; returns where to send the buyer next.

    Real Stripe: the hosted checkout page.  Offline: the order is paid on the
    spot and the buyer goes straight to the order-complete page.
    """
    if stripe_key():
        return _stripe_checkout(order, visitor_id=visitor_id, referral_code=referral_code)
    complete_offline(order, visitor_id=visitor_id, referral_code=referral_code)
    return url_for("shop.order_complete", order_id=order.id)


def _stripe_checkout(order: Order, *, visitor_id: str | None, referral_code: str | None) -> str:
    import stripe  # noqa: PLC0415 - only needed with real keys

    journey = current_app.extensions["journeykit"].journey
    # JourneyKit's parameters name the buyer and the products, so the webhook can
    # credit the purchase to the right customer and join their anonymous visits.
    params: dict[str, Any] = journey.checkout_params(
        customer_id=order.customer_id,
        email=order.email,
        products=order.skus,
        visitor_id=visitor_id,
        referral_code=referral_code,
    )
    params.setdefault("metadata", {})["shop_order"] = str(order.id)
    params.setdefault("customer_email", order.email)
    # Loyalty codes are Stripe promotion codes when the demo runs with Stripe keys: shoppers enter them on Stripe's page.
    params.setdefault("allow_promotion_codes", True)
    success = url_for("shop.order_complete", order_id=order.id, _external=True)
    session = stripe.checkout.Session.create(
        api_key=stripe_key(),
        mode="payment",
        line_items=[
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": line.unit_price_cents,
                    "product_data": {
                        "name": line.product.name,
                        "metadata": {"sku": line.product.sku},
                    },
                },
            }
            for line in order.lines
        ],
        success_url=f"{success}?session_id={SESSION_PLACEHOLDER}",
        cancel_url=url_for("shop.cart_page", _external=True),
        **params,
    )
    order.stripe_session_id = session.id
    db.session.commit()
    return str(session.url)


def confirm_stripe_return(order: Order, session_id: str | None) -> None:
    """When the buyer comes back from Stripe, mark the shop's order paid if Stripe says so."""
    key = stripe_key()
    if order.status == "paid" or not key or not session_id or session_id != order.stripe_session_id:
        return
    import stripe  # noqa: PLC0415

    session = stripe.checkout.Session.retrieve(session_id, api_key=key)
    if session.payment_status in ("paid", "no_payment_required"):
        mark_paid(order, utcnow())


def webhook_secret() -> str:
    """The first configured webhook secret: the one the offline demo signs with."""
    return as_list(current_app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"])[0]


def webhook_path() -> str:
    return current_app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/") + "/stripe/webhook"


def complete_offline(
    order: Order,
    *,
    visitor_id: str | None = None,
    referral_code: str | None = None,
    when: dt.datetime | None = None,
) -> None:
    """Pay ``order`` without Stripe: deliver a signed ``checkout.session.completed`` to JourneyKit.

    ``when`` back-dates the event (the seed's past purchases).  Raises
    :class:`PaymentError` if JourneyKit's webhook does not accept the event;
    the order then stays pending, as it would if Stripe never confirmed it.
    """
    when = when or utcnow()
    event = StripeEvents(clock=when.timestamp).checkout_completed(
        amount_total=order.total_cents,
        currency=order.currency,
        customer_id=str(order.customer_id) if order.customer_id is not None else None,
        email=order.email,
        name=order.name,
        products=order.skus,
        visitor_id=visitor_id,
        referral_code=referral_code,
    )
    checkout_session = event["data"]["object"]
    checkout_session["metadata"]["shop_order"] = str(order.id)
    order.stripe_session_id = checkout_session["id"]
    # Commit before delivering: the webhook runs as a request of its own, with
    # its own session, and SQLite lets one writer in at a time.
    db.session.commit()
    response = deliver(
        current_app.test_client(), event, secret=webhook_secret(), path=webhook_path()
    )
    if not 200 <= response.status_code < 300:
        current_app.logger.warning(
            "JourneyKit's webhook answered %s to %s: %s",
            response.status_code,
            event["id"],
            response.get_data(as_text=True)[:300],
        )
        raise PaymentError(
            "The payment could not be confirmed "
            f"(JourneyKit's webhook answered {response.status_code})."
        )
    mark_paid(order, when)


def mark_paid(order: Order, when: dt.datetime) -> None:
    order.status = "paid"
    order.paid_at = when
    db.session.commit()
    used = db.session.scalars(sa.select(DiscountCode).where(DiscountCode.order_id == order.id)).first()
    if used is not None:  # JourneyKit closes the code (it no longer comes back as points when it expires)
        current_app.extensions["journeykit"].journey.loyalty.code_used(used.code)


def loyalty_code(customer_id: str, reward: dict[str, Any], *, key: str, expires_at: dt.datetime | None = None) -> str:
    """The offline demo's own discount code for points redeemed (JourneyKit's ``code_maker``).

    The same ``key`` (a retried request) makes the same code; the shop's
    secret keeps other shoppers from working one out.
    """
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{customer_id}:{key}".encode(), hashlib.sha256)
    code = f"HEARTH-{reward['amount_off'] // 100}-{digest.hexdigest()[:8].upper()}"
    if db.session.scalars(sa.select(DiscountCode).where(DiscountCode.code == code)).first() is None:
        db.session.add(DiscountCode(code=code, customer_id=int(customer_id), amount_off_cents=reward["amount_off"],
                                    expires_at=expires_at))
    return code


def friend_discount(email: str | None, visitor_id: str, at: dt.datetime | None = None) -> int:
    """Cents off a referred friend's first order, offline (with real Stripe, JourneyKit's promotion code does it).

    The shop's own rule, like the promotion code's: a visitor JourneyKit
    attributes to a live code (they followed a referral link; a made-up
    ``?ref=`` is not enough) with no paid order here yet.  Whether the
    referrer is rewarded is JourneyKit's decision, from the webhook.
    """
    referrals = current_app.extensions["journeykit"].journey.referrals
    reward = referrals.friend_reward()
    if stripe_key() or not reward or reward.get("currency") != "usd":
        return 0
    if not referrals.attributed_code(visitor_id, at):
        return 0
    if email and db.session.scalars(sa.select(Order.id).where(Order.email == email, Order.status == "paid")).first():
        return 0
    return int(reward["amount_off"])


def usable_code(text: str, customer_id: int | None) -> DiscountCode | None:
    """The customer's unused, unexpired discount code ``text`` (any case), if there is one."""
    code = db.session.scalars(sa.select(DiscountCode).where(DiscountCode.code == text.strip().upper())).first()
    if code is None or customer_id != code.customer_id or code.order_id is not None:
        return None
    expires = code.expires_at
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=dt.timezone.utc)) <= utcnow():
        return None
    return code
