"""Referral fraud: self-referral by every sign pays nothing, a household is not blocked, the cap, leaked codes.

Each friend's order is a real purchase through the webhook; the referral
is scored by ``fraud.assess`` and decided by ``rewards.settle`` as the
conversion does.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from journeykit.core.db import utcnow
from journeykit.core.signals import commit
from journeykit.models import ClickDay, Referral, ReferralCode, ReferralStatus
from journeykit.referrals import fraud, spikes
from journeykit.testing import StripeEvents

from .referral_reward_helpers import buy, code_of, refer, referral_points

BONUS = {"JOURNEYKIT_POINTS_REFERRAL": 100}
HOME = {"line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}


@pytest.fixture
def shop(shop_factory):
    return shop_factory(BONUS)


@pytest.fixture
def ann_bought(app):
    """Ann, the referrer, is a customer who bought before (card ``fp_ann``, shipped to HOME when asked)."""
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="Ann.Lee@gmail.com", stripe_customer="cus_ann", visitor_id="v" * 32,
        payment_intent="pi_ann")
    code_of(app, "ann")
    return events


def _denied(referral: Referral, reason: str) -> None:
    assert referral.status is ReferralStatus.DENIED
    assert referral.risk_score == 100
    assert any(reason in text for text in referral.risk_reasons), referral.risk_reasons


@pytest.mark.parametrize(("mine", "theirs", "same"), [
    ("Ann.Lee@gmail.com", "annlee+deal@googlemail.com", True),
    ("Ann.Lee@gmail.com", "A.N.N.L.E.E@GMAIL.COM", True),
    ("ann@outlook.com", " ANN+shop@Outlook.com ", True),
    ("ann@icloud.com", "ann+x@icloud.com", True),
    ("ann@proton.me", "ann+x@proton.me", True),
    ("ann.lee@example.com", "annlee@example.com", False),  # dots matter outside Gmail
    ("ann@example.com", "ann+x@example.com", False),  # so may plus signs
    ("a.nn@icloud.com", "ann@icloud.com", False),
    ("ann@gmail.com", "ann@gmail.co", False),
])
def test_e_mails_are_one_mailbox_only_where_the_provider_says_so(mine, theirs, same):
    assert (fraud.normalize_email(mine) == fraud.normalize_email(theirs)) is same


@pytest.mark.parametrize("text", [None, "", "   ", "no-at-sign", "@example.com", "+@gmail.com", "x@"])
def test_odd_addresses_normalize_without_error(text):
    assert fraud.normalize_email(text) in (None, (text or "").strip().lower())


def test_the_referrer_buying_with_their_own_code_gets_nothing(app, ann_bought):
    order = buy(app, ann_bought, customer_id="ann", email="ann.lee@gmail.com", amount_total=10_000)
    _denied(refer(app, order), "same customer")
    assert referral_points(app) == 0


def test_a_second_account_with_the_same_normalized_e_mail_gets_nothing(app, ann_bought):
    order = buy(app, ann_bought, customer_id="ann-2", email="annlee+friend@googlemail.com")
    _denied(refer(app, order), "Same e-mail once normalized")
    assert referral_points(app) == 0


def test_a_second_account_using_the_code_through_the_webhook_is_denied(app, ann_bought):
    buy(app, ann_bought, customer_id="ann-2", email="ANNLEE+again@gmail.com", referral_code="ANNCODE2")
    with app.app_context():
        _denied(app.extensions["sqlalchemy"].session.scalars(sa.select(Referral)).one(), "Same e-mail once normalized")
    assert referral_points(app) == 0


def test_a_guest_checkout_as_the_referrers_stripe_customer_gets_nothing(app, ann_bought):
    order = buy(app, ann_bought, email="other@example.com", stripe_customer="cus_ann")
    _denied(refer(app, order), "same customer")


def test_the_same_browser_gets_nothing(app, ann_bought):
    order = buy(app, ann_bought, customer_id="bob", email="bob@example.com", visitor_id="v" * 32)
    _denied(refer(app, order), "same visitor id")


def test_a_guest_checkout_from_the_referrers_browser_gets_nothing(app, ann_bought):
    order = buy(app, ann_bought, email=None, visitor_id="v" * 32)
    _denied(refer(app, order), "same visitor id")


def test_a_real_friend_pays_the_referrer(app, ann_bought):
    referral = refer(app, buy(app, ann_bought, customer_id="bob", email="bob@example.com", visitor_id="b" * 32))
    assert (referral.status, referral.risk_score, referral.risk_reasons) == (ReferralStatus.REWARDED, 0, [])
    assert referral_points(app) == 100


@pytest.fixture
def stripe_shop(shop_factory, fake_stripe):
    """A shop with Stripe's API: the cards and addresses of payments can be asked."""
    app = shop_factory({**BONUS, "JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake",
                        "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url})[0]
    fake_stripe.pay("pi_ann", fingerprint="fp_ann", address=HOME, customer="cus_ann")
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com", payment_intent="pi_ann", stripe_customer="cus_ann")
    code_of(app, "ann")
    return app, events


def test_the_referrers_card_gets_nothing(stripe_shop, fake_stripe):
    app, events = stripe_shop
    fake_stripe.pay("pi_bob", fingerprint="fp_ann")
    _denied(refer(app, buy(app, events, customer_id="bob", email="bob@example.com", payment_intent="pi_bob")),
            "referrer's card")
    assert ("GET", "/v1/payment_intents/pi_bob") in fake_stripe.requests
    assert referral_points(app) == 0


def test_paying_as_the_referrers_stripe_customer_gets_nothing(stripe_shop, fake_stripe):
    app, events = stripe_shop
    fake_stripe.pay("pi_bob", fingerprint="fp_bob", customer="cus_ann")
    _denied(refer(app, buy(app, events, customer_id="bob", email="bob@example.com", payment_intent="pi_bob")),
            "Same Stripe customer")


def test_a_self_referral_in_journeykits_records_asks_stripe_nothing(stripe_shop, fake_stripe):
    app, events = stripe_shop
    _denied(refer(app, buy(app, events, customer_id="ann-2", email="ANN@example.com", payment_intent="pi_bob")),
            "Same e-mail once normalized")
    assert not any(path.startswith("/v1/payment_intents") for _, path in fake_stripe.requests)


def test_a_household_sharing_the_address_is_scored_but_paid(stripe_shop, fake_stripe):
    app, events = stripe_shop
    fake_stripe.pay("pi_bob", fingerprint="fp_bob", address={**HOME, "line1": "1 main street."})
    referral = refer(app, buy(app, events, customer_id="bob", email="bob@example.com", payment_intent="pi_bob"))
    assert referral.status is ReferralStatus.REWARDED
    assert referral.risk_score == fraud.SHARED_ADDRESS
    assert referral.risk_reasons == ["Same shipping address as the referrer (a household, or the referrer)"]
    assert referral_points(app) == 100


def test_a_shared_address_can_send_to_review_but_never_denies(shop_factory, fake_stripe):
    app = shop_factory({**BONUS, "JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake",
                        "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url, "JOURNEYKIT_REFERRAL_REVIEW_SCORE": 30})[0]
    fake_stripe.pay("pi_ann", fingerprint="fp_ann", address=HOME)
    fake_stripe.pay("pi_bob", fingerprint="fp_bob", address=HOME)
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com", payment_intent="pi_ann")
    referral = refer(app, buy(app, events, customer_id="bob", email="bob@example.com", payment_intent="pi_bob"))
    assert (referral.status, referral.risk_score) == (ReferralStatus.REVIEW, 30)
    assert referral_points(app) == 0


def test_stripe_not_answering_about_the_card_is_a_reason_not_an_error(stripe_shop, fake_stripe):
    app, events = stripe_shop
    order = buy(app, events, customer_id="bob", email="bob@example.com", payment_intent="pi_bob")
    fake_stripe.get_failures.append((500, {"error": {"type": "api_error", "message": "down"}}))
    referral = refer(app, order)
    assert referral.status is ReferralStatus.REWARDED
    assert referral.risk_reasons == ["The card could not be checked with Stripe"]


def test_over_the_cap_goes_to_review_and_old_referrals_do_not_count(shop_factory):
    app = shop_factory({**BONUS, "JOURNEYKIT_REFERRAL_MAX_PER_MONTH": 2})[0]
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com")
    statuses = [refer(app, buy(app, events, customer_id=f"f{n}", email=f"f{n}@example.com")).status for n in range(3)]
    assert statuses == [ReferralStatus.REWARDED, ReferralStatus.REWARDED, ReferralStatus.REVIEW]
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        capped = db.scalars(sa.select(Referral).where(Referral.status == ReferralStatus.REVIEW)).one()
        assert capped.risk_reasons == ["Over the referrer's cap: 2 rewarded referrals in 30 days (the most is 2)"]
        db.execute(sa.update(Referral).where(Referral.status == ReferralStatus.REWARDED)
                   .values(created_at=utcnow() - dt.timedelta(days=31)))
        commit()
    assert refer(app, buy(app, events, customer_id="f9", email="f9@example.com")).status is ReferralStatus.REWARDED
    assert referral_points(app) == 300


def test_no_cap_when_the_owner_sets_none(shop_factory):
    app = shop_factory({**BONUS, "JOURNEYKIT_REFERRAL_MAX_PER_MONTH": 0})[0]
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com")
    statuses = {refer(app, buy(app, events, customer_id=f"f{n}", email=f"f{n}@example.com")).status for n in range(3)}
    assert statuses == {ReferralStatus.REWARDED}


def _clicks(app, code_id: int, per_day: dict[int, int]) -> None:
    """``per_day``: clicks by days ago."""
    with app.app_context():
        today = utcnow().date()
        for days_ago, clicks in per_day.items():
            app.extensions["sqlalchemy"].session.add(ClickDay(code_id=code_id, day=today - dt.timedelta(days=days_ago),
                                                              clicks=clicks))
        commit()


def _flag(app, code_id: int) -> tuple[dt.datetime | None, str | None]:
    with app.app_context():
        code = app.extensions["sqlalchemy"].session.get(ReferralCode, code_id)
        return code.flagged_at, code.flag_reason


def test_a_code_whose_clicks_spike_is_flagged_by_the_daily_command(app):
    leaked, steady = code_of(app, "ann", "LEAKED22"), code_of(app, "bob", "STEADY22")
    quiet = code_of(app, "cy", "QUIET222")
    _clicks(app, leaked, {**{d: 2 for d in range(2, 30)}, 0: 21})  # over 10 times its usual 2 a day
    _clicks(app, steady, {**{d: 2 for d in range(2, 30)}, 0: 20})  # exactly 10 times: no spike
    _clicks(app, quiet, {0: spikes.MINIMUM - 1})  # from nothing, but too few to matter
    result = app.test_cli_runner().invoke(args=["journeykit", "referrals", "spikes"])
    assert result.exit_code == 0, result.output
    assert "Flagged LEAKED22" in result.output and "Flagged 1 code(s)." in result.output
    flagged_at, reason = _flag(app, leaked)
    assert flagged_at is not None and reason.startswith("21 clicks in a day against 2.0 a day")
    assert _flag(app, steady) == (None, None) and _flag(app, quiet) == (None, None)
    again = app.test_cli_runner().invoke(args=["journeykit", "referrals", "spikes"])
    assert "Flagged 0 code(s)." in again.output and _flag(app, leaked)[0] == flagged_at


def test_yesterdays_spike_counts_and_clicks_are_counted_per_day(app):
    code_id = code_of(app, "ann", "LEAKED22")
    with app.app_context():
        for _ in range(25):
            spikes.record_click(code_id, utcnow() - dt.timedelta(days=1))
        commit()
        assert spikes.clicks_of(code_id) == 25
        assert spikes.flag_spikes() == ["LEAKED22"]


def test_a_flagged_codes_conversions_score_higher(app, ann_bought):
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        db.execute(sa.update(ReferralCode).values(flagged_at=utcnow(), flag_reason="561 clicks in a day"))
        commit()
    referral = refer(app, buy(app, ann_bought, customer_id="bob", email="bob@example.com"))
    assert referral.risk_score == fraud.FLAGGED_CODE
    assert referral.risk_reasons == ["The code is flagged: 561 clicks in a day"]
