"""The owner's and admins' own browsing stays out of the journey (``JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC``)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import abort, request

from journeykit.core.db import session
from journeykit.models import JourneyEvent

from .conftest import ADMIN_KEY

EVENTS = "/journeykit/api/v1/events"
VISITOR = "visitor-owner-0123456789abcdef"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
OWNER = {"X-Shop-User": "owner"}  # what the shop's login says, in this test shop


def _shop(shop_factory, **config):
    app, _, journey = shop_factory(config)

    @journey.admin_guard
    def guard():  # the shop's own login: its owner, a shopper, or a guard that refuses by aborting
        user = request.headers.get("X-Shop-User")
        if user == "aborts":
            abort(403)
        return "Olive Owner" if user == "owner" else False

    return app, journey


def _beacon(app, headers=None, **body):
    payload = {"visitor_id": VISITOR, "events": [{"name": "widget_viewed", "properties": {"widget": "reviews"}},
                                                  {"name": "product_viewed"}], **body}
    return app.test_client().post(EVENTS, data=json.dumps(payload), content_type="text/plain",
                                  headers={"User-Agent": BROWSER, **(headers or {})})


def _logged(app) -> list[str]:
    with app.app_context():
        return list(session().scalars(sa.select(JourneyEvent.name).order_by(JourneyEvent.id)))


def test_the_owners_beacons_and_widget_views_are_dropped(shop_factory):
    app, _ = _shop(shop_factory)
    response = _beacon(app, OWNER)
    assert (response.status_code, response.json) == (202, {"accepted": 0, "ignored": 2})
    assert _logged(app) == []
    shopper = _beacon(app, {"X-Shop-User": "shopper"})
    assert (shopper.status_code, shopper.json) == (202, {"accepted": 2, "ignored": 0})
    assert _logged(app) == ["widget_viewed", "product_viewed"]


def test_the_owners_tracked_events_are_dropped(shop_factory):
    app, journey = _shop(shop_factory)
    with app.test_request_context("/product/sku-1", headers=OWNER):
        journey.track("product_viewed", customer_id="owner-1", product_id="sku-1")
    assert _logged(app) == []
    with app.test_request_context("/product/sku-1", headers={"X-Shop-User": "shopper"}):
        journey.track("product_viewed", customer_id="c-1", product_id="sku-1")
    with app.app_context():  # outside a request (a job): nobody's browsing, always recorded
        journey.track("product_viewed", customer_id="c-2", product_id="sku-1")
    assert _logged(app).count("product_viewed") == 2


def test_a_guard_that_refuses_by_aborting_means_a_shopper(shop_factory):
    app, _ = _shop(shop_factory)
    assert _beacon(app, {"X-Shop-User": "aborts"}).json == {"accepted": 2, "ignored": 0}


def test_an_admin_api_key_is_a_script_not_the_owner_browsing(shop_factory):
    app, _ = _shop(shop_factory)
    assert _beacon(app, {"Authorization": f"Bearer {ADMIN_KEY}"}).json == {"accepted": 2, "ignored": 0}


def test_shops_may_keep_the_owners_traffic(shop_factory):
    app, journey = _shop(shop_factory, JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC=False)
    assert _beacon(app, OWNER).json == {"accepted": 2, "ignored": 0}
    with app.test_request_context("/", headers=OWNER):
        journey.track("checkout_started", customer_id="owner-1")
    assert _logged(app)[-1] == "checkout_started"


def test_what_journeykit_records_itself_still_counts_in_the_owners_request(shop_factory, admin_headers):
    """The owner publishing a shopper's review is the owner's request, but the review is the shopper's."""
    app, journey = _shop(shop_factory)
    client = app.test_client()
    with app.test_request_context():
        token = journey.customer_token("c-reader")
    review = {"rating": 3, "title": "Fine", "body": "It does what it says, mostly."}
    created = client.post("/journeykit/api/v1/products/sku-1/reviews", json=review, headers={"X-JourneyKit-Customer": token})
    assert created.status_code == 201 and created.json["status"] == "pending"
    published = client.post(f"/journeykit/api/v1/admin/reviews/{created.json['id']}/publish", headers=OWNER)
    assert published.status_code == 200
    assert "review_published" in _logged(app)


def test_the_setting_must_be_true_or_false(shop_factory):
    with pytest.raises(ValueError, match="JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC must be True or False"):
        shop_factory({"JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC": "no"})


def test_the_owner_trying_a_referral_link_lands_uncounted(shop_factory):
    app, journey = _shop(shop_factory)
    with app.app_context():
        code = journey.referrals.code_for("c-ann")
    owner = app.test_client().get(f"/journeykit/r/{code}", headers={"User-Agent": BROWSER, **OWNER})
    assert owner.status_code == 302 and owner.headers["Location"] == f"/?ref={code}"
    assert "referral_clicked" not in _logged(app)
    app.test_client().get(f"/journeykit/r/{code}", headers={"User-Agent": BROWSER, "X-Shop-User": "shopper"})
    assert "referral_clicked" in _logged(app)
