"""The demo shop (examples/demoshop): first start, pages, cart and both checkout paths.

One seeded shop serves the module (seeding logs six weeks of visits and sends
~40 signed webhook deliveries); each test works with its own customer or
guest, so the tests do not depend on one another's orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from examples.demoshop import create_app
from examples.demoshop import models as shop
from examples.demoshop.catalog import CUSTOMERS, PRODUCTS, REFERRAL_CODES, REFERRERS
from journeykit import models as jk
from journeykit.core.db import metadata as journeykit_metadata
from journeykit.metrics import holdout
from journeykit.testing import StripeEvents, deliver

from .fake_stripe import FakeStripe


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo shop on a fresh SQLite database, set up and seeded as on first start."""
    journeykit_metadata.info.pop("bind_key", None)  # another test's shop may have set a bind
    path = tmp_path_factory.mktemp("demoshop") / "demo.sqlite3"
    photos = tmp_path_factory.mktemp("demoshop-photos")  # not the instance folder of the repository
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "JOURNEYKIT_REVIEW_PHOTOS_DIR": str(photos)})
    yield app
    with app.app_context():
        shop.db.session.remove()
        shop.db.engine.dispose()


def _query(app: Flask, statement: Any) -> list[Any]:
    with app.app_context():
        return list(shop.db.session.scalars(statement))


def _customer(app: Flask, email: str) -> shop.Customer:
    return _query(app, sa.select(shop.Customer).where(shop.Customer.email == email))[0]


def _csrf(client: FlaskClient, path: str = "/") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "the page has no form token"
    return match.group(1)


def _sign_in(client: FlaskClient, customer: shop.Customer) -> str:
    token = _csrf(client, "/signin")
    response = client.post("/signin", data={"customer_id": customer.id, "csrf_token": token})
    assert response.status_code == 302
    return _csrf(client, "/account")


def _order_id(response: Any) -> int:
    match = re.search(r"/orders/(\d+)/complete", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


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


def test_offline_checkout_records_a_paid_order_in_journeykit(demo: Flask) -> None:
    client = demo.test_client()
    buyer = _customer(demo, "ethan.brooks@example.com")
    token = _sign_in(client, buyer)
    client.post(
        "/cart", data={"sku": "mug-stoneware", "quantity": "2", "add": "1", "csrf_token": token}
    )
    client.post(
        "/cart", data={"sku": "notebook-a5", "quantity": "1", "add": "1", "csrf_token": token}
    )
    assert "$50.50" in client.get("/cart").get_data(as_text=True)
    assert "Pay $50.50" in client.get("/checkout").get_data(as_text=True)

    paid = client.post("/checkout", data={"csrf_token": token})
    assert paid.status_code == 302
    order_id = _order_id(paid)
    complete = client.get(f"/orders/{order_id}/complete").get_data(as_text=True)
    assert "Thank you, Ethan!" in complete and "<journeykit-loyalty" in complete
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)

    visitor = client.get_cookie("journeykit_visitor").value
    with demo.app_context():
        order = shop.db.session.get(shop.Order, order_id)
        assert order.status == "paid" and order.total_cents == 5050
        # Needs JourneyKit's webhook: the pay button delivered a signed checkout.session.completed.
        recorded = shop.db.session.scalars(
            sa.select(jk.Order).where(jk.Order.checkout_session_id == order.stripe_session_id)
        ).one()
        assert recorded.status == jk.OrderStatus.PAID
        assert recorded.amount_total == 5050
        assert recorded.customer.shop_customer_id == str(buyer.id)
        assert sorted(recorded.product_ids) == ["mug-stoneware", "notebook-a5"]
        assert shop.db.session.get(jk.Visitor, visitor).customer_id == recorded.customer_id


def test_seeded_orders_give_real_points_and_offline_the_shop_makes_its_own_codes(demo: Flask) -> None:
    client = demo.test_client()
    buyer = _customer(demo, "lucas.meyer@example.org")
    _sign_in(client, buyer)
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
    token = _csrf(client, "/account")
    client.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    refused = client.post("/checkout", data={"csrf_token": token, "code": "HEARTH-5-NOPE"})
    assert refused.status_code == 400 and "This code does not work" in refused.get_data(as_text=True)
    paid = client.post("/checkout", data={"csrf_token": token, "code": made.json["code"].lower()})
    order_id = _order_id(paid)
    complete = client.get(f"/orders/{order_id}/complete").get_data(as_text=True)
    assert f"Code {made.json['code']}" in complete and "−$5.00" in complete
    with demo.app_context():
        order = shop.db.session.get(shop.Order, order_id)
        mug = next(p.price_cents for p in _query(demo, sa.select(shop.Product).where(shop.Product.sku == "mug-stoneware")))
        assert (order.status, order.total_cents) == ("paid", mug - 500)
    codes = client.get("/journeykit/api/v1/me/loyalty", headers=headers).json["codes"]
    assert [(c["code"], c["status"]) for c in codes] == [(made.json["code"], "used")]
    token = _csrf(client, "/account")
    client.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    assert client.post("/checkout", data={"csrf_token": token, "code": made.json["code"]}).status_code == 400  # once

    anonymous = demo.test_client().get("/journeykit/widgets/loyalty").get_data(as_text=True)
    assert '<a href="/signin">Join and start earning</a>' in anonymous and "Ember" in anonymous


def test_guest_checkout_checks_the_form_and_matches_the_buyer_by_email(demo: Flask) -> None:
    client = demo.test_client()
    token = _csrf(client, "/products/tote-canvas")
    client.post(
        "/cart", data={"sku": "tote-canvas", "quantity": "1", "add": "1", "csrf_token": token}
    )
    refused = client.post(
        "/checkout", data={"csrf_token": token, "name": "", "email": "not-an-address"}
    )
    assert refused.status_code == 400
    assert "Enter an e-mail address" in refused.get_data(as_text=True)
    assert not _query(demo, sa.select(shop.Order).where(shop.Order.email == "not-an-address"))

    paid = client.post(
        "/checkout", data={"csrf_token": token, "name": "Rosa Park", "email": "rosa@example.net"}
    )
    order_id = _order_id(paid)
    assert "Thank you, Rosa!" in client.get(f"/orders/{order_id}/complete").get_data(as_text=True)
    recorded = _query(
        demo, sa.select(jk.Order).join(jk.Customer).where(jk.Customer.email == "rosa@example.net")
    )
    assert [order.amount_total for order in recorded] == [2200]

    # Nobody else sees the order.
    assert demo.test_client().get(f"/orders/{order_id}/complete").status_code == 404


def test_forms_without_the_session_token_are_refused(demo: Flask) -> None:
    client = demo.test_client()
    _csrf(client, "/products/mug-stoneware")
    refused = client.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1"})
    assert refused.status_code == 400
    forged = client.post(
        "/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": "x" * 32}
    )
    assert forged.status_code == 400
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)
    assert client.get("/checkout").headers["Location"] == "/cart"


def test_ids_and_quantities_are_ascii_digits_within_64_bits(demo: Flask) -> None:
    client = demo.test_client()
    token = _csrf(client, "/products/mug-stoneware")
    for quantity in ("\u00b2", "\uff11", "\u0661"):  # superscript two, fullwidth one, Arabic-Indic one
        added = client.post("/cart", data={"sku": "mug-stoneware", "quantity": quantity, "add": "1", "csrf_token": token})
        assert added.status_code == 400, quantity
    token = _csrf(client, "/signin")
    for customer_id in ("\u00b2", "\uff11", str(2**63), str(10**30)):
        assert client.post("/signin", data={"customer_id": customer_id, "csrf_token": token}).status_code == 400, customer_id
    for order_id in ("\uff11", str(2**63), str(10**30)):
        assert client.get(f"/orders/{order_id}/complete").status_code == 404, order_id


def test_refused_payment_keeps_the_order_pending_and_the_cart(demo: Flask) -> None:
    client = demo.test_client()
    token = _sign_in(client, _customer(demo, "priya.sharma@example.org"))
    client.post(
        "/cart", data={"sku": "candle-cedar", "quantity": "1", "add": "1", "csrf_token": token}
    )
    # The pay button now delivers its event where no webhook listens (it answers 404).
    demo.config["JOURNEYKIT_URL_PREFIX"] = "/nowhere"
    try:
        refused = client.post("/checkout", data={"csrf_token": token}, follow_redirects=True)
    finally:
        demo.config["JOURNEYKIT_URL_PREFIX"] = "/journeykit"
    assert "The payment could not be confirmed" in refused.get_data(as_text=True)
    assert "Cedar &amp; Fig Soy Candle" in client.get("/cart").get_data(as_text=True)
    latest = _query(
        demo,
        sa.select(shop.Order.status)
        .where(shop.Order.email == "priya.sharma@example.org")
        .order_by(shop.Order.id.desc()),
    )[0]
    assert latest == "pending"


def test_journeykit_admin_is_for_the_shop_owner_only(demo: Flask) -> None:
    client = demo.test_client()
    anonymous = client.get("/journeykit/admin/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/signin?next=/journeykit/admin/"
    _sign_in(client, _customer(demo, "sofia.rossi@example.com"))
    refused = client.get("/journeykit/admin/")
    assert refused.status_code == 403 and "may not use JourneyKit" in refused.get_data(as_text=True)
    _sign_in(client, _customer(demo, CUSTOMERS[0].email))
    admin = client.get("/journeykit/admin/")
    assert admin.status_code == 200
    # Newest first as the dashboard lists them: Stripe dates to the second, and seeded purchases share seconds.
    newest = sa.select(jk.Customer.email).join(jk.Order).order_by(jk.Order.created_at.desc(), jk.Order.id.desc())
    latest_buyer = _query(demo, newest)[0]
    assert latest_buyer in admin.get_data(as_text=True)


def _row(html: str, attribute: str, value: str) -> str:
    """The visible text of the dashboard's table row ``<tr data-{attribute}="{value}">``."""
    match = re.search(rf'<tr data-{attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no {attribute} row {value!r} on the dashboard"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-(?:kpi|figure)="{name}"><span>[^<]*</span>\s*<b>([^<]+)</b>', html)
    assert match, f"no figure {name!r} on the dashboard"
    return match.group(1)


def test_the_owner_sees_six_weeks_of_visitors_widgets_and_referrals(demo: Flask) -> None:
    client = demo.test_client()
    _sign_in(client, _customer(demo, CUSTOMERS[0].email))
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
        assert int(_row(html, "value", code).split()[1]) > 0
    assert int(_figure(html, "clicks")) > 0 and int(_figure(html, "referred")) > 0


def test_seeded_hold_out_groups_are_journeykits_own(demo: Flask) -> None:
    exposures = _query(demo, sa.select(jk.JourneyEvent).where(
        jk.JourneyEvent.name.in_(["widget_viewed", "widget_held_out"]), jk.JourneyEvent.visitor_id.is_not(None)
    ))
    held_out = [event for event in exposures if event.name == "widget_held_out"]
    assert len(held_out) > 0.1 * len(exposures)
    with demo.app_context():
        for event in exposures:
            expected = holdout.is_held_out(event.visitor_id, event.properties["widget"])
            assert (event.name == "widget_held_out") is expected, event.visitor_id


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    monkeypatch.setattr(stripe, "api_base", fake.url)
    yield fake
    fake.close()


def test_with_stripe_keys_checkout_goes_to_stripe_with_journeykit_params(
    demo: Flask, fake_stripe: FakeStripe
) -> None:
    client = demo.test_client()
    buyer = _customer(demo, "ingrid.larsen@example.org")
    token = _sign_in(client, buyer)
    client.post(
        "/cart", data={"sku": "bottle-steel", "quantity": "2", "add": "1", "csrf_token": token}
    )
    demo.config["DEMOSHOP_STRIPE_SECRET_KEY"] = "sk_test_demo"
    try:
        to_stripe = client.post("/checkout", data={"csrf_token": token})
        assert to_stripe.headers["Location"] == "https://checkout.stripe.com/c/pay/cs_test_fake1"
        sent = fake_stripe.created[0]
        assert sent["client_reference_id"] == [str(buyer.id)]
        assert sent["metadata[journeykit_products]"] == ["bottle-steel"]
        assert sent["metadata[journeykit_visitor]"] == [
            client.get_cookie("journeykit_visitor").value
        ]
        assert sent["line_items[0][quantity]"] == ["2"] and sent[
            "line_items[0][price_data][unit_amount]"
        ] == ["3500"]
        success_url = sent["success_url"][0]
        assert success_url.endswith("?session_id={CHECKOUT_SESSION_ID}")

        # Stripe tells JourneyKit, then sends the buyer back to the shop.
        event = StripeEvents().checkout_completed(
            session_id="cs_test_fake1",
            customer_id=str(buyer.id),
            email=buyer.email,
            products=["bottle-steel"],
            amount_total=7000,
        )
        assert (
            deliver(
                demo.test_client(), event, secret=demo.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
            ).status_code
            == 200
        )
        back = client.get(
            success_url.replace("http://localhost", "").replace(
                "{CHECKOUT_SESSION_ID}", "cs_test_fake1"
            )
        )
        assert "Thank you, Ingrid!" in back.get_data(as_text=True)
    finally:
        demo.config["DEMOSHOP_STRIPE_SECRET_KEY"] = None


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


def test_the_shops_session_cookie_is_same_site_and_http_only(demo: Flask) -> None:
    client = demo.test_client()
    _sign_in(client, _customer(demo, CUSTOMERS[1].email))
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.same_site == "Lax" and cookie.http_only


#: A browser's user agent, for the demo's visitors (the test client's own is taken for a script).
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def test_seeded_referrals_went_through_the_link_and_the_webhook(demo: Flask) -> None:
    with demo.app_context():
        session = shop.db.session
        codes = {row.code: row for row in session.scalars(sa.select(jk.ReferralCode).where(jk.ReferralCode.vanity))}
        rewarded = session.scalars(sa.select(jk.Referral).where(jk.Referral.status == jk.ReferralStatus.REWARDED)).all()
        clicks = session.scalar(sa.select(sa.func.count()).select_from(jk.JourneyEvent)
                                .where(jk.JourneyEvent.name == "referral_clicked"))
        owners = {code: session.get(jk.Customer, row.customer_id).email for code, row in codes.items()}
        brought = {code: len([r for r in rewarded if r.code_id == row.id]) for code, row in codes.items()}
    assert owners == REFERRERS  # the owner's vanity codes, on the customers the catalogue names
    assert rewarded and clicks >= len(REFERRAL_CODES)  # real clicks of the link; real conversions of friends' first orders
    code, count = max(brought.items(), key=lambda item: item[1])
    referrer = _customer(demo, REFERRERS[code])
    client = demo.test_client()
    _sign_in(client, referrer)
    account = client.get("/account").get_data(as_text=True)
    assert f'value="http://localhost/journeykit/r/{code}"' in account  # the referrer's widget: their link to copy
    assert f"<dt>Friends who bought</dt><dd>{count}</dd>" in account
    assert f"<dt>Rewards earned</dt><dd>{100 * count} points</dd>" in account  # JOURNEYKIT_POINTS_REFERRAL each
    assert "Give your friends 5.00 USD off their first order, and get 100 points for each friend who buys." in account


def test_a_friend_follows_a_link_sees_the_offer_and_their_order_rewards_the_referrer(demo: Flask) -> None:
    referrer = _customer(demo, REFERRERS["AMARA-FRIENDS"])
    journey = demo.extensions["journeykit"].journey
    with demo.app_context():
        before = journey.loyalty.balance(referrer.id)
    friend = demo.test_client()
    landed = friend.get("/journeykit/r/amara-friends", headers={"User-Agent": BROWSER})
    assert landed.status_code == 302 and landed.headers["Location"] == "/?ref=AMARA-FRIENDS"
    home = friend.get(landed.headers["Location"], headers={"User-Agent": BROWSER}).get_data(as_text=True)
    assert "Welcome, friend!" in home and "You get 5.00 USD off your first order" in home
    assert 'aria-label="Refer a friend"' in home and '<a href="/signin">Join to get your link</a>' in home
    assert "Welcome, friend!" not in demo.test_client().get("/").get_data(as_text=True)  # nobody sent this visitor

    token = _csrf(friend, "/products/mug-stoneware")
    assert "Welcome, friend!" in friend.get("/products/mug-stoneware").get_data(as_text=True)  # every page while attributed
    friend.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    mug = _query(demo, sa.select(shop.Product.price_cents).where(shop.Product.sku == "mug-stoneware"))[0]
    checkout = friend.get("/checkout").get_data(as_text=True)
    assert "Your friend's discount (first order)" in checkout and f"Pay ${(mug - 500) // 100}.{mug % 100:02d}" in checkout
    paid = friend.post("/checkout", data={"csrf_token": token, "name": "Noor Haddad", "email": "noor.haddad@example.net"})
    complete = friend.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Your friend's discount" in complete and "−$5.00" in complete
    with demo.app_context():
        assert journey.loyalty.balance(referrer.id) == before + 100  # the friend's first order, through the webhook
        order = shop.db.session.get(shop.Order, _order_id(paid))
        assert (order.status, order.total_cents) == ("paid", mug - 500)

    # A made-up ?ref= takes nothing off, and a second order of the same friend is not a first order.
    forger = demo.test_client()
    forger.get("/?ref=FREE-MONEY", headers={"User-Agent": BROWSER})
    token = _csrf(forger, "/products/mug-stoneware")
    forger.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    assert "Your friend's discount" not in forger.get("/checkout").get_data(as_text=True)
    token = _csrf(friend, "/products/mug-stoneware")
    friend.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    again = friend.post("/checkout", data={"csrf_token": token, "name": "Noor Haddad", "email": "noor.haddad@example.net"})
    with demo.app_context():
        assert shop.db.session.get(shop.Order, _order_id(again)).total_cents == mug
        assert journey.loyalty.balance(referrer.id) == before + 100
