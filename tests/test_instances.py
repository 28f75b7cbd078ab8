"""Several instances of a shop (gunicorn, several workers each) on one PostgreSQL: nothing doubled, nothing lost.

Stripe delivers every event to whichever instance its load balancer picks,
and retries; shoppers' reviews and events arrive anywhere.  Two gunicorn
servers, two workers and two threads each, take the same traffic at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from journeykit.models import (
    Customer,
    JourneyEvent,
    Order,
    PointsBalance,
    Review,
    StripeEvent,
    StripeEventStatus,
)
from journeykit.testing import StripeEvents, encode, signature_header

from .conftest import SERVER_BACKENDS
from .people_helpers import check
from .postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
PURCHASES = 40
SECRET = "whsec_test_secret"
#: A shopper's browser (requests' own user agent is a script, whose events are dropped as a bot's).
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}


def _start(database_url: str, redis_uri: str, log: Path) -> tuple[subprocess.Popen, str]:
    """A gunicorn server on a free loopback port, once it answers (``--preload``: both workers are ready at once)."""
    port = free_port()
    env = {**os.environ, "JOURNEYKIT_TEST_DATABASE_URL": database_url, "JOURNEYKIT_TEST_REDIS_URI": redis_uri}
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread", "--threads", "2",
             "--preload", "--log-level", "warning", "tests.instance_app:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{base}/journeykit/api/v1/testimonials", timeout=5).status_code == 200:
                return server, base
        except requests.RequestException:
            time.sleep(0.1)
    server.kill()
    server.wait(10)
    raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def _signed(event: dict) -> tuple[bytes, dict[str, str]]:
    body = encode(event)
    return body, {"Stripe-Signature": signature_header(body, SECRET), "Content-Type": "application/json"}


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_two_instances_take_the_same_traffic_and_nothing_is_doubled_or_lost(app, db, shopper, redis_uri, tmp_path):
    servers = [_start(app.config["SQLALCHEMY_DATABASE_URI"], redis_uri, tmp_path / f"gunicorn-{n}.log") for n in range(2)]
    bases = [base for _, base in servers]
    stripe = StripeEvents()
    purchases = [stripe.checkout_completed(customer_id=f"c-inst-{n}", products=["sku-1"], amount_total=1000)
                 for n in range(PURCHASES)]
    refunds = [stripe.charge_refunded(purchase, amount_refunded=300) for purchase in purchases]
    # Every event goes to both instances (a retry, or a duplicate delivery) at the same time as its refund.
    webhooks = [(base, event) for purchase, refund in zip(purchases, refunds) for event in (purchase, refund)
                for base in bases]
    reviews = [(bases[n % 2], shopper(f"c-rev-{n}")) for n in range(20)]
    # Beacons of a few shoppers browsing in several tabs: each one's beacons reach both instances at once.
    events = [(bases[n % 2], f"visitor-instances-{n % 8:08d}") for n in range(40)]
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            posted = [pool.submit(requests.post, f"{base}/journeykit/stripe/webhook", data=_signed(event)[0],
                                  headers=_signed(event)[1], timeout=30) for base, event in webhooks]
            written = [pool.submit(requests.post, f"{base}/journeykit/api/v1/products/sku-1/reviews",
                                   json={"rating": 5, "body": "Lovely."}, headers=headers, timeout=30)
                       for base, headers in reviews]
            beacons = [pool.submit(requests.post, f"{base}/journeykit/api/v1/events", timeout=30, headers=BROWSER,
                                   json={"visitor_id": visitor, "events": [{"name": "product_viewed", "product_id": "sku-1"}]})
                       for base, visitor in events]
            assert sorted({future.result().status_code for future in posted}) == [200]
            assert sorted(future.result().status_code for future in written) == [201] * len(reviews)
            assert sorted({future.result().status_code for future in beacons}) == [202]
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait(30)
    with app.app_context():
        count = lambda model, *where: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # noqa: E731
        assert count(Order) == PURCHASES
        assert db.session.scalars(sa.select(Order.amount_refunded)).all() == [300] * PURCHASES
        assert count(StripeEvent) == 2 * PURCHASES
        assert count(StripeEvent, StripeEvent.status != StripeEventStatus.PROCESSED) == 0
        assert count(JourneyEvent, JourneyEvent.name == "purchase") == PURCHASES
        assert count(JourneyEvent, JourneyEvent.name == "refund") == PURCHASES
        assert count(Review) == len(reviews)
        assert count(JourneyEvent, JourneyEvent.name == "product_viewed") == len(events)
        assert count(Customer, Customer.shop_customer_id.like("c-inst-%")) == PURCHASES
    assert check(app) == 0  # people, weeks and rollups are exactly what the event log says


@pytest.mark.parametrize("backend", ["sqlite", *SERVER_BACKENDS], indirect=True)
def test_an_instance_earns_at_the_rate_the_owner_just_set_in_another(app, db, client, admin_headers, tmp_path):
    """Every process keeps the owner's settings between requests (core.read_versions.remembered): a change made in
    another process is what its next purchases earn by, as soon as it knows of it (SQLite: the next request;
    PostgreSQL: the change's notification, which the program's read waits for here; MariaDB: it asks every time)."""
    server, base = _start(app.config["SQLALCHEMY_DATABASE_URI"], "memory://", tmp_path / "gunicorn.log")
    stripe = StripeEvents()

    def buy(n: int) -> int:
        body, headers = _signed(stripe.checkout_completed(customer_id=f"c-rate-{n}", products=["sku-1"],
                                                          amount_total=1000))
        assert requests.post(f"{base}/journeykit/stripe/webhook", data=body, headers=headers, timeout=30).json()[
            "outcome"] == "processed"
        with app.app_context():
            return db.session.scalar(sa.select(PointsBalance.balance).join(Customer).where(
                Customer.shop_customer_id == f"c-rate-{n}"))

    def program_says(words: str) -> bool:
        """Every worker's program shows ``words`` (each worker has its own watcher), within 2 s."""
        deadline = time.monotonic() + 2
        while words not in (shown := "".join(requests.get(f"{base}/journeykit/api/v1/loyalty/program", timeout=30).text
                                             for _ in range(8))) or shown.count(words) < 8:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    try:
        assert [buy(n) for n in range(4)] == [10] * 4  # the config's rate, now kept by both workers
        assert client.put("/journeykit/api/v1/admin/loyalty/rules", json={"points_per_unit": 7},
                          headers=admin_headers).status_code == 200
        assert program_says("7 points for every")
        assert [buy(n) for n in range(4, 10)] == [70] * 6
        assert client.put("/journeykit/api/v1/admin/loyalty/rules", json={"points_per_unit": None},
                          headers=admin_headers).status_code == 200  # back to the config's
        assert program_says("1 point for every")
        assert [buy(n) for n in range(10, 14)] == [10] * 4
    finally:
        server.terminate()
        server.wait(30)
