"""What the reviews hold on one customer, and forgetting it.

A forgotten author's reviews keep their stars, so every product's rating
stays as it was, but lose their words, their name and their photos; their
helpful votes keep counting under a key that names nobody.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..core.db import session
from .lifecycle import voter
from .models import Review, ReviewVote

#: What a forgotten author's review says instead of their words and name.
ERASED_BODY = "(Removed at the author's request.)"
ERASED_AUTHOR = "A former customer"


def _reviews(customer_id: int) -> list[Review]:
    return list(session().scalars(sa.select(Review).where(Review.customer_id == customer_id).order_by(Review.id)))


def personal_data(customer_id: int, shop_customer_id: str | None) -> dict[str, Any]:
    """The customer's reviews (with their photos' metadata) and the reviews they found helpful."""
    votes = session().scalars(sa.select(ReviewVote.review_id).where(ReviewVote.voter == voter(shop_customer_id, None))
                              ).all() if shop_customer_id else []
    return {
        "reviews": [{"id": review.id, "product_id": review.product_id, "rating": review.rating, "title": review.title,
                     "body": review.body, "author": review.author, "status": review.status.value,
                     "created_at": review.created_at.isoformat(),
                     "photos": [{"id": photo.id, "content_type": photo.content_type} for photo in review.photos]}
                    for review in _reviews(customer_id)],
        "helpful_votes": {"reviews": list(votes)},
    }


def forget(customer_id: int, shop_customer_id: str | None) -> int:
    """Erase the words, name and photos of the customer's reviews, keep their stars; returns how many reviews."""
    reviews = _reviews(customer_id)
    for review in reviews:
        review.title, review.body, review.author = "", ERASED_BODY, ERASED_AUTHOR
        for photo in list(review.photos):
            session().delete(photo)  # the file goes after commit (see .photos)
    if shop_customer_id:
        session().execute(sa.update(ReviewVote).where(ReviewVote.voter == voter(shop_customer_id, None))
                          .values(voter=f"forgotten:{customer_id}"))
    return len(reviews)
