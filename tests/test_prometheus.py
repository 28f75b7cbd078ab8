"""``GET /journeykit/metrics``: what Prometheus scrapes, read from the database, for the owner only."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from journeykit.testing import StripeEvents, deliver

from .conftest import ADMIN_KEY

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


def test_an_empty_shop_scrapes_cleanly(client):
    scraped = _scrape(client)
    assert scraped["journeykit_revenue_minor_units"] == {} and scraped["journeykit_reviews"] == {}


def test_the_scrape_is_for_the_owner_only(client, journey):
    assert client.get(METRICS).status_code == 401
    wrong = client.get(METRICS, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_api_key"
    journey.admin_guard(lambda: False)
    assert client.get(METRICS).status_code == 403
