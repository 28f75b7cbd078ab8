"""Fill the demo shop's database fast: products, customers, published reviews, ratings, testimonials and journey events.

Rows go in by bulk, never through the ORM one by one: PostgreSQL's ``COPY``
(psycopg 3) and, on SQLite, ``executemany`` in batches of :data:`BATCH` rows
in one transaction.  The rating aggregates are then computed by one
``INSERT … SELECT``, as JourneyKit keeps them.  The journey log is the
storefront's anonymous browsing (``page_viewed``, ``product_viewed``,
``widget_viewed``) by one visitor per ten events over the past year; the
derived people and rollups are not rebuilt from it (no endpoint measured
reads them, and ``stages rebuild`` over a million events would dominate the
run), so the beacon's visitors, new ones, make their people as a first visit does.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from examples.demoshop.catalog import PRODUCTS
from examples.demoshop.models import Product
from journeykit.models import Customer, JourneyEvent, ProductRating, Review, Testimonial, Visitor

#: Rows per ``executemany`` on SQLite.
BATCH = 50_000
#: Each visitor of the journey log leaves about this many events.
EVENTS_PER_VISITOR = 10
#: Published testimonials (the widget shows six).
TESTIMONIALS = 12
YEAR_MINUTES = 365 * 24 * 60


@dataclass(frozen=True)
class Plan:
    """How much to seed: ``reviews`` over ``products`` (the same number each), and ``events`` in the journey log."""

    reviews: int
    products: int
    events: int

    @property
    def per_product(self) -> int:
        """Reviews of each product: the busiest has this many, as do all."""
        return self.reviews // self.products

    @property
    def customers(self) -> int:
        """Each customer reviews about a tenth of the products."""
        return max(self.per_product * 10, 100)


def sku(number: int) -> str:
    return f"sku-{number}"


def customer_id(number: int) -> str:
    """The shop's id of seeded customer ``number`` (1-based, as JourneyKit's row ids)."""
    return f"c{number}"


def seed(db: Any, plan: Plan, *, rng_seed: int = 7) -> dict[str, float]:
    """Write every row of ``plan`` into an empty database; returns seconds per table (and ``total``)."""
    with db.engine.connect() as connection:
        if connection.scalar(sa.select(sa.func.count()).select_from(Customer.__table__)):
            raise RuntimeError("bench.seed fills an empty database: reviews name their authors by row ids 1, 2, …")
    rng, now = random.Random(rng_seed), dt.datetime.now(dt.timezone.utc)
    steps = {
        "products": (Product.__table__, _products(plan)),
        "customers": (Customer.__table__, _customers(plan, now)),
        "reviews": (Review.__table__, _reviews(plan, now, rng)),
        "testimonials": (Testimonial.__table__, _testimonials(now)),
        "visitors": (Visitor.__table__, _visitors(plan, now)),
        "journey events": (JourneyEvent.__table__, _events(plan, now, rng)),
    }
    took: dict[str, float] = {}
    started = time.perf_counter()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The rows are consistent by construction: skip the per-row foreign-key triggers, as pg_restore does
            # (the throwaway cluster's user is a superuser). Indexes and unique constraints are still maintained.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for name, (table, rows) in steps.items():
            step = time.perf_counter()
            insert(connection, table, rows)
            took[name] = time.perf_counter() - step
        step = time.perf_counter()
        _ratings(connection, now)
        took["ratings"] = time.perf_counter() - step
    step = time.perf_counter()
    analyze(db)
    took["analyze"] = time.perf_counter() - step
    took["total"] = time.perf_counter() - started
    return took


def insert(connection: sa.Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    """Bulk-insert ``rows`` (dicts of Python values, the same keys each) into ``table``.

    On SQLite, Core's ``executemany`` in batches (calling the DB-API directly
    gains little: SQLite's own index upkeep dominates).
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    if connection.dialect.name == "postgresql":
        _copy(connection, table, list(first), _chain(first, rows))
    else:
        for batch in _batches(_chain(first, rows), BATCH):
            connection.execute(table.insert(), batch)


def _copy(connection: sa.Connection, table: sa.Table, given: list[str], rows: Iterator[dict[str, Any]]) -> None:
    """``COPY … FROM STDIN``: PostgreSQL's own bulk load, several times faster than multi-row INSERTs.

    COPY knows nothing of the models' Python-side defaults, so the columns the
    rows leave out get theirs here (computed once: one ``now`` for the whole load).
    """
    defaults = {column.name: _default(column) for column in table.columns
                if column.name not in given and column.default is not None and not column.primary_key}
    columns = [*given, *defaults]
    as_json = [isinstance(table.c[name].type, sa.JSON) for name in columns]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = [*(row[name] for name in given), *defaults.values()]
            copy.write_row([json.dumps(value) if is_json else value for is_json, value in zip(as_json, values)])


def _default(column: sa.Column) -> Any:
    default = column.default
    return default.arg(None) if default.is_callable else default.arg  # type: ignore[union-attr]


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def analyze(db: Any) -> None:
    """Fresh planner statistics, as a shop's database has after autovacuum (a just-loaded table has none)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))


def _products(plan: Plan) -> Iterator[dict[str, Any]]:
    for number in range(plan.products):
        model = PRODUCTS[number % len(PRODUCTS)]
        yield {"sku": sku(number), "name": f"{model.name} No. {number}", "tagline": model.tagline,
               "description": model.description, "price_cents": model.price_cents, "shape": model.shape,
               "color": model.color}


def _customers(plan: Plan, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """The reviews' authors; on empty tables both databases number them 1, 2, … in this order."""
    for number in range(1, plan.customers + 1):
        yield {"shop_customer_id": customer_id(number), "name": f"Customer {number}", "stage": "advocacy",
               "stage_changed_at": now, "created_at": now, "updated_at": now}


def _reviews(plan: Plan, now: dt.datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    """``per_product`` published reviews of each product, by distinct customers, mostly happy, over a year."""
    for product in range(plan.products):
        for k in range(plan.per_product):
            at = now - dt.timedelta(minutes=rng.randrange(YEAR_MINUTES))
            yield {"product_id": sku(product), "customer_id": (product + k * 10) % plan.customers + 1,
                   "rating": rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 5, 10))[0], "title": "Good",
                   "body": "Does what it says. " * 4, "author": "A customer", "status": "published",
                   "helpful_count": rng.randrange(20), "incentivised": False, "pinned": False, "featured": False,
                   "created_at": at, "updated_at": at, "published_at": at}


def _ratings(connection: sa.Connection, now: dt.datetime) -> None:
    """Each product's rating aggregate from its published reviews, as JourneyKit maintains it."""
    stars = {f"stars_{n}": sa.func.sum(sa.case((Review.rating == n, 1), else_=0)) for n in range(1, 6)}
    connection.execute(sa.insert(ProductRating).from_select(
        ["product_id", "count", "total", *stars, "updated_at"],
        sa.select(Review.product_id, sa.func.count(), sa.func.sum(Review.rating), *stars.values(), sa.literal(now))
        .group_by(Review.product_id),
    ))


def _testimonials(now: dt.datetime) -> Iterator[dict[str, Any]]:
    for number in range(TESTIMONIALS):
        at = now - dt.timedelta(days=number)
        yield {"body": "Lovely things, quickly sent. " * 3, "name": f"Shopper {number}", "consent": True,
               "consent_at": at, "status": "published", "featured": number < 3, "created_at": at, "published_at": at}


def visitor(number: int) -> str:
    return f"bench-visitor-{number:010d}"


def _visitors(plan: Plan, now: dt.datetime) -> Iterator[dict[str, Any]]:
    first = now - dt.timedelta(days=365)
    for number in range(max(plan.events // EVENTS_PER_VISITOR, 1)):
        yield {"id": visitor(number), "first_seen_at": first, "last_seen_at": now}


def _events(plan: Plan, now: dt.datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    visitors = max(plan.events // EVENTS_PER_VISITOR, 1)
    names = ("page_viewed", "product_viewed", "widget_viewed")
    for number in range(plan.events):
        name = names[number % 3]
        yield {"name": name, "visitor_id": visitor(number % visitors),
               "product_id": sku(rng.randrange(plan.products)) if name == "product_viewed" else None,
               "properties": {"widget": "reviews"} if name == "widget_viewed" else {}, "source": "browser",
               "occurred_at": now - dt.timedelta(minutes=rng.randrange(YEAR_MINUTES))}
