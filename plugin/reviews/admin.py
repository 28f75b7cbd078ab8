"""The owner's moderation page, ``{prefix}/admin/reviews``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from ..core.admin_access import admin_required
from ..core.db import session
from .models import RejectionReason, Review, ReviewStatus


@admin_required
def review_queue() -> str:
    """The moderation queue: pending reviews, oldest first, with the allowed rejection reasons."""
    pending = session().scalars(
        sa.select(Review).where(Review.status == ReviewStatus.PENDING).order_by(Review.created_at, Review.id).limit(100)
    ).all()
    recent = session().scalars(
        sa.select(Review).where(Review.status != ReviewStatus.PENDING).order_by(Review.updated_at.desc()).limit(20)
    ).all()
    return render_template("journeykit/admin/reviews.html", pending=pending, recent=recent, reasons=list(RejectionReason))


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/reviews", view_func=review_queue, endpoint="reviews")
