"""marshmallow schemas of the journey's JSON API: storefront events and customers, declared once for validation, output and OpenAPI."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..core.identity import VISITOR_ID_PATTERN
from ..core.limits import max_length

EVENT_NAME = validate.Regexp(
    r"^[a-z][a-z0-9_.:-]{0,63}$", error="Use 1 to 64 lower-case letters, digits, _ . : or -."
)
#: At most this many events in one ``POST /api/v1/events``.
MAX_EVENTS_PER_BATCH = 50


class EventSchema(Schema):
    """One journey event sent by a storefront."""

    name = fields.String(required=True, validate=EVENT_NAME)
    product_id = fields.String(load_default=None, validate=max_length("journeykit_journey_events.product_id", min=1))
    properties = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), load_default=dict)


class EventBatchSchema(Schema):
    """A batch of events, as the embed script sends them (``navigator.sendBeacon``-friendly).

    A beacon cannot set headers, so the visitor id and the customer token may
    come in the body instead; the headers win when both are sent.
    """

    visitor_id = fields.String(
        load_default=None, validate=validate.Regexp(VISITOR_ID_PATTERN, error="Use 16 to 64 URL-safe characters.")
    )
    customer_token = fields.String(load_default=None, validate=validate.Length(min=1, max=4096))

    events = fields.List(
        fields.Nested(EventSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_EVENTS_PER_BATCH),
    )


class EventsAcceptedSchema(Schema):
    """The answer to a batch: how many events were stored, and how many dropped (bots)."""

    accepted = fields.Integer(required=True)
    ignored = fields.Integer(required=True)


class CustomerSchema(Schema):
    """A customer as the admin API shows it."""

    id = fields.String(attribute="shop_customer_id", allow_none=True)
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    stripe_customer_id = fields.String(allow_none=True)
    stage = fields.Function(lambda customer: customer.stage.value)
    stage_changed_at = fields.DateTime()
    created_at = fields.DateTime()


class CustomerPageSchema(Schema):
    """A page of customers, newest first; ``next`` is the cursor of the following page."""

    items = fields.List(fields.Nested(CustomerSchema), required=True)
    next = fields.String(allow_none=True, required=True)
