"""VIP tiers: up at once when earned, down only at the evaluation, a bonus on purchase points at the tier held."""

from __future__ import annotations

import datetime as dt

import pytest

from journeykit import signals
from journeykit.core.db import utcnow
from journeykit.loyalty import tiers
from journeykit.testing import deliver

from .loyalty_helpers import entries
from .sql_statements import recorded

TIERS = {"JOURNEYKIT_LOYALTY_TIERS": [{"name": "Silver", "points": 100, "bonus_percent": 10},
                                      {"name": "Gold", "points": 300, "bonus_percent": 50}],
         "JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS": 365}
SECRET = "whsec_test_secret"
API = "/journeykit/api/v1"


@pytest.fixture
def changes():
    heard: list[tuple[str, str, str]] = []

    def listen(sender, **extra):
        heard.append((extra["customer_id"], extra["old"], extra["new"]))

    signals.tier_changed.connect(listen)
    yield heard
    signals.tier_changed.disconnect(listen)


def _mine(app, journey, customer: str = "c-1") -> dict:
    with app.test_request_context():
        token = journey.customer_token(customer)
    return app.test_client().get(f"{API}/me/loyalty", headers={"X-JourneyKit-Customer": token}).json


def test_a_customer_goes_up_at_once_and_purchase_points_carry_the_tiers_bonus(shop_factory, stripe_events, changes):
    app, _, journey = shop_factory(TIERS)
    client = app.test_client()
    mine = _mine(app, journey)
    assert (mine["tier"], mine["next_tier"]) == ("member", {"name": "Silver", "points_needed": 100, "percent": 0,
                                                            "description": "100 points more to reach Silver"})
    first = stripe_events.checkout_completed(customer_id="c-1", amount_total=12000)
    assert deliver(client, first, secret=SECRET).status_code == 200  # 120 points: Silver at once
    assert changes == [("c-1", "member", "Silver")]
    second = stripe_events.checkout_completed(customer_id="c-1", amount_total=10000)
    assert deliver(client, second, secret=SECRET).status_code == 200  # 100 × 110% = 110 as Silver
    assert entries(app) == [(120, "purchase"), (110, "purchase")]
    mine = _mine(app, journey)
    assert (mine["tier"], mine["next_tier"]) == ("Silver", {"name": "Gold", "points_needed": 70, "percent": 76,
                                                            "description": "70 points more to reach Gold"})
    with app.app_context():
        journey.loyalty.award("c-1", 70, "Wrote a guide", key="guide")  # awards count, without a bonus
    assert changes[-1] == ("c-1", "Silver", "Gold") and _mine(app, journey)["next_tier"] is None
    # A refund takes back what the order earned at the tier it was earned at: 110 × 50% = 55.
    assert deliver(client, stripe_events.charge_refunded(second, amount_refunded=5000), secret=SECRET).status_code == 200
    assert entries(app)[-1] == (-55, "reversal")
    assert _mine(app, journey)["tier"] == "Gold"  # 245 in the window now, but nobody goes down mid-purchase


def test_a_window_is_read_only_once_the_customer_ever_earned_a_higher_tiers_points(shop_factory, stripe_events,
                                                                                     changes):
    app, _, _ = shop_factory(TIERS)
    client = app.test_client()
    window_reads = lambda statements: [statement for statement in statements  # noqa: E731
                                       if "sum(journeykit_points_entries.points)" in statement.sql.lower()]
    with recorded(app) as statements:  # 50 points, never more: Silver's 100 are out of reach unread
        assert deliver(client, stripe_events.checkout_completed(customer_id="c-1", amount_total=5000),
                       secret=SECRET).status_code == 200
    assert window_reads(statements) == [] and changes == []
    with recorded(app) as statements:  # 60 more: 110 ever earned, so the window is read, and holds Silver's 100
        assert deliver(client, stripe_events.checkout_completed(customer_id="c-1", amount_total=6000),
                       secret=SECRET).status_code == 200
    assert len(window_reads(statements)) == 1 and changes == [("c-1", "member", "Silver")]


def test_a_customer_goes_down_only_at_the_evaluation_when_the_window_no_longer_holds_enough(shop_factory, changes):
    app, _, journey = shop_factory(TIERS)
    with app.app_context():
        journey.loyalty.award("c-1", 320, "Founding customer", key="founder")
        journey.loyalty.award("c-2", 50, "Welcome", key="welcome")
        assert tiers.evaluate() == {"upgraded": 0, "downgraded": 0}  # already where they belong
        assert tiers.evaluate(now=utcnow() + dt.timedelta(days=366)) == {"upgraded": 0, "downgraded": 1}
    assert changes == [("c-1", "member", "Gold"), ("c-1", "Gold", "member")]
    result = app.test_cli_runner().invoke(args=["journeykit", "loyalty", "tiers"])
    assert result.exit_code == 0 and result.output.strip() == "Upgraded 1 customer(s); downgraded 0."
    assert _mine(app, journey)["tier"] == "Gold"  # today's window holds the 320 again


def test_without_tiers_everyone_is_a_member(app, journey):
    with app.app_context():
        journey.loyalty.award("c-1", 10_000, "Lots", key="lots")
        assert tiers.evaluate() == {"upgraded": 0, "downgraded": 0}
    assert (_mine(app, journey)["tier"], _mine(app, journey)["next_tier"]) == ("member", None)


@pytest.mark.parametrize("wrong", [
    {"name": "Silver"}, [{"name": "Silver", "points": 0}], [{"name": "", "points": 10}],
    [{"name": "member", "points": 10}], [{"name": "A", "points": 100}, {"name": "B", "points": 100}],
    [{"name": "A", "points": 100}, {"name": "A", "points": 200}], [{"name": "A", "points": 10, "bonus_percent": -5}],
    [{"name": "A", "points": 10, "bonus_percent": 2.5}], ["Silver"],
])
def test_wrong_tiers_are_refused_at_start(tmp_path, wrong):
    from .conftest import make_shop

    with pytest.raises(ValueError, match="JOURNEYKIT_LOYALTY_TIERS"):
        make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_LOYALTY_TIERS": wrong})


MONEY_TIERS = {"JOURNEYKIT_LOYALTY_TIERS": [{"name": "Silver", "points": 100, "bonus_percent": 10},
                                            {"name": "Gold", "spent": {"usd": 50000, "eur": 45000}, "bonus_percent": 50}],
               "JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS": 365}


def test_money_spent_reaches_a_tier_at_once_and_refunds_bring_it_down_at_the_evaluation(shop_factory, stripe_events,
                                                                                      changes):
    app, _, journey = shop_factory(MONEY_TIERS)
    client = app.test_client()
    first = stripe_events.checkout_completed(customer_id="c-1", amount_total=30000)
    assert deliver(client, first, secret=SECRET).status_code == 200  # 300 points: Silver; 300.00 USD spent
    # Gold needs 500.00 USD or 450.00 EUR: the dollars are nearer (200.00 of 500.00 to go, against all 450.00 EUR).
    assert _mine(app, journey)["next_tier"] == {"name": "Gold", "amount_needed": 20000, "currency": "usd", "percent": 60,
                                                "description": "200.00 USD more to spend to reach Gold"}
    second = stripe_events.checkout_completed(customer_id="c-1", amount_total=20000)
    assert deliver(client, second, secret=SECRET).status_code == 200  # 500.00 USD spent: Gold at once
    assert changes == [("c-1", "member", "Silver"), ("c-1", "Silver", "Gold")]
    assert entries(app) == [(300, "purchase"), (220, "purchase")]  # earned as Silver (+10%), then upgraded
    assert (_mine(app, journey)["tier"], _mine(app, journey)["next_tier"]) == ("Gold", None)
    assert deliver(client, stripe_events.charge_refunded(second, amount_refunded=100), secret=SECRET).status_code == 200
    assert _mine(app, journey)["tier"] == "Gold"  # 499.99 USD now, but nobody goes down mid-purchase
    with app.app_context():
        assert tiers.evaluate() == {"upgraded": 0, "downgraded": 1}  # still Silver by points
    assert changes[-1] == ("c-1", "Gold", "Silver")


def test_a_purchase_that_earns_no_points_still_reaches_a_money_tier(shop_factory, stripe_events, changes):
    app, _, journey = shop_factory({**MONEY_TIERS, "JOURNEYKIT_POINTS_PER_UNIT": {"gbp": 1}})
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=45000, currency="eur")
    assert deliver(app.test_client(), purchase, secret=SECRET).status_code == 200
    assert entries(app) == [] and changes == [("c-1", "member", "Gold")]


def test_money_spent_outside_the_window_or_lost_in_a_dispute_counts_nothing(shop_factory, stripe_events, changes):
    app, _, journey = shop_factory(MONEY_TIERS)
    client = app.test_client()
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=50000)
    assert deliver(client, purchase, secret=SECRET).status_code == 200
    assert _mine(app, journey)["tier"] == "Gold"
    with app.app_context():
        assert tiers.evaluate(now=utcnow() + dt.timedelta(days=366)) == {"upgraded": 0, "downgraded": 1}
    for event in (stripe_events.dispute(purchase), stripe_events.dispute(purchase, status="lost", closed=True)):
        assert deliver(client, event, secret=SECRET).status_code == 200
    with app.app_context():
        assert tiers.evaluate() == {"upgraded": 0, "downgraded": 0}
    assert changes == [("c-1", "member", "Gold"), ("c-1", "Gold", "member")]


def test_the_program_describes_points_and_money_tiers(shop_factory):
    from journeykit.loyalty import program

    app, _, _ = shop_factory(MONEY_TIERS)
    with app.test_request_context():
        assert program.describe()["tiers"] == [
            {"name": "Silver", "points": 100, "spent": None, "bonus_percent": 10,
             "description": "Earn 100 points in 365 days"},
            {"name": "Gold", "points": None, "spent": {"eur": 45000, "usd": 50000}, "bonus_percent": 50,
             "description": "Spend 450.00 EUR or 500.00 USD in 365 days"},
        ]


@pytest.mark.parametrize("wrong", [
    [{"name": "A", "points": 10, "spent": {"usd": 100}}], [{"name": "A"}], [{"name": "A", "spent": {}}],
    [{"name": "A", "spent": {"USD": 100}}], [{"name": "A", "spent": {"usd": 0}}], [{"name": "A", "spent": {"usd": 1.5}}],
    [{"name": "A", "spent": {"usd": True}}], [{"name": "A", "spent": ["usd", 100]}],
    [{"name": "A", "spent": {"usd": 10**13}}],
    [{"name": "A", "spent": {"usd": 100}}, {"name": "B", "spent": {"eur": 50, "usd": 100}}],
])
def test_wrong_money_tiers_are_refused_at_start(tmp_path, wrong):
    from .conftest import make_shop

    with pytest.raises(ValueError, match="JOURNEYKIT_LOYALTY_TIERS"):
        make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_LOYALTY_TIERS": wrong})


def test_tiers_of_either_measure_may_follow_each_other(tmp_path):
    from .conftest import make_shop

    make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_LOYALTY_TIERS": [
        {"name": "A", "spent": {"usd": 100}}, {"name": "B", "points": 50}, {"name": "C", "spent": {"eur": 50, "usd": 200}}]})
