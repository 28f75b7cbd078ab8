"""Stripe sometimes delivers one event several times at the same moment: it applies once."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
import sqlalchemy as sa

from journeykit import signals
from journeykit.models import JourneyEvent, Order, StripeEvent, StripeEventStatus
from journeykit.testing import StripeEvents, deliver

from .conftest import make_shop

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


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
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
