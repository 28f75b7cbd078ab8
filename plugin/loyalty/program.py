"""The loyalty program as the shop configured it, in the words a shopper reads: ways to earn, rewards, tiers.

The widget, ``GET /loyalty/program`` and ``GET /me/loyalty`` all read it
from here, so what a shopper is promised is what the rules do.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..core.money import format_money, minor_digits
from . import rules, tiers


def _config(name: str) -> Any:
    return current_app.config[f"JOURNEYKIT_{name}"]


def label(amount_off: int, currency: str) -> str:
    """What a reward gives, in words: "5.00 USD off"."""
    return f"{format_money(amount_off, currency)} off"


def rewards() -> list[dict[str, Any]]:
    """What points buy, cheapest first, each with its ``label``."""
    options = sorted(_config("LOYALTY_REWARDS"), key=lambda option: (option["points"], option["id"]))
    return [{**option, "label": label(option["amount_off"], option["currency"])} for option in options]


def reward(reward_id: str) -> dict[str, Any] | None:
    """The reward with this id, if the shop offers it."""
    return next((option for option in rewards() if option["id"] == reward_id), None)


def _per_unit() -> list[tuple[str, int]]:
    """``(what one unit is, points)`` for each way purchases earn: one rate, or one per currency."""
    rate = rules.value("points_per_unit")
    if isinstance(rate, dict):
        return [(format_money(10 ** minor_digits(code), code), points) for code, points in sorted(rate.items()) if points]
    return [("1 unit of the order's currency", rate)] if rate else []


def ways_to_earn() -> list[dict[str, Any]]:
    """Every rule the shop turned on: ``{rule, points, description}`` (points per unit for purchases)."""
    ways = [{"rule": "purchase", "points": points, "description": f"{_count(points)} for every {unit} you spend"}
            for unit, points in _per_unit()]
    for rule, words in (("signup", "for creating your account"),
                        ("review", "for each review you write that we publish"),
                        ("birthday", "on your birthday"),
                        ("referral", "for each friend you refer who places an order")):
        points = int(rules.value(rule))
        if points:
            ways.append({"rule": rule, "points": points, "description": f"{_count(points)} {words}"})
    return ways


def _tier(tier: dict[str, Any]) -> dict[str, Any]:
    """A tier for the shopper: reached by ``points`` earned or by money ``spent`` (the other is ``None``), in words too."""
    days = _config("LOYALTY_TIER_WINDOW_DAYS")
    if tiers.by_points(tier):
        spent, words = None, f"Earn {_count(tier['points'])} in {days} days"
    else:
        spent = dict(sorted(tier["spent"].items()))
        words = f"Spend {' or '.join(format_money(amount, code) for code, amount in spent.items())} in {days} days"
    return {"name": tier["name"], "points": tier.get("points"), "spent": spent,
            "bonus_percent": int(tier.get("bonus_percent", 0)), "description": words}


def _count(points: int) -> str:
    return f"{points:,} point{'s' if points != 1 else ''}"


def describe() -> dict[str, Any]:
    """The whole program, for anyone (``GET /loyalty/program``, the widget for anonymous visitors)."""
    return {
        "ways_to_earn": ways_to_earn(),
        "rewards": rewards(),
        "tiers": [_tier(tier) for tier in tiers.configured()],
        "signup_url": _config("LOYALTY_SIGNUP_URL"),
    }
