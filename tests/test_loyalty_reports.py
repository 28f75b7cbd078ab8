"""The owner reads the loyalty program: the points outstanding (the liability), members, and points posted by kind."""

from __future__ import annotations

import datetime as dt
import re

import pytest

API = "/journeykit/api/v1/admin/loyalty/summary"


@pytest.fixture
def program(app, journey, stripe_events, deliver_stripe_event):
    """Ann bought 50.00 and got 20.00 back; Bo was awarded 30 points; a guest bought without earning."""
    purchase = stripe_events.checkout_completed(customer_id="ann", amount_total=5000)
    deliver_stripe_event(purchase)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=2000))
    deliver_stripe_event(stripe_events.checkout_completed(customer_id=None, email="guest@example.com"))
    with app.app_context():
        journey.loyalty.award("bo", 30, "Wrote a guide", key="guide")


def test_the_summary_holds_the_liability_members_and_each_kinds_flow(client, admin_headers, program):
    answer = client.get(API, headers=admin_headers)
    assert answer.status_code == 200
    figures = answer.json
    assert (figures["members"], figures["outstanding_points"], figures["negative_points"], figures["earning_members"]) == (
        2, 60, 0, 2)
    assert {kind: points for kind, points in figures["posted"].items() if points} == {
        "purchase": 50, "reversal": -20, "award": 30}
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    before = client.get(f"{API}?from={yesterday}&to={yesterday}", headers=admin_headers).json
    assert before["outstanding_points"] == 60 and not any(before["posted"].values())  # balances are now; flows are the period's


def test_the_summary_is_the_owners_and_refuses_a_bad_period(client, admin_headers):
    assert client.get(API).status_code == 401
    refused = client.get(f"{API}?from=2026-05-02&to=2026-05-01", headers=admin_headers)
    assert refused.status_code == 422 and refused.json["error"]["fields"] == {"from": ["After to."]}
    assert client.get(f"{API}?from=yesterday", headers=admin_headers).status_code == 422


def test_prometheus_scrapes_the_loyalty_families(client, admin_headers, program):
    text = client.get("/journeykit/metrics", headers=admin_headers).get_data(as_text=True)
    assert re.search(r"^journeykit_loyalty_points_outstanding 60(\.0)?$", text, re.M)
    assert re.search(r"^journeykit_loyalty_members 2(\.0)?$", text, re.M)
    assert re.search(r'^journeykit_loyalty_points_posted\{kind="reversal"\} -20(\.0)?$', text, re.M)


def test_the_dashboard_card_shows_the_program(client, admin_headers, program):
    page = client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    card = page[page.index('id="loyalty"'):page.index('id="orders"')]
    assert re.search(r'data-figure="outstanding"><span>Points outstanding</span><b>60</b>', card)
    assert "<td>Reversal</td><td class=\"num\">-20</td>" in card and "Award" in card


def test_an_empty_program_says_how_points_are_earned(client, admin_headers):
    page = client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    assert "No customer has points yet" in page
