"""The referral offer in words, the same wherever it is shown: the widget, the friend's banner, the JSON API.

Read from the settings in force (the owner's changes in the admin, else the
config), so an offer changed in the admin shows everywhere at once.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from .. import loyalty
from ..core import settings
from ..core.money import format_money


def points(count: int) -> str:
    return f"{count:,} point{'' if count == 1 else 's'}"


def friend_words() -> str | None:
    """The friend's discount in words: ``5.00 USD off`` or ``10% off``; ``None`` without one."""
    reward = settings.value("JOURNEYKIT_REFERRAL_FRIEND_REWARD")
    if not reward:
        return None
    if reward.get("percent_off") is not None:
        return f"{reward['percent_off']:g}% off"
    return f"{format_money(reward['amount_off'], reward['currency'])} off"


def referrer_words() -> str | None:
    """What the referrer gets per friend who buys, in words (points, a coupon or both); ``None`` for nothing.

    The points are the loyalty program's (so an owner's change there counts).
    """
    parts = [points(way["points"]) for way in loyalty.program_for_anyone()["ways_to_earn"] if way["rule"] == "referral"]
    coupon = settings.value("JOURNEYKIT_REFERRAL_REFERRER_COUPON")
    if coupon:
        parts.append(f"a {format_money(coupon['amount_off'], coupon['currency'])} off coupon")
    return " and ".join(parts) or None


def sentence() -> str:
    """The whole offer in one sentence, as the referrer reads it."""
    friend, mine = friend_words(), referrer_words()
    if friend and mine:
        return f"Give your friends {friend} their first order, and get {mine} for each friend who buys."
    if friend:
        return f"Give your friends {friend} their first order."
    if mine:
        return f"Get {mine} for each friend who buys."
    return "Share our shop with your friends."


def describe() -> dict[str, Any]:
    """The program for anyone (``GET /api/v1/referrals/program``): the offer, each side's reward, where to join."""
    return {"offer": sentence(), "friend_offer": friend_words(), "referrer_offer": referrer_words(),
            "friend_reward": settings.value("JOURNEYKIT_REFERRAL_FRIEND_REWARD") or None,
            "signup_url": current_app.config["JOURNEYKIT_LOYALTY_SIGNUP_URL"]}
