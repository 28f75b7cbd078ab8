"""The demo shop (examples/demoshop): its first start, its pages and widgets, and what the owner sees of it."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from markupsafe import escape

from examples.demoshop import create_app
from examples.demoshop import models as shop
from examples.demoshop.catalog import CUSTOMERS, PRODUCTS, REFERRAL_CODES
from journeykit import models as jk
from journeykit.metrics import holdout

from .demo_shop import completed_order, demo, form_token, rows, shop_customer, sign_in

__all__ = ["demo"]  # the fixture, imported for these tests


def test_first_start_seeds_shop_and_journeykit_through_the_webhook(demo: Flask) -> None:
    with demo.app_context():
        tables = set(sa.inspect(shop.db.engine).get_table_names())
        session = shop.db.session

        def count(model: type, *where: Any) -> int:
            return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

        shop_paid = count(shop.Order, shop.Order.status == "paid")
        journeykit_paid = count(jk.Order, jk.Order.status == jk.OrderStatus.PAID)
        buyers = session.scalar(sa.select(sa.func.count(sa.distinct(jk.Order.customer_id))))
        joined_buyers = session.scalar(
            sa.select(sa.func.count(sa.distinct(jk.Visitor.customer_id)))
            .join(jk.Order, jk.Order.customer_id == jk.Visitor.customer_id)
        )
        catalog_buyers_joined = session.scalar(
            sa.select(sa.func.count(sa.distinct(jk.Customer.id)))
            .join(jk.Visitor, jk.Visitor.customer_id == jk.Customer.id)
            .where(jk.Customer.shop_customer_id.is_not(None))
        )
        events = count(jk.JourneyEvent, jk.JourneyEvent.name == "product_viewed")
        products, customers = count(shop.Product), count(shop.Customer)

    # The shop's own tables, unprefixed, beside JourneyKit's.
    assert {"products", "customers", "orders", "order_lines"} <= tables
    assert {"journeykit_customers", "journeykit_orders", "journeykit_journey_events"} <= tables
    assert 8 <= products <= 12 and customers == len(CUSTOMERS)
    # Every past purchase went through JourneyKit's webhook; every buyer's visits joined them,
    # the demo's own customers (all but the owner) and the guests alike.
    assert shop_paid >= len(CUSTOMERS) - 1
    assert journeykit_paid == shop_paid
    assert catalog_buyers_joined == len(CUSTOMERS) - 1
    assert joined_buyers == buyers > len(CUSTOMERS) - 1
    assert events > 0

    # A second start on the same database keeps the data as it is.
    again = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": demo.config["SQLALCHEMY_DATABASE_URI"]}
    )
    with again.app_context():
        assert (
            shop.db.session.scalar(sa.select(sa.func.count()).select_from(shop.Order)) == shop_paid
        )
        shop.db.engine.dispose()


def test_home_and_product_pages_show_the_widgets(demo: Flask) -> None:
    client = demo.test_client()
    home = client.get("/").get_data(as_text=True)
    for product in PRODUCTS:
        assert str(escape(product.name)) in home
        assert (
            f'<journeykit-rating class="journeykit journeykit-rating" product="{product.sku}"'
            in home
        )
    assert "$18.00" in home
    assert "<journeykit-testimonials" in home
    assert "going strong after a winter of hiking" in home  # seeded, published testimonials
    assert re.search(r'<script src="/journeykit/embed\.js\?v=[^"]+" async', home)

    page = client.get("/products/board-walnut")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Walnut Serving Board" in text and "$54.00" in text
    assert 'journeykit-reviews" product="board-walnut"' in text
    assert '"@type": "AggregateRating"' in text or '"@type":"AggregateRating"' in text  # seeded reviews, for search engines
    assert 'journeykit-rating" product="board-walnut"' in text
    # The testimonial carousel beside the grid of the home page, enhanced by embed.js.
    assert '<journeykit-testimonials class="journeykit journeykit-testimonials" layout="carousel"' in text
    assert 'aria-roledescription="carousel"' in text and 'aria-label="1 of ' in text
    assert '<ul class="journeykit-testimonial-grid">' in home

    # The first reviewer of each product added a photo, shown under the review and served by JourneyKit.
    photo = re.search(r'<img src="(http://localhost/journeykit/photos/\d+)" loading="lazy" decoding="async" alt="Photo from [^"]+ review"', text)
    assert photo, "no review photo on the product page"
    served = client.get(photo.group(1).removeprefix("http://localhost"))
    assert served.status_code == 200 and served.data.startswith(b"\x89PNG")

    image = client.get("/images/board-walnut.svg")
    assert image.mimetype == "image/svg+xml" and image.data.startswith(b"<svg")

    missing = client.get("/products/no-such-thing")
    assert missing.status_code == 404 and "Hearth &amp; Field" in missing.get_data(as_text=True)


def test_seeded_orders_give_real_points_and_offline_the_shop_makes_its_own_codes(demo: Flask) -> None:
    client = demo.test_client()
    buyer = shop_customer(demo, "lucas.meyer@example.org")
    sign_in(client, buyer)
    journey = demo.extensions["journeykit"].journey
    with demo.app_context():
        balance = journey.loyalty.balance(buyer.id)
    assert balance >= 100  # a point a dollar of the seeded orders, the welcome points, the reviews' bonus
    account = client.get("/account").get_data(as_text=True)
    assert f"{balance:,} points" in account and "Tier: <strong>" in account and "Points for your order" in account
    assert 'aria-label="Redeem 100 points for 5.00 USD off">Redeem</button>' in account  # affordable: not disabled

    with demo.test_request_context():
        headers = {"X-JourneyKit-Customer": journey.customer_token(buyer.id, buyer.email)}
    made = client.post("/journeykit/api/v1/me/loyalty/redemptions", json={"reward": "5-off", "key": "demo-1"}, headers=headers)
    assert made.status_code == 201, made.json  # no Stripe keys: the demo's code_maker made the code
    assert re.fullmatch(r"HEARTH-5-[0-9A-F]{8}", made.json["code"]) and made.json["balance"] == balance - 100
    again = client.post("/journeykit/api/v1/me/loyalty/redemptions", json={"reward": "5-off", "key": "demo-1"}, headers=headers)
    assert (again.status_code, again.json["code"], again.json["balance"]) == (200, made.json["code"], balance - 100)
    assert made.json["code"] in client.get("/account").get_data(as_text=True)

    # At the demo's checkout the code takes $5 off, once; JourneyKit hears it was used.
    token = form_token(client, "/account")
    client.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    refused = client.post("/checkout", data={"csrf_token": token, "code": "HEARTH-5-NOPE"})
    assert refused.status_code == 400 and "This code does not work" in refused.get_data(as_text=True)
    paid = client.post("/checkout", data={"csrf_token": token, "code": made.json["code"].lower()})
    order_id = completed_order(paid)
    complete = client.get(f"/orders/{order_id}/complete").get_data(as_text=True)
    assert f"Code {made.json['code']}" in complete and "−$5.00" in complete
    with demo.app_context():
        order = shop.db.session.get(shop.Order, order_id)
        mug = next(p.price_cents for p in rows(demo, sa.select(shop.Product).where(shop.Product.sku == "mug-stoneware")))
        assert (order.status, order.total_cents) == ("paid", mug - 500)
    codes = client.get("/journeykit/api/v1/me/loyalty", headers=headers).json["codes"]
    assert [(c["code"], c["status"]) for c in codes] == [(made.json["code"], "used")]
    token = form_token(client, "/account")
    client.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    assert client.post("/checkout", data={"csrf_token": token, "code": made.json["code"]}).status_code == 400  # once

    anonymous = demo.test_client().get("/journeykit/widgets/loyalty").get_data(as_text=True)
    assert '<a href="/signin">Join and start earning</a>' in anonymous and "Ember" in anonymous


def _row(html: str, attribute: str, value: str) -> str:
    """The visible text of the dashboard's table row ``<tr data-{attribute}="{value}">``."""
    match = re.search(rf'<tr data-{attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no {attribute} row {value!r} on the dashboard"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-(?:kpi|figure)="{name}"><span>(?:<a [^>]*>)?[^<]*(?:</a>)?</span>\s*<b>([^<]+)</b>', html)
    assert match, f"no figure {name!r} on the dashboard"
    return match.group(1)


def test_the_owner_sees_six_weeks_of_visitors_widgets_and_referrals(demo: Flask) -> None:
    client = demo.test_client()
    sign_in(client, shop_customer(demo, CUSTOMERS[0].email))
    html = client.get("/journeykit/admin/?days=90").get_data(as_text=True)

    # A few hundred people, first seen week after week, not all on the day of the seed.
    assert int(_figure(html, "people").replace(",", "")) >= 200
    weeks = re.findall(r'<tr data-cohort="(\d{4}-\d{2}-\d{2})">', html)
    sizes = [int(_row(html, "cohort", week).split()[2]) for week in weeks]  # "Oct 19 17 …": 17 people
    assert len([size for size in sizes if size >= 5]) >= 6, sizes

    # The reviews widget's hold-out shows a lift; the other widgets were measured too.
    reviews = _row(html, "widget", "reviews")
    assert re.search(r"^reviews \d+ / \d+ \d+ / \d+ \+\d+\.\d pts", reviews), reviews
    assert reviews.endswith("Lifts conversion")
    for widget in ("rating", "testimonials"):
        assert re.search(rf"^{widget} \d+ / \d+ \d+ / \d+ [+-]\d+\.\d pts", _row(html, "widget", widget))

    # People by the first widget they saw, and by the referral code they came with.
    first_widgets = html[html.index('id="first-widget"'):html.index('id="sales"')]
    for widget in ("reviews", "rating", "testimonials"):
        assert f'<tr data-value="{widget}">' in first_widgets
    for code in REFERRAL_CODES:
        assert int(re.search(rf'<tr data-value="{code}">.*?data-label="People">(\d+)<', html, re.S).group(1)) > 0
    assert int(_figure(html, "clicks")) > 0 and int(_figure(html, "referred")) > 0


def test_the_shop_and_the_owners_pages_have_a_favicon(demo: Flask) -> None:
    client = demo.test_client()
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").get_data(as_text=True)
    asked = client.get("/favicon.ico")  # what browsers ask for on pages without a link, JourneyKit's own
    assert asked.status_code == 301 and asked.headers["Location"].endswith("/static/favicon.svg")
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_seeded_hold_out_groups_are_journeykits_own(demo: Flask) -> None:
    exposures = rows(demo, sa.select(jk.JourneyEvent).where(
        jk.JourneyEvent.name.in_(["widget_viewed", "widget_held_out"]), jk.JourneyEvent.visitor_id.is_not(None)
    ))
    held_out = [event for event in exposures if event.name == "widget_held_out"]
    assert len(held_out) > 0.1 * len(exposures)
    with demo.app_context():
        for event in exposures:
            expected = holdout.is_held_out(event.visitor_id, event.properties["widget"])
            assert (event.name == "widget_held_out") is expected, event.visitor_id


def _start_worker(database_url: str, photos: str, barrier: Any, results: Any) -> None:
    """One gunicorn-like worker: create the app (which sets the shop up) at the same moment as the others."""
    barrier.wait()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "JOURNEYKIT_REVIEW_PHOTOS_DIR": photos})
    with app.app_context():
        results.put((shop.db.session.scalar(sa.select(sa.func.count()).select_from(shop.Product)),
                     shop.db.session.scalar(sa.select(sa.func.count()).select_from(jk.Order))))


def test_workers_starting_together_set_the_shop_up_once(tmp_path) -> None:
    """Several workers that each create the app (no --preload) take turns: one seeds, the others find it seeded."""
    context = __import__("multiprocessing").get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    workers = [context.Process(target=_start_worker, args=(url, str(tmp_path / "photos"), barrier, results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
    assert [worker.exitcode for worker in workers] == [0, 0]
    counts = {results.get(timeout=5) for _ in workers}
    assert len(counts) == 1 and next(iter(counts))[0] == len(PRODUCTS)
