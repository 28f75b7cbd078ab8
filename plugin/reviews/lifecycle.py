"""Reviews: submitting, editing and moderating them, keeping each product's rating current.

Every change of a review's visibility goes through :func:`_set_status`, which
adjusts the product's :class:`~.models.ProductRating` in the same
transaction, so the aggregate is never recounted and never drifts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa

from .. import journey, orders
from ..core import config_checks, limits, settings, signals
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from ..core.errors import NotFound
from . import policy
from .models import ProductRating, RejectionReason, Review, ReviewStatus, ReviewVote

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..orders.models import Order


def submit(customer: Customer, product_id: str, data: dict[str, Any]) -> tuple[Review, bool]:
    """Create the shopper's review of the product, or update it: one review per shopper and product.

    Returns the review and whether it is new.  An edit goes through the
    moderation policy again; the caller commits.
    """
    links = policy.check_text(settings.in_force(), data["title"], data["body"], data["author"])
    review = session().scalars(
        sa.select(Review).where(Review.product_id == product_id, Review.customer_id == customer.id).with_for_update()
    ).first()
    created = review is None
    if created:
        review = Review(product_id=product_id, customer=customer, status=ReviewStatus.PENDING, helpful_count=0)
        session().add(review)
    else:  # an edit: shown as such, and moderated again like a new review
        _set_status(review, ReviewStatus.PENDING)
        review.edited_at, review.rejection_reason = utcnow(), None
    review.rating, review.title, review.body, review.author = data["rating"], data["title"], data["body"], data["author"]
    review.incentivised = bool(data.get("incentivised"))
    _moderate(review, links)
    return review, created


def resubmit(review: Review) -> None:
    """An edit that leaves the text alone (a photo added or removed) is moderated again, like a text edit."""
    _set_status(review, ReviewStatus.PENDING)
    _moderate(review, policy.count_links(review.title, review.body, review.author))


def _moderate(review: Review, links: int) -> None:
    """Put a new or edited (pending) review through the shop's policy; the caller commits."""
    order = orders.verifying_order(review.customer.id, review.product_id)
    review.verified_order_id = order.id if order else None
    session().flush()
    if policy.publishes_at_once(settings.in_force(), verified=order is not None, rating=review.rating, links=links):
        publish(review)
    signals.queue(signals.review_submitted, review=review)


def publish(review: Review) -> None:
    """Show the review on the storefront (the author reaches *advocacy*)."""
    if review.status is ReviewStatus.PUBLISHED:
        return
    _set_status(review, ReviewStatus.PUBLISHED)
    review.rejection_reason = None
    review.published_at = utcnow()
    journey.record_event(
        "review_published", customer=review.customer, product_id=review.product_id,
        properties={"review": review.id}, dedupe_key=f"review_published:{review.id}", at=review.published_at,
    )
    signals.queue(signals.review_published, review=review)


def reject(review: Review, reason: RejectionReason) -> None:
    """Keep the review off the storefront, for one of the allowed reasons only."""
    _set_status(review, ReviewStatus.REJECTED)
    review.rejection_reason = reason


def restore(review: Review, status: ReviewStatus, *, reason: RejectionReason | None = None,
            published_at: dt.datetime | None = None) -> None:
    """Put the review back in an earlier moderation ``status`` (undoing the owner's decision), rating in step.

    A review published again keeps the time it was first published, so undoing a rejection does not move it to
    the top of "newest"; one taken back to pending or rejected gets its earlier ``published_at`` back too.
    """
    if status is ReviewStatus.REJECTED:
        if reason is None:
            raise ValueError("A rejected review needs its reason")
        reject(review, reason)
    elif status is ReviewStatus.PUBLISHED:
        publish(review)
    else:
        _set_status(review, ReviewStatus.PENDING)
        review.rejection_reason = None
    if published_at is not None or status is not ReviewStatus.PUBLISHED:
        review.published_at = published_at


#: Called as ``handler(review, published)`` inside the transaction in which a review goes on the storefront
#: (``True``) or comes off it (``False``); loyalty gives and takes back its bonus here.
publication_handlers: list[Callable[[Review, bool], None]] = []


def _set_status(review: Review, status: ReviewStatus) -> None:
    was_counted = review.status is ReviewStatus.PUBLISHED
    review.status = status
    if was_counted and status is not ReviewStatus.PUBLISHED:
        _count(review.product_id, review.rating, -1)
    elif status is ReviewStatus.PUBLISHED and not was_counted:
        _count(review.product_id, review.rating, +1)
    else:
        return
    for handler in publication_handlers:
        handler(review, not was_counted)


def _count(product_id: str, rating: int, step: int) -> None:
    """Add (or take away) one published rating, atomically, in this transaction."""
    insert_if_absent(ProductRating.__table__, {"product_id": product_id}, on=["product_id"])
    column = getattr(ProductRating, f"stars_{rating}")
    session().execute(
        sa.update(ProductRating)
        .where(ProductRating.product_id == product_id)
        .values({ProductRating.count: ProductRating.count + step, ProductRating.total: ProductRating.total + step * rating,
                 column: column + step, ProductRating.updated_at: utcnow()})
    )


def rating(product_id: str) -> dict[str, Any]:
    """The product's published ratings, read from the maintained aggregate."""
    row = session().get(ProductRating, product_id, populate_existing=True)
    if row is None or not row.count:
        return {"product_id": product_id, "average": None, "count": 0, "histogram": {str(n): 0 for n in range(1, 6)}}
    return {"product_id": product_id, "average": row.average, "count": row.count, "histogram": row.histogram}


def get(review_id: int, *, published_only: bool = False) -> Review:
    review = session().get(Review, review_id)
    if review is None or (published_only and review.status is not ReviewStatus.PUBLISHED):
        raise NotFound(f"No review {review_id}.", error_code="review_not_found")
    return review


def author_for(name: str | None) -> str:
    """The name a review is signed with when its author gave none: the shopper's (cut to fit), or "A customer"."""
    return limits.fitted("journeykit_reviews.author", name, field="the shopper's name", truncate=True) or "A customer"


def voter(shop_customer_id: str | None, visitor_id: str | None) -> str:
    """Who casts a helpful vote: the customer (by the shop's id, hashed when too long to store), else the visitor."""
    if shop_customer_id is None:
        return f"v:{visitor_id}"
    key = f"c:{shop_customer_id}"
    if len(key) > limits.length("journeykit_review_votes.voter"):
        key = "c#" + hashlib.sha256(shop_customer_id.encode()).hexdigest()
    return key


def vote_helpful(review: Review, voter: str) -> int:
    """Count one "helpful" vote per voter; returns the review's count."""
    if insert_if_absent(ReviewVote.__table__, {"review_id": review.id, "voter": voter, "created_at": utcnow()}, on=["review_id", "voter"]):
        session().execute(sa.update(Review).where(Review.id == review.id).values(helpful_count=Review.helpful_count + 1))
    return session().scalar(sa.select(Review.helpful_count).where(Review.id == review.id))


def _withdraw_verification(order: Order, before: int, after: int) -> None:
    """A fully refunded (or lost) order no longer makes its reviews "verified"."""
    if after < order.amount_total:
        return
    for review in session().scalars(sa.select(Review).where(Review.verified_order_id == order.id)):
        other = orders.verifying_order(review.customer.id, review.product_id)
        review.verified_order_id = other.id if other is not None and other.id != order.id else None


orders.reversal_handlers.append(_withdraw_verification)


def set_reply(review: Review, body: str | None) -> None:
    """The owner's public answer under the review (``None`` or empty removes it)."""
    review.reply = body or None
    review.replied_at = utcnow() if review.reply else None


def publish_due(now: dt.datetime | None = None) -> int:
    """Publish pending reviews older than ``JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS``; returns how many."""
    days = config_checks.days_or_never(settings.value("JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS"))
    if days is None:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    due = list(session().scalars(
        sa.select(Review).where(Review.status == ReviewStatus.PENDING, Review.updated_at <= cutoff).order_by(Review.id)
    ))
    for review in due:
        publish(review)
    return len(due)
