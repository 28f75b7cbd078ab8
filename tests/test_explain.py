"""The hot reads use indexes, proven by PostgreSQL's own plans over enough rows to matter.

A migrated shop (the migrations' indexes, not ``create_all``'s) is filled in
SQL with ``generate_series``: 20,000 customers, people, visitors, points
balances, referral codes (with 5 days of clicks), referrals, discount
codes, orders and testimonials; 20,000 webhook deliveries to 5 endpoints (three in four
published, three pinned); 20,000 reviews over 200 products, half of them on
one busy product, a third with a photo; the ratings of 10,200 products;
40,000 journey events; a year of stage wait histograms; then ``ANALYZE``.  Each hot read runs through JourneyKit itself
(the endpoints, ``journey.track``, the Python API) with a listener keeping
the statements it sends, and every statement is explained (``EXPLAIN
(FORMAT JSON)``, with its own parameters).  No plan may read a big table
sequentially, each read uses the index named for it, and a page of reviews
comes in index order, with no sort of the product's reviews.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Iterator, NamedTuple

import pytest

from journeykit.core import migrate as jk_migrate
from journeykit.hooks.outbound.endpoints import latest_deliveries

from .conftest import ADMIN_KEY, make_shop, server_database
from .sql_statements import Statement, recorded

pytestmark = pytest.mark.postgres

API = "/journeykit/api/v1"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
PEOPLE, BUSY = 20_000, 10_000
#: Tables that grow with the shop: never read whole.
BIG = {"journeykit_customers", "journeykit_reviews", "journeykit_review_photos", "journeykit_people",
       "journeykit_visitors", "journeykit_journey_events", "journeykit_points_entries", "journeykit_points_balances",
       "journeykit_referral_codes", "journeykit_referrals", "journeykit_testimonials", "journeykit_testimonial_tags",
       "journeykit_product_ratings", "journeykit_orders", "journeykit_order_items", "journeykit_stage_waits",
       "journeykit_loyalty_redemptions", "journeykit_referral_click_days",
       "journeykit_webhook_deliveries"}

SEED = [
    f"""INSERT INTO journeykit_customers (shop_customer_id, email, name, stage, stage_changed_at, created_at, updated_at)
        SELECT 'bulk-' || g, 'bulk-' || g || '@example.com', 'Bulk ' || g, 'awareness', now(), now(), now()
        FROM generate_series(1, {PEOPLE}) g""",
    # Half the reviews on one busy product, the rest over 199 others; one in ten pending; a few pinned.
    f"""INSERT INTO journeykit_reviews (product_id, customer_id, rating, title, body, author, status, incentivised,
                                        pinned, featured, helpful_count, created_at, updated_at, published_at)
        SELECT CASE WHEN c.id <= {BUSY} THEN 'sku-busy' ELSE 'sku-' || (c.id % 199) END, c.id, 1 + c.id % 5, 'Title',
               'Body', 'Author', CASE WHEN c.id % 10 = 0 THEN 'pending' ELSE 'published' END, false, c.id % 997 = 1,
               false, c.id % 13, now() - c.id * interval '1 minute', now(),
               CASE WHEN c.id % 10 = 0 THEN NULL ELSE now() - c.id * interval '1 minute' END
        FROM journeykit_customers c""",
    """INSERT INTO journeykit_review_photos (review_id, storage_key, content_type, size_bytes, width, height, position,
                                             hidden, created_at)
       SELECT id, 'photo-' || id, 'image/jpeg', 100, 10, 10, 0, false, now() FROM journeykit_reviews WHERE id % 3 = 0""",
    # The rating of every product of a 10,000-product catalogue (most without reviews here).
    """INSERT INTO journeykit_product_ratings (product_id, count, total, stars_1, stars_2, stars_3, stars_4, stars_5, updated_at)
       SELECT 'sku-other-' || g, 1, 5, 0, 0, 0, 0, 1, now() FROM generate_series(1, 10000) g""",
    """INSERT INTO journeykit_product_ratings (product_id, count, total, stars_1, stars_2, stars_3, stars_4, stars_5, updated_at)
       SELECT product_id, count(*), sum(rating), count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2),
              count(*) FILTER (WHERE rating = 3), count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5), now()
       FROM journeykit_reviews WHERE status = 'published' GROUP BY product_id""",
    """INSERT INTO journeykit_testimonials (customer_id, body, name, consent, consent_at, status, featured, position,
                                            created_at, published_at)
       SELECT c.id, 'Quote', 'Name', true, now(), CASE WHEN c.id % 4 = 0 THEN 'pending' ELSE 'published' END,
              c.id % 3 = 0, CASE WHEN c.id <= 3 THEN c.id END, now(), now() - c.id * interval '1 hour'
       FROM journeykit_customers c""",
    """INSERT INTO journeykit_testimonial_tags (testimonial_id, tag)
       SELECT id, CASE WHEN id % 20 = 0 THEN 'b2b' ELSE 'tag-' || (id % 50) END FROM journeykit_testimonials""",
    # People: everyone aware over the last year; every other one considered, one in four bought, some came back
    # or advocated (both from purchase).
    """INSERT INTO journeykit_people (customer_id, stage, reached_awareness_at, reached_consideration_at,
                                      reached_purchase_at, reached_retention_at, reached_advocacy_at, paid_orders,
                                      created_at, updated_at)
       SELECT c.id, 'awareness', now() - (c.id % 365) * interval '1 day' - interval '3 days',
              CASE WHEN c.id % 2 = 0 THEN now() - (c.id % 365) * interval '1 day' - interval '2 days' END,
              CASE WHEN c.id % 4 = 0 THEN now() - (c.id % 365) * interval '1 day' - interval '1 day' END,
              CASE WHEN c.id % 16 = 0 THEN now() - (c.id % 365) * interval '1 day' END,
              CASE WHEN c.id % 12 = 0 THEN now() - (c.id % 365) * interval '1 day' END,
              CASE WHEN c.id % 4 = 0 THEN 1 ELSE 0 END, now(), now()
       FROM journeykit_customers c""",
    # A year of the time between stages' per-day histograms: 4 stages x 366 days x 100 buckets.
    """INSERT INTO journeykit_stage_waits (stage, day, bucket, people)
       SELECT stage, current_date - d, b, 1
       FROM unnest(ARRAY['consideration', 'purchase', 'retention', 'advocacy']) stage, generate_series(0, 365) d,
            generate_series(1000, 1099) b""",
    """INSERT INTO journeykit_visitors (id, customer_id, first_seen_at, last_seen_at)
       SELECT 'bulk-visitor-' || lpad(c.id::text, 8, '0'), CASE WHEN c.id % 2 = 0 THEN c.id END, now(), now()
       FROM journeykit_customers c""",
    """INSERT INTO journeykit_journey_events (name, customer_id, visitor_id, product_id, properties, source, occurred_at)
       SELECT 'page_viewed', CASE WHEN g % 2 = 0 THEN 1 + g % 20000 END,
              'bulk-visitor-' || lpad((1 + g % 20000)::text, 8, '0'), 'sku-' || (g % 199), '{}', 'beacon',
              now() - (g % 365) * interval '1 day'
       FROM generate_series(1, 40000) g""",
    """INSERT INTO journeykit_points_entries (customer_id, points, kind, description, key, created_at)
       SELECT c.id, 100, 'adjustment', 'Welcome', 'welcome', now() FROM journeykit_customers c""",
    """INSERT INTO journeykit_points_balances (customer_id, balance, earned, updated_at)
       SELECT c.id, 100, 100, now() FROM journeykit_customers c""",
    """INSERT INTO journeykit_referral_codes (customer_id, code, vanity, created_at)
       SELECT c.id, 'CODE' || lpad(c.id::text, 6, '0'), false, now() FROM journeykit_customers c""",
    """INSERT INTO journeykit_referrals (checkout_session_id, code_text, code_id, referrer_customer_id, friend_customer_id,
                                         status, risk_score, risk_reasons, amount_total, amount_reversed, currency, created_at)
       SELECT 'cs_referred_' || c.id, 'CODE', 1 + c.id % 5000, 1 + c.id % 5000, c.id, 'rewarded', 0, '[]', 1000, 0, 'usd',
              now() - (c.id % 365) * interval '1 day'
       FROM journeykit_customers c""",
    """INSERT INTO journeykit_loyalty_redemptions (customer_id, key, reward, points, amount_off, currency, code, status,
                                                   created_at)
       SELECT c.id, 'redeem', 'five-off', 100, 500, 'usd', 'JK-' || c.id, 'used', now() FROM journeykit_customers c""",
    """INSERT INTO journeykit_referral_click_days (code_id, day, clicks)
       SELECT code.id, current_date - d, 1 FROM journeykit_referral_codes code, generate_series(0, 4) d""",
    # Five webhook endpoints and 20,000 deliveries (kept for good), only 20 of them to the first endpoint.
    """INSERT INTO journeykit_webhook_endpoints (url, description, event_types, active, secret_seed, created_at, updated_at)
       SELECT 'https://crm.example/' || g, '', '[]', true, 'seed' || g, now(), now() FROM generate_series(1, 5) g""",
    """INSERT INTO journeykit_webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts,
                                                  next_attempt_at, created_at)
       SELECT CASE WHEN g % 1000 = 0 THEN 1 ELSE 2 + g % 4 END, 'evt_' || g, 'purchase.recorded', '{}', 'delivered', 1, now(), now()
       FROM generate_series(1, 20000) g""",
    """INSERT INTO journeykit_orders (checkout_session_id, customer_id, status, amount_total, amount_refunded, currency,
                                      livemode, products_pending, created_at, updated_at, paid_at)
       SELECT 'cs_bulk_' || c.id, c.id, 'paid', 2000, 0, 'usd', false, false, now(), now(), now()
       FROM journeykit_customers c""",
]


@pytest.fixture(scope="module")
def big_shop(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any, Any]]:
    """A migrated PostgreSQL shop holding the rows above, analyzed."""
    with server_database(request, "postgresql", "explain") as url:
        app, db, journey = make_shop(url)
        with app.app_context():
            db.create_all()
            jk_migrate.upgrade()
            with db.engine.begin() as connection:
                for statement in SEED:
                    connection.exec_driver_sql(statement.replace("%", "%%"), {})
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
            db.session.remove()
        yield app, db, journey
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class Node(NamedTuple):
    type: str
    relation: str | None
    index: str | None


def _nodes(plan: dict[str, Any]) -> Iterator[Node]:
    yield Node(plan["Node Type"], plan.get("Relation Name"), plan.get("Index Name"))
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def explained(app: Any, statements: list[Statement]) -> list[tuple[str, list[Node]]]:
    """Each statement that reads a table, with its plan's nodes."""
    plans = []
    with app.app_context(), app.extensions["sqlalchemy"].engine.connect() as connection:
        for statement, parameters, many in statements:
            if many or statement.lstrip().split(None, 1)[0].upper() not in ("SELECT", "WITH", "UPDATE", "DELETE"):
                continue
            found = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
            plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
            plans.append((statement, list(_nodes(plan))))
        connection.rollback()
    return plans


class Hot(NamedTuple):
    """One hot read: ``run(app, journey)`` does it; ``indexes`` must each appear in its plans (``a|b``: either)."""

    name: str
    run: Callable[[Any, Any], Any]
    indexes: tuple[str, ...]
    #: Tables whose rows must come in index order (no sort node above their scan).
    unsorted: tuple[str, ...] = ()
    #: Whether it may read the people table at all (the time between stages reads histograms instead).
    people: bool = True


def _get(path: str, **headers: str) -> Callable[[Any, Any], Any]:
    def run(app: Any, journey: Any) -> None:
        response = app.test_client().get(path, headers=headers)
        assert response.status_code in (200, 302), (path, response.status_code, response.get_data(as_text=True)[:300])
    return run


def _as_shopper(path: str, customer: str = "bulk-8") -> Callable[[Any, Any], Any]:
    def run(app: Any, journey: Any) -> None:
        with app.app_context():
            token = journey.customer_token(customer, email=f"{customer}@example.com", name=f"Bulk {customer[5:]}")
        _get(path, **{"X-JourneyKit-Customer": token})(app, journey)
    return run


def _second_page(sort: str) -> Callable[[Any, Any], Any]:
    def run(app: Any, journey: Any) -> None:
        first = app.test_client().get(f"{API}/products/sku-busy/reviews?sort={sort}&limit=5").json
        assert app.test_client().get(f"{API}/products/sku-busy/reviews?sort={sort}&limit=5&cursor={first['next']}").status_code == 200
    return run


def _beacon(visitor: str) -> Callable[[Any, Any], Any]:
    def run(app: Any, journey: Any) -> None:
        body = {"visitor_id": visitor, "events": [{"name": "product_viewed", "product_id": "sku-busy"}]}
        response = app.test_client().post(f"{API}/events", json=body)
        assert response.status_code in (200, 201, 202, 204), response.get_data(as_text=True)[:300]
    return run


def _in_app(call: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def run(app: Any, journey: Any) -> None:
        with app.test_request_context():
            call(journey)
    return run


TODAY = dt.datetime.now(dt.timezone.utc).date()
MONTH_AGO = TODAY - dt.timedelta(days=29)
SORT_INDEXES = {"newest": "ix_journeykit_reviews_newest", "highest": "ix_journeykit_reviews_highest",
                "lowest": "ix_journeykit_reviews_lowest", "helpful": "ix_journeykit_reviews_helpful"}

HOT = [
    *(Hot(f"reviews page sort={sort}", _get(f"{API}/products/sku-busy/reviews?sort={sort}"), (index,), ("journeykit_reviews",))
      for sort, index in SORT_INDEXES.items()),
    *(Hot(f"reviews next page sort={sort}", _second_page(sort), (index,), ("journeykit_reviews",))
      for sort, index in SORT_INDEXES.items()),
    Hot("reviews page rating=2", _get(f"{API}/products/sku-busy/reviews?rating=2"),
        ("ix_journeykit_reviews_highest|ix_journeykit_reviews_lowest",),
        ("journeykit_reviews",)),
    Hot("rating", _get(f"{API}/products/sku-busy/rating"), ("pk_journeykit_product_ratings",)),
    Hot("reviews fragment", _get("/journeykit/widgets/reviews?product=sku-busy&lang=en"),
        ("ix_journeykit_reviews_newest", "pk_journeykit_product_ratings"), ("journeykit_reviews",)),
    Hot("rating fragment", _get("/journeykit/widgets/rating?product=sku-busy&lang=en"), ("pk_journeykit_product_ratings",)),
    Hot("testimonials wall", _get(f"{API}/testimonials?limit=13"), ("ix_journeykit_testimonials_wall",)),
    Hot("testimonials wall by tag", _get(f"{API}/testimonials?tag=b2b&limit=11"),
        ("ix_journeykit_testimonials_wall|ix_journeykit_testimonial_tags_tag",)),
    Hot("testimonials fragment", _get("/journeykit/widgets/testimonials?layout=carousel"), ("ix_journeykit_testimonials_wall",)),
    Hot("beacon, known visitor", _beacon("bulk-visitor-00000011"),
        ("pk_journeykit_visitors", "uq_journeykit_people_visitor_id")),
    Hot("beacon, joined visitor", _beacon("bulk-visitor-00000012"),
        ("pk_journeykit_visitors", "uq_journeykit_people_customer_id")),
    Hot("beacon, new visitor", _beacon("brand-new-visitor-000001"), ("pk_journeykit_visitors",)),
    Hot("track for a customer", _in_app(lambda journey: journey.track("product_viewed", customer_id="bulk-20",
                                                                      product_id="sku-busy")),
        ("uq_journeykit_customers_shop_customer_id", "uq_journeykit_people_customer_id")),
    Hot("customer stage", _in_app(lambda journey: journey.metrics.customer_stage("bulk-24")),
        ("uq_journeykit_customers_shop_customer_id",)),
    Hot("loyalty balance", _in_app(lambda journey: journey.loyalty.balance("bulk-28")),
        ("uq_journeykit_customers_shop_customer_id", "pk_journeykit_points_balances")),
    Hot("me/loyalty", _as_shopper(f"{API}/me/loyalty"),
        ("pk_journeykit_points_balances", "uq_journeykit_points_entries_customer_id_key", "ix_journeykit_orders_customer_id")),
    Hot("me/referral", _as_shopper(f"{API}/me/referral"),
        ("ix_journeykit_referral_codes_customer_id", "ix_journeykit_referrals_referrer_customer_id")),
    Hot("referral link", _get("/journeykit/r/CODE000040"), ("uq_journeykit_referral_codes_code",)),
    # The webhooks page's latest deliveries per endpoint (its tallies by status still count every delivery).
    Hot("latest webhook deliveries", _in_app(lambda journey: latest_deliveries([1, 2, 3, 4, 5], 5)),
        ("ix_journeykit_webhook_deliveries_latest",)),
    Hot("time between stages, 30 days", _get(f"{API}/admin/metrics/times?from={MONTH_AGO}&to={TODAY}", **ADMIN),
        ("ix_journeykit_stage_waits_day|pk_journeykit_stage_waits",), people=False),
]


def plans_of(app: Any, journey: Any, hot: Hot) -> list[tuple[str, list[Node]]]:
    with recorded(app) as statements:
        hot.run(app, journey)
    return explained(app, statements)


def _sorted_above(nodes: list[Node], table: str) -> bool:
    """Whether a sort sits above a scan of ``table`` in this (pre-order) node list."""
    sorting = False
    for node in nodes:
        if node.type in ("Sort", "Incremental Sort"):
            sorting = True
        elif node.relation == table and sorting:
            return True
    return False


@pytest.mark.parametrize("hot", HOT, ids=[hot.name for hot in HOT])
def test_hot_reads_use_their_indexes(big_shop, hot):
    app, _, journey = big_shop
    plans = plans_of(app, journey, hot)
    assert plans, "nothing was read"
    shown = "\n".join(f"{' '.join(statement.split())[:160]}\n    {[tuple(n) for n in nodes]}" for statement, nodes in plans)
    scans = {node.relation for _, nodes in plans for node in nodes if node.type == "Seq Scan"}
    assert not scans & BIG, f"sequential scans of {scans & BIG}:\n{shown}"
    used = {node.index for _, nodes in plans for node in nodes if node.index}
    missing = [index for index in hot.indexes if not used & set(index.split("|"))]
    assert not missing, f"expected {missing} among {used}:\n{shown}"
    if not hot.people:
        assert "journeykit_people" not in {node.relation for _, nodes in plans for node in nodes}, shown
    for table in hot.unsorted:
        sorted_ = [statement for statement, nodes in plans if _sorted_above(nodes, table)]
        assert not sorted_, f"{table} rows sorted, not read in index order:\n{shown}"
