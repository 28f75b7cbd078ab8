"""What the outbox holds on one customer, and forgetting it.

Each webhook body keeps the customer as the shop knows them (its id and the
e-mail, see :mod:`.payloads`): forgetting blanks those in every stored body,
so a retry sends nobody's details.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from journeykit.core.db import session

from .models import WebhookDelivery


def _naming(shop_customer_id: str | None, email: str | None) -> list[WebhookDelivery]:
    needles = [json.dumps(value) for value in (shop_customer_id, email) if value]
    if not needles:
        return []
    return list(session().scalars(sa.select(WebhookDelivery).where(
        sa.or_(*(WebhookDelivery.payload.contains(needle) for needle in needles))).order_by(WebhookDelivery.id)))


def _names(value: Any, names: set[Any]) -> bool:
    return isinstance(value, dict) and set(value) <= {"id", "email"} and bool({value.get("id"), value.get("email")} & names)


def _blank(value: Any, names: set[Any]) -> Any:
    """``value`` with every ``customer`` that names the person made anonymous, and the words of their reviews."""
    if _names(value, names):
        return {"id": None, "email": None}
    if isinstance(value, dict):
        blanked = {key: _blank(item, names) for key, item in value.items()}
        if _names(value.get("customer"), names) and "author" in value:  # a review of theirs
            blanked.update(author=None, title=None, body=None)
        return blanked
    if isinstance(value, list):
        return [_blank(item, names) for item in value]
    return value


def personal_data(shop_customer_id: str | None, email: str | None) -> dict[str, Any]:
    """The webhook bodies that name the customer."""
    return {"webhooks": [json.loads(delivery.payload) for delivery in _naming(shop_customer_id, email)]}


def forget(shop_customer_id: str | None, email: str | None) -> int:
    """Blank the customer in every stored webhook body; returns how many bodies changed."""
    names = {value for value in (shop_customer_id, email) if value}
    deliveries = _naming(shop_customer_id, email)
    for delivery in deliveries:
        delivery.payload = json.dumps(_blank(json.loads(delivery.payload), names))
    return len(deliveries)
