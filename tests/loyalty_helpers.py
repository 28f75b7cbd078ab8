"""What the loyalty tests read back: a customer's ledger entries, oldest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from journeykit.models import Customer, PointsEntry


def entries(app: Any, customer: str = "c-1") -> list[tuple[int, str]]:
    """The entries of the customer with the shop's id ``customer``: ``(points, kind)``."""
    with app.app_context():
        rows = app.extensions["sqlalchemy"].session.execute(
            sa.select(PointsEntry.points, PointsEntry.kind).join(Customer, Customer.id == PointsEntry.customer_id)
            .where(Customer.shop_customer_id == customer).order_by(PointsEntry.id)).all()
    return [(points, kind.value) for points, kind in rows]


def customer(app: Any, shop_id: str = "c-1") -> Any:
    """JourneyKit's customer row for the shop's id ``shop_id`` (inside the caller's app context)."""
    session = app.extensions["sqlalchemy"].session
    return session.scalars(sa.select(Customer).where(Customer.shop_customer_id == shop_id)).one()
