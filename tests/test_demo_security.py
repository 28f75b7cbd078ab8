"""The demo shop's guards: its own form tokens, strict ids, a same-site session, and JourneyKit's admin for the owner only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from examples.demoshop.catalog import CUSTOMERS
from journeykit import models as jk

from .demo_shop import demo, form_token, rows, shop_customer, sign_in

__all__ = ["demo"]  # the fixture, imported for these tests


def test_forms_without_the_session_token_are_refused(demo: Flask) -> None:
    client = demo.test_client()
    form_token(client, "/products/mug-stoneware")
    refused = client.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1"})
    assert refused.status_code == 400
    forged = client.post(
        "/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": "x" * 32}
    )
    assert forged.status_code == 400
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)
    assert client.get("/checkout").headers["Location"] == "/cart"


def test_ids_and_quantities_are_ascii_digits_within_64_bits(demo: Flask) -> None:
    client = demo.test_client()
    token = form_token(client, "/products/mug-stoneware")
    for quantity in ("\u00b2", "\uff11", "\u0661"):  # superscript two, fullwidth one, Arabic-Indic one
        added = client.post("/cart", data={"sku": "mug-stoneware", "quantity": quantity, "add": "1", "csrf_token": token})
        assert added.status_code == 400, quantity
    token = form_token(client, "/signin")
    for customer_id in ("\u00b2", "\uff11", str(2**63), str(10**30)):
        assert client.post("/signin", data={"customer_id": customer_id, "csrf_token": token}).status_code == 400, customer_id
    for order_id in ("\uff11", str(2**63), str(10**30)):
        assert client.get(f"/orders/{order_id}/complete").status_code == 404, order_id


def test_journeykit_admin_is_for_the_shop_owner_only(demo: Flask) -> None:
    client = demo.test_client()
    anonymous = client.get("/journeykit/admin/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/signin?next=/journeykit/admin/"
    sign_in(client, shop_customer(demo, "sofia.rossi@example.com"))
    refused = client.get("/journeykit/admin/")
    assert refused.status_code == 403 and "may not use JourneyKit" in refused.get_data(as_text=True)
    sign_in(client, shop_customer(demo, CUSTOMERS[0].email))
    admin = client.get("/journeykit/admin/")
    assert admin.status_code == 200
    # Newest first as the dashboard lists them: Stripe dates to the second, and seeded purchases share seconds.
    newest = sa.select(jk.Customer.email).join(jk.Order).order_by(jk.Order.created_at.desc(), jk.Order.id.desc())
    latest_buyer = rows(demo, newest)[0]
    assert latest_buyer in admin.get_data(as_text=True)


def test_the_shops_session_cookie_is_same_site_and_http_only(demo: Flask) -> None:
    client = demo.test_client()
    sign_in(client, shop_customer(demo, CUSTOMERS[1].email))
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.same_site == "Lax" and cookie.http_only
