"""``GET /api/v1/me/loyalty``: the signed-in shopper's points, their tier and their history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields

from .. import journey
from ..core import openapi
from ..core.errors import Unauthorized
from ..core.signals import commit
from . import ledger, spending, tiers


class HistoryEntrySchema(Schema):
    """One change of the shopper's points."""

    points = fields.Integer(required=True, metadata={"description": "signed: earned is positive, spent or taken back negative"})
    kind = fields.String(required=True, metadata={"description": "purchase, reversal, write_off, award or adjustment"})
    description = fields.String(required=True, metadata={"description": "what happened, in words for the shopper"})
    created_at = fields.DateTime(required=True)


class LoyaltySchema(Schema):
    """``GET /api/v1/me/loyalty``."""

    balance = fields.Integer(required=True)
    spendable = fields.Integer(required=True, metadata={
        "description": "the balance less the points of orders under an open dispute (held until it closes)"})
    tier = fields.String(required=True, metadata={"description": "the VIP tier held, or member"})
    next_tier = fields.Dict(required=True, allow_none=True, metadata={
        "description": "the next tier up and the points still to earn for it ({name, points_needed}); null at the top"})
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True,
                          metadata={"description": "the latest 20 changes, newest first"})


_loyalty_schema = LoyaltySchema()


@openapi.documented(response=LoyaltySchema)
def me_loyalty() -> dict[str, Any]:
    """The signed-in shopper's points: balance, tier and history."""
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None:
        raise Unauthorized(
            "Sign in first: this needs the shop's customer (a customer token or the shop's login).",
            error_code="customer_required",
        )
    customer = journey.customer_for(shopper)
    commit()
    row = ledger.balance_row(customer.id)
    balance, tier = (row.balance, row.tier) if row is not None else (0, None)
    return _loyalty_schema.dump({
        "balance": balance, "spendable": max(balance - spending.held(customer), 0), "tier": tier or tiers.MEMBER,
        "next_tier": tiers.progress(customer.id, tier), "history": ledger.history(customer.id)})


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/me/loyalty", view_func=me_loyalty, methods=["GET"])
