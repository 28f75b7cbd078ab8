"""Loyalty points: an exact, append-only ledger fed by paid orders and the shop's awards, taken back by reversals."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from journeykit import JourneyKitError
from journeykit.loyalty import MAX_AWARD, EntryKind
from journeykit.loyalty.ledger import check
from journeykit.loyalty.spending import spend
from journeykit.models import Customer, PointsBalance, PointsEntry

from .conftest import SERVER_BACKENDS, make_shop
from .loyalty_helpers import entries

API = "/journeykit/api/v1"


def _count(app, model) -> int:
    with app.app_context():
        return app.extensions["sqlalchemy"].session.scalar(sa.select(sa.func.count()).select_from(model))


def _balance(app, journey, customer: str = "c-1") -> int:
    with app.app_context():
        return journey.loyalty.balance(customer)


def test_a_paid_order_earns_points_per_major_unit_rounded_down_in_every_currency(app, db, journey, stripe_events,
                                                                                 deliver_stripe_event):
    for amount, currency in ((2599, "usd"), (500, "jpy"), (12345, "kwd")):
        deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-1", amount_total=amount, currency=currency))
    # 25.99 USD → 25; 500 JPY (no minor unit) → 500; 12.345 KWD (three decimals) → 12
    assert entries(app) == [(25, "purchase"), (500, "purchase"), (12, "purchase")]
    assert _balance(app, journey) == 537


def test_a_rate_per_currency_earns_nothing_in_a_currency_it_leaves_out(shop_factory, stripe_events):
    app, db, journey = shop_factory({"JOURNEYKIT_POINTS_PER_UNIT": {"eur": 3}})
    client = app.test_client()
    from journeykit.testing import deliver

    for currency in ("eur", "usd"):
        event = stripe_events.checkout_completed(customer_id="c-1", amount_total=1000, currency=currency)
        assert deliver(client, event, secret="whsec_test_secret").status_code == 200
    assert entries(app) == [(30, "purchase")]


@pytest.mark.parametrize("rate", [-1, 1.5, True, "1", {"EUR": 1}, {"eur": -2}, {"euro": 1}, 10**7])
def test_a_wrong_rate_is_refused_at_start(tmp_path, rate):
    with pytest.raises(ValueError, match="JOURNEYKIT_POINTS_PER_UNIT"):
        make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_POINTS_PER_UNIT": rate})


def test_guests_earn_nothing_and_a_guests_refund_takes_nothing(app, stripe_events, deliver_stripe_event):
    guest = stripe_events.checkout_completed(customer_id=None, email="guest@example.com")
    deliver_stripe_event(guest)
    deliver_stripe_event(stripe_events.charge_refunded(guest, amount_refunded=2500))
    assert _count(app, PointsEntry) == 0


def test_refunds_take_back_in_proportion_at_the_rate_earned_whatever_their_order_or_repeats(
        app, db, journey, stripe_events, deliver_stripe_event):
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=2500)
    deliver_stripe_event(purchase)  # 25 points
    app.config["JOURNEYKIT_POINTS_PER_UNIT"] = 10  # today's rule changes: what was earned is what is taken back
    first, second = (stripe_events.charge_refunded(purchase, amount_refunded=amount) for amount in (333, 1000))
    deliver_stripe_event(second)  # 10.00 of 25.00 refunded: floor(25 × 1000 / 2500) = 10
    deliver_stripe_event(first)  # an older, smaller cumulative figure arriving late changes nothing
    deliver_stripe_event(second)  # Stripe's retry
    assert entries(app) == [(25, "purchase"), (-10, "reversal")]
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=2499))  # floor(24.99) = 24: 14 more
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=2500))  # all of it: the last one
    assert entries(app) == [(25, "purchase"), (-10, "reversal"), (-14, "reversal"), (-1, "reversal")]
    assert _balance(app, journey) == 0


def test_a_lost_dispute_takes_back_every_point_of_the_order(app, db, journey, stripe_events, deliver_stripe_event):
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=4000)
    deliver_stripe_event(purchase)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=1000))
    deliver_stripe_event(stripe_events.dispute(purchase, status="lost", closed=True))
    assert entries(app) == [(40, "purchase"), (-10, "reversal"), (-30, "reversal")]


def _spend(app, customer: str, points: int, key: str) -> None:
    """Points leave the balance as a redemption would (the redemption API comes with the rest of loyalty)."""
    db_session = app.extensions["sqlalchemy"].session
    with app.app_context():
        found = db_session.scalars(sa.select(Customer).where(Customer.shop_customer_id == customer)).one()
        try:
            spend(found, points, EntryKind.REDEMPTION, key=key)
        except JourneyKitError:
            db_session.rollback()
            raise
        db_session.commit()


@pytest.mark.parametrize("allow_negative", [False, True])
def test_points_already_spent_are_written_off_unless_the_owner_allows_a_negative_balance(
        shop_factory, stripe_events, allow_negative):
    app, db, journey = shop_factory({"JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE": allow_negative})
    from journeykit.testing import deliver

    client = app.test_client()
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=5000)
    deliver(client, purchase, secret="whsec_test_secret")
    _spend(app, "c-1", 45, "spent")
    deliver(client, stripe_events.charge_refunded(purchase, amount_refunded=5000), secret="whsec_test_secret")
    if allow_negative:
        assert entries(app) == [(50, "purchase"), (-45, "redemption"), (-50, "reversal")]
        assert _balance(app, journey) == -45
    else:  # the 45 spent cannot come back: written off, where the owner sees it
        assert entries(app) == [(50, "purchase"), (-45, "redemption"), (-50, "reversal"), (45, "write_off")]
        assert _balance(app, journey) == 0
    with app.app_context():
        assert check() == []


def test_an_open_dispute_holds_the_orders_points_until_it_closes(app, client, journey, shopper, stripe_events,
                                                                deliver_stripe_event):
    first, second = (stripe_events.checkout_completed(customer_id="c-1", amount_total=amount) for amount in (5000, 3000))
    deliver_stripe_event(first)
    deliver_stripe_event(second)
    deliver_stripe_event(stripe_events.charge_refunded(second, amount_refunded=1000))  # 30 earned, 10 taken back
    deliver_stripe_event(stripe_events.dispute(second))  # opened: its 20 are held
    mine = client.get(f"{API}/me/loyalty", headers=shopper("c-1")).json
    assert (mine["balance"], mine["spendable"]) == (70, 50)
    with pytest.raises(JourneyKitError, match="Not enough points: 50 available, 51 asked"):
        _spend(app, "c-1", 51, "too-much")
    _spend(app, "c-1", 50, "all-there-is")
    deliver_stripe_event(stripe_events.dispute(second, status="won", closed=True))  # released
    assert client.get(f"{API}/me/loyalty", headers=shopper("c-1")).json["spendable"] == 20
    _spend(app, "c-1", 20, "the-rest")
    assert _balance(app, journey) == 0


def test_a_spend_beyond_the_balance_is_refused_and_changes_nothing(app, db, journey):
    with app.app_context():
        journey.loyalty.award("c-1", 30, "Welcome", key="welcome")
    with pytest.raises(JourneyKitError, match="Not enough points"):
        _spend(app, "c-1", 31, "too-much")
    assert entries(app) == [(30, "award")] and _balance(app, journey) == 30


def test_an_award_is_idempotent_by_key_and_returns_the_balance(app, db, journey):
    with app.app_context():
        assert journey.loyalty.award("c-1", 50, "Joined the newsletter", key="newsletter") == 50
        assert journey.loyalty.award("c-1", 50, "Joined the newsletter", key="newsletter") == 50
        assert journey.loyalty.award("c-1", 20, "Wrote a guide", key="guide-7") == 70
        assert journey.loyalty.balance("nobody-yet") == 0
    assert entries(app) == [(50, "award"), (20, "award")]


@pytest.mark.parametrize("points", [0, -5, True, 1.5, "5", None, MAX_AWARD + 1])
def test_an_award_of_a_wrong_amount_is_refused_and_changes_nothing(app, db, journey, points):
    with app.app_context(), pytest.raises(ValueError, match="points must be a whole number"):
        journey.loyalty.award("c-1", points, "Bonus", key="bonus")
    assert _count(app, Customer) == 0


@pytest.mark.parametrize("reason, key", [("", "k"), ("   ", "k"), ("Bonus", ""), (None, "k"), ("Bonus", 7)])
def test_an_award_without_a_reason_or_key_is_refused(app, db, journey, reason, key):
    with app.app_context(), pytest.raises(ValueError, match="must be a text"):
        journey.loyalty.award("c-1", 5, reason, key=key)
    assert _count(app, PointsEntry) == 0


def test_the_shopper_reads_balance_tier_and_history_in_words(app, client, journey, shopper, stripe_events,
                                                             deliver_stripe_event):
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=3000)
    deliver_stripe_event(purchase)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=1000))
    with app.app_context():
        journey.loyalty.award("c-1", 5, "Followed us on Mastodon", key="mastodon")
    mine = client.get(f"{API}/me/loyalty", headers=shopper("c-1")).json
    assert (mine["balance"], mine["spendable"], mine["tier"]) == (25, 25, "member")
    assert [(entry["points"], entry["kind"], entry["description"]) for entry in mine["history"]] == [
        (5, "award", "Followed us on Mastodon"),
        (-10, "reversal", "Taken back: part of an order was refunded"),
        (30, "purchase", "Points for your order"),
    ]
    assert client.get(f"{API}/me/loyalty").status_code == 401


def test_the_check_command_proves_the_ledger_and_names_a_drifted_balance(app, db, journey):
    with app.app_context():
        journey.loyalty.award("c-1", 40, "Welcome", key="welcome")
        journey.loyalty.award("c-2", 10, "Welcome", key="welcome")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["journeykit", "loyalty", "check"])
    assert result.exit_code == 0 and "Every balance equals the sum of its entries." in result.output
    with app.app_context():  # damage done outside JourneyKit: a balance edited by hand, and one deleted
        db.session.execute(sa.update(PointsBalance).where(PointsBalance.balance == 40).values(balance=41))
        db.session.execute(sa.delete(PointsBalance).where(PointsBalance.balance == 10))
        db.session.commit()
        ids = dict(db.session.execute(sa.select(Customer.shop_customer_id, Customer.id)).all())
    result = runner.invoke(args=["journeykit", "loyalty", "check"])
    assert result.exit_code == 1
    assert f"customer {ids['c-1']}: balance 41, entries sum to 40" in result.output
    assert f"customer {ids['c-2']}: balance 0, entries sum to 10" in result.output


def test_entries_are_never_changed_or_deleted(app, db, journey):
    with app.app_context():
        journey.loyalty.award("c-1", 40, "Welcome", key="welcome")
        entry = db.session.scalars(sa.select(PointsEntry)).one()
        entry.points = 4000
        with pytest.raises(JourneyKitError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(sa.select(PointsEntry)).one())
        with pytest.raises(JourneyKitError, match="append-only"):
            db.session.flush()
        db.session.rollback()
    assert entries(app) == [(40, "award")]


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_concurrent_awards_refunds_and_spends_of_one_customer_stay_exact(app, db, journey, stripe_events):
    """Threads award (with repeated keys), spend and refund one customer's points at once: nothing doubled, lost or overspent."""
    from journeykit.testing import deliver

    client = app.test_client()
    purchase = stripe_events.checkout_completed(customer_id="c-1", amount_total=10000)
    assert deliver(client, purchase, secret="whsec_test_secret").status_code == 200  # 100 points
    start, failures = threading.Barrier(12), []

    def work(n: int) -> None:
        try:
            start.wait()
            with app.app_context():
                if n < 6:
                    journey.loyalty.award("c-1", 10, "Bonus", key=f"bonus-{n % 3}")  # three keys, each twice
                elif n < 10:
                    try:
                        _spend(app, "c-1", 40, f"spend-{n}")
                    except JourneyKitError:
                        pass  # refused: not enough points left
                else:
                    refund = stripe_events.charge_refunded(purchase, amount_refunded=5000 * (n - 9))
                    assert deliver(app.test_client(), refund, secret="whsec_test_secret").status_code == 200
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with app.app_context():
        assert check() == []
        kinds = [kind for _, kind in entries(app)]
        assert kinds.count("award") == 3 and kinds.count("purchase") == 1
        assert sum(points for points, kind in entries(app) if kind == "reversal") == -100  # all refunded in the end
        assert journey.loyalty.balance("c-1") >= 0


def _waiting_on_a_lock(db) -> bool:
    """Whether a transaction is waiting for another's row lock (read on a connection of its own): PostgreSQL says
    so; on MariaDB a statement on the balances still running is one."""
    query = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
             if db.engine.dialect.name == "postgresql" else
             "SELECT count(*) FROM information_schema.processlist WHERE command = 'Query'"
             " AND info LIKE '%journeykit_points_balances%'")
    with db.engine.connect() as connection:
        return connection.scalar(sa.text(query)) > 0


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_two_first_postings_of_a_new_customer_at_once_make_one_balance_row_holding_both(app, db, journey):
    """The first posting inserts the balance row with its points; a second one, unable to see it yet, waits for it
    (PostgreSQL: on its own insert of the row; MariaDB: already on the locking read), then moves that row: one row,
    both entries, nothing lost."""
    from journeykit.core import signals
    from journeykit.journey import ensure_customer
    from journeykit.loyalty.ledger import post

    with app.app_context():
        ensure_customer("c-new")
        signals.commit()
    first_posted, may_commit = threading.Event(), threading.Event()

    def first() -> None:
        with app.app_context():
            assert post(ensure_customer("c-new"), 10, EntryKind.AWARD, key="first") is not None
            first_posted.set()
            assert may_commit.wait(30)
            signals.commit()

    def second() -> None:
        assert first_posted.wait(30)
        with app.app_context():
            assert post(ensure_customer("c-new"), 7, EntryKind.AWARD, key="second") is not None
            signals.commit()

    threads = [threading.Thread(target=job) for job in (first, second)]
    for thread in threads:
        thread.start()
    assert first_posted.wait(30)
    for _ in range(300):
        if _waiting_on_a_lock(db):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the second posting never waited for the first")
    may_commit.set()
    for thread in threads:
        thread.join(30)
    assert _balance(app, journey, "c-new") == 17 and _count(app, PointsBalance) == 1
    with app.app_context():
        assert check() == []
        row = app.extensions["sqlalchemy"].session.scalars(sa.select(PointsBalance)).one()
        assert (row.balance, row.earned) == (17, 17)
