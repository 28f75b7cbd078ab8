"""What the referral reward and fraud tests share: real purchases through the webhook, and a referral of one of them.

:func:`refer` makes the referral of a friend's paid order as the conversion
does (a :class:`Referral` row, scored by ``fraud.assess``, decided by
``rewards.settle``), so the rules are tested on their own, whatever code
brought the friend.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from journeykit import journey as journey_capability
from journeykit.core.signals import commit
from journeykit.models import Order, Referral, ReferralCode, ReferralStatus
from journeykit.referrals import fraud, rewards
from journeykit.testing import StripeEvents, deliver

from .loyalty_helpers import entries

SECRET = "whsec_test_secret"


def buy(app: Any, events: StripeEvents, **session: Any) -> dict[str, Any]:
    """A paid checkout through the real webhook; its event."""
    event = events.checkout_completed(**session)
    response = deliver(app.test_client(), event, secret=SECRET)
    assert response.status_code == 200, response.get_data(as_text=True)
    return event


def code_of(app: Any, referrer: str = "ann", text: str = "ANNCODE2", email: str | None = None) -> int:
    """The id of the referrer's code ``text`` (made, with the referrer, if new)."""
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        found = db.scalars(sa.select(ReferralCode).where(ReferralCode.code == text)).first()
        if found is None:
            customer = journey_capability.ensure_customer(referrer, email=email)
            found = ReferralCode(customer_id=customer.id, code=text)
            db.add(found)
            commit()
        return found.id


def refer(app: Any, purchase: dict[str, Any], referrer: str = "ann", text: str = "ANNCODE2") -> Referral:
    """The referral of the purchase's order by the referrer's code: scored, settled, committed; the row (detached)."""
    code_id = code_of(app, referrer, text)
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        session_id = purchase["data"]["object"]["id"]
        order = db.scalars(sa.select(Order).where(Order.checkout_session_id == session_id)).one()
        code = db.get(ReferralCode, code_id)
        referral = Referral(checkout_session_id=session_id, code_text=code.code, code_id=code.id,
                            referrer_customer_id=code.customer_id, friend_customer_id=order.customer_id,
                            status=ReferralStatus.REVIEW, amount_total=order.amount_total, currency=order.currency)
        db.add(referral)
        db.flush()
        referral.risk_score, referral.risk_reasons = fraud.assess(referral, order, code)
        rewards.settle(referral)
        commit()
        db.refresh(referral)
        db.expunge(referral)
        return referral


def referral(app: Any, referral_id: int) -> Referral:
    """The referral as stored now (detached)."""
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        row = db.get(Referral, referral_id)
        db.expunge(row)
        return row


def with_referral(app: Any, referral_id: int, action: Any) -> None:
    """Run ``action(row)`` on the stored referral in a transaction of its own, committed."""
    with app.app_context():
        action(app.extensions["sqlalchemy"].session.get(Referral, referral_id))
        commit()


def referral_points(app: Any, referrer: str = "ann") -> int:
    """What the referrer holds from referrals: their bonus entries, given and taken back."""
    return sum(points for points, kind in entries(app, referrer) if kind == "referral")
