"""The reviews JSON API: reading, writing and voting (storefront) and moderating (admin)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, request
from marshmallow import Schema, fields, validate

from .. import journey
from ..core import audit, limits, openapi, paging, products, rate_limits
from ..core.admin_access import admin_required
from ..core.db import session
from ..core.errors import Unauthorized, ValidationError
from ..core.identity import current_visitor_id
from ..core.inputs import StrictBoolean, enum_arg, int_arg, load_json
from ..core.signals import commit
from . import lifecycle, listing
from . import (
    policy as review_policy,  # the view below is named policy (endpoint journeykit.api.policy)
)
from .listing import SORTS
from .models import RejectionReason, Review, ReviewStatus
from .schemas import BODY_LENGTH, AdminReviewSchema, OwnReviewSchema, ReviewSchema, SubmitSchema

_PRODUCT_ID = "journeykit_reviews.product_id"


class RejectSchema(Schema):
    reason = fields.Enum(RejectionReason, by_value=True, required=True)


class ReplySchema(Schema):
    body = fields.String(required=True, allow_none=True, validate=validate.Length(max=BODY_LENGTH))


class BulkSchema(Schema):
    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 2**63 - 1)), required=True,
                      validate=validate.Length(min=1, max=200))
    action = fields.String(required=True, validate=validate.OneOf(["publish", "reject"]))
    reason = fields.Enum(RejectionReason, by_value=True, load_default=None)


_public, _own, _admin = ReviewSchema(), OwnReviewSchema(), AdminReviewSchema()
_submit, _reject, _reply, _bulk = SubmitSchema(), RejectSchema(), ReplySchema(), BulkSchema()

@openapi.documented(response=openapi.page(ReviewSchema), query=[
    openapi.query("sort", "Order of the reviews (pinned ones first).", enum=list(SORTS)),
    openapi.query("rating", "Only reviews with this many stars.", type="integer", minimum=1, maximum=5),
    *openapi.paged(default=10, maximum=50),
])
def list_reviews(product_id: str) -> dict[str, Any]:
    """Published reviews of a product: ``?sort=newest|highest|lowest|helpful&rating=5&limit=10&cursor=…``."""
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        raise ValidationError(f"sort must be one of {', '.join(SORTS)}.", fields={"sort": ["Not a valid sort."]})
    stars = int_arg("rating", default=None, low=1, high=5)
    limit = int_arg("limit", default=10, low=1, high=50)
    items, cursor = listing.published_page(product_id, sort, rating=stars, limit=limit, cursor=request.args.get("cursor"))
    return {"items": _public.dump(items, many=True), "next": cursor}


@openapi.documented(response=openapi.json_object(
    product_id={"type": "string"}, average={"type": ["number", "null"]}, count={"type": "integer"},
    histogram={"type": "object", "additionalProperties": {"type": "integer"}, "description": "Reviews per star, \"1\" to \"5\"."},
))
def product_rating(product_id: str) -> dict[str, Any]:
    return lifecycle.rating(product_id)


@openapi.documented(body=SubmitSchema, response=OwnReviewSchema, status=201, also={200: "Your review, edited"},
                    errors={401: "Not signed in as a customer", 404: "No such product (the shop's product loader)"})
def submit_review(product_id: str) -> tuple[dict[str, Any], int]:
    """A shopper writes (or edits) their review; 201 when new, 200 for an edit."""
    if len(product_id) > limits.length(_PRODUCT_ID):
        raise ValidationError(f"A product id may be at most {limits.length(_PRODUCT_ID)} characters long.",
                              fields={"product_id": ["Too long."]})
    products.require(product_id)
    data = load_json(_submit)
    if data.pop("website"):
        raise ValidationError("The review could not be accepted.", error_code="rejected_as_spam")
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None:
        raise Unauthorized("Sign in to write a review.", error_code="customer_required")
    rate_limits.hit("review", "JOURNEYKIT_REVIEWS_RATE_LIMIT", f"shopper:{shopper.customer_id}", f"address:{rate_limits.client_address()}")
    customer = journey.customer_for(shopper)
    data["author"] = data["author"] or lifecycle.author_for(shopper.name)
    review, created = lifecycle.submit(customer, product_id, data)
    commit()
    return _own.dump(review), 201 if created else 200


@openapi.documented(response=openapi.json_object(id={"type": "integer"}, helpful={"type": "integer"}))
def vote_helpful(review_id: int) -> dict[str, Any]:
    """One "helpful" vote per visitor (or customer) and review."""
    review = lifecycle.get(review_id, published_only=True)
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    visitor = current_visitor_id()
    if shopper is None and visitor is None:
        raise ValidationError("Name the visitor (X-JourneyKit-Visitor) to vote.", error_code="anonymous_vote")
    count = lifecycle.vote_helpful(review, lifecycle.voter(shopper.customer_id if shopper else None, visitor))
    commit()
    return {"id": review.id, "helpful": count}


@openapi.documented(response={"application/json": {"type": "object"}})
def policy() -> dict[str, Any]:
    """How reviews are collected and verified, from the live settings (for the public notice)."""
    return review_policy.describe(current_app.config)


@openapi.documented(response=openapi.page(AdminReviewSchema), query=[
    openapi.query("status", "Only reviews in this state.", enum=[status.value for status in ReviewStatus]),
    openapi.query("product", "Only reviews of this product id."),
    *openapi.paged(default=50, maximum=200),
])
@admin_required
def admin_list() -> dict[str, Any]:
    """``?status=pending|published|rejected&product=…``, newest first."""
    query = sa.select(Review)
    status = enum_arg("status", ReviewStatus)
    if status is not None:
        query = query.where(Review.status == status)
    if request.args.get("product"):
        query = query.where(Review.product_id == request.args["product"])
    items, cursor = paging.newest_first(query, Review.id)
    return {"items": _admin.dump(items, many=True), "next": cursor}


#: What the audit log keeps of a review: the owner's decisions, never the author's words or name.
AUDITED = ("status", "rejection_reason", "reply", "pinned", "featured", "published_at")


def _audited(review: Review) -> dict[str, Any]:
    return {name: value for name, value in _admin.dump(review).items() if name in AUDITED}


def _admin_change(review_id: int, action: str, change: Any) -> dict[str, Any]:
    """Apply the owner's ``change`` to a review and log it in the audit log as ``review.<action>``."""
    review = lifecycle.get(review_id)
    before = _audited(review)
    change(review)
    audit.record(f"review.{action}", f"review:{review.id}", before=before, after=_audited(review))
    commit()
    return _admin.dump(review)


@openapi.documented(response=AdminReviewSchema)
@admin_required
def admin_publish(review_id: int) -> dict[str, Any]:
    return _admin_change(review_id, "publish", lifecycle.publish)


@openapi.documented(body=RejectSchema, response=AdminReviewSchema)
@admin_required
def admin_reject(review_id: int) -> dict[str, Any]:
    reason = load_json(_reject)["reason"]
    return _admin_change(review_id, "reject", lambda review: lifecycle.reject(review, reason))


@openapi.documented(body=ReplySchema, response=AdminReviewSchema)
@admin_required
def admin_reply(review_id: int) -> dict[str, Any]:
    """The owner's public reply (``{"body": null}`` removes it)."""
    body = load_json(_reply)["body"]
    return _admin_change(review_id, "reply", lambda review: lifecycle.set_reply(review, body))


@openapi.documented(body=lambda flag: openapi.json_object(required=[flag], **{flag: {"type": "boolean"}}),
                    response=AdminReviewSchema)
@admin_required
def admin_flag(review_id: int, flag: str) -> dict[str, Any]:
    """Pin (shown first) or feature (chosen for testimonials and carousels)."""
    value = load_json(_FLAGS[flag])[flag]
    return _admin_change(review_id, _FLAG_ACTIONS[flag], lambda review: setattr(review, flag, value))


#: Each flag and its action in the audit log (and its path: ``…/pin``, ``…/feature``).
_FLAG_ACTIONS = {"pinned": "pin", "featured": "feature"}
_FLAGS = {name: Schema.from_dict({name: StrictBoolean(required=True)})() for name in _FLAG_ACTIONS}


@openapi.documented(body=BulkSchema, response=openapi.json_object(items={"type": "array", "items": AdminReviewSchema}))
@admin_required
def admin_bulk() -> dict[str, Any]:
    """Publish or reject many reviews at once: ``{"ids": [...], "action": "reject", "reason": "spam"}``."""
    data = load_json(_bulk)
    if data["action"] == "reject" and data["reason"] is None:
        raise ValidationError("Rejecting needs a reason.", fields={"reason": ["Missing data for required field."]})
    found = list(session().scalars(sa.select(Review).where(Review.id.in_(data["ids"])).order_by(Review.id)))
    missing = sorted(set(data["ids"]) - {review.id for review in found})
    if missing:
        raise ValidationError(f"No reviews with ids {missing}.", error_code="review_not_found", fields={"ids": missing})
    for review in found:
        before = _audited(review)
        lifecycle.publish(review) if data["action"] == "publish" else lifecycle.reject(review, data["reason"])
        audit.record(f"review.{data['action']}", f"review:{review.id}", before=before, after=_audited(review))
    commit()
    return {"items": _admin.dump(found, many=True)}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/products/<path:product_id>/reviews", view_func=list_reviews, methods=["GET"])
    bp.add_url_rule("/products/<path:product_id>/reviews", view_func=submit_review, methods=["POST"])
    bp.add_url_rule("/products/<path:product_id>/rating", view_func=product_rating, methods=["GET"])
    bp.add_url_rule("/reviews/<int:review_id>/helpful", view_func=vote_helpful, methods=["POST"])
    bp.add_url_rule("/reviews/policy", view_func=policy, methods=["GET"])
    bp.add_url_rule("/admin/reviews", view_func=admin_list, methods=["GET"])
    bp.add_url_rule("/admin/reviews/bulk", view_func=admin_bulk, methods=["POST"])
    bp.add_url_rule("/admin/reviews/<int:review_id>/publish", view_func=admin_publish, methods=["POST"])
    bp.add_url_rule("/admin/reviews/<int:review_id>/reject", view_func=admin_reject, methods=["POST"])
    bp.add_url_rule("/admin/reviews/<int:review_id>/reply", view_func=admin_reply, methods=["POST"])
    for flag, path in _FLAG_ACTIONS.items():
        bp.add_url_rule(f"/admin/reviews/<int:review_id>/{path}", endpoint=f"admin_{path}", view_func=admin_flag,
                        defaults={"flag": flag}, methods=["POST"])
