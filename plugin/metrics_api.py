"""The metrics part of the admin API: ``GET /api/v1/admin/metrics/stages``, ``…/cohorts``, ``…/times``.

Each takes ``from`` and ``to`` (``YYYY-MM-DD``, UTC days, both included;
either may be left out for an open side).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, request

from . import metrics
from .admin_access import admin_required
from .errors import ValidationError
from .inputs import date_arg


def _period() -> tuple[dt.date | None, dt.date | None, dict[str, Any]]:
    """``[start, end)`` from the query's ``from`` and ``to`` (422 if ``from`` is after ``to``)."""
    first, last = date_arg("from"), date_arg("to")
    if first is not None and last is not None and first > last:
        raise ValidationError("from must not be after to.", fields={"from": ["After to."]})
    end = last + dt.timedelta(days=1) if last is not None else None
    echo = {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None}
    return first, end, echo


@admin_required
def stages() -> dict[str, Any]:
    """The funnel of the period and how many people reached each stage per day, week or month (``interval``)."""
    interval = request.args.get("interval", "day")
    if interval not in metrics.INTERVALS:
        raise ValidationError(
            f"interval must be one of {', '.join(metrics.INTERVALS)}.", fields={"interval": ["Not a valid choice."]}
        )
    start, end, echo = _period()
    return {
        **echo,
        "interval": interval,
        "funnel": metrics.funnel(start, end),
        "series": metrics.stages_over_time(start, end, interval),
    }


@admin_required
def cohorts() -> dict[str, Any]:
    """Weekly cohorts first seen in the period: size, stages reached, activity week by week."""
    start, end, echo = _period()
    return {**echo, "cohorts": metrics.cohorts(start, end)}


@admin_required
def times() -> dict[str, Any]:
    """Median and 90th-percentile time from each stage to the next, for people who reached it in the period."""
    start, end, echo = _period()
    return {**echo, "stages": metrics.time_between_stages(start, end)}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/metrics/stages", view_func=stages, methods=["GET"], endpoint="metrics_stages")
    bp.add_url_rule("/admin/metrics/cohorts", view_func=cohorts, methods=["GET"], endpoint="metrics_cohorts")
    bp.add_url_rule("/admin/metrics/times", view_func=times, methods=["GET"], endpoint="metrics_times")
