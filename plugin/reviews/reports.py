"""What the reviews' tables say: the review rate, the best-rated products, the reviews waiting,
and the reviews' Prometheus family.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import orders
from ..core.db import session
from ..core.dialects import count_where
from ..core.figures import share
from ..core.prometheus import grouped, source
from .models import ProductRating, Review, ReviewStatus


def review_rate(start: dt.datetime | None = None, end: dt.datetime | None = None) -> float | None:
    """Of the products bought in the period (one per buyer and product), the share their buyer reviewed."""
    bought = orders.bought_products(start, end)
    reviewed = sa.exists().where(Review.customer_id == bought.c.customer_id, Review.product_id == bought.c.product_id)
    total, with_review = session().execute(
        sa.select(sa.func.count(), count_where(reviewed)).select_from(bought)
    ).one()
    return share(with_review, total)


def top_rated_products(limit: int) -> list[ProductRating]:
    """The products with the best average rating (then the most reviews), ``limit`` at most."""
    average = sa.cast(ProductRating.total, sa.Float) / ProductRating.count
    return list(session().scalars(
        sa.select(ProductRating).where(ProductRating.count > 0)
        .order_by(average.desc(), ProductRating.count.desc(), ProductRating.product_id).limit(limit)
    ))


def waiting(newest: int = 3) -> dict[str, Any]:
    """How many reviews wait for moderation, and the ``newest`` of them (with their authors, named on the dashboard)."""
    pending = Review.status == ReviewStatus.PENDING
    newest_first = sa.select(Review).options(selectinload(Review.customer)).where(pending)
    return {
        "count": session().scalar(sa.select(sa.func.count()).select_from(Review).where(pending)) or 0,
        "newest": list(session().scalars(newest_first.order_by(Review.created_at.desc(), Review.id.desc()).limit(newest))),
    }


@source("reviews", "gauge", "Reviews by moderation status.", ("status",))
def _reviews_by_status():
    return grouped(Review.status)
