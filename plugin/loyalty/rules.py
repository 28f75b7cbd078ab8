"""The earning rules in force: the owner's changes made in the admin, else the app's config.

Points per unit, the four bonuses and the pending days are read here and
nowhere else (:func:`value`), so what the admin shows is what earning does.
The owner's overrides live in ``journeykit_loyalty_rules`` and are read once
per app context (a request, a command) and kept in ``g``: a rule costs one
query per request, not one per point posted.  A rule the owner never changed,
or reset, follows the config key it overrides (:data:`~journeykit.core.config.EARNING_RULES`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app, g

from ..core.config import EARNING_RULES, check_earning_rule
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from .models import EntryKind, LoyaltyRule

_CACHE = "journeykit_loyalty_rules"
#: The rule of :data:`EARNING_RULES` ``pending_days`` names for each kind of earning (``{"purchase": 30}``).
PENDING_KINDS = {EntryKind.PURCHASE: "purchase", EntryKind.REVIEW: "review", EntryKind.SIGNUP: "signup",
                 EntryKind.BIRTHDAY: "birthday", EntryKind.REFERRAL: "referral", EntryKind.AWARD: "award"}


def _overrides() -> dict[str, dict[str, Any]]:
    """The owner's overrides by rule name (plain values, so they outlive the transaction that read them)."""
    cached = g.get(_CACHE)
    if cached is None:
        rows = session().execute(sa.select(LoyaltyRule.name, LoyaltyRule.value, LoyaltyRule.updated_by,
                                           LoyaltyRule.updated_at))
        cached = {row.name: {"value": row.value, "updated_by": row.updated_by, "updated_at": row.updated_at}
                  for row in rows if row.name in EARNING_RULES}
        setattr(g, _CACHE, cached)
    return cached


def value(name: str) -> Any:
    """The rule ``name`` (a key of :data:`EARNING_RULES`) in force: the owner's override, else the config's."""
    overrides = _overrides()
    return overrides[name]["value"] if name in overrides else current_app.config[EARNING_RULES[name]]


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


def effective() -> list[dict[str, Any]]:
    """Every rule for the owner: its value in force, the config's, and who changed it when (``None`` if nobody)."""
    overrides = _overrides()
    return [{"name": name, "value": value(name), "config_value": current_app.config[key],
             "overridden": name in overrides, "updated_by": overrides.get(name, {}).get("updated_by"),
             "updated_at": overrides.get(name, {}).get("updated_at")}
            for name, key in EARNING_RULES.items()]


def problems(changes: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with ``changes`` (rule name → new value, ``None`` to reset), by rule; empty if nothing."""
    found: dict[str, list[str]] = {}
    for name, new in changes.items():
        if name not in EARNING_RULES:
            found[name] = [f"Unknown rule: the rules are {', '.join(EARNING_RULES)}."]
        elif new is not None:
            try:
                check_earning_rule(EARNING_RULES[name], new, name="The rule")
            except ValueError as exc:
                found[name] = [str(exc)]
    return found


def change(changes: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Store the owner's ``changes`` (valid: see :func:`problems`); ``None`` resets a rule to the config's value.

    The caller audits and commits.  Returns what each changed rule was before.
    """
    before = {name: value(name) for name in changes}
    table = LoyaltyRule.__table__
    for name, new in changes.items():
        if new is None:
            session().execute(sa.delete(LoyaltyRule).where(LoyaltyRule.name == name))
            continue
        fields = {"value": new, "updated_by": actor, "updated_at": utcnow()}
        if not insert_if_absent(table, {"name": name, **fields}, on=["name"]):  # type: ignore[arg-type]
            session().execute(sa.update(LoyaltyRule).where(LoyaltyRule.name == name).values(**fields))
    g.pop(_CACHE, None)  # the rest of this request reads the new rules
    return before
