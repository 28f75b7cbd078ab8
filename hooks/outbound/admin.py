"""The shop owner's outbound webhooks: endpoints, their deliveries, tests and retries (API and page)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template
from marshmallow import Schema, fields, validate

from journeykit.core import audit, openapi
from journeykit.core.admin_access import admin_required
from journeykit.core.db import get_or_404, session
from journeykit.core.errors import Conflict, ValidationError
from journeykit.core.inputs import StrictBoolean, load_json
from journeykit.core.limits import max_length

from . import outbox, payloads, signing
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

#: Each endpoint multiplies every event's outbox rows: a cap keeps a mistake (or a script) small.
MAX_ENDPOINTS = 20
#: Deliveries shown with an endpoint.
RECENT = 20


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


class WebhookEndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class WebhookDeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.Function(lambda row: row.status.value)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class WebhookAttemptSchema(Schema):
    attempt = fields.Integer()
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    response_excerpt = fields.String(allow_none=True)


class WebhookEndpointDetailSchema(WebhookEndpointSchema):
    #: The signing secret the receiver verifies with.
    secret = fields.Function(lambda endpoint: signing.endpoint_secret(endpoint.secret_seed))
    deliveries = fields.Function(lambda endpoint: _delivery_schema.dump(recent_deliveries(endpoint.id), many=True))


class WebhookDeliveryDetailSchema(WebhookDeliverySchema):
    payload = fields.Function(lambda row: json.loads(row.payload))
    log = fields.Function(lambda row: _attempt_schema.dump(_attempts(row.id), many=True))


class WebhookEndpointListSchema(Schema):
    items = fields.List(fields.Nested(WebhookEndpointSchema))


_endpoint_schema = WebhookEndpointSchema()
_detail_schema = WebhookEndpointDetailSchema()
_delivery_schema = WebhookDeliverySchema()
_delivery_detail_schema = WebhookDeliveryDetailSchema()
_attempt_schema = WebhookAttemptSchema()


def recent_deliveries(endpoint_id: int, limit: int = RECENT) -> list[WebhookDelivery]:
    return list(session().scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)
    ))


def _attempts(delivery_id: int) -> list[WebhookAttempt]:
    return list(session().scalars(
        sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)
    ))


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    return get_or_404(WebhookEndpoint, endpoint_id, "webhook endpoint", "webhook_not_found")


def _delivery(delivery_id: int) -> WebhookDelivery:
    return get_or_404(WebhookDelivery, delivery_id, "webhook delivery", "delivery_not_found")


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """Refuse URLs that are not http(s), carry credentials, or are plain http to a public host."""
    if "url" in data:
        problem = signing.url_problem(data["url"], allow_plain_http=current_app.debug or current_app.testing)
        if problem:
            raise ValidationError("Some fields are not valid.", fields={"url": [problem]})
    if "event_types" in data:
        data["event_types"] = list(dict.fromkeys(data["event_types"]))
    return data


@openapi.documented(response=WebhookEndpointListSchema)
@admin_required
def list_endpoints() -> dict[str, Any]:
    """Every webhook endpoint, oldest first (without secrets: ask for one endpoint)."""
    rows = session().scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return {"items": _endpoint_schema.dump(rows, many=True)}


@openapi.documented(body=WebhookEndpointInputSchema, response=WebhookEndpointDetailSchema, status=201,
                    errors={409: "The shop has all the endpoints it may have"})
@admin_required
def create_endpoint() -> tuple[dict[str, Any], int]:
    """Add an endpoint; the answer carries its signing secret."""
    data = _checked(load_json(WebhookEndpointInputSchema()))
    if session().scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) >= MAX_ENDPOINTS:
        raise Conflict(f"At most {MAX_ENDPOINTS} webhook endpoints.", error_code="too_many_webhooks")
    endpoint = WebhookEndpoint(**data, secret_seed=signing.new_secret_seed())
    session().add(endpoint)
    session().flush()
    audit.record("webhook.create", f"webhook:{endpoint.id}", after=_endpoint_schema.dump(endpoint))
    session().commit()
    return _detail_schema.dump(endpoint), 201


@openapi.documented(response=WebhookEndpointDetailSchema)
@admin_required
def get_endpoint(endpoint_id: int) -> dict[str, Any]:
    """One endpoint with its signing secret and its latest deliveries."""
    return _detail_schema.dump(_endpoint(endpoint_id))


@openapi.documented(body=WebhookEndpointPatchSchema, response=WebhookEndpointDetailSchema)
@admin_required
def update_endpoint(endpoint_id: int) -> dict[str, Any]:
    """Change an endpoint's URL, description, event types or state, or rotate its secret."""
    endpoint = _endpoint(endpoint_id)
    data = _checked(load_json(WebhookEndpointPatchSchema(partial=True)))
    before = _endpoint_schema.dump(endpoint)
    rotated = data.pop("rotate_secret", False)
    if rotated:
        endpoint.secret_seed = signing.new_secret_seed()
    for name, value in data.items():
        setattr(endpoint, name, value)
    after = {**_endpoint_schema.dump(endpoint), **({"secret": "rotated"} if rotated else {})}
    audit.record("webhook.update", f"webhook:{endpoint.id}", before=before, after=after)
    session().commit()
    return _detail_schema.dump(endpoint)


@openapi.documented(status=204)
@admin_required
def delete_endpoint(endpoint_id: int) -> Response:
    """Remove an endpoint with its undelivered events and its delivery log."""
    endpoint = _endpoint(endpoint_id)
    deliveries = sa.select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    # Explicit, not ON DELETE CASCADE: SQLite enforces foreign keys only when asked to.
    session().execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session().execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    audit.record("webhook.delete", f"webhook:{endpoint.id}", before=_endpoint_schema.dump(endpoint))
    session().delete(endpoint)
    session().commit()
    return Response(status=204)


@openapi.documented(response=WebhookDeliveryDetailSchema)
@admin_required
def test_endpoint(endpoint_id: int) -> dict[str, Any]:
    """Send a ``ping`` event to the endpoint now and answer what came of it."""
    endpoint = _endpoint(endpoint_id)
    audit.record("webhook.test", f"webhook:{endpoint.id}")
    session().commit()
    delivery_id = outbox.ping(endpoint.id)
    return _delivery_detail_schema.dump(_delivery(delivery_id))


@openapi.documented(response=WebhookDeliveryDetailSchema)
@admin_required
def get_delivery(delivery_id: int) -> dict[str, Any]:
    """One delivery: the event sent, its status and every attempt."""
    return _delivery_detail_schema.dump(_delivery(delivery_id))


@openapi.documented(response=WebhookDeliveryDetailSchema)
@admin_required
def retry_delivery(delivery_id: int) -> dict[str, Any]:
    """Try a delivery again now (a failed one, typically, once its endpoint is fixed)."""
    delivery = _delivery(delivery_id)
    audit.record("webhook_delivery.retry", f"webhook_delivery:{delivery.id}", before={"status": delivery.status.value})
    session().commit()
    outbox.retry(delivery.id)
    session().expire_all()
    return _delivery_detail_schema.dump(_delivery(delivery_id))


@admin_required
def webhooks_page() -> str:
    endpoints = session().scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    deliveries = {endpoint.id: recent_deliveries(endpoint.id, 10) for endpoint in endpoints}
    return render_template("journeykit/admin/webhooks.html", endpoints=endpoints, deliveries=deliveries,
                           secret=signing.endpoint_secret, event_types=payloads.EVENT_TYPES,
                           not_yet_sent=payloads.NOT_YET_SENT, backlog=outbox.backlog())


def register_api(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/webhooks", view_func=list_endpoints, methods=["GET"])
    bp.add_url_rule("/admin/webhooks", view_func=create_endpoint, methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", view_func=get_endpoint, methods=["GET"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", view_func=update_endpoint, methods=["PATCH"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", view_func=delete_endpoint, methods=["DELETE"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/test", view_func=test_endpoint, methods=["POST"])
    bp.add_url_rule("/admin/webhooks/deliveries/<int:delivery_id>", view_func=get_delivery, methods=["GET"])
    bp.add_url_rule("/admin/webhooks/deliveries/<int:delivery_id>/retry", view_func=retry_delivery, methods=["POST"])


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/webhooks", view_func=webhooks_page, endpoint="webhooks")
