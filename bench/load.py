"""A mixed storefront load against gunicorn on PostgreSQL, on loopback: no error, and memory that stays flat.

    .venv/bin/python bench/load.py                 # 60 s at 16 connections (about two minutes in all)
    .venv/bin/python bench/load.py --seconds 10    # a quick look

Starts a throwaway PostgreSQL (or uses --url), migrates it, seeds products
with published reviews and testimonials, serves the bare test shop
(tests/instance_app.py) with gunicorn (2 workers × 4 threads, gthread), and
sends from --connections threads, each on its own keep-alive connection, a mix
of what storefronts send: review lists and ratings, fragments, the embed
script, testimonials, event beacons, review submissions and Stripe webhooks.
Prints requests per second, p50 and p99 per kind, every non-2xx, and the
workers' resident memory at the start, at half time and at the end.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import pathlib
import random
import statistics
import sys
import threading
import time
from typing import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench import servers  # noqa: E402
from bench.stripe_webhook import database  # noqa: E402
from journeykit.core import migrate  # noqa: E402
from journeykit.testing import StripeEvents, encode, signature_header  # noqa: E402
from tests.conftest import ADMIN_KEY, make_shop  # noqa: E402
from tests.postgres import free_port  # noqa: E402

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}
PRODUCTS = 50
#: Each kind of request and its share of the load (shoppers mostly read).
MIX = {"reviews": 30, "rating": 20, "fragment": 15, "embed.js": 10, "testimonials": 10, "events": 10, "submit": 3,
       "webhook": 2}


def seed(url: str) -> dict[str, str]:
    """Migrate, and publish a few reviews per product and some testimonials; returns customer tokens."""
    unlimited = {f"JOURNEYKIT_{name}_RATE_LIMIT": "1000000 per hour" for name in ("REVIEWS", "TESTIMONIALS", "EVENTS")}
    app, db, journey = make_shop(url, {"TESTING": False, **unlimited})
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    client = app.test_client()
    with app.test_request_context():
        tokens = {f"c-{n}": journey.customer_token(f"c-{n}") for n in range(400)}
    for n in range(200):
        review = client.post(f"/journeykit/api/v1/products/sku-{n % PRODUCTS}/reviews", headers={
            "X-JourneyKit-Customer": tokens[f"c-{n}"]}, json={"rating": 1 + n % 5, "body": f"Review {n}."})
        client.post(f"/journeykit/api/v1/admin/reviews/{review.json['id']}/publish", headers=admin)
    for n in range(12):
        made = client.post("/journeykit/api/v1/testimonials", json={"name": f"N{n}", "body": "Lovely.", "consent": True})
        client.post(f"/journeykit/api/v1/admin/testimonials/{made.json['id']}/publish", headers=admin)
    with app.app_context():
        db.engine.dispose()
    return tokens


def serve(url: str, port: int) -> contextlib.AbstractContextManager[servers.Served]:
    """The bare test shop (tests/instance_app.py) under gunicorn on ``url``'s database."""
    env = {"JOURNEYKIT_TEST_DATABASE_URL": url}
    return servers.gunicorn("tests.instance_app:create_app()", port, env=env, ready="/journeykit/embed.js", settle=2)


def resident_mb(pid: int) -> float:
    """The workers' resident memory, in MB (the master's children, from /proc)."""
    total = 0
    for child in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        for line in pathlib.Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def requests_for(base: str, tokens: dict[str, str], stripe: StripeEvents, rng: random.Random) -> dict[str, Callable]:
    product = lambda: f"sku-{rng.randrange(PRODUCTS)}"  # noqa: E731
    api = f"{base}/journeykit/api/v1"

    def webhook(session: requests.Session) -> requests.Response:
        body = encode(stripe.checkout_completed(customer_id=rng.choice(list(tokens)), products=[product()]))
        return session.post(f"{base}/journeykit/stripe/webhook", data=body, headers={
            "Stripe-Signature": signature_header(body, "whsec_test_secret"), "Content-Type": "application/json"})

    return {
        "reviews": lambda s: s.get(f"{api}/products/{product()}/reviews?limit=10"),
        "rating": lambda s: s.get(f"{api}/products/{product()}/rating"),
        "fragment": lambda s: s.get(f"{base}/journeykit/widgets/reviews?product={product()}"),
        "embed.js": lambda s: s.get(f"{base}/journeykit/embed.js"),
        "testimonials": lambda s: s.get(f"{api}/testimonials"),
        "events": lambda s: s.post(f"{api}/events", headers=BROWSER, json={
            "visitor_id": f"load-visitor-{rng.randrange(10**6):08d}", "events": [{"name": "product_viewed", "product_id": product()}]}),
        "submit": lambda s: s.post(f"{api}/products/{product()}/reviews", json={"rating": 5, "body": "Great."},
                                   headers={"X-JourneyKit-Customer": rng.choice(list(tokens.values()))}),
        "webhook": webhook,
    }


def drive(base: str, tokens: dict[str, str], seconds: float, connections: int) -> tuple[dict, collections.Counter]:
    timings: dict[str, list[float]] = collections.defaultdict(list)
    failures: collections.Counter = collections.Counter()
    lock, stop = threading.Lock(), time.monotonic() + seconds

    def worker(n: int) -> None:
        rng, session = random.Random(n), requests.Session()
        kinds = requests_for(base, tokens, StripeEvents(), rng)
        names, weights = list(MIX), list(MIX.values())
        while time.monotonic() < stop:
            kind = rng.choices(names, weights)[0]
            started = time.perf_counter()
            response = kinds[kind](session)
            elapsed = time.perf_counter() - started
            with lock:
                timings[kind].append(elapsed)
                if response.status_code >= 300 and not (kind == "submit" and response.status_code in (200, 429)):
                    failures[(kind, response.status_code)] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--url", help="a migrated-or-empty database (default: a throwaway PostgreSQL)")
    args = parser.parse_args()
    args.postgres = not args.url
    with database(args) as url:
        tokens = seed(url)
        with serve(url, free_port()) as server:
            memory = [resident_mb(server.pid)]
            halves = []
            for _ in range(2):
                halves.append(drive(server.base, tokens, args.seconds / 2, args.connections))
                memory.append(resident_mb(server.pid))
    timings = {kind: halves[0][0].get(kind, []) + halves[1][0].get(kind, []) for kind in MIX}
    failures = halves[0][1] + halves[1][1]
    total = sum(len(values) for values in timings.values())
    print(f"{total} requests in {args.seconds:.0f} s from {args.connections} connections: {total / args.seconds:.0f} req/s")
    print(f"{'kind':14} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, values in timings.items():
        if values:
            ordered = sorted(values)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            print(f"{kind:14} {len(values):9} {len(values) / args.seconds:8.1f} {statistics.median(values) * 1000:8.1f}"
                  f" {p99 * 1000:8.1f}")
    print(f"errors: {dict(failures) or 'none'}")
    print("workers' resident memory (MB): start {:.0f}, half time {:.0f}, end {:.0f}".format(*memory))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
