"""Stripe's real payloads, applied in any order, any number of times, end in one state."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit import signals
from journeykit.models import Customer, DisputeStatus, JourneyEvent, Order, OrderStatus, StripeEvent, StripeEventStatus
from journeykit.journey.stages import Stage

from .stripe_fixtures import linked_family, load


@pytest.fixture
def received(app):
    """Every purchase_recorded / refund_recorded signal sent, as (name, kwargs)."""
    seen: list[tuple[str, dict]] = []

    def on_purchase(sender, **extra):
        seen.append(("purchase", extra))

    def on_refund(sender, **extra):
        seen.append(("refund", extra))

    signals.purchase_recorded.connect(on_purchase, app)
    signals.refund_recorded.connect(on_refund, app)
    yield seen
    signals.purchase_recorded.disconnect(on_purchase, app)
    signals.refund_recorded.disconnect(on_refund, app)


def _order(db) -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


def _status(db, event_id: str) -> StripeEventStatus:
    return db.session.scalars(sa.select(StripeEvent.status).where(StripeEvent.event_id == event_id)).one()


def test_verbatim_card_checkout_is_a_purchase_matched_by_email(db, deliver_stripe_event, received):
    response = deliver_stripe_event(load("checkout.session.completed"))
    assert response.status_code == 200
    order = _order(db)
    assert (order.status, order.amount_total, order.currency) == (OrderStatus.PAID, 999, "eur")
    assert order.customer.shop_customer_id is None
    assert order.customer.email == "stripe@example.com" or order.customer.email
    assert [name for name, _ in received] == ["purchase"]


def test_delayed_payment_pending_then_paid(db, deliver_stripe_event, received):
    family = linked_family()
    deliver_stripe_event(family["completed_unpaid"])
    order = _order(db)
    assert order.status is OrderStatus.PENDING and order.paid_at is None
    assert order.customer.stage is Stage.AWARENESS
    assert received == []
    deliver_stripe_event(family["async_succeeded"])
    order = _order(db)
    assert order.status is OrderStatus.PAID
    assert (order.customer.shop_customer_id, order.customer.stage) == ("shopper-42", Stage.PURCHASE)
    assert order.referral_code == "REF-ALICE42" and order.product_ids == ["sku-1"]
    assert [name for name, _ in received] == ["purchase"]


def test_failed_delayed_payment_is_no_purchase(db, deliver_stripe_event, received):
    family = linked_family()
    deliver_stripe_event(family["completed_unpaid"])
    deliver_stripe_event(family["async_failed"])
    order = _order(db)
    assert order.status is OrderStatus.FAILED
    assert order.customer.stage is Stage.AWARENESS
    assert received == []


def test_refund_before_its_purchase_waits_then_applies(db, deliver_stripe_event, received):
    family = linked_family()
    response = deliver_stripe_event(family["refund_partial"])
    assert response.status_code == 200 and response.json["outcome"] == "deferred"
    assert _status(db, family["refund_partial"]["id"]) is StripeEventStatus.DEFERRED
    deliver_stripe_event(family["async_succeeded"])
    assert _order(db).amount_refunded == 400
    assert _status(db, family["refund_partial"]["id"]) is StripeEventStatus.PROCESSED
    assert [(name, extra.get("amount")) for name, extra in received] == [("purchase", None), ("refund", 400)]


def test_late_partial_refund_never_reverses_twice(db, deliver_stripe_event, received):
    family = linked_family()
    for role in ("async_succeeded", "refund_full", "refund_partial", "refund_full"):
        assert deliver_stripe_event(family[role]).status_code == 200
    assert _order(db).amount_refunded == 999
    refunds = [extra["amount"] for name, extra in received if name == "refund"]
    assert refunds == [999]


def test_lost_dispute_reverses_the_whole_order_once(db, deliver_stripe_event, received):
    family = linked_family()
    for role in ("async_succeeded", "refund_partial", "dispute_created", "dispute_lost", "dispute_created"):
        deliver_stripe_event(family[role])
    order = _order(db)
    assert order.dispute_status is DisputeStatus.LOST
    assert sum(extra["amount"] for name, extra in received if name == "refund") == 999


def test_won_dispute_releases_without_reversal(db, deliver_stripe_event, received):
    family = linked_family()
    for role in ("async_succeeded", "dispute_won", "dispute_created"):
        deliver_stripe_event(family[role])
    assert _order(db).dispute_status is DisputeStatus.WON
    assert [name for name, _ in received] == ["purchase"]


def test_expired_checkout_is_a_consideration_signal(db, deliver_stripe_event, shop):
    app, _, journey = shop
    with app.test_request_context():
        from journeykit.journey.customers import ensure_customer

        ensure_customer("shopper-42")
        db.session.commit()
    deliver_stripe_event(load("checkout.session.expired"))
    order = _order(db)
    assert order.status is OrderStatus.EXPIRED
    customer = db.session.scalars(sa.select(Customer).where(Customer.shop_customer_id == "shopper-42")).one()
    assert customer.stage is Stage.CONSIDERATION


def test_unknown_event_types_are_stored_and_acknowledged(db, deliver_stripe_event, stripe_events):
    event = stripe_events.event("customer.created", {"id": "cus_123", "object": "customer"})
    response = deliver_stripe_event(event)
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert _status(db, event["id"]) is StripeEventStatus.IGNORED


def test_events_of_the_other_mode_are_ignored(shop_factory, stripe_events):
    app, db, _ = shop_factory({"JOURNEYKIT_STRIPE_API_KEY": "sk_test_123"})
    from journeykit.testing import deliver

    live = load("checkout.session.completed")  # livemode: true
    response = deliver(app.test_client(), live, secret="whsec_test_secret")
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
        assert _status(db, live["id"]) is StripeEventStatus.IGNORED


ROLES = ["completed_unpaid", "async_succeeded", "refund_partial", "refund_full", "dispute_created"]


def _story_state(db, session_id: str) -> tuple:
    """What a shop sees of one purchase: order state, stage, and the logged effects."""
    db.session.expire_all()
    order = db.session.scalars(sa.select(Order).where(Order.checkout_session_id == session_id)).one()
    logged = db.session.scalars(
        sa.select(JourneyEvent).where(JourneyEvent.properties["order"].as_string() == session_id)
    ).all()
    purchases = sum(1 for event in logged if event.name == "purchase")
    reversed_total = sum(event.properties["amount"] for event in logged if event.name == "refund")
    return (order.status, order.amount_refunded, order.dispute_status, order.customer.stage, purchases, reversed_total)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ending=st.sampled_from(["dispute_won", "dispute_lost"]),
    order=st.permutations(list(range(6))),
    duplicates=st.lists(st.integers(0, 5), max_size=4),
)
def test_any_order_and_duplication_ends_in_the_same_state(app, db, ending, order, duplicates):
    """The property of issue 3: arrival order and repeats never change the outcome."""
    from journeykit.testing import deliver

    family = linked_family(suffix=next(_stories))
    roles = [*ROLES, ending]
    client = app.test_client()
    for role in [roles[i] for i in order] + [roles[i] for i in duplicates]:
        assert deliver(client, family[role], secret="whsec_test_secret").status_code == 200
    dispute = DisputeStatus.WON if ending == "dispute_won" else DisputeStatus.LOST
    session_id = family["completed_unpaid"]["data"]["object"]["id"]
    assert _story_state(db, session_id) == (OrderStatus.PAID, 999, dispute, Stage.PURCHASE, 1, 999)


_stories = (f"S{n}" for n in itertools.count())


def test_zero_decimal_amounts_stay_in_yen(db, deliver_stripe_event, stripe_events, client, admin_headers):
    deliver_stripe_event(stripe_events.checkout_completed(amount_total=4980, currency="jpy"))
    order = _order(db)
    assert (order.amount_total, order.currency) == (4980, "jpy")
    page = client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    assert "4,980 JPY" in page


def test_reversal_and_hold_hooks_see_each_change_once(db, deliver_stripe_event):
    from journeykit.orders import purchases

    calls: list[tuple] = []
    reversal = lambda order, before, after: calls.append(("reversed", before, after))  # noqa: E731
    hold = lambda order, held: calls.append(("held", held))  # noqa: E731
    purchases.reversal_handlers.append(reversal)
    purchases.hold_handlers.append(hold)
    try:
        family = linked_family()
        for role in ("async_succeeded", "refund_partial", "dispute_created", "refund_partial", "dispute_won", "refund_full"):
            deliver_stripe_event(family[role])
    finally:
        purchases.reversal_handlers.remove(reversal)
        purchases.hold_handlers.remove(hold)
    assert calls == [("reversed", 0, 400), ("held", True), ("held", False), ("reversed", 400, 999)]


def test_a_deferral_left_behind_is_applied_by_replay_deferred(app, db, client, deliver_stripe_event):
    """A process that died between a purchase's commit and its retry leaves a deferral: cron's replay applies it."""
    from journeykit import orders

    family = linked_family()
    assert deliver_stripe_event(family["refund_partial"]).json["outcome"] == "deferred"
    with app.app_context():  # the purchase, applied without the webhook's retry after commit
        orders.apply_event(family["async_succeeded"])
        signals.commit()
    assert _status(db, family["refund_partial"]["id"]) is StripeEventStatus.DEFERRED
    metrics = client.get("/journeykit/metrics", headers={"Authorization": "Bearer test-admin-key-0123456789"})
    assert 'journeykit_stripe_events{status="deferred"} 1.0' in metrics.get_data(as_text=True)
    assert "journeykit_stripe_oldest_deferred_age_seconds" in metrics.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["journeykit", "stripe", "replay", "--deferred"])
    assert result.exit_code == 0, result.output
    assert "1 deferred event(s) applied, 0 still waiting" in result.output
    assert _status(db, family["refund_partial"]["id"]) is StripeEventStatus.PROCESSED
    assert _order(db).amount_refunded == 400
    again = app.test_cli_runner().invoke(args=["journeykit", "stripe", "replay", "--deferred"])
    assert "0 deferred event(s) applied, 0 still waiting" in again.output


def test_replay_deferred_leaves_events_whose_purchase_never_came(app, db, deliver_stripe_event):
    family = linked_family()
    deliver_stripe_event(family["refund_partial"])
    result = app.test_cli_runner().invoke(args=["journeykit", "stripe", "replay", "--deferred"])
    assert "0 deferred event(s) applied, 1 still waiting for their purchase" in result.output
    assert _status(db, family["refund_partial"]["id"]) is StripeEventStatus.DEFERRED


class _Deadlock(Exception):
    """What psycopg raises when PostgreSQL breaks a deadlock (MariaDB's 1213 is recognised the same way)."""

    sqlstate = "40P01"


def test_a_deadlock_while_a_purchase_applies_its_deferred_refund_still_applies_it(db, deliver_stripe_event,
                                                                                   monkeypatch):
    """The retry after the purchase's commit ran into a deadlock (MariaDB under load): the refund must not be left
    failed (or deferred) with the purchase's webhook already answered as done."""
    from journeykit import orders

    family = linked_family()
    assert deliver_stripe_event(family["refund_partial"]).json["outcome"] == "deferred"
    apply_event, broken = orders.apply_event, []

    def deadlocks_once_on_the_refund(event):
        if event["id"] == family["refund_partial"]["id"] and not broken:
            broken.append(event["id"])
            raise sa.exc.OperationalError("UPDATE journeykit_orders …", {}, _Deadlock("deadlock detected"))
        return apply_event(event)

    monkeypatch.setattr(orders, "apply_event", deadlocks_once_on_the_refund)
    assert deliver_stripe_event(family["async_succeeded"]).status_code == 200
    assert broken
    assert _status(db, family["refund_partial"]["id"]) is StripeEventStatus.PROCESSED
    assert _order(db).amount_refunded == 400
