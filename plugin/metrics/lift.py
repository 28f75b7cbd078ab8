"""Widget lift: per widget of the hold-out, purchase conversion of the people shown it versus held out of it.

Who is in which group and who converts is the journey's to say
(:func:`journeykit.journey.reports.widget_exposures`); this module turns the
counts into a difference with its 95% interval (:mod:`.lift_stats`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import journey
from ..core.figures import moments
from . import holdout, lift_stats


def widget_lift(start: dt.datetime | dt.date | None = None, end: dt.datetime | dt.date | None = None) -> list[dict[str, Any]]:
    """Per widget in the hold-out (configured now, or with held-out people in the period), sorted by name.

    Each has the group sizes and conversions and the difference, shown minus
    held out, with its 95% interval (``None`` until both groups have people).
    """
    first, after = moments(start, end)
    counts = journey.widget_exposures(first, after)
    configured = set(holdout.settings()["widgets"])
    widgets = sorted(configured | {widget for widget, groups in counts.items() if journey.HELD_OUT in groups})
    return [_row(widget, counts.get(widget, {})) for widget in widgets]


def _row(widget: str, groups: dict[str, tuple[int, int]]) -> dict[str, Any]:
    shown, shown_converted = groups.get(journey.SHOWN, (0, 0))
    held_out, held_out_converted = groups.get(journey.HELD_OUT, (0, 0))
    result = lift_stats.lift(shown, shown_converted, held_out, held_out_converted)
    return {
        "widget": widget,
        "shown": shown,
        "shown_converted": shown_converted,
        "held_out": held_out,
        "held_out_converted": held_out_converted,
        "difference": _rounded(result.difference),
        "low": _rounded(result.low),
        "high": _rounded(result.high),
        "significant": result.significant,
    }


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
