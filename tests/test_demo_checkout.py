"""The demo shop's two checkout paths: offline (JourneyKit's real webhook, signed here) and Stripe Checkout."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask

from examples.demoshop import models as shop
from journeykit import models as jk
from journeykit.testing import StripeEvents, deliver

from .demo_shop import completed_order, demo, form_token, rows, shop_customer, sign_in
from .fake_stripe import FakeStripe

__all__ = ["demo"]  # the fixture, imported for these tests


def test_offline_checkout_records_a_paid_order_in_journeykit(demo: Flask) -> None:
    client = demo.test_client()
    buyer = shop_customer(demo, "ethan.brooks@example.com")
    token = sign_in(client, buyer)
    client.post(
        "/cart", data={"sku": "mug-stoneware", "quantity": "2", "add": "1", "csrf_token": token}
    )
    client.post(
        "/cart", data={"sku": "notebook-a5", "quantity": "1", "add": "1", "csrf_token": token}
    )
    assert "$50.50" in client.get("/cart").get_data(as_text=True)
    assert "Pay $50.50" in client.get("/checkout").get_data(as_text=True)

    paid = client.post("/checkout", data={"csrf_token": token})
    assert paid.status_code == 302
    order_id = completed_order(paid)
    complete = client.get(f"/orders/{order_id}/complete").get_data(as_text=True)
    assert "Thank you, Ethan!" in complete and "<journeykit-loyalty" in complete
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)

    visitor = client.get_cookie("journeykit_visitor").value
    with demo.app_context():
        order = shop.db.session.get(shop.Order, order_id)
        assert order.status == "paid" and order.total_cents == 5050
        # Needs JourneyKit's webhook: the pay button delivered a signed checkout.session.completed.
        recorded = shop.db.session.scalars(
            sa.select(jk.Order).where(jk.Order.checkout_session_id == order.stripe_session_id)
        ).one()
        assert recorded.status == jk.OrderStatus.PAID
        assert recorded.amount_total == 5050
        assert recorded.customer.shop_customer_id == str(buyer.id)
        assert sorted(recorded.product_ids) == ["mug-stoneware", "notebook-a5"]
        assert shop.db.session.get(jk.Visitor, visitor).customer_id == recorded.customer_id


def test_guest_checkout_checks_the_form_and_matches_the_buyer_by_email(demo: Flask) -> None:
    client = demo.test_client()
    token = form_token(client, "/products/tote-canvas")
    client.post(
        "/cart", data={"sku": "tote-canvas", "quantity": "1", "add": "1", "csrf_token": token}
    )
    refused = client.post(
        "/checkout", data={"csrf_token": token, "name": "", "email": "not-an-address"}
    )
    assert refused.status_code == 400
    assert "Enter an e-mail address" in refused.get_data(as_text=True)
    assert not rows(demo, sa.select(shop.Order).where(shop.Order.email == "not-an-address"))

    paid = client.post(
        "/checkout", data={"csrf_token": token, "name": "Rosa Park", "email": "rosa@example.net"}
    )
    order_id = completed_order(paid)
    assert "Thank you, Rosa!" in client.get(f"/orders/{order_id}/complete").get_data(as_text=True)
    recorded = rows(
        demo, sa.select(jk.Order).join(jk.Customer).where(jk.Customer.email == "rosa@example.net")
    )
    assert [order.amount_total for order in recorded] == [2200]

    # Nobody else sees the order.
    assert demo.test_client().get(f"/orders/{order_id}/complete").status_code == 404


def test_refused_payment_keeps_the_order_pending_and_the_cart(demo: Flask) -> None:
    client = demo.test_client()
    token = sign_in(client, shop_customer(demo, "priya.sharma@example.org"))
    client.post(
        "/cart", data={"sku": "candle-cedar", "quantity": "1", "add": "1", "csrf_token": token}
    )
    # The pay button now delivers its event where no webhook listens (it answers 404).
    demo.config["JOURNEYKIT_URL_PREFIX"] = "/nowhere"
    try:
        refused = client.post("/checkout", data={"csrf_token": token}, follow_redirects=True)
    finally:
        demo.config["JOURNEYKIT_URL_PREFIX"] = "/journeykit"
    assert "The payment could not be confirmed" in refused.get_data(as_text=True)
    assert "Cedar &amp; Fig Soy Candle" in client.get("/cart").get_data(as_text=True)
    latest = rows(
        demo,
        sa.select(shop.Order.status)
        .where(shop.Order.email == "priya.sharma@example.org")
        .order_by(shop.Order.id.desc()),
    )[0]
    assert latest == "pending"


@pytest.fixture
def fake_stripe(fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    """The local fake of Stripe's API, where the demo shop's own stripe calls go too (``stripe.api_base``)."""
    monkeypatch.setattr(stripe, "api_base", fake_stripe.url)
    return fake_stripe


def test_with_stripe_keys_checkout_goes_to_stripe_with_journeykit_params(
    demo: Flask, fake_stripe: FakeStripe
) -> None:
    client = demo.test_client()
    buyer = shop_customer(demo, "ingrid.larsen@example.org")
    token = sign_in(client, buyer)
    client.post(
        "/cart", data={"sku": "bottle-steel", "quantity": "2", "add": "1", "csrf_token": token}
    )
    demo.config["DEMOSHOP_STRIPE_SECRET_KEY"] = "sk_test_demo"
    try:
        to_stripe = client.post("/checkout", data={"csrf_token": token})
        assert to_stripe.headers["Location"] == "https://checkout.stripe.com/c/pay/cs_test_fake1"
        sent = fake_stripe.created[0]
        assert sent["client_reference_id"] == [str(buyer.id)]
        assert sent["metadata[journeykit_products]"] == ["bottle-steel"]
        assert sent["metadata[journeykit_visitor]"] == [
            client.get_cookie("journeykit_visitor").value
        ]
        assert sent["line_items[0][quantity]"] == ["2"] and sent[
            "line_items[0][price_data][unit_amount]"
        ] == ["3500"]
        success_url = sent["success_url"][0]
        assert success_url.endswith("?session_id={CHECKOUT_SESSION_ID}")

        # Stripe tells JourneyKit, then sends the buyer back to the shop.
        event = StripeEvents().checkout_completed(
            session_id="cs_test_fake1",
            customer_id=str(buyer.id),
            email=buyer.email,
            products=["bottle-steel"],
            amount_total=7000,
        )
        assert (
            deliver(
                demo.test_client(), event, secret=demo.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
            ).status_code
            == 200
        )
        back = client.get(
            success_url.replace("http://localhost", "").replace(
                "{CHECKOUT_SESSION_ID}", "cs_test_fake1"
            )
        )
        assert "Thank you, Ingrid!" in back.get_data(as_text=True)
    finally:
        demo.config["DEMOSHOP_STRIPE_SECRET_KEY"] = None
