"""The Stripe webhook: verification, storage, exactly-once effects."""

from __future__ import annotations

import sqlalchemy as sa

from journeykit.models import Customer, JourneyEvent, Order, OrderStatus, StripeEvent
from journeykit.journey.stages import Stage

WEBHOOK = "/journeykit/stripe/webhook"


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_paid_checkout_is_a_purchase_once(client, db, stripe_events, deliver_stripe_event):
    event = stripe_events.checkout_completed(customer_id="shopper-42", email="Shopper@Example.com", products=["sku-1", "sku-2"], amount_total=4200)
    first = deliver_stripe_event(event)
    again = deliver_stripe_event(event)
    assert first.status_code == 200, first.json
    assert first.json["outcome"] == "processed"
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.status, order.amount_total, order.product_ids) == (OrderStatus.PAID, 4200, ["sku-1", "sku-2"])
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.shop_customer_id, customer.email, customer.stage) == ("shopper-42", "shopper@example.com", Stage.PURCHASE)
    purchases = db.session.scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "purchase")).all()
    assert len(purchases) == 1
    assert _count(db, StripeEvent) == 1


def test_a_later_event_of_the_same_checkout_adds_no_products(db, stripe_events, deliver_stripe_event):
    """The order and its products are written by the session's first event alone (on PostgreSQL in one statement)."""
    completed = stripe_events.checkout_completed(customer_id="shopper-42", products=["sku-1", "sku-2"], payment_status="unpaid")
    assert deliver_stripe_event(completed).json["outcome"] == "processed"
    assert deliver_stripe_event(stripe_events.async_payment(completed)).json["outcome"] == "processed"
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.status, sorted(order.product_ids)) == (OrderStatus.PAID, ["sku-1", "sku-2"])


def test_bad_signature_is_refused_and_nothing_stored(client, db, stripe_events):
    event = stripe_events.checkout_completed()
    from journeykit.testing import deliver

    response = deliver(client, event, secret="whsec_wrong")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_signature"
    assert _count(db, StripeEvent) == 0 and _count(db, Order) == 0


def test_no_secret_configured_answers_503(shop_factory, stripe_events):
    app, _, _ = shop_factory({"JOURNEYKIT_STRIPE_WEBHOOK_SECRET": None})
    from journeykit.testing import deliver

    response = deliver(app.test_client(), stripe_events.checkout_completed(), secret="whsec_any")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "webhook_not_configured"
    assert "JOURNEYKIT_STRIPE_WEBHOOK_SECRET" in response.json["error"]["message"]


def test_rotated_secrets_are_all_accepted(shop_factory, stripe_events):
    app, _, _ = shop_factory({"JOURNEYKIT_STRIPE_WEBHOOK_SECRET": "whsec_old, whsec_new"})
    from journeykit.testing import deliver

    client = app.test_client()
    assert deliver(client, stripe_events.checkout_completed(), secret="whsec_old").status_code == 200
    assert deliver(client, stripe_events.checkout_completed(), secret="whsec_new").status_code == 200
    assert deliver(client, stripe_events.checkout_completed(), secret="whsec_other").status_code == 400


def test_stale_signature_is_refused(client, db, stripe_events, deliver_stripe_event):
    import time

    response = deliver_stripe_event(stripe_events.checkout_completed(), timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert _count(db, StripeEvent) == 0


def test_missing_signature_and_forged_bodies_are_refused(client, db, stripe_events):
    from journeykit.testing import encode, signature_header

    body = encode(stripe_events.checkout_completed())
    assert client.post(WEBHOOK, data=body, content_type="application/json").status_code == 400
    tampered = body.replace(b"2500", b"9999")
    header = signature_header(body, "whsec_test_secret")
    response = client.post(WEBHOOK, data=tampered, headers={"Stripe-Signature": header}, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_signature"
    for junk in (b"not json", b"[1, 2]", b'{"id": "evt_1"}', b"\xff\xfe"):
        headers = {"Stripe-Signature": signature_header(junk, "whsec_test_secret")}
        response = client.post(WEBHOOK, data=junk, headers=headers, content_type="application/json")
        assert response.status_code == 400, junk
        assert set(response.json["error"]) == {"code", "message", "fields"}
    assert _count(db, StripeEvent) == 0 and _count(db, Order) == 0


def test_oversize_body_is_413(client, db, stripe_events):
    from journeykit.testing import encode, signature_header

    event = stripe_events.checkout_completed()
    event["data"]["object"]["metadata"]["padding"] = "x" * (600 * 1024)
    body = encode(event)
    headers = {"Stripe-Signature": signature_header(body, "whsec_test_secret")}
    response = client.post(WEBHOOK, data=body, headers=headers, content_type="application/json")
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"
    assert _count(db, StripeEvent) == 0


def test_trailing_slash_is_served_without_redirect(client, db, stripe_events):
    from journeykit.testing import deliver

    response = deliver(client, stripe_events.checkout_completed(), secret="whsec_test_secret", path=WEBHOOK + "/")
    assert response.status_code == 200
    assert client.get(WEBHOOK).status_code == 405
    assert client.get(WEBHOOK).json["error"]["code"] == "method_not_allowed"


def test_shop_csrf_protection_does_not_block_stripe(shop_factory, stripe_events):
    from flask_wtf.csrf import CSRFProtect

    app, db, _ = shop_factory({"TESTING": False})
    CSRFProtect(app)  # set up after JourneyKit, as shops often do

    @app.post("/shop-form")
    def shop_form():
        return "ok"

    from journeykit.testing import deliver

    client = app.test_client()
    assert client.post("/shop-form").status_code == 400  # the shop's own forms stay protected
    assert deliver(client, stripe_events.checkout_completed(), secret="whsec_test_secret").status_code == 200


def test_cross_site_posts_riding_on_cookies_are_refused(client, db):
    headers = {"Origin": "https://evil.example", "X-JourneyKit-Visitor": "v" * 22}
    response = client.post("/journeykit/api/v1/events", json={"events": [{"name": "page_viewed"}]}, headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "origin_not_allowed"
    headers["Origin"] = "http://localhost"
    assert client.post("/journeykit/api/v1/events", json={"events": [{"name": "page_viewed"}]}, headers=headers).status_code == 202


def _implausible(stripe_events) -> list[tuple[str, dict]]:
    """Signed bodies Stripe never sends, each of which would fail when stored or applied."""
    cases = []
    for what, path, value in (
        ("a long event id", ("id",), "evt_" + "x" * 300),
        ("a long session id", ("data", "object", "id"), "cs_" + "x" * 300),
        ("a long payment intent", ("data", "object", "payment_intent"), "pi_" + "x" * 300),
        ("an amount past 64 bits", ("data", "object", "amount_total"), 2**63),
        ("a negative amount", ("data", "object", "amount_total"), -1),
        ("an amount as text", ("data", "object", "amount_total"), "12.50"),
        ("a currency of four letters", ("data", "object", "currency"), "usdx"),
        ("a time past any year", ("created",), 10**20),
        ("no object", ("data", "object"), ["not", "an", "object"]),
    ):
        event = stripe_events.checkout_completed(customer_id="c-odd")
        target = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        cases.append((what, event))
    return cases


def test_a_signed_body_that_is_no_plausible_stripe_event_is_a_400(client, db, stripe_events):
    from journeykit.testing import deliver, signature_header

    for what, event in _implausible(stripe_events):
        response = deliver(client, event, secret="whsec_test_secret")
        assert response.status_code == 400, what
        assert response.json["error"]["code"] == "invalid_payload", what
    deep = b"[" * 100_000 + b"]" * 100_000  # under the size cap, deeper than Python's parser goes
    response = client.post("/journeykit/stripe/webhook", data=deep, content_type="application/json",
                           headers={"Stripe-Signature": signature_header(deep, "whsec_test_secret")})
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_payload"
    assert _count(db, StripeEvent) == 0 and _count(db, Order) == 0


def test_the_testing_helper_delivers_to_a_running_server_too(app, db, stripe_events):
    """A shop's end-to-end tests send signed events to a live server (requests), not only a test client."""
    import threading

    from werkzeug.serving import make_server

    from journeykit.testing import deliver

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = deliver(f"http://127.0.0.1:{server.server_port}", stripe_events.checkout_completed(customer_id="c-live"),
                           secret="whsec_test_secret")
    finally:
        server.shutdown()
        thread.join(5)
    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    assert _count(db, Order) == 1
