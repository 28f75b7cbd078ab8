"""JourneyKit's tables: aware UTC times, exact integer money, append-only journey log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from journeykit import JourneyKitError
from journeykit.journey.customers import ensure_customer
from journeykit.core.db import metadata
from journeykit.models import JourneyEvent, Order, OrderStatus


def _order(**values) -> Order:
    return Order(**{"checkout_session_id": "cs_1", "status": OrderStatus.PAID, "amount_total": 100, "currency": "usd", **values})


def test_times_come_back_aware_utc_and_naive_times_are_refused(app, db):
    paris = dt.timezone(dt.timedelta(hours=1))
    db.session.add(_order(paid_at=dt.datetime(2026, 11, 22, 13, 0, tzinfo=paris)))
    db.session.commit()
    db.session.expire_all()
    order = db.session.scalars(sa.select(Order)).one()
    assert order.paid_at == dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)
    assert order.paid_at.tzinfo is dt.timezone.utc and order.created_at.tzinfo is dt.timezone.utc
    db.session.add(_order(checkout_session_id="cs_2", paid_at=dt.datetime(2026, 1, 1)))
    with pytest.raises(sa.exc.StatementError, match="timezone-aware"):
        db.session.commit()
    db.session.rollback()


def test_money_is_an_exact_64_bit_integer(app, db):
    db.session.add(_order(amount_total=2**40 + 1, amount_refunded=2**31 + 7))
    db.session.commit()
    db.session.expire_all()
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.amount_total, order.amount_refunded) == (2**40 + 1, 2**31 + 7)
    assert isinstance(order.amount_total, int)


def test_no_column_holds_money_as_a_float():
    """Floats round cents away; every amount is a BigInteger in the currency's minor unit."""
    columns = [column for table in metadata.tables.values() for column in table.columns]
    amounts = [c for c in columns if any(word in c.name for word in ("amount", "price", "revenue"))]
    assert {"amount_total", "amount_refunded"} <= {c.name for c in amounts}
    assert all(isinstance(c.type, sa.BigInteger) for c in amounts), [(c.table.name, c.name, c.type) for c in amounts]


def test_one_order_per_checkout_session(app, db):
    db.session.add(_order())
    db.session.commit()
    db.session.add(_order(amount_total=5))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_journey_log_is_append_only(app, db):
    event = JourneyEvent(name="page_viewed", visitor_id="v" * 22, properties={})
    db.session.add(event)
    db.session.commit()
    event.name = "rewritten"
    with pytest.raises(JourneyKitError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(JourneyEvent, event.id))
    with pytest.raises(JourneyKitError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(JourneyEvent.name)) == "page_viewed"


def test_ensure_customer_creates_once_and_normalizes_email(app, db):
    first = ensure_customer("c-1", email="  Jo@Example.COM ")
    again = ensure_customer("c-1", name="Jo")
    db.session.commit()
    assert first.id == again.id
    assert (again.email, again.name) == ("jo@example.com", "Jo")


def test_every_table_is_prefixed():
    assert all(name.startswith("journeykit_") for name in metadata.tables)
