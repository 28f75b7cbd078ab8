"""Privacy requests in the admin API: ``GET …/admin/customers/<id>/export``, ``POST …/admin/customers/<id>/forget``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..core import openapi
from ..core.admin_access import admin_required
from ..core.signals import commit
from . import requests

_COUNT = {"type": "integer", "minimum": 0}


@openapi.documented(response={"application/json": {"type": "object"}})
@admin_required
def export_customer(customer_id: str) -> dict[str, Any]:
    """Everything JourneyKit holds on a customer (the shop's id), for a subject access request."""
    data = requests.export(customer_id)
    commit()
    return data


@openapi.documented(response=openapi.json_object(reviews=_COUNT, testimonials=_COUNT, stripe_events=_COUNT, webhooks=_COUNT))
@admin_required
def forget_customer(customer_id: str) -> dict[str, Any]:
    """Erase a customer's personal data (right to erasure); counts, sums, stages and ratings stay."""
    changed = requests.forget(customer_id)
    commit()
    return changed


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/customers/<path:customer_id>/export", view_func=export_customer, methods=["GET"])
    bp.add_url_rule("/admin/customers/<path:customer_id>/forget", view_func=forget_customer, methods=["POST"])
