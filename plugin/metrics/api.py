"""The metrics part of the admin API: ``GET /api/v1/admin/metrics/stages``, ``…/cohorts``, ``…/times``,
``…/lift``, ``…/breakdown`` and ``…/sales``.

Each takes ``from`` and ``to`` (``YYYY-MM-DD``, UTC days, both included;
either may be left out for an open side).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .. import journey, loyalty
from ..core import openapi
from ..core.admin_access import admin_required
from ..core.errors import ValidationError
from ..core.figures import moments
from ..core.inputs import int_arg, period_args
from .lift import widget_lift
from .sales import referral_breakdown, summary

_DAY = {"type": ["string", "null"], "format": "date"}
_PERIOD = [
    openapi.query("from", "First UTC day, YYYY-MM-DD (included), from 2000-01-01; left out: from the start.", format="date"),
    openapi.query("to", "Last UTC day, YYYY-MM-DD (included), at most a year ahead and 1098 days after from; "
                  "left out: up to today.", format="date"),
]
_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "description": "A share from 0 to 1; null when there is nothing to divide by."}
_FROM = {"type": ["string", "null"], "enum": [*(stage.value for stage in journey.STAGES), None],
         "description": "The stage this one converts from: retention and advocacy both from purchase; null for awareness."}
_FUNNEL_STAGE = openapi.json_object(
    count={**_COUNT, "description": "People who reached this stage, or a stage that implies it, in the period: each "
                                    "stage's people are among those of the stage it converts from."},
    conversion={**_SHARE, "description": "count as a share of the count of the stage it converts from (from)."},
    entered={**_COUNT, "description": "Of count, the people who reached this very stage in the period: whom the time "
                                      "between stages counts. The others reached it before and went further in the period."},
    **{"from": _FROM},
)["application/json"]
_FUNNEL = {
    "type": "object",
    "description": "Per stage. Awareness ⊇ consideration ⊇ purchase ⊇ retention, and purchase ⊇ advocacy: retention and "
                   "advocacy do not imply each other (a one-time buyer who reviews is an advocate, not retained).",
    "properties": {stage.value: _FUNNEL_STAGE for stage in journey.STAGES},
}
_TIMES = {
    "type": "object",
    "description": "Per stage after awareness: the time from the stage it converts from (from) of the people who reached "
                   "it in the period (people: the funnel's entered).",
    "properties": {stage.value: openapi.json_object(
        people=_COUNT, median_seconds={"type": ["number", "null"]}, p90_seconds={"type": ["number", "null"]},
        **{"from": _FROM})["application/json"] for stage in journey.STAGES[1:]},
}
_ITEMS = {"type": "array", "items": {"type": "object"}}


def _answer(**properties: Any) -> dict[str, Any]:
    """The period echoed back (``from``, ``to``) with the figures of one endpoint."""
    return openapi.json_object(**{"from": _DAY, "to": _DAY}, **properties)


#: ``[start, end)`` and the echo of the query's ``from`` and ``to`` (422 for a bad period).
_period = period_args


def _choice(name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    """A query argument that must be one of ``choices`` (422 otherwise; required without a default)."""
    value = request.args.get(name, default)
    if value is None or value not in choices:
        raise ValidationError(f"{name} must be one of {', '.join(choices)}.", fields={name: ["Not a valid choice."]})
    return value


@openapi.documented(
    query=[*_PERIOD, openapi.query("interval", "Buckets of the series (default day).", enum=list(journey.INTERVALS))],
    response=_answer(interval={"type": "string"}, funnel=_FUNNEL, series=_ITEMS),
)
@admin_required
def stages() -> dict[str, Any]:
    """The funnel of the period and how many people reached each stage per day, week or month (``interval``)."""
    interval = _choice("interval", journey.INTERVALS, default="day")
    start, end, echo = _period()
    return {
        **echo,
        "interval": interval,
        "funnel": journey.funnel(start, end),
        "series": journey.stages_over_time(start, end, interval),
    }


@openapi.documented(query=_PERIOD, response=_answer(cohorts=_ITEMS))
@admin_required
def cohorts() -> dict[str, Any]:
    """Weekly cohorts first seen in the period: size, stages reached, activity week by week."""
    start, end, echo = _period()
    return {**echo, "cohorts": journey.cohorts(start, end)}


@openapi.documented(query=_PERIOD, response=_answer(stages=_TIMES))
@admin_required
def times() -> dict[str, Any]:
    """Median and 90th-percentile time to each stage from the one it converts from, for people who reached it in the period.

    Retention and advocacy are both timed from purchase.
    """
    start, end, echo = _period()
    return {**echo, "stages": journey.time_between_stages(start, end)}


@openapi.documented(query=_PERIOD, response=_answer(widgets=_ITEMS))
@admin_required
def lift() -> dict[str, Any]:
    """Per widget of the hold-out: purchase conversion of the people shown it and held out of it, and the difference.

    ``difference``, ``low`` and ``high`` (shown minus held out, with its 95%
    interval) are ``null`` until both groups have people.
    """
    start, end, echo = _period()
    return {**echo, "widgets": widget_lift(start, end)}


@openapi.documented(
    query=[
        *_PERIOD,
        openapi.query("by", "What to split people by.", required=True, enum=list(journey.BREAKDOWNS)),
        openapi.query("limit", "Most groups returned (default 50).", type="integer", minimum=1, maximum=500),
    ],
    response=_answer(by={"type": "string"}, groups=_ITEMS),
)
@admin_required
def breakdown() -> dict[str, Any]:
    """The people first seen in the period by their first widget or referral code (``by``): stages reached.

    By referral code, only real codes are groups: people who came with a code
    that is no referral code are counted with those without one.

    Largest groups first, at most ``limit`` of them (default 50); ``value`` is
    ``null`` for the people without one.
    """
    by = _choice("by", journey.BREAKDOWNS)
    limit = int_arg("limit", default=50, low=1, high=500)
    start, end, echo = _period()
    groups = (referral_breakdown(start, end, limit=limit or 50) if by == "referral_code"
              else journey.breakdown(by, start, end, limit=limit))
    return {**echo, "by": by, "groups": groups}


@openapi.documented(
    query=_PERIOD,
    response=_answer(
        revenue={"type": "object", "description": "Per currency: paid orders, gross, net and average order value, in minor units."},
        revenue_by_stage={"type": "object"},
        repeat_purchase_rate=_SHARE,
        review_rate=_SHARE,
        referrals={"type": "object"},
    ),
)
@admin_required
def sales() -> dict[str, Any]:
    """Revenue and average order per currency, revenue by stage, repeat-purchase and review rates, referrals.

    Money is in integer minor units of its currency (cents; yen for JPY).
    """
    start, end, echo = _period()
    return {**echo, **summary(*moments(start, end))}


@openapi.documented(
    query=_PERIOD,
    response=_answer(
        members={"type": "integer", "description": "Customers with a points balance."},
        outstanding_points={"type": "integer", "description": "Points customers hold and may spend: the liability."},
        negative_points={"type": "integer", "description": "Points owed by customers whose refunds took more than they had."},
        outstanding_value={"type": ["object", "null"], "additionalProperties": {"type": "integer"},
                           "description": "The points outstanding in money, per currency, in minor units: valued at the best "
                                          "reward offered in that currency, rounded down; null when no rewards are configured."},
        redemption_rates={"type": "object", "description": "The reward each currency's value is reckoned at.",
                          "additionalProperties": openapi.json_object(
                              required=("points", "amount_off"), points=_COUNT, amount_off=_COUNT)["application/json"]},
        earning_members={"type": "integer", "description": "Customers who earned points in the period (purchases, "
                                                             "bonuses, awards; not adjustments, imports or codes given back)."},
        redeeming_members={"type": "integer", "description": "Customers who turned points into a discount code in the period."},
        codes=openapi.json_object(
            issued={**_COUNT, "description": "Discount codes bought with points in the period."},
            used={**_COUNT, "description": "Codes used at a checkout in the period."},
            returned={**_COUNT, "description": "Codes cancelled or expired unused in the period (points given back)."},
            open={**_COUNT, "description": "Codes issued and not used or returned yet, now."},
            open_amount_off={"type": "object", "additionalProperties": {"type": "integer"},
                             "description": "What the open codes take off, per currency, in minor units."},
        )["application/json"],
        posted={"type": "object", "additionalProperties": {"type": "integer"},
                "description": "Net points posted in the period, by kind of entry (spent and taken back are negative)."},
    ),
)
@admin_required
def loyalty_summary() -> dict[str, Any]:
    """The loyalty program: the liability now (points and their worth), participation and codes in the period, points posted by kind."""
    start, end, echo = _period()
    return {**echo, **loyalty.summary(*moments(start, end))}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/metrics/stages", view_func=stages, methods=["GET"], endpoint="metrics_stages")
    bp.add_url_rule("/admin/metrics/cohorts", view_func=cohorts, methods=["GET"], endpoint="metrics_cohorts")
    bp.add_url_rule("/admin/metrics/times", view_func=times, methods=["GET"], endpoint="metrics_times")
    bp.add_url_rule("/admin/metrics/lift", view_func=lift, methods=["GET"], endpoint="metrics_lift")
    bp.add_url_rule("/admin/metrics/sales", view_func=sales, methods=["GET"], endpoint="metrics_sales")
    bp.add_url_rule("/admin/metrics/breakdown", view_func=breakdown, methods=["GET"], endpoint="metrics_breakdown")
    bp.add_url_rule("/admin/loyalty/summary", view_func=loyalty_summary, methods=["GET"], endpoint="loyalty_summary")
