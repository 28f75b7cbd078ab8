"""A real deadlock on a real server is run again, once, and never answered with a 500.

Two units of work lock the same two rows in opposite orders, so the server
must roll one back; JourneyKit's requests run it again from a clean session.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from journeykit.core.dialects import is_deadlock, retry_deadlocks

from .conftest import SERVER_BACKENDS


def _products(app, db) -> type:
    Product = app.extensions["shop_models"]["Product"]
    with app.app_context():
        db.session.add_all([Product(id=1, name="a"), Product(id=2, name="b")])
        db.session.commit()
    return Product


def _crossing(app, db, Product, *, retried: bool) -> tuple[list[str], list[BaseException]]:
    """Two threads rename products 1 then 2, and 2 then 1, meeting in the middle; what ran and what failed."""
    both_hold_one = threading.Barrier(2)
    runs: list[str] = []
    failures: list[BaseException] = []

    def rename(first: int, second: int) -> None:
        def work() -> None:
            runs.append(f"{first}->{second}")
            db.session.get(Product, first, with_for_update=True).name = f"by {first}"
            db.session.flush()
            if len(runs) <= 2:  # the first attempts meet; a second attempt goes straight on
                both_hold_one.wait(timeout=10)
            db.session.get(Product, second, with_for_update=True).name = f"by {first}"
            db.session.commit()

        with app.app_context():
            try:
                (retry_deadlocks(work) if retried else work)()
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
                db.session.rollback()

    threads = [threading.Thread(target=rename, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs, failures


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_the_server_breaks_a_deadlock_and_the_loser_runs_again(app, db):
    Product = _products(app, db)
    runs, failures = _crossing(app, db, Product, retried=True)
    assert failures == []
    assert sorted(runs) == ["1->2", "1->2", "2->1"] or sorted(runs) == ["1->2", "2->1", "2->1"]
    with app.app_context():
        names = db.session.scalars(sa.select(Product.name).order_by(Product.id)).all()
    assert names[0] == names[1]  # the run that went second renamed both


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_without_the_retry_the_same_crossing_fails_as_a_deadlock(app, db):
    runs, failures = _crossing(app, db, _products(app, db), retried=False)
    assert len(runs) == 2 and len(failures) == 1 and is_deadlock(failures[0])


def test_a_webhook_that_meets_a_deadlock_is_verified_and_applied_on_its_second_run(app, db, client, monkeypatch):
    """The second run reads the same body (a stream read once would fail the signature) and applies the event once."""
    import pymysql

    from journeykit.hooks.stripe import store
    from journeykit.models import Order
    from journeykit.testing import StripeEvents, deliver

    apply, calls = store.apply, []

    def deadlocked_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE …", {}, pymysql.err.OperationalError(1213, "Deadlock found"))
        return apply(*args, **kwargs)

    monkeypatch.setattr(store, "apply", deadlocked_once)
    answer = deliver(client, StripeEvents().checkout_completed(customer_id="c-1", products=["sku-1"]),
                     secret="whsec_test_secret")
    assert answer.status_code == 200 and len(calls) == 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
