"""The storefront's order of published reviews, shared by the JSON API and the server-rendered widget."""

from __future__ import annotations

import sqlalchemy as sa

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
