"""The owner's referral figures: exact, counting only real checked codes, on /metrics and in the OpenAPI description."""

from __future__ import annotations

import datetime as dt


from journeykit import referrals
from journeykit.core.db import utcnow
from journeykit.journey import breakdown as journey_breakdown
from journeykit.metrics import sales as sales_metrics

from .referral_owner_data import API, month, shop

__all__ = ["month", "shop"]  # the fixtures, imported for these tests


def test_the_summary_is_exact_and_counts_only_real_unrefused_codes(client, admin_headers, month):
    figures = client.get(f"{API}/summary", headers=admin_headers).json
    # 1, 2, 3, 4, 7 and 8 count; 5 (unknown code) and 6 (self-referral) are shown by status only
    assert (figures["clicks"], figures["referred_buyers"]) == (8, 6)
    assert figures["conversions"] == {"review": 1, "held": 1, "rewarded": 3, "denied": 1, "unknown_code": 1,
                                      "reversed": 1}
    assert figures["revenue"] == {"eur": {"orders": 1, "gross": 2500, "net": 2500},
                                  "usd": {"orders": 5, "gross": 23500, "net": 18500}}
    assert figures["from"] is None and figures["to"] is None


def test_a_period_counts_what_converted_in_it_and_the_viral_coefficient_is_per_buyer(client, admin_headers, month):
    today = utcnow().date()
    since = (today - dt.timedelta(days=29)).isoformat()  # referral 8, 100 days ago, is left out
    figures = client.get(f"{API}/summary", query_string={"from": since, "to": today.isoformat()},
                         headers=admin_headers).json
    assert figures["referred_buyers"] == 5 and figures["clicks"] == 8
    assert figures["conversion"] == 0.625  # 5 referred buyers of 8 clicks
    assert figures["viral_coefficient"] == 0.5  # 5 referred buyers for the 10 buyers of the period
    assert figures["revenue"] == {"eur": {"orders": 1, "gross": 2500, "net": 2500},
                                  "usd": {"orders": 4, "gross": 13500, "net": 8500}}  # 135.00 less 10.00 and 40.00
    assert figures["rewards"] == {"paid": 3, "coupons": 1, "points_given": 300, "points_taken_back": 100,
                                  "clawed_back": 1, "reversed": 1, "held": 1, "in_review": 1}
    assert figures["top_advocates"] == [
        {"customer": "bo", "email": "bo@example.com", "name": "Bo", "code": "BOCODE12", "referrals": 3,
         "revenue": {"eur": 2500, "usd": 1500}},
        {"customer": "ann", "email": "ann@example.com", "name": "Ann", "code": "ANN-VIP", "referrals": 2,
         "revenue": {"usd": 7000}},
    ]
    assert figures["flagged_codes"] == 1
    bad = client.get(f"{API}/summary", query_string={"from": "2026-02-30"}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json["error"]["fields"] == {"from": ["Not a valid date."]}


def test_the_metrics_count_only_real_checked_codes(app, month):
    with app.app_context():
        assert sales_metrics.referrals() == {"clicks": 8, "referred_buyers": 6, "conversion": 0.75,
                                             "viral_coefficient": 0.6}
        assert referrals.real_codes(["ann-vip", " bocode12 ", "NOPE", None, "old-code", "x" * 500, "<b>"]) == {
            "ann-vip": "ANN-VIP", " bocode12 ": "BOCODE12", "old-code": "OLD-CODE"}
        groups = sales_metrics.referral_breakdown()
        everyone = sum(group["people"] for group in journey_breakdown("referral_code", limit=500))  # unchecked
    by_value = {group["value"]: group for group in groups}
    assert by_value["ANN-VIP"]["people"] == 7  # "ann-vip" and "ANN-VIP" are one code
    assert "FAKE-CODE" not in by_value and "ann-vip" not in by_value
    assert sum(group["people"] for group in groups) == everyone  # the unknown code's visitor is among "none"


def test_the_metrics_api_breakdown_shows_only_real_codes(client, admin_headers, month):
    groups = client.get("/journeykit/api/v1/admin/metrics/breakdown", query_string={"by": "referral_code"},
                        headers=admin_headers).json["groups"]
    assert [group["value"] for group in groups if group["value"]] == ["ANN-VIP"]


def test_the_dashboard_card_says_what_referrals_brought(client, admin_headers, month):
    html = client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    card = html[html.index('id="referrals"'):html.index('id="products"')]
    for figure, value in (("referred", "5"), ("referral-rewards", "3"), ("referral-review", "1"),
                          ("referral-flagged", "1")):
        assert f'data-figure="{figure}"' in card and f"<b>{value}</b>" in card.split(f'data-figure="{figure}"')[1][:200]
    assert "85.00 USD" in card and "25.00 EUR" in card
    assert "FAKE-CODE" not in card and "ANN-VIP" in card


def test_prometheus_has_the_referral_families(client, admin_headers, month):
    text = client.get("/journeykit/metrics", headers=admin_headers).get_data(as_text=True)
    for line in ("journeykit_referral_clicks_total 8.0",
                 'journeykit_referral_conversions_total{status="rewarded"} 3.0',
                 'journeykit_referral_conversions_total{status="unknown_code"} 1.0',
                 'journeykit_referral_revenue_minor_units_total{currency="usd"} 18500.0',
                 'journeykit_referral_revenue_minor_units_total{currency="eur"} 2500.0',
                 "journeykit_referral_rewards_total 4.0",
                 'journeykit_referral_points_total{direction="given"} 300.0',
                 'journeykit_referral_points_total{direction="taken_back"} 100.0',
                 'journeykit_referral_codes{state="flagged"} 1.0',
                 'journeykit_referral_codes{state="disabled"} 1.0',
                 'journeykit_referral_codes{state="enabled"} 3.0'):
        assert line in text, line


def test_an_empty_program_has_no_rates_rather_than_zero_divisions(client, admin_headers):
    figures = client.get(f"{API}/summary", headers=admin_headers).json
    assert (figures["clicks"], figures["referred_buyers"], figures["conversion"], figures["viral_coefficient"]) == (
        0, 0, None, None)
    assert figures["revenue"] == {} and figures["top_advocates"] == [] and set(figures["conversions"].values()) == {0}


def test_the_owners_api_is_described_in_openapi(client):
    spec = client.get("/journeykit/api/v1/openapi.json").json
    paths = spec["paths"]
    expected = {"/admin/referrals/summary": "get", "/admin/referrals/codes": "get",
                "/admin/referrals/customers/{customer_id}/code": "put", "/admin/referrals/codes/{code}/disable": "post",
                "/admin/referrals/codes/{code}/enable": "post", "/admin/referrals/queue": "get",
                "/admin/referrals/{referral_id}/approve": "post", "/admin/referrals/{referral_id}/deny": "post",
                "/admin/referrals/export.csv": "get"}
    for path, method in expected.items():
        operation = paths[path][method]
        assert operation["security"] == [{"adminKey": []}] and "401" in operation["responses"], path
    assert "viral_coefficient" in paths["/admin/referrals/summary"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]
    assert "409" in paths["/admin/referrals/{referral_id}/approve"]["post"]["responses"]
    assert "text/csv" in paths["/admin/referrals/export.csv"]["get"]["responses"]["200"]["content"]
    assert paths["/admin/referrals/customers/{customer_id}/code"]["put"]["requestBody"]["required"] is True
