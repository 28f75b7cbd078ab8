"""Verified Stripe events applied per second, through the real webhook endpoint.

    .venv/bin/python bench/stripe_webhook.py                 # SQLite (a temp file)
    .venv/bin/python bench/stripe_webhook.py --postgres      # a throwaway PostgreSQL
    .venv/bin/python bench/stripe_webhook.py --url postgresql+psycopg://…

Each delivery is signed, verified, stored, applied (order, customer, stage,
journey events) and committed, in-process through Flask's test client, so the
figure is JourneyKit's own cost without HTTP parsing.  Half the events are new
purchases, a quarter refunds, a quarter duplicate deliveries.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import sys
import tempfile
import time
from typing import Iterator

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from journeykit.core import migrate  # noqa: E402
from journeykit.testing import StripeEvents, deliver  # noqa: E402
from tests import postgres  # noqa: E402
from tests.conftest import make_shop  # noqa: E402

SECRET = "whsec_test_secret"


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.url:
        yield args.url
    elif args.postgres:
        bin_dir = postgres.find_bin_dir()
        if bin_dir is None:
            sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
        with postgres.throwaway_cluster(bin_dir) as server:
            yield postgres.create_database(server, "bench")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"


def workload(count: int) -> list[dict]:
    """``count`` deliveries: purchases, their refunds, and repeats of earlier events."""
    builder, events = StripeEvents(), []
    for n in range(count // 2):
        purchase = builder.checkout_completed(customer_id=f"c-{n % 500}", products=[f"sku-{n % 40}"])
        events.append(purchase)
        if n % 2:
            events.append(builder.charge_refunded(purchase, amount_refunded=1000))
        else:
            events.append(purchase)  # Stripe delivering the same event twice
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url")
    args = parser.parse_args()
    with database(args) as url:
        app, db, _ = make_shop(url)
        with app.app_context():
            db.create_all()
            migrate.upgrade()
        client, events = app.test_client(), workload(args.events)
        started = time.perf_counter()
        for event in events:
            if deliver(client, event, secret=SECRET).status_code != 200:
                sys.exit(f"delivery of {event['id']} failed")
        elapsed = time.perf_counter() - started
        backend = url.split(":", 1)[0]
        print(f"{backend}: {len(events)} verified events in {elapsed:.2f} s = {len(events) / elapsed:.0f} events/s "
              f"({elapsed / len(events) * 1000:.2f} ms each)")
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


if __name__ == "__main__":
    main()
