"""A friend's purchase webhook delivered at the same time as its refunds, and each of them twice: one reward or none.

On the servers, where webhook requests really run side by side, the
friend's order converts once, the referrer's bonus is given at most once
and taken back in proportion at most once per refund, the referrer's coupon
is made at most once, and the ledger still equals the sum of its entries.
Events that arrived before their purchase are applied afterwards, as
``flask journeykit stripe replay --deferred`` does.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from journeykit.hooks.stripe import store
from journeykit.loyalty import ledger
from journeykit.models import PointsEntry, Referral, ReferralStatus
from journeykit.testing import StripeEvents, deliver

from .conftest import SERVER_BACKENDS
from .referral_reward_helpers import SECRET, buy, code_of, referral_points
from .threads import at_once

pytestmark = pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)


@pytest.fixture
def shop(shop_factory, fake_stripe):
    return shop_factory({"JOURNEYKIT_POINTS_REFERRAL": 100, "JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake",
                         "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url,
                         "JOURNEYKIT_REFERRAL_REFERRER_COUPON": {"amount_off": 1000, "currency": "usd"}})


def _race(app, refunds: list[int]) -> Referral:
    """Ann's friend Bob buys with Ann's code; his purchase (three deliveries) races his refunds (each twice)."""
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com")
    code_of(app, "ann", "ANNCODE2")
    fields: dict[str, Any] = {"customer_id": "bob", "email": "bob@example.com", "amount_total": 10_000,
                              "referral_code": "anncode2", "session_id": "cs_test_bob", "payment_intent": "pi_bob"}
    purchases = [events.checkout_completed(**fields) for _ in range(3)]  # three events about one session
    reversals = [events.charge_refunded(purchases[0], amount_refunded=amount) for amount in refunds]
    statuses: list[int] = []

    def send(event: dict[str, Any]):
        return lambda: statuses.append(deliver(app.test_client(), event, secret=SECRET).status_code)

    at_once([send(event) for event in purchases + reversals + reversals])
    assert set(statuses) == {200}, statuses
    with app.app_context():
        store.retry_deferred()  # refunds that came before the purchase
        session = app.extensions["sqlalchemy"].session
        assert ledger.check() == []
        referrals = session.scalars(sa.select(Referral)).all()
        assert len(referrals) == 1
        key = f"referral:{referrals[0].id}"
        bonuses = session.scalars(sa.select(PointsEntry.points).where(PointsEntry.key == key)).all()
        assert bonuses in ([], [100])  # one reward or none, never two
        keys = session.scalars(sa.select(PointsEntry.key)).all()
        assert len(keys) == len(set(keys))
        session.expunge(referrals[0])
        return referrals[0]


def test_a_purchase_racing_partial_refunds_pays_once_less_the_refunds(app, fake_stripe):
    referral = _race(app, [2_500, 4_001])
    assert (referral.status, referral.amount_reversed) == (ReferralStatus.REWARDED, 4_001)
    assert referral_points(app) == 100 - 40  # floor(100 × 4,001 ÷ 10,000)
    assert list(fake_stripe.promotion_codes) == [referral.referrer_promotion_code_id]


def test_a_purchase_racing_its_full_refund_leaves_nothing(app, fake_stripe):
    referral = _race(app, [3_000, 10_000])
    assert (referral.status, referral.amount_reversed) == (ReferralStatus.REVERSED, 10_000)
    assert referral_points(app) == 0
    assert len(fake_stripe.promotion_codes) <= 1
    assert all(code["active"] is False for code in fake_stripe.promotion_codes.values())
