"""The journey's part of the JSON API: storefront events in, and the owner's view of customers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint

from ..core import openapi
from ..core.admin_access import admin_required
from ..core.db import session
from ..core.inputs import int_arg
from . import events, schemas
from .customers import require_customer
from .models import Customer

_customer_schema = schemas.CustomerSchema()


@openapi.documented(body=schemas.EventBatchSchema, response=schemas.EventsAcceptedSchema, status=202)
def post_events() -> tuple[dict[str, Any], int]:
    """Append a batch of journey events from the storefront (see :mod:`.events`)."""
    return events.receive_batch(), 202


@openapi.documented(response=schemas.CustomerPageSchema, query=openapi.paged(default=50, maximum=200, cursor="before"))
@admin_required
def admin_customers() -> dict[str, Any]:
    """Customers, newest first, a page at a time (``?limit=`` up to 200, ``?before=<cursor>``)."""
    limit = int_arg("limit", default=50, low=1, high=200)
    before = int_arg("before", default=None, low=1, high=2**63 - 1)
    query = sa.select(Customer).order_by(Customer.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(Customer.id < before)
    rows = session().scalars(query).all()
    page = rows[:limit]
    return {
        "items": _customer_schema.dump(page, many=True),
        "next": str(page[-1].id) if len(rows) > limit else None,
    }


@openapi.documented(response=schemas.CustomerSchema)
@admin_required
def admin_customer(customer_id: str) -> dict[str, Any]:
    """One customer by the shop's own id."""
    return _customer_schema.dump(require_customer(customer_id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/events", view_func=post_events, methods=["POST"])
    bp.add_url_rule("/admin/customers", view_func=admin_customers, methods=["GET"])
    bp.add_url_rule("/admin/customers/<path:customer_id>", view_func=admin_customer, methods=["GET"])
