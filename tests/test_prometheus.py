"""``GET /journeykit/metrics``: what Prometheus scrapes, read from the database, for the owner only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from journeykit.core.db import session, utcnow
from journeykit.hooks import deliver_due
from journeykit.models import DeliveryStatus, WebhookDelivery
from journeykit.testing import StripeEvents, deliver

from .conftest import ADMIN_KEY
from .hook_receiver import closed_port, receiver  # noqa: F401 - the fixture

METRICS = "/journeykit/metrics"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _scrape(client) -> dict[str, dict[tuple, float]]:
    response = client.get(METRICS, headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    return {
        family.name: {tuple(sorted(sample.labels.items())): sample.value for sample in family.samples}
        for family in text_string_to_metric_families(response.get_data(as_text=True))
    }


def test_purchases_refunds_and_stages_show_up_in_the_scrape(client, app):
    events = StripeEvents()
    secret = app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
    first = events.checkout_completed(customer_id="c1", amount_total=2500)
    for event in (
        first,
        events.checkout_completed(customer_id="c1", amount_total=1000),
        events.checkout_completed(customer_id="c2", amount_total=500_000, currency="jpy"),
        events.checkout_expired(customer_id="c3"),
        events.charge_refunded(first, amount_refunded=700),
    ):
        assert deliver(client, event, secret=secret).status_code == 200
    scraped = _scrape(client)
    assert scraped["journeykit_revenue_minor_units"] == {
        (("currency", "usd"),): 3500.0, (("currency", "jpy"),): 500_000.0,
    }
    assert scraped["journeykit_refunded_minor_units"] == {(("currency", "usd"),): 700.0}
    assert scraped["journeykit_orders"] == {(("status", "paid"),): 3.0, (("status", "expired"),): 1.0}
    stages = scraped["journeykit_customers"]
    assert stages[(("stage", "retention"),)] == 1 and stages[(("stage", "purchase"),)] == 1
    assert scraped["journeykit_stripe_events"] == {(("status", "processed"),): 5.0}


def test_people_by_stage_and_the_webhook_outbox_show_up_in_the_scrape(app, client, receiver, deliver_stripe_event,
                                                                      stripe_events):
    hooks = "/journeykit/api/v1/admin/webhooks"
    for url in (receiver.url, f"http://127.0.0.1:{closed_port()}/hooks"):  # the second one is down
        added = client.post(hooks, json={"url": url, "event_types": ["purchase.recorded"]}, headers=ADMIN)
        assert added.status_code == 201
    for customer in ("c1", "c2"):
        assert deliver_stripe_event(stripe_events.checkout_completed(customer_id=customer)).status_code == 200
    looking = {"visitor_id": "visitor-just-looking-1", "events": [{"name": "product_viewed", "product_id": "sku-1"}]}
    assert client.post("/journeykit/api/v1/events", json=looking).status_code == 202
    with app.app_context():
        assert deliver_due() == {"delivered": 2, "retrying": 2, "failed": 0}
        hour_ago = utcnow() - dt.timedelta(hours=1)  # as if the outbox had been stuck for an hour
        session().execute(sa.update(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.PENDING)
                          .values(created_at=hour_ago))
        session().commit()
    scraped = _scrape(client)
    assert scraped["journeykit_people"] == {(("stage", "purchase"),): 2.0, (("stage", "consideration"),): 1.0}
    assert scraped["journeykit_webhook_deliveries"] == {(("status", "delivered"),): 2.0, (("status", "pending"),): 2.0}
    assert 3600 <= scraped["journeykit_webhook_oldest_pending_age_seconds"][()] < 4 * 3600
    with app.app_context():
        session().execute(sa.delete(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.PENDING))
        session().commit()
    assert _scrape(client)["journeykit_webhook_oldest_pending_age_seconds"] == {(): 0.0}


def test_an_empty_shop_scrapes_cleanly(client):
    scraped = _scrape(client)
    assert scraped["journeykit_revenue_minor_units"] == {} and scraped["journeykit_reviews"] == {}
    assert scraped["journeykit_people"] == {} and scraped["journeykit_webhook_deliveries"] == {}
    assert scraped["journeykit_webhook_oldest_pending_age_seconds"] == {(): 0.0}


def test_the_scrape_is_for_the_owner_only(client, journey):
    assert client.get(METRICS).status_code == 401
    wrong = client.get(METRICS, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_api_key"
    journey.admin_guard(lambda: False)
    assert client.get(METRICS).status_code == 403
