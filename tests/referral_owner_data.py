"""A referral program's month for the owner's tests: codes and referrals as the other parts write them, by hand.

The counts the tests expect, all in the last 30 days unless said:

- codes: ``ANN-VIP`` (Ann's vanity code, in use), ``OLD-CODE`` (Ann's, disabled), ``BOCODE12`` (Bo's),
  ``LEAKED-1`` (Cy's, flagged for a spike of clicks).
- referrals: 1 Ann→f1 rewarded 50.00 USD; 2 Ann→f2 rewarded with a coupon, 30.00 USD of which 10.00 refunded;
  3 Bo→f3 waiting for review, 25.00 EUR, risk 60; 4 Bo→f4 rewarded then reversed, 40.00 USD all refunded;
  5 an unknown code ``NOPE`` 99.99 USD; 6 Ann→Ann denied (self-referral) 70.00 USD; 7 Bo→f5 held 15.00 USD;
  8 Ann→f6 rewarded 100.00 USD, 100 days ago (outside the period).
- counted (real code, not denied) in the period: 1, 2, 3, 4, 7 → 5 referred buyers; USD 4 orders, 135.00 gross,
  85.00 net; EUR 1 order, 25.00.
- 10 other buyers paid through Stripe now (no code): the viral coefficient is 5 / 10.
- 8 clicks: 5 on ``ann-vip``, 2 on ``ANN-VIP``, 1 on ``FAKE-CODE`` (no code at all).
- referral points (100 each): given for 1, 2 and 4, taken back for 4 → 300 given, 100 taken back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask

from journeykit import loyalty
from journeykit.core.db import utcnow
from journeykit.journey import ensure_customer
from journeykit.models import Referral, ReferralCode, ReferralStatus
from journeykit.testing import StripeEvents, deliver

CONFIG = {"JOURNEYKIT_POINTS_REFERRAL": 100}
PAGE = "/journeykit/admin/referrals"
API = "/journeykit/api/v1/admin/referrals"


def _referral(n: int, code: ReferralCode | None, referrer: Any, friend: Any, status: ReferralStatus, total: int, *,
              currency: str = "usd", reversed_: int = 0, days_ago: float = 1, **extra: Any) -> Referral:
    created = utcnow() - dt.timedelta(days=days_ago)
    rewarded = created if status in (ReferralStatus.REWARDED, ReferralStatus.REVERSED) else None
    return Referral(checkout_session_id=f"cs_test_referral_{n}", code_text=code.code if code else "NOPE",
                    code_id=code.id if code else None, referrer_customer_id=referrer.id if referrer else None,
                    friend_customer_id=friend.id if friend else None, status=status, amount_total=total,
                    amount_reversed=reversed_, currency=currency, created_at=created, rewarded_at=rewarded, **extra)


def seed(app: Flask, journey: Any) -> dict[str, int]:
    """Write the month above; returns the referrals' ids by their number (1-8)."""
    client, events = app.test_client(), StripeEvents()
    for n in range(10):
        event = events.checkout_completed(customer_id=f"buyer-{n}", email=f"buyer-{n}@example.com", products=["sku-1"])
        assert deliver(client, event, secret=app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]).status_code == 200
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        ann, bo, cy = (ensure_customer(name, email=f"{name}@example.com", name=name.title())
                       for name in ("ann", "bo", "cy"))
        friends = [ensure_customer(f"f{n}", email=f"f{n}@example.com") for n in range(1, 7)]
        now = utcnow()
        codes = {"ANN-VIP": ReferralCode(customer_id=ann.id, code="ANN-VIP", vanity=True),
                 "OLD-CODE": ReferralCode(customer_id=ann.id, code="OLD-CODE", disabled_at=now),
                 "BOCODE12": ReferralCode(customer_id=bo.id, code="BOCODE12"),
                 "LEAKED-1": ReferralCode(customer_id=cy.id, code="LEAKED-1", flagged_at=now,
                                          flag_reason="42 clicks in a day, 21× its usual rate")}
        session.add_all(codes.values())
        session.flush()
        vip, bos = codes["ANN-VIP"], codes["BOCODE12"]
        rows = {
            1: _referral(1, vip, ann, friends[0], ReferralStatus.REWARDED, 5000),
            2: _referral(2, vip, ann, friends[1], ReferralStatus.REWARDED, 3000, reversed_=1000,
                         referrer_coupon_code="JK-RABCDEFGHJK"),
            3: _referral(3, bos, bo, friends[2], ReferralStatus.REVIEW, 2500, currency="eur", risk_score=60,
                         risk_reasons=["Shares a shipping address with the referrer", "The code is flagged"]),
            4: _referral(4, bos, bo, friends[3], ReferralStatus.REVERSED, 4000, reversed_=4000),
            5: _referral(5, None, None, friends[4], ReferralStatus.UNKNOWN_CODE, 9999),
            6: _referral(6, vip, ann, ann, ReferralStatus.DENIED, 7000, risk_score=100,
                         risk_reasons=["Same customer as the referrer"]),
            7: _referral(7, bos, bo, friends[4], ReferralStatus.HELD, 1500, reward_due_at=now + dt.timedelta(days=10)),
            8: _referral(8, vip, ann, friends[5], ReferralStatus.REWARDED, 10000, days_ago=100),
        }
        session.add_all(rows.values())
        session.flush()
        for n, referrer in ((1, ann), (2, ann), (4, bo)):
            loyalty.referral_bonus(referrer, str(rows[n].id))
        loyalty.referral_bonus_revoked(bo, str(rows[4].id))
        session.commit()
        ids = {n: row.id for n, row in rows.items()}
        for n, code in enumerate(["ann-vip"] * 5 + ["ANN-VIP"] * 2 + ["FAKE-CODE"]):
            journey.track("referral_clicked", visitor_id=f"referral-visitor-{n:06d}", referral_code=code)
    return ids


@pytest.fixture
def shop(shop_factory):
    """The shop of these tests: the referral points on."""
    return shop_factory(CONFIG)


@pytest.fixture
def month(app, journey):
    """The month above, written; the referrals' ids by number."""
    return seed(app, journey)
