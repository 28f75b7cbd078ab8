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
    assert 'aria-label="Rated 4.5 out of 5, 2 reviews"' in badge


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


def test_the_fragment_names_the_next_page_so_the_script_need_not_fetch_the_first_again(app, client, journey, admin_headers):
    for n in range(7):
        _publish(client, journey, admin_headers, f"c-{n}", rating=5, title=f"T{n}", body=f"Body {n}.", name=f"N{n}")
    html = client.get("/journeykit/widgets/reviews?product=sku-1").get_data(as_text=True)
    shown = re.findall(r'<p class="journeykit-review-body">(.*?)</p>', html)
    assert shown == [f"Body {n}." for n in range(6, 1, -1)]
    cursor = re.search(r'<ul class="journeykit-review-list" data-next="([^"]+)"', html).group(1)
    rest = client.get(f"/journeykit/api/v1/products/sku-1/reviews?limit=5&cursor={cursor}").json
    assert [item["body"] for item in rest["items"]] == ["Body 1.", "Body 0."] and rest["next"] is None
    assert 'data-next' not in client.get("/journeykit/widgets/reviews?product=sku-2").get_data(as_text=True)


def _testimonial(client, admin_headers, name: str) -> None:
    created = client.post("/journeykit/api/v1/testimonials", json={"name": name, "body": f"From {name}.", "consent": True}).json
    client.post(f"/journeykit/api/v1/admin/testimonials/{created['id']}/publish", headers=admin_headers)


def test_testimonials_render_as_a_grid_or_a_carousel(app, client, admin_headers):
    for name in ("Ana", "Ben", "Cy"):
        _testimonial(client, admin_headers, name)
    grid = client.get("/journeykit/widgets/testimonials").get_data(as_text=True)
    assert grid.count("<li><figure") == 3 and "carousel" not in grid
    with app.test_request_context():
        carousel = render_template_string('{{ journeykit.testimonials(layout="carousel", autoplay=1) }}')
    assert 'layout="carousel" autoplay="3"' in carousel  # at least three seconds a slide
    assert '<section class="journeykit-testimonials" aria-label="What our customers say" aria-roledescription="carousel">' in carousel
    labels = re.findall(r'role="group" aria-roledescription="slide" aria-label="([^"]+)"', carousel)
    assert labels == ["1 of 3", "2 of 3", "3 of 3"]
    refused = client.get("/journeykit/widgets/testimonials?layout=<script>")
    assert refused.status_code == 422 and "layout must be one of grid, carousel" in refused.get_data(as_text=True)
    assert "<script>" not in refused.get_data(as_text=True)
