"""Outbound webhooks: signed POSTs from a transactional outbox to a real local HTTP server."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import threading
import time

import pytest
import sqlalchemy as sa

from journeykit.reviews import requests as review_requests
from journeykit import signals
from journeykit.core.db import session, utcnow
from journeykit.hooks import deliver_due, verify_signature
from journeykit.hooks.outbound import outbox
from journeykit.hooks.outbound.signing import sign
from journeykit.hooks.outbound import payloads as outbound_events
from journeykit.models import Customer, DeliveryStatus, WebhookAttempt, WebhookDelivery
from journeykit.journey.stages import Stage
from journeykit.testing import deliver as post_signed
from journeykit.journey import ensure_customer
from journeykit.journey.tracking import record_event
from journeykit.referrals import codes

from .conftest import make_shop
from .hook_receiver import Receiver, closed_port, receiver  # noqa: F401 - the fixture

API = "/journeykit/api/v1/admin/webhooks"


def add_endpoint(client, admin_headers, url: str, **fields) -> dict:
    response = client.post(API, json={"url": url, **fields}, headers=admin_headers)
    assert response.status_code == 201, response.json
    return response.json


def deliver(app, **kwargs) -> dict[str, int]:
    with app.app_context():
        return deliver_due(**kwargs)


def rows(app) -> list[WebhookDelivery]:
    with app.app_context():
        found = session().scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        session().expunge_all()
        return list(found)


def attempts(app) -> list[WebhookAttempt]:
    with app.app_context():
        found = session().scalars(sa.select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
        session().expunge_all()
        return list(found)


def test_a_purchase_reaches_the_receiver_signed_and_once_though_stripe_sends_it_twice(
    app, client, admin_headers, receiver, stripe_events, deliver_stripe_event
):
    endpoint = add_endpoint(client, admin_headers, receiver.url, event_types=["purchase.recorded"])
    purchase = stripe_events.checkout_completed(customer_id="c-1", email="dee@example.com", amount_total=4250,
                                                currency="eur", products=["sku-1", "sku-2"])
    assert deliver_stripe_event(purchase).status_code == 200
    assert deliver_stripe_event(purchase).status_code == 200
    assert deliver(app) == {"delivered": 1, "retrying": 0, "failed": 0}
    assert deliver(app) == {"delivered": 0, "retrying": 0, "failed": 0}
    [hook] = receiver.received  # stage.changed was not subscribed to, so not even queued
    assert len(rows(app)) == 1
    assert verify_signature(hook.body, hook.headers["JourneyKit-Signature"], endpoint["secret"])
    body = hook.json
    assert hook.headers["JourneyKit-Event-Id"] == body["id"] and body["id"].startswith("evt_")
    assert hook.headers["JourneyKit-Event-Type"] == body["type"] == "purchase.recorded"
    assert abs(body["created"] - time.time()) < 60
    order = body["data"]["order"]
    assert (order["amount_total"], order["currency"], order["status"]) == (4250, "eur", "paid")
    assert [item["product_id"] for item in order["items"]] == ["sku-1", "sku-2"]
    assert order["checkout_session"] == purchase["data"]["object"]["id"]
    assert body["data"]["customer"] == {"id": "c-1", "email": "dee@example.com"}
    [delivered] = rows(app)
    assert delivered.status is DeliveryStatus.DELIVERED and delivered.attempts == 1
    assert [(a.attempt, a.status_code) for a in attempts(app)] == [(1, 200)]


def _down_then_back(app, client, admin_headers, target: Receiver, url: str, revive) -> None:
    add_endpoint(client, admin_headers, url, event_types=["points.changed"])
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-7", delta=120, balance=480)
        signals.commit()
    before = utcnow()
    assert deliver(app) == {"delivered": 0, "retrying": 1, "failed": 0}
    [row] = rows(app)
    assert row.status is DeliveryStatus.PENDING and row.attempts == 1
    assert before + dt.timedelta(seconds=45) < row.next_attempt_at < before + dt.timedelta(seconds=80)
    [failed] = attempts(app)
    assert failed.attempt == 1 and failed.duration_ms >= 0 and (failed.status_code, failed.error) != (200, None)
    assert deliver(app) == {"delivered": 0, "retrying": 0, "failed": 0}  # not due yet: no hammering
    revive()
    assert deliver(app, now=utcnow() + dt.timedelta(minutes=2)) == {"delivered": 1, "retrying": 0, "failed": 0}
    [hook] = target.received[-1:]
    assert hook.json["data"] == {"customer": {"id": "c-7"}, "delta": 120, "balance": 480}
    assert hook.headers["JourneyKit-Delivery-Attempt"] == "2"
    last = attempts(app)[-1]
    assert last.attempt == 2 and 200 <= last.status_code < 300 and last.error is None


def test_a_target_answering_500_loses_nothing(app, client, admin_headers, receiver):
    receiver.status = 500
    _down_then_back(app, client, admin_headers, receiver, receiver.url, lambda: setattr(receiver, "status", 204))
    first = attempts(app)[0]
    assert first.status_code == 500 and first.error == "HTTP 500" and len(first.response_excerpt) <= 300
    assert len(receiver.received) == 2 and len({r.headers["JourneyKit-Event-Id"] for r in receiver.received}) == 1


def test_a_target_that_refuses_connections_loses_nothing(app, client, admin_headers):
    port = closed_port()
    target = Receiver()
    try:
        _down_then_back(app, client, admin_headers, target, f"http://127.0.0.1:{port}/hooks", lambda: target.start(port))
        assert attempts(app)[0].status_code is None and "ConnectionError" in attempts(app)[0].error
    finally:
        target.stop()


def test_after_the_last_attempt_it_fails_and_the_owner_can_retry_it(app, client, admin_headers, receiver):
    receiver.status = 503
    add_endpoint(client, admin_headers, receiver.url)
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-8", delta=-50, balance=0)
        signals.commit()
    now = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        deliver(app, now=now)
        now += dt.timedelta(days=2)
    [row] = rows(app)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, outbox.MAX_ATTEMPTS)
    assert deliver(app, now=now + dt.timedelta(days=30)) == {"delivered": 0, "retrying": 0, "failed": 0}
    assert len(attempts(app)) == outbox.MAX_ATTEMPTS
    retried = client.post(f"{API}/deliveries/{row.id}/retry", headers=admin_headers)
    assert retried.status_code == 200 and retried.json["status"] == "failed"  # still down: one try, failed again
    receiver.status = 200
    retried = client.post(f"{API}/deliveries/{row.id}/retry", headers=admin_headers)
    assert retried.status_code == 200 and retried.json["status"] == "delivered"
    assert [entry["status_code"] for entry in retried.json["log"]][-2:] == [503, 200]
    assert len(receiver.received) == outbox.MAX_ATTEMPTS + 2


def test_the_backoff_grows_to_about_three_days():
    waits = [outbox.BACKOFF[n] for n in range(len(outbox.BACKOFF))]
    assert waits == sorted(waits) and waits[0] == 60
    assert 2.5 * 86400 < sum(waits) < 3.5 * 86400
    spread = {outbox.backoff(1).total_seconds() for _ in range(20)}
    assert len(spread) > 1 and all(48 <= wait <= 72 for wait in spread)


def test_a_rolled_back_change_leaves_no_outbox_row(app, client, admin_headers, receiver):
    add_endpoint(client, admin_headers, receiver.url)
    with app.app_context():
        customer = Customer(shop_customer_id="c-rb", email="rb@example.com")
        session().add(customer)
        session().flush()
        record_event("product_viewed", customer=customer)
        assert customer.stage == Stage.CONSIDERATION
        assert session().scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 1  # written, in the transaction
        signals.rollback()
    assert rows(app) == []
    with app.app_context():
        customer = Customer(shop_customer_id="c-ok", email="ok@example.com")
        session().add(customer)
        session().flush()
        record_event("product_viewed", customer=customer)
        signals.commit()
    deliver(app)
    [hook] = receiver.received
    assert hook.json["type"] == "stage.changed"
    assert hook.json["data"] == {"customer": {"id": "c-ok"}, "visitor_id": None, "from": "awareness", "to": "consideration"}


def test_unsubscribed_types_queue_nothing_and_a_paused_endpoint_keeps_its_queue(
    app, client, admin_headers, receiver, stripe_events, deliver_stripe_event
):
    add_endpoint(client, admin_headers, receiver.url, event_types=["refund.recorded"])
    paused = add_endpoint(client, admin_headers, receiver.url, active=False)
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-9"))
    assert rows(app) == []
    endpoint = add_endpoint(client, admin_headers, receiver.url, event_types=["points.changed"])
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-p", delta=5, balance=5)
        signals.commit()
    client.patch(f"{API}/{endpoint['id']}", json={"active": False}, headers=admin_headers)
    assert deliver(app)["delivered"] == 0 and receiver.received == [] and len(rows(app)) == 1
    client.patch(f"{API}/{endpoint['id']}", json={"active": True}, headers=admin_headers)
    assert deliver(app)["delivered"] == 1 and len(receiver.received) == 1
    assert {row.endpoint_id for row in rows(app)} == {endpoint["id"]} != {paused["id"]}


def test_two_workers_at_once_deliver_each_event_once(app, client, admin_headers, receiver):
    add_endpoint(client, admin_headers, receiver.url)
    with app.app_context():
        for n in range(12):
            signals.queue(signals.points_changed, customer_id=f"c-{n}", delta=n, balance=n)
        signals.commit()
    receiver.delay = 0.02
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(deliver(app))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(result["delivered"] for result in results) == 12
    ids = [hook.headers["JourneyKit-Event-Id"] for hook in receiver.received]
    assert len(ids) == 12 == len(set(ids))
    assert {row.status for row in rows(app)} == {DeliveryStatus.DELIVERED} and len(attempts(app)) == 12


def test_every_kind_of_event_is_plain_json_with_its_type(app, client, admin_headers, receiver, journey, stripe_events,
                                                       deliver_stripe_event):
    add_endpoint(client, admin_headers, receiver.url)
    with app.app_context():
        code = journey.referrals.code_for("c-referrer")  # a real code: only those convert
    purchase = stripe_events.checkout_completed(customer_id="c-all", email="all@example.com", products=["sku-1"],
                                                referral_code=code)
    deliver_stripe_event(purchase)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=1000))
    token = journey.customer_token("c-all", email="all@example.com", name="Al")
    submitted = client.post("/journeykit/api/v1/products/sku-1/reviews", headers={"X-JourneyKit-Customer": token},
                            json={"rating": 5, "title": "Lovely", "body": "Works well.", "author": "Al"})
    assert submitted.status_code == 201, submitted.json
    deliver(app)
    by_type = {hook.json["type"]: hook.json["data"] for hook in receiver.received}
    assert set(by_type) == {"stage.changed", "purchase.recorded", "refund.recorded", "review.submitted",
                            "review.published", "referral.converted", "points.changed"}
    assert (by_type["refund.recorded"]["amount"], by_type["refund.recorded"]["total_refunded"]) == (1000, 1000)
    points = [hook.json["data"] for hook in receiver.received if hook.json["type"] == "points.changed"]
    assert points == [{"customer": {"id": "c-all"}, "delta": 25, "balance": 25},  # 25.00 USD paid, 10.00 refunded
                      {"customer": {"id": "c-all"}, "delta": -10, "balance": 15}]
    review = by_type["review.published"]["review"]
    assert (review["rating"], review["verified"], review["status"], review["customer"]["id"]) == (5, True, "published", "c-all")
    assert by_type["referral.converted"]["code"] == code
    assert by_type["referral.converted"]["referrer"] == {"id": "c-referrer"}
    referred = by_type["referral.converted"]["order"]
    assert referred["checkout_session"] == purchase["data"]["object"]["id"] and referred["amount_refunded"] == 0


def test_the_review_request_hook_carries_the_signed_link(app, client, admin_headers, receiver, stripe_events,
                                                        deliver_stripe_event):
    endpoint = add_endpoint(client, admin_headers, receiver.url, event_types=["review_request.due"])
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-rr", email="rr@example.com",
                                                          products=["sku-1", "sku-2"]))
    with app.app_context():
        assert review_requests.send_due(now=utcnow() + dt.timedelta(days=8)) == 1
        signals.commit()
    deliver(app)
    [hook] = receiver.received
    assert verify_signature(hook.body, hook.headers["JourneyKit-Signature"], endpoint["secret"])
    data = hook.json["data"]
    assert hook.json["type"] == "review_request.due"
    assert data["products"] == ["sku-1", "sku-2"] and data["customer"] == {"id": "c-rr", "email": "rr@example.com"}
    assert data["order"]["status"] == "paid" and data["url"].startswith("http")
    form = client.get(re.sub(r"^https?://[^/]+", "", data["url"]))
    assert form.status_code == 200 and 'name="rating-sku-2"' in form.get_data(as_text=True)


def test_the_cli_delivers_once_or_as_a_worker_and_lists_endpoints(app, client, admin_headers, receiver):
    add_endpoint(client, admin_headers, receiver.url, description="CRM", event_types=["points.changed"])
    runner = app.test_cli_runner()
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-cli", delta=1, balance=1)
        signals.commit()
    listed = runner.invoke(args=["journeykit", "hooks", "list"])
    assert listed.exit_code == 0 and receiver.url in listed.output and "1 pending, 0 failed" in listed.output
    once = runner.invoke(args=["journeykit", "hooks", "deliver"])
    assert once.exit_code == 0 and "1 delivered, 0 to retry, 0 failed." in once.output
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-cli", delta=1, balance=2)
        signals.commit()
    worker = runner.invoke(args=["journeykit", "hooks", "deliver", "--loop", "--interval", "0.1", "--rounds", "2"])
    assert worker.exit_code == 0 and "1 delivered" in worker.output
    assert len(receiver.received) == 2


def test_signature_verification_refuses_tampering_wrong_secrets_and_old_requests():
    body = b'{"id":"evt_1","type":"ping","created":1,"data":{}}'
    header = sign(body, "jkwh_right")
    assert verify_signature(body, header, "jkwh_right")
    assert not verify_signature(body.replace(b"ping", b"pong"), header, "jkwh_right")
    assert not verify_signature(body, header, "jkwh_wrong")
    old = sign(body, "jkwh_right", timestamp=int(time.time()) - 301)
    assert not verify_signature(body, old, "jkwh_right")
    assert verify_signature(body, old, "jkwh_right", tolerance=600)
    for broken in ("", "t=,v1=", "v1=" + header.partition("v1=")[2], "t=abc," + header.split(",")[1], "garbage"):
        assert not verify_signature(body, broken, "jkwh_right")
    timestamp = header.split(",")[0]
    assert verify_signature(body, f"{timestamp},v1=deadbeef,{header.split(',')[1]}", "jkwh_right")  # several v1


def test_only_a_paid_purchase_with_a_real_referral_code_converts_a_referral(app, client, admin_headers, receiver,
                                                                           stripe_events, deliver_stripe_event):
    add_endpoint(client, admin_headers, receiver.url, event_types=["referral.converted"])
    with app.app_context():
        codes.set_vanity(ensure_customer("c-ann").id, "ann-7")
        session().commit()
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-plain"))
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-forger", referral_code="BOB-8"))  # no such code
    referred = stripe_events.checkout_completed(customer_id="c-friend", referral_code="ANN-7", amount_total=1999)
    deliver_stripe_event(referred)
    deliver_stripe_event(referred)  # Stripe's retry: still one conversion
    unpaid = stripe_events.checkout_completed(customer_id="c-later", referral_code="ANN-7", payment_status="unpaid")
    deliver_stripe_event(unpaid)
    deliver(app)
    [hook] = receiver.received
    assert hook.json["type"] == "referral.converted" and hook.json["data"]["code"] == "ANN-7"
    assert hook.json["data"]["order"]["amount_total"] == 1999
    assert hook.json["data"]["order"]["customer"]["id"] == "c-friend"
    assert hook.json["data"]["referrer"] == {"id": "c-ann"}


def test_the_catalog_marks_what_is_never_sent(app, client, admin_headers):
    """Every advertised type has a sender in JourneyKit's code; the rest are marked "not sent yet"."""
    root = pathlib.Path(__file__).resolve().parents[1]  # the repository (plugin/ links to hooks/ and widgets/)
    sources = "\n".join(path.read_text() for folder in ("plugin", "hooks", "widgets")
                        for path in (root / folder).rglob("*.py"))
    for signal, (event_type, _) in outbound_events.EVENTS.items():
        sent = re.search(rf"signals\.queue\(\s*signals\.{signal.name.replace('-', '_')},", sources) is not None
        assert sent != (event_type in outbound_events.NOT_YET_SENT), event_type
    html = client.get("/journeykit/admin/webhooks", headers=admin_headers).get_data(as_text=True)
    assert "not sent yet" not in html  # loyalty sends points.changed: every advertised type is sent now


def test_journey_deliver_hooks_sends_what_is_due(app, client, admin_headers, receiver, journey, stripe_events,
                                                 deliver_stripe_event):
    add_endpoint(client, admin_headers, receiver.url, event_types=["purchase.recorded"])
    for customer in ("c-a", "c-b"):
        deliver_stripe_event(stripe_events.checkout_completed(customer_id=customer))
    with app.app_context():
        assert journey.deliver_hooks(limit=1) == {"delivered": 1, "retrying": 0, "failed": 0}
        assert journey.deliver_hooks() == {"delivered": 1, "retrying": 0, "failed": 0}
        assert journey.deliver_hooks() == {"delivered": 0, "retrying": 0, "failed": 0}
        for bad in (0, -1, True, "5"):
            with pytest.raises(ValueError, match="limit"):
                journey.deliver_hooks(limit=bad)
    assert sorted(hook.json["data"]["customer"]["id"] for hook in receiver.received) == ["c-a", "c-b"]


@pytest.fixture
def after_response(shop_factory):
    """A shop that tries each request's webhooks once its response is sent."""
    return shop_factory({"JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE": True})[0]


def test_after_the_response_a_request_delivers_its_own_events(after_response, admin_headers, receiver, stripe_events):
    app = after_response
    client = app.test_client()
    endpoint = add_endpoint(client, admin_headers, receiver.url, event_types=["purchase.recorded"])
    with app.app_context():  # queued outside any request: left for the worker
        outbox.enqueue("purchase.recorded", {"order": "earlier"}, [endpoint["id"]])
        session().commit()
    secret = app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
    response = post_signed(client, stripe_events.checkout_completed(customer_id="c-now"), secret=secret)
    assert response.status_code == 200 and receiver.received == []  # the answer is complete before any POST
    response.close()  # the server has sent it
    [hook] = receiver.received
    assert hook.json["data"]["customer"]["id"] == "c-now"
    assert sorted(row.status.value for row in rows(app)) == ["delivered", "pending"]


def test_after_the_response_a_target_that_is_down_loses_nothing(after_response, admin_headers, stripe_events):
    app = after_response
    client = app.test_client()
    add_endpoint(client, admin_headers, f"http://127.0.0.1:{closed_port()}/hooks", event_types=["purchase.recorded"])
    response = post_signed(client, stripe_events.checkout_completed(customer_id="c-down"),
                           secret=app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"])
    response.close()
    assert response.status_code == 200
    [row] = rows(app)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "ConnectionError" in attempts(app)[0].error


def test_by_default_a_request_leaves_delivery_to_the_worker(app, client, admin_headers, receiver, stripe_events):
    add_endpoint(client, admin_headers, receiver.url, event_types=["purchase.recorded"])
    response = post_signed(client, stripe_events.checkout_completed(customer_id="c-w"),
                           secret=app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"])
    response.close()
    assert receiver.received == [] and [row.status for row in rows(app)] == [DeliveryStatus.PENDING]


def test_the_after_response_setting_must_be_a_boolean(database_url):
    with pytest.raises(ValueError, match="JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE must be True or False"):
        make_shop(database_url, {"JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE": "yes"})


def test_the_admin_page_counts_waiting_deliveries_and_asks_for_the_worker_when_overdue(app, client, admin_headers):
    page = "/journeykit/admin/webhooks"
    add_endpoint(client, admin_headers, f"http://127.0.0.1:{closed_port()}/hooks")
    html = client.get(page, headers=admin_headers).get_data(as_text=True)
    assert "0 deliveries waiting to be sent." in html and "overdue" not in html
    with app.app_context():
        signals.queue(signals.stage_changed, customer_id="c-1", visitor_id=None, old=Stage.AWARENESS, new=Stage.PURCHASE)
        signals.commit()
    html = client.get(page, headers=admin_headers).get_data(as_text=True)
    assert "1 delivery waiting to be sent." in html and "overdue" not in html  # just queued: the worker has time
    with app.app_context():
        session().execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow() - dt.timedelta(minutes=10)))
        session().commit()
    html = client.get(page, headers=admin_headers).get_data(as_text=True)
    assert "1 delivery is overdue:" in html and "Start it with <code>flask journeykit hooks deliver --loop</code>" in html
    deliver(app)  # the worker runs: the target is down, so it waits for its retry, not overdue
    html = client.get(page, headers=admin_headers).get_data(as_text=True)
    assert "1 delivery waiting to be sent." in html and "overdue" not in html
