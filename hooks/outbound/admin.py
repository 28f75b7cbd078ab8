"""The shop owner's outbound webhooks over the JSON API: endpoints, their deliveries, tests and retries.

Every change goes through :mod:`.endpoints` (validated and audited there), as
the owner's page (:mod:`.pages`) does.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response
from marshmallow import Schema, fields

from journeykit.core import openapi
from journeykit.core.admin_access import admin_required
from journeykit.core.db import session
from journeykit.core.inputs import enum_arg, int_arg, load_json

from . import endpoints, pages, signing
from .endpoints import WebhookEndpointInputSchema, WebhookEndpointPatchSchema
from .models import DeliveryStatus, WebhookAttempt, WebhookEndpoint

#: Deliveries shown with an endpoint.
RECENT = 20
#: The most deliveries one page of ``…/deliveries`` lists.
MAX_PAGE = 100


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
    deliveries = fields.Function(
        lambda endpoint: _delivery_schema.dump(endpoints.deliveries(endpoint.id, limit=RECENT), many=True))


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


def _attempts(delivery_id: int) -> list[WebhookAttempt]:
    return list(session().scalars(
        sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)
    ))


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
    endpoint = endpoints.create(load_json(WebhookEndpointInputSchema()))
    session().commit()
    return _detail_schema.dump(endpoint), 201


@openapi.documented(response=WebhookEndpointDetailSchema)
@admin_required
def get_endpoint(endpoint_id: int) -> dict[str, Any]:
    """One endpoint with its signing secret and its latest deliveries."""
    return _detail_schema.dump(endpoints.find(endpoint_id))


@openapi.documented(body=WebhookEndpointPatchSchema, response=WebhookEndpointDetailSchema)
@admin_required
def update_endpoint(endpoint_id: int) -> dict[str, Any]:
    """Change an endpoint's URL, description, event types or state, or rotate its secret.

    ``{"active": false}`` pauses it: nothing is sent, and events meanwhile are not kept for it;
    ``{"active": true}`` resumes it, and what was waiting goes out.
    """
    endpoint = endpoints.find(endpoint_id)
    endpoints.change(endpoint, load_json(WebhookEndpointPatchSchema(partial=True)))
    session().commit()
    return _detail_schema.dump(endpoint)


@openapi.documented(status=204)
@admin_required
def delete_endpoint(endpoint_id: int) -> Response:
    """Remove an endpoint with its undelivered events and its delivery log."""
    endpoints.delete(endpoints.find(endpoint_id))
    session().commit()
    return Response(status=204)


@openapi.documented(response=WebhookDeliveryDetailSchema)
@admin_required
def test_endpoint(endpoint_id: int) -> dict[str, Any]:
    """Send a ``ping`` event to the endpoint now and answer what came of it."""
    return _delivery_detail_schema.dump(endpoints.send_test(endpoints.find(endpoint_id)))


@openapi.documented(response=openapi.page(WebhookDeliverySchema), query=[
    openapi.query("status", "Only deliveries in this state.", enum=[status.value for status in DeliveryStatus]),
    *openapi.paged(default=RECENT, maximum=MAX_PAGE, cursor="before"),
])
@admin_required
def list_deliveries(endpoint_id: int) -> dict[str, Any]:
    """An endpoint's delivery log, newest first (``?status=failed`` for what needs a retry)."""
    endpoint = endpoints.find(endpoint_id)
    limit = int_arg("limit", default=RECENT, low=1, high=MAX_PAGE) or RECENT
    rows = endpoints.deliveries(endpoint.id, status=enum_arg("status", DeliveryStatus),
                                before=int_arg("before", default=None, low=1, high=2**63 - 1), limit=limit + 1)
    shown = rows[:limit]
    following = str(shown[-1].id) if len(rows) > limit else None
    return {"items": _delivery_schema.dump(shown, many=True), "next": following}


@openapi.documented(response=WebhookDeliveryDetailSchema)
@admin_required
def get_delivery(delivery_id: int) -> dict[str, Any]:
    """One delivery: the event sent, its status and every attempt."""
    return _delivery_detail_schema.dump(endpoints.find_delivery(delivery_id))


@openapi.documented(response=WebhookDeliveryDetailSchema)
@admin_required
def retry_delivery(delivery_id: int) -> dict[str, Any]:
    """Try a delivery again now (a failed one, typically, once its endpoint is fixed)."""
    return _delivery_detail_schema.dump(endpoints.retry(endpoints.find_delivery(delivery_id)))


def register_api(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/webhooks", view_func=list_endpoints, methods=["GET"])
    bp.add_url_rule("/admin/webhooks", view_func=create_endpoint, methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", view_func=get_endpoint, methods=["GET"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", view_func=update_endpoint, methods=["PATCH"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", view_func=delete_endpoint, methods=["DELETE"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/test", view_func=test_endpoint, methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/deliveries", view_func=list_deliveries, methods=["GET"])
    bp.add_url_rule("/admin/webhooks/deliveries/<int:delivery_id>", view_func=get_delivery, methods=["GET"])
    bp.add_url_rule("/admin/webhooks/deliveries/<int:delivery_id>/retry", view_func=retry_delivery, methods=["POST"])


#: The owner's page (``{prefix}/admin/webhooks``), registered by the composition root with the others.
register_pages = pages.register
