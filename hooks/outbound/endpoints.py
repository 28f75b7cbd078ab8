"""The owner's webhook endpoints: the functions that alone change them and their deliveries.

The admin API (:mod:`.admin`) and the owner's page (:mod:`.pages`) both go
through these, so a change made on either is validated and audited alike:
``webhook.create``, ``webhook.update`` (``webhook.pause`` and
``webhook.resume`` when only the state changes), ``webhook.delete``,
``webhook.test`` and ``webhook_delivery.retry``.  The caller commits, except
for :func:`send_test` and :func:`retry`, which commit before they send.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, fields, validate

from journeykit.core import audit
from journeykit.core.db import get_or_404, session
from journeykit.core.errors import Conflict, ValidationError
from journeykit.core.inputs import StrictBoolean
from journeykit.core.limits import max_length

from . import outbox, payloads, signing
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

#: Each endpoint multiplies every event's outbox rows: a cap keeps a mistake (or a script) small.
MAX_ENDPOINTS = 20


class WebhookEndpointInputSchema(Schema):
    url = fields.String(required=True, validate=max_length("journeykit_webhook_endpoints.url", min=1))
    description = fields.String(load_default="", validate=max_length("journeykit_webhook_endpoints.description"))
    #: Empty: every event type.
    event_types = fields.List(fields.String(validate=validate.OneOf(payloads.EVENT_TYPES)),
                              load_default=list, validate=validate.Length(max=len(payloads.EVENT_TYPES)))
    active = StrictBoolean(load_default=True)


class WebhookEndpointPatchSchema(WebhookEndpointInputSchema):
    #: ``true``: a new signing secret, in force at once (also for retries of pending deliveries).
    rotate_secret = StrictBoolean()


def find(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint, or a 404."""
    return get_or_404(WebhookEndpoint, endpoint_id, "webhook endpoint", "webhook_not_found")


def find_delivery(delivery_id: int) -> WebhookDelivery:
    """The delivery, or a 404."""
    return get_or_404(WebhookDelivery, delivery_id, "webhook delivery", "delivery_not_found")


def checked(data: dict[str, Any]) -> dict[str, Any]:
    """Refuse URLs that are not http(s), carry credentials, or are plain http to a public host (422)."""
    if "url" in data:
        problem = signing.url_problem(data["url"], allow_plain_http=current_app.debug or current_app.testing)
        if problem:
            raise ValidationError("Some fields are not valid.", fields={"url": [problem]})
    if "event_types" in data:
        data["event_types"] = list(dict.fromkeys(data["event_types"]))
    return data


def snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint (never its secret)."""
    return {"id": endpoint.id, "url": endpoint.url, "description": endpoint.description,
            "event_types": list(endpoint.event_types or []), "active": endpoint.active}


def create(data: dict[str, Any]) -> WebhookEndpoint:
    """Add an endpoint from loaded input (:class:`WebhookEndpointInputSchema`) with a fresh signing secret."""
    data = checked(dict(data))
    if session().scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) >= MAX_ENDPOINTS:
        raise Conflict(f"At most {MAX_ENDPOINTS} webhook endpoints.", error_code="too_many_webhooks")
    endpoint = WebhookEndpoint(**data, secret_seed=signing.new_secret_seed())
    session().add(endpoint)
    session().flush()
    audit.record("webhook.create", f"webhook:{endpoint.id}", after=snapshot(endpoint))
    return endpoint


def change(endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
    """Change an endpoint's URL, description, event types or state, or rotate its secret (``rotate_secret``)."""
    data = checked(dict(data))
    before = snapshot(endpoint)
    rotated = data.pop("rotate_secret", False)
    if rotated:
        endpoint.secret_seed = signing.new_secret_seed()
    for name, value in data.items():
        setattr(endpoint, name, value)
    after = {**snapshot(endpoint), **({"secret": "rotated"} if rotated else {})}
    action = "webhook.update"
    if set(data) == {"active"} and not rotated:  # pausing and resuming read as such in the log
        action = "webhook.resume" if endpoint.active else "webhook.pause"
    audit.record(action, f"webhook:{endpoint.id}", before=before, after=after)
    return endpoint


def set_active(endpoint: WebhookEndpoint, active: bool) -> bool:
    """Pause (nothing is sent, events meanwhile are not kept) or resume an endpoint; whether anything changed."""
    if endpoint.active == active:  # a second click: nothing to do, nothing to log
        return False
    change(endpoint, {"active": active})
    return True


def delete(endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its undelivered events and its delivery log."""
    deliveries = sa.select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    # Explicit, not ON DELETE CASCADE: SQLite enforces foreign keys only when asked to.
    session().execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session().execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    audit.record("webhook.delete", f"webhook:{endpoint.id}", before=snapshot(endpoint))
    session().delete(endpoint)


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` event to the endpoint now (paused or not) and return its delivery, as it came out."""
    audit.record("webhook.test", f"webhook:{endpoint.id}")
    session().commit()
    delivery_id = outbox.ping(endpoint.id)
    session().expire_all()
    return find_delivery(delivery_id)


def retry(delivery: WebhookDelivery) -> WebhookDelivery:
    """Try a delivery again now, whatever its status, and return it as it came out."""
    audit.record("webhook_delivery.retry", f"webhook_delivery:{delivery.id}",
                 before={"status": delivery.status.value})
    session().commit()
    outbox.retry(delivery.id)
    session().expire_all()
    return find_delivery(delivery.id)


def deliveries(endpoint_id: int, *, status: DeliveryStatus | None = None, before: int | None = None,
               limit: int = 20) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first; ``before``: older than that delivery id (the next page)."""
    query = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list(session().scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def latest_deliveries(endpoint_ids: list[int], limit: int) -> dict[int, list[WebhookDelivery]]:
    """Each endpoint's ``limit`` newest deliveries, newest first, in one statement (not one per endpoint).

    A UNION of one small ``LIMIT`` per endpoint, so each branch reads only its
    endpoint's newest rows however many deliveries are kept.
    """
    if not endpoint_ids:
        return {}
    newest = [sa.select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
              .order_by(WebhookDelivery.id.desc()).limit(limit).subquery().select() for endpoint_id in endpoint_ids]
    query = sa.select(WebhookDelivery).where(WebhookDelivery.id.in_(sa.union_all(*newest)))
    found: dict[int, list[WebhookDelivery]] = {endpoint_id: [] for endpoint_id in endpoint_ids}
    for delivery in session().scalars(query.order_by(WebhookDelivery.id.desc())):
        found[delivery.endpoint_id].append(delivery)
    return found


def delivery_counts() -> dict[tuple[int, DeliveryStatus], int]:
    """How many deliveries each endpoint has in each status: ``{(endpoint_id, status): n}``."""
    rows = session().execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count())
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    ).all()
    return {(endpoint_id, status): count for endpoint_id, status, count in rows}
