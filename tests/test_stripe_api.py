"""What JourneyKit asks Stripe's API (a local fake of it): products, missed events."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from journeykit.models import Order, StripeEvent, StripeEventStatus
from journeykit.testing import StripeEvents, deliver

from .fake_stripe import line_item


@pytest.fixture
def stripe_shop(shop_factory, fake_stripe):
    return shop_factory({"JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url})


def _order(db) -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


def test_products_come_from_line_items_off_the_webhook_path(stripe_shop, fake_stripe):
    app, db, _ = stripe_shop
    event = StripeEvents().checkout_completed(products=())
    session_id = event["data"]["object"]["id"]
    fake_stripe.line_items[session_id] = [line_item("prod_A", journeykit_product="sku-9", quantity=2), line_item("prod_B")]
    assert deliver(app.test_client(), event, secret="whsec_test_secret").status_code == 200
    assert fake_stripe.requests == []  # acknowledging never calls Stripe
    with app.app_context():
        order = _order(db)
        assert order.products_pending and order.product_ids == []
    result = app.test_cli_runner().invoke(args=["journeykit", "stripe", "line-items"])
    assert result.exit_code == 0, result.output
    assert "1 order(s) filled" in result.output
    with app.app_context():
        order = _order(db)
        assert not order.products_pending
        assert [(i.product_id, i.quantity, i.amount_total) for i in order.items] == [("sku-9", 2, 3000), ("prod_B", 1, 1500)]


def test_line_items_without_an_api_key_say_so(shop):
    app, _, _ = shop
    result = app.test_cli_runner().invoke(args=["journeykit", "stripe", "line-items"])
    assert result.exit_code != 0
    assert "JOURNEYKIT_STRIPE_API_KEY" in str(result.exception)


def test_sync_recovers_missed_events_and_skips_known_ones(stripe_shop, fake_stripe):
    app, db, _ = stripe_shop
    builder = StripeEvents()
    delivered = builder.checkout_completed(customer_id="a")
    missed = builder.checkout_completed(customer_id="b")
    assert deliver(app.test_client(), delivered, secret="whsec_test_secret").status_code == 200
    fake_stripe.events = [delivered, missed]
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 3600))
    result = app.test_cli_runner().invoke(args=["journeykit", "stripe", "sync", "--since", since])
    assert result.exit_code == 0, result.output
    assert "1 missed event(s) recovered, 1 already known" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 2
        statuses = db.session.scalars(sa.select(StripeEvent.status)).all()
        assert statuses == [StripeEventStatus.PROCESSED] * 2


def test_replay_reapplies_failed_events(shop, monkeypatch):
    app, db, _ = shop
    from journeykit.orders import purchases

    def broken(order, at):
        raise RuntimeError("the database hiccuped")

    event = StripeEvents().checkout_completed(customer_id="c")
    monkeypatch.setattr(purchases, "_record_purchase", broken)
    response = deliver(app.test_client(), event, secret="whsec_test_secret")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server_error" and "hiccup" not in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalars(sa.select(StripeEvent)).one()
        assert (row.status, row.attempts) == (StripeEventStatus.FAILED, 1)
        assert "hiccuped" in row.last_error
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0  # rolled back
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["journeykit", "stripe", "replay", "--failed"])
    assert result.exit_code == 0, result.output
    assert f"{event['id']}: processed" in result.output
    with app.app_context():
        assert _order(db).status.value == "paid"
        assert db.session.scalars(sa.select(StripeEvent.status)).one() is StripeEventStatus.PROCESSED


def test_replay_needs_a_selection(shop):
    result = shop[0].test_cli_runner().invoke(args=["journeykit", "stripe", "replay"])
    assert result.exit_code == 2 and "--failed" in result.output
