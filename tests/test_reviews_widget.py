"""The server-rendered reviews fragment: visible text, inert markup, schema.org JSON-LD."""

from __future__ import annotations

import json
import re

from flask import render_template_string

HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def _publish(client, journey, admin_headers, customer: str, **review) -> None:
    with client.application.test_request_context():
        headers = {"X-JourneyKit-Customer": journey.customer_token(customer, name=review.pop("name", customer))}
    created = client.post("/journeykit/api/v1/products/sku-1/reviews", json=review, headers=headers).json
    client.post(f"/journeykit/api/v1/admin/reviews/{created['id']}/publish", headers=admin_headers)


def _json_ld(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1, html
    return json.loads(blocks[0])


def test_fragment_shows_reviews_and_passes_googles_review_snippet_shape(app, client, journey, admin_headers):
    _publish(client, journey, admin_headers, "c-1", rating=5, title="Perfect", body="Keeps coffee hot.", name="Ana")
    _publish(client, journey, admin_headers, "c-2", rating=4, title="Good", body="A bit heavy.", name="Ben")
    with app.test_request_context():
        html = render_template_string('{{ journeykit.reviews("sku-1", name="Stoneware Mug") }}')
    assert "Keeps coffee hot." in html and "4.5 out of 5 · 2 reviews" in html
    data = _json_ld(html)
    assert (data["@type"], data["name"], data["sku"]) == ("Product", "Stoneware Mug", "sku-1")
    assert data["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": 4.5, "reviewCount": 2, "bestRating": 5, "worstRating": 1}
    first = data["review"][0]
    assert first["author"] == {"@type": "Person", "name": "Ben"}
    assert first["reviewRating"]["ratingValue"] == 4 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["datePublished"])
    badge = client.get("/journeykit/widgets/rating?product=sku-1").get_data(as_text=True)
    assert 'aria-label="Rated 4.5 out of 5"' in badge


def test_without_reviews_there_is_no_rating_to_claim(app):
    with app.test_request_context():
        html = render_template_string('{{ journeykit.reviews("sku-9") }}')
    assert "No reviews yet." in html
    assert "aggregateRating" not in _json_ld(html)


def test_hostile_reviews_stay_inert_text(app, client, journey, admin_headers):
    _publish(client, journey, admin_headers, "c-3", rating=1, title=HOSTILE, body=HOSTILE, name=HOSTILE)
    html = client.get("/journeykit/widgets/reviews?product=sku-1").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;" in html
    assert _json_ld(html)["review"][0]["reviewBody"] == HOSTILE  # the JSON-LD keeps the text, escaped for HTML
    assert html.count("</script>") == 1
