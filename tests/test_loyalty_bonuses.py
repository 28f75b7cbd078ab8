"""Bonus points: off until the owner turns them on; a welcome once, a review's bonus while it is published."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_KEY, make_shop
from .loyalty_helpers import entries

API = "/journeykit/api/v1"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def test_no_bonus_is_given_until_the_owner_turns_it_on(app, client, shopper, admin_headers):
    review = client.post(f"{API}/products/sku-1/reviews", json={"rating": 5, "body": "Lovely."}, headers=shopper("c-1"))
    client.post(f"{API}/admin/reviews/{review.json['id']}/publish", headers=admin_headers)
    assert entries(app) == []


def test_a_new_customer_gets_the_welcome_bonus_once(shop_factory, shopper_token):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_SIGNUP": 100})
    client = app.test_client()
    for _ in range(2):
        mine = client.get(f"{API}/me/loyalty", headers=shopper_token(app, journey, "c-1")).json
        assert mine["balance"] == 100
    assert mine["history"][0]["description"] == "Welcome points"
    assert entries(app) == [(100, "signup")]


def test_a_reviews_bonus_is_held_while_it_is_published(shop_factory, shopper_token):
    app, _, journey = shop_factory({"JOURNEYKIT_POINTS_REVIEW": 20})
    client, headers = app.test_client(), shopper_token(app, journey, "c-1")
    review_id = client.post(f"{API}/products/sku-1/reviews", json={"rating": 5, "body": "Lovely."}, headers=headers).json["id"]
    assert entries(app) == []  # waiting for moderation earns nothing
    admin = f"{API}/admin/reviews/{review_id}"
    for _ in range(2):  # publishing twice gives the bonus once
        assert client.post(f"{admin}/publish", headers=ADMIN).status_code == 200
    assert entries(app) == [(20, "review")]
    app.config["JOURNEYKIT_POINTS_REVIEW"] = 50  # the rule changes: what goes back is what was given
    assert client.post(f"{admin}/reject", json={"reason": "spam"}, headers=ADMIN).status_code == 200
    assert entries(app) == [(20, "review"), (-20, "review")]
    assert client.post(f"{admin}/publish", headers=ADMIN).status_code == 200  # the owner changes their mind
    assert entries(app) == [(20, "review"), (-20, "review"), (50, "review")]
    edited = client.post(f"{API}/products/sku-1/reviews", json={"rating": 4, "body": "Still lovely."}, headers=headers)
    assert edited.status_code in (200, 201) and edited.json["status"] == "pending"  # an edit goes back to moderation
    assert entries(app)[-1] == (-50, "review")
    assert client.get(f"{API}/me/loyalty", headers=headers).json["balance"] == 0


@pytest.mark.parametrize("key", ["JOURNEYKIT_POINTS_SIGNUP", "JOURNEYKIT_POINTS_REVIEW"])
@pytest.mark.parametrize("value", [-1, 2.5, True, "10", None, 1_000_001])
def test_a_wrong_bonus_is_refused_at_start(tmp_path, key, value):
    with pytest.raises(ValueError, match=key):
        make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {key: value})


@pytest.fixture
def shopper_token():
    def headers(app, journey, customer_id: str) -> dict[str, str]:
        with app.test_request_context():
            return {"X-JourneyKit-Customer": journey.customer_token(customer_id, email=f"{customer_id}@example.com")}

    return headers
