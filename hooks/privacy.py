"""What the boundaries keep on one customer (Stripe's stored events, the webhook outbox), and forgetting it."""

from __future__ import annotations

from typing import Any, Iterable

from .outbound import privacy as outbound_privacy
from .stripe import privacy as stripe_privacy


def personal_data(payment_intents: Iterable[str], shop_customer_id: str | None, email: str | None) -> dict[str, Any]:
    """Stripe's events about the customer's payments and the webhook bodies that name them."""
    return {**stripe_privacy.personal_data(payment_intents), **outbound_privacy.personal_data(shop_customer_id, email)}


def forget(payment_intents: Iterable[str], shop_customer_id: str | None, email: str | None) -> dict[str, int]:
    """Blank the customer in both; returns how many stored events and webhook bodies changed."""
    return {"stripe_events": stripe_privacy.forget(payment_intents),
            "webhooks": outbound_privacy.forget(shop_customer_id, email)}
