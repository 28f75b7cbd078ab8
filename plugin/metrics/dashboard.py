"""The shop owner's dashboard at ``{prefix}/admin/``: the journey, what it earns, and what the widgets do.

Everything is gathered here from the same functions the JSON API serves
(each capability's reports, :mod:`.sales`, :mod:`.lift`), so the page and
the API never disagree; the charts are drawn on the server (:mod:`.charts`)
and the page loads nothing from anywhere else.  Products and customers are
named in the shop's words (:mod:`.named`), every figure's label links to
what it means (:mod:`.definitions`), and an empty figure says why it is empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, render_template, request

from .. import journey, loyalty, referrals
from ..core.admin_access import admin_required
from ..core.db import utcnow
from ..core.figures import moments, share
from . import charts, definitions, holdout, named, sales
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
#: Rows in the top-products, breakdown, advocates and latest-orders lists.
TOP = 5
#: Reviews waiting shown on the dashboard (the inbox has them all).
WAITING = 3
#: Below this many people, a stage's wait is shown as a rough guide.
FEW_WAITS = 5


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
    rows = [{"stage": name, **figures} for name, figures in stages.items()]
    first, purchase = stages["awareness"]["count"], stages["purchase"]["count"]
    return {
        "stages": stages,
        "steps": charts.funnel_steps(rows),
        "overall": share(purchase, first),
        "text": ", ".join(f"{row['stage']} {row['count']:,}" for row in rows),
    }


def _quiet(funnel: dict[str, Any], end: dt.date) -> str | None:
    """Why the period may show nothing: ``"never"`` (no one ever seen), ``"period"`` (no one in it), else ``None``."""
    if funnel["stages"]["awareness"]["count"]:
        return None
    return "period" if journey.funnel(None, end)["awareness"]["count"] else "never"


def _over_time(start: dt.date, end: dt.date, days: int) -> dict[str, Any]:
    interval = "day" if days <= DAILY_UP_TO else "week"
    rows = journey.stages_over_time(start, end, interval)
    labels = [_label(dt.date.fromisoformat(row["period"])) for row in rows]
    series = {stage.value: [row[stage.value] for row in rows] for stage in journey.STAGES}
    return {"interval": interval, "rows": rows, "labels": labels, "chart": charts.line_chart(labels, series),
            "empty": not any(any(values) for values in series.values())}


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _cohorts(start: dt.date, end: dt.date, today: dt.date) -> list[dict[str, Any]]:
    """The weekly cohorts with their heat-map cells, up to the week in progress; the later weeks are ``not_yet``.

    A cohort's row has a cell for each week that has begun (a week with no
    activity is 0%, not blank: the rollups keep only weeks with activity),
    the week in progress marked ``so_far``, and ``not_yet`` columns for the
    weeks that cannot have happened yet, with the cohort's age to say why.
    """
    cohorts = journey.cohorts(start, end)
    for cohort in cohorts:
        first = dt.date.fromisoformat(cohort["week"])
        begun = min(COHORT_WEEKS, (_monday(today) - first).days // 7 + 1)
        active = {week["offset"]: week["people"] for week in cohort["active"]}
        cohort["label"] = _label(first)
        cohort["cells"] = [_cell(offset, active.get(offset, 0), cohort["size"],
                                 so_far=first + dt.timedelta(days=7 * offset + 6) >= today) for offset in range(begun)]
        cohort["not_yet"] = COHORT_WEEKS - begun
        cohort["age_days"] = (today - first).days + 1
    return cohorts


def _cell(offset: int, people: int, size: int, *, so_far: bool) -> dict[str, Any]:
    part = share(people, size)
    return {"offset": offset, "people": people, "share": part, "shade": charts.shade(part), "so_far": so_far}


def _times(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    return [
        {"stage": stage, "from": row["from"], "people": row["people"], "median": _duration(row["median_seconds"]),
         "p90": _duration(row["p90_seconds"]), "few": 0 < row["people"] < FEW_WAITS}
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
    """Every figure of the dashboard for the last ``days`` days, today (UTC) included (needs a request context)."""
    today = today or utcnow().date()
    start, end = today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1)
    funnel = _funnel(start, end)
    referral_figures = referrals.summary(*moments(start, end), top=TOP)
    return {
        "days": days,
        "periods": PERIODS,
        "period": f"{_label(start)}, {start.year} to {_label(today)}, {today.year}",
        "funnel": funnel,
        "quiet": _quiet(funnel, end),
        "over_time": _over_time(start, end, days),
        "cohorts": _cohorts(start, end, today),
        "cohort_weeks": COHORT_WEEKS,
        "times": _times(start, end),
        "few_waits": FEW_WAITS,
        "lift": _lift(start, end),
        "min_group": MIN_GROUP,
        "first_widgets": journey.breakdown("first_widget", start, end, limit=TOP),
        "referral_codes": named.referral_codes(sales.referral_breakdown(start, end, limit=TOP)),
        "referrals": referral_figures,
        "advocates": named.advocates(referral_figures["top_advocates"]),
        "sales": sales.summary(*moments(start, end)),
        "top_products": named.top_products(TOP),
        "reviews": named.waiting(WAITING),
        "orders": named.latest_orders(TOP),
        "loyalty": loyalty.summary(*moments(start, end)),
        "glossary": definitions.glossary(
            retention_purchases=int(current_app.config["JOURNEYKIT_RETENTION_PURCHASES"]), min_group=MIN_GROUP,
            few_waits=FEW_WAITS),
    }


@admin_required
def overview() -> str:
    """The dashboard for the period picked with ``?days=`` (7, 30, 90 or 365; 30 by default)."""
    return render_template("journeykit/admin/dashboard.html", pct=charts.percent, **gather(period_days()))
