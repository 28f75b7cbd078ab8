"""The loyalty program as the shop configured it, in the words a shopper reads: ways to earn, rewards, tiers.

The widget, ``GET /loyalty/program`` and ``GET /me/loyalty`` all read it
from here, so what a shopper is promised is what the rules do.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..core.money import format_money, minor_digits
from . import tiers


def _config(name: str) -> Any:
    return current_app.config[f"JOURNEYKIT_{name}"]


def rewards() -> list[dict[str, Any]]:
    """What points buy, cheapest first, each with its ``label`` ("5.00 USD off")."""
    options = sorted(_config("LOYALTY_REWARDS"), key=lambda option: (option["points"], option["id"]))
    return [{**option, "label": f"{format_money(option['amount_off'], option['currency'])} off"} for option in options]


def reward(reward_id: str) -> dict[str, Any] | None:
    """The reward with this id, if the shop offers it."""
    return next((option for option in rewards() if option["id"] == reward_id), None)


def _per_unit() -> list[tuple[str, int]]:
    """``(what one unit is, points)`` for each way purchases earn: one rate, or one per currency."""
    rate = _config("POINTS_PER_UNIT")
    if isinstance(rate, dict):
        return [(format_money(10 ** minor_digits(code), code), points) for code, points in sorted(rate.items()) if points]
    return [("1 unit of the order's currency", rate)] if rate else []


def ways_to_earn() -> list[dict[str, Any]]:
    """Every rule the shop turned on: ``{rule, points, description}`` (points per unit for purchases)."""
    ways = [{"rule": "purchase", "points": points, "description": f"{_count(points)} for every {unit} you spend"}
            for unit, points in _per_unit()]
    for rule, setting, words in (("signup", "POINTS_SIGNUP", "for creating your account"),
                                 ("review", "POINTS_REVIEW", "for each review you write that we publish"),
                                 ("birthday", "POINTS_BIRTHDAY", "on your birthday"),
                                 ("referral", "POINTS_REFERRAL", "for each friend you refer who places an order")):
        points = int(_config(setting))
        if points:
            ways.append({"rule": rule, "points": points, "description": f"{_count(points)} {words}"})
    return ways


def _count(points: int) -> str:
    return f"{points:,} point{'s' if points != 1 else ''}"


def describe() -> dict[str, Any]:
    """The whole program, for anyone (``GET /loyalty/program``, the widget for anonymous visitors)."""
    return {
        "ways_to_earn": ways_to_earn(),
        "rewards": rewards(),
        "tiers": [{"name": tier["name"], "points": tier["points"], "bonus_percent": int(tier.get("bonus_percent", 0))}
                  for tier in tiers.configured()],
        "signup_url": _config("LOYALTY_SIGNUP_URL"),
    }
