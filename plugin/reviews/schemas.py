"""marshmallow schemas of reviews and their photos, declared once for validation, output and OpenAPI."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from ..core.inputs import storable
from ..core.limits import max_length

#: The most characters a review's text may have (a policy: the column itself is unbounded).
BODY_LENGTH = 5000


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


class ReviewSchema(Schema):
    """A review as the storefront shows it (INTERFACE.md's page of reviews)."""

    id = fields.Integer()
    product_id = fields.String()
    rating = fields.Integer()
    title = fields.String()
    body = fields.String()
    author = fields.String()
    verified = fields.Boolean()
    incentivised = fields.Boolean()
    imported = fields.Function(lambda review: review.imported_from is not None)
    helpful = fields.Integer(attribute="helpful_count")
    pinned = fields.Boolean()
    featured = fields.Boolean()
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    #: When the author last edited it (a second review of the product edits the first); ``None``: never.
    edited_at = fields.DateTime(allow_none=True, metadata={"description": "When the author last edited it; null: never."})
    reply = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(PhotoSchema), attribute="visible_photos")


class OwnReviewSchema(ReviewSchema):
    """A review as its author sees it after writing or editing it: with its moderation ``status``."""

    status = fields.Function(lambda review: review.status.value, metadata={"enum": ["published", "pending", "rejected"]})


class AdminReviewSchema(ReviewSchema):
    photos = fields.List(fields.Nested(AdminPhotoSchema))
    status = fields.Function(lambda review: review.status.value)
    rejection_reason = fields.Function(lambda review: review.rejection_reason.value if review.rejection_reason else None)
    customer_id = fields.Function(lambda review: review.customer.shop_customer_id)


class SubmitSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    title = fields.String(load_default="", validate=[max_length("journeykit_reviews.title"), storable])
    body = fields.String(required=True, validate=[validate.Length(min=1, max=BODY_LENGTH), storable])
    author = fields.String(load_default=None, validate=[max_length("journeykit_reviews.author", min=1), storable])
    #: The honeypot: hidden from people by the form, filled in by bots.
    website = fields.String(load_default="")
