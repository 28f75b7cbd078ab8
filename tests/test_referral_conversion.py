"""Conversion: a referred friend's first paid order converts once, whatever Stripe sends in whatever order; only a real
code of a new customer counts; the referrer reaches advocacy and the signal and webhook name them;
``GET /me/referral`` shows the shopper their code, link and results."""

from __future__ import annotations

import contextlib
import itertools
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from journeykit import Stage, signals
from journeykit.journey import ensure_customer
from journeykit.models import Referral, ReferralCode, ReferralStatus
from journeykit.referrals import codes, links
from journeykit.testing import StripeEvents, deliver

from .hook_receiver import receiver  # noqa: F401 - the fixture
from .loyalty_helpers import entries
from .test_outbound_hooks import add_endpoint
from .test_outbound_hooks import deliver as deliver_hooks

SECRET = "whsec_test_secret"
ME = "/journeykit/api/v1/me/referral"
#: The referrer's points per converted friend.
BONUS = {"JOURNEYKIT_POINTS_REFERRAL": 100}


@pytest.fixture
def shop(shop_factory):
    return shop_factory(BONUS)


@contextlib.contextmanager
def conversions() -> Iterator[list[dict[str, Any]]]:
    """Collect ``referral_converted`` as sent to the shop (after commit)."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **extra: Any) -> None:
        received.append({"code": extra["code"], "order": extra["order"].checkout_session_id,
                         "referrer": extra["referrer"], "status": extra["referral"].status})

    signals.referral_converted.connect(receiver)
    try:
        yield received
    finally:
        signals.referral_converted.disconnect(receiver)


def send(app, event: dict[str, Any]) -> None:
    response = deliver(app.test_client(), event, secret=SECRET)
    assert response.status_code == 200, response.get_data(as_text=True)


def referrals_of(app) -> list[tuple[str, ReferralStatus, str | None, list[str]]]:
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        return [(row.code_text, row.status, row.referrer_customer_id and row.referrer_customer_id, row.risk_reasons)
                for row in db.scalars(sa.select(Referral).order_by(Referral.id))]


def code_of(app, journey, customer: str = "c-ann") -> str:
    with app.app_context():
        return journey.referrals.code_for(customer)


def referral_points(app, customer: str) -> list[tuple[int, str]]:
    return [entry for entry in entries(app, customer) if entry[1] == "referral"]


ORDERS = list(itertools.permutations(["completed", "succeeded", "completed", "succeeded"]))[:6]


@pytest.mark.parametrize("order", ORDERS)
def test_a_friends_first_paid_order_converts_once_whatever_stripe_sends_in_whatever_order(app, journey, order):
    code = code_of(app, journey)
    events = StripeEvents()
    completed = events.checkout_completed(customer_id="c-friend", email="friend@example.com", referral_code=code.lower(),
                                          payment_status="unpaid")
    succeeded = events.async_payment(completed)
    with conversions() as received:
        for name in order:
            send(app, completed if name == "completed" else succeeded)
    [(text, status, _, reasons)] = referrals_of(app)
    assert (text, status, reasons) == (code, ReferralStatus.REWARDED, [])
    assert received == [{"code": code, "order": completed["data"]["object"]["id"], "referrer": "c-ann",
                         "status": ReferralStatus.REWARDED}]
    assert referral_points(app, "c-ann") == [(100, "referral")]


def test_an_attributed_visitor_converts_without_a_code_in_the_checkout(app, journey, stripe_events):
    code = code_of(app, journey)
    friend = app.test_client()
    friend.get(f"/journeykit/r/{code}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"})
    visitor = friend.get_cookie("journeykit_visitor").value
    with conversions() as received:
        send(app, stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com", visitor_id=visitor))
    assert [row[:2] for row in referrals_of(app)] == [(code, ReferralStatus.REWARDED)]
    assert [signal["referrer"] for signal in received] == ["c-ann"]


def test_an_existing_customer_cannot_be_referred(app, journey, stripe_events):
    code = code_of(app, journey)
    send(app, stripe_events.checkout_completed(customer_id="c-regular", email="regular@example.com"))
    with conversions() as received:
        send(app, stripe_events.checkout_completed(customer_id="c-regular", email="regular@example.com", referral_code=code))
    [(_, status, _, reasons)] = referrals_of(app)
    assert status is ReferralStatus.DENIED and reasons[0].startswith("Already a customer")
    assert received == [] and referral_points(app, "c-ann") == []


def test_a_friend_is_referred_once(app, journey, stripe_events):
    ann, bob = code_of(app, journey, "c-ann"), code_of(app, journey, "c-bob")
    first = stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com", referral_code=ann,
                                             payment_status="unpaid")
    send(app, first)  # not paid yet: the friend is no customer so far
    send(app, stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com", referral_code=bob))
    send(app, stripe_events.async_payment(first))  # paid later than bob's: no longer their first order
    statuses = [(text, status) for text, status, _, _ in referrals_of(app)]
    assert statuses == [(bob, ReferralStatus.REWARDED), (ann, ReferralStatus.DENIED)]
    assert referral_points(app, "c-ann") == [] and referral_points(app, "c-bob") == [(100, "referral")]


@pytest.mark.parametrize("text", ["FRIEND10", "friend 10!", "x" * 64, "ÅÄÖ"])
def test_an_unknown_code_is_recorded_as_such_and_rewards_no_one(app, journey, stripe_events, text):
    code_of(app, journey)
    with conversions() as received:
        send(app, stripe_events.checkout_completed(customer_id="c-friend", referral_code=text))
    [(stored, status, referrer, _)] = referrals_of(app)
    assert (stored, status, referrer) == (text.upper(), ReferralStatus.UNKNOWN_CODE, None)
    assert received == [] and referral_points(app, "c-ann") == []


def test_a_disabled_code_in_a_checkout_rewards_no_one(app, db, journey, stripe_events):
    code = code_of(app, journey)
    with app.app_context():
        codes.set_disabled(codes.find(code), True)
        db.session.commit()
    send(app, stripe_events.checkout_completed(customer_id="c-friend", referral_code=code))
    assert [row[:3] for row in referrals_of(app)] == [(code, ReferralStatus.UNKNOWN_CODE, None)]
    assert referral_points(app, "c-ann") == []


def test_ones_own_code_pays_nothing(app, journey, stripe_events):
    code = code_of(app, journey)
    with conversions() as received:
        send(app, stripe_events.checkout_completed(customer_id="c-ann", email="ann@example.com", referral_code=code))
    [(_, status, _, reasons)] = referrals_of(app)
    assert status is ReferralStatus.DENIED and reasons
    assert received == [] and referral_points(app, "c-ann") == []


def test_the_referrer_reaches_advocacy(app, journey, stripe_events):
    code = code_of(app, journey)
    send(app, stripe_events.checkout_completed(customer_id="c-ann", email="ann@example.com"))
    with app.app_context():
        assert journey.metrics.customer_stage("c-ann") is Stage.PURCHASE
    send(app, stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com", referral_code=code))
    with app.app_context():
        assert journey.metrics.customer_stage("c-ann") is Stage.ADVOCACY
        assert journey.metrics.customer_stage("c-friend") is Stage.PURCHASE


def test_a_full_refund_of_the_friends_order_claws_the_reward_back(app, journey, stripe_events):
    code = code_of(app, journey)
    purchase = stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com", referral_code=code,
                                                amount_total=4000)
    send(app, purchase)
    for _ in range(2):
        send(app, stripe_events.charge_refunded(purchase, amount_refunded=4000))
    assert [row[1] for row in referrals_of(app)] == [ReferralStatus.REVERSED]
    assert sum(points for points, _ in referral_points(app, "c-ann")) == 0


def test_the_webhook_names_the_real_referrer(app, client, admin_headers, receiver, journey, stripe_events):  # noqa: F811
    add_endpoint(client, admin_headers, receiver.url, event_types=["referral.converted"])
    code = code_of(app, journey)
    send(app, stripe_events.checkout_completed(customer_id="c-other", referral_code="NOT-A-CODE"))
    purchase = stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com",
                                                referral_code=code.lower(), amount_total=1999)
    send(app, purchase)
    send(app, purchase)
    deliver_hooks(app)
    [hook] = receiver.received
    data = hook.json["data"]
    assert hook.json["type"] == "referral.converted" and data["code"] == code
    assert data["referrer"] == {"id": "c-ann"} and data["order"]["customer"]["id"] == "c-friend"
    assert data["order"]["amount_total"] == 1999
    assert data["referral"]["status"] == "rewarded" and data["referral"]["risk_score"] == 0


def test_me_referral_needs_a_signed_in_shopper(client):
    answer = client.get(ME)
    assert answer.status_code == 401 and answer.json["error"]["code"] == "customer_required"


def test_me_referral_shows_the_code_link_clicks_conversions_and_rewards(app, client, journey, shopper, stripe_events):
    mine = client.get(ME, headers=shopper("c-ann"))
    assert mine.status_code == 200
    code = mine.json["code"]
    assert mine.json == {"code": code, "url": f"http://localhost/journeykit/r/{code}", "clicks": 0, "conversions": 0,
                         "pending": 0, "rewards": {"points": 0, "coupons": []}, "friend_reward": None,
                         "offer": "Get 100 points for each friend who buys.", "friend_offer": None}
    assert client.get(ME, headers=shopper("c-ann")).json["code"] == code  # made once
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}
    for _ in range(2):
        visitor = app.test_client()
        visitor.get(f"/journeykit/r/{code}", headers=browser)
        visitor.get(f"/journeykit/r/{code}", headers=browser)
    send(app, stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com", referral_code=code))
    send(app, stripe_events.checkout_completed(customer_id="c-stranger", referral_code="NOPE-NOPE"))
    after = client.get(ME, headers=shopper("c-ann")).json
    assert (after["clicks"], after["conversions"], after["pending"], after["rewards"]) == \
        (2, 1, 0, {"points": 100, "coupons": []})
    with app.app_context():
        assert links.attributed_code(None) is None


def test_privacy_export_lists_the_referral_data_and_forgetting_erases_the_codes_text(app, db, client, journey,
                                                                                      admin_headers, stripe_events):
    with app.app_context():
        journey.referrals.code_for("c-ann")
        codes.set_vanity(ensure_customer("c-ann").id, "ANN-SMITH")
        db.session.commit()
    send(app, stripe_events.checkout_completed(customer_id="c-friend", email="friend@example.com",
                                               referral_code="ann-smith"))
    exported = client.get("/journeykit/api/v1/admin/customers/c-ann/export", headers=admin_headers).json["referrals"]
    assert [code["code"] for code in exported["codes"]][1] == "ANN-SMITH"
    assert [(one["code"], one["status"]) for one in exported["referred"]] == [("ANN-SMITH", "rewarded")]
    friend = client.get("/journeykit/api/v1/admin/customers/c-friend/export", headers=admin_headers).json["referrals"]
    assert friend["referred_by"][0]["status"] == "rewarded" and friend["codes"] == []
    forgot = client.post("/journeykit/api/v1/admin/customers/c-ann/forget", headers=admin_headers)
    assert forgot.status_code == 200 and forgot.json["referral_codes"] == 2
    with app.app_context():
        texts = set(db.session.scalars(sa.select(ReferralCode.code))) | set(db.session.scalars(sa.select(Referral.code_text)))
        assert "ANN-SMITH" not in texts and codes.live_code("ANN-SMITH") is None
    assert [status for _, status, _, _ in referrals_of(app)] == [ReferralStatus.REWARDED]  # the count stays


def test_a_referral_the_owner_approves_from_review_converts_then(shop_factory, admin_headers, stripe_events):
    """Over the monthly cap, the second friend waits for review; approved, the signal goes and the referrer advances."""
    app, _, journey = shop_factory({**BONUS, "JOURNEYKIT_REFERRAL_MAX_PER_MONTH": 1})
    code = code_of(app, journey)
    with conversions() as received:
        for friend in ("c-first", "c-second"):
            send(app, stripe_events.checkout_completed(customer_id=friend, email=f"{friend}@example.com",
                                                       referral_code=code))
        [waiting] = [row for row in referrals_of(app) if row[1] is ReferralStatus.REVIEW]
        assert len(received) == 1
        with app.app_context():
            referral_id = app.extensions["sqlalchemy"].session.scalar(
                sa.select(Referral.id).where(Referral.status == ReferralStatus.REVIEW))
        approved = app.test_client().post(f"/journeykit/api/v1/admin/referrals/{referral_id}/approve",
                                          headers=admin_headers)
        assert approved.status_code == 200, approved.json
        assert [(item["referrer"], item["status"]) for item in received] == [
            ("c-ann", ReferralStatus.REWARDED), ("c-ann", ReferralStatus.REWARDED)]
    assert referral_points(app, "c-ann") == [(100, "referral"), (100, "referral")]
