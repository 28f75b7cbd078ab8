"""marshmallow schemas of the JSON API, declared once for validation and output."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from .identity import VISITOR_ID_PATTERN

EVENT_NAME = validate.Regexp(
    r"^[a-z][a-z0-9_.:-]{0,63}$", error="Use 1 to 64 lower-case letters, digits, _ . : or -."
)
#: At most this many events in one ``POST /api/v1/events``.
MAX_EVENTS_PER_BATCH = 50


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String())


class ErrorSchema(Schema):
    """The one error shape of the JSON API."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class EventSchema(Schema):
    """One journey event sent by a storefront."""

    name = fields.String(required=True, validate=EVENT_NAME)
    product_id = fields.String(load_default=None, validate=validate.Length(min=1, max=255))
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

    id = fields.String(attribute="shop_customer_id")
    email = fields.String()
    name = fields.String()
    stripe_customer_id = fields.String()
    stage = fields.Function(lambda customer: customer.stage.value)
    stage_changed_at = fields.DateTime()
    created_at = fields.DateTime()


class CustomerPageSchema(Schema):
    """A page of customers, newest first; ``next`` is the cursor of the following page."""

    items = fields.List(fields.Nested(CustomerSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class LoyaltySchema(Schema):
    """``GET /api/v1/me/loyalty``."""

    balance = fields.Integer(required=True)
    tier = fields.String(required=True)
    history = fields.List(fields.Dict(), required=True)


class PhotoSchema(Schema):
    """A review photo as the storefront shows it (only photos the owner did not hide)."""

    id = fields.Integer()
    url = fields.Function(lambda photo: url_for("journeykit.review_photo", photo_id=photo.id, _external=True))
    width = fields.Integer()
    height = fields.Integer()


class AdminPhotoSchema(PhotoSchema):
    """A review photo as the owner sees it: hidden ones too."""

    hidden = fields.Boolean()
    content_type = fields.String()
    size_bytes = fields.Integer()
