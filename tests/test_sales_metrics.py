"""Revenue, repeat purchases, reviews and referrals over a period, from a handcrafted history."""

from __future__ import annotations

import datetime as dt

import pytest

from journeykit.metrics import sales as sales_metrics
from journeykit.orders import reports as order_reports
from journeykit.testing import StripeEvents, deliver

DAY = 24 * 3600
START = dt.datetime(2026, 11, 2, 12, tzinfo=dt.timezone.utc).timestamp()


def _on(day: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(START + day * DAY, dt.timezone.utc).replace(hour=0)


@pytest.fixture
def history(app, client, journey, admin_headers):
    """c1 buys twice (the first partly refunded) and reviews one product; c2 buys in yen through c1's code FRIEND."""
    secret = app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
    clock = {"now": START}
    events = StripeEvents(clock=lambda: clock["now"])

    def send(day: int, event_for):
        clock["now"] = START + day * DAY
        event = event_for()
        assert deliver(client, event, secret=secret).status_code == 200
        return event

    first = send(0, lambda: events.checkout_completed(customer_id="c1", amount_total=2500, products=["sku-1"]))
    vanity = client.put("/journeykit/api/v1/admin/referrals/customers/c1/code", json={"code": "FRIEND"},
                        headers=admin_headers)
    assert vanity.status_code == 200  # only a real code makes a referred buyer
    send(1, lambda: events.checkout_completed(customer_id="c2", email="c2@example.com", amount_total=500_000,
                                              currency="jpy", products=["sku-3"], referral_code="FRIEND"))
    send(2, lambda: events.checkout_completed(customer_id="c1", amount_total=1000, products=["sku-2"]))
    send(2, lambda: events.checkout_expired(customer_id="c3"))
    send(3, lambda: events.charge_refunded(first, amount_refunded=700))
    with app.test_request_context():
        token = journey.customer_token("c1")
    review = {"rating": 5, "title": "Warm", "body": "Lovely blanket, wash it cold."}
    response = client.post("/journeykit/api/v1/products/sku-1/reviews", json=review, headers={"X-JourneyKit-Customer": token})
    assert response.status_code == 201
    with app.app_context():
        for n in range(4):
            journey.track("referral_clicked", visitor_id=f"referred-visitor-{n:06d}")


def test_all_time_figures(app, history):
    with app.app_context():
        summary = sales_metrics.summary()
    assert summary["revenue"] == {
        "usd": {"orders": 2, "gross": 3500, "net": 2800, "average_order_value": 1750},
        "jpy": {"orders": 1, "gross": 500_000, "net": 500_000, "average_order_value": 500_000},
    }
    assert summary["revenue_by_stage"] == {"advocacy": {"usd": 2800}, "purchase": {"jpy": 500_000}}  # c1 reviewed
    assert summary["repeat_purchase_rate"] == 0.5
    assert summary["review_rate"] == 0.3333
    assert summary["referrals"] == {"clicks": 4, "referred_buyers": 1, "conversion": 0.25, "viral_coefficient": 0.5}


def test_a_period_counts_only_what_was_paid_in_it(app, history):
    with app.app_context():
        second_day = sales_metrics.summary(_on(1), _on(2))
        from_day_two = sales_metrics.summary(_on(2), None)
    assert second_day["revenue"] == {"jpy": {"orders": 1, "gross": 500_000, "net": 500_000, "average_order_value": 500_000}}
    assert second_day["repeat_purchase_rate"] == 0.0 and second_day["review_rate"] == 0.0
    assert from_day_two["revenue"]["usd"] == {"orders": 1, "gross": 1000, "net": 1000, "average_order_value": 1000}
    assert from_day_two["repeat_purchase_rate"] == 1.0  # c1's first order was before the period: still a repeat


def test_the_owner_reads_the_same_figures_as_json_and_in_python(app, client, journey, history, admin_headers):
    url = "/journeykit/api/v1/admin/metrics/sales"
    assert client.get(url).status_code == 401
    second_day = client.get(url, query_string={"from": _on(1).date().isoformat(), "to": _on(1).date().isoformat()}, headers=admin_headers)
    assert second_day.status_code == 200
    assert second_day.json["from"] == second_day.json["to"] == "2026-11-03"
    assert second_day.json["revenue"] == {"jpy": {"orders": 1, "gross": 500_000, "net": 500_000, "average_order_value": 500_000}}
    with app.app_context():
        assert journey.metrics.sales(_on(1).date(), _on(2).date()) == sales_metrics.summary(_on(1), _on(2))
    everything = client.get(url, headers=admin_headers).json
    assert everything["referrals"]["viral_coefficient"] == 0.5 and everything["from"] is None
    backwards = client.get(url, query_string={"from": "2026-11-05", "to": "2026-11-01"}, headers=admin_headers)
    assert backwards.status_code == 422 and backwards.json["error"]["fields"] == {"from": ["After to."]}


def test_an_empty_shop_has_no_rates_rather_than_zero_divisions(app):
    with app.app_context():
        assert sales_metrics.summary() == {
            "revenue": {},
            "revenue_by_stage": {},
            "repeat_purchase_rate": None,
            "review_rate": None,
            "referrals": {"clicks": 0, "referred_buyers": 0, "conversion": None, "viral_coefficient": None},
        }


@pytest.mark.parametrize(("total", "count", "expected"), [(3500, 2, 1750), (1001, 2, 501), (1000, 3, 333), (2, 3, 1), (0, 5, 0)])
def test_averages_round_half_up_to_a_whole_minor_unit(total, count, expected):
    assert order_reports._average(total, count) == expected
