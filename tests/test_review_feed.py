"""The Google product-reviews XML feed: published reviews only, product ids, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

FEED = "/journeykit/feeds/google-product-reviews.xml"
ADMIN = "/journeykit/api/v1/admin/reviews"
HOSTILE = "<script>alert(1)</script> & ]]> \"quotes\""


def _write(client, journey, customer_id, product, **review):
    headers = {"X-JourneyKit-Customer": journey.customer_token(customer_id, name=customer_id)}
    body = {"rating": 4, "title": "", "body": "Fine.", **review}
    return client.post(f"/journeykit/api/v1/products/{product}/reviews", json=body, headers=headers).json["id"]


def test_the_feed_lists_published_reviews_with_the_shops_product_ids(app, client, journey, admin_headers):
    @journey.product_loader
    def product(product_id):
        return {"name": "Blue mug", "url": "https://shop.example/p/mug", "gtin": "4006381333931", "mpn": "MUG-1",
                "brand": "Acme"} if product_id == "mug" else {} if product_id == "sku-2" else None  # sku-2: no facts

    published = _write(client, journey, "ann", "mug", rating=5, title=HOSTILE, body=HOSTILE)
    client.post(f"{ADMIN}/{published}/publish", headers=admin_headers)
    plain = _write(client, journey, "bob", "sku-2", rating=2)
    client.post(f"{ADMIN}/{plain}/publish", headers=admin_headers)
    _write(client, journey, "cat", "mug", rating=1, body="Still pending.")

    response = client.get(FEED)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "feed" and root.findtext("version") == "2.4"
    assert root.findtext("publisher/name") == "localhost"
    reviews = {review.findtext("review_id"): review for review in root.findall("reviews/review")}
    assert set(reviews) == {str(published), str(plain)}  # the pending one is left out

    mug = reviews[str(published)]
    assert (mug.findtext("title"), mug.findtext("content")) == (HOSTILE, HOSTILE)  # text, never markup
    assert b"<script>" not in response.data
    assert mug.findtext("reviewer/name") == "ann" and mug.findtext("is_verified_purchase") == "false"
    assert mug.find("ratings/overall").attrib == {"min": "1", "max": "5"} and mug.findtext("ratings/overall") == "5"
    ids = mug.find("products/product/product_ids")
    assert [child.tag for child in ids] == ["gtins", "mpns", "skus", "brands"]
    assert (ids.findtext("gtins/gtin"), ids.findtext("mpns/mpn"), ids.findtext("skus/sku")) == ("4006381333931", "MUG-1", "mug")
    assert mug.findtext("products/product/product_url") == "https://shop.example/p/mug"
    assert mug.findtext("review_url").startswith("https://shop.example/p/mug#") and mug.findtext("is_spam") == "false"
    assert mug.findtext("review_timestamp").endswith("Z")

    other = reviews[str(plain)]
    assert other.find("title") is None and other.findtext("products/product/product_ids/skus/sku") == "sku-2"
    assert other.find("products/product/product_ids/gtins") is None
    assert "/journeykit/widgets/reviews?product=sku-2" in other.findtext("products/product/product_url")


def test_the_feed_is_public_and_names_the_configured_shop(shop_factory):
    app, _, _ = shop_factory(config={"JOURNEYKIT_SHOP_NAME": "Mugs & Co <Berlin>"})
    response = app.test_client().get(FEED)
    root = ET.fromstring(response.data)
    assert response.status_code == 200 and root.findtext("publisher/name") == "Mugs & Co <Berlin>"
    assert root.find("reviews") is not None and list(root.find("reviews")) == []
