"""Shoppers turn points into one-time Stripe promotion codes; a code unused gives its points back, once."""

from __future__ import annotations

import datetime as dt

import pytest

from journeykit.core.db import utcnow

from .conftest import ADMIN_KEY
from .loyalty_helpers import entries

API = "/journeykit/api/v1"
REWARDS = [{"id": "5-off", "points": 500, "amount_off": 500, "currency": "usd"},
           {"id": "big", "points": 2000, "amount_off": 2500, "currency": "usd"},
           {"id": "yen", "points": 300, "amount_off": 500, "currency": "jpy"}]


@pytest.fixture
def shop(shop_factory, fake_stripe):
    return shop_factory({"JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url,
                         "JOURNEYKIT_LOYALTY_REWARDS": REWARDS, "JOURNEYKIT_STRIPE_TIMEOUT": 0.5})


@pytest.fixture
def ann(app, journey, shopper):
    with app.app_context():
        journey.loyalty.award("ann", 1200, "Welcome", key="welcome")
    return shopper("ann")


def _own_shop(shop_factory):
    """A shop without Stripe, Ann with 1,200 points, and her headers."""
    app, _, journey = shop_factory({"JOURNEYKIT_LOYALTY_REWARDS": REWARDS})
    with app.app_context():
        journey.loyalty.award("ann", 1200, "Welcome", key="welcome")
        headers = {"X-JourneyKit-Customer": journey.customer_token("ann", email="ann@example.com")}
    return app, journey, headers


def _redeem(client, headers, reward="5-off", key="attempt-1", **extra):
    return client.post(f"{API}/me/loyalty/redemptions", json={"reward": reward, "key": key, **extra}, headers=headers)


def test_points_buy_a_one_time_stripe_promotion_code_of_the_rewards_amount(app, client, ann, fake_stripe):
    made = _redeem(client, ann)
    assert made.status_code == 201
    body = made.json
    assert body["code"].startswith("JK-") and len(body["code"]) == 13
    assert (body["points"], body["amount_off"], body["currency"], body["label"], body["status"]) == (
        500, 500, "usd", "5.00 USD off", "issued")
    assert (body["balance"], body["spendable"]) == (700, 700)
    assert entries(app, "ann") == [(1200, "award"), (-500, "redemption")]
    [coupon] = fake_stripe.coupons.values()
    assert (coupon["amount_off"], coupon["currency"], coupon["duration"], coupon["max_redemptions"]) == (
        500, "usd", "once", 1)
    [promotion] = fake_stripe.promotion_codes.values()
    assert (promotion["code"], promotion["coupon"]["id"], promotion["max_redemptions"]) == (body["code"], coupon["id"], 1)
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert promotion["expires_at"] == int(expires.timestamp())
    assert dt.timedelta(days=30) < expires - utcnow() <= dt.timedelta(days=31) and expires.time() == dt.time()
    mine = client.get(f"{API}/me/loyalty", headers=ann).json
    assert [(code["code"], code["status"]) for code in mine["codes"]] == [(body["code"], "issued")]
    assert [(reward["id"], reward["affordable"]) for reward in mine["rewards"]] == [
        ("yen", True), ("5-off", True), ("big", False)]
    assert mine["history"][0]["description"] == "Turned into a code for 5.00 USD off"


def test_a_retried_request_answers_the_same_code_and_spends_once(app, client, ann, fake_stripe):
    first = _redeem(client, ann)
    again = _redeem(client, ann)
    assert again.status_code == 200 and again.json["code"] == first.json["code"]
    by_header = client.post(f"{API}/me/loyalty/redemptions", json={"reward": "5-off"},
                            headers={**ann, "Idempotency-Key": "header-key"})
    by_header_again = client.post(f"{API}/me/loyalty/redemptions", json={"reward": "5-off"},
                                  headers={**ann, "Idempotency-Key": "header-key"})
    assert (by_header.status_code, by_header_again.status_code) == (201, 200)
    assert by_header.json["code"] == by_header_again.json["code"] != first.json["code"]
    assert entries(app, "ann") == [(1200, "award"), (-500, "redemption"), (-500, "redemption")]
    assert len(fake_stripe.promotion_codes) == 2


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "reward"), ({"reward": ""}, 422, "reward"), ({"reward": "   "}, 422, "reward"),
    ({"reward": 5}, 422, "reward"), ({"reward": ["5-off"]}, 422, "reward"), ({"reward": "x" * 41}, 422, "reward"),
    ({"reward": "10-off"}, 422, "reward"), ({"reward": "5-off", "key": ""}, 422, "key"),
    ({"reward": "5-off", "key": "k" * 201}, 422, "key"), ({"reward": "5-off", "points": -500}, 422, "points"),
])
def test_a_wrong_request_is_refused_and_changes_nothing(app, client, ann, fake_stripe, body, status, field):
    refused = client.post(f"{API}/me/loyalty/redemptions", json=body, headers=ann)
    assert refused.status_code == status and field in refused.json["error"]["fields"]
    assert entries(app, "ann") == [(1200, "award")] and not fake_stripe.coupons


def test_not_json_and_not_signed_in_are_refused(app, client, ann, fake_stripe):
    assert client.post(f"{API}/me/loyalty/redemptions", data="reward=5-off", headers=ann).status_code == 400
    anonymous = client.post(f"{API}/me/loyalty/redemptions", json={"reward": "5-off"})
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "customer_required"
    assert entries(app, "ann") == [(1200, "award")] and not fake_stripe.requests


def test_more_points_than_spendable_is_refused_before_stripe_is_asked(app, client, ann, fake_stripe):
    refused = _redeem(client, ann, reward="big")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "insufficient_points"
    assert "1200 available" in refused.json["error"]["message"]
    assert entries(app, "ann") == [(1200, "award")] and not fake_stripe.requests
    _redeem(client, ann, key="a")
    _redeem(client, ann, key="b")
    assert _redeem(client, ann, key="c").status_code == 409  # 200 left: the third is one too many
    assert [points for points, _ in entries(app, "ann")] == [1200, -500, -500]


@pytest.mark.parametrize("failure, status, code", [
    ([(500, {"error": {"type": "api_error", "message": "boom"}})] * 3, 503, "stripe_unavailable"),
    ([(429, {"error": {"type": "rate_limit_error", "message": "slow down"}})], 503, "stripe_unavailable"),
    ([(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})], 503, "stripe_unavailable"),
    ([(400, {"error": {"type": "invalid_request_error",
                       "message": "Your account cannot create coupons until it has a card."}})], 502, "stripe_failed"),
    ([(200, {"id": "coupon_x", "object": "coupon"}),  # the coupon made, then the promotion code refused
      (400, {"error": {"type": "invalid_request_error", "message": "No such coupon"}})], 502, "stripe_failed"),
])
def test_stripe_failing_answers_502_or_503_and_leaves_the_points(app, client, ann, fake_stripe, failure, status, code):
    fake_stripe.failures = list(failure)
    failed = _redeem(client, ann)
    assert failed.status_code == status and failed.json["error"]["code"] == code
    assert "nothing was spent" in failed.json["error"]["message"]
    assert entries(app, "ann") == [(1200, "award")]
    assert client.get(f"{API}/me/loyalty", headers=ann).json["codes"] == []
    retried = _redeem(client, ann)  # the same attempt, once Stripe is back
    assert retried.status_code == 201 and retried.json["balance"] == 700


def test_stripe_timing_out_answers_503_and_leaves_the_points(app, client, ann, fake_stripe):
    fake_stripe.delay = 1.0  # twice JOURNEYKIT_STRIPE_TIMEOUT
    failed = _redeem(client, ann)
    assert failed.status_code == 503 and failed.json["error"]["code"] == "stripe_unavailable"
    assert entries(app, "ann") == [(1200, "award")]


def test_no_stripe_key_and_no_code_maker_means_no_redemptions(shop_factory):
    app, _, headers = _own_shop(shop_factory)
    refused = app.test_client().post(f"{API}/me/loyalty/redemptions", json={"reward": "5-off"}, headers=headers)
    assert refused.status_code == 503 and refused.json["error"]["code"] == "redemptions_unavailable"
    assert entries(app, "ann") == [(1200, "award")]


def test_a_paid_checkout_that_used_the_code_closes_it_once(app, client, ann, fake_stripe, stripe_events,
                                                           deliver_stripe_event):
    made = _redeem(client, ann).json
    [promotion_id] = fake_stripe.promotion_codes
    purchase = stripe_events.checkout_completed(customer_id="ann", amount_total=1000, promotion_codes=[promotion_id])
    deliver_stripe_event(purchase)
    deliver_stripe_event(purchase)
    [code] = client.get(f"{API}/me/loyalty", headers=ann).json["codes"]
    assert (code["code"], code["status"]) == (made["code"], "used")
    # Deactivated after use, in Stripe's dashboard: nothing comes back.
    promotion = {**fake_stripe.promotion_codes[promotion_id], "times_redeemed": 1}
    deliver_stripe_event(stripe_events.promotion_code_updated(promotion, active=False))
    assert [kind for _, kind in entries(app, "ann")] == ["award", "redemption", "purchase"]


def test_a_code_deactivated_unused_gives_its_points_back_once(app, client, ann, fake_stripe, stripe_events,
                                                              deliver_stripe_event):
    _redeem(client, ann)
    [promotion] = fake_stripe.promotion_codes.values()
    deactivated = stripe_events.promotion_code_updated(promotion, active=False)
    assert deliver_stripe_event(deactivated).status_code == 200
    deliver_stripe_event(deactivated)
    deliver_stripe_event(stripe_events.promotion_code_updated(promotion, active=False))  # a second event
    assert entries(app, "ann") == [(1200, "award"), (-500, "redemption"), (500, "code_returned")]
    mine = client.get(f"{API}/me/loyalty", headers=ann).json
    assert (mine["balance"], mine["codes"][0]["status"]) == (1200, "returned")
    assert mine["history"][0]["description"] == "Returned: a discount code was not used"


def test_expired_codes_unused_give_their_points_back_and_used_ones_do_not(app, client, ann, fake_stripe):
    unused, used = _redeem(client, ann, key="a").json, _redeem(client, ann, key="b").json
    promotion = next(code for code in fake_stripe.promotion_codes.values() if code["code"] == used["code"])
    promotion["times_redeemed"] = 1  # used at a checkout whose webhook never arrived
    runner = app.test_cli_runner()
    early = runner.invoke(args=["journeykit", "loyalty", "codes"])
    assert early.exit_code == 0 and "Gave back the points of 0 unused code(s); 0 were used." in early.output
    from journeykit.loyalty import redemptions
    with app.app_context():
        later = utcnow() + dt.timedelta(days=32)
        assert redemptions.return_expired(later) == {"returned": 1, "used": 1, "unchecked": 0}
        assert redemptions.return_expired(later) == {"returned": 0, "used": 0, "unchecked": 0}
    statuses = {code["code"]: code["status"] for code in client.get(f"{API}/me/loyalty", headers=ann).json["codes"]}
    assert statuses == {unused["code"]: "returned", used["code"]: "used"}
    assert entries(app, "ann") == [(1200, "award"), (-500, "redemption"), (-500, "redemption"), (500, "code_returned")]


def test_an_expired_code_stripe_cannot_be_asked_about_stays_for_the_next_run(app, client, ann, fake_stripe):
    _redeem(client, ann)
    fake_stripe.close()  # Stripe unreachable
    from journeykit.loyalty import redemptions
    with app.app_context():
        assert redemptions.return_expired(utcnow() + dt.timedelta(days=32))["unchecked"] == 1
    assert entries(app, "ann") == [(1200, "award"), (-500, "redemption")]


def test_the_shops_own_code_maker_makes_the_codes_instead_of_stripe(shop_factory, fake_stripe):
    app, journey, headers = _own_shop(shop_factory)
    made_for: list[tuple] = []

    @journey.loyalty.code_maker
    def make(customer_id, reward, *, key, expires_at):
        made_for.append((customer_id, reward["id"], reward["label"], key, expires_at.tzinfo is not None))
        return f"SHOP-{reward['id'].upper()}-{len(made_for)}"

    client = app.test_client()
    made = client.post(f"{API}/me/loyalty/redemptions", json={"reward": "5-off", "key": "k1"}, headers=headers)
    assert made.status_code == 201 and made.json["code"] == "SHOP-5-OFF-1"
    assert made_for == [("ann", "5-off", "5.00 USD off", "k1", True)] and not fake_stripe.requests
    with app.app_context():
        assert journey.loyalty.code_used("SHOP-5-OFF-1") is True
        assert journey.loyalty.code_used("SHOP-5-OFF-1") is False  # once
        assert journey.loyalty.code_used("NO-SUCH-CODE") is False
    assert client.get(f"{API}/me/loyalty", headers=headers).json["codes"][0]["status"] == "used"
    exported = client.get(f"{API}/admin/customers/ann/export", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json
    assert [(code["code"], code["status"]) for code in exported["loyalty"]["codes"]] == [("SHOP-5-OFF-1", "used")]


@pytest.mark.parametrize("answer", [RuntimeError("printer on fire"), "", "x" * 65, None])
def test_a_failing_code_maker_spends_nothing(shop_factory, answer):
    app, journey, headers = _own_shop(shop_factory)

    @journey.loyalty.code_maker
    def make(customer_id, reward, *, key, expires_at):
        if isinstance(answer, Exception):
            raise answer
        return answer

    failed = app.test_client().post(f"{API}/me/loyalty/redemptions", json={"reward": "5-off"}, headers=headers)
    assert failed.status_code == 503 and failed.json["error"]["code"] == "code_maker_failed"
    assert entries(app, "ann") == [(1200, "award")]


def test_the_shops_python_redeems_as_the_api_does(app, journey, ann, fake_stripe):
    with app.app_context():
        made = journey.loyalty.redeem("ann", "yen", key="from-python")
        assert journey.loyalty.redeem("ann", "yen", key="from-python")["code"] == made["code"]
        assert (made["label"], made["balance"]) == ("500 JPY off", 900)


def test_anyone_reads_the_program(client, app):
    program = client.get(f"{API}/loyalty/program").json
    assert [reward["id"] for reward in program["rewards"]] == ["yen", "5-off", "big"]
    assert program["ways_to_earn"] == [{"rule": "purchase", "points": 1,
                                        "description": "1 point for every 1 unit of the order's currency you spend"}]
    assert program["signup_url"] is None and program["tiers"] == []


CODES = f"{API}/admin/loyalty/codes"


def test_the_owner_lists_codes_and_cancels_an_unused_one_which_gives_the_points_back(app, client, ann, fake_stripe,
                                                                                     admin_headers):
    first, second = _redeem(client, ann, key="a").json, _redeem(client, ann, key="b").json
    listed = client.get(CODES, headers=admin_headers).json["items"]
    assert [(code["code"], code["customer"], code["status"]) for code in listed] == [
        (second["code"], "ann", "issued"), (first["code"], "ann", "issued")]
    cancelled = client.post(f"{CODES}/{first['id']}/cancel", headers=admin_headers)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "returned" and cancelled.json["closed_at"]
    promotion = next(code for code in fake_stripe.promotion_codes.values() if code["code"] == first["code"])
    assert promotion["active"] is False
    again = client.post(f"{CODES}/{first['id']}/cancel", headers=admin_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "code_closed"
    assert entries(app, "ann")[-1] == (500, "code_returned")
    assert [code["code"] for code in client.get(f"{CODES}?status=issued&customer=ann", headers=admin_headers)
            .json["items"]] == [second["code"]]
    audit = client.get(f"{API}/admin/audit", headers=admin_headers).json["items"]
    assert (audit[0]["action"], audit[0]["after"]) == ("loyalty.cancel_code", {"status": "returned", "points": 500})


def test_cancelling_a_code_stripe_saw_used_closes_it_as_used_and_gives_nothing(app, client, ann, fake_stripe,
                                                                               admin_headers):
    made = _redeem(client, ann).json
    next(iter(fake_stripe.promotion_codes.values()))["times_redeemed"] = 1
    assert client.post(f"{CODES}/{made['id']}/cancel", headers=admin_headers).json["status"] == "used"
    assert entries(app, "ann") == [(1200, "award"), (-500, "redemption")]


def test_cancelling_while_stripe_is_down_changes_nothing(app, client, ann, fake_stripe, admin_headers):
    made = _redeem(client, ann).json
    fake_stripe.failures = [(500, {"error": {"type": "api_error", "message": "boom"}})] * 3
    failed = client.post(f"{CODES}/{made['id']}/cancel", headers=admin_headers)
    assert failed.status_code == 503 and entries(app, "ann") == [(1200, "award"), (-500, "redemption")]
    assert client.get(CODES, headers=admin_headers).json["items"][0]["status"] == "issued"


def test_the_codes_are_the_owners_only_and_bad_filters_are_refused(client, ann, admin_headers):
    assert client.get(CODES).status_code == 401 and client.post(f"{CODES}/1/cancel", headers=ann).status_code == 401
    assert client.get(f"{CODES}?status=lost", headers=admin_headers).status_code == 422
    assert client.get(f"{CODES}?customer=nobody", headers=admin_headers).status_code == 404
    assert client.post(f"{CODES}/999/cancel", headers=admin_headers).json["error"]["code"] == "code_not_found"


def test_a_refused_redemption_leaves_no_lock_behind_in_a_longer_context(app, client, journey, shopper):
    """A 409 used to keep its transaction (and SQLite's write lock) open until the app context ended."""
    app.config["JOURNEYKIT_LOYALTY_REWARDS"] = REWARDS
    refused = _redeem(client, shopper("bea"))  # Bea has no points; the request runs in the test's own context
    assert refused.status_code == 409
    with app.app_context():  # another unit of work, on its own connection
        assert journey.loyalty.award("cy", 5, "Welcome", key="welcome") == 5
