"""What the testimonials hold on one customer, and forgetting it: a quote with a name goes entirely."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..core.db import session
from .models import Testimonial


def _testimonials(customer_id: int) -> list[Testimonial]:
    return list(session().scalars(sa.select(Testimonial).where(Testimonial.customer_id == customer_id).order_by(Testimonial.id)))


def personal_data(customer_id: int) -> dict[str, Any]:
    return {"testimonials": [{"id": t.id, "body": t.body, "name": t.name, "role": t.role, "company": t.company,
                              "status": t.status.value, "created_at": t.created_at.isoformat()}
                             for t in _testimonials(customer_id)]}


def forget(customer_id: int) -> int:
    """Delete the customer's testimonials (and their tags); returns how many."""
    found = _testimonials(customer_id)
    for testimonial in found:
        session().delete(testimonial)
    return len(found)
