"""The owner's moderation page and the public notice on how reviews are collected."""

from __future__ import annotations


def _pending(client, journey) -> int:
    with client.application.test_request_context():
        headers = {"X-JourneyKit-Customer": journey.customer_token("c-1", name="Cara")}
    body = {"rating": 2, "title": "Too <b>small</b>", "body": "Not what the photo suggests."}
    return client.post("/journeykit/api/v1/products/sku-1/reviews", json=body, headers=headers).json["id"]


def test_the_moderation_queue_lists_pending_reviews_with_lawful_reasons(client, journey, admin_headers):
    review_id = _pending(client, journey)
    page = client.get("/journeykit/admin/reviews", headers=admin_headers)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-review-id="{review_id}"' in html and "Too &lt;b&gt;small&lt;/b&gt;" in html
    assert '<option value="personal_data">' in html and "never rejected for being negative" in html
    assert client.get("/journeykit/admin/reviews").status_code == 401


def test_the_public_notice_follows_the_live_settings(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_REVIEWS_AUTO_PUBLISH": "none", "JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": 7})
    html = app.test_client().get("/journeykit/reviews/how-we-collect-reviews").get_data(as_text=True)
    assert "Every review is read by the shop before it appears" in html
    assert "within 7 days appears by itself" in html
