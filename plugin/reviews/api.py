"""The reviews JSON API: reading, writing and voting (storefront) and moderating (admin)."""

from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa
from flask import Blueprint, current_app, request
from marshmallow import Schema, fields, validate

from ..core import openapi, paging, read_cache, read_versions, settings
from ..core.admin_access import admin_required
from ..core.errors import ValidationError
from ..core.identity import current_visitor_id
from ..core.inputs import StrictBoolean, int_arg, load_json
from ..core.signals import commit
from . import admin_queue, authoring, lifecycle, listing, moderation
from . import (
    policy as review_policy,  # the view below is named policy (endpoint journeykit.api.policy)
)
from .listing import SORTS
from .models import ProductRating, RejectionReason, Review, ReviewPhoto, ReviewStatus
from .schemas import BODY_LENGTH, AdminReviewSchema, OwnReviewSchema, ReviewSchema, SubmitSchema


class RejectSchema(Schema):
    reason = fields.Enum(RejectionReason, by_value=True, required=True)


class ReplySchema(Schema):
    body = fields.String(required=True, allow_none=True, validate=validate.Length(max=BODY_LENGTH))


class BulkSchema(Schema):
    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 2**63 - 1)), required=True,
                      validate=validate.Length(min=1, max=moderation.BULK_MOST))
    action = fields.String(required=True, validate=validate.OneOf(["publish", "reject", "undo"]))
    reason = fields.Enum(RejectionReason, by_value=True, load_default=None)


_public, _own, _admin = ReviewSchema(), OwnReviewSchema(), AdminReviewSchema()
_submit, _reject, _reply, _bulk = SubmitSchema(), RejectSchema(), ReplySchema(), BulkSchema()

# What the storefront's reads of a product draw from (the reviews, their photos, the rating): any change to
# them, by any write path, gives ``reviews:<product id>`` a new version (:mod:`journeykit.core.read_cache`).
# Helpful votes reach the storefront through ``Review.helpful_count`` alone.
read_versions.watch(Review, read_versions.REVIEWS, key=Review.product_id)
read_versions.watch(ReviewPhoto, read_versions.REVIEWS, key=Review.product_id, through=ReviewPhoto.review)
read_versions.watch(ProductRating, read_versions.REVIEWS, key=ProductRating.product_id)


def _product_scope(product_id: str) -> list[str]:
    return [read_versions.scope(read_versions.REVIEWS, product_id)]


@openapi.documented(response=openapi.page(ReviewSchema), query=[
    openapi.query("sort", "Order of the reviews (pinned ones first).", enum=list(SORTS)),
    openapi.query("rating", "Only reviews with this many stars.", type="integer", minimum=1, maximum=5),
    *openapi.paged(default=10, maximum=50),
])
@read_cache.public(_product_scope, read_cache.LIVELY)
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
@read_cache.public(_product_scope, read_cache.LIVELY)
def product_rating(product_id: str) -> dict[str, Any]:
    return lifecycle.rating(product_id)


@openapi.documented(body=SubmitSchema, response=OwnReviewSchema, status=201, also={200: "Your review, edited"},
                    errors={401: "Not signed in as a customer", 404: "No such product (the shop's product loader)"})
def submit_review(product_id: str) -> tuple[dict[str, Any], int]:
    """A shopper writes their review; 201 when new, 200 when it edits theirs (one review per shopper and product).

    An edit replaces the rating and text, carries ``edited_at``, and goes
    through moderation again (``status`` says where it stands).
    """
    authoring.check_product(product_id)
    data = load_json(_submit)
    review, created = authoring.write(current_app.extensions["journeykit"].journey.current_shopper(), product_id, data)
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
    return review_policy.describe(settings.in_force())


@openapi.documented(response=openapi.page(AdminReviewSchema), query=[
    openapi.query("status", "Only reviews in this state (all: any state, the default).",
                  enum=[*(status.value for status in ReviewStatus), admin_queue.ALL]),
    openapi.query("rating", "Only reviews with this many stars.", type="integer", minimum=1, maximum=5),
    openapi.query("verified", "1: only verified buyers' reviews; 0: only the others.", type="integer", enum=[0, 1]),
    openapi.query("photos", "1: only reviews with photos (hidden ones too); 0: only those without.",
                  type="integer", enum=[0, 1]),
    openapi.query("product", "Only reviews of this product id."),
    openapi.query("q", "Only reviews whose title, text, author or product id contains this (any case).",
                  maxLength=admin_queue.SEARCH_LENGTH),
    *openapi.paged(default=50, maximum=200),
])
@admin_required
def admin_list() -> dict[str, Any]:
    """``?status=pending&rating=1&verified=1&photos=1&product=…&q=…``, newest first (an empty value: any)."""
    query = admin_queue.Filters.from_args(request.args).where(sa.select(Review))
    items, cursor = paging.newest_first(query, Review.id)
    return {"items": _admin.dump(listing.with_customers(items), many=True), "next": cursor}


def _admin_change(review_id: int, decide: Callable[[Review], Review]) -> dict[str, Any]:
    """Apply one of the owner's decisions (:mod:`.moderation`, which audits it) to a review, and commit."""
    review = decide(lifecycle.get(review_id))
    commit()
    return _admin.dump(review)


@openapi.documented(response=AdminReviewSchema)
@admin_required
def admin_publish(review_id: int) -> dict[str, Any]:
    return _admin_change(review_id, moderation.publish)


@openapi.documented(body=RejectSchema, response=AdminReviewSchema)
@admin_required
def admin_reject(review_id: int) -> dict[str, Any]:
    reason = load_json(_reject)["reason"]
    return _admin_change(review_id, lambda review: moderation.reject(review, reason))


@openapi.documented(body=ReplySchema, response=AdminReviewSchema)
@admin_required
def admin_reply(review_id: int) -> dict[str, Any]:
    """The owner's public reply (``{"body": null}`` removes it)."""
    body = load_json(_reply)["body"]
    return _admin_change(review_id, lambda review: moderation.reply(review, body))


@openapi.documented(body=lambda flag: openapi.json_object(required=[flag], **{flag: {"type": "boolean"}}),
                    response=AdminReviewSchema)
@admin_required
def admin_flag(review_id: int, flag: str) -> dict[str, Any]:
    """Pin (shown first) or feature (chosen for testimonials and carousels)."""
    value = load_json(_FLAGS[flag])[flag]
    return _admin_change(review_id, lambda review: moderation.flag(review, flag, value))


_FLAGS = {name: Schema.from_dict({name: StrictBoolean(required=True)})() for name in moderation.FLAG_ACTIONS}


@openapi.documented(response=AdminReviewSchema, errors={
    404: "No such review", 409: "Nothing to undo, or the review changed after that decision"})
@admin_required
def admin_undo(review_id: int) -> dict[str, Any]:
    """Undo the owner's last decision on the review (publish, reject, reply, pin or feature): one step, audited.

    The review goes back to its status, reason, reply and flags before that
    decision; 409 when there is none, when it was itself an undo, or when the
    review changed since (the author edited it, or another decision came in).
    """
    return _admin_change(review_id, moderation.undo)


@openapi.documented(body=BulkSchema, response=openapi.json_object(items={"type": "array", "items": AdminReviewSchema}),
                    errors={409: "A review to undo has nothing to undo, or changed since"})
@admin_required
def admin_bulk() -> dict[str, Any]:
    """Publish, reject or undo many reviews at once, all or none: ``{"ids": [...], "action": "reject", "reason": "spam"}``.

    Rejecting needs a ``reason`` (there is no default); one unknown id is a 422 and changes nothing.
    """
    data = load_json(_bulk)
    found = moderation.bulk(data["ids"], data["action"], data["reason"])
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
    bp.add_url_rule("/admin/reviews/<int:review_id>/undo", view_func=admin_undo, methods=["POST"])
    for flag, path in moderation.FLAG_ACTIONS.items():
        bp.add_url_rule(f"/admin/reviews/<int:review_id>/{path}", endpoint=f"admin_{path}", view_func=admin_flag,
                        defaults={"flag": flag}, methods=["POST"])
