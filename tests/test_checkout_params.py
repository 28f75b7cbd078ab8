"""``journey.checkout_params``: what a shop merges into ``stripe.checkout.Session.create``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journeykit import signals
from journeykit.models import Order, Visitor


def test_params_carry_the_journey_to_stripe(journey):
    params = journey.checkout_params(
        customer_id=42, email="jo@example.com", products=["sku-1", "sku-2"], visitor_id="v" * 22, referral_code="REF-1"
    )
    assert params == {
        "client_reference_id": "42",
        "customer_email": "jo@example.com",
        "metadata": {"journeykit_products": "sku-1,sku-2", "journeykit_visitor": "v" * 22, "journeykit_referral": "REF-1"},
    }


def test_the_visitor_defaults_to_the_current_request(app, journey):
    with app.test_request_context(headers={"X-JourneyKit-Visitor": "w" * 22}):
        assert journey.checkout_params(products=["a"])["metadata"]["journeykit_visitor"] == "w" * 22
    assert journey.checkout_params() == {}


@pytest.mark.parametrize(
    "kwargs",
    [{"products": ["a,b"]}, {"customer_id": "x" * 201}, {"products": ["p" * 300, "q" * 300]}],
)
def test_values_stripe_would_refuse_are_refused_here(journey, kwargs):
    with pytest.raises(ValueError):
        journey.checkout_params(**kwargs)


def test_a_purchase_made_with_the_params_joins_the_visitors_history(
    app, db, journey, client, stripe_events, deliver_stripe_event
):
    visitor = "v" * 22
    client.post("/journeykit/api/v1/events", json={"events": [{"name": "product_viewed", "product_id": "sku-1"}]},
                headers={"X-JourneyKit-Visitor": visitor})
    params = journey.checkout_params(customer_id="c-7", products=["sku-1"], visitor_id=visitor)
    event = stripe_events.checkout_completed(
        customer_id=params["client_reference_id"], products=params["metadata"]["journeykit_products"].split(","),
        visitor_id=params["metadata"]["journeykit_visitor"],
    )
    assert deliver_stripe_event(event).status_code == 200
    db.session.expire_all()
    joined = db.session.get(Visitor, visitor)
    assert joined.customer is not None and joined.customer.shop_customer_id == "c-7"


def test_purchase_signal_is_sent_after_commit(app, db, stripe_events, deliver_stripe_event):
    """A receiver that reads the database from another connection already sees the order."""
    seen: list[int] = []

    def count_orders(sender, **extra):
        with db.engine.connect() as other:
            seen.append(other.scalar(sa.select(sa.func.count()).select_from(Order)))

    signals.purchase_recorded.connect(count_orders, app)
    try:
        deliver_stripe_event(stripe_events.checkout_completed())
    finally:
        signals.purchase_recorded.disconnect(count_orders, app)
    assert seen == [1]


def test_each_delivery_logs_one_line(caplog, stripe_events, deliver_stripe_event):
    event = stripe_events.checkout_completed()
    with caplog.at_level("INFO", logger="journeykit.stripe"):
        deliver_stripe_event(event)
    lines = [record.getMessage() for record in caplog.records if record.name == "journeykit.stripe"]
    assert len(lines) == 1
    assert event["id"] in lines[0] and "checkout.session.completed: processed" in lines[0] and " ms)" in lines[0]
