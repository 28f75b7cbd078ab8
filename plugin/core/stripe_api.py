"""The one way JourneyKit reaches Stripe's HTTP API: a client built from the shop's settings.

Orders fetch line items and events through it, loyalty makes promotion
codes with it; neither ever calls it on a webhook's acknowledgement path.
"""

from __future__ import annotations

import stripe
from flask import current_app

from .errors import ServiceUnavailable


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
