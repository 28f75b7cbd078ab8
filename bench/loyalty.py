"""Loyalty throughput: purchases awarding points through the real webhook, and redemptions into Stripe codes.

    .venv/bin/python bench/loyalty.py                 # SQLite (a temp file)
    .venv/bin/python bench/loyalty.py --postgres      # a throwaway PostgreSQL
    .venv/bin/python bench/loyalty.py --url postgresql+psycopg://…

*Awards*: signed ``checkout.session.completed`` deliveries for 200 members,
each verified, stored, applied (order, stage, journey events) and its points
posted in the same transaction.  *Redemptions*: ``POST /me/loyalty/redemptions``
by those members, each locking the balance, posting the entry and creating a
coupon and a promotion code in the project's local fake of Stripe's API (a
real HTTP round trip each, as with Stripe, less the network's latency).
In-process through Flask's test client, so the figures are JourneyKit's own cost.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench.stripe_webhook import SECRET, database  # noqa: E402
from journeykit.core import migrate  # noqa: E402
from journeykit.testing import StripeEvents, deliver  # noqa: E402
from tests.conftest import make_shop  # noqa: E402
from tests.fake_stripe import FakeStripe  # noqa: E402

MEMBERS = 200


def _rate(label: str, count: int, elapsed: float) -> str:
    return f"{label}: {count} in {elapsed:.2f} s = {count / elapsed:.0f}/s ({elapsed / count * 1000:.2f} ms each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--purchases", type=int, default=1000)
    parser.add_argument("--redemptions", type=int, default=400)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url")
    args = parser.parse_args()
    fake = FakeStripe()
    with database(args) as url:
        app, db, journey = make_shop(url, {
            "JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake.url,
            "JOURNEYKIT_LOYALTY_REWARDS": [{"id": "1-off", "points": 10, "amount_off": 100, "currency": "usd"}],
            "JOURNEYKIT_REDEMPTIONS_RATE_LIMIT": "1000000 per hour"})
        with app.app_context():
            db.create_all()
            migrate.upgrade()
            tokens = [{"X-JourneyKit-Customer": journey.customer_token(f"m-{n}", email=f"m-{n}@example.com")}
                      for n in range(MEMBERS)]
        client, builder = app.test_client(), StripeEvents()
        events = [builder.checkout_completed(customer_id=f"m-{n % MEMBERS}", amount_total=5000)
                  for n in range(args.purchases)]
        started = time.perf_counter()
        for event in events:
            if deliver(client, event, secret=SECRET).status_code != 200:
                sys.exit(f"delivery of {event['id']} failed")
        awards = time.perf_counter() - started
        started = time.perf_counter()
        for n in range(args.redemptions):
            answer = client.post("/journeykit/api/v1/me/loyalty/redemptions", json={"reward": "1-off", "key": f"b{n}"},
                                 headers=tokens[n % MEMBERS])
            if answer.status_code != 201:
                sys.exit(f"redemption {n} failed: {answer.status_code} {answer.get_data(as_text=True)}")
        redemptions = time.perf_counter() - started
    fake.close()
    backend = url.split(":", 1)[0]
    print(f"{backend}: " + _rate("purchases awarding points through the webhook", len(events), awards))
    print(f"{backend}: " + _rate("redemptions into Stripe promotion codes", args.redemptions, redemptions))


if __name__ == "__main__":
    main()
