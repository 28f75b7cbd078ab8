"""``GET /api/v1/me/loyalty``: the signed-in shopper's points (an empty balance until loyalty is built)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields

from .. import journey
from ..core import openapi
from ..core.errors import Unauthorized
from ..core.signals import commit


class LoyaltySchema(Schema):
    """``GET /api/v1/me/loyalty``."""

    balance = fields.Integer(required=True)
    tier = fields.String(required=True)
    history = fields.List(fields.Dict(), required=True)


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
    journey.customer_for(shopper)
    commit()
    return _loyalty_schema.dump({"balance": 0, "tier": "member", "history": []})


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/me/loyalty", view_func=me_loyalty, methods=["GET"])
