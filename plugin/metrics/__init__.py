"""Metrics: what the owner and the shop's code read of the journey, across the capabilities.

Each capability answers for its own tables (``journey.funnel``,
``orders.revenue``, ``reviews.review_rate``…); this package gathers their
figures: :class:`Metrics` (``journey.metrics`` in a shop's Python), the
sales summary (:mod:`.sales`), widget lift against the hold-out
(:mod:`.lift`, :mod:`.holdout`), the admin JSON API (:mod:`.api`) and the
dashboard (:mod:`.dashboard`, drawn by :mod:`.charts`, its lists named in the
shop's words by :mod:`.named`, its figures explained by :mod:`.definitions`).
Everything needs an app context.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import journey
from ..core.figures import moments
from . import lift, sales

Period = dt.datetime | dt.date | None


class Metrics:
    """``journey.metrics``: read the journey's figures (dates or aware datetimes, see :func:`journeykit.core.figures.day_range`)."""

    #: (see :func:`journeykit.journey.reports.funnel`)
    funnel = staticmethod(journey.funnel)
    #: (see :func:`journeykit.journey.stages_over_time`)
    stages_over_time = staticmethod(journey.stages_over_time)
    #: (see :func:`journeykit.journey.cohorts`)
    cohorts = staticmethod(journey.cohorts)
    #: (see :func:`journeykit.journey.time_between_stages`)
    time_between_stages = staticmethod(journey.time_between_stages)
    #: (see :func:`journeykit.metrics.lift.widget_lift`)
    widget_lift = staticmethod(lift.widget_lift)

    @staticmethod
    def breakdown(by: str, start: Period = None, end: Period = None, *, limit: int = 50) -> list[dict[str, Any]]:
        """The people first seen in the period by ``first_widget`` or ``referral_code``, largest group first.

        By referral code only real codes are groups (:func:`journeykit.metrics.sales.referral_breakdown`);
        see :func:`journeykit.journey.breakdown` for the figures.
        """
        if by == "referral_code":
            return sales.referral_breakdown(start, end, limit=limit)
        return journey.breakdown(by, start, end, limit=limit)

    @staticmethod
    def sales(start: Period = None, end: Period = None) -> dict[str, Any]:
        """Revenue and average order per currency, revenue by stage, repeat-purchase and review rates, referrals."""
        return sales.summary(*moments(start, end))

    @staticmethod
    def customer_stage(customer_id: Any) -> journey.Stage:
        """The stage of the customer with the shop's id ``customer_id``.

        A customer JourneyKit has never seen is at :attr:`~journeykit.Stage.AWARENESS`
        (nothing is known of them yet, and every stage test like
        ``>= Stage.PURCHASE`` then answers correctly), so no exception to handle.
        """
        return journey.stage_of_customer(customer_id)
