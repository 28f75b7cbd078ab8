"""What the journey earns over a period: each capability's figure, gathered in one shape.

Money stays in integer minor units per currency (never summed across
currencies, never a float).  A period is ``[start, end)`` on the orders'
paid time; ``None`` leaves a side open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import journey, orders, reviews
from ..core.figures import share


def referrals(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Referral clicks, the purchases that came with a referral code, their conversion and the viral coefficient.

    The viral coefficient here is the number of referred buyers per buyer in
    the period: above 1, every buyer brings in more than one new one.
    """
    clicks = journey.count_events("referral_clicked", start, end)
    buyers, referred = orders.referred_buyers(start, end)
    return {
        "clicks": clicks,
        "referred_buyers": referred,
        "conversion": share(referred, clicks),
        "viral_coefficient": share(referred, buyers),
    }


def summary(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, Any]:
    """Every sales figure for one period, as the dashboard, the JSON API and ``journey.metrics.sales`` show them."""
    return {
        "revenue": orders.revenue(start, end),
        "revenue_by_stage": orders.revenue_by_stage(start, end),
        "repeat_purchase_rate": orders.repeat_purchase_rate(start, end),
        "review_rate": reviews.review_rate(start, end),
        "referrals": referrals(start, end),
    }
