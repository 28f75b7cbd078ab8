"""The shopper's loyalty API: the program (for anyone), their points, and redeeming points for a discount code."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from .. import journey
from ..core import openapi, rate_limits, read_cache, read_versions
from ..core.errors import ValidationError
from ..core.inputs import NOT_BLANK, load_json
from . import MAX_KEY, for_shopper, redeem_for
from .program import describe


class WayToEarnSchema(Schema):
    rule = fields.String(required=True, metadata={"description": "purchase, signup, review, birthday or referral"})
    points = fields.Integer(required=True, metadata={"description": "points per unit of currency for purchases"})
    description = fields.String(required=True, metadata={"description": "the rule in words for the shopper"})


class RewardSchema(Schema):
    id = fields.String(required=True)
    points = fields.Integer(required=True, metadata={"description": "what the reward costs"})
    amount_off = fields.Integer(required=True, metadata={"description": "the discount, in minor units of currency"})
    currency = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "the discount in words: 5.00 USD off"})


class TierSchema(Schema):
    name = fields.String(required=True)
    points = fields.Integer(required=True, allow_none=True, metadata={
        "description": "points to earn in the window to reach it (null for a tier reached by spending)"})
    spent = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, allow_none=True, metadata={
        "description": "amount to spend in the window, minor units per currency, any one reaching it (null for a "
                       "points tier)"})
    bonus_percent = fields.Integer(required=True, metadata={"description": "extra purchase points at this tier"})
    description = fields.String(required=True, metadata={"description": "how to reach it, in words"})


class ProgramSchema(Schema):
    """``GET /api/v1/loyalty/program``: the shop's loyalty program, for anyone."""

    ways_to_earn = fields.List(fields.Nested(WayToEarnSchema), required=True)
    rewards = fields.List(fields.Nested(RewardSchema), required=True)
    tiers = fields.List(fields.Nested(TierSchema), required=True, metadata={"description": "lowest first"})
    signup_url = fields.String(required=True, allow_none=True, metadata={"description": "where to join"})


class HistoryEntrySchema(Schema):
    """One change of the shopper's points."""

    points = fields.Integer(required=True, metadata={"description": "signed: earned is positive, spent or taken back negative"})
    kind = fields.String(required=True, metadata={"description": "purchase, reversal, redemption, code_returned, …"})
    description = fields.String(required=True, metadata={"description": "what happened, in words for the shopper"})
    created_at = fields.DateTime(required=True)


class ShopperRewardSchema(RewardSchema):
    affordable = fields.Boolean(required=True, metadata={"description": "whether the shopper may spend its points now"})


class CodeSchema(Schema):
    """A discount code the shopper bought with points."""

    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "what to enter at checkout; works once"})
    reward = fields.String(required=True)
    points = fields.Integer(required=True)
    amount_off = fields.Integer(required=True)
    currency = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "issued (not used yet), used, or returned (cancelled or expired unused: points given back)"})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True, allow_none=True)


class LoyaltySchema(Schema):
    """``GET /api/v1/me/loyalty``."""

    balance = fields.Integer(required=True)
    spendable = fields.Integer(required=True, metadata={
        "description": "the balance less points held by open disputes and points still pending"})
    pending = fields.Integer(required=True, metadata={"description": "earned points that are not spendable yet"})
    tier = fields.String(required=True, metadata={"description": "the VIP tier held, or member"})
    next_tier = fields.Dict(required=True, allow_none=True, metadata={
        "description": "the next tier up, what the window still needs for it ({name, points_needed} or {name, "
                       "amount_needed, currency}), percent of the way there and a description in words; null at the "
                       "top"})
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True,
                          metadata={"description": "the latest 20 changes, newest first"})
    rewards = fields.List(fields.Nested(ShopperRewardSchema), required=True)
    codes = fields.List(fields.Nested(CodeSchema), required=True, metadata={"description": "the latest 10, newest first"})
    ways_to_earn = fields.List(fields.Nested(WayToEarnSchema), required=True)


class RedemptionRequestSchema(Schema):
    reward = fields.String(required=True, validate=[validate.Length(min=1, max=40), NOT_BLANK],
                           metadata={"description": "the id of one of the program's rewards"})
    key = fields.String(load_default=None, validate=[validate.Length(min=1, max=MAX_KEY), NOT_BLANK], metadata={
        "description": "your name for this attempt (or the Idempotency-Key header): sent again, it answers the "
                       "same code and spends nothing"})


class RedemptionSchema(CodeSchema):
    """A code just bought with points, and what the shopper has left."""

    balance = fields.Integer(required=True)
    spendable = fields.Integer(required=True)


_program, _loyalty, _request, _redemption = ProgramSchema(), LoyaltySchema(), RedemptionRequestSchema(), RedemptionSchema()


@openapi.documented(response=ProgramSchema)
@read_cache.public(lambda: [read_versions.SETTINGS], read_cache.SETTLED)  # the owner's settings and the config
def program() -> dict[str, Any]:
    """The shop's loyalty program: how to earn points, what they buy, the tiers and where to join."""
    return _program.dump(describe())


@openapi.documented(response=LoyaltySchema)
def me_loyalty() -> dict[str, Any]:
    """The signed-in shopper's points: balance, what they may spend, tier, history, rewards and codes."""
    _, customer = journey.signed_in_customer()
    return _loyalty.dump(for_shopper(customer))


@openapi.documented(body=RedemptionRequestSchema, response=RedemptionSchema, status=201, errors={
    401: "Not signed in (customer_required).",
    409: "Not enough spendable points (insufficient_points).",
    429: "Too many redemptions from this shopper (rate_limited).",
    502: "Stripe refused to make the code; nothing was spent (stripe_failed).",
    503: "Stripe or the shop's code maker cannot make codes just now, or the shop offers none; nothing was spent "
         "(stripe_unavailable, code_maker_failed, redemptions_unavailable).",
})
def redeem() -> tuple[dict[str, Any], int]:
    """Turn points into a one-time discount code; 201 with the code, 200 for a retry of the same key."""
    data = load_json(_request)
    key = data["key"] or request.headers.get("Idempotency-Key") or uuid.uuid4().hex
    if len(key) > MAX_KEY or not key.strip():
        raise ValidationError(f"An Idempotency-Key has 1 to {MAX_KEY} characters.", fields={"key": ["Bad length."]})
    shopper, customer = journey.signed_in_customer()
    rate_limits.hit("redemption", "JOURNEYKIT_REDEMPTIONS_RATE_LIMIT", f"shopper:{shopper.customer_id}")
    made, created = redeem_for(customer, data["reward"].strip(), key.strip())
    return _redemption.dump(made), 201 if created else 200


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/loyalty/program", view_func=program, methods=["GET"])
    bp.add_url_rule("/me/loyalty", view_func=me_loyalty, methods=["GET"])
    bp.add_url_rule("/me/loyalty/redemptions", view_func=redeem, methods=["POST"])
