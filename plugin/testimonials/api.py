"""The testimonials JSON API: the collection form and the wall (storefront), curation (admin)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from flask import Blueprint, current_app, request
from marshmallow import Schema, fields, validate

from .. import journey, reviews
from ..core import audit, openapi, paging, rate_limits, read_cache, read_versions
from ..core.admin_access import admin_required
from ..core.db import session
from ..core.errors import ValidationError
from ..core.inputs import NOT_BLANK, StrictBoolean, enum_arg, int_arg, load_json
from ..core.limits import max_length
from ..core.signals import commit
from . import lifecycle
from .models import Testimonial, TestimonialStatus, TestimonialTag

#: Tags are short slugs, so they read well in URLs (``?tag=b2b``) and match exactly.
TAG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$", error="A tag is 1 to 32 lowercase letters, digits, '-' or '_'.")


class TestimonialSchema(Schema):
    """A testimonial as the wall shows it."""

    id = fields.Integer()
    body = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    featured = fields.Boolean()
    created_at = fields.DateTime()


class OwnTestimonialSchema(TestimonialSchema):
    """A testimonial as its author sees it after sending it: with its curation ``status``."""

    status = fields.Function(lambda testimonial: testimonial.status.value, metadata={"enum": ["pending", "published"]})


class AdminTestimonialSchema(TestimonialSchema):
    status = fields.Function(lambda testimonial: testimonial.status.value)
    position = fields.Integer(allow_none=True)
    consent_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    source_review_id = fields.Integer(allow_none=True)
    customer_id = fields.Function(lambda t: t.customer.shop_customer_id if t.customer else None)


class CollectSchema(Schema):
    body = fields.String(required=True, validate=[validate.Length(min=1, max=2000), NOT_BLANK])
    name = fields.String(required=True, validate=[max_length("journeykit_testimonials.name", min=1), NOT_BLANK])
    role = fields.String(load_default=None, allow_none=True, validate=max_length("journeykit_testimonials.role"))
    company = fields.String(load_default=None, allow_none=True, validate=max_length("journeykit_testimonials.company"))
    consent = StrictBoolean(required=True, validate=validate.Equal(True, error="Consent is needed to show it."))
    #: The honeypot: hidden from people by the form, filled in by bots.
    website = fields.String(load_default="")


class CurateSchema(Schema):
    featured = StrictBoolean()
    position = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 100_000))
    tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=20))


_public, _own, _admin = TestimonialSchema(), OwnTestimonialSchema(), AdminTestimonialSchema()
_collect, _curate = CollectSchema(), CurateSchema()

# The wall's scope of the read cache: any change to a testimonial or its tags gives it a new version.
read_versions.watch(Testimonial, read_versions.TESTIMONIALS)
read_versions.watch(TestimonialTag, read_versions.TESTIMONIALS)


@openapi.documented(body=CollectSchema, response=OwnTestimonialSchema, status=201)
def collect() -> tuple[dict[str, Any], int]:
    """The collection form: stored pending, by an identified shopper or anonymously (collected by link)."""
    data = load_json(_collect)
    if data.pop("website"):
        raise ValidationError("The testimonial could not be accepted.", error_code="rejected_as_spam")
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    keys = [f"address:{rate_limits.client_address()}", *([f"shopper:{shopper.customer_id}"] if shopper else [])]
    rate_limits.hit("testimonial", "JOURNEYKIT_TESTIMONIALS_RATE_LIMIT", *keys)
    customer = journey.customer_for(shopper)
    testimonial = lifecycle.collect(data, customer)
    commit()
    return _own.dump(testimonial), 201


@openapi.documented(response=openapi.page(TestimonialSchema), query=[
    openapi.query("tag", "Only testimonials with this tag."),
    openapi.query("featured", "1: only featured ones.", type="integer", enum=[0, 1]),
    *openapi.paged(default=12, maximum=50),
])
@read_cache.public(lambda: [read_versions.TESTIMONIALS], read_cache.LIVELY)
def wall() -> dict[str, Any]:
    """Published testimonials, pinned first: ``?tag=…&featured=1&limit=12&cursor=…``."""
    tag = request.args.get("tag")
    if tag is not None and TAG.regex.match(tag) is None:
        raise ValidationError("Not a valid tag.", fields={"tag": [TAG.error]})
    featured = int_arg("featured", default=0, low=0, high=1)
    limit = int_arg("limit", default=12, low=1, high=50)
    query = lifecycle.wall_query(tag=tag, featured_only=bool(featured))
    items, cursor = paging.page(query, lifecycle.WALL_ORDER, limit=limit, cursor=request.args.get("cursor"),
                                scalars=session().scalars)
    return {"items": _public.dump(items, many=True), "next": cursor}


@openapi.documented(response=openapi.page(AdminTestimonialSchema), query=[
    openapi.query("status", "Only testimonials in this state.", enum=[status.value for status in TestimonialStatus]),
    *openapi.paged(default=50, maximum=200),
])
@admin_required
def admin_list() -> dict[str, Any]:
    """``?status=pending|published|rejected``, newest first."""
    query = sa.select(Testimonial).options(orm.selectinload(Testimonial.customer))
    status = enum_arg("status", TestimonialStatus)
    if status is not None:
        query = query.where(Testimonial.status == status)
    items, cursor = paging.newest_first(query, Testimonial.id)
    return {"items": _admin.dump(items, many=True), "next": cursor}


#: What the audit log keeps of a testimonial: the owner's decisions, never the author's words or name.
AUDITED = ("status", "featured", "position", "tags", "published_at")


def _audited(testimonial: Testimonial) -> dict[str, Any]:
    return {name: value for name, value in _admin.dump(testimonial).items() if name in AUDITED}


def admin_change(testimonial_id: int, action: str, change: Any) -> dict[str, Any]:
    """Apply the owner's ``change`` to a testimonial and log it in the audit log as ``testimonial.<action>``."""
    testimonial = lifecycle.get(testimonial_id)
    before = _audited(testimonial)
    change(testimonial)
    audit.record(f"testimonial.{action}", f"testimonial:{testimonial.id}", before=before, after=_audited(testimonial))
    commit()
    return _admin.dump(testimonial)


@openapi.documented(response=AdminTestimonialSchema)
@admin_required
def admin_publish(testimonial_id: int) -> dict[str, Any]:
    return admin_change(testimonial_id, "publish", lifecycle.publish)


@openapi.documented(response=AdminTestimonialSchema)
@admin_required
def admin_reject(testimonial_id: int) -> dict[str, Any]:
    return admin_change(testimonial_id, "reject", lifecycle.reject)


@openapi.documented(body=CurateSchema, response=AdminTestimonialSchema)
@admin_required
def admin_curate(testimonial_id: int) -> dict[str, Any]:
    """``{"featured": true, "position": 1, "tags": ["b2b"]}``, any of them; ``"position": null`` unpins."""
    changes = load_json(_curate)
    if not changes:
        raise ValidationError("Send featured, position or tags.", error_code="nothing_to_change")
    return admin_change(testimonial_id, "curate", lambda testimonial: lifecycle.curate(testimonial, changes))


@openapi.documented(response=AdminTestimonialSchema, status=201, errors={409: "The review is already a testimonial"})
@admin_required
def admin_promote(review_id: int) -> tuple[dict[str, Any], int]:
    """Turn a published review into a published testimonial (once per review)."""
    testimonial = promote(review_id)
    commit()
    return _admin.dump(testimonial), 201


def promote(review_id: int) -> Testimonial:
    """Promote the review (:func:`.lifecycle.promote`) and audit it as ``review.promote``; the caller commits."""
    testimonial = lifecycle.promote(reviews.get(review_id))
    audit.record("review.promote", f"review:{review_id}", after={"testimonial": testimonial.id, **_audited(testimonial)})
    return testimonial


def register(bp: Blueprint) -> None:
    """Add the routes; endpoints are prefixed ``testimonials_`` (the reviews API has an ``admin_list`` too)."""
    routes = [
        ("/testimonials", collect, "POST"),
        ("/testimonials", wall, "GET"),
        ("/admin/testimonials", admin_list, "GET"),
        ("/admin/testimonials/<int:testimonial_id>", admin_curate, "PATCH"),
        ("/admin/testimonials/<int:testimonial_id>/publish", admin_publish, "POST"),
        ("/admin/testimonials/<int:testimonial_id>/reject", admin_reject, "POST"),
        ("/admin/reviews/<int:review_id>/promote", admin_promote, "POST"),
    ]
    for rule, view, method in routes:
        bp.add_url_rule(rule, endpoint=f"testimonials_{view.__name__}", view_func=view, methods=[method])
