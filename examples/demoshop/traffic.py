"""Six weeks of storefront visitors for the demo: what each looked at, and who went on to buy.

THE TRAFFIC IS SYNTHETIC.  A fixed-seed random generator plays a few hundred
anonymous visitors, and the effect of the reviews widget on buying is a number
picked below (:data:`REVIEWS_LIFT`), so that the dashboard's "Widget lift"
looks like what a real hold-out test might show; it measures nothing.

What is real is the way in.  The events go to JourneyKit's event log through
:func:`journeykit.journey.record_events`, back-dated with ``at``
(``journey.track`` and ``POST /api/v1/events`` only record the present), and
whether a visitor is held out of a widget is JourneyKit's own
:func:`journeykit.metrics.holdout.is_held_out`, the grouping ``embed.js`` uses.  The
visitors behave like the shoppers of a storefront that draws its widgets with
``embed.js`` (the one place the hold-out applies).  A referred visitor follows
their friend's real link (:func:`follow_links`).  Purchases are not made here:
the seed sends them through the Stripe webhook for the visitors marked as buyers.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from journeykit import journey as jk_journey
from journeykit import signals
from journeykit.metrics import holdout

from .models import Product

#: Anonymous visitors over the history.
VISITORS = 240
#: Share of them who arrive through a customer's referral link.
REFERRED_SHARE = 0.08
#: Chance to buy for a visitor who never opened a product page, and for one who did.
BROWSER_CONVERSION = 0.01
SHOPPER_CONVERSION = 0.05
#: Added to the chance of a shopper shown the reviews widget (made up, see above).  Far more
#: than most shops would see: with a few hundred visitors and a 20% hold-out, only a large
#: effect stands out from chance (the rating and testimonials widgets have none).
REVIEWS_LIFT = 0.12
#: Added for a visitor sent by a friend's referral link (made up too).
REFERRED_LIFT = 0.25
#: The latest a visit may start: past purchases must be in the past when they arrive.
QUIET = dt.timedelta(hours=2)


@dataclass
class Journey:
    """One visitor's events (oldest first) and, for a buyer, when they check out."""

    visitor_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    referral_code: str | None = None
    buys_at: dt.datetime | None = None

    @property
    def last_at(self) -> dt.datetime:
        return self.events[-1]["at"]

    @property
    def viewed(self) -> set[str]:
        """The products whose page the visitor opened."""
        return {event["product_id"] for event in self.events if event["name"] == "product_viewed"}


def plan(
    rng: random.Random,
    products: list[Product],
    referral_codes: list[str],
    *,
    now: dt.datetime,
    history: dt.timedelta,
) -> list[Journey]:
    """Every visitor's journey over ``history`` up to ``now`` (call inside an app context)."""
    journeys = []
    for _ in range(VISITORS):
        # More visitors in recent weeks: a young shop that is growing.
        first = now - QUIET - (history - QUIET) * rng.random() ** 1.4
        referral = rng.choice(referral_codes) if rng.random() < REFERRED_SHARE else None
        journeys.append(_journey(rng, products, first, referral, now))
    return journeys


def _journey(
    rng: random.Random, products: list[Product], first: dt.datetime, referral: str | None, now: dt.datetime
) -> Journey:
    # A referred visitor's click is not planned here: they follow the real link (:func:`follow_links`).
    journey = Journey(visitor_id=f"demo{rng.getrandbits(96):024x}", referral_code=referral)
    start = first
    for visit in range(rng.choice([1, 1, 1, 2, 2, 3])):
        if visit:
            start = journey.last_at + dt.timedelta(days=rng.uniform(0.5, 9))
            if start > now - QUIET:
                break
        _visit(rng, journey, products, start)
    chance = _conversion(journey)
    if rng.random() < chance:
        checkout = journey.last_at + dt.timedelta(minutes=rng.uniform(1, 6))
        journey.events.append(_event("checkout_started", checkout))
        journey.buys_at = checkout + dt.timedelta(minutes=rng.uniform(1, 4))
    return journey


def _visit(rng: random.Random, journey: Journey, products: list[Product], start: dt.datetime) -> None:
    """The home page (rating badges, testimonials) or a product page straight away, then some products."""
    clock = [start]

    def later(low: float, high: float) -> dt.datetime:
        clock[0] += dt.timedelta(seconds=rng.uniform(low, high))
        return clock[0]

    viewed = rng.sample(products, rng.choice([0, 1, 1, 1, 2, 2, 3]))
    if not viewed or rng.random() < 0.6:
        journey.events.append(_event("page_viewed", later(0, 1), path="/"))
        journey.events.append(_exposure(journey.visitor_id, "rating", later(1, 4)))
        if rng.random() < 0.5:  # scrolled down to the testimonials
            journey.events.append(_exposure(journey.visitor_id, "testimonials", later(3, 30)))
    for product in viewed:  # the product page logs its view; its reviews are further down
        journey.events.append(_event("product_viewed", later(5, 90), product_id=product.sku))
        if rng.random() < 0.85:
            journey.events.append(_exposure(journey.visitor_id, "reviews", later(5, 40), product_id=product.sku))


def _conversion(journey: Journey) -> float:
    """The (synthetic) chance that this visitor buys, from what they did and saw."""
    if not journey.viewed:
        return BROWSER_CONVERSION
    chance = SHOPPER_CONVERSION
    shown = {event["properties"]["widget"] for event in journey.events if event["name"] == "widget_viewed"}
    if "reviews" in shown:
        chance += REVIEWS_LIFT
    if journey.referral_code:
        chance += REFERRED_LIFT
    return chance


def _exposure(visitor_id: str, widget: str, at: dt.datetime, *, product_id: str | None = None) -> dict[str, Any]:
    """``widget_viewed``, or ``widget_held_out`` for a visitor in the widget's hold-out group."""
    name = "widget_held_out" if holdout.is_held_out(visitor_id, widget) else "widget_viewed"
    return _event(name, at, product_id=product_id, widget=widget)


def _event(name: str, at: dt.datetime, *, product_id: str | None = None, **properties: Any) -> dict[str, Any]:
    return {"name": name, "at": at, "product_id": product_id, "properties": properties}


def follow_links(journeys: list[Journey]) -> int:
    """The referred visitors follow their friend's link, just before their first visit.

    JourneyKit records each click and joins the visitor to the code as its
    link ``{prefix}/r/<code>`` does (``journey.referrals.record_click``,
    back-dated: the link itself records the present).  Returns how many
    visitors followed a link.
    """
    referrals = current_app.extensions["journeykit"].journey.referrals
    return sum(referrals.record_click(journey.referral_code, journey.visitor_id,
                                      at=journey.events[0]["at"] - dt.timedelta(seconds=2))
               for journey in journeys if journey.referral_code and journey.events)


def record(journeys: list[Journey]) -> int:
    """Log every journey's events in JourneyKit, back-dated, in one transaction; returns how many."""
    for journey in journeys:
        jk_journey.record_events(journey.events, visitor_id=journey.visitor_id, source="browser")
    signals.commit()
    return sum(len(journey.events) for journey in journeys)
