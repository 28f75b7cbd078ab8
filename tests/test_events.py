"""Journey events: sendBeacon batches from storefronts, bots, rate limits, and ``journey.track``."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from journeykit.models import Customer, JourneyEvent, Visitor

EVENTS = "/journeykit/api/v1/events"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
STORE = "https://store.example"
VISITOR_ID = "beacon-visitor-0123456789"


def _beacon(client, body: dict, *, user_agent: str = BROWSER, origin: str | None = STORE, **headers: str):
    """POST the way navigator.sendBeacon does: text/plain, no custom headers, the page's Origin."""
    headers = {"User-Agent": user_agent, **headers}
    if origin:
        headers["Origin"] = origin
    return client.post(EVENTS, data=json.dumps(body), content_type="text/plain;charset=UTF-8", headers=headers)


def _events(db) -> list[tuple[str, str | None, str | None]]:
    query = (
        sa.select(JourneyEvent.name, JourneyEvent.visitor_id, Customer.shop_customer_id)
        .outerjoin(Customer, Customer.id == JourneyEvent.customer_id)
        .where(JourneyEvent.name != "customer_created")
        .order_by(JourneyEvent.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


def _shop(shop_factory, **config):
    app, db, journey = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": [STORE], **config})
    return app, db, journey


def test_a_beacon_names_its_visitor_in_the_body(shop_factory):
    app, db, _ = _shop(shop_factory)
    body = {"visitor_id": VISITOR_ID, "events": [{"name": "widget_viewed", "properties": {"widget": "reviews"}}]}
    response = _beacon(app.test_client(), body)
    assert response.status_code == 202 and response.json == {"accepted": 1, "ignored": 0}
    assert response.headers["Access-Control-Allow-Origin"] == STORE
    with app.app_context():
        assert _events(db) == [("widget_viewed", VISITOR_ID, None)]


def test_a_customer_token_in_the_body_joins_the_visitor_to_the_customer(shop_factory):
    app, db, journey = _shop(shop_factory)
    with app.test_request_context():
        token = journey.customer_token("cust-7", email="ada@example.com")
    body = {"visitor_id": VISITOR_ID, "customer_token": token, "events": [{"name": "product_viewed", "product_id": "sku-1"}]}
    assert _beacon(app.test_client(), body).status_code == 202
    with app.app_context():
        assert _events(db) == [("product_viewed", VISITOR_ID, "cust-7")]
        visitor = db.session.get(Visitor, VISITOR_ID)
        assert visitor.customer.shop_customer_id == "cust-7" and visitor.customer.email == "ada@example.com"


def test_a_forged_body_token_is_401_and_stores_nothing(shop_factory):
    app, db, journey = _shop(shop_factory)
    with app.test_request_context():
        token = journey.customer_token("cust-7")
    body = {"visitor_id": VISITOR_ID, "customer_token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "events": [{"name": "page_viewed"}]}
    response = _beacon(app.test_client(), body)
    assert response.status_code == 401 and response.json["error"]["code"] == "token_invalid"
    with app.app_context():
        assert _events(db) == [] and db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visitor_id": "short", "events": [{"name": "page_viewed"}]}, "visitor_id"),
        ({"visitor_id": "x" * 16 + "<script>", "events": [{"name": "page_viewed"}]}, "visitor_id"),
        ({"visitor_id": VISITOR_ID, "customer_token": "", "events": [{"name": "page_viewed"}]}, "customer_token"),
        ({"visitor_id": VISITOR_ID, "customer_token": 7, "events": [{"name": "page_viewed"}]}, "customer_token"),
    ],
)
def test_malformed_identities_in_the_body_are_422(shop_factory, body, field):
    app, db, _ = _shop(shop_factory)
    response = _beacon(app.test_client(), body)
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    with app.app_context():
        assert _events(db) == []


def test_the_header_visitor_wins_over_the_body(shop_factory):
    app, db, _ = _shop(shop_factory)
    body = {"visitor_id": VISITOR_ID, "events": [{"name": "page_viewed"}]}
    _beacon(app.test_client(), body, **{"X-JourneyKit-Visitor": "header-visitor-0123456"})
    with app.app_context():
        assert _events(db) == [("page_viewed", "header-visitor-0123456", None)]


def test_a_page_on_an_origin_not_allowed_cannot_post_events(shop_factory):
    app, db, _ = _shop(shop_factory)
    response = _beacon(app.test_client(), {"visitor_id": VISITOR_ID, "events": [{"name": "page_viewed"}]}, origin="https://evil.example")
    assert response.status_code == 403
    with app.app_context():
        assert _events(db) == []


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        "python-requests/2.32.3",
        "",
    ],
)
def test_bots_are_acknowledged_and_dropped(shop_factory, user_agent):
    app, db, _ = _shop(shop_factory)
    body = {"visitor_id": VISITOR_ID, "events": [{"name": "page_viewed"}, {"name": "product_viewed"}]}
    response = _beacon(app.test_client(), body, user_agent=user_agent)
    assert response.status_code == 202 and response.json == {"accepted": 0, "ignored": 2}
    with app.app_context():
        assert _events(db) == [] and db.session.get(Visitor, VISITOR_ID) is None


def test_a_shop_may_keep_bot_traffic(shop_factory):
    app, db, _ = _shop(shop_factory, JOURNEYKIT_TRACK_BOTS=True)
    body = {"visitor_id": VISITOR_ID, "events": [{"name": "page_viewed"}]}
    assert _beacon(app.test_client(), body, user_agent="Googlebot/2.1").json == {"accepted": 1, "ignored": 0}


def test_a_shop_keeps_its_own_headless_tests_events_and_still_drops_crawlers(shop_factory):
    app, db, _ = _shop(shop_factory, JOURNEYKIT_TRACK_USER_AGENTS=["HeadlessChrome"])
    body = {"visitor_id": VISITOR_ID, "events": [{"name": "page_viewed"}]}
    headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
    assert _beacon(app.test_client(), body, user_agent=headless).json == {"accepted": 1, "ignored": 0}
    assert _beacon(app.test_client(), body, user_agent="Googlebot/2.1").json == {"accepted": 0, "ignored": 1}


def test_batches_are_rate_limited_per_visitor_and_per_address(shop_factory):
    app, db, _ = _shop(shop_factory, JOURNEYKIT_EVENTS_RATE_LIMIT="3 per minute")
    client = app.test_client()
    first = {"visitor_id": VISITOR_ID, "events": [{"name": "page_viewed"}]}
    assert [_beacon(client, first).status_code for _ in range(3)] == [202, 202, 202]
    refused = _beacon(client, first)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json["error"]["code"] == "rate_limited"
    other_visitor_same_address = {"visitor_id": "another-visitor-012345", "events": [{"name": "page_viewed"}]}
    assert _beacon(client, other_visitor_same_address).status_code == 429
    other_address = client.post(
        EVENTS, data=json.dumps(other_visitor_same_address), content_type="text/plain",
        headers={"User-Agent": BROWSER, "Origin": STORE}, environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other_address.status_code == 202
    with app.app_context():
        assert len(_events(db)) == 4


# -- journey.track ----------------------------------------------------------


def test_track_records_a_customers_event_with_its_properties(shop):
    app, db, journey = shop
    with app.app_context():
        journey.track("product_viewed", customer_id=42, product_id="sku-1", source_page="home", position=3)
        assert _events(db) == [("product_viewed", None, "42")]
        event = db.session.scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "product_viewed")).one()
        assert event.product_id == "sku-1"
        assert event.properties == {"source_page": "home", "position": 3} and event.source == "server"


def test_track_defaults_to_the_requests_shopper_and_visitor_cookie(shop):
    app, db, journey = shop
    journey.customer_loader(lambda: ("cust-9", "nine@example.com"))
    with app.test_request_context(headers={"Cookie": f"journeykit_visitor={VISITOR_ID}"}):
        journey.track("checkout_started")
    with app.app_context():
        assert _events(db) == [("checkout_started", VISITOR_ID, "cust-9")]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("Not A Name",), {"visitor_id": VISITOR_ID}),
        (("page_viewed",), {"visitor_id": "short"}),
        (("page_viewed",), {"visitor_id": VISITOR_ID, "product_id": ""}),
        (("page_viewed",), {}),
    ],
)
def test_track_refuses_malformed_events(shop, args, kwargs):
    app, db, journey = shop
    with app.app_context():
        with pytest.raises(ValueError):
            journey.track(*args, **kwargs)
        assert _events(db) == []


def test_track_refuses_properties_that_are_not_json(shop):
    app, db, journey = shop
    with app.app_context(), pytest.raises(TypeError):
        journey.track("page_viewed", visitor_id=VISITOR_ID, when=object())

