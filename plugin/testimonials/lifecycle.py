"""Testimonials: collecting them (with consent), curating the wall, promoting reviews into it.

A published testimonial, like a published review, takes its author (when
known) to the *advocacy* stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import sqlalchemy as sa

from .. import journey, reviews
from ..core import paging
from ..core.db import get_or_404, session, utcnow
from ..core.dialects import insert_if_absent
from ..core.errors import Conflict, ValidationError
from .models import Testimonial, TestimonialStatus, TestimonialTag

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..reviews.models import Review

#: The wall's order: pinned ones by position, then the newest published.
WALL_ORDER: list[paging.Key] = [(Testimonial.pin_rank, False), (Testimonial.published_at, True), (Testimonial.id, True)]


def collect(data: dict[str, Any], customer: Customer | None) -> Testimonial:
    """Store a testimonial from the collection form, pending the owner's curation; the caller commits."""
    testimonial = Testimonial(
        customer=customer, body=data["body"], name=data["name"], role=data.get("role") or None,
        company=data.get("company") or None, consent=True, consent_at=utcnow(),
        status=TestimonialStatus.PENDING, featured=False,
    )
    session().add(testimonial)
    session().flush()
    return testimonial


def get(testimonial_id: int) -> Testimonial:
    return get_or_404(Testimonial, testimonial_id, "testimonial", "testimonial_not_found")


def publish(testimonial: Testimonial) -> None:
    """Show the testimonial on the wall (its author reaches *advocacy*)."""
    if testimonial.status is TestimonialStatus.PUBLISHED:
        return
    testimonial.status = TestimonialStatus.PUBLISHED
    testimonial.published_at = utcnow()
    if testimonial.customer is not None:  # once, even if unpublished and published again
        journey.record_event(
            "testimonial_published", customer=testimonial.customer, properties={"testimonial": testimonial.id},
            dedupe_key=f"testimonial_published:{testimonial.id}", at=testimonial.published_at,
        )


def reject(testimonial: Testimonial) -> None:
    """Keep it off the wall.  Unlike a review, a testimonial is the owner's pick: no reason needed."""
    testimonial.status = TestimonialStatus.REJECTED
    testimonial.published_at = None


def curate(testimonial: Testimonial, changes: dict[str, Any]) -> None:
    """Apply the owner's ``featured``, ``position`` and ``tags`` (each optional)."""
    if "featured" in changes:
        testimonial.featured = changes["featured"]
    if "position" in changes:
        testimonial.position = changes["position"]
    if "tags" in changes:
        set_tags(testimonial, changes["tags"])


def set_tags(testimonial: Testimonial, tags: Sequence[str]) -> None:
    """Replace the tags, keeping the rows of tags that stay (a row's key is its tag)."""
    wanted = set(tags)
    testimonial.tag_rows = [row for row in testimonial.tag_rows if row.tag in wanted] + [
        TestimonialTag(tag=tag) for tag in sorted(wanted - set(testimonial.tags))
    ]


def promote(review: Review) -> Testimonial:
    """A published testimonial quoting a published review; each review is promoted at most once.

    The author agreed to their review being shown publicly when they
    submitted it, so that submission is the recorded consent.
    """
    if review.status is not reviews.ReviewStatus.PUBLISHED:
        raise ValidationError("Only a published review can become a testimonial.", error_code="review_not_published")
    # ON CONFLICT on the unique source: of two owners promoting at once, one wins and one gets the 409.
    values = {
        "customer_id": review.customer_id, "body": review.body, "name": review.author, "consent": True,
        "consent_at": review.created_at, "status": TestimonialStatus.PENDING, "featured": False,
        "source_review_id": review.id, "created_at": utcnow(),
    }
    if not insert_if_absent(Testimonial.__table__, values, on=["source_review_id"]):
        raise Conflict(f"Review {review.id} is already a testimonial.", error_code="already_promoted")
    testimonial = session().scalars(sa.select(Testimonial).where(Testimonial.source_review_id == review.id)).one()
    publish(testimonial)
    return testimonial


def wall_query(*, tag: str | None = None, featured_only: bool = False) -> sa.Select[tuple[Testimonial]]:
    """Published testimonials, optionally only featured ones or one tag's (order with :data:`WALL_ORDER`)."""
    query = sa.select(Testimonial).where(Testimonial.status == TestimonialStatus.PUBLISHED)
    if tag is not None:
        query = query.where(Testimonial.id.in_(sa.select(TestimonialTag.testimonial_id).where(TestimonialTag.tag == tag)))
    if featured_only:
        query = query.where(Testimonial.featured.is_(True))
    return query


def wall(*, tag: str | None = None, limit: int) -> list[Testimonial]:
    """The first ``limit`` testimonials of the wall (what the server-rendered widget shows)."""
    return list(session().scalars(wall_query(tag=tag).order_by(*paging.order_by(WALL_ORDER)).limit(limit)))
