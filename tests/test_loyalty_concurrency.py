"""One customer's redemptions, awards and refunds all at once, from threads and from processes: exact afterwards.

Every redemption locks the customer's balance row before it reads what may be
spent, so on the servers (where writers really run side by side) nothing is
overspent, no entry is lost or doubled, and each code in Stripe has exactly
one redemption and one ledger entry.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
import sqlalchemy as sa

from journeykit.loyalty import ledger
from journeykit.models import PointsEntry, Redemption
from journeykit.testing import StripeEvents, deliver

from .conftest import SERVER_BACKENDS, make_shop
from .fake_stripe import FakeStripe
from .loyalty_helpers import entries
from .threads import at_once

pytestmark = pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)

API = "/journeykit/api/v1/me/loyalty/redemptions"
SECRET = "whsec_test_secret"


def _config(fake: FakeStripe) -> dict[str, Any]:
    return {"JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake.url,
            "JOURNEYKIT_LOYALTY_REWARDS": [{"id": "3-off", "points": 300, "amount_off": 300, "currency": "usd"}],
            "JOURNEYKIT_REDEMPTIONS_RATE_LIMIT": "1000 per minute"}


@pytest.fixture
def shop(shop_factory, fake_stripe):
    return shop_factory(_config(fake_stripe))


def _token(app, journey) -> dict[str, str]:
    with app.app_context():
        return {"X-JourneyKit-Customer": journey.customer_token("ann", email="ann@example.com")}


def _exact(app, db, fake: FakeStripe) -> list[tuple[int, str]]:
    """The ledger agrees with itself and with the codes, and is not below zero; Ann's entries."""
    with app.app_context():
        assert ledger.check() == []
        db.session.expire_all()
        keys = db.session.scalars(sa.select(PointsEntry.key)).all()
        assert len(keys) == len(set(keys))
        codes = db.session.scalars(sa.select(Redemption.stripe_promotion_code_id)).all()
    assert sorted(codes) == sorted(fake.promotion_codes)
    found = entries(app, "ann")
    assert sum(1 for _, kind in found if kind == "redemption") == len(codes)
    assert sum(points for points, _ in found) >= 0  # refunds of spent points were written off, not overdrawn
    return found


def test_threads_redeeming_awarding_and_refunding_at_once_never_overspend(app, db, journey, fake_stripe):
    events = StripeEvents()
    purchase = events.checkout_completed(customer_id="ann", amount_total=200_000)  # 2,000 points
    assert deliver(app.test_client(), purchase, secret=SECRET).status_code == 200
    headers, statuses = _token(app, journey), []

    def redeem(key: str):
        return lambda: statuses.append(app.test_client().post(API, json={"reward": "3-off", "key": key},
                                                              headers=headers).status_code)

    def award(key: str):
        def run() -> None:
            with app.app_context():
                journey.loyalty.award("ann", 100, "Thanks", key=key)
        return run

    def refund(amount: int):
        event = events.charge_refunded(purchase, amount_refunded=amount)
        return lambda: statuses.append(deliver(app.test_client(), event, secret=SECRET).status_code)

    jobs = [redeem(f"r{n}") for n in range(10)] + [redeem("r0"), redeem("r1")]  # two retries of one attempt
    jobs += [award(f"a{n}") for n in range(4)] + [award("a0")]
    jobs += [refund(100_000), refund(150_000), refund(100_000)]
    at_once(jobs)
    assert set(statuses) <= {200, 201, 409} and statuses.count(201) <= 8
    found = _exact(app, db, fake_stripe)
    assert sum(1 for _, kind in found if kind == "award") == 4
    # The refunds took back floor(2,000 × 150,000 / 200,000) = 1,500 of the purchase's points, whatever their order.
    assert -sum(points for points, kind in found if kind == "reversal") == 1500


def _redeem_in_process(database_url: str, config: dict[str, Any], keys: list[str], barrier, results) -> None:
    app, _, journey = make_shop(database_url, config)
    client, headers = app.test_client(), _token(app, journey)
    barrier.wait()
    for key in keys:
        results.put(client.post(API, json={"reward": "3-off", "key": key}, headers=headers).status_code)


def test_processes_redeeming_at_once_never_overspend(app, db, journey, fake_stripe):
    with app.app_context():
        journey.loyalty.award("ann", 2000, "Welcome", key="welcome")  # enough for 6 codes of 300
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_redeem_in_process, args=(
        app.config["SQLALCHEMY_DATABASE_URI"], _config(fake_stripe), [f"p{n}-{k}" for k in range(3)] + ["p0-0"],
        barrier, results)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    statuses = sorted(results.get(timeout=5) for _ in range(16))
    assert statuses.count(201) == 6 and set(statuses) <= {200, 201, 409}
    found = _exact(app, db, fake_stripe)
    assert sum(points for points, _ in found) == 200
