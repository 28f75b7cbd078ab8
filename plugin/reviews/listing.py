"""The storefront's order of published reviews, shared by the JSON API and the server-rendered widget."""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from ..core import paging
from ..core.db import session
from .models import Review, ReviewStatus

SORTS: dict[str, list[paging.Key]] = {
    "newest": [(Review.pinned, True), (Review.published_at, True), (Review.id, True)],
    "highest": [(Review.pinned, True), (Review.rating, True), (Review.published_at, True), (Review.id, True)],
    "lowest": [(Review.pinned, True), (Review.rating, False), (Review.published_at, True), (Review.id, True)],
    "helpful": [(Review.pinned, True), (Review.helpful_count, True), (Review.published_at, True), (Review.id, True)],
}


def published_page(
    product_id: str, sort: str = "newest", *, rating: int | None = None, limit: int, cursor: str | None = None
) -> tuple[list[Review], str | None]:
    """One page of the product's published reviews in the order ``sort`` (see :data:`SORTS`), and the next cursor.

    Raises a 400 :class:`~journeykit.core.errors.BadRequest` for a cursor that is not ours.
    """
    query = sa.select(Review).where(Review.product_id == product_id, Review.status == ReviewStatus.PUBLISHED)
    if rating is not None:
        query = query.where(Review.rating == rating)
    return paging.page(query, SORTS[sort], limit=limit, cursor=cursor, scalars=session().scalars)


def with_customers(reviews: Sequence[Review]) -> Sequence[Review]:
    """Load the authors of ``reviews`` in one query, not one per review (the owner's listings show each one's id)."""
    unloaded = [review for review in reviews if "customer" not in sa.inspect(review).dict]
    if unloaded:
        customer = sa.inspect(Review).relationships["customer"].mapper.class_  # the journey's model, by the relationship
        ids = {review.customer_id for review in unloaded}
        found = {row.id: row for row in session().scalars(sa.select(customer).where(customer.id.in_(ids)))}
        for review in unloaded:
            set_committed_value(review, "customer", found.get(review.customer_id))
    return reviews
