"""Listing and rating a product's reviews, with 1,000,000 reviews over 10,000 products.

    .venv/bin/python bench/reviews.py                  # SQLite (a temp file)
    .venv/bin/python bench/reviews.py --postgres       # a throwaway PostgreSQL
    .venv/bin/python bench/reviews.py --reviews 100000 --products 1000

Requests go in-process through Flask's test client, so the figures are
JourneyKit's own cost (routing, query, JSON) without a network.  Each figure is
the median of many requests over random products, plus the 95th percentile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.stripe_webhook import database  # noqa: E402
from journeykit.core import migrate  # noqa: E402
from journeykit.models import Customer, ProductRating, Review  # noqa: E402
from tests.conftest import make_shop  # noqa: E402

BATCH = 20_000


def fill(db, reviews: int, products: int) -> None:
    """Bulk-load customers, published reviews and their rating aggregates."""
    per_product = reviews // products
    customers = per_product * 10  # each customer reviews about a tenth of the products
    now = dt.datetime.now(dt.timezone.utc)
    with db.engine.begin() as connection:
        connection.execute(sa.insert(Customer), [
            {"shop_customer_id": f"c{n}", "stage": "advocacy", "stage_changed_at": now, "created_at": now, "updated_at": now}
            for n in range(1, customers + 1)
        ])
        rows = []
        for product in range(products):
            for k in range(per_product):
                rating = random.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 5, 10])[0]
                at = now - dt.timedelta(minutes=random.randrange(500_000))
                rows.append({
                    "product_id": f"sku-{product}", "customer_id": (product + k * 10) % customers + 1, "rating": rating,
                    "title": "Good", "body": "Does what it says. " * 4, "author": "A customer", "status": "published",
                    "helpful_count": random.randrange(20), "incentivised": False, "pinned": False, "featured": False,
                    "created_at": at, "updated_at": at, "published_at": at,
                })
                if len(rows) == BATCH:
                    connection.execute(sa.insert(Review), rows)
                    rows = []
        if rows:
            connection.execute(sa.insert(Review), rows)
        stars = {f"stars_{n}": sa.func.sum(sa.case((Review.rating == n, 1), else_=0)) for n in range(1, 6)}
        connection.execute(sa.insert(ProductRating).from_select(
            ["product_id", "count", "total", *stars, "updated_at"],
            sa.select(Review.product_id, sa.func.count(), sa.func.sum(Review.rating), *stars.values(), sa.literal(now))
            .group_by(Review.product_id),
        ))


def timed(client, paths: list[str]) -> tuple[float, float]:
    times = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url")
    args = parser.parse_args()
    random.seed(7)
    with database(args) as url:
        app, db, _ = make_shop(url)
        with app.app_context():
            db.create_all()
            migrate.upgrade()
            started = time.perf_counter()
            fill(db, args.reviews, args.products)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(sa.text("VACUUM ANALYZE"))
            print(f"{url.split(':')[0]}: loaded {args.reviews:,} reviews over {args.products:,} products "
                  f"in {time.perf_counter() - started:.0f} s")
        client = app.test_client()
        picks = [random.randrange(args.products) for _ in range(args.requests)]
        base = "/journeykit/api/v1/products/sku-{}"
        timed(client, [base.format(p) + "/reviews" for p in picks[:20]])  # warm up
        for label, suffix in (("rating", "/rating"), ("reviews, newest", "/reviews"),
                              ("reviews, highest", "/reviews?sort=highest"), ("reviews, helpful", "/reviews?sort=helpful"),
                              ("reviews, 5 stars", "/reviews?rating=5")):
            median, p95 = timed(client, [base.format(p) + suffix for p in picks])
            print(f"  {label:18} median {median:5.2f} ms   p95 {p95:5.2f} ms")
        first = client.get(base.format(picks[0]) + "/reviews?limit=10").json
        median, p95 = timed(client, [base.format(picks[0]) + f"/reviews?limit=10&cursor={first['next']}"] * args.requests)
        print(f"  {'next page (cursor)':18} median {median:5.2f} ms   p95 {p95:5.2f} ms")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
