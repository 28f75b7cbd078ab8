"""The owner's referral settings: ``GET``/``PUT {prefix}/api/v1/admin/referrals/settings``, and the page
``{prefix}/admin/referrals/settings``.

A :class:`~journeykit.core.settings_admin.SettingsGroup`: validated as the
config is, audited as ``referral_settings.change``, ``null`` back to the
config.  The referrals read the same values (:func:`journeykit.core.settings.value`).
"""

from __future__ import annotations

from flask import Blueprint

from ..core.config_checks import REFERRAL_SETTINGS
from ..core.settings_admin import Entry, SettingsGroup

#: What the page calls each setting, and what it means (also the OpenAPI description).
_MEANINGS = {
    "friend_reward": ("The friend's discount",
                      'Off a referred friend\'s first order, as a Stripe promotion code: {"amount_off": 500, '
                      '"currency": "usd"} (minor units) or {"percent_off": 10}; null for none.'),
    "referrer_coupon": ("The referrer's coupon",
                        'A one-time coupon for the referrer per friend who buys: {"amount_off": 1000, '
                        '"currency": "usd"}; null for none (points alone).'),
    "hold_days": ("Days rewards wait", "Days a referrer's reward waits for refunds before it is paid (0: at once)."),
    "max_per_month": ("Rewards per referrer in 30 days",
                      "Referrals a referrer is rewarded for in 30 days; more wait for your review."),
    "review_score": ("Risk score for review", "Risk score (0 to 100) from which a referral waits for your review."),
    "attribution_days": ("Days a click counts", "Days after a click that a friend's purchase counts (the last "
                                                "click wins)."),
    "landing_path": ("Where links land", 'The page of your shop a referral link opens, such as "/welcome" (same '
                                         "site only)."),
    "click_spike": ("Click spike factor", "A code is flagged when a day's clicks pass this many times its usual "
                                          "rate (leaked to a coupon site)."),
}

SETTINGS = SettingsGroup(
    entries=[Entry(name, key, *_MEANINGS[name]) for key, name in REFERRAL_SETTINGS.items()],
    plural="settings", audit="referral_settings", title="ReferralSettings", page="journeykit.admin.referral_settings")


def register(bp: Blueprint) -> None:
    SETTINGS.register_api(bp, "/admin/referrals/settings", what="The referral settings")


def register_pages(bp: Blueprint) -> None:
    SETTINGS.register_page(bp, "/referrals/settings", "journeykit/admin/referrals/settings.html")
