"""The shopper's loyalty widget, rendered on the server: the points, tier, rewards, codes and history.

A signed-in shopper (the shop's ``customer_loader``, or a customer token on
the fragment's request) sees their own points; anyone else sees the program
(ways to earn, rewards, tiers) and a call to join.  The fragment holds the
widget's final layout, redeem buttons included, so embed.js only wires them
up: nothing moves when it arrives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, g

from journeykit import journey, loyalty
from journeykit.core import signals

#: What the shopper reads for each status of a code.
CODE_STATUS = {"issued": "Ready to use", "used": "Used", "returned": "Not used: points given back"}


def loyalty_context() -> dict[str, Any]:
    """What ``journeykit/widgets/loyalty.html`` shows: the program, and the signed-in shopper's own points if any."""
    program = loyalty.program_for_anyone()
    me = _shoppers_points()
    context: dict[str, Any] = {"program": program, "me": me, "uid": _next_id(), "code_status": CODE_STATUS,
                               "day": day, "points": points}
    if me is not None:
        context["progress"] = progress(me)
    return context


def _shoppers_points() -> dict[str, Any] | None:
    """The signed-in shopper's ``/me/loyalty`` view, or ``None`` for an anonymous visitor.

    As ``GET /me/loyalty`` does, JourneyKit's record of a shopper it has not
    met yet is made (and committed) on first sight, so their welcome points
    are there when the widget says so.
    """
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None:
        return None
    customer = journey.find_customer(shopper.customer_id)
    if customer is None:
        customer = journey.customer_for(shopper)
        signals.commit()
    return loyalty.for_shopper(customer)


def progress(me: dict[str, Any]) -> dict[str, Any] | None:
    """The progress bar towards the next tier (points or money): ``{name, percent, description}``, ``None`` at the top."""
    following = me.get("next_tier")
    if not following:
        return None
    return {"name": following["name"], "percent": min(max(following["percent"], 0), 100),
            "description": following["description"]}


def _next_id() -> str:
    """An id prefix unique in the page, for the labels a widget's buttons point at."""
    g.journeykit_loyalty_ids = g.get("journeykit_loyalty_ids", 0) + 1
    return f"journeykit-loyalty-{g.journeykit_loyalty_ids}"


def points(count: int, signed: bool = False) -> str:
    """``1,250 points``; signed, ``+120`` or ``−500`` (a real minus sign)."""
    if signed:
        return f"{'+' if count >= 0 else '−'}{abs(count):,}"
    return f"{count:,} point{'' if count == 1 else 's'}"


def day(moment: dt.datetime | None) -> str:
    """``4 January 2027``, as embed.js writes dates in English."""
    return f"{moment.day} {moment:%B %Y}" if moment else ""
