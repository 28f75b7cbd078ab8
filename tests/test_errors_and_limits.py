"""Bad input gets a clear 4xx JSON error and changes nothing; the shop's own pages stay its own."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from journeykit.models import JourneyEvent

EVENTS = "/journeykit/api/v1/events"
VISITOR = {"X-JourneyKit-Visitor": "visitor-0123456789ab"}


def _stored(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(JourneyEvent))


def _assert_error_shape(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "fields"}
    if code:
        assert response.json["error"]["code"] == code


def test_a_good_batch_is_stored(client, db):
    body = {"events": [{"name": "page_viewed"}, {"name": "product_viewed", "product_id": "sku-1", "properties": {"from": "home"}}]}
    response = client.post(EVENTS, json=body, headers=VISITOR)
    assert response.status_code == 202 and response.json == {"accepted": 2}
    rows = db.session.scalars(sa.select(JourneyEvent).order_by(JourneyEvent.id)).all()
    assert [(r.name, r.product_id, r.visitor_id) for r in rows] == [
        ("page_viewed", None, VISITOR["X-JourneyKit-Visitor"]),
        ("product_viewed", "sku-1", VISITOR["X-JourneyKit-Visitor"]),
    ]


def test_send_beacon_text_plain_bodies_are_accepted(client, db):
    body = json.dumps({"events": [{"name": "widget_viewed"}]})
    response = client.post(EVENTS, data=body, content_type="text/plain;charset=UTF-8", headers=VISITOR)
    assert response.status_code == 202 and _stored(db) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"\xff\xfe\x00", "application/json", 400, "invalid_json"),
        (b"[" * 20000 + b"]" * 20000, "application/json", 400, "invalid_json"),
        (b'{"events": [{"name": "ok", "product_id": "a\\u0000b"}]}', "application/json", 400, "invalid_characters"),
        (b'{"events": [{"name": "ok", "properties": {"k\\u0000": 1}}]}', "application/json", 400, "invalid_characters"),
        (b'{"events": []}', "text/html", 400, "json_required"),
        (b"null", "application/json", 422, "validation_error"),
        (b'{"events": "page_viewed"}', "application/json", 422, "validation_error"),
        (b'{"events": []}', "application/json", 422, "validation_error"),
        (b'{"events": [{"name": 7}]}', "application/json", 422, "validation_error"),
        (b'{"events": [{"name": "Has Spaces"}]}', "application/json", 422, "validation_error"),
        (b'{"events": [{"name": "ok", "sneaky": 1}]}', "application/json", 422, "validation_error"),
        (b'{"events": [{"name": "ok", "properties": [1]}]}', "application/json", 422, "validation_error"),
        (json.dumps({"events": [{"name": "ok"}] * 51}).encode(), "application/json", 422, "validation_error"),
    ],
)
def test_bad_bodies_are_4xx_and_store_nothing(client, db, body, content_type, status, code):
    response = client.post(EVENTS, data=body, content_type=content_type, headers=VISITOR)
    _assert_error_shape(response, status, code)
    assert _stored(db) == 0


def test_wrong_fields_are_named(client):
    response = client.post(EVENTS, json={"events": [{"name": 7}]}, headers=VISITOR)
    assert "events" in response.json["error"]["fields"]


def test_an_oversize_body_is_413(shop_factory):
    app, db, _ = shop_factory({"JOURNEYKIT_MAX_CONTENT_LENGTH": 1024})
    big = {"events": [{"name": "page_viewed", "properties": {"x": "y" * 2000}}]}
    response = app.test_client().post(EVENTS, json=big, headers=VISITOR)
    _assert_error_shape(response, 413, "payload_too_large")
    with app.app_context():
        assert _stored(db) == 0


def test_events_need_a_visitor_or_a_customer(client, db):
    response = client.post(EVENTS, json={"events": [{"name": "page_viewed"}]})
    _assert_error_shape(response, 422, "anonymous_event")


def test_routing_errors_under_the_api_are_json_even_with_a_shop_404_page(app, client):
    @app.errorhandler(404)
    def shop_not_found(error):
        return "<h1>The shop's own 404 page</h1>", 404

    @app.route("/shop-page")
    def shop_page():
        return "shop"

    _assert_error_shape(client.get("/journeykit/api/v1/no-such-thing"), 404, "not_found")
    _assert_error_shape(client.get(EVENTS), 405, "method_not_allowed")
    _assert_error_shape(client.get("/journeykit/api/v1/admin/customers/nobody", headers={"Authorization": "Bearer test-admin-key-0123456789"}), 404, "customer_not_found")
    assert "shop's own 404" in client.get("/no-such-shop-page").get_data(as_text=True)


def test_cors_answers_only_the_allowed_storefronts(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": ["https://store.example"]})
    client = app.test_client()
    allowed = client.options(EVENTS, headers={"Origin": "https://store.example", "Access-Control-Request-Method": "POST"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://store.example"
    assert "X-JourneyKit-Customer" in allowed.headers["Access-Control-Allow-Headers"]
    other = client.options(EVENTS, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]
    posted = client.post(EVENTS, json={"events": [{"name": "page_viewed"}]}, headers={"Origin": "https://store.example", **VISITOR})
    assert posted.status_code == 202 and posted.headers["Access-Control-Allow-Origin"] == "https://store.example"


HOSTILE = [
    ("POST", EVENTS, {"data": b"\x00" * 100, "content_type": "application/json"}),
    ("POST", EVENTS, {"data": "{\"events\": [{\"name\": \"a\", \"product_id\": \"" + "x" * 300 + "\"}]}", "content_type": "application/json"}),
    ("GET", "/journeykit/api/v1/me/loyalty", {"headers": {"X-JourneyKit-Customer": "\u00e9" * 10}}),
    ("GET", "/journeykit/api/v1/admin/customers", {"headers": {"Authorization": "Bearer \u00e9\u00e9"}}),
    ("GET", "/journeykit/api/v1/admin/customers", {"headers": {"Authorization": "Basic abc"}}),
    ("GET", "/journeykit/api/v1/admin/customers/%00", {"headers": {"Authorization": "Bearer test-admin-key-0123456789"}}),
    ("GET", "/journeykit/widgets/nonsense", {}),
    ("GET", "/journeykit/widgets/reviews", {}),
    ("POST", "/journeykit/stripe/webhook", {"data": b"{}", "headers": {"Stripe-Signature": "t=abc,v1=zz"}}),
    ("POST", "/journeykit/stripe/webhook", {"data": b"{}", "headers": {"Stripe-Signature": "\u00e9"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), HOSTILE)
def test_hostile_requests_never_get_a_5xx(client, db, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:200])
    assert _stored(db) == 0
