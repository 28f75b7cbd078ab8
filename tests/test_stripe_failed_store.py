"""A new event is stored with its effects (one commit): when applying fails, it is still stored, failed, for a retry."""

from __future__ import annotations

import sqlalchemy as sa

from journeykit.models import JourneyEvent, Order, StripeEvent, StripeEventStatus
from journeykit.testing import StripeEvents, deliver

SECRET = "whsec_test_secret"


class Outage(Exception):
    pass


def test_an_event_whose_effects_fail_is_stored_failed_and_its_retry_applies_it_once(app, db, client):
    from journeykit.orders import purchases

    failures = [Outage("the database went away")]

    def failing_once(order):
        if failures:
            raise failures.pop()

    event = StripeEvents().checkout_completed(customer_id="c-1", products=["sku-1"])
    purchases.purchase_handlers.append(failing_once)
    try:
        assert deliver(client, event, secret=SECRET).status_code == 500  # Stripe retries
        stored = db.session.scalars(sa.select(StripeEvent)).one()
        assert (stored.event_id, stored.status, stored.attempts) == (event["id"], StripeEventStatus.FAILED, 1)
        assert "Outage: the database went away" in stored.last_error and event["id"] in stored.payload
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
        db.session.rollback()
        assert deliver(client, event, secret=SECRET).json["outcome"] == "processed"
        assert deliver(client, event, secret=SECRET).json["outcome"] == "duplicate"
    finally:
        purchases.purchase_handlers.remove(failing_once)
    stored = db.session.scalars(sa.select(StripeEvent)).one()
    assert (stored.status, stored.attempts) == (StripeEventStatus.PROCESSED, 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    purchases_logged = sa.select(sa.func.count()).select_from(JourneyEvent).where(JourneyEvent.name == "purchase")
    assert db.session.scalar(purchases_logged) == 1
