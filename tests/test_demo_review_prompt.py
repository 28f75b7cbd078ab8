"""The demo shop asks its buyers for reviews: on the order's thank-you page, and on their next visit to what they bought."""

from __future__ import annotations

import re

from flask import Flask

from .demo_shop import completed_order, demo, form_token, shop_customer, sign_in

__all__ = ["demo"]  # the fixture, imported for these tests


def test_a_guest_is_asked_on_the_thank_you_page_and_writes_through_its_link(demo: Flask) -> None:
    client = demo.test_client()
    token = form_token(client, "/products/tote-canvas")
    client.post("/cart", data={"sku": "tote-canvas", "quantity": "1", "add": "1", "csrf_token": token})
    paid = client.post("/checkout", data={"csrf_token": token, "name": "Nia Guest", "email": "nia.guest@example.net"})
    page = client.get(f"/orders/{completed_order(paid)}/complete").get_data(as_text=True)
    assert "<strong>How was Market Canvas Tote?</strong>" in page and "Verified buyer" in page
    link = re.search(r'<a href="http://localhost(/journeykit/reviews/write/[^"#]+)#review-tote-canvas">Write a review</a>', page)
    assert link, page
    sent = client.post(link.group(1), data={"rating-tote-canvas": "5", "body-tote-canvas": "Carries everything."})
    assert sent.status_code == 200 and "Thank you!" in sent.get_data(as_text=True)
    again = client.get(f"/orders/{completed_order(paid)}/complete").get_data(as_text=True)
    assert "How was Market Canvas Tote?" not in again


def test_a_signed_in_buyer_finds_the_product_page_asking_and_reviews_there(demo: Flask) -> None:
    client = demo.test_client()
    buyer = shop_customer(demo, "ethan.brooks@example.com")
    token = sign_in(client, buyer)
    client.post("/cart", data={"sku": "tote-canvas", "quantity": "1", "add": "1", "csrf_token": token})
    completed_order(client.post("/checkout", data={"csrf_token": token}))
    product = client.get("/products/tote-canvas").get_data(as_text=True)
    assert "<strong>How was Market Canvas Tote?</strong>" in product and 'aria-expanded="true"' in product
    customer_token = re.search(r'name="customer_token" value="([^"]+)"', product).group(1)
    # The shop's own CSRF check does not stand in the way: the customer token is the form's proof.
    sent = client.post("/journeykit/widgets/reviews?product=tote-canvas&name=Market+Canvas+Tote",
                       data={"customer_token": customer_token, "rating": "4", "body": "Strong handles.",
                             "next": "http://localhost/products/tote-canvas"})
    assert sent.status_code == 303
    assert re.fullmatch(r"http://localhost/products/tote-canvas#journeykit-review-\d+", sent.headers["Location"])
    after = client.get("/products/tote-canvas").get_data(as_text=True)
    assert "How was Market Canvas Tote?" not in after and ">Edit your review</button>" in after
    assert "Strong handles." in after
