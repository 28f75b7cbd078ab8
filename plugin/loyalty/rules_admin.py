"""The owner's earning rules: ``GET``/``PUT {prefix}/api/v1/admin/loyalty/rules``, and the page
``{prefix}/admin/loyalty/rules``.

A :class:`~journeykit.core.settings_admin.SettingsGroup`: validated as the
config is, audited as ``loyalty_rules.change``, ``null`` back to the config.
Earning reads the same values through :mod:`journeykit.loyalty.rules`.
"""

from __future__ import annotations

from flask import Blueprint

from ..core.config_checks import EARNING_RULES
from ..core.settings_admin import Entry, SettingsGroup

#: What the page calls each rule, and what it means (also the OpenAPI description).
_RULES = {
    "points_per_unit": ("Points per unit paid",
                        'Points per major currency unit paid: a whole number, or one per currency ({"eur": 1}).'),
    "signup": ("Sign-up bonus", "Points for a new customer's account (0: off)."),
    "review": ("Review bonus", "Points for each review published, taken back if it is unpublished (0: off)."),
    "birthday": ("Birthday bonus",
                 "Points on the customer's birthday, given by 'flask journeykit loyalty birthdays' (0: off)."),
    "referral": ("Referral bonus", "Points for the referrer when a referred friend's first order is paid (0: off)."),
    "pending_days": ("Pending days",
                     'Days earned points wait before they may be spent: one number, or per rule ({"purchase": 30}).'),
}

RULES = SettingsGroup(
    entries=[Entry(name, EARNING_RULES[name], label, meaning) for name, (label, meaning) in _RULES.items()],
    plural="rules", audit="loyalty_rules", title="LoyaltyRules", page="journeykit.admin.loyalty_rules")


def register(bp: Blueprint) -> None:
    RULES.register_api(bp, "/admin/loyalty/rules", what="The earning rules")


def register_pages(bp: Blueprint) -> None:
    RULES.register_page(bp, "/loyalty/rules", "journeykit/admin/loyalty/rules.html")
