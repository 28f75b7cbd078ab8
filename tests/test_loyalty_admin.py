"""The owner looks up one customer's points and adjusts them by hand, with a reason, audited, once per key."""

from __future__ import annotations

import pytest

from .loyalty_helpers import entries

API = "/journeykit/api/v1/admin/loyalty/customers"


@pytest.fixture
def ann(app, journey):
    with app.app_context():
        journey.loyalty.award("ann", 40, "Welcome", key="welcome")


def test_the_owner_adds_and_takes_points_with_a_reason_the_customer_reads(app, client, admin_headers, shopper, ann):
    added = client.post(f"{API}/ann/adjustments", json={"points": 15, "reason": "Sorry about the late parcel",
                                                         "key": "parcel-118"}, headers=admin_headers)
    assert added.status_code == 201 and (added.json["balance"], added.json["earned"]) == (55, 55)
    again = client.post(f"{API}/ann/adjustments", json={"points": 15, "reason": "Sorry about the late parcel",
                                                         "key": "parcel-118"}, headers=admin_headers)
    assert again.status_code == 201 and again.json["balance"] == 55  # the same key: once
    taken = client.post(f"{API}/ann/adjustments", json={"points": -5, "reason": "Double-counted bonus"},
                        headers=admin_headers)
    assert taken.json["balance"] == 50
    latest = taken.json["history"][0]
    assert (latest["points"], latest["kind"], latest["description"], latest["actor"]) == (
        -5, "adjustment", "Double-counted bonus", "API key …6789")
    assert entries(app, "ann") == [(40, "award"), (15, "adjustment"), (-5, "adjustment")]
    mine = client.get("/journeykit/api/v1/me/loyalty", headers=shopper("ann")).json
    assert mine["history"][1]["description"] == "Sorry about the late parcel" and "actor" not in mine["history"][1]
    audit = client.get("/journeykit/api/v1/admin/audit", headers=admin_headers).json["items"]
    assert [(item["action"], item["after"]["points"]) for item in audit] == [("loyalty.adjust", -5), ("loyalty.adjust", 15)]


@pytest.mark.parametrize("body, field", [
    ({"points": 0, "reason": "x"}, "points"), ({"points": True, "reason": "x"}, "points"),
    ({"points": "5", "reason": "x"}, "points"), ({"points": 1.5, "reason": "x"}, "points"),
    ({"points": 10**10, "reason": "x"}, "points"), ({"points": 5}, "reason"), ({"points": 5, "reason": "  "}, "reason"),
    ({"points": 5, "reason": "r" * 201}, "reason"), ({"points": 5, "reason": "x", "key": ""}, "key"),
])
def test_a_wrong_adjustment_is_refused_and_changes_nothing(app, client, admin_headers, ann, body, field):
    refused = client.post(f"{API}/ann/adjustments", json=body, headers=admin_headers)
    assert refused.status_code == 422 and field in refused.json["error"]["fields"]
    assert entries(app, "ann") == [(40, "award")]


def test_taking_more_than_the_customer_may_spend_is_refused(app, client, admin_headers, ann):
    refused = client.post(f"{API}/ann/adjustments", json={"points": -41, "reason": "Too much"}, headers=admin_headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "insufficient_points"
    assert entries(app, "ann") == [(40, "award")]


def test_only_the_owner_and_only_known_customers(client, admin_headers, ann):
    assert client.get(f"{API}/ann").status_code == 401
    assert client.post(f"{API}/ann/adjustments", json={"points": 5, "reason": "x"}).status_code == 401
    missing = client.get(f"{API}/nobody", headers=admin_headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "customer_not_found"
    assert client.post(f"{API}/nobody/adjustments", json={"points": 5, "reason": "x"}, headers=admin_headers).status_code == 404
    shown = client.get(f"{API}/ann", headers=admin_headers).json
    assert (shown["customer"], shown["balance"], shown["spendable"], shown["tier"]) == ("ann", 40, 40, "member")
