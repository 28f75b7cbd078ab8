"""The one way JourneyKit reaches Stripe's HTTP API: a client built from the shop's settings.

Orders fetch line items and events through it, loyalty and referrals make
promotion codes with it (:func:`errors` turns Stripe's failures into 502/503).
Only a referral's conversion asks it something while a webhook waits (the
cards of the friend's and the referrer's payments), within the timeout.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

import stripe
from flask import current_app

from .errors import BadGateway, ServiceUnavailable

log = logging.getLogger("journeykit")


def client() -> stripe.StripeClient:
    """A Stripe client with ``JOURNEYKIT_STRIPE_API_KEY`` (and ``JOURNEYKIT_STRIPE_API_BASE``).

    Each try waits ``JOURNEYKIT_STRIPE_TIMEOUT`` seconds, not the library's
    80: a shopper is waiting for their discount code.
    """
    key = current_app.config.get("JOURNEYKIT_STRIPE_API_KEY")
    if not key:
        raise ServiceUnavailable(
            "This needs Stripe's API: set JOURNEYKIT_STRIPE_API_KEY.", error_code="stripe_api_key_missing"
        )
    base = current_app.config.get("JOURNEYKIT_STRIPE_API_BASE")
    timeout = current_app.config["JOURNEYKIT_STRIPE_TIMEOUT"]
    return stripe.StripeClient(key, base_addresses={"api": base} if base else None, max_network_retries=2,
                               http_client=stripe.new_default_http_client(timeout=timeout))


def is_unavailable(exc: stripe.StripeError) -> bool:
    """Whether a Stripe failure is a passing one (down, slow, throttled, our key refused) rather than a refusal."""
    return isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.AuthenticationError,
                            stripe.PermissionError)) or (exc.http_status or 0) >= 500


@contextlib.contextmanager
def errors(*, unavailable: str, refused: str, what: str = "a call") -> Iterator[None]:
    """Stripe's failures as the caller's 503 ``stripe_unavailable`` or 502 ``stripe_failed`` (details go to the log).

    ``unavailable`` and ``refused`` are the messages the shopper or owner
    reads; each should say that nothing changed.
    """
    try:
        yield
    except stripe.StripeError as exc:
        log.error("journeykit: Stripe refused %s: %s", what, exc)
        if is_unavailable(exc):
            raise ServiceUnavailable(unavailable, error_code="stripe_unavailable") from exc
        raise BadGateway(refused, error_code="stripe_failed") from exc
