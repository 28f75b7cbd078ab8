"""The shopper's referral API: ``GET /api/v1/me/referral``, their code (made on first use), link and stats; and
``GET /api/v1/referrals/program``, the offer for anyone (the widget shows it to visitors who are not signed in)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields

from .. import journey
from ..core import dialects, openapi, read_cache, read_versions, signals
from . import for_shopper, offer


class CouponSchema(Schema):
    """A coupon the shopper earned for a friend's purchase."""

    code = fields.String(required=True, metadata={"description": "what to enter at checkout; works once"})
    status = fields.String(required=True, metadata={"description": "the referral's status: rewarded, or reversed "
                                                                   "(the friend's order was refunded: deactivated)"})
    created_at = fields.DateTime(required=True, allow_none=True)


class RewardsSchema(Schema):
    points = fields.Integer(required=True, metadata={"description": "referral points earned, less what refunds of "
                                                                    "the friends' orders took back"})
    coupons = fields.List(fields.Nested(CouponSchema), required=True, metadata={"description": "newest first"})


class ReferralSchema(Schema):
    """``GET /api/v1/me/referral``."""

    code = fields.String(required=True, metadata={"description": "the shopper's code (case-insensitive)"})
    url = fields.String(required=True, metadata={"description": "the link to share: {prefix}/r/<code>, absolute"})
    clicks = fields.Integer(required=True, metadata={"description": "visitors who followed the link (once a day each)"})
    conversions = fields.Integer(required=True, metadata={"description": "friends who bought through the code"})
    pending = fields.Integer(required=True, metadata={
        "description": "of those, the ones whose reward waits (the owner's review, or the refund window)"})
    rewards = fields.Nested(RewardsSchema, required=True)
    friend_reward = fields.Dict(required=True, allow_none=True, metadata={
        "description": "what a friend gets off their first order: {amount_off, currency} or {percent_off}; null "
                       "for nothing"})
    offer = fields.String(required=True, metadata={"description": "the whole offer in one sentence, to show the "
                                                                  "shopper: 'Give your friends 5.00 USD off…'"})
    friend_offer = fields.String(required=True, allow_none=True, metadata={
        "description": "the friend's discount in words ('5.00 USD off', '10% off'); null for nothing"})


class ReferralProgramSchema(Schema):
    """``GET /api/v1/referrals/program``: the referral offer, for anyone."""

    offer = fields.String(required=True, metadata={"description": "the whole offer in one sentence"})
    friend_offer = fields.String(required=True, allow_none=True, metadata={
        "description": "the friend's discount in words; null for nothing"})
    referrer_offer = fields.String(required=True, allow_none=True, metadata={
        "description": "what the referrer gets per friend who buys, in words ('100 points'); null for nothing"})
    friend_reward = fields.Dict(required=True, allow_none=True, metadata={
        "description": "the friend's discount: {amount_off, currency} or {percent_off}; null for nothing"})
    signup_url = fields.String(required=True, allow_none=True, metadata={
        "description": "where a visitor creates an account to get their own link (JOURNEYKIT_LOYALTY_SIGNUP_URL)"})


_referral, _program = ReferralSchema(), ReferralProgramSchema()


@openapi.documented(response=ReferralProgramSchema)
@read_cache.public(lambda: [read_versions.SETTINGS], read_cache.SETTLED)  # the owner's settings and the config
def referral_program() -> dict[str, Any]:
    """The shop's referral offer: what a friend gets, what the referrer gets, and where to join."""
    return _program.dump(offer.describe())


@openapi.documented(response=ReferralSchema, errors={401: "Not signed in (customer_required)."})
def me_referral() -> dict[str, Any]:
    """The signed-in shopper's referral code (made on first use), link, clicks, conversions and rewards."""
    _, customer = journey.signed_in_customer()
    mine = for_shopper(customer)
    signals.commit()  # a code made now
    return _referral.dump(mine)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/me/referral", view_func=dialects.retry_deadlocks(me_referral), methods=["GET"])  # makes a code
    bp.add_url_rule("/referrals/program", view_func=referral_program, methods=["GET"])
