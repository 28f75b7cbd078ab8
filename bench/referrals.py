"""Referral throughput: link clicks through ``{prefix}/r/<code>``, and friends' first orders converting referrals.

    .venv/bin/python bench/referrals.py                 # SQLite (a temp file)
    .venv/bin/python bench/referrals.py --postgres      # a throwaway PostgreSQL
    .venv/bin/python bench/referrals.py --url postgresql+psycopg://…

*Clicks*: new visitors (no cookie) following 50 referrers' links, each
click checked against the code table, counted once per visitor and day,
logged as a ``referral_clicked`` journey event, attributed to the code and
redirected.  *Conversions*: each of those friends' first paid order through
the signed Stripe webhook: stored, applied, the code checked, the referral
scored for fraud, settled and the referrer's points posted, in one
transaction.  In-process through Flask's test client, so the figures are
JourneyKit's own cost.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench.loyalty import _rate  # noqa: E402
from bench.stripe_webhook import SECRET, database  # noqa: E402
from journeykit.core import migrate  # noqa: E402
from journeykit.testing import StripeEvents, deliver  # noqa: E402
from tests.conftest import make_shop  # noqa: E402

REFERRERS = 50
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--friends", type=int, default=600)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url")
    args = parser.parse_args()
    with database(args) as url:
        app, db, journey = make_shop(url, {"JOURNEYKIT_POINTS_REFERRAL": 100,
                                           "JOURNEYKIT_EVENTS_RATE_LIMIT": "1000000 per minute"})
        with app.app_context():
            db.create_all()
            migrate.upgrade()
            codes = [journey.referrals.code_for(f"r-{n}") for n in range(REFERRERS)]
        visitors = []
        started = time.perf_counter()
        for n in range(args.friends):
            visitor = app.test_client()
            landed = visitor.get(f"/journeykit/r/{codes[n % REFERRERS]}", headers={"User-Agent": BROWSER})
            if landed.status_code != 302:
                sys.exit(f"click {n} failed: {landed.status_code}")
            visitors.append(visitor.get_cookie("journeykit_visitor").value)
        clicks = time.perf_counter() - started
        builder, client = StripeEvents(), app.test_client()
        events = [builder.checkout_completed(customer_id=f"f-{n}", email=f"friend{n}@example.net", amount_total=4000,
                                             visitor_id=visitor) for n, visitor in enumerate(visitors)]
        started = time.perf_counter()
        for event in events:
            if deliver(client, event, secret=SECRET).status_code != 200:
                sys.exit(f"delivery of {event['id']} failed")
        conversions = time.perf_counter() - started
        with app.app_context():
            referred = journey.metrics.sales()["referrals"]["referred_buyers"]
    backend = url.split(":", 1)[0]
    print(f"{backend}: " + _rate("referral link clicks (new visitors)", len(visitors), clicks))
    print(f"{backend}: " + _rate("friends' first orders converting referrals through the webhook", len(events),
                                 conversions) + f"; referred buyers counted: {referred}")


if __name__ == "__main__":
    main()
