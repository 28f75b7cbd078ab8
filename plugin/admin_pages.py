"""The shop owner's pages under ``{prefix}/admin/``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from journeykit.hooks import outbound_admin, stripe_admin

from .admin_access import admin_required
from .db import session
from .models import Customer, Order, OrderStatus, RejectionReason, Review, ReviewStatus
from .stages import Stage


@admin_required
def overview() -> str:
    """Customers per stage and the latest orders, at a glance."""
    counts = dict(session().execute(sa.select(Customer.stage, sa.func.count()).group_by(Customer.stage)).all())
    stages = [(stage, counts.get(stage, 0)) for stage in Stage]
    orders = session().scalars(sa.select(Order).order_by(Order.created_at.desc()).limit(20)).all()
    paid = session().execute(
        sa.select(Order.currency, sa.func.sum(Order.amount_total - Order.amount_refunded))
        .where(Order.status == OrderStatus.PAID)
        .group_by(Order.currency)
    ).all()
    return render_template("journeykit/admin/overview.html", stages=stages, orders=orders, revenue=paid)


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


def create_blueprint() -> Blueprint:
    bp = Blueprint("admin", __name__)
    bp.add_url_rule("/", view_func=overview, endpoint="overview")
    bp.add_url_rule("/reviews", view_func=review_queue, endpoint="reviews")
    stripe_admin.register_pages(bp)
    outbound_admin.register_pages(bp)
    return bp
