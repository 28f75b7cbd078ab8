"""The review form: a second review edits the first, the shopper sees theirs in place, buyers are asked, anchors.

The widget's form is a plain HTML form posted to ``POST /journeykit/widgets/reviews?product=…``: embed.js
sends it in the background (naming the visitor) and gets the widget back; a page without JavaScript gets a
303 back to where it came from.  The same rules hold through the JSON API.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import render_template_string, request

from journeykit import reviews
from journeykit.hooks.outbound import payloads as outbound

API = "/journeykit/api/v1"
PRODUCT = f"{API}/products/sku-1"
FORM = "/journeykit/widgets/reviews?product=sku-1"
SCRIPT = {"X-JourneyKit-Visitor": "visitor-0123456789abcdef"}  # what embed.js sends with every call
WAITING = "Thanks — your review is waiting for approval."


@pytest.fixture
def shop(shop_factory):
    """A shop whose login is the ``X-Who`` header (its ``customer_loader``), as a shop's cookie would be."""
    app, db, journey = shop_factory()
    journey.customer_loader(lambda: (request.headers["X-Who"], f"{request.headers['X-Who']}@example.com", "Ann Author")
                            if "X-Who" in request.headers else None)
    return app, db, journey


def _token(journey, app, customer: str) -> str:
    with app.test_request_context():
        return journey.customer_token(customer, email=f"{customer}@example.com", name=customer.title())


def _buy(stripe_events, deliver_stripe_event, customer: str, *products: str, session: str | None = None) -> dict:
    purchase = stripe_events.checkout_completed(customer_id=customer, products=list(products), amount_total=3000)
    if session:
        purchase["data"]["object"]["id"] = session
    assert deliver_stripe_event(purchase).status_code == 200
    return purchase


def _send(client, token: str | None, *, script: bool = True, **fields) -> object:
    form = {"rating": "4", "title": "Sturdy", "body": "Holds heat.", **fields}
    if token is not None:
        form["customer_token"] = token
    return client.post(FORM, data=form, headers=SCRIPT if script else {})


def _admin_reviews(client, admin_headers) -> list[dict]:
    return client.get(f"{API}/admin/reviews?status=all", headers=admin_headers).json["items"]


def _widget(client, token: str | None = None, **query) -> str:
    headers = {"X-JourneyKit-Customer": token} if token else {}
    return client.get("/journeykit/widgets/reviews", query_string={"product": "sku-1", **query}, headers=headers).get_data(as_text=True)


# The JSON API: an edit, not a second review, and the answer says which.

def test_a_second_review_through_the_api_edits_the_first_and_says_so(client, shopper, admin_headers):
    headers = shopper("c-1")
    first = client.post(f"{PRODUCT}/reviews", json={"rating": 5, "body": "Great."}, headers=headers)
    assert first.status_code == 201 and first.json["edited_at"] is None
    edit = client.post(f"{PRODUCT}/reviews", json={"rating": 2, "body": "Chipped.", "title": "Less great"}, headers=headers)
    assert edit.status_code == 200 and edit.json["id"] == first.json["id"] and edit.json["edited_at"] is not None
    assert (edit.json["rating"], edit.json["body"], edit.json["status"]) == (2, "Chipped.", "pending")
    assert [(r["id"], r["body"]) for r in _admin_reviews(client, admin_headers)] == [(first.json["id"], "Chipped.")]
    with client.application.app_context():  # the review.submitted webhook says so too
        assert outbound.review(reviews.get(first.json["id"]))["edited_at"] == edit.json["edited_at"]
    spec = client.get(f"{API}/openapi.json").json
    answers = spec["paths"]["/products/{product_id}/reviews"]["post"]["responses"]
    assert {"200", "201"} <= set(answers) and "edited_at" in spec["components"]["schemas"]["OwnReview"]["properties"]


def test_an_edit_keeps_the_auto_publish_policy_and_shows_as_edited(client, shopper, admin_headers, stripe_events,
                                                                   deliver_stripe_event):
    _buy(stripe_events, deliver_stripe_event, "buyer-1", "sku-1")
    headers = shopper("buyer-1")
    created = client.post(f"{PRODUCT}/reviews", json={"rating": 5, "body": "Lovely."}, headers=headers).json
    assert created["status"] == "published"  # a verified buyer's 5 stars publish at once
    edited = client.post(f"{PRODUCT}/reviews", json={"rating": 4, "body": "Still lovely."}, headers=headers).json
    assert edited["status"] == "published" and edited["edited_at"]
    low = client.post(f"{PRODUCT}/reviews", json={"rating": 1, "body": "Broke."}, headers=headers).json
    assert low["status"] == "pending" and client.get(f"{PRODUCT}/rating").json["count"] == 0  # back to moderation
    client.post(f"{API}/admin/reviews/{low['id']}/publish", headers=admin_headers)
    [shown] = client.get(f"{PRODUCT}/reviews").json["items"]
    assert shown["edited_at"] and shown["body"] == "Broke."
    assert '<span class="journeykit-edited">Edited</span>' in _widget(client)


@pytest.mark.parametrize("bad", [{"rating": 6}, {"rating": "5"}, {"body": ""}, {"title": "x" * 151}, {"rating": None}])
def test_bad_input_to_an_edit_is_a_422_and_changes_nothing(client, shopper, bad):
    headers = shopper("c-2")
    first = client.post(f"{PRODUCT}/reviews", json={"rating": 3, "body": "Fine."}, headers=headers).json
    refused = client.post(f"{PRODUCT}/reviews", json={"rating": 4, "body": "Better.", **bad}, headers=headers)
    assert refused.status_code == 422 and set(refused.json["error"]["fields"]) & {"rating", "body", "title"}
    again = client.post(f"{PRODUCT}/reviews", json={"rating": 3, "body": "Fine."}, headers=headers).json
    assert again["id"] == first["id"] and again["edited_at"]


def test_someone_elses_token_writes_their_own_review_and_a_forged_one_nothing(app, client, journey, shopper, admin_headers):
    ann = client.post(f"{PRODUCT}/reviews", json={"rating": 5, "body": "Ann's words."}, headers=shopper("ann")).json
    bob = client.post(f"{PRODUCT}/reviews", json={"rating": 1, "body": "Bob's words."}, headers=shopper("bob"))
    assert bob.status_code == 201 and bob.json["id"] != ann["id"]
    forged = _token(journey, app, "ann")[:-2] + "xx"
    refused = client.post(f"{PRODUCT}/reviews", json={"rating": 1, "body": "Not Ann."}, headers={"X-JourneyKit-Customer": forged})
    assert refused.status_code == 401
    assert sorted(r["body"] for r in _admin_reviews(client, admin_headers)) == ["Ann's words.", "Bob's words."]


# The widget's form, sent by embed.js: the widget comes back with the review in place.

def test_the_form_sent_by_the_script_answers_the_widget_with_the_review_in_place(app, client, journey, admin_headers):
    token = _token(journey, app, "ann")
    sent = _send(client, token)
    assert sent.status_code == 201 and sent.headers["Cache-Control"] == "private, no-store"
    html = sent.get_data(as_text=True)
    review_id = _admin_reviews(client, admin_headers)[0]["id"]
    own = re.search(r'<ul class="journeykit-review-list journeykit-own">(.*?)</ul>', html, re.S).group(1)
    assert f'id="journeykit-review-{review_id}"' in own and "Holds heat." in own and "Waiting for approval" in own
    assert f'data-jk="status">{WAITING}</p>' in html
    assert re.search(r'<form [^>]*data-jk="form"[^>]* hidden>', html)  # the form closes...
    assert 'aria-expanded="false" aria-controls' in html and ">Edit your review</button>" in html  # ...to reopen filled
    assert 'value="4" id="journeykit-' in html and re.search(r'value="4" id="[^"]+" required checked', html)

    edited = _send(client, token, rating="2", body="Chipped after a week.")
    assert edited.status_code == 200
    html = edited.get_data(as_text=True)
    assert "Thanks — your edited review is waiting for approval." in html and "Chipped after a week." in html
    assert '<span class="journeykit-edited">Edited</span>' in html
    reviews = _admin_reviews(client, admin_headers)
    assert [(r["id"], r["rating"], r["body"]) for r in reviews] == [(review_id, 2, "Chipped after a week.")]


def test_a_pending_review_is_shown_to_its_author_alone(app, client, journey):
    _send(client, _token(journey, app, "ann"), body="Only Ann sees this for now.")
    assert "Only Ann sees this for now." in _widget(client, _token(journey, app, "ann"))
    assert "Only Ann sees this for now." not in _widget(client)  # anyone
    assert "Only Ann sees this for now." not in _widget(client, _token(journey, app, "bob"))  # another shopper
    with app.test_request_context(headers={"X-Who": "bob"}):
        assert "Only Ann sees this for now." not in render_template_string('{{ journeykit.reviews("sku-1") }}')
    with app.test_request_context(headers={"X-Who": "ann"}):
        assert "Only Ann sees this for now." in render_template_string('{{ journeykit.reviews("sku-1") }}')


def test_a_published_review_of_the_shopper_is_marked_as_theirs_in_the_list(app, client, journey, admin_headers):
    token = _token(journey, app, "ann")
    _send(client, token, rating="5", body="Mine, published.")
    review_id = _admin_reviews(client, admin_headers)[0]["id"]
    client.post(f"{API}/admin/reviews/{review_id}/publish", headers=admin_headers)
    html = _widget(client, token)
    assert "journeykit-own" not in html and "Waiting for approval" not in html
    assert re.search(rf'id="journeykit-review-{review_id}".*Mine, published\..*<strong class="journeykit-note">Your review</strong>',
                     html, re.S)
    assert "Your review</strong>" not in _widget(client)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"rating": ""}, "rating", "Choose a rating from 1 to 5 stars."),
    ({"rating": "9"}, "rating", "Choose a rating from 1 to 5 stars."),
    ({"body": "   "}, "body", "Write a few words about the product."),
    ({"body": "See https://a.example https://b.example https://c.example"}, "body", "Too many links."),
    ({"title": "t" * 151}, "title", "Longer than maximum length 150."),
    ({"body": "Nul\x00byte"}, "body", "Text may not contain NUL characters."),
    ({"title": "Nul\x00"}, "title", "Text may not contain NUL characters."),
])
def test_bad_input_in_the_form_is_a_422_with_the_form_open_and_filled_and_nothing_saved(app, client, journey, admin_headers,
                                                                                       fields, field, message):
    sent = _send(client, _token(journey, app, "ann"), **fields)
    assert sent.status_code == 422
    html = sent.get_data(as_text=True)
    assert 'data-jk="status">Please correct the marked fields.</p>' in html
    error = re.search(rf'<p class="journeykit-error" id="([^"]+-{field}-error)">([^<]*)</p>', html)
    assert error and error.group(2) == message
    assert f'aria-invalid="true" aria-describedby="{error.group(1)}"' in html
    assert not re.search(r'<form [^>]*data-jk="form"[^>]* hidden>', html)  # still open
    assert ">Write a review</button>" in html and _admin_reviews(client, admin_headers) == []
    if field != "body":
        assert ">Holds heat.</textarea>" in html  # what they wrote is kept


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_without_a_valid_token_the_form_saves_nothing(app, client, journey, admin_headers, token):
    sent = _send(client, token)
    assert sent.status_code == 401
    assert "Please reload the page (and sign in again if asked) to send your review." in sent.get_data(as_text=True)
    assert _admin_reviews(client, admin_headers) == []


def test_the_honeypot_an_unknown_product_and_a_missing_one_are_refused(app, client, journey, admin_headers):
    token = _token(journey, app, "ann")
    assert _send(client, token, website="https://spam.example").status_code == 422
    journey.product_loader(lambda product_id: {"name": "Mug"} if product_id == "sku-1" else None)
    unknown = client.post("/journeykit/widgets/reviews?product=sku-404", data={"rating": "4", "body": "x", "customer_token": token},
                          headers=SCRIPT)
    assert unknown.status_code == 404 and "The shop has no product" in unknown.get_data(as_text=True)
    assert client.post("/journeykit/widgets/reviews", data={"customer_token": token}, headers=SCRIPT).status_code == 404
    assert _admin_reviews(client, admin_headers) == []


# Without JavaScript: the form posts, and the page comes back at the review.

def test_without_the_script_the_form_returns_to_the_page_at_the_review(app, client, journey, admin_headers):
    token = _token(journey, app, "ann")
    sent = _send(client, token, script=False, next="http://localhost/products/mug?colour=blue#reviews")
    review_id = _admin_reviews(client, admin_headers)[0]["id"]
    assert sent.status_code == 303
    assert sent.headers["Location"] == f"http://localhost/products/mug?colour=blue#journeykit-review-{review_id}"
    elsewhere = _send(client, token, script=False, next="https://evil.example/")
    assert elsewhere.headers["Location"].endswith(f"/journeykit/widgets/reviews?product=sku-1#journeykit-review-{review_id}")
    for sneaky in ("//evil.example/x", "javascript:alert(1)", "/\\evil.example", "/x\r\nLocation: https://evil.example", "/\x00"):
        assert "evil" not in _send(client, token, script=False, next=sneaky).headers["Location"]
    refused = _send(client, token, script=False, rating="", next="javascript:alert(1)")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and page.startswith("<!doctype html>") and "javascript:" not in page
    assert "Choose a rating from 1 to 5 stars." in page


def test_the_shops_page_renders_the_form_for_its_signed_in_shopper_and_names_the_way_back(app):
    with app.test_request_context("/products/mug", headers={"X-Who": "ann"}):
        html = render_template_string('{{ journeykit.reviews("sku-1", name="Mug") }}')
    assert 'name="customer_token" value="' in html and '<input type="hidden" name="next" value="http://localhost/products/mug">' in html
    assert 'action="http://localhost/journeykit/widgets/reviews?product=sku-1&amp;name=Mug"' in html
    assert "<noscript>" in html  # without the script the form is simply shown
    with app.test_request_context("/products/mug"):
        anonymous = render_template_string('{{ journeykit.reviews("sku-1", name="Mug") }}')
    assert "customer_token" not in anonymous and "data-signed-in" not in anonymous


# Buyers are asked: in the widget, and on the order's thank-you page.

def test_a_buyer_who_has_not_reviewed_finds_the_widget_open_with_a_prompt(app, client, journey, stripe_events,
                                                                           deliver_stripe_event):
    _buy(stripe_events, deliver_stripe_event, "buyer-1", "sku-1")
    token = _token(journey, app, "buyer-1")
    html = _widget(client, token, name="Stoneware Mug")
    assert '<strong>How was Stoneware Mug?</strong> · <span class="journeykit-verified">Verified buyer</span>' in html
    assert 'aria-expanded="true"' in html and not re.search(r'<form [^>]*data-jk="form"[^>]* hidden>', html)
    assert "How was" not in _widget(client, _token(journey, app, "browser"))  # never bought it
    assert "How was" not in _widget(client)
    assert "How was" not in _widget(client, token, product="sku-2")  # bought something else
    assert _send(client, token, rating="5").status_code == 201
    after = _widget(client, token)
    assert "How was" not in after and ">Edit your review</button>" in after and 'aria-expanded="false"' in after


def test_a_refunded_buyer_is_not_asked(app, client, journey, stripe_events, deliver_stripe_event):
    purchase = _buy(stripe_events, deliver_stripe_event, "buyer-2", "sku-1")
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=3000))
    assert "How was" not in _widget(client, _token(journey, app, "buyer-2"))


def test_the_thank_you_page_asks_about_each_product_not_yet_reviewed(app, client, journey, stripe_events,
                                                                    deliver_stripe_event):
    _buy(stripe_events, deliver_stripe_event, "buyer-3", "sku-1", "sku-2", session="cs_test_thanks")
    journey.product_loader(lambda product_id: {"name": {"sku-1": "Mug", "sku-2": "Teapot"}.get(product_id, product_id)})

    def prompt(**headers) -> str:
        with app.test_request_context("/thanks", headers=headers):
            return render_template_string('{{ journeykit.review_prompt("cs_test_thanks") }}')

    html = prompt()
    assert "<strong>How was Mug?</strong>" in html and "<strong>How was Teapot?</strong>" in html
    assert html.count('<span class="journeykit-verified">Verified buyer</span>') == 2
    link = re.search(r'<a href="([^"]+)#review-sku-1">Write a review</a>', html).group(1)
    form = client.get(link.replace("http://localhost", ""))
    assert form.status_code == 200 and '<fieldset id="review-sku-1">' in form.get_data(as_text=True)
    assert "How was Mug?" in prompt(**{"X-Who": "buyer-3"})  # the buyer, signed in
    assert prompt(**{"X-Who": "someone-else"}).strip() == ""  # not their order
    assert _send(client, _token(journey, app, "buyer-3")).status_code == 201  # reviewed sku-1
    assert "How was Mug?" not in prompt() and "How was Teapot?" in prompt()
    with app.test_request_context("/thanks"):
        assert render_template_string('{{ journeykit.review_prompt("cs_unknown") }}').strip() == ""
        french = render_template_string('{{ journeykit.review_prompt("cs_test_thanks", lang="fr") }}')
    assert "Qu&#39;avez-vous pensé de Teapot ?</strong> <a " in french and ">Donner votre avis</a>" in french


# Every rendered review carries the anchor the Google feed links to.

def test_every_rendered_review_carries_the_anchor_the_feed_links_to(app, client, journey, admin_headers):
    ids = []
    for n in range(7):
        headers = {"X-JourneyKit-Customer": _token(journey, app, f"c-{n}")}
        created = client.post(f"{PRODUCT}/reviews", json={"rating": 5, "body": f"Body {n}."}, headers=headers).json
        client.post(f"{API}/admin/reviews/{created['id']}/publish", headers=admin_headers)
        ids.append(created["id"])
    feed = ET.fromstring(client.get("/journeykit/feeds/google-product-reviews.xml").get_data())
    linked = {url.text.rsplit("#", 1)[1] for url in feed.iter("review_url")}
    assert linked == {f"journeykit-review-{n}" for n in ids}
    first = _widget(client)
    cursor = re.search(r'data-next="([^"]+)"', first).group(1)
    later = _widget(client, cursor=cursor)
    rendered = set(re.findall(r'<li class="journeykit-review" id="(journeykit-review-\d+)"', first + later))
    assert rendered == linked
    assert re.search(r'<ul class="journeykit-review-list" data-next="" data-said="2 more reviews shown." data-jk="list">', later)
    assert client.get("/journeykit/widgets/reviews?product=sku-1&cursor=nonsense").status_code == 400


def test_the_widget_speaks_french_when_asked(app, client, journey, admin_headers):
    headers = {"X-JourneyKit-Customer": _token(journey, app, "ann")}
    for stars in (4, 5):
        created = client.post(f"{PRODUCT}/reviews", json={"rating": stars, "body": "Bien."},
                              headers={"X-JourneyKit-Customer": _token(journey, app, f"fr-{stars}")}).json
        client.post(f"{API}/admin/reviews/{created['id']}/publish", headers=admin_headers)
    html = client.get("/journeykit/widgets/reviews?product=sku-1&lang=fr", headers=headers).get_data(as_text=True)
    assert "<h2>Avis clients</h2>" in html and 'aria-label="Noté 4,5 sur 5, 2 avis"' in html
    assert ">Donner votre avis</button>" in html and ">1 étoile<" in html and ">2 étoiles<" in html
    rating = client.get("/journeykit/widgets/rating?product=sku-1&lang=fr").get_data(as_text=True)
    assert "4,5 · 2 avis" in rating
