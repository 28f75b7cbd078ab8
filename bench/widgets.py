"""What JourneyKit's widgets cost a shop's own page: time and queries per widget.

    .venv/bin/python bench/widgets.py            # SQLite, 300 renders each
    .venv/bin/python bench/widgets.py --postgres

A shop's product page (its own context processor runs one query, as a basket
count would) is rendered in-process with no widget, then with the rating
badge, the reviews widget (20 published reviews) and the testimonials; prints
the median and p95 time of each page, the difference per widget, and how many
SQL statements each page ran.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import render_template_string  # noqa: E402

from bench.stripe_webhook import database  # noqa: E402
from journeykit.core import migrate  # noqa: E402
from tests.conftest import ADMIN_KEY, make_shop  # noqa: E402

PAGES = {
    "no widget": "<h1>Mug</h1>{{ basket }}",
    "rating": "<h1>Mug</h1>{{ basket }}{{ journeykit.rating('sku-1') }}",
    "rating + reviews": "<h1>Mug</h1>{{ basket }}{{ journeykit.rating('sku-1') }}{{ journeykit.reviews('sku-1') }}",
    "rating + reviews + testimonials": "<h1>Mug</h1>{{ basket }}{{ journeykit.rating('sku-1') }}"
                                       "{{ journeykit.reviews('sku-1') }}{{ journeykit.testimonials() }}",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url")
    args = parser.parse_args()
    with database(args) as url:
        app, db, journey = make_shop(url, {"TESTING": False, "JOURNEYKIT_REVIEWS_RATE_LIMIT": "1000 per hour"})
        Product = app.extensions["shop_models"]["Product"]

        @app.context_processor
        def basket():  # the shop's own query on every render
            return {"basket": db.session.scalar(sa.select(sa.func.count()).select_from(Product))}

        with app.app_context():
            db.create_all()
            migrate.upgrade()
        client, admin = app.test_client(), {"Authorization": f"Bearer {ADMIN_KEY}"}
        with app.test_request_context():
            tokens = [journey.customer_token(f"c-{n}") for n in range(20)]
        for token in tokens:
            review = client.post("/journeykit/api/v1/products/sku-1/reviews", json={"rating": 5, "body": "Lovely."},
                                 headers={"X-JourneyKit-Customer": token})
            client.post(f"/journeykit/api/v1/admin/reviews/{review.json['id']}/publish", headers=admin)
        statements: list[str] = []
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        results = {}
        for name, page in PAGES.items():
            times = []
            for _ in range(args.renders):
                with app.test_request_context("/mug"):
                    statements.clear()
                    started = time.perf_counter()
                    render_template_string(page)
                    times.append(time.perf_counter() - started)
                    db.session.remove()
            results[name] = (statistics.median(times), sorted(times)[int(len(times) * 0.95)], len(statements))
    base = results["no widget"][0]
    print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'+ ms':>7} {'queries':>8}")
    for name, (median, p95, queries) in results.items():
        print(f"{name:34} {median * 1000:10.2f} {p95 * 1000:8.2f} {(median - base) * 1000:7.2f} {queries:8}")


if __name__ == "__main__":
    main()
