"""Pending points: in the balance at once, spendable only after the rule's days; a refund takes them from the pending."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from journeykit import JourneyKitError
from journeykit.core.db import utcnow
from journeykit.loyalty import EntryKind
from journeykit.loyalty.spending import held, pending, spend, spendable
from journeykit.models import PointsEntry
from journeykit.testing import deliver

from .conftest import ADMIN_KEY, make_shop
from .loyalty_helpers import customer, entries

DAY = dt.timedelta(days=1)
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _figures(app, shop_id: str = "c-1", now: dt.datetime | None = None) -> dict[str, int]:
    """The customer's balance, pending points, held points and what they may spend (at ``now`` for the pending)."""
    with app.app_context():
        found = customer(app, shop_id)
        balance = app.extensions["journeykit"].journey.loyalty.balance(shop_id)
        return {"balance": balance, "pending": pending(found.id, now), "held": held(found),
                "spendable": spendable(found, balance)}


def _spendable_at(app) -> list[tuple[str, dt.timedelta | None]]:
    """Each entry's kind and how long after its creation it becomes spendable (``None``: at once)."""
    with app.app_context():
        rows = app.extensions["sqlalchemy"].session.execute(
            sa.select(PointsEntry.kind, PointsEntry.created_at, PointsEntry.spendable_at).order_by(PointsEntry.id))
        return [(kind.value, at - created if at else None) for kind, created, at in rows]


def test_purchase_points_wait_the_purchase_days_and_nothing_else_waits(shop_factory, stripe_events,
                                                                        deliver_stripe_event):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_PENDING_DAYS": {"purchase": 30}})
    with app.app_context():
        journey.loyalty.award("c-1", 50, "Welcome gift", key="gift")
    client = app.test_client()
    assert deliver(client, stripe_events.checkout_completed(customer_id="c-1", amount_total=2500),
                   secret="whsec_test_secret").status_code == 200
    assert _spendable_at(app) == [("award", None), ("purchase", 30 * DAY)]
    assert _figures(app) == {"balance": 75, "pending": 25, "held": 0, "spendable": 50}
    with app.app_context(), pytest.raises(JourneyKitError, match="insufficient_points|Not enough points"):
        spend(customer(app), 51, EntryKind.REDEMPTION, key="too-much")
    assert _figures(app, now=utcnow() + 31 * DAY)["pending"] == 0  # the return window is over


def test_one_number_makes_every_rules_points_wait_but_not_the_owners_adjustments(shop_factory, client_for):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_PENDING_DAYS": 14, "JOURNEYKIT_POINTS_SIGNUP": 10})
    client, headers = client_for(app, journey, "c-1")
    assert client.get("/journeykit/api/v1/me/loyalty", headers=headers).status_code == 200  # signs up: 10 pending
    with app.app_context():
        journey.loyalty.award("c-1", 40, "Newsletter", key="news")
    adjusted = client.post("/journeykit/api/v1/admin/loyalty/customers/c-1/adjustments",
                           json={"points": 5, "reason": "Sorry for the delay"}, headers=ADMIN)
    assert adjusted.status_code == 201
    assert _spendable_at(app) == [("signup", 14 * DAY), ("award", 14 * DAY), ("adjustment", None)]
    assert _figures(app) == {"balance": 55, "pending": 50, "held": 0, "spendable": 5}


def test_a_refund_of_pending_points_takes_them_from_the_pending_never_from_the_spendable(
        shop_factory, stripe_events):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_PENDING_DAYS": {"purchase": 30}})
    client = app.test_client()
    with app.app_context():
        journey.loyalty.award("c-1", 50, "Welcome gift", key="gift")
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=10000)
    assert deliver(client, purchase, secret="whsec_test_secret").status_code == 200
    assert _figures(app) == {"balance": 150, "pending": 100, "held": 0, "spendable": 50}
    refund = stripe_events.charge_refunded(purchase, amount_refunded=4000)
    assert deliver(client, refund, secret="whsec_test_secret").status_code == 200
    assert _figures(app) == {"balance": 110, "pending": 60, "held": 0, "spendable": 50}
    full = stripe_events.charge_refunded(purchase, amount_refunded=10000)
    assert deliver(client, full, secret="whsec_test_secret").status_code == 200
    assert entries(app) == [(50, "award"), (100, "purchase"), (-40, "reversal"), (-60, "reversal")]
    assert _figures(app) == {"balance": 50, "pending": 0, "held": 0, "spendable": 50}


def test_pending_points_of_a_disputed_order_are_withheld_once(shop_factory, stripe_events):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_PENDING_DAYS": {"purchase": 30}})
    client = app.test_client()
    with app.app_context():
        journey.loyalty.award("c-1", 50, "Welcome gift", key="gift")
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=10000)
    for event in (purchase, stripe_events.dispute(purchase)):
        assert deliver(client, event, secret="whsec_test_secret").status_code == 200
    assert _figures(app) == {"balance": 150, "pending": 0, "held": 100, "spendable": 50}


def test_a_reviews_pending_bonus_goes_when_the_review_is_unpublished(shop_factory, client_for):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_PENDING_DAYS": {"review": 7}, "JOURNEYKIT_POINTS_REVIEW": 20})
    client, headers = client_for(app, journey, "c-1")
    api = "/journeykit/api/v1"
    review = client.post(f"{api}/products/sku-1/reviews", json={"rating": 5, "body": "Lovely."}, headers=headers).json
    assert client.post(f"{api}/admin/reviews/{review['id']}/publish", headers=ADMIN).status_code == 200
    assert _figures(app) == {"balance": 20, "pending": 20, "held": 0, "spendable": 0}
    assert client.post(f"{api}/admin/reviews/{review['id']}/reject", json={"reason": "spam"},
                       headers=ADMIN).status_code == 200
    assert _figures(app) == {"balance": 0, "pending": 0, "held": 0, "spendable": 0}


@pytest.mark.parametrize("days", [-1, 3651, 2.5, True, "30", {"purchase": -1}, {"shipping": 3}, [30]])
def test_wrong_pending_days_are_refused_at_start(tmp_path, days):
    with pytest.raises(ValueError, match="JOURNEYKIT_POINTS_PENDING_DAYS"):
        make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_POINTS_PENDING_DAYS": days})


@pytest.fixture
def client_for():
    def make(app, journey, customer_id: str):
        with app.test_request_context():
            token = journey.customer_token(customer_id, email=f"{customer_id}@example.com")
        return app.test_client(), {"X-JourneyKit-Customer": token}

    return make
