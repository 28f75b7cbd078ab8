"""The Stripe webhook: verification, storage, exactly-once effects."""

from __future__ import annotations

import sqlalchemy as sa

from journeykit.models import Customer, JourneyEvent, Order, OrderStatus, StripeEvent
from journeykit.stages import Stage

WEBHOOK = "/journeykit/stripe/webhook"


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_paid_checkout_is_a_purchase_once(client, db, stripe_events, deliver_stripe_event):
    event = stripe_events.checkout_completed(customer_id="shopper-42", email="Shopper@Example.com", products=["sku-1", "sku-2"], amount_total=4200)
    first = deliver_stripe_event(event)
    again = deliver_stripe_event(event)
    assert first.status_code == 200, first.json
    assert first.json["outcome"] == "processed"
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.status, order.amount_total, order.product_ids) == (OrderStatus.PAID, 4200, ["sku-1", "sku-2"])
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.shop_customer_id, customer.email, customer.stage) == ("shopper-42", "shopper@example.com", Stage.PURCHASE)
    purchases = db.session.scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "purchase")).all()
    assert len(purchases) == 1
    assert _count(db, StripeEvent) == 1


def test_bad_signature_is_refused_and_nothing_stored(client, db, stripe_events):
    event = stripe_events.checkout_completed()
    from journeykit.testing import deliver

    response = deliver(client, event, secret="whsec_wrong")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_signature"
    assert _count(db, StripeEvent) == 0 and _count(db, Order) == 0
