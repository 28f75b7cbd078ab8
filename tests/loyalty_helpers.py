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
