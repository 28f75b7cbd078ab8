"""What the journey earns over a period: each capability's figure, gathered in one shape.

Money stays in integer minor units per currency (never summed across
currencies, never a float).  A period is ``[start, end)`` on the orders'
paid time; ``None`` leaves a side open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import journey, orders, reviews
from .. import referrals as referrals_capability
from ..core.figures import share

#: Groups read before merging the people of unknown codes (the journey's breakdown needs a limit).
ALL_GROUPS = 100_000


def referrals(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Referral clicks, the friends who bought through a real code, their conversion and the viral coefficient.

    The referrals capability checks the codes (:func:`journeykit.referrals.headline`):
    a code the checkout named that is no referral code, or a self-referral,
    counts for no one.  The viral coefficient is the referred buyers per buyer
    in the period: above 1, every buyer brings in more than one new one.
    """
    return referrals_capability.headline(start, end)


def referral_breakdown(start: dt.date | dt.datetime | None = None, end: dt.date | dt.datetime | None = None, *,
                       limit: int = 50) -> list[dict[str, Any]]:
    """The people first seen in the period by referral code, only real codes: anyone else is "no referral code".

    The journey keeps whatever code a person's events named; the referrals
    capability says which are codes (:func:`journeykit.referrals.real_codes`),
    and the people of the others are added to the ``None`` group, so the
    groups still add up to everyone first seen.  Largest first, at most ``limit``.
    """
    groups = journey.breakdown("referral_code", start, end, limit=ALL_GROUPS)
    real = referrals_capability.real_codes(group["value"] for group in groups)
    merged: dict[str | None, dict[str, Any]] = {}
    for group in groups:
        code = real.get(group["value"])
        into = merged.setdefault(code, {"value": code, "people": 0, "reached": dict.fromkeys(group["reached"], 0)})
        into["people"] += group["people"]
        for stage, count in group["reached"].items():
            into["reached"][stage] += count
    for group in merged.values():
        group["conversion"] = share(group["reached"]["purchase"], group["people"])
    ordered = sorted(merged.values(),
                     key=lambda group: (-group["people"], group["value"] is None, group["value"] or ""))
    return ordered[:limit]


def summary(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Every sales figure for one period, as the dashboard, the JSON API and ``journey.metrics.sales`` show them."""
    return {
        "revenue": orders.revenue(start, end),
        "revenue_by_stage": orders.revenue_by_stage(start, end),
        "repeat_purchase_rate": orders.repeat_purchase_rate(start, end),
        "review_rate": reviews.review_rate(start, end),
        "referrals": referrals(start, end),
    }
