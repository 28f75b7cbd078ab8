"""The owner's Settings page, ``{prefix}/admin/settings``, and ``GET``/``PUT {prefix}/api/v1/admin/settings``:
what an owner changes most, in one place.

The shop-wide settings (:data:`~journeykit.core.config_checks.SHOP_SETTINGS`: which
reviews publish at once, when pending ones publish by themselves, when buyers
are asked for reviews, the hold-out share) are a
:class:`~journeykit.core.settings_admin.SettingsGroup` like loyalty's earning
rules and the referral settings, to which the page links, with the outbound
webhooks' endpoints.  Audited as ``settings.change``.
"""

from __future__ import annotations

from flask import Blueprint

from .config_checks import AUTO_PUBLISH_CHOICES, SHOP_SETTINGS
from .settings_admin import Entry, SettingsGroup

_MEANINGS = {
    "auto_publish": ("Reviews that publish at once",
                     f'Which new reviews skip moderation: {", ".join(map(repr, AUTO_PUBLISH_CHOICES))} '
                     "(\"verified_positive\": a verified buyer's 4 or 5 stars without links)."),
    "publish_after_days": ("Publish unmoderated reviews after",
                           'Days after which a pending review nobody moderated publishes by itself, or "never".'),
    "review_request_days": ("Ask buyers for reviews after",
                            'Days after a purchase before its buyer is asked for reviews (the review_request_due '
                            'signal and hook), or "never".'),
    "holdout_share": ("Hold-out share",
                      "The share of visitors (0 to 0.99) who do not see the widgets, to measure what they change "
                      "(0: off)."),
}

SETTINGS = SettingsGroup(
    entries=[Entry(name, key, *_MEANINGS[name], choices=AUTO_PUBLISH_CHOICES if name == "auto_publish" else ())
             for key, name in SHOP_SETTINGS.items()],
    plural="settings", audit="settings", title="ShopSettings", page="journeykit.admin.settings")


def register(bp: Blueprint) -> None:
    SETTINGS.register_api(bp, "/admin/settings", what="The shop's settings")


def register_pages(bp: Blueprint) -> None:
    SETTINGS.register_page(bp, "/settings", "journeykit/admin/settings.html")
