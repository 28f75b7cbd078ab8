"""Bad input gets a clear 4xx JSON error and changes nothing; the shop's own pages stay its own."""

from __future__ import annotations

import base64
import json
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

from journeykit.core import migrate as jk_migrate
from journeykit.core.db import metadata
from journeykit.journey.schemas import MAX_EVENTS_PER_BATCH
from journeykit.models import Customer, JourneyEvent, Visitor

from .conftest import ADMIN_KEY, BACKENDS, any_database, make_shop

EVENTS = "/journeykit/api/v1/events"
VISITOR = {"X-JourneyKit-Visitor": "visitor-0123456789ab"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
STORE = "https://store.example"


def _stored(db: SQLAlchemy) -> dict[str, int]:
    """How many rows a request may have left behind: events, visitors, customers."""
    count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    return {"events": count(JourneyEvent), "visitors": count(Visitor), "customers": count(Customer)}


NOTHING = {"events": 0, "visitors": 0, "customers": 0}


def _assert_error_shape(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "fields"}
    assert response.json["error"]["message"]
    if code:
        assert response.json["error"]["code"] == code


@pytest.fixture(scope="module", params=BACKENDS)
def shared_shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, SQLAlchemy]]:
    """One shop per backend and module (a fresh shop per case costs about half a second on PostgreSQL)."""
    with any_database(request, request.param, tmp_path_factory.mktemp("quiet"), "quiet") as url:
        app, db, _ = make_shop(url)
        with app.app_context():
            db.create_all()
            jk_migrate.upgrade()
        yield app, db
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def quiet_shop(shared_shop: tuple[Flask, SQLAlchemy]) -> Iterator[tuple[Flask, SQLAlchemy]]:
    """The shared shop for requests that must be refused and store nothing.

    Each test asserts the database is still empty; afterwards it is emptied
    (plain DELETEs: the ORM refuses to delete journey events), so one case
    that wrongly stores something fails alone instead of every case after it.
    """
    yield shared_shop
    app, db = shared_shop
    with app.app_context():
        for table in reversed(metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


def _event_body(**event: Any) -> bytes:
    return json.dumps({"events": [{"name": "ok", **event}]}).encode()


def _nested(depth: int) -> bytes:
    return b'{"events": [{"name": "ok", "properties": {"a": ' + b"[" * depth + b"]" * depth + b"}}]}"


JSON = "application/json"
BAD_BODIES = [
    # (body, content type, status, code)
    (b"{not json", JSON, 400, "invalid_json"),
    (b"\xff\xfe\x00", JSON, 400, "invalid_json"),
    (b"[" * 20000 + b"]" * 20000, JSON, 400, "invalid_json"),
    (b"[" * 100000, JSON, 413, "payload_too_large"),  # over the default 64 KiB
    (_nested(500), JSON, 400, "invalid_json"),  # parses, but deeper than anything honest
    (b'{"events": [{"name": "ok", "properties": {"a": NaN}}]}', JSON, 400, "invalid_json"),
    (b'{"events": [{"name": "ok", "properties": {"a": -Infinity}}]}', JSON, 400, "invalid_json"),
    (b'{"events": [{"name": "ok", "properties": {"a": 1e400}}]}', JSON, 400, "invalid_json"),
    (b'{"events": [{"name": "ok", "product_id": "a\\u0000b"}]}', JSON, 400, "invalid_characters"),
    (b'{"events": [{"name": "ok", "properties": {"k\\u0000": 1}}]}', JSON, 400, "invalid_characters"),
    (b'{"events": [{"name": "ok", "product_id": "\\ud800"}]}', JSON, 400, "invalid_characters"),
    (b'{"events": [{"name": "ok", "properties": {"a": ["\\udfff"]}}]}', JSON, 400, "invalid_characters"),
    (b'{"events": []}', "text/html", 400, "json_required"),
    (b'{"events": []}', "application/x-www-form-urlencoded", 400, "json_required"),
    (b'{"events": []}', None, 400, "json_required"),
    (b"", JSON, 422, "validation_error"),
    (b"null", JSON, 422, "validation_error"),
    (b"[]", JSON, 422, "validation_error"),
    (b"{}", JSON, 422, "validation_error"),
    (b'{"events": "page_viewed"}', JSON, 422, "validation_error"),
    (b'{"events": []}', JSON, 422, "validation_error"),
    (b'{"events": [{}]}', JSON, 422, "validation_error"),
    (b'{"events": [{"name": 7}]}', JSON, 422, "validation_error"),
    (b'{"events": [{"name": "Has Spaces"}]}', JSON, 422, "validation_error"),
    (_event_body(name="x" * 65), JSON, 422, "validation_error"),
    (_event_body(sneaky=1), JSON, 422, "validation_error"),
    (b'{"events": [{"name": "ok"}], "extra": true}', JSON, 422, "validation_error"),
    (_event_body(properties=[1]), JSON, 422, "validation_error"),
    (_event_body(properties={"k" * 65: 1}), JSON, 422, "validation_error"),
    (_event_body(product_id=""), JSON, 422, "validation_error"),
    (_event_body(product_id="x" * 256), JSON, 422, "validation_error"),
    (_event_body(product_id=12), JSON, 422, "validation_error"),
    (json.dumps({"events": [{"name": "ok"}] * (MAX_EVENTS_PER_BATCH + 1)}).encode(), JSON, 422, "validation_error"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), BAD_BODIES)
def test_bad_bodies_are_4xx_and_store_nothing(quiet_shop, body, content_type, status, code):
    app, db = quiet_shop
    headers = {**VISITOR, **({"Content-Type": content_type} if content_type else {})}
    response = app.test_client().post(EVENTS, data=body, headers=headers)
    _assert_error_shape(response, status, code)
    if status == 422:
        assert response.json["error"]["fields"]
    with app.app_context():
        assert _stored(db) == NOTHING


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"events": ["Missing data for required field."]}),
        ({"events": [{}]}, {"events": {"0": {"name": ["Missing data for required field."]}}}),
        ({"events": [{"name": "ok"}, {"name": "ok", "sneaky": 1}]}, {"events": {"1": {"sneaky": ["Unknown field."]}}}),
    ],
)
def test_the_offending_fields_are_named(quiet_shop, body, fields):
    app, _ = quiet_shop
    response = app.test_client().post(EVENTS, json=body, headers=VISITOR)
    _assert_error_shape(response, 422, "validation_error")
    assert response.json["error"]["fields"] == fields


def test_a_good_batch_is_stored_with_its_visitor(client, db):
    body = {"events": [{"name": "page_viewed"}, {"name": "product_viewed", "product_id": "sku-1", "properties": {"from": "home"}}]}
    response = client.post(EVENTS, json=body, headers=VISITOR)
    assert response.status_code == 202 and response.json == {"accepted": 2, "ignored": 0}
    rows = db.session.scalars(sa.select(JourneyEvent).order_by(JourneyEvent.id)).all()
    visitor = VISITOR["X-JourneyKit-Visitor"]
    assert [(r.name, r.product_id, r.visitor_id, r.properties, r.source) for r in rows] == [
        ("page_viewed", None, visitor, {}, "browser"),
        ("product_viewed", "sku-1", visitor, {"from": "home"}, "browser"),
    ]
    assert _stored(db) == {"events": 2, "visitors": 1, "customers": 0}


def test_send_beacon_text_plain_bodies_are_accepted(client, db):
    body = json.dumps({"events": [{"name": "widget_viewed"}]})
    response = client.post(EVENTS, data=body, content_type="text/plain;charset=UTF-8", headers=VISITOR)
    assert response.status_code == 202 and _stored(db)["events"] == 1


def test_an_oversize_body_is_413_and_the_shops_own_limit_stays_its_own(shop_factory):
    app, db, _ = shop_factory({"JOURNEYKIT_MAX_CONTENT_LENGTH": 1024})

    @app.post("/shop/notes")
    def shop_notes():
        return {"length": len(request.get_data())}

    client = app.test_client()
    big = {"events": [{"name": "page_viewed", "properties": {"x": "y" * 2000}}]}
    _assert_error_shape(client.post(EVENTS, json=big, headers=VISITOR), 413, "payload_too_large")
    assert client.post(EVENTS, json={"events": [{"name": "page_viewed"}]}, headers=VISITOR).status_code == 202
    assert client.post("/shop/notes", data=b"n" * 4000).json == {"length": 4000}
    with app.app_context():
        assert _stored(db)["events"] == 1


def test_events_need_a_visitor_or_a_customer(quiet_shop):
    app, db = quiet_shop
    response = app.test_client().post(EVENTS, json={"events": [{"name": "page_viewed"}]})
    _assert_error_shape(response, 422, "anonymous_event")
    with app.app_context():
        assert _stored(db) == NOTHING


def test_api_routing_errors_are_json_even_with_a_shop_404_page(app, client):
    @app.errorhandler(404)
    def shop_not_found(error):
        return "<h1>The shop's own 404 page</h1>", 404

    @app.errorhandler(405)
    def shop_method_not_allowed(error):
        return "<h1>The shop's own 405 page</h1>", 405

    @app.route("/shop-page")
    def shop_page():
        return "shop"

    for path in ("/journeykit/api/v1/no-such-thing", "/journeykit/api/v2/events", "/journeykit/api/"):
        _assert_error_shape(client.get(path), 404, "not_found")
    for method in ("GET", "PUT", "DELETE"):
        wrong = client.open(EVENTS, method=method)
        _assert_error_shape(wrong, 405, "method_not_allowed")
        assert "POST" in wrong.headers["Allow"]
    _assert_error_shape(client.get("/journeykit/api/v1/admin/customers/nobody", headers=ADMIN), 404, "customer_not_found")
    assert "shop's own 404" in client.get("/no-such-shop-page").get_data(as_text=True)
    assert "shop's own 405" in client.post("/shop-page").get_data(as_text=True)
    assert client.get("/shop-page").get_data(as_text=True) == "shop"


def test_cors_answers_only_the_allowed_storefronts(shop_factory):
    app, db, _ = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": [STORE]})
    client = app.test_client()
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options(EVENTS, headers={"Origin": STORE, **preflight})
    assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == STORE
    assert "X-JourneyKit-Customer" in allowed.headers["Access-Control-Allow-Headers"]
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    for origin in ("https://evil.example", STORE + ".evil.example", "http://store.example", "null"):
        other = client.options(EVENTS, headers={"Origin": origin, **preflight})
        assert "Access-Control-Allow-Origin" not in other.headers, origin
        assert "Origin" in other.headers["Vary"]
    posted = client.post(EVENTS, json={"events": [{"name": "page_viewed"}]}, headers={"Origin": STORE, **VISITOR})
    assert posted.status_code == 202 and posted.headers["Access-Control-Allow-Origin"] == STORE
    # The storefront's script can read our errors too.
    refused = client.get("/journeykit/api/v1/me/loyalty", headers={"Origin": STORE})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == STORE
    with app.app_context():
        assert _stored(db)["events"] == 1


def test_a_post_from_a_foreign_origin_is_refused_and_stores_nothing(shop_factory):
    app, db, _ = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": [STORE]})
    response = app.test_client().post(EVENTS, json={"events": [{"name": "page_viewed"}]},
                                      headers={"Origin": "https://evil.example", **VISITOR})
    _assert_error_shape(response, 403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in response.headers
    with app.app_context():
        assert _stored(db) == NOTHING


#: Every listing that takes a ``cursor``.
CURSOR_PATHS = (
    "/journeykit/api/v1/products/sku-1/reviews",
    "/journeykit/api/v1/testimonials",
    "/journeykit/api/v1/admin/reviews",
    "/journeykit/api/v1/admin/testimonials",
)
CRAFTED_CURSORS = [
    base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    for raw in (
        "[" * 1200 + "]" * 1200,
        '[true, "2026-01-01T00:00:00", 1]',  # a naive time
        '[true, "9999-12-31T23:59:59+00:00", 1]',
        '[true, "2026-01-01T00:00:00+00:00", 9223372036854775807]',
        '[true, 9223372036854775807, "2026-01-01T00:00:00+00:00", 1]',
        "[1]",
    )
] + ["!!!", "WzEsMl0", "eyJhIjoxfQ.bad-signature"]

HOSTILE = [
    ("POST", EVENTS, {"data": b"\x00" * 100, "content_type": JSON}),
    ("POST", EVENTS, {"data": _nested(900), "content_type": JSON}),
    ("POST", EVENTS, {"data": b'{"events": [{"name": "ok"}]}', "content_type": "application/json; charset=utf-16"}),
    ("POST", EVENTS, {"data": b"{}", "content_type": JSON, "headers": {"X-JourneyKit-Customer": "x" * 8000}}),
    ("GET", "/journeykit/api/v1/me/loyalty", {"headers": {"X-JourneyKit-Customer": "\u00e9" * 10}}),
    ("GET", "/journeykit/api/v1/me/loyalty", {"headers": {"X-JourneyKit-Customer": "a." * 500}}),
    ("GET", "/journeykit/api/v1/admin/customers", {"headers": {"Authorization": "Bearer \u00e9\u00e9"}}),
    ("GET", "/journeykit/api/v1/admin/customers", {"headers": {"Authorization": "Basic abc"}}),
    ("GET", "/journeykit/api/v1/admin/customers?limit=%C2%B2", {"headers": ADMIN}),
    ("GET", "/journeykit/api/v1/admin/customers?before=%00", {"headers": ADMIN}),
    ("GET", f"/journeykit/api/v1/admin/customers?before={10**30}", {"headers": ADMIN}),
    ("GET", "/journeykit/api/v1/admin/customers/%00", {"headers": ADMIN}),
    ("GET", "/journeykit/api/v1/admin/customers/%ED%A0%80", {"headers": ADMIN}),
    ("POST", f"/journeykit/api/v1/admin/reviews/{10**30}/publish", {"headers": ADMIN}),
    ("POST", f"/journeykit/api/v1/reviews/{2**63}/helpful", {"headers": VISITOR}),
    ("GET", "/journeykit/api/v1/products/%00/reviews", {}),
    ("GET", "/journeykit/widgets/nonsense", {}),
    ("GET", "/journeykit/widgets/reviews", {}),
    ("GET", "/journeykit/widgets/reviews?product=%00", {}),
    ("GET", "/journeykit/widgets/..%2F..%2Fetc%2Fpasswd", {}),
    ("POST", "/journeykit/stripe/webhook", {"data": b"{}", "headers": {"Stripe-Signature": "t=abc,v1=zz"}}),
    ("POST", "/journeykit/stripe/webhook", {"data": b"{}", "headers": {"Stripe-Signature": "\u00e9"}}),
    # Crafted cursors: unsigned, deep JSON, out-of-range times and integers wider than their columns.
    *(("GET", f"{path}?cursor={cursor}", {"headers": ADMIN}) for path in CURSOR_PATHS for cursor in CRAFTED_CURSORS),
    # Periods no metrics answer should try: past 9999, beyond any history, longer than the cap.
    *(("GET", f"/journeykit/api/v1/admin/metrics/{name}{'&' if '?' in name else '?'}{period}", {"headers": ADMIN})
      for name in ("stages", "cohorts", "times", "lift", "sales", "breakdown?by=first_widget")
      for period in ("to=9999-12-31", "from=0001-01-01&to=9999-12-31", "from=2001-01-01&to=2026-01-01",
                     "from=2001-01-01", "from=1999-12-31&to=2000-01-01")),
    ("GET", "/journeykit/api/v1/admin/metrics/stages?from=2020-01-01&to=2026-01-01&interval=day", {"headers": ADMIN}),
    ("POST", "/journeykit/api/v1/admin/reviews/bulk", {"json": {"ids": [10**30], "action": "publish"}, "headers": ADMIN}),
    ("POST", "/journeykit/api/v1/admin/reviews/bulk", {"json": {"ids": [2**63], "action": "publish"}, "headers": ADMIN}),
    ("POST", "/journeykit/api/v1/admin/reviews/bulk", {"json": {"ids": [-1], "action": "publish"}, "headers": ADMIN}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), HOSTILE)
def test_hostile_requests_never_get_a_5xx(quiet_shop, method, path, kwargs):
    app, db = quiet_shop
    response = app.test_client().open(path, method=method, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:200])
    if "/api/" in path:
        _assert_error_shape(response, response.status_code)
    with app.app_context():
        assert _stored(db) == NOTHING
