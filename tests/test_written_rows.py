"""Rows written with Core statements and kept in step in the session (journeykit.core.written), on every database.

A purchase writes its person, customer and points balance with
:func:`write_changes` instead of a flush: what it writes must be what a flush
would have written, and the session must know it (nothing written twice, a
rollback undoes it).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from journeykit import Stage
from journeykit.core.db import session, utcnow
from journeykit.core.written import inserted_key_then_written, write_changes
from journeykit.journey import ensure_customer
from journeykit.loyalty import EntryKind
from journeykit.models import Customer, PointsBalance, PointsEntry

from .sql_statements import recorded


def _stored(customer_id: int) -> sa.Row:
    """The customer's row as the database holds it, read on a connection of its own (committed data only)."""
    with session().get_bind().connect() as connection:
        return connection.execute(sa.select(Customer.__table__).where(Customer.id == customer_id)).one()


def _customer(app) -> int:
    with app.app_context():
        customer = ensure_customer("c-written", email="old@example.com")
        session().commit()
        return customer.id


def _new_email_written(customer_id: int) -> Customer:
    """The customer, loaded, given a new e-mail and written (in an app context)."""
    customer = session().get(Customer, customer_id)
    customer.email = "new@example.com"
    write_changes(customer)
    return customer


def test_changes_are_written_in_one_update_and_nothing_is_flushed_again(app):
    customer_id = _customer(app)
    with app.app_context():
        customer = session().get(Customer, customer_id)
        before = customer.updated_at
        with recorded(app) as statements:
            customer.email, customer.stage = "new@example.com", Stage.PURCHASE
            customer.name = customer.name  # set, unchanged: not written
            write_changes(customer)
            session().flush()
            session().commit()
        updates = [statement.sql for statement in statements if statement.sql.lstrip().startswith("UPDATE")]
        assert len(updates) == 1 and "name" not in updates[0].split("WHERE")[0], updates
        assert not session().dirty
    row = _stored(customer_id)
    assert (row.email, row.stage, row.name) == ("new@example.com", Stage.PURCHASE, None)
    assert row.updated_at > before  # the column's onupdate, as a flush sets it


def test_only_the_row_is_written_not_the_rest_of_the_session(app):
    customer_id = _customer(app)
    with app.app_context():
        other = ensure_customer("c-other")
        session().commit()
        customer, other = session().get(Customer, customer_id), session().get(Customer, other.id)
        customer.email, other.email = "new@example.com", "other@example.com"
        with recorded(app) as statements:
            write_changes(customer)
        assert [statement.sql.split()[:2] for statement in statements] == [["UPDATE", "journeykit_customers"]]
        assert list(session().dirty) == [other]  # left to the next flush
        session().commit()
    assert _stored(customer_id).email == "new@example.com"


def test_the_session_holds_what_was_written_and_the_onupdate_value(app):
    customer_id = _customer(app)
    with app.app_context():
        customer = _new_email_written(customer_id)
        assert not sa.inspect(customer).modified
        written_at = customer.updated_at  # no query: the value the statement set
        session().commit()
    assert _stored(customer_id).updated_at == written_at


def test_a_rollback_undoes_the_write_and_the_session_reads_the_row_again(app):
    customer_id = _customer(app)
    with app.app_context():
        customer = _new_email_written(customer_id)
        session().rollback()
        assert customer.email == "old@example.com"  # expired by the rollback, read again
    assert _stored(customer_id).email == "old@example.com"


def test_a_row_deleted_meanwhile_fails_as_a_flush_would(app):
    customer_id = _customer(app)
    with app.app_context():
        loaded = session().get(Customer, customer_id)
        with session().get_bind().begin() as connection:
            connection.execute(sa.delete(Customer.__table__).where(Customer.id == customer_id))
        with pytest.raises(StaleDataError):
            _new_email_written(customer_id)
        assert sa.inspect(loaded).modified  # not marked written
        session().rollback()


def test_a_change_one_update_cannot_carry_is_flushed(app):
    """A relationship's change (the visitors of a customer) and a row not yet inserted go to the flush."""
    with app.app_context():
        customer = Customer(shop_customer_id="c-new", email="new@example.com", stage=Stage.AWARENESS,
                            stage_changed_at=utcnow())
        session().add(customer)
        write_changes(customer)  # not inserted yet: the flush inserts it
        assert customer.id is not None and not session().new
        customer.email = "other@example.com"
        customer.visitors = []
        write_changes(customer)
        assert not session().dirty
        session().commit()
        customer_id = customer.id
    assert _stored(customer_id).email == "other@example.com"


def _two_customers(app) -> tuple[int, int]:
    with app.app_context():
        ids = ensure_customer("c-one", email="one@example.com").id, ensure_customer("c-two", email="two@example.com").id
        session().commit()
        return ids


def test_several_rows_are_written_in_one_statement_on_postgresql(app, db):
    """An event's person and customer change together: PostgreSQL writes both UPDATEs as one statement."""
    ids = _two_customers(app)
    with app.app_context():
        one, two = (session().get(Customer, customer_id) for customer_id in ids)
        before = one.updated_at
        one.email, two.stage = "new@example.com", Stage.PURCHASE
        with recorded(app) as statements:
            write_changes(one, two)
            session().flush()
        assert not session().dirty and one.updated_at > before
        held = (one.updated_at, two.updated_at)  # no query: the values the statement set
        session().commit()
    assert len(statements) == (1 if db.engine.dialect.name == "postgresql" else 2), statements
    stored = [_stored(customer_id) for customer_id in ids]
    assert (stored[0].email, stored[1].stage, stored[1].email) == ("new@example.com", Stage.PURCHASE, "two@example.com")
    assert (stored[0].updated_at, stored[1].updated_at) == held


def test_one_row_of_several_deleted_meanwhile_fails_as_a_flush_would(app):
    ids = _two_customers(app)
    with app.app_context():
        one, two = (session().get(Customer, customer_id) for customer_id in ids)
        with session().get_bind().begin() as connection:
            connection.execute(sa.delete(Customer.__table__).where(Customer.id == ids[1]))
        one.email, two.email = "new@example.com", "gone@example.com"
        with pytest.raises(StaleDataError):
            write_changes(one, two)
        assert sa.inspect(two).modified  # not marked written
        session().rollback()
    assert _stored(ids[0]).email == "one@example.com"


def _entry(customer_id: int, key: str) -> dict:
    return {"customer_id": customer_id, "points": 5, "kind": EntryKind.AWARD, "description": "", "key": key,
            "source_type": None, "source_id": None, "actor": None, "created_at": utcnow(), "spendable_at": None}


def _balance(customer_id: int, points: int) -> PointsBalance:
    row = PointsBalance(**{column.key: None for column in PointsBalance.__table__.columns})
    row.customer_id, row.balance, row.earned, row.updated_at = customer_id, points, points, utcnow()
    return row


def _stored_balance(customer_id: int) -> int | None:
    with session().get_bind().connect() as connection:
        return connection.scalar(sa.select(PointsBalance.balance).where(PointsBalance.customer_id == customer_id))


def test_a_row_is_written_only_with_a_new_insert_in_one_statement_on_postgresql(app, db):
    """An entry and the balance it moves: inserted and written together, or neither when the entry's key exists."""
    customer_id = _customer(app)
    on = ["customer_id", "key"]
    with app.app_context():
        with recorded(app) as statements:  # a new row, inserted with the entry
            key, wrote = inserted_key_then_written(PointsEntry.__table__, _entry(customer_id, "a"), on=on,
                                                   row=_balance(customer_id, 5))
        assert key is not None and wrote
        assert len(statements) == (1 if db.engine.dialect.name == "postgresql" else 2), statements
        row = session().get(PointsBalance, customer_id)  # no query: in the session as written
        row.balance += 5
        key, wrote = inserted_key_then_written(PointsEntry.__table__, _entry(customer_id, "b"), on=on, row=row)
        assert key is not None and wrote and not sa.inspect(row).modified
        row.balance += 5
        assert inserted_key_then_written(PointsEntry.__table__, _entry(customer_id, "b"), on=on, row=row) == (None, False)
        assert row.balance == 10  # the change undone: read again
        session().commit()
    assert _stored_balance(customer_id) == 10


def test_a_new_row_another_transaction_inserted_first_is_not_written(app):
    customer_id = _customer(app)
    with app.app_context():  # by another request, committed
        session().add(_balance(customer_id, 7))
        session().commit()
    with app.app_context():
        key, wrote = inserted_key_then_written(PointsEntry.__table__, _entry(customer_id, "a"),
                                               on=["customer_id", "key"], row=_balance(customer_id, 5))
        assert key is not None and not wrote  # the caller locks the existing row and moves it
        session().commit()
    assert _stored_balance(customer_id) == 7
