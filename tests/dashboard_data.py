"""A month of a small shop, logged through the real entry points, for the dashboard tests.

Storefront events arrive as beacons at ``POST /api/v1/events``, referral
clicks through ``journey.track``, purchases as signed Stripe webhooks, and
reviews through the review API: what the owner then sees is what those
produce.  The counts below are what the tests expect, by hand:

- 24 visitors are shown the reviews widget and 16 of them buy (25.00 USD each);
  24 are held out of it and 2 of them buy: a lift of 16/24 - 2/24 = +58.3 points.
- ``HOSTILE_WIDGET`` is shown to one visitor and held out for another.
- one visitor arrives with ``HOSTILE_CODE`` (no referral code: counted with
  the people without one); three click a ``FRIEND`` link (``buyer-1``'s vanity
  code), and a Japanese customer buys for 5,000 JPY with that code.
- ``buyer-0`` buys again (10.00 USD): 19 USD orders, 460.00 USD, 24.21 USD an
  order on average; repeat purchase 1 of 19 buyers.
- ``buyer-0`` and ``buyer-1`` review sku-1 (5 and 4 stars, published at once);
  ``buyer-2`` gives 2 stars, which waits for moderation.

People: 48 + 2 + 1 + 3 + 1 = 55 aware, 19 buyers + 3 clickers = 22 considering,
19 bought, 1 in retention (buyer-0 bought again), 2 advocates (buyer-0 and
buyer-1 reviewed: a one-time buyer who reviews is an advocate, not retained).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from journeykit.metrics import holdout
from journeykit.testing import StripeEvents, deliver

from .conftest import ADMIN_KEY

API = "/journeykit/api/v1"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
CONFIG = {"JOURNEYKIT_HOLDOUT_SHARE": 0.5, "JOURNEYKIT_HOLDOUT_WIDGETS": "reviews"}
HOSTILE_WIDGET = "<script>alert('widget')</script>"
HOSTILE_CODE = '"><img src=x onerror=alert(1)>'
GROUP = 24


def _beacon(client: Any, visitor: str, name: str, **properties: Any) -> None:
    body = {"visitor_id": visitor, "events": [{"name": name, "properties": properties}]}
    response = client.post(f"{API}/events", data=json.dumps(body), content_type="text/plain;charset=UTF-8",
                           headers={"User-Agent": BROWSER})
    assert response.status_code == 202 and response.json["accepted"] == 1, response.json


def _groups(app: Flask) -> tuple[list[str], list[str]]:
    """The first visitor ids the hold-out hash puts in each group of the reviews widget."""
    shown: list[str] = []
    held: list[str] = []
    with app.app_context():
        n = 0
        while len(shown) < GROUP or len(held) < GROUP:
            visitor = f"dashboard-visitor-{n:06d}"
            group = held if holdout.is_held_out(visitor, "reviews") else shown
            if len(group) < GROUP:
                group.append(visitor)
            n += 1
    return shown, held


def seed(app: Flask, journey: Any) -> None:
    """Log the month described in the module's docstring (into an app made with :data:`CONFIG`)."""
    client = app.test_client()
    secret = app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
    stripe = StripeEvents()

    def buy(customer: str, **session: Any) -> None:
        event = stripe.checkout_completed(customer_id=customer, email=f"{customer}@example.com", **session)
        assert deliver(client, event, secret=secret).status_code == 200

    shown, held = _groups(app)
    for visitor in shown:
        _beacon(client, visitor, "widget_viewed", widget="reviews")
    for visitor in held:
        _beacon(client, visitor, "widget_held_out", widget="reviews")
    for n, visitor in enumerate(shown[:16] + held[:2]):
        buy(f"buyer-{n}", visitor_id=visitor, products=["sku-1"])
    buy("buyer-0", amount_total=1000, products=["sku-2"])
    _beacon(client, "dashboard-hostile-1", "widget_viewed", widget=HOSTILE_WIDGET)
    _beacon(client, "dashboard-hostile-2", "widget_held_out", widget=HOSTILE_WIDGET)
    _beacon(client, "dashboard-hostile-3", "page_viewed", referral_code=HOSTILE_CODE)
    # FRIEND is buyer-1's code (the owner's vanity code): only real codes count as referrals.
    vanity = client.put(f"{API}/admin/referrals/customers/buyer-1/code", json={"code": "FRIEND"}, headers=ADMIN)
    assert vanity.status_code == 200, vanity.json
    with app.app_context():
        for n in range(3):
            journey.track("referral_clicked", visitor_id=f"dashboard-friend-{n:06d}", referral_code="FRIEND")
    buy("jp-buyer", amount_total=5000, currency="jpy", products=["sku-3"], referral_code="FRIEND")
    for n, rating in enumerate((5, 4, 2)):
        with app.test_request_context():
            token = journey.customer_token(f"buyer-{n}", name=f"Buyer {n}")
        review = {"rating": rating, "title": f"Review {n}", "body": "Soft, warm and well made."}
        created = client.post(f"{API}/products/sku-1/reviews", json=review, headers={"X-JourneyKit-Customer": token})
        assert created.status_code == 201 and created.json["status"] == ("pending" if rating < 4 else "published")
