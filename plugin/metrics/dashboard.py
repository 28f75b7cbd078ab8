"""The shop owner's dashboard at ``{prefix}/admin/``: the journey, what it earns, and what the widgets do.

Everything is gathered here from the same functions the JSON API serves
(each capability's reports, :mod:`.sales`, :mod:`.lift`), so the page and
the API never disagree; the charts are drawn on the server (:mod:`.charts`)
and the page loads nothing from anywhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request

from .. import journey, loyalty, orders, referrals, reviews
from ..core.admin_access import admin_required
from ..core.db import utcnow
from ..core.figures import moments, share
from . import charts, holdout, sales
from .lift import widget_lift

#: The periods the picker offers, in days (ending today, UTC).
PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
#: Longer periods chart weeks instead of days (more than ~90 points would be noise).
DAILY_UP_TO = 90
#: Below this many people in a group, an interval that spans zero means "too early to tell", not "no effect".
MIN_GROUP = 20
#: Weeks after the first shown in the cohort heat map.
COHORT_WEEKS = 12
#: Rows in the top-products, pending-reviews, breakdown and latest-orders lists.
TOP = 5


def period_days() -> int:
    """``?days=`` if it is one of :data:`PERIODS`; anything else falls back to the default (a typo is no error)."""
    raw = request.args.get("days", "")
    return int(raw) if raw in {str(days) for days in PERIODS} else DEFAULT_DAYS


def _label(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


def _duration(seconds: float | None) -> str | None:
    """``5400`` as ``1.5 h``: the unit a person would pick."""
    if seconds is None:
        return None
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def verdict(row: dict[str, Any]) -> str:
    """What a widget's lift means, in plain words (see :data:`MIN_GROUP`)."""
    if row["difference"] is None:
        return "Not enough data yet"
    if row["significant"]:
        return "Lifts conversion" if row["low"] > 0 else "Lowers conversion"
    if min(row["shown"], row["held_out"]) < MIN_GROUP:
        return "Not enough data yet"
    return "No measurable effect"


def _funnel(start: dt.date, end: dt.date) -> dict[str, Any]:
    stages = journey.funnel(start, end)
    steps = [(name, figures["count"], figures["conversion"], figures["from"]) for name, figures in stages.items()]
    first, purchase = stages["awareness"]["count"], stages["purchase"]["count"]
    return {
        "stages": stages,
        "bars": charts.funnel_bars(steps),
        "overall": share(purchase, first),
        "text": ", ".join(f"{name} {count:,}" for name, count, _, _ in steps),
    }


def _over_time(start: dt.date, end: dt.date, days: int) -> dict[str, Any]:
    interval = "day" if days <= DAILY_UP_TO else "week"
    rows = journey.stages_over_time(start, end, interval)
    labels = [_label(dt.date.fromisoformat(row["period"])) for row in rows]
    series = {stage.value: [row[stage.value] for row in rows] for stage in journey.STAGES}
    return {"interval": interval, "rows": rows, "labels": labels, "chart": charts.line_chart(labels, series)}


def _cohorts(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    cohorts = journey.cohorts(start, end)
    for cohort in cohorts:
        cohort["label"] = _label(dt.date.fromisoformat(cohort["week"]))
        cohort["cells"] = [{**week, "shade": charts.shade(week["share"])} for week in cohort["active"][:COHORT_WEEKS]]
    return cohorts


def _times(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    return [
        {"stage": stage, "from": row["from"], "people": row["people"], "median": _duration(row["median_seconds"]),
         "p90": _duration(row["p90_seconds"])}
        for stage, row in journey.time_between_stages(start, end).items()
    ]


def _lift(start: dt.date, end: dt.date) -> dict[str, Any]:
    rows = widget_lift(start, end)
    for row in rows:
        row["verdict"] = verdict(row)
    measured = [(row["widget"], row["difference"], row["low"], row["high"]) for row in rows if row["difference"] is not None]
    placed, zero = charts.intervals(measured)
    text = ", ".join(f"{name} {estimate * 100:+.1f} ({low * 100:+.1f} to {high * 100:+.1f})" for name, estimate, low, high in measured)
    return {"widgets": rows, "intervals": placed, "zero": zero, "text": text, "share": holdout.settings()["share"]}


def gather(days: int, *, today: dt.date | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for the last ``days`` days, today (UTC) included."""
    today = today or utcnow().date()
    start, end = today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1)
    return {
        "days": days,
        "periods": PERIODS,
        "period": f"{_label(start)}, {start.year} to {_label(today)}, {today.year}",
        "funnel": _funnel(start, end),
        "over_time": _over_time(start, end, days),
        "cohorts": _cohorts(start, end),
        "cohort_weeks": COHORT_WEEKS,
        "times": _times(start, end),
        "lift": _lift(start, end),
        "first_widgets": journey.breakdown("first_widget", start, end, limit=TOP),
        "referral_codes": sales.referral_breakdown(start, end, limit=TOP),
        "referrals": referrals.summary(*moments(start, end), top=0),
        "sales": sales.summary(*moments(start, end)),
        "top_products": reviews.top_rated_products(TOP),
        "reviews": reviews.waiting(),
        "orders": orders.latest_orders(TOP),
        "loyalty": loyalty.summary(*moments(start, end)),
    }


@admin_required
def overview() -> str:
    """The dashboard for the period picked with ``?days=`` (7, 30, 90 or 365; 30 by default)."""
    return render_template("journeykit/admin/dashboard.html", **gather(period_days()))
