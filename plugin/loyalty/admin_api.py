"""The owner's loyalty API: one customer's points and history, and manual adjustments (audited).

``GET …/admin/loyalty/customers/<id>`` and
``POST …/admin/loyalty/customers/<id>/adjustments``, with the shop's own
customer id.  An adjustment needs a reason (the customer reads it in their
history), is recorded with who made it, and is idempotent by ``key`` (a
double click adjusts once).  Taking points away cannot go below what the
customer may spend.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate

from .. import journey
from ..core import audit, limits, openapi
from ..core.admin_access import admin_required
from ..core.inputs import NOT_BLANK, StrictInteger, load_json
from ..core.limits import max_length
from ..core.signals import commit
from . import MAX_AWARD, MAX_KEY, ledger, spending, tiers
from .models import EntryKind


class AdminEntrySchema(Schema):
    points = fields.Integer(required=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    actor = fields.String(required=True, allow_none=True, metadata={"description": "who made a manual entry"})
    created_at = fields.DateTime(required=True)


class AdminPointsSchema(Schema):
    """One customer's points, as the owner sees them."""

    customer = fields.String(required=True, metadata={"description": "the shop's own customer id"})
    balance = fields.Integer(required=True)
    spendable = fields.Integer(required=True)
    earned = fields.Integer(required=True, metadata={"description": "every point ever earned"})
    tier = fields.String(required=True)
    history = fields.List(fields.Nested(AdminEntrySchema), required=True, metadata={"description": "the latest 100"})


class AdjustmentSchema(Schema):
    points = StrictInteger(required=True, validate=[
        validate.Range(-MAX_AWARD, MAX_AWARD), validate.NoneOf([0], error="An adjustment must change the balance.")])
    reason = fields.String(required=True, validate=[max_length("journeykit_points_entries.description", min=1), NOT_BLANK])
    key = fields.String(load_default=None, validate=[validate.Length(min=1, max=MAX_KEY), NOT_BLANK],
                        metadata={"description": "your name for this adjustment: sending it again changes nothing"})


_points, _adjustment = AdminPointsSchema(), AdjustmentSchema()


def _view(customer: Any) -> dict[str, Any]:
    row = ledger.balance_row(customer.id)
    balance, earned, tier = (row.balance, row.earned, row.tier) if row is not None else (0, 0, None)
    return _points.dump({"customer": customer.shop_customer_id, "balance": balance,
                         "spendable": spending.spendable(customer, balance), "earned": earned,
                         "tier": tier or tiers.MEMBER, "history": ledger.history(customer.id, limit=100)})


@openapi.documented(response=AdminPointsSchema, errors={404: "No customer with this id (customer_not_found)."})
@admin_required
def admin_customer_points(customer_id: str) -> dict[str, Any]:
    """One customer's balance, what they may spend, their tier and their latest 100 entries."""
    return _view(journey.require_customer(customer_id))


@openapi.documented(body=AdjustmentSchema, response=AdminPointsSchema, status=201,
                    errors={404: "No customer with this id (customer_not_found).",
                            409: "More points taken away than the customer may spend (insufficient_points)."})
@admin_required
def admin_adjust(customer_id: str) -> tuple[dict[str, Any], int]:
    """Add (positive) or take away (negative) points by hand, with the reason the customer will read."""
    data = load_json(_adjustment)
    customer = journey.require_customer(customer_id)
    key = f"adjustment:{(data['key'] or uuid.uuid4().hex).strip()}"
    entry = {"key": key, "description": data["reason"].strip(), "source": ("adjustment", key.split(":", 1)[1]),
             "actor": limits.fitted("journeykit_points_entries.actor", audit.actor(), field="actor", truncate=True)}
    if data["points"] > 0:
        posted = ledger.post(customer, data["points"], EntryKind.ADJUSTMENT, **entry)
    else:
        posted = spending.spend(customer, -data["points"], EntryKind.ADJUSTMENT, **entry)
    if posted is not None:
        audit.record("loyalty.adjust", f"customer:{customer.id}",
                     after={"points": data["points"], "reason": entry["description"]})
    commit()
    return _view(customer), 201


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/loyalty/customers/<path:customer_id>", view_func=admin_customer_points, methods=["GET"])
    bp.add_url_rule("/admin/loyalty/customers/<path:customer_id>/adjustments", view_func=admin_adjust,
                    methods=["POST"])
