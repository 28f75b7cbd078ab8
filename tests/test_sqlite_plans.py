"""On SQLite, after ``ANALYZE`` of a log of anonymous browsing, a purchase and a beacon read no table whole.

Most events and visitors have no customer.  SQLite's statistics of an index
on such a mostly-NULL column once made its planner read the whole event log
for one customer's events (the purchase webhook did so twice), so the
webhook slowed down as the log grew.  Every statement the two write paths
send is explained here with its own parameters (``EXPLAIN QUERY PLAN``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from journeykit.testing import StripeEvents

from .sql_statements import Statement, recorded
from .test_statement_counts import known_customer  # noqa: F401 - a fixture: a customer who has viewed a product

#: The tables that grow with the shop's traffic.
GROWING = ("journeykit_journey_events", "journeykit_visitors")
ANONYMOUS = 30000


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def browsed(app: Any, db: Any, known_customer: str) -> str:  # noqa: F811
    """Beside the known customer's one event, a log of anonymous browsing only (the worst case for the statistics),
    then ``ANALYZE``; returns the customer."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with app.app_context():
        db.session.execute(sa.text("INSERT INTO journeykit_visitors (id, first_seen_at, last_seen_at) "
                                   "VALUES (:id, :at, :at)"),
                           [{"id": f"visitor-plans-{n:08d}", "at": start} for n in range(ANONYMOUS // 3)])
        db.session.execute(sa.text(
            "INSERT INTO journeykit_journey_events (name, visitor_id, product_id, properties, source, occurred_at) "
            "VALUES ('product_viewed', :visitor, 'sku-1', '{}', 'browser', :at)"),
            [{"visitor": f"visitor-plans-{n % (ANONYMOUS // 3):08d}", "at": start + dt.timedelta(minutes=n)}
             for n in range(ANONYMOUS)])
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return known_customer


def _scans(app: Any, db: Any, statements: list[Statement]) -> list[str]:
    """Each statement's plan lines that read a growing table whole."""
    found = []
    with app.app_context(), db.engine.connect() as connection:
        for statement in statements:
            if statement.many or not statement.sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                continue
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters).all()
            found += [f"{row[3]} ← {' '.join(statement.sql.split())[:120]}" for row in plan
                      if row[3].startswith(tuple(f"SCAN {table}" for table in GROWING))]
    return found


def test_a_purchase_reads_its_buyer_s_events_by_index(app, db, client, browsed, deliver_stripe_event):
    event = StripeEvents().checkout_completed(customer_id=browsed, products=["sku-1"], amount_total=1000)
    with recorded(app) as statements:
        assert deliver_stripe_event(event).status_code == 200
    assert statements and _scans(app, db, statements) == []


def test_a_new_visitor_s_beacon_reads_by_index(app, db, client, browsed):
    with recorded(app) as statements:
        answer = client.post("/journeykit/api/v1/events",
                             json={"visitor_id": "visitor-plans-new-0001", "events": [{"name": "page_viewed"}]})
        assert answer.status_code == 202
    assert statements and _scans(app, db, statements) == []
