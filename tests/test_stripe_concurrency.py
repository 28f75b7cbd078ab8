"""Stripe sometimes delivers one event several times at the same moment: it applies once."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
import sqlalchemy as sa

from journeykit import signals
from journeykit.models import JourneyEvent, Order, StripeEvent, StripeEventStatus
from journeykit.testing import StripeEvents, deliver

from .conftest import SERVER_BACKENDS, make_shop

DELIVERIES = 8
SECRET = "whsec_test_secret"


def _effects(db) -> tuple[int, int, StripeEventStatus]:
    db.session.expire_all()
    orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
    purchases = db.session.scalar(sa.select(sa.func.count()).where(JourneyEvent.name == "purchase"))
    status = db.session.scalars(sa.select(StripeEvent.status)).one()
    return orders, purchases, status


def test_simultaneous_deliveries_in_threads_apply_once(app, db):
    event = StripeEvents().checkout_completed(customer_id="c-1", products=["sku-1"])
    sent: list[object] = []
    signals.purchase_recorded.connect(lambda sender, **extra: sent.append(extra), app, weak=False)
    start = threading.Barrier(DELIVERIES)
    statuses: list[int] = []

    def deliver_once() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(deliver(client, event, secret=SECRET).status_code)

    threads = [threading.Thread(target=deliver_once) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * DELIVERIES
    assert _effects(db) == (1, 1, StripeEventStatus.PROCESSED)
    assert len(sent) == 1


def _deliver_in_process(database_url: str, event: dict, barrier, results) -> None:
    app, _, _ = make_shop(database_url)
    client = app.test_client()
    barrier.wait()
    results.put(deliver(client, event, secret=SECRET).status_code)


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_simultaneous_deliveries_in_processes_apply_once(app, db):
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    event = StripeEvents().checkout_completed(customer_id="c-2", products=["sku-2"])
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_deliver_in_process, args=(database_url, event, barrier, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(results.get(timeout=5) for _ in workers) == [200] * 4
    assert _effects(db) == (1, 1, StripeEventStatus.PROCESSED)


RACES = 90


def _race(app, first: dict, second: dict, lag: float) -> list[int]:
    """Deliver two events from two threads, the second ``lag`` seconds after the first; their status codes."""
    start = threading.Barrier(2)
    statuses: list[int] = []

    def send(event: dict, wait: float) -> None:
        client = app.test_client()
        start.wait()
        time.sleep(wait)
        statuses.append(deliver(client, event, secret=SECRET).status_code)

    threads = [threading.Thread(target=send, args=args) for args in ((first, 0.0), (second, lag))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _refunded_and_waiting(db) -> tuple[list[int], int]:
    db.session.expire_all()
    refunded = db.session.scalars(sa.select(Order.amount_refunded).order_by(Order.id)).all()
    waiting = db.session.scalar(
        sa.select(sa.func.count()).select_from(StripeEvent).where(StripeEvent.status != StripeEventStatus.PROCESSED))
    return list(refunded), waiting


def test_a_refund_or_dispute_racing_its_purchase_is_always_applied(app, db):
    """The purchase and its refund (or lost dispute) arrive together: whichever commits last, both end applied."""
    stripe = StripeEvents()
    for n in range(RACES):
        purchase = stripe.checkout_completed(customer_id=f"c-race-{n}", products=["sku-1"], amount_total=1000)
        if n % 3 == 2:
            reversal = stripe.dispute(purchase, status="lost", closed=True)
        else:
            reversal = stripe.charge_refunded(purchase, amount_refunded=400)
        # Lags across the purchase's own duration, so some reversals land in each of its steps.
        assert _race(app, purchase, reversal, lag=(n % 15) * 0.003) == [200, 200]
    refunded, waiting = _refunded_and_waiting(db)
    assert waiting == 0
    assert refunded == [0 if n % 3 == 2 else 400 for n in range(RACES)]
    disputed = db.session.scalar(sa.select(sa.func.count()).where(Order.dispute_status.is_not(None)))
    assert disputed == RACES // 3


def _deliver_in_step(database_url: str, events: list[dict], lags: list[float], barrier, results) -> None:
    """One process of a race: deliver each event when the other process is ready too, after its lag."""
    app, _, _ = make_shop(database_url)
    client = app.test_client()
    for event, lag in zip(events, lags):
        barrier.wait()
        time.sleep(lag)
        results.put(deliver(client, event, secret=SECRET).status_code)


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_a_refund_racing_its_purchase_from_another_process_is_always_applied(app, db):
    stripe = StripeEvents()
    purchases = [stripe.checkout_completed(customer_id=f"c-proc-{n}", amount_total=1000) for n in range(RACES)]
    refunds = [stripe.charge_refunded(purchase, amount_refunded=250) for purchase in purchases]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    lags = [(n % 15) * 0.003 for n in range(RACES)]
    workers = [
        context.Process(target=_deliver_in_step, args=(app.config["SQLALCHEMY_DATABASE_URI"], events, delays, barrier, results))
        for events, delays in ((purchases, [0.0] * RACES), (refunds, lags))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert sorted(results.get(timeout=5) for _ in range(2 * RACES)) == [200] * (2 * RACES)
    assert _refunded_and_waiting(db) == ([250] * RACES, 0)


def test_an_async_payment_racing_its_checkout_ends_paid_once(app, db):
    """A delayed payment's success arriving with its (unpaid) completed checkout: one paid order, one purchase."""
    stripe = StripeEvents()
    for n in range(RACES // 3):
        completed = stripe.checkout_completed(customer_id=f"c-async-{n}", payment_status="unpaid", amount_total=700)
        assert _race(app, completed, stripe.async_payment(completed), lag=(n % 15) * 0.003) == [200, 200]
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(Order.status)).all()
    assert [status.value for status in statuses] == ["paid"] * (RACES // 3)
    purchases = db.session.scalar(sa.select(sa.func.count()).where(JourneyEvent.name == "purchase"))
    assert purchases == RACES // 3
