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
from journeykit.core.written import write_changes
from journeykit.journey import ensure_customer
from journeykit.models import Customer

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
