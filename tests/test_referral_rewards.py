"""Referral rewards: the referrer's points and coupon, the hold, the owner's decisions, the clawback, the friend's code.

Every clawback ends at ``floor(bonus × reversed ÷ paid)`` taken back in
all, whatever order the refunds come in and however often; a referral fully
reversed before it was paid is never paid; Stripe failing leaves nothing
half-done.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from flask import Flask

from journeykit import journey, loyalty
from journeykit.core.config import apply_defaults
from journeykit.core.db import utcnow
from journeykit.core.errors import Conflict, ServiceUnavailable
from journeykit.core.signals import commit
from journeykit.loyalty import ledger
from journeykit.models import EntryKind, PointsEntry, Referral, ReferralCode, ReferralStatus
from journeykit.referrals import rewards
from journeykit.testing import StripeEvents, deliver

from .loyalty_helpers import customer
from .referral_reward_helpers import SECRET, buy, code_of, refer, referral, referral_points, with_referral

BONUS = {"JOURNEYKIT_POINTS_REFERRAL": 100}
COUPON = {"amount_off": 1000, "currency": "usd"}
DOWN = (500, {"error": {"type": "api_error", "message": "Stripe is down"}})


def _stripe(fake, **config):
    return {**BONUS, "JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake.url, **config}


def _friend(app, amount: int = 10_000, name: str = "bob"):
    """Ann, a customer, refers Bob, whose first order (``amount``) is paid; the events and Bob's purchase."""
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com", stripe_customer="cus_ann")
    return events, buy(app, events, customer_id=name, email=f"{name}@example.com", amount_total=amount)


def test_the_referrer_earns_the_bonus_once(app):
    app.config.update(BONUS)
    _, purchase = _friend(app)
    made = refer(app, purchase)
    assert (made.status, made.rewarded_at is not None) == (ReferralStatus.REWARDED, True)
    with_referral(app, made.id, rewards.settle)  # settled again (a retried conversion): nothing more
    assert referral_points(app) == 100
    with app.app_context():
        assert ledger.check() == []


def test_no_points_while_the_bonus_is_off_but_the_referral_counts(app):
    _, purchase = _friend(app)
    assert refer(app, purchase).status is ReferralStatus.REWARDED
    assert referral_points(app) == 0


def test_the_referrer_gets_a_one_time_coupon_for_them_only(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_REFERRER_COUPON=COUPON))[0]
    _, purchase = _friend(app)
    made = refer(app, purchase)
    assert referral_points(app) == 100 and made.referrer_coupon_code.startswith("JK-R")
    promotion = fake_stripe.promotion_codes[made.referrer_promotion_code_id]
    assert promotion["code"] == made.referrer_coupon_code
    assert (promotion["max_redemptions"], promotion["customer"]) == (1, "cus_ann")
    assert (promotion["coupon"]["amount_off"], promotion["coupon"]["max_redemptions"]) == (1000, 1)
    with_referral(app, made.id, rewards.settle)
    assert len(fake_stripe.promotion_codes) == 1 and len(fake_stripe.coupons) == 1


def test_stripe_failing_gives_nothing_and_the_next_release_pays_once(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_REFERRER_COUPON=COUPON))[0]
    _, purchase = _friend(app)
    fake_stripe.failures.extend([DOWN, DOWN, DOWN])  # the library's three tries
    made = refer(app, purchase)  # the purchase is recorded all the same
    assert (made.status, made.referrer_promotion_code_id) == (ReferralStatus.HELD, None)
    assert made.reward_due_at <= utcnow() and referral_points(app) == 0
    fake_stripe.failures.extend([DOWN, DOWN, DOWN])
    result = app.test_cli_runner().invoke(args=["journeykit", "referrals", "release"])
    assert result.exit_code == 1 and "1 left for the next run" in result.output
    assert referral_points(app) == 0
    with app.app_context():
        assert rewards.release_due() == {"rewarded": 1, "reversed": 0, "failed": 0, "disputed": 0}
        assert rewards.release_due() == {"rewarded": 0, "reversed": 0, "failed": 0, "disputed": 0}
    stored = referral(app, made.id)
    assert stored.status is ReferralStatus.REWARDED and referral_points(app) == 100
    assert list(fake_stripe.promotion_codes) == [stored.referrer_promotion_code_id] and len(fake_stripe.coupons) == 1


def test_a_refused_coupon_gives_nothing_until_stripe_makes_it(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_REFERRER_COUPON=COUPON))[0]
    _, purchase = _friend(app)
    fake_stripe.failures.append((400, {"error": {"type": "invalid_request_error", "message": "no"}}))
    assert refer(app, purchase).status is ReferralStatus.HELD
    assert referral_points(app) == 0 and fake_stripe.promotion_codes == {}


@pytest.fixture
def held(shop_factory):
    """A shop holding rewards 14 days, and Bob's referral held."""
    app = shop_factory({**BONUS, "JOURNEYKIT_REFERRAL_HOLD_DAYS": 14})[0]
    events, purchase = _friend(app)
    made = refer(app, purchase)
    return app, events, purchase, made


def test_a_held_reward_is_paid_when_due_once(held):
    app, _, _, made = held
    assert made.status is ReferralStatus.HELD
    assert made.reward_due_at - made.created_at == dt.timedelta(days=14)
    with app.app_context():
        assert rewards.release_due(utcnow() + dt.timedelta(days=13)) == {"rewarded": 0, "reversed": 0, "failed": 0, "disputed": 0}
    assert referral_points(app) == 0
    with app.app_context():
        assert rewards.release_due(utcnow() + dt.timedelta(days=15))["rewarded"] == 1
        assert rewards.release_due(utcnow() + dt.timedelta(days=16))["rewarded"] == 0
    assert referral(app, made.id).status is ReferralStatus.REWARDED and referral_points(app) == 100


def test_the_release_command_pays_what_is_due(held):
    app, _, _, made = held
    with app.app_context():
        due = utcnow() - dt.timedelta(seconds=1)
        app.extensions["sqlalchemy"].session.execute(sa.update(Referral).values(reward_due_at=due))
        commit()
    result = app.test_cli_runner().invoke(args=["journeykit", "referrals", "release"])
    assert result.exit_code == 0 and "Rewarded 1 referral(s)" in result.output
    assert referral_points(app) == 100


def test_a_held_referral_fully_refunded_is_never_paid(held):
    app, _, _, made = held
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 10_000))
    assert referral(app, made.id).status is ReferralStatus.REVERSED
    with app.app_context():
        assert rewards.release_due(utcnow() + dt.timedelta(days=30))["rewarded"] == 0
    assert referral_points(app) == 0


def test_a_held_referral_partly_refunded_pays_what_is_left(held):
    app, _, _, made = held
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 2_550))
    with app.app_context():
        assert rewards.release_due(utcnow() + dt.timedelta(days=15))["rewarded"] == 1
    assert referral_points(app) == 100 - 25  # floor(100 × 2,550 ÷ 10,000)


REFUNDS = [2_500, 7_000, 2_500, 7_001]


@pytest.mark.parametrize("order", sorted(set(itertools.permutations(REFUNDS)))[::5])
def test_refunds_in_any_order_and_twice_take_back_in_proportion(app, order):
    app.config.update(BONUS)
    _, purchase = _friend(app)
    made = refer(app, purchase)
    for amount in order:
        with_referral(app, made.id, lambda row, amount=amount: rewards.claw_back(row, amount))
    assert referral_points(app) == 100 - 70  # floor(100 × 7,001 ÷ 10,000)
    stored = referral(app, made.id)
    assert (stored.status, stored.amount_reversed) == (ReferralStatus.REWARDED, 7_001)


def _converted(app, **purchase):
    """Ann's code brings Bob's first order through the real webhook and conversion; the events and his purchase."""
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com")
    code_of(app, "ann", "ANNCODE2")
    return events, buy(app, events, customer_id="bob", email="bob@example.com", amount_total=10_000,
                       referral_code="anncode2", **purchase)


def _only_referral(app) -> Referral:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        row = session.scalars(sa.select(Referral)).one()
        session.expunge(row)
        return row


def test_stripes_refunds_claw_back_in_proportion_once_through_the_webhook(app):
    app.config.update(BONUS)
    events, purchase = _converted(app)
    assert _only_referral(app).status is ReferralStatus.REWARDED and referral_points(app) == 100
    for amount, left in ((3_000, 70), (3_000, 70), (1_000, 70), (5_001, 50), (10_000, 0), (5_001, 0)):
        event = events.charge_refunded(purchase, amount_refunded=amount)
        assert deliver(app.test_client(), event, secret=SECRET).status_code == 200
        assert referral_points(app) == left
    assert _only_referral(app).status is ReferralStatus.REVERSED
    with app.app_context():
        assert ledger.check() == []


def test_a_lost_dispute_claws_back_everything_through_the_webhook(app):
    app.config.update(BONUS)
    events, purchase = _converted(app)
    for event in (events.dispute(purchase), events.dispute(purchase, status="lost", closed=True)):
        assert deliver(app.test_client(), event, secret=SECRET).status_code == 200
    assert _only_referral(app).status is ReferralStatus.REVERSED and referral_points(app) == 0


def test_a_full_reversal_takes_everything_back_and_deactivates_the_unused_coupon(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_REFERRER_COUPON=COUPON))[0]
    _, purchase = _friend(app)
    made = refer(app, purchase)
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 4_000))
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 10_000))
    stored = referral(app, made.id)
    assert stored.status is ReferralStatus.REVERSED and referral_points(app) == 0
    assert fake_stripe.promotion_codes[made.referrer_promotion_code_id]["active"] is False
    assert not _coupon_notes(stored)


def test_a_used_coupon_of_a_reversed_referral_is_recorded(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_REFERRER_COUPON=COUPON))[0]
    _, purchase = _friend(app)
    made = refer(app, purchase)
    fake_stripe.promotion_codes[made.referrer_promotion_code_id]["times_redeemed"] = 1
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 10_000))
    assert _coupon_notes(referral(app, made.id)) == [
        f"The referrer's coupon {made.referrer_coupon_code} was already used when the order was reversed"]


def test_a_coupon_stripe_cannot_deactivate_is_recorded_and_the_reversal_still_counts(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_REFERRER_COUPON=COUPON))[0]
    _, purchase = _friend(app)
    made = refer(app, purchase)
    fake_stripe.failures.extend([DOWN, DOWN, DOWN])
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 10_000))
    stored = referral(app, made.id)
    assert stored.status is ReferralStatus.REVERSED and referral_points(app) == 0
    assert "could not be deactivated in Stripe" in _coupon_notes(stored)[0]


def _coupon_notes(row: Referral) -> list[str]:
    return [reason for reason in row.risk_reasons if "coupon" in reason]


def test_points_already_spent_are_written_off_not_overdrawn(app):
    app.config.update(BONUS)
    _, purchase = _friend(app)
    made = refer(app, purchase)
    with app.app_context():
        ledger.post(customer(app, "ann"), -100, EntryKind.ADJUSTMENT, key="spent")
        commit()
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 10_000))
    with app.app_context():
        assert ledger.balance_of(customer(app, "ann").id) == 0 and ledger.check() == []


@pytest.fixture
def in_review(shop_factory):
    app = shop_factory({**BONUS, "JOURNEYKIT_REFERRAL_REVIEW_SCORE": 0})[0]  # the owner reviews every referral
    _, purchase = _friend(app)
    made = refer(app, purchase)
    assert made.status is ReferralStatus.REVIEW and referral_points(app) == 0
    return app, made


def test_the_owner_approves_a_reviewed_referral_once(in_review):
    app, made = in_review
    with_referral(app, made.id, lambda row: rewards.approve(row, "owner@shop.example"))
    stored = referral(app, made.id)
    assert (stored.status, stored.decided_by) == (ReferralStatus.REWARDED, "owner@shop.example")
    with app.app_context(), pytest.raises(Conflict):
        rewards.approve(app.extensions["sqlalchemy"].session.get(Referral, made.id), "owner@shop.example")
    assert referral_points(app) == 100


def test_the_owner_denies_a_reviewed_referral(in_review):
    app, made = in_review
    with_referral(app, made.id, lambda row: rewards.deny(row, "owner@shop.example"))
    assert referral(app, made.id).status is ReferralStatus.DENIED
    with app.app_context(), pytest.raises(Conflict):
        rewards.approve(app.extensions["sqlalchemy"].session.get(Referral, made.id), "owner@shop.example")
    assert referral_points(app) == 0


def test_a_reviewed_referral_fully_refunded_leaves_the_queue_unpaid(in_review):
    app, made = in_review
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 10_000))
    assert referral(app, made.id).status is ReferralStatus.REVERSED
    with app.app_context(), pytest.raises(Conflict):
        rewards.approve(app.extensions["sqlalchemy"].session.get(Referral, made.id), "owner@shop.example")
    assert referral_points(app) == 0


def test_an_approved_referral_partly_refunded_meanwhile_pays_what_is_left(in_review):
    app, made = in_review
    with_referral(app, made.id, lambda row: rewards.claw_back(row, 5_000))
    with_referral(app, made.id, lambda row: rewards.approve(row, "owner@shop.example"))
    assert referral_points(app) == 50


def test_the_bonus_reversed_is_exact_and_once(app):
    app.config.update(BONUS)
    with app.app_context():
        ann = journey.ensure_customer("ann")
        loyalty.referral_bonus(ann, "r-1")
        assert loyalty.referral_bonus_reversed(ann, "r-1", 333, 1_000) == 33
        assert loyalty.referral_bonus_reversed(ann, "r-1", 333, 1_000) == 0
        assert loyalty.referral_bonus_reversed(ann, "r-1", 100, 1_000) == 0
        assert loyalty.referral_bonus_reversed(ann, "never", 1_000, 1_000) == 0
        loyalty.referral_bonus_revoked(ann, "r-1")  # the rest, not the whole bonus again
        assert loyalty.referral_bonus_reversed(ann, "r-1", 1_000, 1_000) == 0
        commit()
        assert ledger.balance_of(ann.id) == 0
        session = app.extensions["sqlalchemy"].session
        assert session.scalars(sa.select(PointsEntry.points).order_by(PointsEntry.id)).all() == [100, -33, -67]


# --- the friend's discount ------------------------------------------------------------------------------------------

def _code(app, text="ANNCODE2"):
    code_id = code_of(app, "ann", text)
    with app.app_context():
        return app.extensions["sqlalchemy"].session.get(ReferralCode, code_id)


def _friend_code(app, text="ANNCODE2"):
    with app.app_context():
        code = app.extensions["sqlalchemy"].session.get(ReferralCode, code_of(app, "ann", text))
        return rewards.friend_promotion_code(code)


def test_no_friend_code_without_a_friend_reward(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe))[0]
    assert _friend_code(app) is None and fake_stripe.requests == []


@pytest.mark.parametrize("reward", [{"amount_off": 500, "currency": "usd"}, {"percent_off": 15}])
def test_the_friends_code_is_the_referral_code_for_first_orders_made_once(shop_factory, fake_stripe, reward):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_FRIEND_REWARD=reward))[0]
    first = _friend_code(app)
    assert _friend_code(app) == first  # stored: Stripe is not asked again
    other = _friend_code(app, "CYCODE22")
    assert len(fake_stripe.coupons) == 1 and len(fake_stripe.promotion_codes) == 2
    promotion = fake_stripe.promotion_codes[first]
    assert (promotion["code"], promotion["restrictions"]) == ("ANNCODE2", {"first_time_transaction": True})
    assert fake_stripe.promotion_codes[other]["coupon"] == promotion["coupon"]
    coupon = next(iter(fake_stripe.coupons.values()))
    assert (coupon["amount_off"], coupon["percent_off"]) == (reward.get("amount_off"), reward.get("percent_off"))
    assert sum(1 for method, _ in fake_stripe.requests if method == "POST") == 4


def test_the_friends_coupon_made_before_is_reused(shop_factory, fake_stripe):
    """A second shop process (or a retry after a day) finds the setting's coupon already in Stripe."""
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_FRIEND_REWARD={"percent_off": 10}))[0]
    _friend_code(app)
    fake_stripe._idempotent.clear()  # Stripe forgets idempotency keys after 24 hours
    assert _friend_code(app, "CYCODE22") is not None and len(fake_stripe.coupons) == 1


def test_stripe_failing_leaves_the_friends_code_unmade(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_FRIEND_REWARD={"percent_off": 10}))[0]
    fake_stripe.failures.extend([DOWN, DOWN, DOWN])
    with pytest.raises(ServiceUnavailable):
        _friend_code(app)
    assert _code(app).stripe_promotion_code_id is None
    assert _friend_code(app) in fake_stripe.promotion_codes


def test_a_disabled_code_gives_no_discount(shop_factory, fake_stripe):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_FRIEND_REWARD={"percent_off": 10}))[0]
    code_of(app)
    with app.app_context():
        app.extensions["sqlalchemy"].session.execute(sa.update(ReferralCode).values(disabled_at=utcnow()))
        commit()
    assert _friend_code(app) is None and fake_stripe.requests == []


# --- the settings ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "value"), [
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", {"amount_off": 500}),
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", {"amount_off": 500, "currency": "USD"}),
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", {"amount_off": 0, "currency": "usd"}),
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", {"percent_off": 0}),
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", {"percent_off": 101}),
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", {"percent_off": 10, "amount_off": 5}),
    ("JOURNEYKIT_REFERRAL_FRIEND_REWARD", "10%"),
    ("JOURNEYKIT_REFERRAL_REFERRER_COUPON", {"percent_off": 10}),
    ("JOURNEYKIT_REFERRAL_REFERRER_COUPON", {"amount_off": 5.5, "currency": "usd"}),
    ("JOURNEYKIT_REFERRAL_HOLD_DAYS", -1),
    ("JOURNEYKIT_REFERRAL_HOLD_DAYS", 3651),
    ("JOURNEYKIT_REFERRAL_MAX_PER_MONTH", "20"),
    ("JOURNEYKIT_REFERRAL_REVIEW_SCORE", 101),
    ("JOURNEYKIT_REFERRAL_REVIEW_SCORE", True),
    ("JOURNEYKIT_REFERRAL_CLICK_SPIKE", 1),
    ("JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS", 0),
])
def test_bad_reward_settings_fail_at_start(key, value):
    app = Flask("shop")
    app.config[key] = value
    with pytest.raises(ValueError, match=key):
        apply_defaults(app)


@pytest.mark.parametrize("value", [None, {"amount_off": 500, "currency": "usd"}, {"percent_off": 12.5}])
def test_good_friend_rewards_are_accepted(value):
    app = Flask("shop")
    app.config["JOURNEYKIT_REFERRAL_FRIEND_REWARD"] = value
    apply_defaults(app)


def test_disabling_a_code_switches_off_the_friends_discount_in_stripe_too(shop_factory, fake_stripe, admin_headers):
    """A leaked code, disabled, must not go on giving its discount when typed at a checkout."""
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_FRIEND_REWARD={"percent_off": 10}))[0]
    promotion = fake_stripe.promotion_codes[_friend_code(app)]
    client, codes_api = app.test_client(), "/journeykit/api/v1/admin/referrals/codes"
    fake_stripe.failures.extend([DOWN, DOWN, DOWN])
    failed = client.post(f"{codes_api}/ANNCODE2/disable", headers=admin_headers)
    assert failed.status_code == 503 and _code(app).disabled_at is None and promotion["active"] is True
    assert client.post(f"{codes_api}/ANNCODE2/disable", headers=admin_headers).status_code == 200
    assert _code(app).disabled_at is not None and promotion["active"] is False
    assert client.post(f"{codes_api}/ANNCODE2/enable", headers=admin_headers).status_code == 200
    assert _code(app).disabled_at is None and promotion["active"] is True


def test_forgetting_the_referrer_switches_off_the_friends_discount_named_by_their_code(shop_factory, fake_stripe,
                                                                                      admin_headers):
    app = shop_factory(_stripe(fake_stripe, JOURNEYKIT_REFERRAL_FRIEND_REWARD={"percent_off": 10}))[0]
    promotion = fake_stripe.promotion_codes[_friend_code(app)]
    forgotten = app.test_client().post("/journeykit/api/v1/admin/customers/ann/forget", headers=admin_headers)
    assert forgotten.status_code == 200 and promotion["active"] is False


def test_a_held_reward_waits_while_the_friends_order_is_disputed(held):
    """Open, the dispute keeps the reward held; won, it is paid; (lost, the reversal claws it back: tested above)."""
    app, events, purchase, made = held
    assert deliver(app.test_client(), events.dispute(purchase), secret=SECRET).status_code == 200
    later = utcnow() + dt.timedelta(days=15)
    with app.app_context():
        assert rewards.release_due(later) == {"rewarded": 0, "reversed": 0, "failed": 0, "disputed": 1}
    assert referral(app, made.id).status is ReferralStatus.HELD and referral_points(app) == 0
    won = events.dispute(purchase, status="won", closed=True)
    assert deliver(app.test_client(), won, secret=SECRET).status_code == 200
    with app.app_context():
        assert rewards.release_due(later)["rewarded"] == 1
    assert referral(app, made.id).status is ReferralStatus.REWARDED and referral_points(app) == 100
