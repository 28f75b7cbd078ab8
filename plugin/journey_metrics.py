"""``journey.metrics``: one object for every figure a shop reads in Python.

The figures live in their own modules (:mod:`journeykit.metrics` for stages,
:mod:`journeykit.lift`, :mod:`journeykit.sales_metrics`); this gathers them
so a shop's code needs one name.  Everything needs an app context.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import lift, metrics, sales_metrics
from .people import stage_of_customer
from .stages import Stage

Period = dt.datetime | dt.date | None


class Metrics:
    """``journey.metrics``: read the journey's figures (dates or aware datetimes, see :func:`metrics.day_range`)."""

    #: (see :func:`journeykit.metrics.funnel`)
    funnel = staticmethod(metrics.funnel)
    #: (see :func:`journeykit.metrics.stages_over_time`)
    stages_over_time = staticmethod(metrics.stages_over_time)
    #: (see :func:`journeykit.metrics.cohorts`)
    cohorts = staticmethod(metrics.cohorts)
    #: (see :func:`journeykit.metrics.time_between_stages`)
    time_between_stages = staticmethod(metrics.time_between_stages)
    #: (see :func:`journeykit.metrics.breakdown`)
    breakdown = staticmethod(metrics.breakdown)
    #: (see :func:`journeykit.lift.widget_lift`)
    widget_lift = staticmethod(lift.widget_lift)

    @staticmethod
    def sales(start: Period = None, end: Period = None) -> dict[str, Any]:
        """Revenue and average order per currency, revenue by stage, repeat-purchase and review rates, referrals."""
        return sales_metrics.summary(*metrics.moments(start, end))

    @staticmethod
    def customer_stage(customer_id: Any) -> Stage:
        """The stage of the customer with the shop's id ``customer_id``.

        A customer JourneyKit has never seen is at :attr:`Stage.AWARENESS`
        (nothing is known of them yet, and every stage test like
        ``>= Stage.PURCHASE`` then answers correctly), so no exception to handle.
        """
        return stage_of_customer(customer_id)
