"""Bonus points: off until the owner turns them on; a welcome once, a review's bonus while it is published, a referral's
until it is revoked."""

from __future__ import annotations

import pytest

from journeykit import loyalty
from journeykit.journey import ensure_customer
from journeykit.loyalty import EntryKind
from journeykit.loyalty.spending import spend

from .conftest import ADMIN_KEY, make_shop
from .loyalty_helpers import customer, entries

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


REFERRAL = {"JOURNEYKIT_POINTS_REFERRAL": 250,
            "JOURNEYKIT_LOYALTY_TIERS": [{"name": "Gold", "points": 100, "bonus_percent": 50}]}


def _referral(app, call, shop_id: str, referral_id: str, *, commit: bool = True) -> None:
    """``loyalty.referral_bonus`` or ``referral_bonus_revoked`` as the referrals capability calls it: in its transaction."""
    with app.app_context():
        getattr(loyalty, call)(ensure_customer(shop_id), referral_id)
        session = app.extensions["sqlalchemy"].session
        session.commit() if commit else session.rollback()


def test_no_referral_bonus_until_the_owner_turns_it_on(app):
    _referral(app, "referral_bonus", "c-1", "r-1")
    assert entries(app) == []


def test_a_referral_earns_its_bonus_once_without_the_tiers_multiplier_in_the_callers_transaction(shop_factory):
    app, _, journey = shop_factory(REFERRAL)
    with app.app_context():
        journey.loyalty.award("c-1", 100, "Founder", key="founder")  # Gold: purchases earn 50% more, bonuses do not
    _referral(app, "referral_bonus", "c-1", "r-1", commit=False)  # the referral's transaction rolled back
    assert entries(app) == [(100, "award")]
    for _ in range(2):
        _referral(app, "referral_bonus", "c-1", "r-1")
    _referral(app, "referral_bonus", "c-1", "r-2")
    assert entries(app) == [(100, "award"), (250, "referral"), (250, "referral")]


def test_a_revoked_referral_gives_back_what_it_gave_once_and_earns_nothing_again(shop_factory):
    app, _, journey = shop_factory(REFERRAL)
    _referral(app, "referral_bonus", "c-1", "r-1")
    app.config["JOURNEYKIT_POINTS_REFERRAL"] = 500  # the rule changes: what goes back is what was given
    for _ in range(2):
        _referral(app, "referral_bonus_revoked", "c-1", "r-1")
    _referral(app, "referral_bonus", "c-1", "r-1")  # the referrals capability retries: a revoked one stays revoked
    _referral(app, "referral_bonus_revoked", "c-1", "never-given")
    assert entries(app) == [(250, "referral"), (-250, "referral")]
    with app.app_context():
        assert journey.loyalty.balance("c-1") == 0


@pytest.mark.parametrize("wrong", ["", "r" * 201, 17, None])
def test_a_wrong_referral_id_is_refused_and_changes_nothing(shop_factory, wrong):
    app, _, _ = shop_factory(REFERRAL)
    for call in ("referral_bonus", "referral_bonus_revoked"):
        with pytest.raises(ValueError, match="referral_id"):
            _referral(app, call, "c-1", wrong)
    assert entries(app) == []
    _referral(app, "referral_bonus", "c-1", "r" * 200)
    assert entries(app) == [(250, "referral")]


@pytest.mark.parametrize(("negative", "expected"), [
    (False, [(250, "referral"), (-200, "redemption"), (-250, "referral"), (200, "write_off")]),
    (True, [(250, "referral"), (-200, "redemption"), (-250, "referral")]),
])
def test_a_revoked_bonus_already_spent_is_written_off_unless_the_owner_allows_negative(shop_factory, negative, expected):
    app, _, journey = shop_factory({**REFERRAL, "JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE": negative})
    _referral(app, "referral_bonus", "c-1", "r-1")
    with app.app_context():
        spend(customer(app), 200, EntryKind.REDEMPTION, key="code-1")
        app.extensions["sqlalchemy"].session.commit()
    _referral(app, "referral_bonus_revoked", "c-1", "r-1")
    assert entries(app) == expected
    with app.app_context():
        assert journey.loyalty.balance("c-1") == (-200 if negative else 0)


@pytest.mark.parametrize("key", ["JOURNEYKIT_POINTS_BIRTHDAY", "JOURNEYKIT_POINTS_REFERRAL"])
@pytest.mark.parametrize("value", [-1, 2.5, True, "10", None, 1_000_001])
def test_a_wrong_birthday_or_referral_bonus_is_refused_at_start(tmp_path, key, value):
    with pytest.raises(ValueError, match=key):
        make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {key: value})
