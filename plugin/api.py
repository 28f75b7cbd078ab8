"""The JSON API under ``{prefix}/api/v1``: shopper endpoints and the admin API."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from journeykit.hooks import outbound_admin, stripe_admin

from . import events, holdout, metrics_api, openapi, review_exchange, review_photos_api, reviews_api, schemas, testimonials_api
from .admin_access import admin_required
from .db import session
from .errors import NotFound, Unauthorized
from .identity import Shopper
from .models import Customer
from .inputs import int_arg
from .tracking import customer_for, find_customer

_customer_schema = schemas.CustomerSchema()
_loyalty_schema = schemas.LoyaltySchema()


def _shopper() -> Shopper | None:
    return current_app.extensions["journeykit"].journey.current_shopper()


def _required_shopper() -> Shopper:
    shopper = _shopper()
    if shopper is None:
        raise Unauthorized(
            "Sign in first: this needs the shop's customer (a customer token or the shop's login).",
            error_code="customer_required",
        )
    return shopper


@openapi.documented(response=schemas.LoyaltySchema)
def me_loyalty() -> dict[str, Any]:
    """The signed-in shopper's points: balance, tier and history."""
    customer_for(_required_shopper())
    session().commit()
    return _loyalty_schema.dump({"balance": 0, "tier": "member", "history": []})


@openapi.documented(body=schemas.EventBatchSchema, response=schemas.EventsAcceptedSchema, status=202)
def post_events() -> tuple[dict[str, Any], int]:
    """Append a batch of journey events from the storefront (see :mod:`journeykit.events`)."""
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
    customer = find_customer(customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {customer_id!r}.", error_code="customer_not_found")
    return _customer_schema.dump(customer)


def create_blueprint() -> Blueprint:
    bp = Blueprint("api", __name__)
    bp.add_url_rule("/me/loyalty", view_func=me_loyalty, methods=["GET"])
    bp.add_url_rule("/events", view_func=post_events, methods=["POST"])
    bp.add_url_rule("/admin/customers", view_func=admin_customers, methods=["GET"])
    bp.add_url_rule("/admin/customers/<path:customer_id>", view_func=admin_customer, methods=["GET"])
    stripe_admin.register_api(bp)
    outbound_admin.register_api(bp)
    reviews_api.register(bp)
    review_photos_api.register(bp)
    holdout.register(bp)
    openapi.register(bp)
    review_exchange.register(bp)
    testimonials_api.register(bp)
    metrics_api.register(bp)
    return bp
