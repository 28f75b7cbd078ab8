"""The earning rules in force: the owner's changes made in the admin, else the app's config.

Points per unit, the four bonuses and the pending days are read here and
nowhere else (:func:`value`), so what the admin shows is what earning does.
Each rule is a config key (:data:`~journeykit.core.config_checks.EARNING_RULES`) the
owner may override; the overrides are JourneyKit's settings
(:mod:`journeykit.core.settings`), kept per process until the owner changes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core import settings
from ..core.config_checks import EARNING_RULES
from .models import EntryKind

#: The rule of :data:`EARNING_RULES` ``pending_days`` names for each kind of earning (``{"purchase": 30}``).
PENDING_KINDS = {EntryKind.PURCHASE: "purchase", EntryKind.REVIEW: "review", EntryKind.SIGNUP: "signup",
                 EntryKind.BIRTHDAY: "birthday", EntryKind.REFERRAL: "referral", EntryKind.AWARD: "award"}


def value(name: str) -> Any:
    """The rule ``name`` (a key of :data:`EARNING_RULES`) in force: the owner's override, else the config's."""
    return settings.value(EARNING_RULES[name])


def pending_days(kind: EntryKind) -> int:
    """The days points of ``kind`` stay pending (0 for kinds that never are: adjustments, returned codes…)."""
    rule = PENDING_KINDS.get(kind)
    if rule is None:
        return 0
    days = value("pending_days")
    return int(days.get(rule, 0)) if isinstance(days, dict) else int(days)


def spendable_at(kind: EntryKind, points: int, created_at: dt.datetime) -> dt.datetime | None:
    """When points earned at ``created_at`` become spendable; ``None``: at once (and for anything not earned)."""
    days = pending_days(kind) if points > 0 else 0
    return created_at + dt.timedelta(days=days) if days else None
