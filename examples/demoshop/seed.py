"""Demo data: a catalogue, customers, six weeks of visits and past purchases, and reviews.

Everything that reaches JourneyKit goes through its own entry points, as in a
real shop: purchases as signed Stripe events to its webhook (the same path as
the pay button), reviews to the reviews API, and the storefront's past visits
(synthetic, see :mod:`.traffic`) to its event log, back-dated.  The random
choices use a fixed seed, so every fresh demo looks the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import io
import os
import random
from dataclasses import dataclass, field
from typing import Any, Iterator

import sqlalchemy as sa
from flask import Flask, current_app

from journeykit import models as jk  # JourneyKit's tables, read for the status line only
from journeykit import reviews as jk_reviews
from journeykit import signals as jk_signals
from journeykit import testimonials as jk_testimonials
from journeykit.core import migrate as journeykit_migrate

from . import catalog, payments, traffic
from .cart import CartLine, place_order
from .images import customer_photo_png
from .models import Customer, Order, Product, db, utcnow

#: How far back the past purchases go.
HISTORY = dt.timedelta(days=42)


@dataclass
class SeedReport:
    products: int = 0
    customers: int = 0
    orders: int = 0
    events: int = 0
    reviews: int = 0
    testimonials: int = 0
    #: Why JourneyKit did not take some of the data (e.g. an endpoint it does not have yet).
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"Seeded the demo shop: {self.products} products, {self.customers} customers, "
            f"{self.orders} past orders, {self.events} journey events, {self.reviews} reviews, "
            f"{self.testimonials} testimonials."
        )
        return "\n".join([text, *(f"  note: {problem}" for problem in self.problems)])


def prepare(app: Flask, *, seed_if_empty: bool = True) -> SeedReport | None:
    """Create the shop's tables, migrate JourneyKit's, and seed an empty shop.

    Returns the seed report, or ``None`` when the shop already had products.
    Several worker processes starting at once take turns (a lock file in the
    instance folder), so the second finds the shop seeded by the first.
    """
    with _setup_lock(app), app.app_context():
        db.create_all()
        journeykit_migrate.upgrade()
        if not seed_if_empty or db.session.scalar(sa.select(sa.func.count()).select_from(Product)):
            return None
        return seed()


@contextlib.contextmanager
def _setup_lock(app: Flask) -> Iterator[None]:
    """Hold an exclusive lock on the instance folder's ``demoshop-setup.lock`` (one machine's processes)."""
    os.makedirs(app.instance_path, exist_ok=True)
    with open(os.path.join(app.instance_path, "demoshop-setup.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def reset(app: Flask) -> SeedReport:
    """Drop the shop's and JourneyKit's tables and seed again from scratch."""
    with app.app_context():
        db.drop_all()
        journeykit_migrate.downgrade("base")
    report = prepare(app)
    assert report is not None
    return report


def seed(rng: random.Random | None = None) -> SeedReport:
    """Fill an empty shop (call inside an app context)."""
    rng = rng or random.Random(2026)
    report = SeedReport()
    products = [Product(**item._asdict()) for item in catalog.PRODUCTS]
    customers = [Customer(**person._asdict()) for person in catalog.CUSTOMERS]
    db.session.add_all(products + customers)
    db.session.commit()
    report.products, report.customers = len(products), len(customers)

    buyers = [customer for customer in customers if not customer.is_owner]
    now = utcnow()
    journeys = traffic.plan(rng, products, catalog.REFERRAL_CODES, now=now, history=HISTORY)
    report.events = traffic.record(journeys)
    purchases = _purchases(journeys, buyers, rng, now)
    for purchase in purchases:
        if not purchase.referral_code:
            _buy(purchase, products, rng, report)
    # The referrers get their codes; their friends followed the links before their visits, and buy after.
    _referral_codes(customers, report)
    report.events += traffic.follow_links(journeys)
    for purchase in purchases:
        if purchase.referral_code:
            _buy(purchase, products, rng, report)
    report.orders = len(purchases)

    report.reviews = _review(report)
    report.testimonials = _testimonials(report)
    return report


def status() -> str:
    """What the shop and JourneyKit hold, in one line (call inside an app context)."""

    def count(model: type, *where: sa.ColumnElement[bool]) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return (
        f"Demo data: {count(Product)} products, {count(Customer)} customers, "
        f"{count(Order, Order.status == 'paid')} paid orders; JourneyKit knows "
        f"{count(jk.Customer)} customers and "
        f"{count(jk.Order, jk.Order.status == jk.OrderStatus.PAID)} paid orders."
    )


@dataclass(frozen=True)
class Purchase:
    """One past checkout: who, when, from which visitor, and the referral code it came with."""

    when: dt.datetime
    journey: traffic.Journey
    customer: Customer | None
    email: str
    name: str
    referral_code: str | None = None
    repeat: bool = False


def _purchases(
    journeys: list[traffic.Journey], buyers: list[Customer], rng: random.Random, now: dt.datetime
) -> list[Purchase]:
    """The visitors who buy, in time order: some are the demo's customers, the rest check out as guests.

    A buyer may come back for more (a catalogue customer more often than a guest).
    """
    converted = sorted((journey for journey in journeys if journey.buys_at), key=lambda j: j.buys_at)
    chosen = rng.sample(converted, min(len(buyers), len(converted)))
    known = {journey.visitor_id: customer for journey, customer in zip(chosen, buyers)}
    purchases, guests = [], iter(catalog.guest_names(rng))
    for journey in converted:
        customer = known.get(journey.visitor_id)
        name, email = (customer.name, customer.email) if customer else next(guests)
        when = journey.buys_at
        purchases.append(Purchase(when, journey, customer, email, name, journey.referral_code))
        for _ in range(rng.choice([0, 1, 1, 2] if customer else [0, 0, 0, 0, 1])):
            when += dt.timedelta(days=rng.uniform(4, 21))
            # A referred friend is new to the shop when they buy: no order of theirs is placed before the referred one.
            if when < now - traffic.QUIET and not journey.referral_code:
                purchases.append(Purchase(when, journey, customer, email, name, repeat=True))
    return sorted(purchases, key=lambda purchase: purchase.when)


def _buy(purchase: Purchase, products: list[Product], rng: random.Random, report: SeedReport) -> None:
    """Place the order in the shop and pay it through JourneyKit's webhook, back-dated.

    A first order holds products the visitor looked at, a repeat order anything.
    """
    size = rng.choice([1, 1, 2, 2, 3])
    viewed = [product for product in products if product.sku in purchase.journey.viewed]
    picked = viewed[:size] if viewed and not purchase.repeat else rng.sample(products, size)
    lines = [CartLine(product, rng.choice([1, 1, 1, 2])) for product in picked]
    order = place_order(lines, customer=purchase.customer, email=purchase.email, name=purchase.name,
                        friend_off=payments.friend_discount(purchase.email, purchase.journey.visitor_id, purchase.when))
    order.created_at = purchase.when
    try:
        payments.complete_offline(
            order,
            visitor_id=purchase.journey.visitor_id,
            referral_code=purchase.referral_code,
            when=purchase.when,
        )
    except payments.PaymentError as exc:
        _note(report, f"past purchases were not recorded by JourneyKit: {exc}")
        payments.mark_paid(order, purchase.when)  # the shop's own history stands regardless


def _referral_codes(customers: list[Customer], report: SeedReport) -> None:
    """Three happy customers open their referral widget (their code is made), then the owner gives them vanity codes.

    Both through JourneyKit's own doors: the widget's fragment with the
    customer's token, and the owner's admin API (signed in as the owner, as
    the shop's login does).
    """
    journey = current_app.extensions["journeykit"].journey
    prefix = current_app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/")
    owner = next(customer for customer in customers if customer.is_owner)
    client = current_app.test_client()
    with client.session_transaction() as shop_session:
        shop_session["customer_id"] = owner.id
    for code, email in catalog.REFERRERS.items():
        customer = next(customer for customer in customers if customer.email == email)
        token = journey.customer_token(customer.id, email=customer.email, name=customer.name)
        client.get(f"{prefix}/widgets/referral", headers={"X-JourneyKit-Customer": token})
        response = client.put(_api(f"/admin/referrals/customers/{customer.id}/code"), json={"code": code})
        if response.status_code >= 300:
            _note(report, f"a referral code was refused ({response.status_code}: {response.get_data(as_text=True)[:200]})")


def _review(report: SeedReport) -> int:
    """Reviews from buyers of each product, through the reviews API (when JourneyKit has it)."""
    journey = current_app.extensions["journeykit"].journey
    client = current_app.test_client()
    written = 0
    for sku, reviews in catalog.REVIEWS.items():
        buyers = db.session.scalars(
            sa.select(Customer)
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.status == "paid", Order.lines.any(product_id=_product_id(sku)))
            .distinct()
            .order_by(Customer.id)
        ).all()
        for customer, review in zip(buyers, reviews, strict=False):
            token = journey.customer_token(customer.id, email=customer.email, name=customer.name)
            response = client.post(
                _api(f"/products/{sku}/reviews"),
                json={"rating": review.rating, "title": review.title, "body": review.body},
                headers={"X-JourneyKit-Customer": token},
                environ_base=_home(customer),
            )
            if response.status_code == 404:
                _note(report, "reviews were skipped: this JourneyKit has no reviews API yet")
                return written
            if response.status_code != 201:
                _note(
                    report,
                    f"a review was refused ({response.status_code}: "
                    f"{response.get_data(as_text=True)[:200]})",
                )
                continue
            written += 1
            if review is reviews[0]:
                _photo(report, response.json, sku, token, _home(customer))
    return written


def _home(customer: Customer) -> dict[str, str]:
    """Each shopper writes from their own address (a documentation range), as they would in life.

    The reviews API limits submissions per address, so one address for all of
    them would refuse reviews once the seed runs twice in a process (``seed --fresh``).
    """
    return {"REMOTE_ADDR": f"203.0.113.{customer.id}"}


def _photo(report: SeedReport, review: dict[str, Any], sku: str, token: str, home: dict[str, str]) -> None:
    """The first reviewer of each product adds a photo; a published review is published again."""
    review_id = review["id"]
    product = db.session.scalars(sa.select(Product).where(Product.sku == sku)).one()
    response = current_app.test_client().post(
        _api(f"/reviews/{review_id}/photos"),
        data={"photo": (io.BytesIO(customer_photo_png(product.color)), f"{sku}.png")},
        headers={"X-JourneyKit-Customer": token},
        environ_base=home,
    )
    if response.status_code == 404:
        _note(report, "review photos were skipped: this JourneyKit cannot take photos yet")
        return
    if response.status_code != 201:
        _note(report, f"a review photo was refused ({response.status_code})")
        return
    if review["status"] == "published" and response.json["review"]["status"] != "published":
        jk_reviews.publish(jk_reviews.get(review_id))
        jk_signals.commit()


def _testimonials(report: SeedReport) -> int:
    """Testimonials sent through the collection form, then published by the owner."""
    client = current_app.test_client()
    published = 0
    for testimonial in catalog.TESTIMONIALS:
        response = client.post(_api("/testimonials"), json={**testimonial, "consent": True})
        if response.status_code != 201:
            _note(report, f"a testimonial was refused ({response.status_code})")
            continue
        jk_testimonials.publish(jk_testimonials.get(response.json["id"]))
        published += 1
    jk_signals.commit()
    return published


def _product_id(sku: str) -> int:
    return db.session.scalars(sa.select(Product.id).where(Product.sku == sku)).one()


def _api(path: str) -> str:
    return current_app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/") + "/api/v1" + path


def _note(report: SeedReport, problem: str) -> None:
    if problem not in report.problems:
        report.problems.append(problem)
