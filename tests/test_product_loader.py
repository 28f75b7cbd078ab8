"""The shop's @journey.product_loader names products everywhere and keeps unknown ones out."""

from __future__ import annotations

import json
import re

API = "/journeykit/api/v1"
VISITOR = "visitor-0123456789ab"
CATALOGUE = {"1": {"name": "Stoneware <Mug>", "url": "https://shop.example/p/1", "image": "https://shop.example/1.png",
                   "brand": "Hearth", "gtin": "4006381333931"}}


def _mounted(journey):
    journey.product_loader(CATALOGUE.get)


def test_widgets_and_json_ld_use_the_loaders_name_and_facts(app, client, journey, shopper, admin_headers):
    _mounted(journey)
    review = client.post(f"{API}/products/1/reviews", json={"rating": 5, "body": "Lovely."}, headers=shopper("c-1"))
    client.post(f"{API}/admin/reviews/{review.json['id']}/publish", headers=admin_headers)
    html = client.get("/journeykit/widgets/reviews?product=1").get_data(as_text=True)
    assert "Stoneware &lt;Mug&gt;" in html and "Customer reviews of 1<" not in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert (data["name"], data["sku"], data["url"], data["brand"]) == (
        "Stoneware <Mug>", "1", "https://shop.example/p/1", {"@type": "Brand", "name": "Hearth"})
    for page in ("/journeykit/admin/reviews", "/journeykit/admin/"):
        assert "Stoneware &lt;Mug&gt;" in client.get(page, headers=admin_headers).get_data(as_text=True), page


def test_a_loader_giving_paths_gets_absolute_addresses_in_json_ld(client, journey):
    """``url_for`` gives a path; schema.org data and Google's feed need the whole address."""
    journey.product_loader(lambda product_id: {"name": "Mug", "url": "/p/1", "image": "/static/1.png"})
    html = client.get("/journeykit/widgets/reviews?product=1", base_url="https://shop.example").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert (data["url"], data["image"]) == ("https://shop.example/p/1", "https://shop.example/static/1.png")


def test_unknown_products_get_no_reviews_photos_or_events(client, journey, shopper):
    _mounted(journey)
    refused = client.post(f"{API}/products/2/reviews", json={"rating": 5, "body": "Lovely."}, headers=shopper("c-1"))
    assert refused.status_code == 404 and refused.json["error"]["code"] == "unknown_product"
    events = client.post(f"{API}/events", json={"visitor_id": VISITOR, "events": [
        {"name": "product_viewed", "product_id": "1"}, {"name": "product_viewed", "product_id": "2"}]})
    assert events.status_code == 422 and list(events.json["error"]["fields"]) == ["events.1.product_id"]
    assert client.get(f"{API}/admin/reviews", headers={"Authorization": "Bearer test-admin-key-0123456789"}).json["items"] == []


def test_without_a_loader_any_product_id_of_the_right_shape_is_taken(client, shopper):
    answer = client.post(f"{API}/products/anything-at-all/reviews", json={"rating": 5, "body": "Fine."},
                         headers=shopper("c-1"))
    assert answer.status_code == 201
