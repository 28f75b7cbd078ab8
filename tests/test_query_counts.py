"""No N+1: every public and owner read costs the same number of SQL statements with 1 row as with 30.

Each read is counted with a SQLAlchemy ``before_cursor_execute`` listener,
once after writing one row of everything it lists ("a") and once after
writing 30 more ("b").  Reads keyed by a product or a shopper read the
product or shopper of their own batch; the others see 1 row, then 31.  The
two reads always differ in their arguments (another product, shopper or
limit), so neither is answered from a read cache filled by the other: both
are first, uncached reads.  Each read also has a small budget, so a new query
per request shows up here as well.  The read cache's lookup of its version
tokens is not counted: whether it is sent depends on whether the process's
watcher already knows them (tests/test_read_cache.py counts it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, NamedTuple

import sqlalchemy as sa
from flask import Flask

from journeykit import models
from journeykit.core.db import utcnow
from journeykit.journey import ensure_customer
from journeykit.testing import StripeEvents, deliver

from .conftest import ADMIN_KEY
from .sql_statements import Statement, recorded

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
API = "/journeykit/api/v1"
PAGES = "/journeykit/admin"
#: The read cache's lookup of its version tokens (journeykit.core.read_versions.versions).
VERSION_LOOKUP = "SELECT scope, version FROM journeykit_read_versions"
#: Rows written for the second read (the first reads one of each).
MANY = 30


class Read(NamedTuple):
    """One GET to count: ``path(batch)`` names what batch ``"a"`` or ``"b"`` wrote, ``budget`` is its most statements."""

    name: str
    path: Callable[[str], str]
    budget: int
    shopper: bool = False  # as the batch's shopper (a customer token)
    admin: bool = False


def _limit(batch: str) -> int:
    """A page size above the 31 rows written, different per batch (so the second read is not a cached first)."""
    return 50 if batch == "a" else 49


#: Budgets of the cached public reads count the first, uncached read's queries (a page of reviews: the reviews, then
#: their photos in one query).
PUBLIC = [
    *(Read(f"reviews sort={sort}", lambda b, s=sort: f"{API}/products/sku-{b}/reviews?sort={s}&limit={_limit(b)}", 2)
      for sort in ("newest", "highest", "lowest", "helpful")),
    Read("reviews rating=1", lambda b: f"{API}/products/sku-{b}/reviews?rating=1&limit={_limit(b)}", 2),
    Read("rating", lambda b: f"{API}/products/sku-{b}/rating", 1),
    Read("reviews fragment", lambda b: f"/journeykit/widgets/reviews?product=sku-{b}", 3),
    Read("rating fragment", lambda b: f"/journeykit/widgets/rating?product=sku-{b}", 1),
    Read("testimonials fragment", lambda b: f"/journeykit/widgets/testimonials?layout={'grid' if b == 'a' else 'carousel'}", 2),
    Read("testimonials", lambda b: f"{API}/testimonials?limit={_limit(b)}", 2),
    Read("testimonials by tag", lambda b: f"{API}/testimonials?tag=tag-{b}&limit={_limit(b)}", 2),
    Read("loyalty program", lambda b: f"{API}/loyalty/program?batch={b}", 1),
    Read("referral program", lambda b: f"{API}/referrals/program?batch={b}", 1),
    Read("me/loyalty", lambda b: f"{API}/me/loyalty", 11, shopper=True),
    Read("me/referral", lambda b: f"{API}/me/referral", 9, shopper=True),
    Read("loyalty fragment", lambda b: "/journeykit/widgets/loyalty", 10, shopper=True),
    Read("referral fragment", lambda b: "/journeykit/widgets/referral", 8, shopper=True),
]

OWNER_API = [
    Read("admin reviews", lambda b: f"{API}/admin/reviews?limit={_limit(b)}", 3, admin=True),
    Read("admin customers", lambda b: f"{API}/admin/customers?limit={_limit(b)}", 1, admin=True),
    Read("admin customer", lambda b: f"{API}/admin/customers/loyal-{b}", 1, admin=True),
    Read("admin loyalty customers", lambda b: f"{API}/admin/loyalty/customers?limit={_limit(b)}", 2, admin=True),
    Read("admin loyalty customer", lambda b: f"{API}/admin/loyalty/customers/loyal-{b}", 8, admin=True),
    Read("admin loyalty codes", lambda b: f"{API}/admin/loyalty/codes?limit={_limit(b)}", 2, admin=True),
    Read("admin loyalty rules", lambda b: f"{API}/admin/loyalty/rules", 1, admin=True),
    Read("admin loyalty summary", lambda b: f"{API}/admin/loyalty/summary", 6, admin=True),
    Read("admin referral codes", lambda b: f"{API}/admin/referrals/codes?limit={_limit(b)}", 2, admin=True),
    Read("admin referral queue", lambda b: f"{API}/admin/referrals/queue?limit={_limit(b)}", 2, admin=True),
    Read("admin referral summary", lambda b: f"{API}/admin/referrals/summary", 14, admin=True),
    Read("admin testimonials", lambda b: f"{API}/admin/testimonials?limit={_limit(b)}", 3, admin=True),
    Read("admin stripe events", lambda b: f"{API}/admin/stripe/events?limit={_limit(b)}", 1, admin=True),
    Read("admin webhooks", lambda b: f"{API}/admin/webhooks", 1, admin=True),
    Read("admin audit", lambda b: f"{API}/admin/audit?limit={_limit(b)}", 1, admin=True),
    Read("admin settings", lambda b: f"{API}/admin/settings", 1, admin=True),
    *(Read(f"metrics {name}", lambda b, n=name: f"{API}/admin/metrics/{n}", budget, admin=True)
      for name, budget in (("stages", 2), ("cohorts", 2), ("times", 4), ("lift", 2), ("sales", 7),
                           ("breakdown?by=first_widget", 1), ("breakdown?by=referral_code", 3))),
]

OWNER_PAGES = [
    Read(f"page {page or 'overview'}", lambda b, p=page: f"{PAGES}/{p}", budget, admin=True)
    for page, budget in (("", 50), ("reviews", 5), ("testimonials", 2), ("loyalty", 8), ("loyalty/rules", 1),
                         ("referrals", 20), ("referrals/settings", 1), ("settings", 1), ("stripe", 1),
                         ("webhooks", 4), ("audit", 1))
]


PUBLISHED = models.ReviewStatus.PUBLISHED


def _reviews(app: Flask, batch: str, n: int) -> None:
    """``n`` published reviews of ``sku-<batch>``, each with a photo, a reply and a vote, and ``n`` pending ones."""
    session = app.extensions["sqlalchemy"].session
    now = utcnow()
    for i in range(n):
        for status, product in ((PUBLISHED, f"sku-{batch}"), (models.ReviewStatus.PENDING, f"sku-{batch}-new")):
            author = ensure_customer(f"author-{batch}-{i}", email=f"author-{batch}-{i}@example.com")
            published = status is PUBLISHED
            review = models.Review(product_id=product, customer_id=author.id, rating=1 + i % 5, title=f"Title {i}",
                                   body=f"Review {i}", author=f"Author {i}", status=status, pinned=i == 0,
                                   helpful_count=i, reply="Thank you" if published else None,
                                   replied_at=now if published else None,
                                   published_at=now - dt.timedelta(minutes=i) if published else None)
            session.add(review)
            session.flush()
            session.add(models.ReviewPhoto(review_id=review.id, storage_key=f"photo-{batch}-{status.value}-{i}",
                                           content_type="image/jpeg", size_bytes=100, width=10, height=10, position=0))
            session.add(models.ReviewVote(review_id=review.id, voter=f"v:voter-{batch}-{i}"))
    session.commit()


def _testimonials(app: Flask, batch: str, n: int) -> None:
    """``n`` published testimonials (the first pinned) and ``n`` pending ones, each with two tags and a customer."""
    session = app.extensions["sqlalchemy"].session
    now = utcnow()
    for i in range(n):
        author = ensure_customer(f"quoted-{batch}-{i}", email=f"quoted-{batch}-{i}@example.com")
        for status in (models.TestimonialStatus.PUBLISHED, models.TestimonialStatus.PENDING):
            published = status is models.TestimonialStatus.PUBLISHED
            tags = [models.TestimonialTag(tag=f"tag-{batch}"), models.TestimonialTag(tag="all")]
            session.add(models.Testimonial(customer_id=author.id, body=f"Quote {i}", name=f"Name {i}", consent=True,
                                           consent_at=now, status=status, featured=i % 2 == 0,
                                           position=1 if published and i == 0 else None, tag_rows=tags,
                                           published_at=now - dt.timedelta(minutes=i) if published else None))
    session.commit()


def _loyalty_and_referrals(app: Flask, journey: Any, batch: str, n: int) -> None:
    """The batch's shopper ``loyal-<batch>``: ``n`` points entries, discount codes, referrals of theirs and clicks."""
    shopper = f"loyal-{batch}"
    with app.test_request_context():
        ensure_customer(shopper, email=f"{shopper}@example.com")  # as the token names them: the read changes nothing
        code = journey.referrals.code_for(shopper)
        for i in range(n):
            journey.loyalty.award(shopper, 10 + i, f"Bonus {i}", key=f"bonus-{batch}-{i}")
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        referrer = ensure_customer(shopper)
        code_id = session.scalar(sa.text("SELECT id FROM journeykit_referral_codes WHERE code = :code"), {"code": code})
        for i in range(n):
            session.add(models.Redemption(customer_id=referrer.id, key=f"redeem-{batch}-{i}", reward="five-off", points=1,
                                          amount_off=500, currency="usd", code=f"JK-{batch}-{i}"))
            friend = ensure_customer(f"friend-{batch}-{i}", email=f"friend-{batch}-{i}@example.com")
            status = (models.ReferralStatus.REVIEW, models.ReferralStatus.REWARDED, models.ReferralStatus.HELD)[i % 3]
            session.add(models.Referral(checkout_session_id=f"cs_{batch}_{i}", code_text=code, code_id=code_id,
                                        referrer_customer_id=referrer.id, friend_customer_id=friend.id, status=status,
                                        amount_total=1000 + i, currency="usd", risk_reasons=[]))
        session.commit()
        for i in range(n):
            journey.track("referral_clicked", visitor_id=f"click-{batch}-{i:04d}-visitor", referral_code=code)


def _purchases(app: Flask, batch: str, n: int) -> None:
    """``n`` paid checkouts through the signed webhook (orders, Stripe events, people, points, hook deliveries)."""
    client, events = app.test_client(), StripeEvents()
    for i in range(n):
        event = events.checkout_completed(customer_id=f"buyer-{batch}-{i}", email=f"buyer-{batch}-{i}@example.com",
                                          products=[f"sku-{batch}"], amount_total=2000)
        assert deliver(client, event, secret=app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]).status_code == 200


def _webhook_endpoints(app: Flask, batch: str, n: int) -> None:
    """Up to 10 webhook endpoints (a shop may have 20): written first, so each purchase queues a delivery to each."""
    client = app.test_client()
    for i in range(min(n, 10)):
        created = client.post(f"{API}/admin/webhooks", json={"url": f"https://crm.example/{batch}/{i}"}, headers=ADMIN)
        assert created.status_code == 201, created.json


def _owner_decisions(app: Flask, n: int) -> None:
    """``n`` audited decisions: publishing pending testimonials."""
    client = app.test_client()
    pending = client.get(f"{API}/admin/testimonials?status=pending&limit=200", headers=ADMIN).json["items"]
    for item in pending[:n]:
        assert client.post(f"{API}/admin/testimonials/{item['id']}/publish", headers=ADMIN).status_code == 200


def seed(app: Flask, journey: Any, batch: str, n: int) -> None:
    """Write ``n`` rows of everything the reads list, for ``batch``."""
    _webhook_endpoints(app, batch, n)
    with app.app_context():
        _reviews(app, batch, n)
        _testimonials(app, batch, n)
    _loyalty_and_referrals(app, journey, batch, n)
    _purchases(app, batch, n)
    _owner_decisions(app, n)


def _headers(app: Flask, journey: Any, read: Read, batch: str) -> dict[str, str]:
    if read.admin:
        return ADMIN
    if read.shopper:
        with app.app_context():
            return {"X-JourneyKit-Customer": journey.customer_token(f"loyal-{batch}", email=f"loyal-{batch}@example.com")}
    return {}


def statements_of(app: Flask, journey: Any, read: Read, batch: str) -> list[Statement]:
    """The statements of one read of batch ``batch``'s data (which must answer 200)."""
    client = app.test_client()
    with recorded(app) as statements:
        response = client.get(read.path(batch), headers=_headers(app, journey, read, batch))
    assert response.status_code == 200, (read.name, response.status_code, response.get_data(as_text=True)[:500])
    return [statement for statement in statements if not statement.sql.startswith(VERSION_LOOKUP)]


def _counts(shop: tuple[Any, Any, Any], reads: list[Read]) -> dict[str, tuple[int, int]]:
    app, _, journey = shop
    seed(app, journey, "a", 1)
    first = {read.name: len(statements_of(app, journey, read, "a")) for read in reads}
    seed(app, journey, "b", MANY)
    return {read.name: (first[read.name], len(statements_of(app, journey, read, "b"))) for read in reads}


def _check(counts: dict[str, tuple[int, int]], reads: list[Read]) -> None:
    """Each read costs as much with 1 row as with 30, within its budget (the message lists every read's counts)."""
    budgets = {read.name: read.budget for read in reads}
    wrong = {name: pair for name, pair in counts.items() if pair[0] != pair[1] or pair[1] > budgets[name]}
    table = "\n".join(f"  {name}: {one} with 1 row, {many} with {MANY}, budget {budgets[name]}"
                      for name, (one, many) in counts.items())
    assert not wrong, f"statements grow with rows or exceed the budget: {wrong}\n{table}"


def test_public_reads_cost_the_same_with_1_or_30_rows(shop):
    _check(_counts(shop, PUBLIC), PUBLIC)


def test_owner_api_reads_cost_the_same_with_1_or_30_rows(shop):
    _check(_counts(shop, OWNER_API), OWNER_API)


def test_owner_pages_cost_the_same_with_1_or_30_rows(shop):
    _check(_counts(shop, OWNER_PAGES), OWNER_PAGES)

