"""Asking buyers for reviews: once per order, a signed link, a form that needs no sign-in."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from journeykit.reviews import requests as review_requests
from journeykit import signals
from journeykit.signals import commit

LATER = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)


@pytest.fixture
def asked(app):
    seen: list[dict] = []

    def receiver(sender, **extra):
        seen.append(extra)

    signals.review_request_due.connect(receiver, app)
    yield seen
    signals.review_request_due.disconnect(receiver, app)


def _send(app, now=LATER) -> int:
    with app.app_context():
        sent = review_requests.send_due(now=now)
        commit()
    return sent


def test_a_due_order_is_asked_once_with_a_working_link(app, client, asked, stripe_events, deliver_stripe_event):
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-1", name="Dee", products=["sku-1", "sku-2"]))
    assert _send(app, now=dt.datetime.now(dt.timezone.utc)) == 0  # not yet: 7 days by default
    assert _send(app) == 1 and _send(app) == 0
    assert len(asked) == 1 and asked[0]["products"] == ["sku-1", "sku-2"]
    path = re.sub(r"^https?://[^/]+", "", asked[0]["url"])
    form = client.get(path)
    assert form.status_code == 200 and 'name="rating-sku-2"' in form.get_data(as_text=True)
    done = client.post(path, data={"rating-sku-1": "5", "title-sku-1": "Great", "body-sku-1": "Really good."})
    assert "Thank you" in done.get_data(as_text=True)
    reviews = client.get("/journeykit/api/v1/products/sku-1/reviews").json["items"]
    assert [(r["rating"], r["verified"], r["author"]) for r in reviews] == [(5, True, "Dee")]
    assert client.get("/journeykit/api/v1/products/sku-2/reviews").json["items"] == []


def test_refunded_orders_are_not_asked(app, asked, stripe_events, deliver_stripe_event):
    purchase = stripe_events.checkout_completed(customer_id="c-2", products=["sku-1"])
    deliver_stripe_event(purchase)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=purchase["data"]["object"]["amount_total"]))
    assert _send(app) == 0 and asked == []


def test_forged_or_tampered_links_show_nothing(client):
    for token in ("nonsense", "eyJvIjoxfQ.AAAA.BBBB"):
        response = client.get(f"/journeykit/reviews/write/{token}")
        assert response.status_code == 404


def test_bad_form_input_saves_nothing(app, client, asked, stripe_events, deliver_stripe_event):
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-3", products=["sku-1"]))
    _send(app)
    path = re.sub(r"^https?://[^/]+", "", asked[0]["url"])
    for rating in ("9", "\u00b2", "\uff15", "\u0665"):  # out of range, superscript two, fullwidth five, Arabic-Indic five
        page = client.post(path, data={"rating-sku-1": rating, "body-sku-1": "Fine."})
        assert page.status_code == 200 and 'class="error"' in page.get_data(as_text=True), rating
    assert client.get("/journeykit/api/v1/admin/reviews", headers={"Authorization": "Bearer test-admin-key-0123456789"}).json["items"] == []


def test_the_command_sends_and_reports(app, stripe_events, deliver_stripe_event):
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-4", products=["sku-1"]))
    result = app.test_cli_runner().invoke(args=["journeykit", "reviews", "send-requests"])
    assert result.exit_code == 0 and "0 review request(s) sent." in result.output


def test_a_nul_character_in_the_form_is_refused_not_a_server_error(app, client, asked, stripe_events,
                                                                   deliver_stripe_event):
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-5", products=["sku-1"]))
    _send(app)
    path = re.sub(r"^https?://[^/]+", "", asked[0]["url"])
    page = client.post(path, data={"rating-sku-1": "5", "title-sku-1": "Fi\x00ne", "body-sku-1": "Go\x00od."})
    assert page.status_code < 500
    assert client.get("/journeykit/api/v1/products/sku-1/reviews").json["items"] == []
