"""The owner's loyalty API: the members by balance, one customer's points and history, and manual adjustments (audited).

``GET …/admin/loyalty/customers``, ``GET …/admin/loyalty/customers/<id>`` and
``POST …/admin/loyalty/customers/<id>/adjustments``, with the shop's own
customer id.  An adjustment needs a reason (the customer reads it in their
history), is recorded with who made it, and is idempotent by ``key`` (a
double click adjusts once).  Taking points away cannot go below what the
customer may spend.  The owner's pages (:mod:`.admin`) call the same
functions, so the page and the API never differ.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from .. import journey
from ..core import audit, limits, openapi
from ..core.admin_access import admin_required
from ..core.inputs import NOT_BLANK, StrictInteger, int_arg, load_json
from ..core.limits import max_length
from ..core.signals import commit
from . import MAX_AWARD, MAX_KEY, ledger, reports, spending, tiers
from .models import EntryKind

if TYPE_CHECKING:
    from ..journey.models import Customer
    from .models import PointsBalance, PointsEntry

#: Members per page of the owner's list (API default and the page's).
PAGE_SIZE = 50


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
    pending = fields.Integer(required=True, metadata={"description": "earned points not spendable yet"})
    earned = fields.Integer(required=True, metadata={"description": "every point ever earned"})
    tier = fields.String(required=True)
    history = fields.List(fields.Nested(AdminEntrySchema), required=True, metadata={"description": "the latest 100"})


class MemberSchema(Schema):
    """One line of the owner's list of members."""

    customer = fields.String(required=True, allow_none=True, metadata={"description": "the shop's own customer id"})
    email = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    balance = fields.Integer(required=True)
    earned = fields.Integer(required=True)
    tier = fields.String(required=True)
    last_activity_at = fields.DateTime(required=True, allow_none=True,
                                       metadata={"description": "the customer's last earning or spending"})


class AdjustmentSchema(Schema):
    points = StrictInteger(required=True, validate=[
        validate.Range(-MAX_AWARD, MAX_AWARD), validate.NoneOf([0], error="An adjustment must change the balance.")])
    reason = fields.String(required=True, validate=[max_length("journeykit_points_entries.description", min=1), NOT_BLANK])
    key = fields.String(load_default=None, validate=[validate.Length(min=1, max=MAX_KEY), NOT_BLANK],
                        metadata={"description": "your name for this adjustment: sending it again changes nothing"})


_points, _member, adjustment_schema = AdminPointsSchema(), MemberSchema(), AdjustmentSchema()


def view(customer: Customer) -> dict[str, Any]:
    """One customer's points as the owner reads them (the API's answer and the customer's page)."""
    row = ledger.balance_row(customer.id)
    balance, earned, tier = (row.balance, row.earned, row.tier) if row is not None else (0, 0, None)
    return _points.dump({"customer": customer.shop_customer_id, "balance": balance,
                         "spendable": spending.spendable(customer, balance), "pending": spending.pending(customer.id),
                         "earned": earned, "tier": tier or tiers.MEMBER,
                         "history": ledger.history(customer.id, limit=100)})


def adjust(customer: Customer, data: dict[str, Any]) -> PointsEntry | None:
    """Post an adjustment :class:`AdjustmentSchema` loaded, with who made it, and audit it; the caller commits.

    ``None`` if its key was posted before (nothing changes); a 409
    ``insufficient_points`` for taking more than the customer may spend.
    """
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
    return posted


def matching(search: str) -> list[int] | None:
    """The customers (JourneyKit's ids) an owner's search names: the shop's customer id, or an e-mail.

    ``None`` for an empty search (everyone).  An e-mail finds the shop's
    customer with that address (not a guest checkout under it).
    """
    search = search.strip()
    if not search:
        return None
    found = [journey.find_customer(search)]
    if "@" in search:
        found.append(journey.find_member_by_email(search))
    return [customer.id for customer in found if customer is not None]


def members(search: str, *, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the members matching ``search`` (:func:`matching`), highest balance first, and the next cursor."""
    rows, following = reports.members_page(cursor=cursor, limit=limit, only=matching(search))
    return [_line(row, customer) for row, customer in _with_customers(rows)], following


def _with_customers(rows: list[PointsBalance]) -> list[tuple[PointsBalance, Customer]]:
    customers = journey.customers_by_id(row.customer_id for row in rows)
    return [(row, customers[row.customer_id]) for row in rows]


def _line(row: PointsBalance, customer: Customer) -> dict[str, Any]:
    return {"customer": customer.shop_customer_id, "email": customer.email, "name": customer.name,
            "balance": row.balance, "earned": row.earned, "tier": row.tier or tiers.MEMBER,
            "last_activity_at": row.last_activity_at}


@openapi.documented(response=openapi.page(MemberSchema), query=[
    openapi.query("q", "Only the customer with this shop customer id or e-mail."),
    *openapi.paged(default=PAGE_SIZE, maximum=200)])
@admin_required
def admin_members() -> dict[str, Any]:
    """The members (customers with a points balance), highest balance first."""
    limit = int_arg("limit", default=PAGE_SIZE, low=1, high=200)
    items, following = members(request.args.get("q", ""), cursor=request.args.get("cursor"), limit=limit or PAGE_SIZE)
    return {"items": _member.dump(items, many=True), "next": following}


@openapi.documented(response=AdminPointsSchema, errors={404: "No customer with this id (customer_not_found)."})
@admin_required
def admin_customer_points(customer_id: str) -> dict[str, Any]:
    """One customer's balance, what they may spend, their tier and their latest 100 entries."""
    return view(journey.require_customer(customer_id))


@openapi.documented(body=AdjustmentSchema, response=AdminPointsSchema, status=201,
                    errors={404: "No customer with this id (customer_not_found).",
                            409: "More points taken away than the customer may spend (insufficient_points)."})
@admin_required
def admin_adjust(customer_id: str) -> tuple[dict[str, Any], int]:
    """Add (positive) or take away (negative) points by hand, with the reason the customer will read."""
    data = load_json(adjustment_schema)
    customer = journey.require_customer(customer_id)
    adjust(customer, data)
    commit()
    return view(customer), 201


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/loyalty/customers", view_func=admin_members, methods=["GET"])
    bp.add_url_rule("/admin/loyalty/customers/<path:customer_id>", view_func=admin_customer_points, methods=["GET"])
    bp.add_url_rule("/admin/loyalty/customers/<path:customer_id>/adjustments", view_func=admin_adjust,
                    methods=["POST"])
