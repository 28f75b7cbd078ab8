"""How many SQL statements the write paths cost (issue 17): a budget per path, so a slower write cannot come back unseen.

Counted with a ``before_cursor_execute`` listener on the shop's engine
(tests/sql_statements.py), on every database.  The read cache's version
bumps (plugin/core/read_versions.py, its own budget) are left out: :func:`own`.  What a
path's budget holds is listed beside it; a test failure prints the
statements, so a new one is easy to place.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from journeykit.core.db import utcnow
from journeykit.testing import StripeEvents, deliver

from .conftest import POSTGRESQL
from .people_helpers import log
from .sql_statements import Statement, recorded

SECRET = "whsec_test_secret"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
STORE = "https://store.example"
#: Statements of the read cache's version counters (another budget: the cache's).
_READ_CACHE = re.compile(r"^\s*(INSERT|UPDATE)\b[^;]*journeykit_read_versions", re.IGNORECASE)

#: A known customer's first paid checkout (24 before issue 17; SQLite 25): the event stored, claimed
#: and marked processed (1, committed with its effects; another outcome writes its status again),
#: the customer found (1), the order written whole (1) and its products (1, one multi-row insert; on
#: PostgreSQL both in one: :func:`order_statements`),
#: the person locked (1), the purchase logged (1), their earliest advocacy event (1: an advocate's
#: reach dates from the first purchase; none read for a buyer who never considered, since advocacy
#: engages), the person's stage and paid orders (1) and the customer's stage (1), each one UPDATE
#: (core.written; on PostgreSQL both in one: :func:`person_statements`), the rollups (3: stage days, cohort stages, stage waits; last, so the rows every
#: purchase moves are locked only for the commit; on PostgreSQL one statement:
#: :func:`rollup_statements`), and after the commit the refunds deferred on its payment (1).
PURCHASE_CORE_BUDGET = 13
#: The same purchase with what other capabilities do in its transaction (loyalty's points: 3, was 8: the
#: balance locked once per transaction, the entry inserted unless its key was posted, and then a new customer's
#: balance inserted with the entry's points (was 4: inserted at zero, then updated; MariaDB 5) or a known one's
#: moved; on PostgreSQL the entry and the balance in one statement: :func:`posting_statements`); the owner's
#: settings and the outbound hooks' endpoints: 0 on PostgreSQL, whose watcher knows they are
#: unchanged, else a token read for what the watcher cannot vouch for: one here; was a query each), which their
#: owners budget.
PURCHASE_BUDGET = 17
#: Statements of the reacting capabilities (loyalty, referrals, outbound hooks, settings), by the tables they touch.
_OTHERS = re.compile(r"journeykit_(points_|settings|webhook_endpoints|referral|read_versions)", re.IGNORECASE)
_ROLLUP = re.compile(r"^(WITH \w+ AS \()?INSERT INTO journeykit_(stage_days|cohort_stages|stage_waits)\b")
#: What a process keeps between requests (core.read_versions.remembered): on PostgreSQL none of these is read again.
_KEPT = re.compile(r"^SELECT\b.*\bFROM journeykit_(settings|webhook_endpoints|read_versions)\b", re.IGNORECASE)
#: The issue's target for a plain purchase (not reached yet: see the report of issue 17).
PURCHASE_TARGET = 5
#: Stripe delivering the same event again (was 2): the insert that finds it (1), the claim that finds it done (1).
DUPLICATE_BUDGET = 2
#: A known visitor's beacon of one event (was 5): the visitor locked (1; SQLite: its write lock first, 1) and
#: touched (1), the person locked (1), the event (1).
BEACON_BUDGET = 5
#: A new visitor's click on a referral link (was 21, then 18): of the journey's, the visitor (2) and the person (2)
#: made without reading them back, the week (1), the rollups (4; PostgreSQL: 1), the event (1), the person's stage (1); the rest
#: is the referrals' own (code, click, click day, attribution) and, except on PostgreSQL, a token read of what
#: each process keeps (the settings, the outbound hooks' endpoints).
CLICK_BUDGET = 17


def order_statements(db) -> int:
    """How many statements write a new order and its products: PostgreSQL writes them in one."""
    return 1 if db.engine.dialect.name == "postgresql" else 2


def person_statements(db) -> int:
    """How many statements write what an event changed of its person and customer: PostgreSQL writes both in one."""
    return 1 if db.engine.dialect.name == "postgresql" else 2


def posting_statements(db) -> int:
    """How many statements post a points entry and move its balance: PostgreSQL writes both in one."""
    return 1 if db.engine.dialect.name == "postgresql" else 2


def kept_reads(db) -> int:
    """How many reads check what a process keeps (the owner's settings, the outbound hooks' endpoints): none on
    PostgreSQL, whose watcher vouches for them; one token read elsewhere."""
    return 0 if db.engine.dialect.name == "postgresql" else 1


def rollup_statements(db, tables: int = 3) -> int:
    """How many statements write ``tables`` rollup tables (a purchase's three): PostgreSQL writes them all in one."""
    return 1 if db.engine.dialect.name == "postgresql" else tables


def own(statements: list[Statement]) -> list[str]:
    """The statements (their SQL on one line) without the read cache's version bumps."""
    return [" ".join(statement.sql.split()) for statement in statements if not _READ_CACHE.search(statement.sql)]


def core(statements: list[Statement]) -> list[str]:
    """The write path's own statements: without the read cache's and the reacting capabilities'."""
    return [statement for statement in own(statements) if not _OTHERS.search(statement)]


def _nothing_kept_read_again(db, statements: list[Statement]) -> None:
    """On PostgreSQL the watcher knows the owner's settings and endpoints are unchanged: neither is read, nor a token."""
    if db.engine.dialect.name == "postgresql":
        kept = [statement for statement in own(statements) if _KEPT.search(statement)]
        assert not kept, listing(kept)


def listing(statements: list[str]) -> str:
    return "\n".join(f"  {n}. {statement[:160]}" for n, statement in enumerate(statements, 1))


@pytest.fixture
def known_customer(app, client) -> str:
    """A customer JourneyKit knows (by the shop's id, with the e-mail and name Stripe will send) who has viewed a
    product, not yet a buyer.

    The shop has run a while: another customer's purchase came first (the start's one-time checks and the
    first reads of what each process keeps are not this webhook's cost).
    """
    from journeykit import journey as journey_capability
    from journeykit.core import signals

    with app.app_context():
        journey_capability.ensure_customer("c-known", email="shopper@example.com", name="Jenny Rosen")
        signals.commit()
    log(app, "product_viewed", customer="c-known", at=utcnow() - dt.timedelta(hours=1))  # a shopper who considered
    first = StripeEvents().checkout_completed(customer_id="c-earlier", products=["sku-1"])
    assert deliver(client, first, secret=SECRET).json["outcome"] == "processed"
    return "c-known"


def test_a_plain_purchase_stays_within_its_statement_budget(app, db, client, known_customer):
    event = StripeEvents().checkout_completed(customer_id=known_customer, products=["sku-1", "sku-2"])
    with recorded(app) as statements:
        answer = deliver(client, event, secret=SECRET)
    assert answer.status_code == 200 and answer.json["outcome"] == "processed", answer.json
    fewer = 3 - rollup_statements(db) + 2 - order_statements(db) + 2 - person_statements(db)
    assert len(core(statements)) <= PURCHASE_CORE_BUDGET - fewer, listing(core(statements))
    others_fewer = 2 - posting_statements(db) + 1 - kept_reads(db)
    assert len(own(statements)) <= PURCHASE_BUDGET - fewer - others_fewer, listing(own(statements))
    _nothing_kept_read_again(db, statements)
    # the rollup rows every purchase moves (today's) are written last, after the event's status: locked for the
    # commit alone, so concurrent purchases do not queue behind each other's loyalty and hooks
    written = [statement for statement in own(statements) if not statement.startswith("SELECT")]
    last = rollup_statements(db)
    assert [_ROLLUP.search(statement) is not None for statement in written][-last:] == [True] * last, listing(written)
    assert not any(_ROLLUP.search(statement) for statement in written[:-last]), listing(written)


@pytest.mark.parametrize("backend", [POSTGRESQL], indirect=True)
def test_after_its_commit_a_purchase_looks_for_deferred_refunds_outside_any_transaction(app, db, client, known_customer):
    """PostgreSQL: the lookup of refunds waiting for the order runs in autocommit, with no BEGIN and ROLLBACK round
    trips around it; the connection goes back to transactions for the next purchase, whose writes are one."""
    seen: list[tuple[str, bool]] = []

    def record(connection, _cursor, sql, *_):
        seen.append((" ".join(sql.split()), connection.connection.dbapi_connection.autocommit))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(2):
            event = StripeEvents().checkout_completed(customer_id=known_customer, products=["sku-1"])
            assert deliver(client, event, secret=SECRET).json["outcome"] == "processed"
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    lookup = "SELECT journeykit_stripe_events.event_id FROM journeykit_stripe_events WHERE journeykit_stripe_events.status"
    assert [autocommit for sql, autocommit in seen if sql.startswith(lookup)] == [True, True]
    writes = [autocommit for sql, autocommit in seen if sql.startswith(("INSERT", "UPDATE", "WITH"))]
    assert len(writes) > 10 and not any(writes)


def test_a_regular_customers_next_purchase_reads_no_history(app, client, known_customer):
    """Retention is the Nth paid order by time: a later order leaves it, so nothing of the journey's log is read."""
    for _ in range(2):  # a repeat customer from the second
        event = StripeEvents().checkout_completed(customer_id=known_customer, products=["sku-1"])
        assert deliver(client, event, secret=SECRET).json["outcome"] == "processed"
    event = StripeEvents().checkout_completed(customer_id=known_customer, products=["sku-1"])
    with recorded(app) as statements:
        assert deliver(client, event, secret=SECRET).json["outcome"] == "processed"
    read = [statement for statement in own(statements)
            if statement.startswith("SELECT") and "FROM journeykit_journey_events" in statement]
    assert not read, listing(read)


@pytest.mark.xfail(reason="issue 17's target of 5 statements needs loyalty and outbound hooks to write less too",
                   strict=True)
def test_a_plain_purchase_meets_the_issues_target(app, client, known_customer):
    event = StripeEvents().checkout_completed(customer_id=known_customer, products=["sku-1"])
    with recorded(app) as statements:
        deliver(client, event, secret=SECRET)
    assert len(own(statements)) <= PURCHASE_TARGET, listing(own(statements))


def test_a_repeated_delivery_costs_two_statements_and_changes_nothing(app, client, known_customer):
    event = StripeEvents().checkout_completed(customer_id=known_customer, products=["sku-1"])
    assert deliver(client, event, secret=SECRET).json["outcome"] == "processed"
    with recorded(app) as statements:
        answer = deliver(client, event, secret=SECRET)
    assert answer.json["outcome"] == "duplicate"
    assert len(own(statements)) <= DUPLICATE_BUDGET, listing(own(statements))
    assert not any(statement.startswith(("INSERT INTO journeykit_orders", "INSERT INTO journeykit_journey_events"))
                   for statement in own(statements))


def test_a_beacon_stays_within_its_statement_budget(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": [STORE]})
    client = app.test_client()
    body = {"visitor_id": "beacon-visitor-0123456789", "events": [{"name": "page_viewed"}]}
    headers = {"User-Agent": BROWSER, "Origin": STORE}
    send = lambda: client.post("/journeykit/api/v1/events", data=json.dumps(body),  # noqa: E731
                               content_type="text/plain;charset=UTF-8", headers=headers)
    assert send().status_code == 202 or send().status_code == 200  # the visitor is known from here on
    with recorded(app) as statements:
        answer = send()
    assert answer.status_code in (200, 202), answer.get_data(as_text=True)
    assert len(own(statements)) <= BEACON_BUDGET, listing(own(statements))


def test_a_referral_click_stays_within_its_statement_budget(app, db, client, journey):
    with app.app_context():
        code = journey.referrals.code_for("c-ann")
    # another visitor's click first: the start's one-time checks and what each process keeps are not this click's
    assert app.test_client().get(f"/journeykit/r/{code}", headers={"User-Agent": BROWSER}).status_code == 302
    with recorded(app) as statements:
        answer = client.get(f"/journeykit/r/{code}", headers={"User-Agent": BROWSER})
    assert answer.status_code == 302
    assert len(own(statements)) <= CLICK_BUDGET - (4 - rollup_statements(db, 4)), listing(own(statements))
    _nothing_kept_read_again(db, statements)
