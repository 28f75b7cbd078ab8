"""Points expire after a time without earning or spending: warned once before, taken once, however often cron runs."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from journeykit import signals
from journeykit.core.db import utcnow
from journeykit.loyalty import EntryKind, expiry
from journeykit.loyalty.ledger import check
from journeykit.loyalty.spending import spend
from journeykit.models import Customer

from .conftest import SERVER_BACKENDS
from .loyalty_helpers import entries
from .threads import at_once

YEAR = {"JOURNEYKIT_POINTS_EXPIRE_AFTER_DAYS": 365, "JOURNEYKIT_POINTS_EXPIRY_WARNING_DAYS": 14}


def _run(app, days_from_now: float) -> dict[str, int]:
    with app.app_context():
        return expiry.run(now=utcnow() + dt.timedelta(days=days_from_now))


@pytest.fixture
def warnings():
    """The ``points_expiring`` signals sent (by any app: the test makes its own)."""
    heard: list[dict] = []

    def listen(sender, **extra):
        heard.append(extra)

    signals.points_expiring.connect(listen)
    yield heard
    signals.points_expiring.disconnect(listen)


def test_points_never_expire_unless_the_owner_says_so(app, journey):
    with app.app_context():
        journey.loyalty.award("c-1", 40, "Welcome", key="welcome")
    assert _run(app, 10_000) == {"warned": 0, "expired": 0}
    assert entries(app) == [(40, "award")]


def test_a_customer_is_warned_once_then_their_points_expire_once(shop_factory, warnings):
    app, _, journey = shop_factory(YEAR)
    with app.app_context():
        journey.loyalty.award("c-1", 40, "Welcome", key="welcome")
    assert _run(app, 340) == {"warned": 0, "expired": 0}  # 25 days left: not yet
    assert _run(app, 352) == {"warned": 1, "expired": 0}
    assert _run(app, 353) == {"warned": 0, "expired": 0}  # warned of this expiry already
    [warning] = warnings
    assert (warning["customer_id"], warning["points"]) == ("c-1", 40)
    assert dt.timedelta(days=364) < warning["expires_at"] - utcnow() <= dt.timedelta(days=365)
    assert _run(app, 366) == {"warned": 0, "expired": 1}
    assert _run(app, 367) == {"warned": 0, "expired": 0}
    assert entries(app) == [(40, "award"), (-40, "expiry")]
    with app.app_context():
        assert journey.loyalty.balance("c-1") == 0 and check() == []


def test_earning_or_spending_keeps_points_alive_but_a_refund_does_not(shop_factory, stripe_events):
    app, _, journey = shop_factory(YEAR)
    from journeykit.testing import deliver

    client = app.test_client()
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=5000)
    assert deliver(client, purchase, secret="whsec_test_secret").status_code == 200
    assert deliver(client, stripe_events.charge_refunded(purchase, amount_refunded=1000), secret="whsec_test_secret").status_code == 200
    assert _run(app, 366) == {"warned": 0, "expired": 1}  # the refund was no activity of the customer's
    assert entries(app)[-1] == (-40, "expiry")
    with app.app_context():
        journey.loyalty.award("c-2", 10, "Welcome", key="welcome")
        db_session = app.extensions["sqlalchemy"].session
        customer = db_session.scalars(sa.select(Customer).where(Customer.shop_customer_id == "c-2")).one()
        spend(customer, 5, EntryKind.REDEMPTION, key="spent", at=utcnow() + dt.timedelta(days=300))
        db_session.commit()
    assert _run(app, 366) == {"warned": 0, "expired": 0}  # spent 300 days in: alive until day 665
    assert _run(app, 666) == {"warned": 0, "expired": 1}


def test_a_wrong_expiry_setting_is_refused_at_start(tmp_path):
    from .conftest import make_shop

    for key in YEAR:
        for value in (-1, 1.5, "30", 4000):
            with pytest.raises(ValueError, match=key):
                make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {key: value})


def test_the_command_says_what_it_did(shop_factory):
    app, _, journey = shop_factory(YEAR)
    with app.app_context():
        journey.loyalty.award("c-1", 40, "Welcome", key="welcome")
    result = app.test_cli_runner().invoke(args=["journeykit", "loyalty", "expire"])
    assert result.exit_code == 0 and result.output.strip() == "Warned 0 customer(s); expired the points of 0."


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_two_runs_at_once_expire_each_customers_points_once(shop_factory):
    app, _, journey = shop_factory(YEAR)
    with app.app_context():
        for n in range(20):
            journey.loyalty.award(f"c-{n}", 10 + n, "Welcome", key="welcome")
    results = at_once([lambda: _run(app, 400)] * 3)
    assert sum(result["expired"] for result in results) == 20
    with app.app_context():
        assert check() == [] and all(journey.loyalty.balance(f"c-{n}") == 0 for n in range(20))
